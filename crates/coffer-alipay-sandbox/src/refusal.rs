//! Alipay's error vocabulary (public `code`/`msg`, detailed `sub_code`/`sub_msg`).

use serde::Serialize;

/// Why the sandbox refused a request, in Alipay's terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Refusal {
    pub code: &'static str,
    pub msg: &'static str,
    pub sub_code: String,
    pub sub_msg: String,
}

impl Refusal {
    /// `40001`: a required common parameter is absent, e.g. `isv.missing-signature`.
    pub fn missing(what: &str) -> Self {
        Refusal {
            code: "40001",
            msg: "Missing Required Arguments",
            sub_code: format!("isv.missing-{what}"),
            sub_msg: format!("missing {what}"),
        }
    }

    /// `40002`: a common parameter is wrong, e.g. `isv.invalid-signature`.
    pub fn invalid(sub_code: &str, sub_msg: &str) -> Self {
        Refusal { code: "40002", msg: "Invalid Arguments", sub_code: sub_code.into(), sub_msg: sub_msg.into() }
    }

    /// `40004`: the business rules refused, e.g. `ACQ.TRADE_NOT_EXIST`.
    pub fn business(sub_code: &str, sub_msg: &str) -> Self {
        Refusal { code: "40004", msg: "Business Failed", sub_code: sub_code.into(), sub_msg: sub_msg.into() }
    }

    pub fn not_exist() -> Self {
        Self::business("ACQ.TRADE_NOT_EXIST", "交易不存在")
    }

    pub fn invalid_parameter(detail: &str) -> Self {
        Self::business("ACQ.INVALID_PARAMETER", &format!("参数无效 invalid parameter: {detail}"))
    }
}
