//! The server-to-server methods: precreate, query and close, answered as Alipay does —
//! `{"<method>_response":{…},"sign":"…"}` signed over the raw bytes of the inner object, with `/` escaped as
//! `\/`, so the merchant's raw-substring verification is really exercised.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use coffer_alipay::response::response_key;
use coffer_alipay::{format_beijing, format_yuan, sign};
use serde::Serialize;

use crate::faults::QueryFailure;
use crate::gateway::Request;
use crate::refusal::Refusal;
use crate::state::Sandbox;
use crate::trades::{Order, Product};

pub(crate) const PRECREATE: &str = "alipay.trade.precreate";
pub(crate) const QUERY: &str = "alipay.trade.query";
pub(crate) const CLOSE: &str = "alipay.trade.close";

const SUCCESS: (&str, &str) = ("10000", "Success");

#[derive(Serialize)]
struct Precreated<'a> {
    code: &'a str,
    msg: &'a str,
    out_trade_no: &'a str,
    qr_code: String,
}

/// Field order as in Alipay's documentation examples: `code`, `msg`, then alphabetical.
#[derive(Serialize)]
struct Queried<'a> {
    code: &'a str,
    msg: &'a str,
    buyer_logon_id: &'a str,
    buyer_pay_amount: String,
    buyer_user_id: &'a str,
    invoice_amount: String,
    out_trade_no: &'a str,
    point_amount: &'a str,
    receipt_amount: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    send_pay_date: Option<String>,
    total_amount: String,
    trade_no: &'a str,
    trade_status: &'a str,
}

#[derive(Serialize)]
struct Closed<'a> {
    code: &'a str,
    msg: &'a str,
    out_trade_no: &'a str,
    trade_no: &'a str,
}

#[derive(Serialize)]
struct Failed<'a> {
    #[serde(flatten)]
    refusal: &'a Refusal,
    #[serde(skip_serializing_if = "Option::is_none")]
    out_trade_no: Option<&'a str>,
}

pub(crate) fn precreate(sandbox: &Sandbox, req: Request) -> Response {
    let now = sandbox.now();
    let placed = req.new_order(Product::Precreate, now).and_then(|new| sandbox.lock().trades.place(new));
    match placed {
        Ok(order) => {
            let qr_code = sandbox.url(&format!("/sim/qr/{}", order.qr_token));
            let (code, msg) = SUCCESS;
            signed(sandbox, PRECREATE, &Precreated { code, msg, out_trade_no: &order.req.out_trade_no, qr_code })
        }
        Err(refusal) => failed(sandbox, PRECREATE, &refusal, req.biz.out_trade_no.as_deref()),
    }
}

pub(crate) fn query(sandbox: &Sandbox, req: Request) -> Response {
    match sandbox.faults().query_failure {
        Some(QueryFailure::Http500) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "<html><body>500 Internal Server Error</body></html>")
                .into_response()
        }
        Some(QueryFailure::SystemError) => {
            let refusal = Refusal::business("ACQ.SYSTEM_ERROR", "系统错误");
            return failed(sandbox, QUERY, &refusal, req.biz.out_trade_no.as_deref());
        }
        None => {}
    }
    let now = sandbox.now();
    let found = {
        let mut state = sandbox.lock();
        state.trades.expire_due(now);
        state.trades.find_trade(req.biz.out_trade_no.as_deref(), req.biz.trade_no.as_deref()).map(|o| o.clone())
    };
    match found {
        Some(order) => query_response(sandbox, &order),
        None => failed(sandbox, QUERY, &Refusal::not_exist(), req.biz.out_trade_no.as_deref()),
    }
}

fn query_response(sandbox: &Sandbox, order: &Order) -> Response {
    let Some(trade) = &order.trade else { return failed(sandbox, QUERY, &Refusal::not_exist(), None) };
    let amount = format_yuan(order.req.total_amount_minor);
    let received = if trade.status.is_paid() { amount.clone() } else { "0.00".to_owned() };
    let (code, msg) = SUCCESS;
    let body = Queried {
        code,
        msg,
        buyer_logon_id: "sim***@example.com",
        buyer_pay_amount: received.clone(),
        buyer_user_id: "2088102000000000",
        invoice_amount: received.clone(),
        out_trade_no: &order.req.out_trade_no,
        point_amount: "0.00",
        receipt_amount: received,
        send_pay_date: trade.paid_at.map(format_beijing),
        total_amount: amount,
        trade_no: &trade.trade_no,
        trade_status: trade.status.as_str(),
    };
    signed(sandbox, QUERY, &body)
}

pub(crate) fn close(sandbox: &Sandbox, req: Request) -> Response {
    let now = sandbox.now();
    let (out_trade_no, trade_no) = (req.biz.out_trade_no.as_deref(), req.biz.trade_no.as_deref());
    let closed = sandbox.lock().trades.close(out_trade_no, trade_no, now);
    match closed {
        Ok(order) => {
            let trade_no = order.trade.as_ref().map_or("", |t| t.trade_no.as_str());
            let (code, msg) = SUCCESS;
            signed(sandbox, CLOSE, &Closed { code, msg, out_trade_no: &order.req.out_trade_no, trade_no })
        }
        Err(refusal) => failed(sandbox, CLOSE, &refusal, out_trade_no),
    }
}

/// A gateway-level refusal (bad signature, unknown app, …): unsigned `error_response`, as Alipay sends it.
pub(crate) fn error_response(refusal: &Refusal) -> Response {
    let inner = alipay_json(&Failed { refusal, out_trade_no: None });
    json(format!(r#"{{"error_response":{inner}}}"#))
}

/// A business refusal: a signed `<method>_response` carrying the error.
fn failed(sandbox: &Sandbox, method: &str, refusal: &Refusal, out_trade_no: Option<&str>) -> Response {
    signed(sandbox, method, &Failed { refusal, out_trade_no })
}

fn signed<T: Serialize>(sandbox: &Sandbox, method: &str, inner: &T) -> Response {
    let inner = alipay_json(inner);
    let signature = sign(&sandbox.config().sandbox_private_key, &inner);
    json(format!(r#"{{"{}":{inner},"sign":"{signature}"}}"#, response_key(method)))
}

/// JSON as Alipay writes it: `/` escaped as `\/` (valid JSON, but not what serde_json produces).
fn alipay_json<T: Serialize>(value: &T) -> String {
    // Our response structs hold only strings: serializing cannot fail.
    serde_json::to_string(value).unwrap_or_default().replace('/', "\\/")
}

fn json(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json;charset=utf-8")], body).into_response()
}
