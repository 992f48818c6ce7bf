//! The account event feed (docs/EVENTS.md): appending in a use case's transaction,
//! and reading one account's feed or every account's.

use coffer_core::event::{Event, NewEvent};
use coffer_core::ids::AccountId;
use coffer_store::events::Appended;
use coffer_store::WriteTx;

use crate::error::{AppError, AppResult};
use crate::{input, App};

/// The most events one read returns.
pub const MAX_LIMIT: u32 = 1000;

/// One page of an account's feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventPage {
    pub events: Vec<Event>,
    /// The `after` of the next page: the last seq returned, or the `after` asked for
    /// when nothing was newer.
    pub next_after: i64,
}

/// Appends `event` in the caller's transaction; a repeated dedup key appends nothing.
pub fn append_event_in_tx(tx: &mut dyn WriteTx, event: &NewEvent) -> AppResult<Appended> {
    Ok(tx.append_event(event)?)
}

fn check_limit(limit: u32) -> AppResult<u32> {
    if limit == 0 || limit > MAX_LIMIT {
        return Err(AppError::invalid("limit", format!("must be between 1 and {MAX_LIMIT}")));
    }
    Ok(limit)
}

impl App {
    /// The account's events with seq greater than `after_seq`, oldest first.
    pub fn account_events(&self, account: AccountId, after_seq: i64, limit: u32) -> AppResult<EventPage> {
        if after_seq < 0 {
            return Err(AppError::invalid("after", "must be zero or a sequence number"));
        }
        let limit = check_limit(limit)?;
        self.read(|r| {
            input::account(r, account)?;
            let events = r.events_after(account, after_seq, limit)?;
            let next_after = events.last().map_or(after_seq, |e| e.seq);
            Ok(EventPage { events, next_after })
        })
    }

    /// Every account's events with a global id greater than `after_id`: the read of
    /// a dispatcher that keeps one cursor.
    pub fn events_since(&self, after_id: i64, limit: u32) -> AppResult<Vec<Event>> {
        let limit = check_limit(limit)?;
        self.read(|r| Ok(r.events_since(after_id, limit)?))
    }
}

/// `voucher_activated` for a voucher that just became active in `account`.
pub fn voucher_activated_in_tx(
    tx: &mut dyn WriteTx,
    account: &coffer_store::records::AccountRecord,
    voucher: &coffer_store::records::NewVoucher,
    id: coffer_core::ids::VoucherId,
    now: coffer_core::time::Timestamp,
) -> AppResult<()> {
    use coffer_core::event::{EventKind, EventMoney};
    let mut event =
        NewEvent::new(account.account.id, EventKind::VoucherActivated, now, format!("voucher_activated:{id}"));
    event.subject_id = Some(id.to_string());
    event.amount = Some(EventMoney { minor: voucher.face_value.minor(), currency: account.account.currency });
    event.until = voucher.window.until;
    tx.append_event(&event)?;
    Ok(())
}
