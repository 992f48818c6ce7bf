//! Verifying what Alipay sends to the merchant: the asynchronous notification (A.5) and the browser's
//! synchronous return (A.8). Both use the V1 rule: `sign` and `sign_type` are left out of the signed string.
//!
//! Verification proves the message came from Alipay; the merchant must still check that `out_trade_no` is an
//! order it created, that the amount, `app_id` and `seller_id` match that order, and act only on a paid
//! [`TradeStatus`].

use std::collections::HashSet;

use crate::keys::PublicKey;
use crate::money::parse_yuan;
use crate::sign::{sign_content, verify, NOTIFY_EXCLUDE};

/// The `method` Alipay puts in the parameters of a page.pay return.
pub const PAGE_PAY_RETURN_METHOD: &str = "alipay.trade.page.pay.return";

/// A trade's status as Alipay reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TradeStatus {
    /// Trade created (the buyer scanned), not paid yet. Never notified by default.
    WaitBuyerPay,
    /// Unpaid and timed out or closed, or fully refunded.
    TradeClosed,
    /// Paid and refundable. Re-sent after partial refunds, so crediting must be idempotent.
    TradeSuccess,
    /// Paid and no longer refundable.
    TradeFinished,
    /// A status this crate does not know; never treat it as paid.
    Other(String),
}

impl TradeStatus {
    /// Parses Alipay's upper-case status name; unknown names become [`TradeStatus::Other`].
    pub fn parse(text: &str) -> Self {
        match text {
            "WAIT_BUYER_PAY" => Self::WaitBuyerPay,
            "TRADE_CLOSED" => Self::TradeClosed,
            "TRADE_SUCCESS" => Self::TradeSuccess,
            "TRADE_FINISHED" => Self::TradeFinished,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Alipay's name for the status.
    pub fn as_str(&self) -> &str {
        match self {
            Self::WaitBuyerPay => "WAIT_BUYER_PAY",
            Self::TradeClosed => "TRADE_CLOSED",
            Self::TradeSuccess => "TRADE_SUCCESS",
            Self::TradeFinished => "TRADE_FINISHED",
            Self::Other(s) => s,
        }
    }

    /// Whether the buyer paid: only `TRADE_SUCCESS` and `TRADE_FINISHED` mean that.
    pub fn is_paid(&self) -> bool {
        matches!(self, Self::TradeSuccess | Self::TradeFinished)
    }
}

/// Why a notification or return was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// `sign_type` is not `RSA2`; refusing it prevents a downgrade to SHA-1 (`RSA`).
    #[error("sign_type {0:?} refused: only RSA2 is accepted")]
    UnsupportedSignType(String),
    /// A field appears twice, which Alipay never sends; the signed and the parsed value could differ.
    #[error("field {0} appears more than once")]
    DuplicateField(String),
    /// A required field is absent or empty.
    #[error("field {0} is missing")]
    MissingField(&'static str),
    /// A field's name holds `=` or `&`, or its value holds `&` before a later `=`. The string to sign joins
    /// `key=value` pairs with `&` without escaping, so such a field could be cut from (or glued to) its
    /// neighbours and still verify; Alipay never sends one.
    #[error("field {0} cannot be told apart from its neighbours in the signed string")]
    AmbiguousField(String),
    /// A field without a name: the string to sign leaves it out, so its value would ride along unsigned.
    #[error("a field has no name")]
    UnnamedField,
    /// The signature does not verify with Alipay's public key.
    #[error("the signature does not verify")]
    BadSignature,
    /// `total_amount` is not a plain positive yuan amount.
    #[error("total_amount {0:?} is not a valid amount")]
    BadAmount(String),
    /// A return whose `method` is not `alipay.trade.page.pay.return`.
    #[error("method {0:?} is not a page.pay return")]
    WrongMethod(String),
    /// Verified, but for another application (checked by [`crate::Client`], not by the free functions).
    #[error("app_id {0:?} is not ours")]
    ForeignAppId(String),
    /// Verified, but for another seller (checked by [`crate::Client`], not by the free functions).
    #[error("seller_id {0:?} is not ours")]
    ForeignSellerId(String),
}

/// A verified asynchronous notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Constant across retries of one notification: the dedupe key.
    pub notify_id: String,
    /// Must be the merchant's own app id.
    pub app_id: String,
    /// Must be the merchant's own PID (`2088…`).
    pub seller_id: String,
    /// The merchant's order number.
    pub out_trade_no: String,
    /// Alipay's trade number.
    pub trade_no: String,
    /// Act only when [`TradeStatus::is_paid`].
    pub trade_status: TradeStatus,
    /// `total_amount` in fen; must equal the order's amount.
    pub total_amount_minor: i64,
    /// When the buyer paid (absent on unpaid statuses).
    pub gmt_payment: Option<String>,
    /// Every received field, in the order received (for logging and for fields not parsed here).
    pub fields: Vec<(String, String)>,
}

/// The verified parameters of a page.pay return (`return_url`). It has no `trade_status`: a return only says
/// the browser came back, so treat it as a hint to query, never as proof of payment on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnParams {
    /// Must be the merchant's own app id.
    pub app_id: String,
    /// Must be the merchant's own PID.
    pub seller_id: String,
    /// The merchant's order number.
    pub out_trade_no: String,
    /// Alipay's trade number.
    pub trade_no: String,
    /// `total_amount` in fen.
    pub total_amount_minor: i64,
    /// Alipay's timestamp of the return.
    pub timestamp: String,
    /// Every received field, in the order received.
    pub fields: Vec<(String, String)>,
}

