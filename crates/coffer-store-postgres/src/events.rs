//! The account event feed on PostgreSQL. Mirrors coffer-store-sqlite's `events`.
//!
//! An identity column hands out ids at insert, not at commit, so two concurrent
//! appenders could commit out of id order and a dispatcher's cursor would skip the
//! later-committed smaller id. Each append therefore first takes a transaction-level
//! advisory lock held until commit: event appends serialize (they are rare next to
//! charges), ids become visible in increasing order, and `MAX(seq) + 1` of the
//! account is read after every earlier appender committed.

use coffer_core::event::{Event, EventKind, EventMoney, NewEvent};
use coffer_core::ids::{AccountId, WorkspaceId};
use coffer_core::time::Timestamp;
use coffer_store::events::{Appended, EventReads, EventWrites};
use coffer_store::StoreResult;
use postgres::Row;

use crate::rows::{corrupt, currency, get};
use crate::Conn;

type R<T> = StoreResult<T>;

/// The advisory lock key serializing event appends ("events" in ASCII).
const EVENT_LOCK: i64 = 0x6576_656e_7473;

const COLUMNS: &str = "event_id, seq, billing_account_id, kind, workspace_id, subject_id, amount_minor, currency, \
     until_ms, occurred_at_ms, dedup_key";

fn event_row(r: &Row) -> R<Event> {
    let kind: &str = get(r, 3)?;
    let workspace: Option<&str> = get(r, 4)?;
    let amount = match (get::<Option<i64>>(r, 6)?, get::<Option<&str>>(r, 7)?) {
        (Some(minor), Some(code)) => Some(EventMoney { minor, currency: currency(code)? }),
        _ => None,
    };
    Ok(Event {
        id: get(r, 0)?,
        seq: get(r, 1)?,
        event: NewEvent {
            account_id: AccountId(get(r, 2)?),
            kind: EventKind::parse(kind).ok_or_else(|| corrupt("event kind", kind))?,
            workspace_id: workspace
                .map(|w| WorkspaceId::parse(w).map_err(|_| corrupt("workspace id", w)))
                .transpose()?,
            subject_id: get(r, 5)?,
            amount,
            until: get::<Option<i64>>(r, 8)?.map(Timestamp),
            occurred_at: Timestamp(get(r, 9)?),
            dedup_key: get(r, 10)?,
        },
    })
}

pub(crate) fn events_after(c: &mut Conn, account: AccountId, after_seq: i64, limit: u32) -> R<Vec<Event>> {
    let sql =
        format!("SELECT {COLUMNS} FROM account_event WHERE billing_account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3");
    c.query(&sql, &[&account.0, &after_seq, &i64::from(limit)])?.iter().map(event_row).collect()
}

pub(crate) fn events_since(c: &mut Conn, after_id: i64, limit: u32) -> R<Vec<Event>> {
    let sql = format!("SELECT {COLUMNS} FROM account_event WHERE event_id > $1 ORDER BY event_id LIMIT $2");
    c.query(&sql, &[&after_id, &i64::from(limit)])?.iter().map(event_row).collect()
}

pub(crate) fn append_event(c: &mut Conn, n: &NewEvent) -> R<Appended> {
    c.execute("SELECT pg_advisory_xact_lock($1)", &[&EVENT_LOCK])?;
    let existing = "SELECT event_id, seq FROM account_event WHERE billing_account_id = $1 AND dedup_key = $2";
    if let Some(row) = c.query_opt(existing, &[&n.account_id.0, &n.dedup_key])? {
        return Ok(Appended::AlreadyThere { id: get(&row, 0)?, seq: get(&row, 1)? });
    }
    let sql = "INSERT INTO account_event (billing_account_id, seq, kind, workspace_id, subject_id, amount_minor, \
               currency, until_ms, occurred_at_ms, dedup_key) \
               SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9 \
               FROM account_event WHERE billing_account_id = $1 RETURNING event_id, seq";
    let workspace = n.workspace_id.as_ref().map(|w| w.as_str());
    let minor = n.amount.map(|a| a.minor);
    let code = n.amount.map(|a| a.currency.code());
    let until = n.until.map(|t| t.0);
    let p: crate::conn::Params<'_> = &[
        &n.account_id.0,
        &n.kind.as_str(),
        &workspace,
        &n.subject_id,
        &minor,
        &code,
        &until,
        &n.occurred_at.0,
        &n.dedup_key,
    ];
    let row = c.query_one(sql, p)?;
    Ok(Appended::New { id: get(&row, 0)?, seq: get(&row, 1)? })
}

macro_rules! impl_events {
    ($ty:ty) => {
        impl EventReads for $ty {
            fn events_after(&mut self, account: AccountId, after_seq: i64, limit: u32) -> R<Vec<Event>> {
                self.read(|c| events_after(c, account, after_seq, limit))
            }
            fn events_since(&mut self, after_id: i64, limit: u32) -> R<Vec<Event>> {
                self.read(|c| events_since(c, after_id, limit))
            }
        }
    };
}

impl_events!(crate::ReadView<'_>);
impl_events!(crate::PostgresWriteTx<'_>);

impl EventWrites for crate::PostgresWriteTx<'_> {
    fn append_event(&mut self, new: &NewEvent) -> R<Appended> {
        self.guarded(|c| append_event(c, new))
    }
}
