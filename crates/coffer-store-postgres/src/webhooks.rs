//! [`WebhookStore`] on PostgreSQL: webhook endpoints and the notification delivery
//! log, each call its own short transaction.

use coffer_core::ids::AccountId;
use coffer_core::time::Timestamp;
use coffer_store::webhooks::*;
use coffer_store::StoreResult;
use postgres::Row;

use crate::jobs::all;
use crate::rows::{corrupt, get};
use crate::PostgresStore;

type R<T> = StoreResult<T>;

const ENDPOINT_COLUMNS: &str = "webhook_endpoint_id, billing_account_id, url, secret, kinds, enabled, created_at_ms";

/// Kinds are kept comma-separated; kind names never contain a comma.
fn split_kinds(text: &str) -> Vec<String> {
    text.split(',').filter(|k| !k.is_empty()).map(str::to_owned).collect()
}

fn endpoint_row(r: &Row) -> R<WebhookEndpoint> {
    Ok(WebhookEndpoint {
        id: get(r, 0)?,
        endpoint: NewWebhookEndpoint {
            account_id: AccountId(get(r, 1)?),
            url: get(r, 2)?,
            secret: get(r, 3)?,
            kinds: split_kinds(get(r, 4)?),
            created_at: Timestamp(get(r, 6)?),
        },
        enabled: get(r, 5)?,
    })
}

const DELIVERY_COLUMNS: &str = "notification_delivery_id, billing_account_id, event_id, channel, webhook_endpoint_id, \
     target, state, attempts, last_status, last_error, next_attempt_at_ms, delivered_at_ms, created_at_ms";

fn small(v: i64, what: &str) -> R<i32> {
    i32::try_from(v).map_err(|_| corrupt(what, v))
}

fn delivery_row(r: &Row) -> R<Delivery> {
    let channel: String = get(r, 3)?;
    let state: String = get(r, 6)?;
    Ok(Delivery {
        id: get(r, 0)?,
        delivery: NewDelivery {
            account_id: AccountId(get(r, 1)?),
            event_id: get(r, 2)?,
            channel: Channel::parse(&channel).ok_or_else(|| corrupt("channel", &channel))?,
            endpoint_id: get(r, 4)?,
            target: get(r, 5)?,
            created_at: Timestamp(get(r, 12)?),
        },
        state: DeliveryState::parse(&state).ok_or_else(|| corrupt("delivery state", &state))?,
        attempts: small(get(r, 7)?, "attempts")?,
        last_status: get::<Option<i64>>(r, 8)?.map(|s| small(s, "status")).transpose()?,
        last_error: get(r, 9)?,
        next_attempt_at: Timestamp(get(r, 10)?),
        delivered_at: get::<Option<i64>>(r, 11)?.map(Timestamp),
    })
}

fn status(s: &Option<i32>) -> Option<i64> {
    s.map(i64::from)
}

impl WebhookStore for PostgresStore {
    fn insert_webhook_endpoint(&self, n: &NewWebhookEndpoint) -> R<i64> {
        self.short_write(|c| {
            let row = c.query_one(
                "INSERT INTO webhook_endpoint (billing_account_id, url, secret, kinds, created_at_ms) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING webhook_endpoint_id",
                &[&n.account_id.0, &n.url, &n.secret, &n.kinds.join(","), &n.created_at.0],
            )?;
            get(&row, 0)
        })
    }

    fn webhook_endpoint(&self, account: AccountId, id: i64) -> R<Option<WebhookEndpoint>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoint WHERE billing_account_id = $1 AND webhook_endpoint_id = $2"
        );
        self.short_read(|c| c.query_opt(&sql, &[&account.0, &id])?.map(|r| endpoint_row(&r)).transpose())
    }

    fn webhook_endpoints(&self, account: AccountId) -> R<Vec<WebhookEndpoint>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoint WHERE billing_account_id = $1 ORDER BY webhook_endpoint_id"
        );
        self.short_read(|c| all(c.query(&sql, &[&account.0])?, endpoint_row))
    }

    fn delete_webhook_endpoint(&self, account: AccountId, id: i64) -> R<bool> {
        self.short_write(|c| {
            c.execute(
                "DELETE FROM webhook_endpoint WHERE billing_account_id = $1 AND webhook_endpoint_id = $2",
                &[&account.0, &id],
            )
            .map(|n| n == 1)
        })
    }

    fn set_webhook_enabled(&self, account: AccountId, id: i64, enabled: bool) -> R<bool> {
        self.short_write(|c| {
            c.execute(
                "UPDATE webhook_endpoint SET enabled = $3 WHERE billing_account_id = $1 AND webhook_endpoint_id = $2",
                &[&account.0, &id, &enabled],
            )
            .map(|n| n == 1)
        })
    }

    fn insert_delivery(&self, n: &NewDelivery) -> R<bool> {
        self.short_write(|c| {
            c.execute(
                "INSERT INTO notification_delivery (billing_account_id, event_id, channel, webhook_endpoint_id, target, \
                 state, next_attempt_at_ms, created_at_ms) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6) \
                 ON CONFLICT (channel, event_id, target) DO NOTHING",
                &[&n.account_id.0, &n.event_id, &n.channel.as_str(), &n.endpoint_id, &n.target, &n.created_at.0],
            )
            .map(|n| n == 1)
        })
    }

    fn deliveries_due(&self, channel: Channel, now: Timestamp, limit: u32) -> R<Vec<Delivery>> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM notification_delivery WHERE channel = $1 AND state = 'pending' \
             AND next_attempt_at_ms <= $2 ORDER BY next_attempt_at_ms, notification_delivery_id LIMIT $3"
        );
        let limit = i64::from(limit);
        self.short_read(|c| all(c.query(&sql, &[&channel.as_str(), &now.0, &limit])?, delivery_row))
    }

    fn record_attempt(&self, id: i64, result: &AttemptResult) -> R<()> {
        self.short_write(|c| {
            match result {
                AttemptResult::Delivered { status: s, at } => c.execute(
                    "UPDATE notification_delivery SET state = 'delivered', attempts = attempts + 1, last_status = $2, \
                     last_error = NULL, delivered_at_ms = $3 WHERE notification_delivery_id = $1 AND state = 'pending'",
                    &[&id, &status(s), &at.0],
                ),
                AttemptResult::Retry { status: s, error, next_attempt_at } => c.execute(
                    "UPDATE notification_delivery SET attempts = attempts + 1, last_status = $2, last_error = $3, \
                     next_attempt_at_ms = $4 WHERE notification_delivery_id = $1 AND state = 'pending'",
                    &[&id, &status(s), error, &next_attempt_at.0],
                ),
                AttemptResult::GaveUp { status: s, error } => c.execute(
                    "UPDATE notification_delivery SET state = 'failed', attempts = attempts + 1, last_status = $2, \
                     last_error = $3 WHERE notification_delivery_id = $1 AND state = 'pending'",
                    &[&id, &status(s), error],
                ),
            }
            .map(drop)
        })
    }

    fn deliveries_of(&self, account: AccountId, channel: Option<Channel>, limit: u32) -> R<Vec<Delivery>> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM notification_delivery WHERE billing_account_id = $1 \
             AND ($2::TEXT IS NULL OR channel = $2) ORDER BY notification_delivery_id DESC LIMIT $3"
        );
        let limit = i64::from(limit);
        let channel = channel.map(Channel::as_str);
        self.short_read(|c| all(c.query(&sql, &[&account.0, &channel, &limit])?, delivery_row))
    }
}
