//! Reversing a charge (operator, DOMAIN §8): each deduction goes back to its
//! instrument; an instrument that has since expired gets the money and writes it
//! off again at once.

use coffer_core::card::CardStatus;
use coffer_core::ids::{AccountId, ChargeId};
use coffer_core::lifecycle::{plan_reversal, InstrumentNow};
use coffer_core::planner::Source;
use coffer_core::time::Timestamp;
use coffer_core::voucher::VoucherStatus;
use coffer_store::records::{ChargeRecord, ChargeReversal};
use coffer_store::WriteTx;

use super::charges::charge_not_found;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::idempotency::{self, Replay};
use crate::{input, journal, snapshot, App};

impl App {
    pub fn reverse_charge(&self, account_id: AccountId, id: ChargeId, reason: &str) -> AppResult<ChargeRecord> {
        self.reverse_charge_keyed(account_id, id, reason, None)
    }

    /// `reverse_charge` with an idempotency key. A retry with the same key gets the
    /// reversed charge instead of `charge_already_reversed`, even when the first
    /// call's answer was lost (a crash after the commit) or the retry raced it (the
    /// account's lock orders them).
    pub fn reverse_charge_keyed(
        &self,
        account_id: AccountId,
        id: ChargeId,
        reason: &str,
        idempotency_key: Option<&str>,
    ) -> AppResult<ChargeRecord> {
        let idem = idempotency::parse_key(idempotency_key)?;
        let scope = idempotency::account_scope(account_id.0);
        let fp = idempotency::fingerprint(&["reverse_charge", &id.0.to_string(), reason]);
        let now = self.now();
        self.write(|tx| {
            input::lock_account(tx, account_id)?;
            if let Replay::Saved(_) = idempotency::check(tx, &scope, idem.as_ref(), &fp)? {
                return tx.charge(account_id, id)?.ok_or_else(|| charge_not_found(id));
            }
            let charge = reverse_charge_in_tx(tx, account_id, id, reason, now)?;
            idempotency::remember(tx, &scope, idem.as_ref(), &fp, &format!("charge:{}", id.0), now)?;
            Ok(charge)
        })
    }
}

pub fn reverse_charge_in_tx(
    tx: &mut dyn WriteTx,
    account_id: AccountId,
    id: ChargeId,
    reason: &str,
    now: Timestamp,
) -> AppResult<ChargeRecord> {
    let reason = input::reason("reason", reason)?;
    let mut account = input::lock_account(tx, account_id)?;
    let charge = tx.charge(account_id, id)?.ok_or_else(|| charge_not_found(id))?;
    if charge.reversal.is_some() {
        return Err(AppError::new(ErrorCode::ChargeAlreadyReversed, format!("charge {id} was already reversed")));
    }
    let instruments = instruments_now(tx, account_id, &charge)?;
    let (_, owed) = snapshot::cash_and_owed(tx, &account)?;
    let memo = format!("reversal of charge {id}: {reason}");
    let plan = plan_reversal(&charge.charge.deductions, &instruments, owed, now, &memo);
    let journal_tx_id = journal::post(tx, &mut account, &plan.entry, now)?;
    for source in &plan.revived {
        match *source {
            Source::Voucher(v) => tx.set_voucher_status(account_id, v, VoucherStatus::Active)?,
            Source::Card(c) => tx.set_card_status(account_id, c, CardStatus::Active)?,
            _ => {}
        }
    }
    super::cloud_outbox::on_reversal_in_tx(tx, &mut account, &charge, now)?;
    // Money given back to the arrears line may repay them (DOMAIN §9).
    if owed > 0 {
        super::arrears::after_entry_in_tx(tx, &account, owed, now)?;
    }
    tx.mark_charge_reversed(account_id, id, &ChargeReversal { at: now, journal_tx_id, reason })?;
    tx.charge(account_id, id)?.ok_or_else(|| charge_not_found(id))
}

fn instruments_now(tx: &mut dyn WriteTx, account: AccountId, charge: &ChargeRecord) -> AppResult<Vec<InstrumentNow>> {
    let mut out = Vec::new();
    for d in &charge.charge.deductions {
        match d.source {
            Source::Voucher(v) => {
                if let Some(r) = tx.voucher(account, v)? {
                    let terminal = r.voucher.status.is_terminal();
                    out.push(InstrumentNow { source: d.source, window: r.voucher.window, terminal });
                }
            }
            Source::Card(c) => {
                if let Some(r) = tx.card(account, c)? {
                    let terminal = r.card.status == CardStatus::Expired;
                    out.push(InstrumentNow { source: d.source, window: r.card.window, terminal });
                }
            }
            _ => {}
        }
    }
    Ok(out)
}
