//! Alipay's asynchronous notifications and page.pay returns as they arrive over the
//! wire, and the gateway's JSON responses: parsing and RSA2 verification never panic,
//! and no unsigned input is ever accepted.
#![no_main]

use std::sync::OnceLock;

use coffer_alipay::{
    format_yuan, parse_beijing, parse_form, parse_yuan, verified_response, verify_notification_form, verify_return,
    PublicKey,
};
use libfuzzer_sys::fuzz_target;

const SIM_PUBLIC: &str = include_str!("../../crates/coffer-alipay/tests/fixtures/sim_alipay_public_key.pem");

fn key() -> &'static PublicKey {
    static KEY: OnceLock<PublicKey> = OnceLock::new();
    KEY.get_or_init(|| PublicKey::parse(SIM_PUBLIC).unwrap_or_else(|e| panic!("the fixture key parses: {e}")))
}

fuzz_target!(|data: &[u8]| {
    let body = String::from_utf8_lossy(data);
    // A notification's signature covers the fields' values only, so nothing the
    // fuzzer writes can verify unless it reuses a signed body unchanged (the seeds).
    let _ = verify_notification_form(&body, key());
    let fields = parse_form(&body);
    let _ = verify_return(&fields, key());
    for (name, value) in &fields {
        // The parsers that run on verified fields, reached here without a signature.
        if let Some(minor) = parse_yuan(value) {
            assert_eq!(parse_yuan(&format_yuan(minor)), Some(minor), "{name}={value:?} does not round-trip");
        }
        if let Some(ms) = parse_beijing(value) {
            assert_eq!(coffer_alipay::format_beijing(ms), *value, "{name}={value:?} does not round-trip");
        }
    }
    let _ = verified_response(&body, "alipay.trade.query", key());
    let _ = PublicKey::parse(&body);
});
