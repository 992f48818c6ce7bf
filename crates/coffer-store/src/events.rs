//! The account event feed in the store (docs/EVENTS.md). Events are appended in the
//! writer's transaction, so an event exists exactly when the change it reports was
//! committed.
//!
//! Numbering: `seq` counts 1, 2, 3 … per account without gaps (engines assign it as
//! one more than the account's last event, inside the transaction; writers of one
//! account are serialized, and UNIQUE(account, seq) backs that up). `id` is global
//! and increases in commit order, so a dispatcher reading every account can keep
//! one cursor: engines make event ids visible in id order (SQLite has one writer;
//! PostgreSQL serializes event appends until commit).

use coffer_core::event::{Event, NewEvent};
use coffer_core::ids::AccountId;

use crate::StoreResult;

/// The outcome of an append.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Appended {
    /// A new event, numbered.
    New { id: i64, seq: i64 },
    /// The account already has an event with this dedup key: nothing was written.
    /// `id` and `seq` are the existing event's.
    AlreadyThere { id: i64, seq: i64 },
}

impl Appended {
    pub fn seq(self) -> i64 {
        match self {
            Appended::New { seq, .. } | Appended::AlreadyThere { seq, .. } => seq,
        }
    }
}

/// Reading the feed; available in read views and write transactions.
pub trait EventReads {
    /// One account's events with `seq > after_seq`, in seq order, at most `limit`.
    fn events_after(&mut self, account: AccountId, after_seq: i64, limit: u32) -> StoreResult<Vec<Event>>;
    /// Every account's events with `id > after_id`, in id order, at most `limit`:
    /// the webhook dispatcher's cursor.
    fn events_since(&mut self, after_id: i64, limit: u32) -> StoreResult<Vec<Event>>;
}

/// Appending to the feed, in the caller's write transaction.
pub trait EventWrites {
    /// Numbers and stores `new`, or reports the event already stored under its
    /// (account, dedup key). Bad data (an amount below zero) is a Conflict.
    fn append_event(&mut self, new: &NewEvent) -> StoreResult<Appended>;
}
