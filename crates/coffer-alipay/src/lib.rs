//! Alipay OpenAPI v2 with RSA2 signatures, for Coffer's online recharge (the merchant side) and for the local
//! sandbox that plays Alipay in tests and demos. Synchronous; reads no clock: timestamps are inputs.
//!
//! # Layout
//! - [`keys`]: RSA keys in every form Alipay's tools emit (PKCS#1/PKCS#8/SPKI, PEM or bare Base64).
//! - [`sign`](mod@sign): the string to sign (A.4) and SHA256withRSA signatures.
//! - [`client`]: page.pay URLs, precreate, query and close; [`orders`]: their inputs and outcomes.
//! - [`response`]: gateway responses verified over their raw bytes, and [`AlipayError`].
//! - [`notify`]: verifying asynchronous notifications and page.pay returns (V1 rule).
//! - [`money`]: yuan strings ⇄ fen. [`time`]: Beijing-time timestamps ⇄ Unix milliseconds.
//!
//! The protocol reference is `shared/alipay/PROTOCOL.md` (sections A.1–A.10).

pub mod client;
pub mod keys;
pub mod money;
pub mod notify;
pub mod orders;
pub mod response;
pub mod sign;
pub mod time;

pub use client::{Client, MerchantConfig, PRODUCTION_GATEWAY};
pub use keys::{KeyError, PrivateKey, PublicKey};
pub use money::{format_yuan, parse_yuan};
pub use notify::{
    parse_form, verify_notification, verify_notification_form, verify_return, Notification, NotifyError, ReturnParams,
    TradeStatus,
};
pub use orders::{CloseOutcome, PagePay, Precreate, Precreated, QueryOutcome};
pub use response::{verified_response, AlipayError, GatewayError};
pub use sign::{sign, sign_content, verify, NOTIFY_EXCLUDE, REQUEST_EXCLUDE};
pub use time::{format_beijing, parse_beijing};
