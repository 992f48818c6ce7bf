//! Column ↔ core type conversions. Stored text that no longer parses is reported as
//! corruption rather than guessed at.

use coffer_core::account::{transfer_reference, BillingAccount};
use coffer_core::card::{CardOrigin, CardStatus, PrepaidCard};
use coffer_core::ids::{AccountId, CardId, CodeBatchId, VoucherId, WorkspaceId};
use coffer_core::money::{Amount, Currency};
use coffer_core::time::{Timestamp, Window, YearMonth};
use coffer_core::voucher::{Voucher, VoucherKind, VoucherStatus};
use coffer_core::workspace::{CloudProvider, Settlement, Workspace};
use coffer_store::records::{AccountRecord, CardRecord, VoucherOrigin, VoucherRecord};
use coffer_store::{StoreError, StoreResult};
use postgres::types::FromSql;
use postgres::Row;

type R<T> = StoreResult<T>;

pub(crate) fn corrupt(what: &str, value: impl std::fmt::Debug) -> StoreError {
    StoreError::Corrupt(format!("{what}: {value:?}"))
}

/// One column, typed. A type mismatch means the schema and the code disagree.
pub(crate) fn get<'a, T: FromSql<'a>>(r: &'a Row, idx: usize) -> R<T> {
    r.try_get(idx).map_err(|e| corrupt(&format!("column {idx}"), e.to_string()))
}

/// A u32 stored as BIGINT.
pub(crate) fn get_u32(r: &Row, idx: usize) -> R<u32> {
    let v: i64 = get(r, idx)?;
    u32::try_from(v).map_err(|_| corrupt(&format!("column {idx}"), v))
}

pub(crate) fn amount(minor: i64) -> R<Amount> {
    Amount::from_minor(minor).map_err(|_| corrupt("amount", minor))
}

pub(crate) fn currency(text: &str) -> R<Currency> {
    Currency::parse(text).map_err(|_| corrupt("currency", text))
}

pub(crate) fn window(from_ms: i64, until_ms: Option<i64>) -> Window {
    Window { from: Timestamp(from_ms), until: until_ms.map(Timestamp) }
}

pub(crate) const ACCOUNT_COLUMNS: &str =
    "billing_account_id, name, currency, time_zone, arrears_limit_minor, journal_seq, journal_head, created_at_ms";

pub(crate) fn account_row(r: &Row) -> R<AccountRecord> {
    let id = AccountId(get(r, 0)?);
    Ok(AccountRecord {
        account: BillingAccount {
            id,
            name: get(r, 1)?,
            currency: currency(get(r, 2)?)?,
            time_zone: get(r, 3)?,
            arrears_limit_minor: get(r, 4)?,
            transfer_reference: transfer_reference(id),
        },
        journal_seq: get(r, 5)?,
        journal_head: get(r, 6)?,
        created_at: Timestamp(get(r, 7)?),
    })
}

pub(crate) const WORKSPACE_COLUMNS: &str = "workspace_id, billing_account_id, settlement, cloud_provider, \
     cloud_account_id, settlement_changed_in, cloud_subscription_active";

pub(crate) fn workspace_row(r: &Row) -> R<Workspace> {
    let id_text: &str = get(r, 0)?;
    let settlement_text: &str = get(r, 2)?;
    let provider: Option<&str> = get(r, 3)?;
    let cloud_account_id: Option<String> = get(r, 4)?;
    let changed_in: Option<&str> = get(r, 5)?;
    let settlement = match (settlement_text, provider, cloud_account_id) {
        ("billing_center", _, _) => Settlement::BillingCenter,
        ("cloud", Some(p), Some(cloud_account_id)) => Settlement::Cloud {
            provider: CloudProvider::parse(p).ok_or_else(|| corrupt("cloud provider", p))?,
            cloud_account_id,
        },
        (other, _, _) => return Err(corrupt("settlement", other)),
    };
    Ok(Workspace {
        id: WorkspaceId::parse(id_text).map_err(|_| corrupt("workspace id", id_text))?,
        account_id: AccountId(get(r, 1)?),
        settlement,
        settlement_changed_in: changed_in.and_then(YearMonth::parse),
        cloud_subscription_active: get(r, 6)?,
    })
}

pub(crate) const VOUCHER_COLUMNS: &str = "voucher_id, billing_account_id, kind, face_value_minor, status, \
     valid_from_ms, valid_until_ms, activated_at_ms, origin, origin_ref, \
     COALESCE((SELECT balance_minor FROM ledger_account l WHERE l.billing_account_id = voucher.billing_account_id \
     AND l.book = 'voucher' AND l.instrument_id = voucher.voucher_id), 0)";

pub(crate) fn voucher_row(r: &Row) -> R<VoucherRecord> {
    let kind: &str = get(r, 2)?;
    let status: &str = get(r, 4)?;
    let origin: &str = get(r, 8)?;
    let origin_ref: Option<i64> = get(r, 9)?;
    let origin = match (origin, origin_ref) {
        ("direct", _) => VoucherOrigin::Direct,
        ("code", Some(batch)) => VoucherOrigin::Code(CodeBatchId(batch)),
        ("bonus", Some(card)) => VoucherOrigin::Bonus(card),
        (other, _) => return Err(corrupt("voucher origin", other)),
    };
    Ok(VoucherRecord {
        voucher: Voucher {
            id: VoucherId(get(r, 0)?),
            account_id: AccountId(get(r, 1)?),
            kind: VoucherKind::parse(kind).ok_or_else(|| corrupt("voucher kind", kind))?,
            face_value: amount(get(r, 3)?)?,
            status: VoucherStatus::parse(status).ok_or_else(|| corrupt("voucher status", status))?,
            window: window(get(r, 5)?, get(r, 6)?),
            activated_at: Timestamp(get(r, 7)?),
            balance_minor: get(r, 10)?,
        },
        origin,
    })
}

pub(crate) const CARD_COLUMNS: &str = "prepaid_card_id, billing_account_id, face_value_minor, status, \
     valid_from_ms, valid_until_ms, purchased_at_ms, origin, \
     COALESCE((SELECT balance_minor FROM ledger_account l WHERE l.billing_account_id = prepaid_card.billing_account_id \
     AND l.book = 'card' AND l.instrument_id = prepaid_card.prepaid_card_id), 0)";

pub(crate) fn card_row(r: &Row) -> R<CardRecord> {
    let id = CardId(get(r, 0)?);
    let status: &str = get(r, 3)?;
    let origin: &str = get(r, 7)?;
    Ok(CardRecord {
        card: PrepaidCard {
            id,
            account_id: AccountId(get(r, 1)?),
            number: coffer_core::card::card_number(id),
            face_value: amount(get(r, 2)?)?,
            status: CardStatus::parse(status).ok_or_else(|| corrupt("card status", status))?,
            window: window(get(r, 4)?, get(r, 5)?),
            purchased_at: Timestamp(get(r, 6)?),
            origin: CardOrigin::parse(origin).ok_or_else(|| corrupt("card origin", origin))?,
            balance_minor: get(r, 8)?,
        },
    })
}
