//! The client's server-to-server calls against a canned one-shot HTTP server on 127.0.0.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;

use coffer_alipay::{
    parse_form, sign, sign_content, verify, AlipayError, Client, MerchantConfig, PrivateKey, PublicKey, QueryOutcome,
    TradeStatus, REQUEST_EXCLUDE,
};

const APP_PKCS1: &str = include_str!("fixtures/app_private_key_pkcs1.pem");
const APP_PUBLIC: &str = include_str!("fixtures/app_public_key.pem");
const SIM_PKCS1: &str = include_str!("fixtures/sim_alipay_private_key_pkcs1.pem");
const SIM_PUBLIC: &str = include_str!("fixtures/sim_alipay_public_key.pem");
const TS: &str = "2024-01-02 03:04:05";

/// Answers one request with `status` and `body`; hands back the gateway URL and the request body received.
fn canned(status: u16, body: String) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/gateway.do", listener.local_addr().expect("addr"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let mut reader = BufReader::new(stream);
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("header");
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().expect("length");
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut request = vec![0; length];
        reader.read_exact(&mut request).expect("body");
        let _ = tx.send(String::from_utf8(request).expect("utf-8"));
        let head =
            format!("HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n", body.len());
        let mut stream = reader.into_inner();
        stream.write_all(format!("{head}Connection: close\r\n\r\n{body}").as_bytes()).expect("write");
    });
    (url, rx)
}

fn client(gateway_url: &str) -> Client {
    Client::new(MerchantConfig {
        app_id: "2021000000000001".into(),
        seller_id: "2088000000000001".into(),
        gateway_url: gateway_url.into(),
        notify_url: String::new(),
        return_url: String::new(),
        app_private_key: PrivateKey::parse(APP_PKCS1).expect("key"),
        alipay_public_key: PublicKey::parse(SIM_PUBLIC).expect("key"),
    })
}

/// A query response as Alipay writes it (`\/` escaped, code and msg first), signed with the sandbox key.
fn query_body(out_trade_no: &str) -> String {
    let inner = format!(
        r#"{{"code":"10000","msg":"Success","buyer_logon_id":"a***@b.com","out_trade_no":"{out_trade_no}","send_pay_date":"2024-01-02 03:05:07","total_amount":"88.88","trade_no":"2024010222001400000000000001","trade_status":"TRADE_SUCCESS","store_name":"x\/y"}}"#
    );
    let signature = sign(&PrivateKey::parse(SIM_PKCS1).expect("key"), &inner);
    format!(r#"{{"alipay_trade_query_response":{inner},"sign":"{signature}"}}"#)
}

#[test]
fn a_signed_query_answer_becomes_a_trade() {
    let (url, _) = canned(200, query_body("TOPUP1"));
    let outcome = client(&url).query("TOPUP1", TS).expect("query");
    let expected = QueryOutcome::Trade {
        trade_no: "2024010222001400000000000001".into(),
        trade_status: TradeStatus::TradeSuccess,
        total_amount_minor: 8888,
    };
    assert_eq!(outcome, expected);
}

#[test]
fn the_posted_form_is_signed_over_exactly_what_was_sent() {
    let (url, request) = canned(200, query_body("TOPUP1"));
    client(&url).query("TOPUP1", TS).expect("query");
    let fields = parse_form(&request.recv().expect("request"));
    let signature = fields.iter().find(|(k, _)| k == "sign").map(|(_, v)| v.clone()).expect("sign");
    let content = sign_content(&fields, REQUEST_EXCLUDE);
    assert!(content.contains("sign_type=RSA2"), "requests sign sign_type");
    assert!(verify(&PublicKey::parse(APP_PUBLIC).expect("key"), &content, &signature));
    assert!(fields.iter().any(|(k, v)| k == "biz_content" && v == r#"{"out_trade_no":"TOPUP1"}"#));
}

#[test]
fn a_signed_answer_about_another_order_is_refused() {
    let (url, _) = canned(200, query_body("TOPUP_OTHER"));
    let err = client(&url).query("TOPUP1", TS).expect_err("replayed answer");
    assert_eq!(err, AlipayError::WrongTrade { asked: "TOPUP1".into(), answered: "TOPUP_OTHER".into() });
    assert!(!err.is_transient());
}

#[test]
fn a_gateway_5xx_is_a_transient_error() {
    let (url, _) = canned(502, "<html>bad gateway</html>".into());
    let err = client(&url).close("TOPUP1", TS).expect_err("502");
    assert_eq!(err, AlipayError::HttpStatus(502));
    assert!(err.is_transient());
}

#[test]
fn an_unreachable_gateway_is_a_transient_network_error() {
    let port = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let err = client(&format!("http://127.0.0.1:{port}/gateway.do")).query("TOPUP1", TS).expect_err("refused");
    assert!(matches!(err, AlipayError::Network(_)) && err.is_transient(), "{err:?}");
}

#[test]
fn an_unsigned_not_exist_error_means_no_trade() {
    let body = r#"{"alipay_trade_query_response":{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"}}"#;
    let (url, _) = canned(200, body.into());
    assert_eq!(client(&url).query("TOPUP1", TS), Ok(QueryOutcome::NotExist));
}

#[test]
fn https_gateways_are_supported() {
    // ureq without a TLS backend connects, then fails with "Unknown Scheme"; with one, the handshake fails
    // because this listener hangs up at once.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("https://{}/gateway.do", listener.local_addr().expect("addr"));
    std::thread::spawn(move || drop(listener.accept()));
    let err = client(&url).query("TOPUP1", TS).expect_err("handshake fails");
    assert!(matches!(&err, AlipayError::Network(m) if !m.contains("Unknown Scheme")), "{err:?}");
}
