//! Webhook signatures. The sender sends
//!
//! ```text
//! Coffer-Timestamp: <unix seconds>
//! Coffer-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
//! ```
//!
//! and a receiver recomputes the HMAC over the raw body, compares in constant time,
//! and rejects timestamps more than [`TOLERANCE_SECS`] away from its clock, so a
//! captured delivery cannot be replayed later. [`verify`] is the reference
//! implementation docs/WEBHOOKS.md shows.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a delivery's timestamp may be from the receiver's clock: 5 minutes.
pub const TOLERANCE_SECS: i64 = 300;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!("any key length"));
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `Coffer-Signature` header value for `body` sent at `timestamp` (unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("v1={}", hex::encode(mac(secret, &timestamp.to_string(), body).finalize().into_bytes()))
}

/// Why a delivery was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyError {
    /// The timestamp header is not a number.
    BadTimestamp,
    /// The timestamp is more than the tolerance away from now (a replay, or a clock far off).
    StaleTimestamp,
    /// No `v1=` signature matches.
    BadSignature,
}

/// Checks a delivery: `timestamp` and `signature` are the header values, `body` the
/// raw request body, `now` the receiver's clock in unix seconds. The signature
/// header may carry several comma-separated `v1=` values (during a secret rotation).
pub fn verify(secret: &str, timestamp: &str, signature: &str, body: &[u8], now: i64) -> Result<(), VerifyError> {
    let sent: i64 = timestamp.trim().parse().map_err(|_| VerifyError::BadTimestamp)?;
    if (now - sent).abs() > TOLERANCE_SECS {
        return Err(VerifyError::StaleTimestamp);
    }
    for candidate in signature.split(',').filter_map(|s| s.trim().strip_prefix("v1=")) {
        let Ok(bytes) = hex::decode(candidate) else { continue };
        // verify_slice compares in constant time.
        if mac(secret, timestamp.trim(), body).verify_slice(&bytes).is_ok() {
            return Ok(());
        }
    }
    Err(VerifyError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_with_its_secret_body_and_a_fresh_timestamp() {
        let sig = sign("whsec_a", 1_000, b"{\"id\":1}");
        assert_eq!(verify("whsec_a", "1000", &sig, b"{\"id\":1}", 1_100), Ok(()));
        assert_eq!(verify("whsec_b", "1000", &sig, b"{\"id\":1}", 1_100), Err(VerifyError::BadSignature));
        assert_eq!(verify("whsec_a", "1000", &sig, b"{\"id\":2}", 1_100), Err(VerifyError::BadSignature));
        assert_eq!(verify("whsec_a", "1001", &sig, b"{\"id\":1}", 1_100), Err(VerifyError::BadSignature));
        assert_eq!(verify("whsec_a", "1000", &sig, b"{\"id\":1}", 1_301), Err(VerifyError::StaleTimestamp));
        assert_eq!(verify("whsec_a", "soon", &sig, b"{\"id\":1}", 1_000), Err(VerifyError::BadTimestamp));
        assert_eq!(verify("whsec_a", "1000", &format!("v1=00, {sig}"), b"{\"id\":1}", 1_000), Ok(()));
    }

    /// A known answer (computed with Python's hmac module), so receivers in other
    /// languages can check their code against docs/WEBHOOKS.md.
    #[test]
    fn the_signature_matches_a_known_answer() {
        assert_eq!(
            sign("whsec_test", 1_764_122_400, b"{\"id\":1}"),
            "v1=114b0f85af0abc3596547d992fb5ec5b4f2c395a7062631bc7009e824ead0b1c"
        );
    }
}
