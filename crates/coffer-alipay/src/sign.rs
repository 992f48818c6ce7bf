//! The RSA2 string to sign (A.4) and SHA256withRSA signatures over it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256};

use crate::keys::{PrivateKey, PublicKey};

/// Keys left out when the merchant signs a request: only `sign` (requests sign `sign_type` too).
pub const REQUEST_EXCLUDE: &[&str] = &["sign"];

/// Keys left out when verifying a notification or a return (Alipay's `rsaCheckV1`): `sign` and `sign_type`.
pub const NOTIFY_EXCLUDE: &[&str] = &["sign", "sign_type"];

/// Builds the string to sign: drops `exclude`d keys and empty keys or values, sorts by key bytes (stable, so
/// duplicate keys keep their order) and joins the raw, un-encoded `key=value` pairs with `&`.
pub fn sign_content<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)], exclude: &[&str]) -> String {
    let mut kept: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .filter(|(k, v)| !k.is_empty() && !v.is_empty() && !exclude.contains(k))
        .collect();
    // `str`'s ordering is byte order, which is what Java's String sort gives for ASCII keys.
    kept.sort_by(|a, b| a.0.cmp(b.0));
    let pairs: Vec<String> = kept.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join("&")
}

/// Signs the UTF-8 bytes of `content` with SHA256withRSA (RSASSA-PKCS1-v1_5) and returns standard padded
/// Base64 without newlines.
///
/// # Panics
/// Only if the operating system's random generator fails (ring blinds RSA with random numbers).
pub fn sign(key: &PrivateKey, content: &str) -> String {
    let pair = key.pair();
    let mut signature = vec![0u8; pair.public().modulus_len()];
    pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), content.as_bytes(), &mut signature)
        .expect("RSA signing fails only when the system random generator does");
    STANDARD.encode(signature)
}

/// Checks a Base64 SHA256withRSA signature over `content`. Malformed Base64 is simply a failed check.
pub fn verify(key: &PublicKey, content: &str, sign_b64: &str) -> bool {
    let Ok(signature) = STANDARD.decode(sign_b64) else {
        return false;
    };
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key.pkcs1()).verify(content.as_bytes(), &signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excluded_keys_and_empty_values_are_dropped() {
        let params = [("sign", "x"), ("b", ""), ("a", "1"), ("sign_type", "RSA2"), ("", "orphan")];
        assert_eq!(sign_content(&params, REQUEST_EXCLUDE), "a=1&sign_type=RSA2");
        assert_eq!(sign_content(&params, NOTIFY_EXCLUDE), "a=1");
    }

    #[test]
    fn keys_sort_by_bytes_with_upper_case_first() {
        // Alipay's PageExecuteTest: `A=test&a=test`.
        assert_eq!(sign_content(&[("a", "test"), ("A", "test")], &[]), "A=test&a=test");
    }

    #[test]
    fn a_key_that_prefixes_another_sorts_first() {
        // Sorting whole `k=v` strings (as one SDK does) would put `a1=` first since '1' < '='.
        assert_eq!(sign_content(&[("a1", "y"), ("a", "x")], &[]), "a=x&a1=y");
    }

    #[test]
    fn values_are_kept_raw() {
        assert_eq!(sign_content(&[("u", "https://x/?a=1&b=2 c")], &[]), "u=https://x/?a=1&b=2 c");
    }

    #[test]
    fn malformed_base64_does_not_verify() {
        let key = PublicKey::parse(include_str!("../tests/fixtures/app_public_key.pem")).expect("fixture");
        assert!(!verify(&key, "content", "***"));
    }
}
