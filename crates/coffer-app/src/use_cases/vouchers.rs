//! Vouchers an operator activates directly into an account, and revocation.

use coffer_core::ids::{AccountId, VoucherId};
use coffer_core::journal::EntryKind;
use coffer_core::lifecycle::{voucher_activation_entry, write_off_entry};
use coffer_core::planner::Source;
use coffer_core::time::{Timestamp, Window};
use coffer_core::voucher::{VoucherKind, VoucherStatus, VoucherValidity};
use coffer_store::records::{NewVoucher, VoucherOrigin, VoucherRecord};
use coffer_store::WriteTx;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::idempotency::{self, Replay};
use crate::{input, journal, App};

/// A validity as entered: a fixed window (instants) or a number of days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValidityInput {
    Window { from: Timestamp, until: Option<Timestamp> },
    Days(u32),
}

impl ValidityInput {
    pub fn parse(self) -> AppResult<VoucherValidity> {
        let validity = match self {
            ValidityInput::Window { from, until } => VoucherValidity::Fixed(Window { from, until }),
            ValidityInput::Days(days) => VoucherValidity::DaysFromActivation(days),
        };
        validity.check().map_err(|e| match e {
            coffer_core::voucher::ValidityError::EmptyWindow => {
                AppError::invalid("valid_until", "must be later than valid_from")
            }
            coffer_core::voucher::ValidityError::DaysOutOfRange => {
                AppError::invalid("valid_days", format!("must be 1 to {}", VoucherValidity::DAYS_MAX))
            }
        })?;
        Ok(validity)
    }

    /// Builds a validity from its entered parts: either `days`, or `from` and/or
    /// `until` as inclusive civil dates in `time_zone` (a missing `from` means now,
    /// a missing `until` means no expiry).
    pub fn from_parts(
        days: Option<u32>,
        from: Option<&str>,
        until: Option<&str>,
        time_zone: &str,
        now: Timestamp,
    ) -> AppResult<ValidityInput> {
        match (days, from, until) {
            (Some(days), None, None) => Ok(ValidityInput::Days(days)),
            (Some(_), _, _) => Err(AppError::invalid("valid_days", "give either valid_days or valid_from/valid_until")),
            (None, None, None) => {
                Err(AppError::invalid("valid_days", "a validity is required: valid_days or valid_until"))
            }
            (None, from, until) => {
                let zone = crate::tz::zone(time_zone)?;
                let from = match from {
                    Some(d) => crate::tz::start_of_day(input::date("valid_from", d)?, &zone)?,
                    None => now,
                };
                let until = until
                    .map(|d| input::date("valid_until", d).and_then(|d| crate::tz::end_of_day(d, &zone)))
                    .transpose()?;
                Ok(ValidityInput::Window { from, until })
            }
        }
    }

    fn describe(self) -> String {
        match self {
            ValidityInput::Window { from, until } => format!("{}-{:?}", from.0, until.map(|t| t.0)),
            ValidityInput::Days(d) => format!("{d}d"),
        }
    }
}

pub struct IssueVoucher<'a> {
    pub account_id: AccountId,
    /// "standard" or "discount".
    pub kind: &'a str,
    pub face_value_minor: i64,
    pub currency: &'a str,
    pub validity: ValidityInput,
    pub idempotency_key: Option<&'a str>,
}

pub(crate) fn voucher_not_found(id: VoucherId) -> AppError {
    AppError::new(ErrorCode::VoucherNotFound, format!("voucher {id} not found")).with_field("voucher_id")
}

pub(crate) fn kind(raw: &str) -> AppResult<VoucherKind> {
    VoucherKind::parse(raw).ok_or_else(|| AppError::invalid("kind", "must be standard or discount"))
}

impl App {
    /// Operator direct activation (DOMAIN §5).
    pub fn issue_voucher(&self, req: &IssueVoucher<'_>) -> AppResult<VoucherRecord> {
        let now = self.now();
        self.write(|tx| issue_voucher_in_tx(tx, req, now))
    }

    pub fn revoke_voucher(&self, account_id: AccountId, id: VoucherId, reason: &str) -> AppResult<VoucherRecord> {
        let now = self.now();
        self.write(|tx| revoke_voucher_in_tx(tx, account_id, id, reason, now))
    }

    pub fn vouchers(&self, account_id: AccountId, status: Option<&str>) -> AppResult<Vec<VoucherRecord>> {
        let status = status
            .map(|s| VoucherStatus::parse(s).ok_or_else(|| AppError::invalid("status", "unknown voucher status")))
            .transpose()?;
        self.read(|r| {
            input::account(r, account_id)?;
            Ok(r.vouchers_of(account_id, status)?)
        })
    }
}

pub fn issue_voucher_in_tx(tx: &mut dyn WriteTx, req: &IssueVoucher<'_>, now: Timestamp) -> AppResult<VoucherRecord> {
    let kind = kind(req.kind)?;
    let face_value = input::amount("face_value_minor", req.face_value_minor)?;
    let currency = input::currency("currency", req.currency)?;
    let validity = req.validity.parse()?;
    let key = idempotency::parse_key(req.idempotency_key)?;
    let mut account = input::lock_account(tx, req.account_id)?;
    input::same_currency(&account, currency)?;
    let scope = idempotency::account_scope(req.account_id.0);
    let fp = idempotency::fingerprint(&[
        "issue_voucher",
        kind.as_str(),
        &face_value.minor().to_string(),
        &req.validity.describe(),
    ]);
    if let Replay::Saved(r) = idempotency::check(tx, &scope, key.as_ref(), &fp)? {
        let id = VoucherId(idempotency::ref_id(&r, "voucher")?);
        return tx.voucher(req.account_id, id)?.ok_or_else(|| voucher_not_found(id));
    }
    let new = NewVoucher {
        account_id: req.account_id,
        kind,
        face_value,
        window: validity.resolve(now),
        activated_at: now,
        origin: VoucherOrigin::Direct,
    };
    let id = tx.insert_voucher(&new)?;
    let entry =
        voucher_activation_entry(id, face_value, &format!("{} voucher {id} activated by operator", kind.as_str()));
    journal::post(tx, &mut account, &entry, now)?;
    super::events::voucher_activated_in_tx(tx, &account, &new, id, now)?;
    idempotency::remember(tx, &scope, key.as_ref(), &fp, &format!("voucher:{id}"), now)?;
    tx.voucher(req.account_id, id)?.ok_or_else(|| voucher_not_found(id))
}

pub fn revoke_voucher_in_tx(
    tx: &mut dyn WriteTx,
    account_id: AccountId,
    id: VoucherId,
    reason: &str,
    now: Timestamp,
) -> AppResult<VoucherRecord> {
    let reason = input::reason("reason", reason)?;
    let mut account = input::lock_account(tx, account_id)?;
    let record = tx.voucher(account_id, id)?.ok_or_else(|| voucher_not_found(id))?;
    if record.voucher.status.is_terminal() {
        return Err(AppError::new(
            ErrorCode::VoucherNotRevocable,
            format!("voucher {id} is already {}", record.voucher.status.as_str()),
        ));
    }
    let leftover = record.voucher.balance_minor;
    if leftover > 0 {
        let entry = write_off_entry(EntryKind::VoucherRevoked, Source::Voucher(id), leftover, &reason);
        journal::post(tx, &mut account, &entry, now)?;
    }
    tx.set_voucher_status(account_id, id, VoucherStatus::Revoked)?;
    tx.voucher(account_id, id)?.ok_or_else(|| voucher_not_found(id))
}
