//! `GET|POST /gateway.do`: parameters from the query string and the form body, the common checks of A.9
//! (merchant signature with `sign_type` in the signed set, app id, charset, version, timestamp), then the
//! method.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use coffer_alipay::{parse_beijing, parse_form, parse_yuan, sign_content, verify, REQUEST_EXCLUDE};
use serde::Deserialize;

use crate::refusal::Refusal;
use crate::state::Sandbox;
use crate::trades::{NewOrder, Product};
use crate::{api, cashier};

pub(crate) const PAGE_PAY: &str = "alipay.trade.page.pay";
const METHODS: [&str; 4] = [PAGE_PAY, api::PRECREATE, api::QUERY, api::CLOSE];

/// A request that passed the common checks.
pub(crate) struct Request {
    pub biz: Biz,
    pub notify_url: Option<String>,
    pub return_url: Option<String>,
}

/// The `biz_content` fields the sandbox understands; others are ignored, as Alipay ignores unknown ones.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Biz {
    pub out_trade_no: Option<String>,
    pub trade_no: Option<String>,
    pub total_amount: Option<String>,
    pub subject: Option<String>,
    pub product_code: Option<String>,
    pub time_expire: Option<String>,
    pub timeout_express: Option<String>,
}

pub(crate) async fn gateway(State(sandbox): State<Sandbox>, RawQuery(query): RawQuery, body: Bytes) -> Response {
    let mut params = parse_form(query.as_deref().unwrap_or(""));
    params.extend(parse_form(&String::from_utf8_lossy(&body)));
    let method = param(&params, "method").unwrap_or_default().to_owned();
    let checked = check(&sandbox, &params);
    match (method.as_str(), checked) {
        (PAGE_PAY, Ok(req)) => cashier::page_pay(&sandbox, req),
        (PAGE_PAY, Err(refusal)) => cashier::error_page(&refusal),
        (api::PRECREATE, Ok(req)) => api::precreate(&sandbox, req),
        (api::QUERY, Ok(req)) => api::query(&sandbox, req),
        (api::CLOSE, Ok(req)) => api::close(&sandbox, req),
        (_, Ok(_)) => api::error_response(&Refusal::invalid("isv.invalid-method", "不存在的方法名")),
        (_, Err(refusal)) => api::error_response(&refusal),
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.as_str())
}

fn check(sandbox: &Sandbox, params: &[(String, String)]) -> Result<Request, Refusal> {
    if let Some((k, _)) = params.iter().enumerate().find(|(i, (k, _))| params[..*i].iter().any(|(p, _)| p == k)) {
        return Err(Refusal::invalid("isv.invalid-parameter", &format!("duplicate parameter {k}")));
    }
    let required = |name: &str, what: &str| param(params, name).ok_or_else(|| Refusal::missing(what));
    let app_id = required("app_id", "app-id")?;
    let method = required("method", "method")?;
    let charset = required("charset", "charset")?;
    let sign_type = required("sign_type", "signature-type")?;
    let signature = required("sign", "signature")?;
    let timestamp = required("timestamp", "timestamp")?;
    let version = required("version", "version")?;
    let refuse = |sub_code: &str, sub_msg: &str| Err(Refusal::invalid(sub_code, sub_msg));
    if app_id != sandbox.config().app_id {
        return refuse("isv.invalid-app-id", "无效的AppID参数");
    }
    if !METHODS.contains(&method) {
        return refuse("isv.invalid-method", "不存在的方法名");
    }
    if !charset.eq_ignore_ascii_case("utf-8") {
        return refuse("isv.invalid-charset", "字符集错误 only utf-8");
    }
    if param(params, "format").is_some_and(|f| !f.eq_ignore_ascii_case("json")) {
        return refuse("isv.invalid-format", "参数format错误");
    }
    if version != "1.0" {
        return refuse("isv.invalid-version", "版本号错误");
    }
    if sign_type != "RSA2" {
        return refuse("isv.invalid-signature-type", "签名类型错误 only RSA2");
    }
    if parse_beijing(timestamp).is_none() {
        return refuse("isv.invalid-timestamp", "非法的时间戳参数 yyyy-MM-dd HH:mm:ss");
    }
    if !verify(&sandbox.config().app_public_key, &sign_content(params, REQUEST_EXCLUDE), signature) {
        return refuse("isv.invalid-signature", "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配");
    }
    let biz = match param(params, "biz_content") {
        Some(json) => serde_json::from_str(json).map_err(|_| Refusal::invalid_parameter("biz_content"))?,
        None => Biz::default(),
    };
    let url = |name| param(params, name).map(str::to_owned);
    Ok(Request { biz, notify_url: url("notify_url"), return_url: url("return_url") })
}

