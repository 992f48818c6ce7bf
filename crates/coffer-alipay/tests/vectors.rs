//! Every vector of `fixtures/generated_vectors.json` (openssl was the oracle), byte for byte.

use coffer_alipay::{
    sign, sign_content, verified_response, verify, verify_notification, verify_notification_form, Client,
    MerchantConfig, Notification, PagePay, Precreate, PrivateKey, PublicKey, TradeStatus, NOTIFY_EXCLUDE,
    REQUEST_EXCLUDE,
};
use serde_json::Value;

const VECTORS: &str = include_str!("fixtures/generated_vectors.json");
const APP_PKCS1: &str = include_str!("fixtures/app_private_key_pkcs1.pem");
const APP_PKCS8: &str = include_str!("fixtures/app_private_key_pkcs8.pem");
const APP_PUBLIC: &str = include_str!("fixtures/app_public_key.pem");
const SIM_PKCS1: &str = include_str!("fixtures/sim_alipay_private_key_pkcs1.pem");
const SIM_PUBLIC: &str = include_str!("fixtures/sim_alipay_public_key.pem");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).expect("vectors JSON")
}

fn text<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter().fold(v, |v, k| &v[k]).as_str().unwrap_or_else(|| panic!("no string at {path:?}"))
}

fn fields(v: &Value) -> Vec<(String, String)> {
    let object = v.as_object().expect("object");
    object.iter().map(|(k, v)| (k.clone(), v.as_str().expect("string").to_owned())).collect()
}

/// The vectors' merchant; `return_url` is deliberately unusual (A.4) and absent from precreate.
fn client(private_key: &str, return_url: &str) -> Client {
    Client::new(MerchantConfig {
        app_id: "2021000000000001".into(),
        seller_id: "2088000000000001".into(),
        gateway_url: "https://openapi.alipay.com/gateway.do".into(),
        notify_url: "https://merchant.example/alipay/notify".into(),
        return_url: return_url.into(),
        app_private_key: PrivateKey::parse(private_key).expect("private key"),
        alipay_public_key: PublicKey::parse(SIM_PUBLIC).expect("public key"),
    })
}

fn page_pay_order() -> PagePay {
    PagePay {
        out_trade_no: "TOPUP20240102000001".into(),
        total_amount_minor: 8888,
        subject: "钱包充值 Wallet top-up".into(),
        time_expire: None,
    }
}

#[test]
fn the_page_pay_string_to_sign_and_signature_match_openssl() {
    let v = vectors();
    let content = sign_content(&fields(&v["page_pay_request"]["params_without_sign"]), REQUEST_EXCLUDE);
    assert_eq!(content, text(&v, &["page_pay_request", "string_to_sign"]));
    let key = PrivateKey::parse(APP_PKCS1).expect("key");
    assert_eq!(sign(&key, &content), text(&v, &["page_pay_request", "sign"]));
    let public = PublicKey::parse(APP_PUBLIC).expect("public key");
    assert!(verify(&public, &content, text(&v, &["page_pay_request", "sign"])));
}

#[test]
fn the_page_pay_url_matches_the_vector_byte_for_byte() {
    let url = client(APP_PKCS1, "https://merchant.example/topup/return?x=1&y=2")
        .page_pay_url(&page_pay_order(), "2024-01-02 03:04:05");
    assert_eq!(url, text(&vectors(), &["page_pay_request", "gateway_get_url"]));
}

#[test]
fn the_precreate_form_matches_the_vector_byte_for_byte() {
    let v = vectors();
    let content = sign_content(&fields(&v["precreate_request"]["params_without_sign"]), REQUEST_EXCLUDE);
    assert_eq!(content, text(&v, &["precreate_request", "string_to_sign"]));
    let order = Precreate {
        out_trade_no: "TOPUP20240102000002".into(),
        total_amount_minor: 1,
        subject: "Wallet top-up".into(),
        timeout_express: Some("15m".into()),
        time_expire: None,
    };
    let c = client(APP_PKCS8, "");
    assert_eq!(c.precreate_form(&order, "2024-01-02 03:04:05"), text(&v, &["precreate_request", "form_body"]));
}

#[test]
fn pkcs1_and_pkcs8_pem_and_bare_base64_keys_sign_identically() {
    let content = text(&vectors(), &["page_pay_request", "string_to_sign"]).to_owned();
    let bare = |pem: &str| pem.lines().filter(|l| !l.starts_with("-----")).collect::<Vec<_>>().join("");
    let forms = [
        APP_PKCS1.to_owned(),
        APP_PKCS8.to_owned(),
        bare(APP_PKCS1),
        bare(APP_PKCS8),
        format!("  {}\n", bare(APP_PKCS8)),
    ];
    let signatures: Vec<String> =
        forms.iter().map(|f| sign(&PrivateKey::parse(f).expect("key form"), &content)).collect();
    assert!(signatures.iter().all(|s| s == text(&vectors(), &["page_pay_request", "sign"])));
}

