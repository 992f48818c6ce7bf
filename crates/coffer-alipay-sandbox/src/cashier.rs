//! The browser side: the cashier page a page.pay lands on, the wallet page a QR code opens, and the
//! buttons. Pay creates the trade (if the buyer had not scanned), queues the notifications and sends the
//! browser back to `return_url` with signed parameters.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use crate::gateway::Request;
use crate::pages;
use crate::refusal::Refusal;
use crate::state::Sandbox;
use crate::trades::Product;

/// The hidden field of every cashier button.
#[derive(Debug, Deserialize)]
pub(crate) struct Action {
    out_trade_no: String,
}

/// `alipay.trade.page.pay` with valid parameters: record the order and show the cashier.
pub(crate) fn page_pay(sandbox: &Sandbox, req: Request) -> Response {
    let now = sandbox.now();
    match req.new_order(Product::PagePay, now).and_then(|new| sandbox.lock().trades.place(new)) {
        Ok(order) => Html(pages::cashier(sandbox, &order, None)).into_response(),
        Err(refusal) => error_page(&refusal),
    }
}

/// A refused page.pay: Alipay shows an error page (HTTP 200) naming the `sub_code`.
pub(crate) fn error_page(refusal: &Refusal) -> Response {
    Html(pages::refusal(refusal)).into_response()
}

/// `GET /sim/qr/{token}`: the buyer's wallet opened the QR code, which creates the trade.
pub(crate) async fn scan_page(State(sandbox): State<Sandbox>, Path(token): Path<String>) -> Response {
    let found = sandbox.lock().trades.by_token(&token).map(|o| o.req.out_trade_no.clone());
    let Some(out_trade_no) = found else {
        return (StatusCode::NOT_FOUND, Html(pages::message("Unknown QR code", "No order has this code.")))
            .into_response();
    };
    match sandbox.scan(&out_trade_no) {
        Ok(order) => Html(pages::wallet(&sandbox, &order)).into_response(),
        Err(refusal) => refused(&refusal),
    }
}

/// `POST /sim/cashier/pay`: pay, then 302 to the signed return URL (or a receipt without `return_url`).
pub(crate) async fn pay(State(sandbox): State<Sandbox>, Form(action): Form<Action>) -> Response {
    match sandbox.pay(&action.out_trade_no) {
        Ok(order) => match sandbox.return_location(&order) {
            Some(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
            None => Html(pages::message("Payment successful", "You can close this page.")).into_response(),
        },
        Err(refusal) => refused(&refusal),
    }
}

/// `POST /sim/cashier/scan`: scan without paying; the trade waits in `WAIT_BUYER_PAY`.
pub(crate) async fn scan(State(sandbox): State<Sandbox>, Form(action): Form<Action>) -> Response {
    match sandbox.scan(&action.out_trade_no) {
        Ok(order) => {
            let note = "Scanned: the trade exists and is waiting for payment.";
            Html(pages::cashier(&sandbox, &order, Some(note))).into_response()
        }
        Err(refusal) => refused(&refusal),
    }
}

/// `POST /sim/cashier/cancel`: the buyer gives up; the order stays unpaid and nothing is sent.
pub(crate) async fn cancel(Form(action): Form<Action>) -> Response {
    let text = format!("Order {} was not paid.", action.out_trade_no);
    Html(pages::message("Payment cancelled", &text)).into_response()
}

/// A button that cannot be honoured (paid, closed, expired): 409 with Alipay's sub code.
fn refused(refusal: &Refusal) -> Response {
    (StatusCode::CONFLICT, Html(pages::refusal(refusal))).into_response()
}
