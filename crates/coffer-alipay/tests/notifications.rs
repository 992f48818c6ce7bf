//! Notification and return verification: the V1 rule, refusals, and property tests.

use coffer_alipay::{
    sign, sign_content, verify_notification, verify_return, NotifyError, PrivateKey, PublicKey, NOTIFY_EXCLUDE,
};
use proptest::prelude::*;

const SIM_PKCS8: &str = include_str!("fixtures/sim_alipay_private_key_pkcs8.pem");
const SIM_PUBLIC: &str = include_str!("fixtures/sim_alipay_public_key.pem");
const VECTORS: &str = include_str!("fixtures/generated_vectors.json");

fn sim_public() -> PublicKey {
    PublicKey::parse(SIM_PUBLIC).expect("key")
}

/// The vector's signed notification, as decoded form fields.
fn signed_notification() -> Vec<(String, String)> {
    let v: serde_json::Value = serde_json::from_str(VECTORS).expect("json");
    let object = v["simulated_notify"]["form_fields"].as_object().expect("fields");
    object.iter().map(|(k, v)| (k.clone(), v.as_str().expect("string").to_owned())).collect()
}

/// Signs `fields` as the sandbox does (V1: sign and sign_type left out) and appends `sign`.
fn sim_signed(mut fields: Vec<(String, String)>) -> Vec<(String, String)> {
    let key = PrivateKey::parse(SIM_PKCS8).expect("key");
    let signature = sign(&key, &sign_content(&fields, NOTIFY_EXCLUDE));
    fields.push(("sign".into(), signature));
    fields
}

fn set(fields: &mut [(String, String)], name: &str, value: &str) {
    fields.iter_mut().filter(|(k, _)| k == name).for_each(|(_, v)| *v = value.to_owned());
}

#[test]
fn sign_type_rsa_is_refused_even_with_a_valid_rsa2_signature() {
    // V1 leaves sign_type out of the signed string, so only an explicit check stops the downgrade label.
    let mut fields = signed_notification();
    set(&mut fields, "sign_type", "RSA");
    assert_eq!(verify_notification(&fields, &sim_public()), Err(NotifyError::UnsupportedSignType("RSA".into())));
}

#[test]
fn a_missing_sign_type_is_refused() {
    let fields: Vec<_> = signed_notification().into_iter().filter(|(k, _)| k != "sign_type").collect();
    assert_eq!(verify_notification(&fields, &sim_public()), Err(NotifyError::MissingField("sign_type")));
}

#[test]
fn a_duplicated_field_is_refused() {
    let mut fields = signed_notification();
    fields.push(("total_amount".into(), "0.01".into()));
    assert_eq!(verify_notification(&fields, &sim_public()), Err(NotifyError::DuplicateField("total_amount".into())));
}

#[test]
fn a_tampered_amount_fails_verification() {
    let mut fields = signed_notification();
    set(&mut fields, "total_amount", "888.80");
    assert_eq!(verify_notification(&fields, &sim_public()), Err(NotifyError::BadSignature));
}

#[test]
fn a_notification_with_two_fields_glued_into_one_is_refused_although_its_signature_verifies() {
    // Found by the alipay_tamper fuzz target: `gmt_create=…&gmt_payment=…` is also the string to sign of the
    // single field gmt_create = "…&gmt_payment=…", so the glued notification carried a valid signature.
    let mut fields = signed_notification();
    let payment = fields.iter().position(|(k, _)| k == "gmt_payment").expect("gmt_payment");
    let (_, paid_at) = fields.remove(payment);
    fields.iter_mut().filter(|(k, _)| k == "gmt_create").for_each(|(_, v)| *v = format!("{v}&gmt_payment={paid_at}"));
    assert_eq!(verify_notification(&fields, &sim_public()), Err(NotifyError::AmbiguousField("gmt_create".into())));
}

#[test]
fn a_notification_with_an_unnamed_field_is_refused() {
    // Found by the alipay_tamper fuzz target: the string to sign leaves nameless fields out, so one could be
    // added to a signed notification and still verify.
    let mut fields = signed_notification();
    fields.insert(0, (String::new(), "unsigned".into()));
    assert_eq!(verify_notification(&fields, &sim_public()), Err(NotifyError::UnnamedField));
}

