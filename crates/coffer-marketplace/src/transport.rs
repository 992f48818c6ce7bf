//! HTTP for the adapters (blocking ureq: the outbox calls adapters from a plain
//! thread), and what every provider's answer has in common.

use std::time::Duration;

use coffer_app::marketplace::{DeliveryResult, UsageRecord};

/// How long one call may take before it counts as a transient failure.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// An HTTP answer, whatever its status.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// A provider's base URL and an agent with timeouts.
#[derive(Clone, Debug)]
pub struct Transport {
    agent: ureq::Agent,
    base_url: String,
}

impl Transport {
    /// `base_url` without a trailing slash, e.g. `https://metering.marketplace.us-east-1.amazonaws.com`.
    pub fn new(base_url: &str) -> Transport {
        let agent = ureq::AgentBuilder::new().timeout_connect(CONNECT_TIMEOUT).timeout(CALL_TIMEOUT).build();
        Transport { agent, base_url: base_url.trim_end_matches('/').to_owned() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// POSTs a JSON text with extra headers. `Err` is a transport failure (no answer).
    pub fn post_json(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        content_type: &str,
        body: &str,
    ) -> Result<Answer, String> {
        let mut req = self.agent.post(&self.url(path)).set("Content-Type", content_type);
        for (name, value) in headers {
            req = req.set(name, value);
        }
        answer(req.send_string(body))
    }

    /// POSTs an `application/x-www-form-urlencoded` body.
    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Result<Answer, String> {
        answer(self.agent.post(&self.url(path)).send_form(fields))
    }
}

fn answer(result: Result<ureq::Response, ureq::Error>) -> Result<Answer, String> {
    match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => {
            let status = r.status();
            let body = r.into_string().map_err(|e| format!("reading the answer: {e}"))?;
            Ok(Answer { status, body })
        }
        Err(e) => Err(format!("no answer: {e}")),
    }
}

/// Statuses no provider uses for a final refusal: throttling, outages, and
/// credentials trouble (a configuration problem an operator fixes, not a reason to
/// bill the customer elsewhere).
pub fn is_transient_status(status: u16) -> bool {
    matches!(status, 401 | 403 | 408 | 429) || status >= 500
}

pub fn transient(reason: impl Into<String>) -> DeliveryResult {
    DeliveryResult::Transient { reason: reason.into() }
}

pub fn rejected(reason: impl Into<String>) -> DeliveryResult {
    DeliveryResult::Rejected { reason: reason.into() }
}

/// The metering dimension: the charge's category. Every dimension is priced at one
/// minor unit per unit of quantity, so the quantity is the amount in minor units.
pub fn dimension(record: &UsageRecord) -> &'static str {
    record.category.as_str()
}

/// `2026-11-26T02:00:00Z`.
pub fn iso8601(ms: i64) -> String {
    format_utc(ms, "%Y-%m-%dT%H:%M:%SZ")
}

/// `20261126T020000Z`.
pub fn compact_utc(ms: i64) -> String {
    format_utc(ms, "%Y%m%dT%H%M%SZ")
}

fn format_utc(ms: i64, format: &str) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.strftime(format).to_string()).unwrap_or_default()
}

/// A short excerpt of an answer for `last_error`.
pub fn excerpt(answer: &Answer) -> String {
    let body: String = answer.body.chars().take(200).collect();
    format!("HTTP {}: {body}", answer.status)
}
