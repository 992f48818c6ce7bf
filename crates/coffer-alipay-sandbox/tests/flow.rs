//! The merchant's `Client` against the real sandbox router over HTTP: page.pay, scan, pay, notify, return,
//! query, close, precreate and the gateway's refusals.

mod common;

use coffer_alipay::{
    format_beijing, parse_form, Client, CloseOutcome, MerchantConfig, Precreate, PrivateKey, QueryOutcome, TradeStatus,
};
use coffer_alipay_sandbox::demo;
use common::{Harness, MINUTE, RETURN_URL};

fn query(h: &Harness, out_trade_no: &str) -> QueryOutcome {
    h.client.query(out_trade_no, &h.timestamp()).expect("query")
}

fn trade_status(h: &Harness, out_trade_no: &str) -> TradeStatus {
    match query(h, out_trade_no) {
        QueryOutcome::Trade { trade_status, .. } => trade_status,
        QueryOutcome::NotExist => panic!("{out_trade_no} does not exist"),
    }
}

#[test]
fn a_page_pay_is_paid_notified_returned_queried_and_cannot_then_be_closed() {
    let h = Harness::start();
    let order = h.order("TOPUP_FLOW_1");
    let html = h.open_cashier(&order);
    assert!(html.contains("88.88") && html.contains("钱包充值 &lt;top-up&gt;") && html.contains("<svg"));
    assert!(html.contains("Scan and pay") && html.contains("Scan only") && html.contains("Cancel"));
    assert_eq!(query(&h, "TOPUP_FLOW_1"), QueryOutcome::NotExist, "no trade before a scan");

    let (status, location, _) = h.press("pay", "TOPUP_FLOW_1");
    assert_eq!(status, 302);
    let location = location.expect("Location");
    let (base, query_string) = location.split_once('?').expect("query");
    assert_eq!(base, RETURN_URL);
    let returned = h.client.verify_return(&parse_form(query_string)).expect("signed return");
    assert_eq!((returned.out_trade_no.as_str(), returned.total_amount_minor), ("TOPUP_FLOW_1", 8888));

    assert_eq!(h.sandbox.deliver_due(), 1);
    let bodies = h.received();
    let n = h.verify(&bodies[0]).expect("notification verifies");
    assert_eq!(
        (n.out_trade_no.as_str(), n.total_amount_minor, &n.trade_status),
        ("TOPUP_FLOW_1", 8888, &TradeStatus::TradeSuccess)
    );
    assert_eq!(n.trade_no, returned.trade_no);

    let trade = query(&h, "TOPUP_FLOW_1");
    let expected = QueryOutcome::Trade {
        trade_no: n.trade_no.clone(),
        trade_status: TradeStatus::TradeSuccess,
        total_amount_minor: 8888,
    };
    assert_eq!(trade, expected);
    assert_eq!(h.client.close("TOPUP_FLOW_1", &h.timestamp()), Ok(CloseOutcome::StatusError));
    h.advance(60 * MINUTE);
    assert_eq!(h.sandbox.deliver_due(), 0, "answered success: no retry");
}

#[test]
fn scan_only_leaves_a_waiting_trade_that_close_closes() {
    let h = Harness::start();
    h.open_cashier(&h.order("TOPUP_SCAN"));
    let (status, _, html) = h.press("scan", "TOPUP_SCAN");
    assert_eq!(status, 200);
    assert!(html.contains("waiting for payment"));
    assert_eq!(trade_status(&h, "TOPUP_SCAN"), TradeStatus::WaitBuyerPay);
    assert_eq!(h.client.close("TOPUP_SCAN", &h.timestamp()), Ok(CloseOutcome::Closed));
    assert_eq!(trade_status(&h, "TOPUP_SCAN"), TradeStatus::TradeClosed);
    let (status, _, html) = h.press("pay", "TOPUP_SCAN");
    assert_eq!(status, 409);
    assert!(html.contains("ACQ.TRADE_HAS_CLOSE"));
    assert_eq!(h.sandbox.deliver_due(), 0);
}

#[test]
fn closing_a_trade_nobody_scanned_says_it_does_not_exist() {
    let h = Harness::start();
    h.open_cashier(&h.order("TOPUP_UNSCANNED"));
    assert_eq!(h.client.close("TOPUP_UNSCANNED", &h.timestamp()), Ok(CloseOutcome::NotExist));
}

#[test]
fn cancel_shows_cancelled_and_leaves_the_order_unpaid() {
    let h = Harness::start();
    h.open_cashier(&h.order("TOPUP_CANCEL"));
    let (status, _, html) = h.press("cancel", "TOPUP_CANCEL");
    assert!(status == 200 && html.contains("cancelled"));
    assert_eq!(query(&h, "TOPUP_CANCEL"), QueryOutcome::NotExist);
}

