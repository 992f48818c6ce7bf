//! `coffer alipay verify-notify`: the operator's tool for checking a notification
//! by hand, against the shared test vectors.

use std::io::Write;
use std::process::{Command, Stdio};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../coffer-alipay/tests/fixtures");

fn notification_form() -> String {
    let text = std::fs::read_to_string(format!("{FIXTURES}/generated_vectors.json")).unwrap_or_else(|e| panic!("{e}"));
    let vectors: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let fields = vectors["simulated_notify"]["form_fields"].as_object().cloned().unwrap_or_default();
    let mut form = form_urlencoded_pairs(&fields);
    form.push('\n');
    form
}

/// A minimal x-www-form-urlencoded writer (the CLI test crate has no URL crate).
fn form_urlencoded_pairs(fields: &serde_json::Map<String, serde_json::Value>) -> String {
    let encode = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => (b as char).to_string(),
                b' ' => "+".to_owned(),
                other => format!("%{other:02X}"),
            })
            .collect()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v.as_str().unwrap_or_default())))
        .collect::<Vec<_>>()
        .join("&")
}

fn verify(body: &str) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_coffer"))
        .args(["alipay", "verify-notify", "--alipay-public-key", &format!("{FIXTURES}/sim_alipay_public_key.pem")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    child.stdin.take().map(|mut s| s.write_all(body.as_bytes())).transpose().unwrap_or_else(|e| panic!("{e}"));
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_genuine_notification_verifies_and_exits_zero() {
    let (code, out) = verify(&notification_form());
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("verified:"), "{out}");
}

#[test]
fn a_tampered_notification_does_not_verify_and_exits_one() {
    let form = notification_form();
    let tampered = form.replacen("total_amount=", "total_amount=1", 1);
    assert_ne!(tampered, form);
    let (code, out) = verify(&tampered);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("NOT verified"), "{out}");
}