#[test]
fn a_bare_base64_public_key_parses_like_the_pem() {
    let bare: String = APP_PUBLIC.lines().filter(|l| !l.starts_with("-----")).collect();
    assert_eq!(PublicKey::parse(&bare), PublicKey::parse(APP_PUBLIC));
    assert_eq!(PrivateKey::parse(APP_PKCS1).expect("key").public_key(), PublicKey::parse(APP_PUBLIC).expect("pk"));
}

#[test]
fn the_simulated_notification_verifies_with_the_sandbox_public_key() {
    let v = vectors();
    let form = fields(&v["simulated_notify"]["form_fields"]);
    assert_eq!(sign_content(&form, NOTIFY_EXCLUDE), text(&v, &["simulated_notify", "string_to_verify"]));
    let key = PublicKey::parse(SIM_PUBLIC).expect("key");
    let n = verify_notification(&form, &key).expect("verifies");
    assert_eq!(
        (n.out_trade_no.as_str(), n.trade_no.as_str(), n.total_amount_minor, &n.trade_status),
        ("TOPUP20240102000001", "2024010222001400000000000001", 8888, &TradeStatus::TradeSuccess)
    );
    assert_eq!((n.app_id.as_str(), n.seller_id.as_str()), ("2021000000000001", "2088000000000001"));
    assert_eq!(n.notify_id, "2024010200222030507000000000000001");
    assert_eq!(n.gmt_payment.as_deref(), Some("2024-01-02 03:05:07"));
    // The form body lists the same fields in another order; the parsed notification is the same.
    let from_form = verify_notification_form(text(&v, &["simulated_notify", "post_body"]), &key).expect("verifies");
    assert_eq!(Notification { fields: n.fields.clone(), ..from_form }, n);
}

#[test]
fn the_notification_does_not_verify_under_the_v2_rule() {
    // V2 keeps sign_type in the signed string; trade notifications are signed under V1.
    let v = vectors();
    let form = fields(&v["simulated_notify"]["form_fields"]);
    let key = PublicKey::parse(SIM_PUBLIC).expect("key");
    assert!(!verify(
        &key,
        &sign_content(&form, REQUEST_EXCLUDE),
        text(&v, &["simulated_notify", "form_fields", "sign"])
    ));
}

#[test]
fn the_simulated_precreate_response_verifies_over_its_raw_substring() {
    let v = vectors();
    let key = PublicKey::parse(SIM_PUBLIC).expect("key");
    let body = text(&v, &["simulated_precreate_response", "body"]);
    let raw = verified_response(body, "alipay.trade.precreate", &key).expect("verifies");
    assert_eq!(raw, text(&v, &["simulated_precreate_response", "signed_substring"]));
}

#[test]
fn a_typed_round_trip_of_the_vector_response_fails_verification() {
    // Parsing into the fields one needs and serializing them again loses `code` and `msg`.
    let v = vectors();
    let key = PublicKey::parse(SIM_PUBLIC).expect("key");
    let raw = text(&v, &["simulated_precreate_response", "signed_substring"]);
    let sign = text(&v, &["simulated_precreate_response", "body"]).rsplit("\"sign\":\"").next().expect("sign");
    let sign = sign.trim_end_matches("\"}");
    assert!(verify(&key, raw, sign));
    let typed: coffer_alipay::Precreated = serde_json::from_str(raw).expect("fields");
    let again = serde_json::json!({"out_trade_no": typed.out_trade_no, "qr_code": typed.qr_code}).to_string();
    assert!(!verify(&key, &again, sign));
}

#[test]
fn a_value_round_trip_breaks_verification_once_slashes_are_escaped_as_alipay_does() {
    // Surprise: the vector's substring has sorted keys and unescaped slashes, so a serde_json::Value
    // round-trip reproduces it exactly. Real Alipay writes `\/`, which serde_json does not.
    let v = vectors();
    let raw = text(&v, &["simulated_precreate_response", "signed_substring"]);
    let round_trip = |s: &str| serde_json::from_str::<Value>(s).expect("json").to_string();
    assert_eq!(round_trip(raw), raw);
    let escaped = raw.replace('/', "\\/");
    let sim = PrivateKey::parse(SIM_PKCS1).expect("key");
    let sign = sign(&sim, &escaped);
    let body = format!(r#"{{"alipay_trade_precreate_response":{escaped},"sign":"{sign}"}}"#);
    let key = PublicKey::parse(SIM_PUBLIC).expect("key");
    assert_eq!(verified_response(&body, "alipay.trade.precreate", &key), Ok(escaped.as_str()));
    assert!(!verify(&key, &round_trip(&escaped), &sign));
}
