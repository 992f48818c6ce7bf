use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Checks a Coffer webhook: `timestamp` and `signature` are the `Coffer-Timestamp` and
/// `Coffer-Signature` headers, `body` the raw request body (before any JSON parsing),
/// `now` the receiver's clock in unix seconds. Rejects deliveries more than 5 minutes
/// away from `now`, so a captured request cannot be replayed later.
pub fn verify_webhook(secret: &str, timestamp: &str, signature: &str, body: &[u8], now: i64) -> bool {
    let Ok(sent) = timestamp.parse::<i64>() else { return false };
    if (now - sent).abs() > 300 {
        return false;
    }
    signature.split(',').filter_map(|s| s.trim().strip_prefix("v1=")).any(|hex_sig| {
        let Ok(expected) = hex::decode(hex_sig) else { return false };
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(&expected).is_ok() // compares in constant time
    })
}