#[test]
fn precreate_returns_a_qr_url_whose_scan_creates_the_trade() {
    let h = Harness::start();
    let order = Precreate {
        out_trade_no: "TOPUP_QR".into(),
        total_amount_minor: 1,
        subject: "Wallet top-up".into(),
        timeout_express: Some("15m".into()),
        time_expire: None,
    };
    let form = h.client.precreate_form(&order, &h.timestamp());
    let raw = h.http.post(&format!("{}/gateway.do", h.base_url)).send_string(&form).expect("post");
    assert!(raw.into_string().expect("body").contains(r"http:\/\/127.0.0.1"), "Alipay-style \\/ escaping");
    let created = h.client.precreate(&order, &h.timestamp()).expect("precreate is idempotent while unpaid");
    assert!(created.qr_code.starts_with(&format!("{}/sim/qr/", h.base_url)));
    let wallet = h.http.get(&created.qr_code).call().expect("scan").into_string().expect("html");
    assert!(wallet.contains("0.01") && wallet.contains("Pay"));
    assert_eq!(trade_status(&h, "TOPUP_QR"), TradeStatus::WaitBuyerPay);
    let (status, location, _) = h.press("pay", "TOPUP_QR");
    assert_eq!((status, location), (200, None), "precreate has no return_url");
    assert_eq!(h.sandbox.deliver_due(), 1);
    assert_eq!(h.verify(&h.received()[0]).expect("verifies").total_amount_minor, 1);
}

#[test]
fn asking_again_with_other_details_or_after_payment_is_refused() {
    let h = Harness::start();
    let mut order = h.order("TOPUP_AGAIN");
    h.open_cashier(&order);
    h.open_cashier(&order);
    order.total_amount_minor = 1;
    assert!(h.open_cashier(&order).contains("ACQ.CONTEXT_INCONSISTENT"));
    order.total_amount_minor = 8888;
    h.press("pay", "TOPUP_AGAIN");
    assert!(h.open_cashier(&order).contains("ACQ.TRADE_HAS_SUCCESS"));
}

fn client_with(app_id: &str, private_key_pem: &str, h: &Harness) -> Client {
    let mut config: MerchantConfig = demo::merchant_config(&h.base_url, "", RETURN_URL);
    config.app_id = app_id.into();
    config.app_private_key = PrivateKey::parse(private_key_pem).expect("key");
    Client::new(config)
}

#[test]
fn a_request_signed_with_another_key_is_refused_with_isv_invalid_signature() {
    let h = Harness::start();
    let forger = client_with(demo::APP_ID, demo::SANDBOX_PRIVATE_KEY_PEM, &h);
    let err = forger.query("TOPUP_X", &h.timestamp()).expect_err("refused");
    assert_eq!(err.sub_code(), Some("isv.invalid-signature"));
    assert!(!err.is_transient());
    let url = forger.page_pay_url(&h.order("TOPUP_X"), &h.timestamp());
    let html = h.http.get(&url).call().expect("error page").into_string().expect("html");
    assert!(html.contains("isv.invalid-signature"));
}

#[test]
fn a_tampered_page_pay_url_is_refused() {
    let h = Harness::start();
    let url = h.client.page_pay_url(&h.order("TOPUP_T"), &h.timestamp()).replace("88.88", "0.01");
    let html = h.http.get(&url).call().expect("error page").into_string().expect("html");
    assert!(html.contains("isv.invalid-signature"));
}

#[test]
fn an_unknown_app_id_is_refused() {
    let h = Harness::start();
    let stranger = client_with("2021000000000999", demo::APP_PRIVATE_KEY_PEM, &h);
    let err = stranger.close("TOPUP_X", &h.timestamp()).expect_err("refused");
    assert_eq!(err.sub_code(), Some("isv.invalid-app-id"));
}

#[test]
fn a_malformed_timestamp_is_refused() {
    let h = Harness::start();
    let err = h.client.query("TOPUP_X", "2024/01/02 03:04:05").expect_err("refused");
    assert_eq!(err.sub_code(), Some("isv.invalid-timestamp"));
}

#[test]
fn time_expire_closes_a_waiting_trade_and_stops_an_unscanned_payment() {
    let h = Harness::start();
    for no in ["TOPUP_EXP_SCANNED", "TOPUP_EXP_UNSCANNED"] {
        let mut order = h.order(no);
        order.time_expire = Some(format_beijing(h.now() + 10 * MINUTE));
        h.open_cashier(&order);
    }
    h.press("scan", "TOPUP_EXP_SCANNED");
    h.advance(11 * MINUTE);
    assert_eq!(trade_status(&h, "TOPUP_EXP_SCANNED"), TradeStatus::TradeClosed);
    let (status, _, html) = h.press("pay", "TOPUP_EXP_UNSCANNED");
    assert!(status == 409 && html.contains("TRADE_EXPIRED"));
    assert_eq!(query(&h, "TOPUP_EXP_UNSCANNED"), QueryOutcome::NotExist);
    assert_eq!(h.sandbox.deliver_due(), 0);
}
