//! The merchant side of the gateway: signed page.pay URLs and the server-to-server calls precreate, query and
//! close. Every call takes the request timestamp as input; nothing here reads a clock.

use std::time::Duration;

use serde::Serialize;

use crate::keys::{PrivateKey, PublicKey};
use crate::money::{format_yuan, parse_yuan};
use crate::notify::{self, Notification, NotifyError, ReturnParams, TradeStatus};
use crate::orders::{
    CloseOutcome, PagePay, PagePayBiz, Precreate, PrecreateBiz, Precreated, QueryFields, QueryOutcome, TradeEcho,
    TradeRef,
};
use crate::response::{verified_response, AlipayError};
use crate::sign::{sign, sign_content, REQUEST_EXCLUDE};

/// Alipay's production gateway.
pub const PRODUCTION_GATEWAY: &str = "https://openapi.alipay.com/gateway.do";

/// A merchant's Alipay settings.
#[derive(Debug)]
pub struct MerchantConfig {
    /// The application's id, e.g. `2021000000000001`.
    pub app_id: String,
    /// The merchant's PID (`2088…`), checked against notifications.
    pub seller_id: String,
    /// Gateway URL, e.g. [`PRODUCTION_GATEWAY`] or a sandbox's `/gateway.do`.
    pub gateway_url: String,
    /// Where Alipay posts asynchronous notifications (empty: not sent).
    pub notify_url: String,
    /// Where the browser returns after a page.pay (empty: not sent). Must carry no query of its own (A.8).
    pub return_url: String,
    /// The application's private key (signs requests).
    pub app_private_key: PrivateKey,
    /// Alipay's public key (verifies responses, notifications and returns).
    pub alipay_public_key: PublicKey,
}

/// A merchant's Alipay client. Cheap to share (`Send + Sync`); calls block.
#[derive(Debug)]
pub struct Client {
    config: MerchantConfig,
    agent: ureq::Agent,
}

impl Client {
    /// A client with a 5 s connect and 15 s overall timeout per call.
    pub fn new(config: MerchantConfig) -> Self {
        let agent = ureq::AgentBuilder::new().timeout_connect(Duration::from_secs(5)).timeout(Duration::from_secs(15));
        Self::with_agent(config, agent.build())
    }

    /// A client using the given HTTP agent (proxies, other timeouts).
    pub fn with_agent(config: MerchantConfig, agent: ureq::Agent) -> Self {
        Client { config, agent }
    }

    /// The configuration this client was built with.
    pub fn config(&self) -> &MerchantConfig {
        &self.config
    }

    /// All request parameters of a call, `sign` included, sorted by key. Empty optional URLs are left out, so
    /// what is sent is exactly what was signed.
    pub fn signed_params(
        &self,
        method: &str,
        biz_content: &str,
        timestamp: &str,
        urls: &[(&str, &str)],
    ) -> Vec<(String, String)> {
        let c = &self.config;
        let common = [
            ("app_id", c.app_id.as_str()),
            ("method", method),
            ("format", "JSON"),
            ("charset", "utf-8"),
            ("sign_type", "RSA2"),
            ("timestamp", timestamp),
            ("version", "1.0"),
            ("biz_content", biz_content),
        ];
        let mut params: Vec<(String, String)> = common
            .iter()
            .chain(urls)
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let signature = sign(&c.app_private_key, &sign_content(&params, REQUEST_EXCLUDE));
        params.push(("sign".to_owned(), signature));
        params.sort();
        params
    }

    /// The signed parameters of a page.pay (for rendering an auto-submitting form instead of a redirect).
    pub fn page_pay_params(&self, order: &PagePay, timestamp: &str) -> Vec<(String, String)> {
        let biz = PagePayBiz {
            out_trade_no: &order.out_trade_no,
            product_code: "FAST_INSTANT_TRADE_PAY",
            subject: &order.subject,
            time_expire: order.time_expire.as_deref(),
            total_amount: format_yuan(order.total_amount_minor),
        };
        let urls = [("notify_url", self.config.notify_url.as_str()), ("return_url", self.config.return_url.as_str())];
        self.signed_params("alipay.trade.page.pay", &to_json(&biz), timestamp, &urls)
    }

    /// The signed GET URL that sends the buyer's browser to Alipay's cashier (redirect with 302).
    pub fn page_pay_url(&self, order: &PagePay, timestamp: &str) -> String {
        let query = encode_form(&self.page_pay_params(order, timestamp));
        let separator = if self.config.gateway_url.contains('?') { '&' } else { '?' };
        format!("{}{separator}{query}", self.config.gateway_url)
    }

    /// The form body of a precreate call.
    pub fn precreate_form(&self, order: &Precreate, timestamp: &str) -> String {
        let biz = PrecreateBiz {
            out_trade_no: &order.out_trade_no,
            subject: &order.subject,
            total_amount: format_yuan(order.total_amount_minor),
            timeout_express: order.timeout_express.as_deref(),
            time_expire: order.time_expire.as_deref(),
        };
        let urls = [("notify_url", self.config.notify_url.as_str())];
        encode_form(&self.signed_params("alipay.trade.precreate", &to_json(&biz), timestamp, &urls))
    }