/// Verifies a notification's decoded form fields with Alipay's public key, then parses them.
pub fn verify_notification(fields: &[(String, String)], key: &PublicKey) -> Result<Notification, NotifyError> {
    let get = verified(fields, key)?;
    Ok(Notification {
        notify_id: get.required("notify_id")?,
        app_id: get.required("app_id")?,
        seller_id: get.required("seller_id")?,
        out_trade_no: get.required("out_trade_no")?,
        trade_no: get.required("trade_no")?,
        trade_status: TradeStatus::parse(&get.required("trade_status")?),
        total_amount_minor: get.amount()?,
        gmt_payment: get.optional("gmt_payment"),
        fields: fields.to_vec(),
    })
}

/// Parses an `application/x-www-form-urlencoded` notification body and verifies it (for the CLI's
/// `verify-notify` and for handlers that receive raw bytes).
pub fn verify_notification_form(body: &str, key: &PublicKey) -> Result<Notification, NotifyError> {
    verify_notification(&parse_form(body), key)
}

/// Verifies the decoded query parameters of a page.pay return with Alipay's public key, then parses them.
pub fn verify_return(fields: &[(String, String)], key: &PublicKey) -> Result<ReturnParams, NotifyError> {
    let get = verified(fields, key)?;
    let method = get.required("method")?;
    if method != PAGE_PAY_RETURN_METHOD {
        return Err(NotifyError::WrongMethod(method));
    }
    Ok(ReturnParams {
        app_id: get.required("app_id")?,
        seller_id: get.required("seller_id")?,
        out_trade_no: get.required("out_trade_no")?,
        trade_no: get.required("trade_no")?,
        total_amount_minor: get.amount()?,
        timestamp: get.required("timestamp")?,
        fields: fields.to_vec(),
    })
}

/// Decodes a form or query string once (decoding twice breaks values containing `%`).
pub fn parse_form(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes()).into_owned().collect()
}

/// Checks sign type, duplicates and the V1 signature, in that order, and hands back a field reader.
fn verified<'a>(fields: &'a [(String, String)], key: &PublicKey) -> Result<Fields<'a>, NotifyError> {
    let mut seen = HashSet::new();
    if let Some((k, _)) = fields.iter().find(|(k, _)| !seen.insert(k.as_str())) {
        return Err(NotifyError::DuplicateField(k.clone()));
    }
    if fields.iter().any(|(k, v)| k.is_empty() && !v.is_empty()) {
        return Err(NotifyError::UnnamedField);
    }
    if let Some((k, _)) = fields.iter().find(|(k, v)| is_ambiguous(k, v)) {
        return Err(NotifyError::AmbiguousField(k.clone()));
    }
    let get = Fields(fields);
    let sign_type = get.required("sign_type")?;
    if sign_type != "RSA2" {
        return Err(NotifyError::UnsupportedSignType(sign_type));
    }
    let signature = get.required("sign")?;
    if !verify(key, &sign_content(fields, NOTIFY_EXCLUDE), &signature) {
        return Err(NotifyError::BadSignature);
    }
    Ok(get)
}

/// Whether a field could be re-split along the string to sign: `a=1&b=2` is both the fields `a`, `b` and the
/// one field `a` = `1&b=2`. Values with a lone `&` (a subject like "Tea & cake") stay unambiguous.
fn is_ambiguous(key: &str, value: &str) -> bool {
    key.contains(['=', '&']) || value.split_once('&').is_some_and(|(_, rest)| rest.contains('='))
}

struct Fields<'a>(&'a [(String, String)]);

impl Fields<'_> {
    fn optional(&self, name: &str) -> Option<String> {
        self.0.iter().find(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.clone())
    }

    fn required(&self, name: &'static str) -> Result<String, NotifyError> {
        self.optional(name).ok_or(NotifyError::MissingField(name))
    }

    fn amount(&self) -> Result<i64, NotifyError> {
        let text = self.required("total_amount")?;
        parse_yuan(&text).ok_or(NotifyError::BadAmount(text))
    }
}
