//! Synchronous gateway responses (A.6): `{"<method>_response":{…},"sign":"…"}`, signed over the raw bytes of the
//! `_response` value, plus the errors a server-to-server call can end in.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::keys::PublicKey;
use crate::sign::verify;

/// Alipay's success code.
pub const CODE_SUCCESS: &str = "10000";

/// A failure reported by Alipay itself (`code` other than `10000`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GatewayError {
    /// Public code: `20000` unavailable, `40002` invalid arguments, `40004` business failed, …
    pub code: String,
    /// Public message, e.g. `Business Failed`.
    #[serde(default)]
    pub msg: String,
    /// Detailed code, e.g. `ACQ.TRADE_NOT_EXIST`, `isv.invalid-signature`.
    #[serde(default)]
    pub sub_code: Option<String>,
    /// Detailed message (often Chinese).
    #[serde(default)]
    pub sub_msg: Option<String>,
}

/// Why a server-to-server call gave no usable answer.
///
/// Every variant leaves the trade's state unknown: never expire or fail an order because of one. The
/// distinction is only how to react: [`AlipayError::is_transient`] errors are retried later, the others need
/// a human (configuration, keys, or someone tampering).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlipayError {
    /// Connection, TLS, timeout or body-reading failure.
    #[error("network error talking to Alipay: {0}")]
    Network(String),
    /// The gateway answered with a non-2xx HTTP status.
    #[error("Alipay answered HTTP {0}")]
    HttpStatus(u16),
    /// Alipay answered with an error code.
    #[error("Alipay error {} {}: {}", .0.code, .0.sub_code.as_deref().unwrap_or("-"), .0.sub_msg.as_deref().unwrap_or(&.0.msg))]
    Gateway(GatewayError),
    /// The response's signature does not verify with Alipay's public key.
    #[error("the response signature does not verify")]
    BadSignature,
    /// A successful response carried no signature.
    #[error("the response is not signed")]
    Unsigned,
    /// A verified response about another order than the one asked about (a replayed answer).
    #[error("asked about {asked}, Alipay's signed answer is about {answered}")]
    WrongTrade {
        /// The `out_trade_no` in the request.
        asked: String,
        /// The `out_trade_no` in the response.
        answered: String,
    },
    /// The body is not the JSON envelope Alipay sends.
    #[error("unexpected response from Alipay: {0}")]
    Malformed(String),
}

impl AlipayError {
    /// Whether retrying later may help: network trouble, 5xx, `20000`/`isp.*` (service unavailable),
    /// `ACQ.SYSTEM_ERROR`, rate limiting (`40005`), and bodies that are not Alipay's (a proxy's error page).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Network(_) | Self::Malformed(_) => true,
            Self::HttpStatus(status) => *status >= 500 || *status == 429,
            Self::Gateway(e) => {
                let sub = e.sub_code.as_deref().unwrap_or("");
                e.code == "20000" || e.code == "40005" || sub == "ACQ.SYSTEM_ERROR" || sub.starts_with("isp.")
            }
            Self::BadSignature | Self::Unsigned | Self::WrongTrade { .. } => false,
        }
    }

    /// The gateway's `sub_code`, when Alipay reported one.
    pub fn sub_code(&self) -> Option<&str> {
        match self {
            Self::Gateway(e) => e.sub_code.as_deref(),
            _ => None,
        }
    }
}

/// The name of the response member for an API method: `alipay.trade.query` → `alipay_trade_query_response`.
pub fn response_key(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

/// Finds `<method>_response` in a gateway body, verifies its signature over the exact raw bytes (re-serialized
/// JSON would differ: Alipay escapes `/` as `\/` and orders keys its own way) and returns those raw bytes when
/// the call succeeded. Unsigned error objects (with `sub_code`) and `error_response` become
/// [`AlipayError::Gateway`] without verification, as Alipay does not always sign errors; a signed error must
/// verify like any response.
pub fn verified_response<'a>(body: &'a str, method: &str, key: &PublicKey) -> Result<&'a str, AlipayError> {
    let members: HashMap<String, &'a RawValue> = serde_json::from_str(body).map_err(malformed)?;
    let sign: Option<String> = match members.get("sign") {
        Some(raw) => Some(serde_json::from_str(raw.get()).map_err(malformed)?),
        None => None,
    };
    let Some(raw) = members.get(&response_key(method)) else {
        return match members.get("error_response") {
            Some(raw) => Err(AlipayError::Gateway(serde_json::from_str(raw.get()).map_err(malformed)?)),
            None => Err(AlipayError::Malformed(format!("no {} in the response", response_key(method)))),
        };
    };
    let raw = raw.get();
    let status: GatewayError = serde_json::from_str(raw).map_err(malformed)?;
    match sign {
        Some(sign) if !verify(key, raw, &sign) => return Err(AlipayError::BadSignature),
        Some(_) => {}
        None if status.sub_code.is_some() => return Err(AlipayError::Gateway(status)),
        None => return Err(AlipayError::Unsigned),
    }
    if status.code == CODE_SUCCESS {
        Ok(raw)
    } else {
        Err(AlipayError::Gateway(status))
    }
}

fn malformed(e: serde_json::Error) -> AlipayError {
    AlipayError::Malformed(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PublicKey {
        PublicKey::parse(include_str!("../tests/fixtures/sim_alipay_public_key.pem")).expect("fixture")
    }

    #[test]
    fn an_unsigned_business_error_is_reported_without_verification() {
        let body = r#"{"alipay_trade_query_response":{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"x"}}"#;
        let err = verified_response(body, "alipay.trade.query", &key()).expect_err("error");
        assert_eq!(err.sub_code(), Some("ACQ.TRADE_NOT_EXIST"));
        assert!(!err.is_transient());
    }

    #[test]
    fn an_error_response_is_a_gateway_error() {
        let body = r#"{"error_response":{"code":"20000","msg":"Service Currently Unavailable","sub_code":"isp.unknow-error"}}"#;
        let err = verified_response(body, "alipay.trade.query", &key()).expect_err("error");
        assert!(matches!(&err, AlipayError::Gateway(e) if e.code == "20000"));
        assert!(err.is_transient());
    }

    #[test]
    fn an_unsigned_success_is_refused() {
        let body = r#"{"alipay_trade_close_response":{"code":"10000","msg":"Success"}}"#;
        assert_eq!(verified_response(body, "alipay.trade.close", &key()), Err(AlipayError::Unsigned));
    }

    #[test]
    fn a_forged_signature_is_refused() {
        let body = r#"{"alipay_trade_close_response":{"code":"10000","msg":"Success"},"sign":"AAAA"}"#;
        assert_eq!(verified_response(body, "alipay.trade.close", &key()), Err(AlipayError::BadSignature));
    }

    #[test]
    fn html_from_a_proxy_is_malformed_and_transient() {
        let err = verified_response("<html>502</html>", "alipay.trade.close", &key()).expect_err("error");
        assert!(matches!(err, AlipayError::Malformed(_)) && err.is_transient());
    }
}
