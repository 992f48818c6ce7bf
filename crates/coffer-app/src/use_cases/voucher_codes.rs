//! Activation codes (DOMAIN §5): operators generate batches; customers redeem one
//! code into their account. Codes are stored only as keyed hashes and shown once.
//! Failed attempts are counted and throttled per account and across all accounts
//! (docs/SECURITY.md gives the numbers).

use coffer_core::code::{ActivationCode, CodeFormatError};
use coffer_core::ids::{AccountId, CodeBatchId, VoucherId};
use coffer_core::lifecycle::voucher_activation_entry;
use coffer_core::time::{Timestamp, WindowPosition};
use coffer_store::records::{CodeBatchRecord, CodeStatus, NewCodeBatch, NewVoucher, VoucherOrigin, VoucherRecord};
use coffer_store::{StoreError, WriteTx};

use super::vouchers::{kind, voucher_not_found, ValidityInput};
use crate::codes::{code_hash, random_code};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::idempotency::{self, Replay};
use crate::{input, journal, App};

/// The most codes one batch may hold.
pub const BATCH_MAX: u32 = 10_000;
const HOUR_MS: i64 = 3_600_000;

pub struct GenerateCodes<'a> {
    pub kind: &'a str,
    pub face_value_minor: i64,
    pub currency: &'a str,
    pub validity: ValidityInput,
    pub count: u32,
    pub memo: &'a str,
}

/// A new batch and its plain codes. The codes exist nowhere else: show them once.
pub struct GeneratedCodes {
    pub batch: CodeBatchRecord,
    pub codes: Vec<ActivationCode>,
}

impl App {
    pub fn generate_codes(&self, req: &GenerateCodes<'_>) -> AppResult<GeneratedCodes> {
        let kind = kind(req.kind)?;
        let face_value = input::amount("face_value_minor", req.face_value_minor)?;
        let currency = input::currency("currency", req.currency)?;
        let validity = req.validity.parse()?;
        if req.count == 0 || req.count > BATCH_MAX {
            return Err(AppError::invalid("count", format!("must be 1 to {BATCH_MAX}")));
        }
        let now = self.now();
        let new = NewCodeBatch {
            kind,
            face_value,
            currency,
            validity,
            count: req.count,
            memo: req.memo.trim().to_owned(),
            created_at: now,
        };
        let key = self.config.code_key.clone();
        self.write(|tx| {
            let id = tx.insert_code_batch(&new)?;
            let mut codes = Vec::with_capacity(req.count as usize);
            while codes.len() < req.count as usize {
                let code = random_code();
                match tx.insert_code(id, &code_hash(&key, &code)) {
                    Ok(()) => codes.push(code),
                    // A 75-bit collision is astronomically unlikely; draw again if it happens.
                    Err(StoreError::Conflict { .. }) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(GeneratedCodes { batch: CodeBatchRecord { id, batch: new.clone() }, codes })
        })
    }

    /// Redeems a code into an account. The limits are checked, and a failed attempt
    /// recorded, in the same transaction and under the account's lock as the
    /// redemption itself, so concurrent guesses cannot all slip past the check
    /// before any of them is counted. The failed redemption is undone to a savepoint
    /// and only the attempt is kept.
    pub fn activate_code(&self, account_id: AccountId, code: &str) -> AppResult<VoucherRecord> {
        self.activate_code_keyed(account_id, code, None)
    }

    /// `activate_code` with an idempotency key. A retry with the same key and code
    /// gets the voucher the first call activated, and is not counted as a failed
    /// attempt, even when the first call's answer was lost (a crash after the
    /// commit) or the retry raced it (the account's lock orders them).
    pub fn activate_code_keyed(
        &self,
        account_id: AccountId,
        code: &str,
        idempotency_key: Option<&str>,
    ) -> AppResult<VoucherRecord> {
        let idem = idempotency::parse_key(idempotency_key)?;
        let scope = idempotency::account_scope(account_id.0);
        let fp = idempotency::fingerprint(&["activate_code", code.trim()]);
        let now = self.now();
        let limits = AttemptLimits::of(&self.config);
        let key = self.config.code_key.clone();
        let outcome = self.write(|tx| {
            input::lock_account(tx, account_id)?;
            if let Replay::Saved(r) = idempotency::check(tx, &scope, idem.as_ref(), &fp)? {
                let id = VoucherId(idempotency::ref_id(&r, "voucher")?);
                return Ok(tx.voucher(account_id, id)?.ok_or_else(|| voucher_not_found(id)));
            }
            tx.savepoint()?;
            match activate_code_in_tx(tx, account_id, code, &key, limits, now) {
                Ok(voucher) => {
                    tx.release_savepoint()?;
                    let result_ref = format!("voucher:{}", voucher.voucher.id.0);
                    idempotency::remember(tx, &scope, idem.as_ref(), &fp, &result_ref, now)?;
                    Ok(Ok(voucher))
                }
                Err(e) if counts_as_failed_attempt(e.code) => {
                    tx.rollback_to_savepoint()?;
                    tx.record_failed_attempt(account_id, now)?;
                    Ok(Err(e))
                }
                Err(e) => Err(e),
            }
        })?;
        outcome
    }
}

/// How many failed activation attempts an hour allows: per account, and across all
/// accounts together (the bound on an attacker holding many accounts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttemptLimits {
    pub per_account: u32,
    pub global: u32,
}

impl AttemptLimits {
    pub fn of(config: &crate::AppConfig) -> AttemptLimits {
        AttemptLimits { per_account: config.code_failures_per_hour, global: config.code_failures_per_hour_global }
    }
}

fn counts_as_failed_attempt(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::CodeMalformed
            | ErrorCode::CodeUnknown
            | ErrorCode::CodeAlreadyUsed
            | ErrorCode::CodeExpired
            | ErrorCode::CodeNotYetValid
            | ErrorCode::CurrencyMismatch
    )
}

