//! Server-rendered HTML for the cashier and the sandbox "wallet" (no scripts, no external assets).

use coffer_alipay::{format_beijing, format_yuan};
use qrcode::render::svg;
use qrcode::QrCode;

use crate::refusal::Refusal;
use crate::state::Sandbox;
use crate::trades::Order;

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f3f6fa;margin:0}\
main{max-width:32rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;\
box-shadow:0 1px 4px #0002}h1{color:#1677ff;font-size:1.4rem}.warn{color:#a15c00;font-size:.9rem}\
dt{color:#666;font-size:.85rem}dd{margin:0 0 .6rem 0}.amount{font-size:1.6rem;font-weight:600}\
.qr svg{width:200px;height:200px}.actions{display:flex;gap:.5rem;flex-wrap:wrap;margin-top:1rem}\
button{font-size:1rem;padding:.5rem 1rem;border-radius:6px;border:1px solid #1677ff;background:#fff;\
color:#1677ff;cursor:pointer}button.primary{background:#1677ff;color:#fff}.note{background:#eef5ff;\
padding:.5rem;border-radius:4px}.error{color:#b00020}code{word-break:break-all}";

/// Escapes text for HTML element content and double-quoted attributes.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><style>{STYLE}</style></head>\
         <body><main><h1>Alipay sandbox</h1><p class=\"warn\">Local simulator: no real money moves.</p>{body}\
         </main></body></html>",
        esc(title)
    )
}

/// The cashier a page.pay lands on: the order, a QR code of the scan page, and the three buttons.
pub(crate) fn cashier(sandbox: &Sandbox, order: &Order, note: Option<&str>) -> String {
    let scan_url = sandbox.url(&format!("/sim/qr/{}", order.qr_token));
    let note = note.map(|n| format!("<p class=\"note\">{}</p>", esc(n))).unwrap_or_default();
    let buttons = [("pay", "Scan and pay", true), ("scan", "Scan only", false), ("cancel", "Cancel", false)]
        .map(|(action, label, primary)| action_form(sandbox, order, action, label, primary))
        .concat();
    let body = format!(
        "{}<div class=\"qr\">{}</div><p>Scan with the sandbox wallet, or open <a href=\"{}\"><code>{}</code></a>.\
         </p>{note}<div class=\"actions\">{buttons}</div>",
        order_summary(order),
        qr_svg(&scan_url),
        esc(&scan_url),
        esc(&scan_url)
    );
    layout("Alipay sandbox cashier", &body)
}

/// What the sandbox wallet shows after scanning: the order and a Pay button.
pub(crate) fn wallet(sandbox: &Sandbox, order: &Order) -> String {
    let body = format!(
        "<p class=\"note\">Scanned: the trade is waiting for payment.</p>{}<div class=\"actions\">{}</div>",
        order_summary(order),
        action_form(sandbox, order, "pay", "Pay", true)
    );
    layout("Alipay sandbox wallet", &body)
}

pub(crate) fn message(title: &str, text: &str) -> String {
    layout(title, &format!("<h2>{}</h2><p>{}</p>", esc(title), esc(text)))
}

pub(crate) fn refusal(refusal: &Refusal) -> String {
    let body = format!(
        "<h2 class=\"error\">Payment request refused</h2><p><code>{}</code> {}</p><p><code>{}</code> {}</p>",
        esc(refusal.code),
        esc(refusal.msg),
        esc(&refusal.sub_code),
        esc(&refusal.sub_msg)
    );
    layout("Alipay sandbox error", &body)
}

fn order_summary(order: &Order) -> String {
    let expires = order.req.expires_at.map(|t| format!("<dt>Expires</dt><dd>{}</dd>", format_beijing(t)));
    format!(
        "<dl><dt>Merchant order</dt><dd><code>{}</code></dd><dt>Subject</dt><dd>{}</dd>\
         <dt>Amount</dt><dd class=\"amount\">¥{}</dd>{}</dl>",
        esc(&order.req.out_trade_no),
        esc(&order.req.subject),
        format_yuan(order.req.total_amount_minor),
        expires.unwrap_or_default()
    )
}

fn action_form(sandbox: &Sandbox, order: &Order, action: &str, label: &str, primary: bool) -> String {
    format!(
        "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"out_trade_no\" value=\"{}\">\
         <button type=\"submit\"{}>{}</button></form>",
        esc(&sandbox.url(&format!("/sim/cashier/{action}"))),
        esc(&order.req.out_trade_no),
        if primary { " class=\"primary\"" } else { "" },
        esc(label)
    )
}

/// An inline SVG QR code (the XML prolog dropped, as it does not belong inside HTML).
fn qr_svg(content: &str) -> String {
    match QrCode::new(content.as_bytes()) {
        Ok(code) => {
            let image = code.render::<svg::Color>().min_dimensions(200, 200).build();
            image.find("<svg").map_or(image.clone(), |start| image[start..].to_owned())
        }
        Err(_) => format!("<p class=\"error\">QR code unavailable for {}</p>", esc(content)),
    }
}