#[test]
fn a_signed_value_with_a_lone_ampersand_still_verifies() {
    let mut fields: Vec<_> = signed_notification().into_iter().filter(|(k, _)| k != "sign").collect();
    set(&mut fields, "subject", "Tea & cake");
    assert!(verify_notification(&sim_signed(fields), &sim_public()).is_ok());
}

#[test]
fn a_notification_signed_by_another_key_fails_verification() {
    let app_public = PublicKey::parse(include_str!("fixtures/app_public_key.pem")).expect("key");
    assert_eq!(verify_notification(&signed_notification(), &app_public), Err(NotifyError::BadSignature));
}

#[test]
fn a_signed_but_malformed_amount_is_refused() {
    for bad in ["1.005", "-1", "1e2", " 1", "0.00"] {
        let mut fields: Vec<_> = signed_notification().into_iter().filter(|(k, _)| k != "sign").collect();
        set(&mut fields, "total_amount", bad);
        let result = verify_notification(&sim_signed(fields), &sim_public());
        assert_eq!(result, Err(NotifyError::BadAmount(bad.into())), "{bad:?}");
    }
}

#[test]
fn an_unknown_trade_status_is_kept_and_not_paid() {
    let mut fields: Vec<_> = signed_notification().into_iter().filter(|(k, _)| k != "sign").collect();
    set(&mut fields, "trade_status", "TRADE_PENDING");
    let n = verify_notification(&sim_signed(fields), &sim_public()).expect("verifies");
    assert_eq!(n.trade_status.as_str(), "TRADE_PENDING");
    assert!(!n.trade_status.is_paid());
}

fn return_fields(method: &str) -> Vec<(String, String)> {
    let pairs = [
        ("charset", "utf-8"),
        ("out_trade_no", "TOPUP20240102000001"),
        ("method", method),
        ("total_amount", "88.88"),
        ("trade_no", "2024010222001400000000000001"),
        ("auth_app_id", "2021000000000001"),
        ("version", "1.0"),
        ("app_id", "2021000000000001"),
        ("sign_type", "RSA2"),
        ("seller_id", "2088000000000001"),
        ("timestamp", "2024-01-02 03:05:09"),
    ];
    sim_signed(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
}

#[test]
fn a_signed_return_verifies_and_carries_no_trade_status() {
    let r = verify_return(&return_fields("alipay.trade.page.pay.return"), &sim_public()).expect("verifies");
    assert_eq!((r.out_trade_no.as_str(), r.total_amount_minor), ("TOPUP20240102000001", 8888));
    assert_eq!(r.timestamp, "2024-01-02 03:05:09");
}

#[test]
fn a_return_with_another_method_is_refused() {
    let result = verify_return(&return_fields("alipay.trade.page.pay"), &sim_public());
    assert_eq!(result, Err(NotifyError::WrongMethod("alipay.trade.page.pay".into())));
}

proptest! {
    #[test]
    fn sign_content_does_not_depend_on_input_order(
        (original, shuffled) in proptest::collection::btree_map("[A-Za-z_][A-Za-z0-9_]{0,8}", ".{0,12}", 0..12)
            .prop_flat_map(|map| {
                let pairs: Vec<(String, String)> = map.into_iter().collect();
                (Just(pairs.clone()), Just(pairs).prop_shuffle())
            })
    ) {
        prop_assert_eq!(sign_content(&original, NOTIFY_EXCLUDE), sign_content(&shuffled, NOTIFY_EXCLUDE));
    }

    #[test]
    fn changing_any_one_field_of_a_signed_notification_fails_verification(
        index in 0usize..23, value in ".{0,40}"
    ) {
        let mut fields = signed_notification();
        let index = index % fields.len();
        prop_assume!(fields[index].1 != value);
        fields[index].1 = value;
        prop_assert!(verify_notification(&fields, &sim_public()).is_err());
    }

    #[test]
    fn dropping_any_one_field_of_a_signed_notification_fails_verification(index in 0usize..23) {
        let mut fields = signed_notification();
        fields.remove(index % fields.len());
        prop_assert!(verify_notification(&fields, &sim_public()).is_err());
    }

    #[test]
    fn any_sign_type_but_rsa2_is_refused(sign_type in "[A-Za-z0-9]{1,6}") {
        prop_assume!(sign_type != "RSA2");
        let mut fields = signed_notification();
        set(&mut fields, "sign_type", &sign_type);
        prop_assert_eq!(verify_notification(&fields, &sim_public()), Err(NotifyError::UnsupportedSignType(sign_type)));
    }
}
