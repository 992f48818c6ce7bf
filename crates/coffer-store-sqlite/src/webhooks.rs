//! [`WebhookStore`] on SQLite: webhook endpoints and the notification delivery log,
//! each call its own short transaction.

use coffer_core::ids::AccountId;
use coffer_core::time::Timestamp;
use coffer_store::webhooks::*;
use coffer_store::StoreResult;
use rusqlite::{params, OptionalExtension, Row};

use crate::rows::{corrupt, to_sql_err};
use crate::SqliteStore;

type R<T> = StoreResult<T>;

const ENDPOINT_COLUMNS: &str = "webhook_endpoint_id, billing_account_id, url, secret, kinds, enabled, created_at_ms";

/// Kinds are kept comma-separated; kind names never contain a comma.
pub(crate) fn split_kinds(text: &str) -> Vec<String> {
    text.split(',').filter(|k| !k.is_empty()).map(str::to_owned).collect()
}

fn endpoint_row(r: &Row<'_>) -> rusqlite::Result<WebhookEndpoint> {
    Ok(WebhookEndpoint {
        id: r.get(0)?,
        endpoint: NewWebhookEndpoint {
            account_id: AccountId(r.get(1)?),
            url: r.get(2)?,
            secret: r.get(3)?,
            kinds: split_kinds(&r.get::<_, String>(4)?),
            created_at: Timestamp(r.get(6)?),
        },
        enabled: r.get::<_, i64>(5)? == 1,
    })
}

const DELIVERY_COLUMNS: &str = "notification_delivery_id, billing_account_id, event_id, channel, webhook_endpoint_id, \
     target, state, attempts, last_status, last_error, next_attempt_at_ms, delivered_at_ms, created_at_ms";

fn delivery_row(r: &Row<'_>) -> rusqlite::Result<Delivery> {
    let channel: String = r.get(3)?;
    let state: String = r.get(6)?;
    Ok(Delivery {
        id: r.get(0)?,
        delivery: NewDelivery {
            account_id: AccountId(r.get(1)?),
            event_id: r.get(2)?,
            channel: Channel::parse(&channel).ok_or_else(|| to_sql_err(corrupt("channel", &channel)))?,
            endpoint_id: r.get(4)?,
            target: r.get(5)?,
            created_at: Timestamp(r.get(12)?),
        },
        state: DeliveryState::parse(&state).ok_or_else(|| to_sql_err(corrupt("delivery state", &state)))?,
        attempts: r.get(7)?,
        last_status: r.get(8)?,
        last_error: r.get(9)?,
        next_attempt_at: Timestamp(r.get(10)?),
        delivered_at: r.get::<_, Option<i64>>(11)?.map(Timestamp),
    })
}

impl WebhookStore for SqliteStore {
    fn insert_webhook_endpoint(&self, n: &NewWebhookEndpoint) -> R<i64> {
        self.short_write(|c| {
            c.execute(
                "INSERT INTO webhook_endpoint (billing_account_id, url, secret, kinds, created_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![n.account_id.0, n.url, n.secret, n.kinds.join(","), n.created_at.0],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    fn webhook_endpoint(&self, account: AccountId, id: i64) -> R<Option<WebhookEndpoint>> {
        self.short_read(|c| {
            let sql = format!(
                "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoint WHERE billing_account_id = ?1 AND webhook_endpoint_id = ?2"
            );
            c.query_row(&sql, params![account.0, id], endpoint_row).optional()
        })
    }

    fn webhook_endpoints(&self, account: AccountId) -> R<Vec<WebhookEndpoint>> {
        self.short_read(|c| {
            let sql = format!(
                "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoint WHERE billing_account_id = ?1 ORDER BY webhook_endpoint_id"
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map([account.0], endpoint_row)?;
            rows.collect()
        })
    }

    fn delete_webhook_endpoint(&self, account: AccountId, id: i64) -> R<bool> {
        self.short_write(|c| {
            c.execute(
                "DELETE FROM webhook_endpoint WHERE billing_account_id = ?1 AND webhook_endpoint_id = ?2",
                params![account.0, id],
            )
            .map(|n| n == 1)
        })
    }

    fn set_webhook_enabled(&self, account: AccountId, id: i64, enabled: bool) -> R<bool> {
        self.short_write(|c| {
            c.execute(
                "UPDATE webhook_endpoint SET enabled = ?3 WHERE billing_account_id = ?1 AND webhook_endpoint_id = ?2",
                params![account.0, id, i64::from(enabled)],
            )
            .map(|n| n == 1)
        })
    }

    fn insert_delivery(&self, n: &NewDelivery) -> R<bool> {
        self.short_write(|c| {
            c.execute(
                "INSERT INTO notification_delivery (billing_account_id, event_id, channel, webhook_endpoint_id, target, \
                 state, next_attempt_at_ms, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6) \
                 ON CONFLICT (channel, event_id, target) DO NOTHING",
                params![n.account_id.0, n.event_id, n.channel.as_str(), n.endpoint_id, n.target, n.created_at.0],
            )
            .map(|n| n == 1)
        })
    }

    fn deliveries_due(&self, channel: Channel, now: Timestamp, limit: u32) -> R<Vec<Delivery>> {
        self.short_read(|c| {
            let sql = format!(
                "SELECT {DELIVERY_COLUMNS} FROM notification_delivery WHERE channel = ?1 AND state = 'pending' \
                 AND next_attempt_at_ms <= ?2 ORDER BY next_attempt_at_ms, notification_delivery_id LIMIT ?3"
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(params![channel.as_str(), now.0, limit], delivery_row)?;
            rows.collect()
        })
    }

    fn record_attempt(&self, id: i64, result: &AttemptResult) -> R<()> {
        self.short_write(|c| {
            match result {
                AttemptResult::Delivered { status, at } => c.execute(
                    "UPDATE notification_delivery SET state = 'delivered', attempts = attempts + 1, last_status = ?2, \
                     last_error = NULL, delivered_at_ms = ?3 WHERE notification_delivery_id = ?1 AND state = 'pending'",
                    params![id, status, at.0],
                ),
                AttemptResult::Retry { status, error, next_attempt_at } => c.execute(
                    "UPDATE notification_delivery SET attempts = attempts + 1, last_status = ?2, last_error = ?3, \
                     next_attempt_at_ms = ?4 WHERE notification_delivery_id = ?1 AND state = 'pending'",
                    params![id, status, error, next_attempt_at.0],
                ),
                AttemptResult::GaveUp { status, error } => c.execute(
                    "UPDATE notification_delivery SET state = 'failed', attempts = attempts + 1, last_status = ?2, \
                     last_error = ?3 WHERE notification_delivery_id = ?1 AND state = 'pending'",
                    params![id, status, error],
                ),
            }
            .map(drop)
        })
    }

    fn deliveries_of(&self, account: AccountId, channel: Option<Channel>, limit: u32) -> R<Vec<Delivery>> {
        self.short_read(|c| {
            let sql = format!(
                "SELECT {DELIVERY_COLUMNS} FROM notification_delivery WHERE billing_account_id = ?1 \
                 AND (?2 IS NULL OR channel = ?2) ORDER BY notification_delivery_id DESC LIMIT ?3"
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(params![account.0, channel.map(Channel::as_str), limit], delivery_row)?;
            rows.collect()
        })
    }
}
