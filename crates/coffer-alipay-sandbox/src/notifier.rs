//! The notifier: POSTs signed notifications to the merchant's `notify_url` on Alipay's schedule (first at
//! once, then after 4m, 10m, 10m, 1h, 2h, 6h, 15h), with the same `notify_id` on every retry, until the
//! merchant answers exactly `success`.

use std::time::Duration;

use coffer_alipay::{format_beijing, format_yuan, parse_yuan, sign, sign_content, PrivateKey, NOTIFY_EXCLUDE};
use serde::{Deserialize, Serialize};

use crate::faults::NotifyFaults;
use crate::state::Sandbox;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

/// Gaps between attempts: attempt `n` is due at the sum of the first `n + 1` gaps after queueing.
pub const SCHEDULE_MS: [i64; 8] = [0, 4 * MINUTE, 10 * MINUTE, 10 * MINUTE, HOUR, 2 * HOUR, 6 * HOUR, 15 * HOUR];

/// The `app_id` and `seller_id` put in notifications by the `wrong_app_id`/`wrong_seller_id` faults.
pub const FOREIGN_APP_ID: &str = "2021009999999999";
/// See [`FOREIGN_APP_ID`].
pub const FOREIGN_SELLER_ID: &str = "2088009999999999";

/// One POST of a notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptInfo {
    /// The sandbox clock when it was sent (Unix ms).
    pub at_millis: i64,
    /// The merchant's HTTP status, if it answered at all.
    pub http_status: Option<u16>,
    /// The merchant's body (first 200 bytes) or the transport error.
    pub response: String,
    /// The form body that was sent.
    pub body: String,
}

/// A queued notification and its delivery history, as `GET /sim/notifications` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryInfo {
    /// Constant across retries (and shared by a `duplicate_delivery` copy).
    pub notify_id: String,
    /// The merchant's order number.
    pub out_trade_no: String,
    /// The notified status.
    pub trade_status: String,
    /// The merchant's `notify_url`.
    pub url: String,
    /// Never delivered (fault `lose_notifications`).
    pub lost: bool,
    /// The merchant answered `success`, or all eight attempts are spent.
    pub done: bool,
    /// Attempts so far.
    pub attempts: Vec<AttemptInfo>,
}

#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    pub id: u64,
    pub info: DeliveryInfo,
    /// Unsigned fields without `notify_time`, which is stamped per attempt.
    pub fields: Vec<(String, String)>,
    pub faults: NotifyFaults,
    pub queued_at: i64,
}

/// Queued notifications, oldest first.
#[derive(Default)]
pub(crate) struct Outbox {
    deliveries: Vec<Delivery>,
    next_id: u64,
}

impl Delivery {
    fn due_at(&self) -> Option<i64> {
        if self.info.done || self.info.lost {
            return None;
        }
        let sent = self.info.attempts.len();
        (sent < SCHEDULE_MS.len()).then(|| self.queued_at + SCHEDULE_MS[..=sent].iter().sum::<i64>())
    }

    /// The form body of one attempt: stamped, signed (V1), then spoiled as the faults say.
    fn render(&self, now: i64, key: &PrivateKey) -> String {
        let mut fields = self.fields.clone();
        fields.push(("notify_time".into(), format_beijing(now)));
        let f = self.faults;
        if f.wrong_app_id {
            set(&mut fields, "app_id", FOREIGN_APP_ID);
            set(&mut fields, "auth_app_id", FOREIGN_APP_ID);
        }
        if f.wrong_seller_id {
            set(&mut fields, "seller_id", FOREIGN_SELLER_ID);
        }
        let content = sign_content(&fields, NOTIFY_EXCLUDE);
        let signed = if f.bad_signature { format!("{content}&forged=1") } else { content };
        let signature = sign(key, &signed);
        if f.tamper_amount {
            let amount = fields.iter().find(|(k, _)| k == "total_amount").and_then(|(_, v)| parse_yuan(v));
            set(&mut fields, "total_amount", &format_yuan(amount.unwrap_or(1).saturating_mul(100)));
        }
        if f.sign_type_rsa {
            set(&mut fields, "sign_type", "RSA");
        }
        fields.push(("sign".into(), signature));
        form_urlencoded::Serializer::new(String::new()).extend_pairs(&fields).finish()
    }
}

fn set(fields: &mut [(String, String)], name: &str, value: &str) {
    fields.iter_mut().filter(|(k, _)| k == name).for_each(|(_, v)| *v = value.to_owned());
}

impl Outbox {
    /// Queues a notification to be delivered from `now` on.
    pub fn push(&mut self, info: DeliveryInfo, fields: Vec<(String, String)>, faults: NotifyFaults, now: i64) {
        self.next_id += 1;
        self.deliveries.push(Delivery { id: self.next_id, info, fields, faults, queued_at: now });
    }

    /// A fresh sequence number for notify ids.
    pub fn next_seq(&mut self) -> u64 {
        self.next_id + 1
    }

    pub fn infos(&self) -> Vec<DeliveryInfo> {
        self.deliveries.iter().map(|d| d.info.clone()).collect()
    }

    fn record(&mut self, id: u64, attempt: AttemptInfo) {
        if let Some(d) = self.deliveries.iter_mut().find(|d| d.id == id) {
            let accepted = attempt.http_status == Some(200) && attempt.response == "success";
            d.info.attempts.push(attempt);
            d.info.done = accepted || d.info.attempts.len() >= SCHEDULE_MS.len();
        }
    }
}

impl Sandbox {
    /// Sends every notification that is due by the sandbox clock, one attempt each, oldest first, and returns
    /// how many POSTs were made. Blocks on HTTP; call it from a blocking thread (or see
    /// [`Sandbox::run_notifier`]).
    pub fn deliver_due(&self) -> usize {
        let now = self.now();
        let key = &self.inner.config.sandbox_private_key;
        let due: Vec<(u64, String, String)> = {
            let state = self.lock();
            let due = state.outbox.deliveries.iter().filter(|d| d.due_at().is_some_and(|t| t <= now));
            due.map(|d| (d.id, d.info.url.clone(), d.render(now, key))).collect()
        };
        for (id, url, body) in &due {
            let (http_status, response) = self.post(url, body);
            let attempt = AttemptInfo { at_millis: now, http_status, response, body: body.clone() };
            self.lock().outbox.record(*id, attempt);
        }
        due.len()
    }

    /// Every queued notification with its attempts.
    pub fn deliveries(&self) -> Vec<DeliveryInfo> {
        self.lock().outbox.infos()
    }

    /// Runs [`Sandbox::deliver_due`] every `tick` on a blocking thread, forever (abort the task to stop).
    pub async fn run_notifier(self, tick: Duration) {
        let mut interval = tokio::time::interval(tick);
        loop {
            interval.tick().await;
            let sandbox = self.clone();
            // A panicking delivery round is retried on the next tick.
            let _ = tokio::task::spawn_blocking(move || sandbox.deliver_due()).await;
        }
    }

    fn post(&self, url: &str, body: &str) -> (Option<u16>, String) {
        let request =
            self.inner.agent.post(url).set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
        let (status, response) = match request.send_string(body) {
            Ok(r) => (r.status(), r),
            Err(ureq::Error::Status(status, r)) => (status, r),
            Err(e) => return (None, e.to_string()),
        };
        let mut text = response.into_string().unwrap_or_default();
        text.truncate(text.char_indices().nth(200).map_or(text.len(), |(i, _)| i));
        (Some(status), text)
    }
}
