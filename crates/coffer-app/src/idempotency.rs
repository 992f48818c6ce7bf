//! Idempotency keys. A key is scoped (per billing account, or global for creating
//! accounts) and remembers a fingerprint of the input and a reference to the result.
//! Only successful outcomes are remembered: a rejected request wrote nothing, so
//! retrying it simply runs it again.

use coffer_core::ids::IdempotencyKey;
use coffer_store::records::IdempotencyRecord;
use coffer_store::WriteTx;
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult, ErrorCode};

/// A digest of a request's canonical fields.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part.len().to_string().as_bytes());
        h.update(b":");
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Parses an optional raw key.
pub fn parse_key(raw: Option<&str>) -> AppResult<Option<IdempotencyKey>> {
    raw.map(|k| IdempotencyKey::parse(k).map_err(|e| AppError::invalid("idempotency_key", e))).transpose()
}

/// What a use case should do with a key.
pub enum Replay {
    /// No key, or a new key: run the use case.
    Run,
    /// A known key with the same input: return the saved result.
    Saved(String),
}

/// Looks the key up; a known key with a different fingerprint is a conflict.
pub fn check(tx: &mut dyn WriteTx, scope: &str, key: Option<&IdempotencyKey>, fingerprint: &str) -> AppResult<Replay> {
    let Some(key) = key else {
        return Ok(Replay::Run);
    };
    match tx.idempotency(scope, key.as_str())? {
        None => Ok(Replay::Run),
        Some(saved) if saved.fingerprint == fingerprint => Ok(Replay::Saved(saved.result_ref)),
        Some(_) => Err(AppError::new(
            ErrorCode::IdempotencyConflict,
            "this idempotency key was already used with different input",
        )
        .with_field("idempotency_key")),
    }
}

/// Saves the outcome of a successful run under the key.
pub fn remember(
    tx: &mut dyn WriteTx,
    scope: &str,
    key: Option<&IdempotencyKey>,
    fingerprint: &str,
    result_ref: &str,
    now: coffer_core::time::Timestamp,
) -> AppResult<()> {
    if let Some(key) = key {
        // Another request with this key committed first (only possible where writers
        // are not serialized per scope): roll back and let the caller retry, which
        // then returns that request's saved result.
        let busy = |e: coffer_store::StoreError| match e {
            coffer_store::StoreError::Conflict { .. } => {
                AppError::new(ErrorCode::StoreBusy, "a request with this idempotency key is in flight; retry")
            }
            other => other.into(),
        };
        return tx
            .put_idempotency(&IdempotencyRecord {
                scope: scope.to_owned(),
                key: key.as_str().to_owned(),
                fingerprint: fingerprint.to_owned(),
                result_ref: result_ref.to_owned(),
                created_at: now,
            })
            .map_err(busy);
    }
    Ok(())
}

/// The scope of keys on one billing account.
pub fn account_scope(account_id: i64) -> String {
    format!("account:{account_id}")
}

/// Parses a saved result reference such as "voucher:7".
pub fn ref_id(result_ref: &str, prefix: &str) -> AppResult<i64> {
    result_ref
        .strip_prefix(prefix)
        .and_then(|r| r.strip_prefix(':'))
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| AppError::new(ErrorCode::Internal, format!("unexpected saved result {result_ref:?}")))
}
