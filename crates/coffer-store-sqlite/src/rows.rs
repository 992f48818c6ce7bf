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
use coffer_store::StoreError;
use rusqlite::types::{ToSql, ToSqlOutput, ValueRef};
use rusqlite::Row;

pub(crate) fn corrupt(what: &str, value: impl std::fmt::Debug) -> StoreError {
    StoreError::Corrupt(format!("{what}: {value:?}"))
}

/// Wraps a conversion failure so it can travel through rusqlite's row mapping.
pub(crate) fn to_sql_err(e: StoreError) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

/// A SHA-256 hash (64 lowercase hex digits everywhere else in Coffer) as stored:
/// its 32 bytes, half the space. The journal holds two per transaction and a charge
/// one, so this is 64 to 96 bytes per charge. Text that is not 64 lowercase hex
/// digits (Coffer writes none) is stored as it is, so reading gives back exactly
/// what was written. The columns keep their declared TEXT type: a declared type
/// does not bind a value's storage class in SQLite, and retyping would mean
/// rebuilding the tables and their foreign keys (migration 0009).
pub(crate) enum StoredHash<'a> {
    Bytes([u8; 32]),
    Text(&'a str),
}

impl<'a> StoredHash<'a> {
    pub(crate) fn of(text: &'a str) -> StoredHash<'a> {
        let mut bytes = [0_u8; 32];
        let lowercase = text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        match lowercase && hex::decode_to_slice(text, &mut bytes).is_ok() {
            true => StoredHash::Bytes(bytes),
            false => StoredHash::Text(text),
        }
    }
}

impl ToSql for StoredHash<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            StoredHash::Bytes(bytes) => ValueRef::Blob(bytes),
            StoredHash::Text(text) => ValueRef::Text(text.as_bytes()),
        }))
    }
}

/// Reads a hash column written as [`StoredHash`] (or as text before migration
/// 0009) into `into`, as hex digits.
pub(crate) fn read_hash(value: ValueRef<'_>, into: &mut String) -> rusqlite::Result<()> {
    into.clear();
    match value {
        ValueRef::Blob(bytes) => {
            let mut digits = [0_u8; 64];
            match hex::encode_to_slice(bytes, &mut digits).map(|()| std::str::from_utf8(&digits)) {
                Ok(Ok(text)) => into.push_str(text),
                _ => into.push_str(&hex::encode(bytes)),
            }
        }
        ValueRef::Text(_) => into.push_str(value.as_str()?),
        other => return Err(to_sql_err(corrupt("hash", other.data_type()))),
    }
    Ok(())
}

pub(crate) fn hash(r: &Row<'_>, idx: usize) -> rusqlite::Result<String> {
    let mut text = String::with_capacity(64);
    read_hash(r.get_ref(idx)?, &mut text)?;
    Ok(text)
}

pub(crate) fn amount(minor: i64) -> Result<Amount, StoreError> {
    Amount::from_minor(minor).map_err(|_| corrupt("amount", minor))
}

pub(crate) fn currency(text: &str) -> Result<Currency, StoreError> {
    Currency::parse(text).map_err(|_| corrupt("currency", text))
}

pub(crate) fn window(from_ms: i64, until_ms: Option<i64>) -> Window {
    Window { from: Timestamp(from_ms), until: until_ms.map(Timestamp) }
}

pub(crate) const ACCOUNT_COLUMNS: &str =
    "billing_account_id, name, currency, time_zone, arrears_limit_minor, journal_seq, journal_head, created_at_ms";

pub(crate) fn account_row(r: &Row<'_>) -> rusqlite::Result<AccountRecord> {
    let id = AccountId(r.get(0)?);
    let currency_text: String = r.get(2)?;
    Ok(AccountRecord {
        account: BillingAccount {
            id,
            name: r.get(1)?,
            currency: currency(&currency_text).map_err(to_sql_err)?,
            time_zone: r.get(3)?,
            arrears_limit_minor: r.get(4)?,
            transfer_reference: transfer_reference(id),
        },
        journal_seq: r.get(5)?,
        journal_head: hash(r, 6)?,
        created_at: Timestamp(r.get(7)?),
    })
}

pub(crate) const WORKSPACE_COLUMNS: &str = "workspace_id, billing_account_id, settlement, cloud_provider, \
     cloud_account_id, settlement_changed_in, cloud_subscription_active";

pub(crate) fn workspace_row(r: &Row<'_>) -> rusqlite::Result<Workspace> {
    let id_text: String = r.get(0)?;
    let settlement_text: String = r.get(2)?;
    let provider: Option<String> = r.get(3)?;
    let cloud_account_id: Option<String> = r.get(4)?;
    let changed_in: Option<String> = r.get(5)?;
    let settlement = match (settlement_text.as_str(), provider, cloud_account_id) {
        ("billing_center", _, _) => Settlement::BillingCenter,
        ("cloud", Some(p), Some(cloud_account_id)) => Settlement::Cloud {
            provider: CloudProvider::parse(&p).ok_or_else(|| to_sql_err(corrupt("cloud provider", &p)))?,
            cloud_account_id,
        },
        (other, _, _) => return Err(to_sql_err(corrupt("settlement", other))),
    };
    Ok(Workspace {
        id: WorkspaceId::parse(&id_text).map_err(|_| to_sql_err(corrupt("workspace id", &id_text)))?,
        account_id: AccountId(r.get(1)?),
        settlement,
        settlement_changed_in: changed_in.as_deref().and_then(YearMonth::parse),
        cloud_subscription_active: r.get(6)?,
    })
}