/// Refuses any attempt, even with a correct code, while either limit is reached:
/// otherwise a throttled guesser would still learn which guess was right.
fn check_attempt_limits(
    tx: &mut dyn WriteTx,
    account_id: AccountId,
    limits: AttemptLimits,
    now: Timestamp,
) -> AppResult<()> {
    let since = Timestamp(now.0 - HOUR_MS);
    if tx.failed_attempts_since(account_id, since)? >= limits.per_account {
        return Err(too_many(format!(
            "too many failed activation attempts on this account; at most {} per hour",
            limits.per_account
        )));
    }
    if tx.failed_attempts_total_since(since)? >= limits.global {
        return Err(too_many(
            "too many failed activation attempts across the Billing Center; try again within the hour",
        ));
    }
    Ok(())
}

fn too_many(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::TooManyAttempts, message).with_field("code")
}

fn code_error(code: ErrorCode, message: impl Into<String>) -> AppError {
    AppError::new(code, message).with_field("code")
}

pub fn activate_code_in_tx(
    tx: &mut dyn WriteTx,
    account_id: AccountId,
    raw_code: &str,
    code_key: &[u8],
    limits: AttemptLimits,
    now: Timestamp,
) -> AppResult<VoucherRecord> {
    let mut account = input::lock_account(tx, account_id)?;
    check_attempt_limits(tx, account_id, limits, now)?;
    let code = ActivationCode::parse(raw_code)
        .map_err(|e: CodeFormatError| code_error(ErrorCode::CodeMalformed, e.to_string()))?;
    let found = tx.code_by_hash(&code_hash(code_key, &code))?;
    let record = found.ok_or_else(|| code_error(ErrorCode::CodeUnknown, "no voucher has this activation code"))?;
    if record.status == CodeStatus::Redeemed {
        return Err(code_error(ErrorCode::CodeAlreadyUsed, "this activation code has already been used"));
    }
    let batch = &record.batch.batch;
    input::same_currency(&account, batch.currency)?;
    match batch.validity.position_at(now) {
        WindowPosition::NotYetValid => {
            return Err(code_error(ErrorCode::CodeNotYetValid, "this voucher is not valid yet"))
        }
        WindowPosition::Expired => return Err(code_error(ErrorCode::CodeExpired, "this voucher has expired")),
        WindowPosition::Inside => {}
    }
    let new = NewVoucher {
        account_id,
        kind: batch.kind,
        face_value: batch.face_value,
        window: batch.validity.resolve(now),
        activated_at: now,
        origin: VoucherOrigin::Code(record.batch.id),
    };
    let id = tx.insert_voucher(&new)?;
    let memo = format!("{} voucher {id} activated by code (batch {})", batch.kind.as_str(), record.batch.id);
    journal::post(tx, &mut account, &voucher_activation_entry(id, batch.face_value, &memo), now)?;
    tx.mark_code_redeemed(record.id, account_id, id, now)?;
    super::events::voucher_activated_in_tx(tx, &account, &new, id, now)?;
    tx.voucher(account_id, id)?.ok_or_else(|| voucher_not_found(VoucherId(id.0)))
}

/// Looks up a batch (operator).
pub fn code_batch(app: &App, id: CodeBatchId) -> AppResult<Option<CodeBatchRecord>> {
    app.read(|r| Ok(r.code_batch(id)?))
}
