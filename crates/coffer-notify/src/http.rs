//! [`HttpWebhookSender`]: posts the event's JSON body with the signature headers.
//! A 2xx answer is a delivery; anything else (another status, a timeout, a refused
//! connection) is a failed attempt the job retries. Redirects are not followed: an
//! endpoint that moved must be updated, not chased.

use std::time::Duration;

use coffer_app::jobs::notify::{SendOutcome, WebhookSender};
use coffer_core::event::Event;
use coffer_core::time::Timestamp;

use crate::payload::event_body;
use crate::signature::sign;

/// How long one attempt may take, connecting included.
const TIMEOUT: Duration = Duration::from_secs(10);

pub struct HttpWebhookSender {
    agent: ureq::Agent,
}

impl Default for HttpWebhookSender {
    fn default() -> HttpWebhookSender {
        HttpWebhookSender::new()
    }
}

impl HttpWebhookSender {
    pub fn new() -> HttpWebhookSender {
        HttpWebhookSender::with_timeout(TIMEOUT)
    }

    /// A sender whose attempts give up after `timeout` (connecting included).
    pub fn with_timeout(timeout: Duration) -> HttpWebhookSender {
        let agent = ureq::AgentBuilder::new()
            .timeout(timeout)
            .redirects(0)
            .user_agent(concat!("Coffer-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build();
        HttpWebhookSender { agent }
    }
}

impl WebhookSender for HttpWebhookSender {
    fn send(&self, url: &str, secret: &str, event: &Event, now: Timestamp) -> SendOutcome {
        let body = event_body(event);
        let timestamp = now.0.div_euclid(1_000);
        let request = self
            .agent
            .post(url)
            .set("Content-Type", "application/json")
            .set("Coffer-Event-Id", &event.id.to_string())
            .set("Coffer-Timestamp", &timestamp.to_string())
            .set("Coffer-Signature", &sign(secret, timestamp, body.as_bytes()));
        match request.send_string(&body) {
            Ok(response) if (200..300).contains(&response.status()) => {
                SendOutcome::delivered(i32::from(response.status()))
            }
            Ok(response) => {
                SendOutcome::failed(Some(i32::from(response.status())), format!("HTTP {}", response.status()))
            }
            Err(ureq::Error::Status(code, _)) => SendOutcome::failed(Some(i32::from(code)), format!("HTTP {code}")),
            Err(ureq::Error::Transport(t)) => SendOutcome::failed(None, t.to_string()),
        }
    }
}