pub(crate) const VOUCHER_COLUMNS: &str = "voucher_id, billing_account_id, kind, face_value_minor, status, \
     valid_from_ms, valid_until_ms, activated_at_ms, origin, origin_ref, \
     COALESCE((SELECT balance_minor FROM ledger_account l WHERE l.billing_account_id = voucher.billing_account_id \
     AND l.book = 'voucher' AND l.instrument_id = voucher.voucher_id), 0)";

pub(crate) fn voucher_row(r: &Row<'_>) -> rusqlite::Result<VoucherRecord> {
    let kind: String = r.get(2)?;
    let status: String = r.get(4)?;
    let origin: String = r.get(8)?;
    let origin_ref: Option<i64> = r.get(9)?;
    let origin = match (origin.as_str(), origin_ref) {
        ("direct", _) => VoucherOrigin::Direct,
        ("code", Some(batch)) => VoucherOrigin::Code(CodeBatchId(batch)),
        ("bonus", Some(card)) => VoucherOrigin::Bonus(card),
        (other, _) => return Err(to_sql_err(corrupt("voucher origin", other))),
    };
    Ok(VoucherRecord {
        voucher: Voucher {
            id: VoucherId(r.get(0)?),
            account_id: AccountId(r.get(1)?),
            kind: VoucherKind::parse(&kind).ok_or_else(|| to_sql_err(corrupt("voucher kind", &kind)))?,
            face_value: amount(r.get(3)?).map_err(to_sql_err)?,
            status: VoucherStatus::parse(&status).ok_or_else(|| to_sql_err(corrupt("voucher status", &status)))?,
            window: window(r.get(5)?, r.get(6)?),
            activated_at: Timestamp(r.get(7)?),
            balance_minor: r.get(10)?,
        },
        origin,
    })
}

pub(crate) const CARD_COLUMNS: &str = "prepaid_card_id, billing_account_id, face_value_minor, status, \
     valid_from_ms, valid_until_ms, purchased_at_ms, origin, \
     COALESCE((SELECT balance_minor FROM ledger_account l WHERE l.billing_account_id = prepaid_card.billing_account_id \
     AND l.book = 'card' AND l.instrument_id = prepaid_card.prepaid_card_id), 0)";

pub(crate) fn card_row(r: &Row<'_>) -> rusqlite::Result<CardRecord> {
    let id = CardId(r.get(0)?);
    let status: String = r.get(3)?;
    let origin: String = r.get(7)?;
    Ok(CardRecord {
        card: PrepaidCard {
            id,
            account_id: AccountId(r.get(1)?),
            number: coffer_core::card::card_number(id),
            face_value: amount(r.get(2)?).map_err(to_sql_err)?,
            status: CardStatus::parse(&status).ok_or_else(|| to_sql_err(corrupt("card status", &status)))?,
            window: window(r.get(4)?, r.get(5)?),
            purchased_at: Timestamp(r.get(6)?),
            origin: CardOrigin::parse(&origin).ok_or_else(|| to_sql_err(corrupt("card origin", &origin)))?,
            balance_minor: r.get(8)?,
        },
    })
}

/// Unwraps a conversion error smuggled through rusqlite back into a store error.
pub(crate) fn from_sql_err(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::ToSqlConversionFailure(inner) => match inner.downcast::<StoreError>() {
            Ok(store) => *store,
            Err(other) => StoreError::Backend(other.to_string()),
        },
        other => crate::map_err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_reads_back_exactly_as_written_whether_stored_as_bytes_or_text() {
        let conn = rusqlite::Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        conn.execute_batch("CREATE TABLE t (h TEXT NOT NULL)").unwrap_or_else(|e| panic!("{e}"));
        let lower = "82fc8765ba2861f701ca87d76b2db23d202e6dfa4da2bbfbd19501a8b86cd8bd";
        let upper = lower.to_uppercase();
        for (text, stored_as) in [(lower, "blob"), (upper.as_str(), "text"), ("h1", "text"), ("", "text")] {
            conn.execute("DELETE FROM t", []).unwrap_or_else(|e| panic!("{e}"));
            conn.execute("INSERT INTO t (h) VALUES (?1)", [StoredHash::of(text)]).unwrap_or_else(|e| panic!("{e}"));
            let (back, kind) = conn
                .query_row("SELECT h, typeof(h) FROM t", [], |r| Ok((hash(r, 0)?, r.get::<_, String>(1)?)))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!((back.as_str(), kind.as_str()), (text, stored_as));
        }
    }
}
