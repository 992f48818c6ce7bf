//! What happens when the buyer pays: the trade succeeds, notifications are queued, and the browser is sent
//! back to the merchant's `return_url` with signed parameters (A.8).

use coffer_alipay::{format_beijing, format_yuan, sign, sign_content, TradeStatus, NOTIFY_EXCLUDE};

use crate::faults::Faults;
use crate::notifier::DeliveryInfo;
use crate::refusal::Refusal;
use crate::state::Sandbox;
use crate::trades::Order;

/// The one buyer of the sandbox.
const BUYER_ID: &str = "2088102000000000";

impl Sandbox {
    /// The buyer scanned the QR code: the trade exists, waiting for payment.
    pub(crate) fn scan(&self, out_trade_no: &str) -> Result<Order, Refusal> {
        let now = self.now();
        self.lock().trades.scan(out_trade_no, now)
    }

    /// The buyer paid: the trade succeeds (or finishes, under `reorder_finished_first`) and its
    /// notifications are queued with the faults in force.
    pub(crate) fn pay(&self, out_trade_no: &str) -> Result<Order, Refusal> {
        let now = self.now();
        let mut state = self.lock();
        let faults = state.faults.clone();
        let status = if faults.reorder_finished_first { TradeStatus::TradeFinished } else { TradeStatus::TradeSuccess };
        let order = state.trades.pay(out_trade_no, now, faults.late_payment, status)?;
        if let Some(url) = order.req.notify_url.clone() {
            let statuses: &[TradeStatus] = if faults.reorder_finished_first {
                &[TradeStatus::TradeFinished, TradeStatus::TradeSuccess]
            } else {
                &[TradeStatus::TradeSuccess]
            };
            for status in statuses {
                self.queue(&mut state, &order, status, &url, &faults, now);
            }
        }
        Ok(order)
    }

    fn queue(
        &self,
        state: &mut crate::state::State,
        order: &Order,
        status: &TradeStatus,
        url: &str,
        faults: &Faults,
        now: i64,
    ) {
        let stamp: String = format_beijing(now).chars().filter(char::is_ascii_digit).collect();
        let notify_id = format!("{}00222{}{:015}", &stamp[..8], &stamp[8..], state.outbox.next_seq());
        let fields = self.notification_fields(order, status, &notify_id);
        let copies = if faults.duplicate_delivery { 2 } else { 1 };
        for _ in 0..copies {
            let info = DeliveryInfo {
                notify_id: notify_id.clone(),
                out_trade_no: order.req.out_trade_no.clone(),
                trade_status: status.as_str().to_owned(),
                url: url.to_owned(),
                lost: faults.lose_notifications,
                done: false,
                attempts: Vec::new(),
            };
            state.outbox.push(info, fields.clone(), faults.notify(), now);
        }
    }

    /// The unsigned fields of a trade notification (A.5), `notify_time` excepted.
    fn notification_fields(&self, order: &Order, status: &TradeStatus, notify_id: &str) -> Vec<(String, String)> {
        let config = &self.inner.config;
        let amount = format_yuan(order.req.total_amount_minor);
        let trade = order.trade.as_ref();
        let fund_bill_list = format!(r#"[{{"amount":"{amount}","fundChannel":"ALIPAYACCOUNT"}}]"#);
        let pairs = [
            ("gmt_create", trade.map(|t| format_beijing(t.created_at)).unwrap_or_default()),
            ("charset", "utf-8".into()),
            ("gmt_payment", trade.and_then(|t| t.paid_at).map(format_beijing).unwrap_or_default()),
            ("subject", order.req.subject.clone()),
            ("buyer_id", BUYER_ID.into()),
            ("invoice_amount", amount.clone()),
            ("version", "1.0".into()),
            ("notify_id", notify_id.into()),
            ("fund_bill_list", fund_bill_list),
            ("notify_type", "trade_status_sync".into()),
            ("out_trade_no", order.req.out_trade_no.clone()),
            ("total_amount", amount.clone()),
            ("trade_status", status.as_str().into()),
            ("trade_no", trade.map(|t| t.trade_no.clone()).unwrap_or_default()),
            ("auth_app_id", config.app_id.clone()),
            ("receipt_amount", amount.clone()),
            ("point_amount", "0.00".into()),
            ("buyer_pay_amount", amount),
            ("app_id", config.app_id.clone()),
            ("sign_type", "RSA2".into()),
            ("seller_id", config.seller_id.clone()),
        ];
        pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    /// Where the browser goes after paying: `return_url` plus the signed return parameters, if the merchant
    /// gave a `return_url`.
    pub(crate) fn return_location(&self, order: &Order) -> Option<String> {
        let base = order.req.return_url.as_deref()?;
        let config = &self.inner.config;
        let trade_no = order.trade.as_ref().map(|t| t.trade_no.clone()).unwrap_or_default();
        let pairs = [
            ("charset", "utf-8".to_owned()),
            ("out_trade_no", order.req.out_trade_no.clone()),
            ("method", "alipay.trade.page.pay.return".into()),
            ("total_amount", format_yuan(order.req.total_amount_minor)),
            ("trade_no", trade_no),
            ("auth_app_id", config.app_id.clone()),
            ("version", "1.0".into()),
            ("app_id", config.app_id.clone()),
            ("sign_type", "RSA2".into()),
            ("seller_id", config.seller_id.clone()),
            ("timestamp", format_beijing(self.now())),
        ];
        let mut params: Vec<(String, String)> = pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let signature = sign(&config.sandbox_private_key, &sign_content(&params, NOTIFY_EXCLUDE));
        params.push(("sign".into(), signature));
        let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(&params).finish();
        let separator = if base.contains('?') { '&' } else { '?' };
        Some(format!("{base}{separator}{query}"))
    }
}
