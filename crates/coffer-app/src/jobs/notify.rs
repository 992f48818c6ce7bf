//! The ports the delivery jobs send through, implemented outside the app (the
//! `coffer-notify` crate: JSON, HMAC signatures, HTTP, SMTP), and the retry schedule.
//! The app knows no JSON: it hands the sender the event and the endpoint, and the
//! sender encodes, signs and posts.

use coffer_core::event::Event;
use coffer_core::time::Timestamp;

/// What an attempt to deliver came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendOutcome {
    /// The HTTP status received, if a response came back.
    pub status: Option<i32>,
    /// `None` when delivered (a 2xx); else why not.
    pub error: Option<String>,
    /// A failure no retry can fix (the endpoint was deleted, the event is gone): the
    /// delivery is given up at once.
    pub permanent: bool,
}

impl SendOutcome {
    pub fn delivered(status: i32) -> SendOutcome {
        SendOutcome { status: Some(status), error: None, permanent: false }
    }

    pub fn failed(status: Option<i32>, error: impl Into<String>) -> SendOutcome {
        SendOutcome { status, error: Some(error.into()), permanent: false }
    }

    /// A failure that retrying cannot fix.
    pub fn gave_up(error: impl Into<String>) -> SendOutcome {
        SendOutcome { status: None, error: Some(error.into()), permanent: true }
    }
}

/// Posts one event to one webhook endpoint, signed with its secret at `now`.
pub trait WebhookSender: Send + Sync {
    fn send(&self, url: &str, secret: &str, event: &Event, now: Timestamp) -> SendOutcome;
}

/// A plain-text e-mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// For the Date header and a unique Message-ID.
    pub at: Timestamp,
    pub message_id: String,
}

/// Sends e-mail (SMTP to a relay, or .eml files for the demo).
pub trait Mailer: Send + Sync {
    fn send(&self, mail: &Mail) -> Result<(), String>;
}

/// When attempt number `attempts + 1` may run after `attempts` failures: the base
/// delay doubled per failure, capped.
pub fn next_attempt_at(now: Timestamp, attempts: i32, base_ms: i64, cap_ms: i64) -> Timestamp {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let delay = base_ms.saturating_mul(1i64 << doublings).min(cap_ms);
    Timestamp(now.0.saturating_add(delay))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_the_cap() {
        let at = |n| next_attempt_at(Timestamp(0), n, 1_000, 10_000).0;
        assert_eq!([at(1), at(2), at(3), at(4), at(5), at(40)], [1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
    }
}
