//! What the merchant sends (orders) and what the server-to-server calls answer (outcomes).

use serde::{Deserialize, Serialize};

use crate::notify::TradeStatus;

/// A PC-web payment order (`alipay.trade.page.pay`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagePay {
    /// The merchant's order number (≤64 letters, digits, underscores; unique).
    pub out_trade_no: String,
    /// Amount in fen, sent as yuan.
    pub total_amount_minor: i64,
    /// Order title shown to the buyer.
    pub subject: String,
    /// Absolute expiry, `yyyy-MM-dd HH:mm:ss` Beijing time; set it a little before the local expiry.
    pub time_expire: Option<String>,
}

/// A scan-to-pay order (`alipay.trade.precreate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Precreate {
    /// The merchant's order number. After a failed or timed-out precreate, retry with a *new* one.
    pub out_trade_no: String,
    /// Amount in fen, sent as yuan.
    pub total_amount_minor: i64,
    /// Order title shown to the buyer.
    pub subject: String,
    /// Relative expiry such as `15m`, `2h`, `1d`.
    pub timeout_express: Option<String>,
    /// Absolute expiry, `yyyy-MM-dd HH:mm:ss` Beijing time.
    pub time_expire: Option<String>,
}

/// A successful precreate: the merchant renders `qr_code` as a QR image.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Precreated {
    /// The merchant's order number, echoed.
    pub out_trade_no: String,
    /// The content to encode in the QR code.
    pub qr_code: String,
}

/// What `alipay.trade.query` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryOutcome {
    /// The trade exists (the buyer scanned at least).
    Trade {
        /// Alipay's trade number.
        trade_no: String,
        /// Its status; paid only if [`TradeStatus::is_paid`].
        trade_status: TradeStatus,
        /// `total_amount` in fen.
        total_amount_minor: i64,
    },
    /// `ACQ.TRADE_NOT_EXIST`: nobody scanned (yet). Expire only once past the `time_expire` that was sent.
    NotExist,
}

/// What `alipay.trade.close` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseOutcome {
    /// The unpaid trade is now `TRADE_CLOSED`.
    Closed,
    /// `ACQ.TRADE_NOT_EXIST`: there was no trade to close.
    NotExist,
    /// `ACQ.TRADE_STATUS_ERROR`: not in `WAIT_BUYER_PAY` — possibly just paid, so query again.
    StatusError,
}

#[derive(Serialize)]
pub(crate) struct PagePayBiz<'a> {
    pub out_trade_no: &'a str,
    pub product_code: &'static str,
    pub subject: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_expire: Option<&'a str>,
    pub total_amount: String,
}

#[derive(Serialize)]
pub(crate) struct PrecreateBiz<'a> {
    pub out_trade_no: &'a str,
    pub subject: &'a str,
    pub total_amount: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_express: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_expire: Option<&'a str>,
}

#[derive(Serialize)]
pub(crate) struct TradeRef<'a> {
    pub out_trade_no: &'a str,
}

/// The part of every trade response that binds it to the request: a signed response does not say which
/// request it answers, so a replayed answer about another order must be caught by its `out_trade_no`.
#[derive(Deserialize)]
pub(crate) struct TradeEcho {
    pub out_trade_no: String,
}

#[derive(Deserialize)]
pub(crate) struct QueryFields {
    pub out_trade_no: String,
    pub trade_no: String,
    pub trade_status: String,
    pub total_amount: String,
}
