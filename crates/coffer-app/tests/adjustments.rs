//! Operator cash adjustments on both engines: small ones apply at once, large ones
//! wait for a second operator (DOMAIN §4, decision 002 item 4).

mod common;

use coffer_app::use_cases::adjustments::{AdjustCash, AdjustmentOutcome};
use coffer_app::{AppResult, ErrorCode};
use coffer_core::ids::AccountId;
use coffer_store::adjustments::{AdjustmentRequest, AdjustmentState};
use common::*;

/// Above the default approval threshold of 10,000.00.
const LARGE: i64 = 2_000_000;

fn adjust(t: &TestApp, a: AccountId, amount_minor: i64, by: &str, key: Option<&str>) -> AppResult<AdjustmentOutcome> {
    t.app.adjust_cash(&AdjustCash {
        account_id: a,
        amount_minor,
        currency: "CNY",
        reason: "goodwill",
        requested_by: by,
        idempotency_key: key,
    })
}

fn pending(t: &TestApp, a: AccountId, amount_minor: i64, by: &str) -> AdjustmentRequest {
    match adjust(t, a, amount_minor, by, None) {
        Ok(AdjustmentOutcome::Pending { request }) => request,
        other => panic!("expected a pending request, got {other:?}"),
    }
}

fn cash(t: &TestApp, a: AccountId) -> i64 {
    t.app.account_overview(a).unwrap_or_else(|e| panic!("{e}")).cash_minor
}

fn code<T: std::fmt::Debug>(r: AppResult<T>) -> ErrorCode {
    r.map(|v| panic!("expected an error, got {v:?}")).unwrap_or_else(|e| e.code)
}

fn an_adjustment_up_to_the_threshold_applies_at_once(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    let threshold = t.app.config.approval_threshold_minor;
    let outcome = adjust(&t, a, threshold, "alice", None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcome.state(), "applied");
    assert_eq!(cash(&t, a), threshold);
    assert!(t.app.adjustment_requests(None, 10).unwrap_or_else(|e| panic!("{e}")).is_empty());
}

fn a_large_adjustment_waits_and_a_second_operator_applies_it(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    let request = pending(&t, a, LARGE, "alice");
    assert_eq!((request.state, request.request.requested_by.as_str()), (AdjustmentState::Pending, "alice"));
    assert_eq!(cash(&t, a), 0, "nothing moves before approval");
    assert_eq!(code(t.app.approve_adjustment(request.id, "alice")), ErrorCode::ApprovalBySameOperator);
    let applied = t.app.approve_adjustment(request.id, "bob").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((applied.state, applied.decided_by.as_deref()), (AdjustmentState::Applied, Some("bob")));
    assert!(applied.journal_tx_id.is_some());
    assert_eq!(cash(&t, a), LARGE);
    assert_eq!(code(t.app.approve_adjustment(request.id, "carol")), ErrorCode::AdjustmentRequestNotPending);
    assert_eq!(cash(&t, a), LARGE, "applied once");
    t.assert_clean();
}

fn a_large_debit_is_rechecked_against_cash_when_approved(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.credit(a, LARGE, "TX1");
    let request = pending(&t, a, -LARGE, "alice");
    t.bind(a, "ws1");
    t.settle("ws1", "b1", "payg", 100).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(code(t.app.approve_adjustment(request.id, "bob")), ErrorCode::InsufficientCash);
    let still = t.app.adjustment_request(request.id).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(still.state, AdjustmentState::Pending, "a refused approval leaves the request pending");
    t.credit(a, 100, "TX2");
    t.app.approve_adjustment(request.id, "bob").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cash(&t, a), 0);
    t.assert_clean();
}

fn a_rejected_request_moves_nothing_and_cannot_be_approved(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    let request = pending(&t, a, LARGE, "alice");
    assert_eq!(code(t.app.reject_adjustment(request.id, "bob", " ")), ErrorCode::Validation);
    let rejected = t.app.reject_adjustment(request.id, "bob", "no ticket").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((rejected.state, rejected.rejection_reason.as_deref()), (AdjustmentState::Rejected, Some("no ticket")));
    assert_eq!(code(t.app.approve_adjustment(request.id, "carol")), ErrorCode::AdjustmentRequestNotPending);
    assert_eq!(cash(&t, a), 0);
    let listed = |state| t.app.adjustment_requests(Some(state), 10).unwrap_or_else(|e| panic!("{e}")).len();
    assert_eq!((listed("pending"), listed("rejected")), (0, 1));
    assert_eq!(code(t.app.adjustment_requests(Some("done"), 10)), ErrorCode::Validation);
    assert_eq!(code(t.app.approve_adjustment(999, "bob")), ErrorCode::AdjustmentRequestNotFound);
}

fn a_repeated_key_returns_the_same_pending_request(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    let first = adjust(&t, a, LARGE, "alice", Some("k-1")).unwrap_or_else(|e| panic!("{e}"));
    let again = adjust(&t, a, LARGE, "alice", Some("k-1")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first, again);
    assert_eq!(t.app.adjustment_requests(None, 10).unwrap_or_else(|e| panic!("{e}")).len(), 1);
    assert_eq!(code(adjust(&t, a, LARGE + 1, "alice", Some("k-1"))), ErrorCode::IdempotencyConflict);
}

fn a_large_debit_beyond_cash_is_refused_when_requested(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    assert_eq!(code(adjust(&t, a, -LARGE, "alice", None)), ErrorCode::InsufficientCash);
    assert_eq!(code(adjust(&t, a, LARGE, " ", None)), ErrorCode::Validation, "the requester is named");
    assert!(t.app.adjustment_requests(None, 10).unwrap_or_else(|e| panic!("{e}")).is_empty());
}

engine_tests!(
    an_adjustment_up_to_the_threshold_applies_at_once,
    a_large_adjustment_waits_and_a_second_operator_applies_it,
    a_large_debit_is_rechecked_against_cash_when_approved,
    a_rejected_request_moves_nothing_and_cannot_be_approved,
    a_repeated_key_returns_the_same_pending_request,
    a_large_debit_beyond_cash_is_refused_when_requested,
);