    /// Creates a scan-to-pay order and returns the QR content.
    pub fn precreate(&self, order: &Precreate, timestamp: &str) -> Result<Precreated, AlipayError> {
        let raw = self.call("alipay.trade.precreate", &self.precreate_form(order, timestamp))?;
        let created: Precreated = decode(&raw)?;
        same_trade(&order.out_trade_no, &created.out_trade_no)?;
        Ok(created)
    }

    /// Asks for a trade's status by the merchant's order number.
    pub fn query(&self, out_trade_no: &str, timestamp: &str) -> Result<QueryOutcome, AlipayError> {
        match self.call_on_trade("alipay.trade.query", out_trade_no, timestamp) {
            Ok(raw) => {
                let f: QueryFields = decode(&raw)?;
                same_trade(out_trade_no, &f.out_trade_no)?;
                let total_amount_minor = parse_yuan(&f.total_amount)
                    .ok_or_else(|| AlipayError::Malformed(format!("total_amount {:?}", f.total_amount)))?;
                let trade_status = TradeStatus::parse(&f.trade_status);
                Ok(QueryOutcome::Trade { trade_no: f.trade_no, trade_status, total_amount_minor })
            }
            Err(e) if e.sub_code() == Some("ACQ.TRADE_NOT_EXIST") => Ok(QueryOutcome::NotExist),
            Err(e) => Err(e),
        }
    }

    /// Closes an unpaid trade by the merchant's order number.
    pub fn close(&self, out_trade_no: &str, timestamp: &str) -> Result<CloseOutcome, AlipayError> {
        match self.call_on_trade("alipay.trade.close", out_trade_no, timestamp) {
            Ok(raw) => {
                same_trade(out_trade_no, &decode::<TradeEcho>(&raw)?.out_trade_no).map(|()| CloseOutcome::Closed)
            }
            Err(e) if e.sub_code() == Some("ACQ.TRADE_NOT_EXIST") => Ok(CloseOutcome::NotExist),
            Err(e) if e.sub_code() == Some("ACQ.TRADE_STATUS_ERROR") => Ok(CloseOutcome::StatusError),
            Err(e) => Err(e),
        }
    }

    /// Verifies a notification with Alipay's key and checks it is addressed to this app and seller. The
    /// order number, amount and status remain for the caller to check against its order.
    pub fn verify_notification(&self, fields: &[(String, String)]) -> Result<Notification, NotifyError> {
        let n = notify::verify_notification(fields, &self.config.alipay_public_key)?;
        self.check_addressee(&n.app_id, &n.seller_id)?;
        Ok(n)
    }

    /// Verifies a page.pay return with Alipay's key and checks it is addressed to this app and seller.
    pub fn verify_return(&self, fields: &[(String, String)]) -> Result<ReturnParams, NotifyError> {
        let r = notify::verify_return(fields, &self.config.alipay_public_key)?;
        self.check_addressee(&r.app_id, &r.seller_id)?;
        Ok(r)
    }

    fn check_addressee(&self, app_id: &str, seller_id: &str) -> Result<(), NotifyError> {
        if app_id != self.config.app_id {
            return Err(NotifyError::ForeignAppId(app_id.to_owned()));
        }
        if seller_id != self.config.seller_id {
            return Err(NotifyError::ForeignSellerId(seller_id.to_owned()));
        }
        Ok(())
    }

    fn call_on_trade(&self, method: &str, out_trade_no: &str, timestamp: &str) -> Result<String, AlipayError> {
        let biz = to_json(&TradeRef { out_trade_no });
        self.call(method, &encode_form(&self.signed_params(method, &biz, timestamp, &[])))
    }

    /// POSTs a form and returns the verified raw `_response` JSON of a successful call.
    fn call(&self, method: &str, form: &str) -> Result<String, AlipayError> {
        let request = self.agent.post(&self.config.gateway_url);
        let response = request.set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8").send_string(form);
        let body = match response {
            Ok(response) => response.into_string().map_err(|e| AlipayError::Network(e.to_string()))?,
            Err(ureq::Error::Status(status, _)) => return Err(AlipayError::HttpStatus(status)),
            Err(e) => return Err(AlipayError::Network(e.to_string())),
        };
        verified_response(&body, method, &self.config.alipay_public_key).map(str::to_owned)
    }
}

fn decode<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T, AlipayError> {
    serde_json::from_str(raw).map_err(|e| AlipayError::Malformed(e.to_string()))
}

fn same_trade(asked: &str, answered: &str) -> Result<(), AlipayError> {
    if asked == answered {
        Ok(())
    } else {
        Err(AlipayError::WrongTrade { asked: asked.to_owned(), answered: answered.to_owned() })
    }
}

/// `application/x-www-form-urlencoded` in the given order (UTF-8, space as `+`).
fn encode_form(params: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish()
}

fn to_json<T: Serialize>(value: &T) -> String {
    // Only string fields: serializing cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}
