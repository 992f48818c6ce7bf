//! The account event feed on SQLite. One writer at a time makes both numberings
//! simple: `seq` is one more than the account's last event, and `event_id`
//! (AUTOINCREMENT) increases in commit order.

use coffer_core::event::{Event, EventKind, EventMoney, NewEvent};
use coffer_core::ids::{AccountId, WorkspaceId};
use coffer_core::time::Timestamp;
use coffer_store::events::{Appended, EventReads, EventWrites};
use coffer_store::StoreResult;
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::map_err;
use crate::rows::{corrupt, currency, from_sql_err, to_sql_err};

type R<T> = StoreResult<T>;

const COLUMNS: &str = "event_id, seq, billing_account_id, kind, workspace_id, subject_id, amount_minor, currency, \
     until_ms, occurred_at_ms, dedup_key";

fn event_row(r: &Row<'_>) -> rusqlite::Result<Event> {
    let kind: String = r.get(3)?;
    let workspace: Option<String> = r.get(4)?;
    let amount_minor: Option<i64> = r.get(6)?;
    let code: Option<String> = r.get(7)?;
    let amount = match (amount_minor, code) {
        (Some(minor), Some(code)) => Some(EventMoney { minor, currency: currency(&code).map_err(to_sql_err)? }),
        _ => None,
    };
    Ok(Event {
        id: r.get(0)?,
        seq: r.get(1)?,
        event: NewEvent {
            account_id: AccountId(r.get(2)?),
            kind: EventKind::parse(&kind).ok_or_else(|| to_sql_err(corrupt("event kind", &kind)))?,
            workspace_id: workspace
                .map(|w| WorkspaceId::parse(&w).map_err(|_| to_sql_err(corrupt("workspace id", &w))))
                .transpose()?,
            subject_id: r.get(5)?,
            amount,
            until: r.get::<_, Option<i64>>(8)?.map(Timestamp),
            occurred_at: Timestamp(r.get(9)?),
            dedup_key: r.get(10)?,
        },
    })
}

fn collect(c: &Connection, sql: &str, p: impl rusqlite::Params) -> R<Vec<Event>> {
    let mut stmt = c.prepare_cached(sql).map_err(map_err)?;
    let rows = stmt.query_map(p, event_row).map_err(from_sql_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(from_sql_err)
}

pub(crate) fn events_after(c: &Connection, account: AccountId, after_seq: i64, limit: u32) -> R<Vec<Event>> {
    let sql =
        format!("SELECT {COLUMNS} FROM account_event WHERE billing_account_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3");
    collect(c, &sql, params![account.0, after_seq, limit])
}

pub(crate) fn events_since(c: &Connection, after_id: i64, limit: u32) -> R<Vec<Event>> {
    let sql = format!("SELECT {COLUMNS} FROM account_event WHERE event_id > ?1 ORDER BY event_id LIMIT ?2");
    collect(c, &sql, params![after_id, limit])
}

fn existing(c: &Connection, account: AccountId, dedup_key: &str) -> R<Option<(i64, i64)>> {
    let sql = "SELECT event_id, seq FROM account_event WHERE billing_account_id = ?1 AND dedup_key = ?2";
    crate::cached_row(c, sql, params![account.0, dedup_key], |r| Ok((r.get(0)?, r.get(1)?))).optional().map_err(map_err)
}

pub(crate) fn append_event(c: &Connection, n: &NewEvent) -> R<Appended> {
    if let Some((id, seq)) = existing(c, n.account_id, &n.dedup_key)? {
        return Ok(Appended::AlreadyThere { id, seq });
    }
    let last = "SELECT COALESCE(MAX(seq), 0) FROM account_event WHERE billing_account_id = ?1";
    let last: i64 = crate::cached_row(c, last, [n.account_id.0], |r| r.get(0)).map_err(map_err)?;
    let seq = last + 1;
    let sql = "INSERT INTO account_event (billing_account_id, seq, kind, workspace_id, subject_id, amount_minor, \
               currency, until_ms, occurred_at_ms, dedup_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
    let p = params![
        n.account_id.0,
        seq,
        n.kind.as_str(),
        n.workspace_id.as_ref().map(|w| w.as_str()),
        n.subject_id,
        n.amount.map(|a| a.minor),
        n.amount.map(|a| a.currency.code()),
        n.until.map(|t| t.0),
        n.occurred_at.0,
        n.dedup_key,
    ];
    c.prepare_cached(sql).and_then(|mut s| s.execute(p)).map_err(map_err)?;
    Ok(Appended::New { id: c.last_insert_rowid(), seq })
}

macro_rules! impl_events {
    ($ty:ty) => {
        impl EventReads for $ty {
            fn events_after(&mut self, account: AccountId, after_seq: i64, limit: u32) -> R<Vec<Event>> {
                events_after(self.conn(), account, after_seq, limit)
            }
            fn events_since(&mut self, after_id: i64, limit: u32) -> R<Vec<Event>> {
                events_since(self.conn(), after_id, limit)
            }
        }
    };
}

impl_events!(crate::ReadView<'_>);
impl_events!(crate::SqliteWriteTx<'_>);

impl EventWrites for crate::SqliteWriteTx<'_> {
    fn append_event(&mut self, new: &NewEvent) -> R<Appended> {
        append_event(self.conn(), new)
    }
}
