//! Starts from a notification Alipay's (sandbox) key signed and changes it as an
//! attacker on the wire could: replace, rename, drop, add or split fields, or flip
//! bytes. Verification must never accept a notification whose meaning changed.
#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use coffer_alipay::{parse_form, verify_notification, PublicKey};
use libfuzzer_sys::fuzz_target;

const SIM_PUBLIC: &str = include_str!("../../crates/coffer-alipay/tests/fixtures/sim_alipay_public_key.pem");
const VECTORS: &str = include_str!("../../crates/coffer-alipay/tests/fixtures/generated_vectors.json");

type Fields = Vec<(String, String)>;

fn key() -> &'static PublicKey {
    static KEY: OnceLock<PublicKey> = OnceLock::new();
    KEY.get_or_init(|| PublicKey::parse(SIM_PUBLIC).unwrap_or_else(|e| panic!("the fixture key parses: {e}")))
}

/// The signed notification of the protocol vectors, as the merchant receives it.
fn signed() -> &'static Fields {
    static FIELDS: OnceLock<Fields> = OnceLock::new();
    FIELDS.get_or_init(|| {
        let vectors: serde_json::Value = serde_json::from_str(VECTORS).unwrap_or_else(|e| panic!("vectors: {e}"));
        let body = vectors["simulated_notify"]["post_body"].as_str().unwrap_or_else(|| panic!("no post_body"));
        let fields = parse_form(body);
        assert!(verify_notification(&fields, key()).is_ok(), "the vector verifies unchanged");
        fields
    })
}

/// What a notification says: every non-empty field but the signature itself. Empty
/// values are not signed and read as absent, so adding or blanking one changes nothing.
fn meaning(fields: &Fields) -> BTreeMap<&str, &str> {
    fields.iter().filter(|(k, v)| k != "sign" && !v.is_empty()).map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Reads the next chunk of fuzz input: a length byte and that many bytes.
fn chunk<'a>(data: &mut &'a [u8]) -> String {
    let Some((&len, rest)) = data.split_first() else {
        return String::new();
    };
    let len = usize::from(len).min(rest.len());
    let (taken, rest) = rest.split_at(len);
    *data = rest;
    String::from_utf8_lossy(taken).into_owned()
}

/// Applies one mutation chosen by the input to the fields.
fn mutate(fields: &mut Fields, data: &mut &[u8]) {
    let Some((&op, rest)) = data.split_first() else {
        return;
    };
    *data = rest;
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    *data = rest;
    let i = usize::from(which) % fields.len().max(1);
    match op % 7 {
        0 => {
            let value = chunk(data);
            if let Some(f) = fields.get_mut(i) {
                f.1 = value;
            }
        }
        1 => {
            let name = chunk(data);
            if let Some(f) = fields.get_mut(i) {
                f.0 = name;
            }
        }
        2 => {
            if i < fields.len() {
                fields.remove(i);
            }
        }
        3 => {
            let name = chunk(data);
            let value = chunk(data);
            fields.insert(i.min(fields.len()), (name, value));
        }
        4 => {
            // Moves the rest of a value into a field of its own, or a whole field into
            // the value before it: the string to sign joins `k=v` pairs with `&`.
            if let Some((name, value)) = fields.get(i).cloned() {
                if let Some((head, tail)) = value.split_once('&') {
                    if let Some((k, v)) = tail.split_once('=') {
                        fields[i] = (name, head.to_owned());
                        fields.push((k.to_owned(), v.to_owned()));
                    }
                }
            }
        }
        5 => {
            let mut sorted: Vec<usize> = (0..fields.len()).collect();
            sorted.sort_by(|&a, &b| fields[a].0.cmp(&fields[b].0));
            if let Some(pos) = sorted.iter().position(|&j| j == i) {
                if let Some(&next) = sorted.get(pos + 1) {
                    let (k, v) = fields[next].clone();
                    fields[i].1 = format!("{}&{k}={v}", fields[i].1);
                    fields.remove(next);
                }
            }
        }
        _ => {
            let Some((&at, rest)) = data.split_first() else {
                return;
            };
            *data = rest;
            if let Some(f) = fields.get_mut(i) {
                let mut bytes = f.1.clone().into_bytes();
                if !bytes.is_empty() {
                    let at = usize::from(at) % bytes.len();
                    bytes[at] ^= 1 << (which % 8);
                }
                f.1 = String::from_utf8_lossy(&bytes).into_owned();
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let original = signed();
    let mut fields = original.clone();
    let mut input = data;
    for _ in 0..4 {
        if input.is_empty() {
            break;
        }
        mutate(&mut fields, &mut input);
    }
    if let Ok(notification) = verify_notification(&fields, key()) {
        assert_eq!(meaning(&fields), meaning(original), "a changed notification verified: {:?}", notification.fields);
    }
});
