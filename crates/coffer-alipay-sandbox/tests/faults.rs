//! Each fault knob produces what it says, seen through the merchant's own verification.

mod common;

use coffer_alipay::{parse_form, verify_notification, AlipayError, NotifyError, QueryOutcome, TradeStatus};
use coffer_alipay_sandbox::{demo, Faults, QueryFailure, FOREIGN_APP_ID, FOREIGN_SELLER_ID};
use common::{Harness, MINUTE};

/// Pays one page.pay order under `faults`, runs one delivery round and returns the bodies received.
fn paid_under(faults: Faults) -> (Harness, Vec<String>) {
    let h = Harness::start();
    h.set_faults(faults);
    h.open_cashier(&h.order("TOPUP_FAULT"));
    assert_eq!(h.press("pay", "TOPUP_FAULT").0, 302);
    h.sandbox.deliver_due();
    let bodies = h.received();
    (h, bodies)
}

fn field(body: &str, name: &str) -> String {
    parse_form(body).into_iter().find(|(k, _)| k == name).map(|(_, v)| v).unwrap_or_default()
}

#[test]
fn duplicate_delivery_sends_the_same_notify_id_twice() {
    let (h, bodies) = paid_under(Faults { duplicate_delivery: true, ..Faults::default() });
    assert_eq!(bodies.len(), 2);
    let (a, b) = (h.verify(&bodies[0]).expect("first"), h.verify(&bodies[1]).expect("second"));
    assert_eq!(a.notify_id, b.notify_id);
    h.advance(24 * 60 * MINUTE);
    assert_eq!(h.sandbox.deliver_due(), 0, "both copies were answered success");
}

#[test]
fn reorder_delivers_trade_finished_before_trade_success() {
    let (h, bodies) = paid_under(Faults { reorder_finished_first: true, ..Faults::default() });
    let notes: Vec<_> = bodies.iter().map(|b| h.verify(b).expect("verifies")).collect();
    let statuses: Vec<_> = notes.iter().map(|n| n.trade_status.clone()).collect();
    assert_eq!(statuses, [TradeStatus::TradeFinished, TradeStatus::TradeSuccess]);
    assert_ne!(notes[0].notify_id, notes[1].notify_id);
    assert!(statuses.iter().all(TradeStatus::is_paid));
}

#[test]
fn a_tampered_amount_fails_verification() {
    let (h, bodies) = paid_under(Faults { tamper_amount: true, ..Faults::default() });
    assert_eq!(field(&bodies[0], "total_amount"), "8888.00");
    assert_eq!(h.verify(&bodies[0]), Err(NotifyError::BadSignature));
}

#[test]
fn a_bad_signature_fails_verification() {
    let (h, bodies) = paid_under(Faults { bad_signature: true, ..Faults::default() });
    assert_eq!(h.verify(&bodies[0]), Err(NotifyError::BadSignature));
}

#[test]
fn a_wrong_app_id_verifies_but_is_not_ours() {
    let (h, bodies) = paid_under(Faults { wrong_app_id: true, ..Faults::default() });
    let key = &h.client.config().alipay_public_key;
    assert!(verify_notification(&parse_form(&bodies[0]), key).is_ok(), "Alipay signed it");
    assert_eq!(h.verify(&bodies[0]), Err(NotifyError::ForeignAppId(FOREIGN_APP_ID.into())));
}

#[test]
fn a_wrong_seller_id_verifies_but_is_not_ours() {
    let (h, bodies) = paid_under(Faults { wrong_seller_id: true, ..Faults::default() });
    assert_eq!(h.verify(&bodies[0]), Err(NotifyError::ForeignSellerId(FOREIGN_SELLER_ID.into())));
}

#[test]
fn sign_type_rsa_is_refused_by_the_merchant() {
    let (h, bodies) = paid_under(Faults { sign_type_rsa: true, ..Faults::default() });
    assert_eq!(field(&bodies[0], "sign_type"), "RSA");
    assert_eq!(h.verify(&bodies[0]), Err(NotifyError::UnsupportedSignType("RSA".into())));
}

#[test]
fn a_lost_notification_is_never_delivered_but_query_still_tells() {
    let (h, bodies) = paid_under(Faults { lose_notifications: true, ..Faults::default() });
    assert!(bodies.is_empty());
    h.advance(2 * 24 * 60 * MINUTE);
    assert_eq!(h.sandbox.deliver_due(), 0);
    assert!(h.sandbox.deliveries().iter().all(|d| d.lost && d.attempts.is_empty()));
    let outcome = h.client.query("TOPUP_FAULT", &h.timestamp()).expect("query");
    assert!(matches!(outcome, QueryOutcome::Trade { trade_status: TradeStatus::TradeSuccess, .. }));
}

#[test]
fn late_payment_lets_the_buyer_pay_after_time_expire() {
    let h = Harness::start();
    let mut order = h.order("TOPUP_LATE");
    order.time_expire = Some(coffer_alipay::format_beijing(h.now() + 5 * MINUTE));
    h.open_cashier(&order);
    h.advance(6 * MINUTE);
    assert_eq!(h.client.query("TOPUP_LATE", &h.timestamp()), Ok(QueryOutcome::NotExist));
    h.set_faults(Faults { late_payment: true, ..Faults::default() });
    assert_eq!(h.press("pay", "TOPUP_LATE").0, 302);
    assert_eq!(h.sandbox.deliver_due(), 1);
    assert_eq!(h.verify(&h.received()[0]).expect("verifies").trade_status, TradeStatus::TradeSuccess);
}

#[test]
fn query_failures_are_transient_errors() {
    let h = Harness::start();
    h.set_faults(Faults { query_failure: Some(QueryFailure::Http500), ..Faults::default() });
    let err = h.client.query("TOPUP_X", &h.timestamp()).expect_err("500");
    assert_eq!(err, AlipayError::HttpStatus(500));
    assert!(err.is_transient());
    h.set_faults(Faults { query_failure: Some(QueryFailure::SystemError), ..Faults::default() });
    let err = h.client.query("TOPUP_X", &h.timestamp()).expect_err("system error");
    assert_eq!(err.sub_code(), Some("ACQ.SYSTEM_ERROR"));
    assert!(err.is_transient());
}

#[test]
fn faults_are_set_over_http_and_unknown_knobs_are_refused() {
    let h = Harness::start();
    let url = format!("{}/sim/control/faults", h.base_url);
    let set = h.http.post(&url).send_json(serde_json::json!({"tamper_amount": true, "query_failure": "system_error"}));
    let echoed: Faults = set.expect("set").into_json().expect("json");
    let expected = Faults { tamper_amount: true, query_failure: Some(QueryFailure::SystemError), ..Faults::default() };
    assert_eq!((echoed, h.sandbox.faults()), (expected.clone(), expected));
    let refused = h.http.post(&url).send_json(serde_json::json!({"tamper": true}));
    assert!(matches!(refused, Err(ureq::Error::Status(400..=499, _))));
}

#[test]
fn trades_are_listed_as_json() {
    let h = Harness::start();
    h.open_cashier(&h.order("TOPUP_LIST"));
    h.press("scan", "TOPUP_LIST");
    let list: serde_json::Value =
        h.http.get(&format!("{}/sim/trades", h.base_url)).call().expect("list").into_json().expect("json");
    assert_eq!(list[0]["out_trade_no"], "TOPUP_LIST");
    assert_eq!(list[0]["trade_status"], "WAIT_BUYER_PAY");
    assert_eq!(list[0]["total_amount"], "88.88");
    assert_eq!(demo::APP_ID, h.client.config().app_id);
}