impl Request {
    /// The order a page.pay or precreate describes, validated like Alipay would.
    pub(crate) fn new_order(&self, product: Product, now: i64) -> Result<NewOrder, Refusal> {
        let biz = &self.biz;
        let out_trade_no = biz.out_trade_no.clone().unwrap_or_default();
        let valid_no = |c: char| c.is_ascii_alphanumeric() || c == '_';
        if out_trade_no.is_empty() || out_trade_no.len() > 64 || !out_trade_no.chars().all(valid_no) {
            return Err(Refusal::invalid_parameter("out_trade_no"));
        }
        let amount = biz.total_amount.as_deref().and_then(parse_yuan);
        let total_amount_minor = amount.ok_or_else(|| Refusal::invalid_parameter("total_amount"))?;
        let subject = biz.subject.clone().filter(|s| !s.is_empty() && s.chars().count() <= 256);
        let subject = subject.ok_or_else(|| Refusal::invalid_parameter("subject"))?;
        let code = biz.product_code.as_deref();
        let code_ok = match product {
            Product::PagePay => code == Some("FAST_INSTANT_TRADE_PAY"),
            Product::Precreate => matches!(code, None | Some("FACE_TO_FACE_PAYMENT" | "OFFLINE_PAYMENT")),
        };
        if !code_ok {
            return Err(Refusal::invalid_parameter("product_code"));
        }
        let return_url = if product == Product::PagePay { self.return_url.clone() } else { None };
        let expires_at = self.expiry(now)?;
        Ok(NewOrder {
            out_trade_no,
            subject,
            total_amount_minor,
            notify_url: self.notify_url.clone(),
            return_url,
            expires_at,
            product,
        })
    }

    /// `time_expire` (absolute) wins over `timeout_express` (relative to now: `90m`, `2h`, `3d`, `1c`).
    fn expiry(&self, now: i64) -> Result<Option<i64>, Refusal> {
        if let Some(text) = &self.biz.time_expire {
            return parse_beijing(text).map(Some).ok_or_else(|| Refusal::invalid_parameter("time_expire"));
        }
        let Some(text) = &self.biz.timeout_express else { return Ok(None) };
        let bad = || Refusal::invalid_parameter("timeout_express");
        let (count, unit) = text.split_at(text.len().saturating_sub(1));
        let count: i64 = count.parse().ok().filter(|n| *n > 0).ok_or_else(bad)?;
        let unit_ms = match unit {
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            // `1c`: the end of today, Beijing time.
            "c" if count == 1 => return Ok(Some(end_of_beijing_day(now))),
            _ => return Err(bad()),
        };
        // Alipay allows at most 15 days.
        Ok(Some(now + count.saturating_mul(unit_ms).min(15 * 86_400_000)))
    }
}

fn end_of_beijing_day(now: i64) -> i64 {
    const DAY: i64 = 86_400_000;
    const OFFSET: i64 = 8 * 3_600_000;
    (now + OFFSET).div_euclid(DAY) * DAY + DAY - OFFSET - 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_704_135_845_000; // 2024-01-02 03:04:05 Beijing

    fn expiry(timeout_express: Option<&str>, time_expire: Option<&str>) -> Result<Option<i64>, Refusal> {
        let biz = Biz {
            timeout_express: timeout_express.map(Into::into),
            time_expire: time_expire.map(Into::into),
            ..Biz::default()
        };
        Request { biz, notify_url: None, return_url: None }.expiry(T0)
    }

    #[test]
    fn timeout_express_counts_minutes_hours_and_days_from_now() {
        assert_eq!(expiry(Some("15m"), None), Ok(Some(T0 + 15 * 60_000)));
        assert_eq!(expiry(Some("2h"), None), Ok(Some(T0 + 2 * 3_600_000)));
        assert_eq!(expiry(Some("1d"), None), Ok(Some(T0 + 86_400_000)));
        assert_eq!(expiry(Some("99d"), None), Ok(Some(T0 + 15 * 86_400_000)), "capped at 15 days");
    }

    #[test]
    fn one_c_means_the_end_of_the_beijing_day() {
        let end = expiry(Some("1c"), None).expect("valid").expect("set");
        assert_eq!(coffer_alipay::format_beijing(end), "2024-01-02 23:59:59");
    }

    #[test]
    fn time_expire_wins_and_nonsense_is_an_invalid_parameter() {
        let absolute = coffer_alipay::parse_beijing("2024-01-02 03:20:00");
        assert_eq!(expiry(Some("15m"), Some("2024-01-02 03:20:00")), Ok(absolute));
        for bad in ["15", "m", "0m", "1.5h", "2c", "-1h"] {
            assert!(expiry(Some(bad), None).is_err(), "{bad:?}");
        }
        assert!(expiry(None, Some("tomorrow")).is_err());
        assert_eq!(expiry(None, None), Ok(None));
    }
}
