//! Notification adapters behind coffer-app's ports (`coffer_app::jobs::notify`):
//!
//! - [`payload`]: an event as the webhook's JSON body.
//! - [`signature`]: `Coffer-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>`,
//!   signing and the receiver's verification (docs/WEBHOOKS.md).
//! - [`http`]: [`http::HttpWebhookSender`], posting through ureq.
//! - [`message`]: a plain-text e-mail as an RFC 5322 message.
//! - [`file_mailer`]: [`file_mailer::FileMailer`], writing `.eml` files (the demo's sender).
//! - [`smtp`]: [`smtp::SmtpMailer`], a minimal SMTP client for a relay (no TLS, no AUTH).
//!
//! The app decides what to send and when; this crate only encodes and transports.

pub mod file_mailer;
pub mod http;
pub mod message;
pub mod payload;
pub mod signature;
pub mod smtp;
