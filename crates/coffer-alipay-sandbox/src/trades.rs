//! Orders and trades, with Alipay's timing: an order is known once the merchant asks for payment, but the
//! *trade* exists only after the buyer scans (until then query and close say `ACQ.TRADE_NOT_EXIST`).

use std::collections::BTreeMap;

use coffer_alipay::{format_beijing, format_yuan, TradeStatus};
use serde::{Deserialize, Serialize};

use crate::refusal::Refusal;

/// Which API created the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Product {
    PagePay,
    Precreate,
}

/// What a merchant's page.pay or precreate asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewOrder {
    pub out_trade_no: String,
    pub subject: String,
    pub total_amount_minor: i64,
    pub notify_url: Option<String>,
    pub return_url: Option<String>,
    pub expires_at: Option<i64>,
    pub product: Product,
}

#[derive(Debug, Clone)]
pub(crate) struct Order {
    pub req: NewOrder,
    /// Opaque token in the QR code's URL.
    pub qr_token: String,
    pub trade: Option<Trade>,
}

#[derive(Debug, Clone)]
pub(crate) struct Trade {
    pub trade_no: String,
    pub status: TradeStatus,
    pub created_at: i64,
    pub paid_at: Option<i64>,
}

/// One order as `GET /sim/trades` and [`crate::Sandbox::trades`] show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeInfo {
    /// The merchant's order number.
    pub out_trade_no: String,
    /// `alipay.trade.page.pay` or `alipay.trade.precreate`.
    pub method: String,
    /// Order title.
    pub subject: String,
    /// Yuan, e.g. `88.88`.
    pub total_amount: String,
    /// Alipay's trade number, once the buyer scanned.
    pub trade_no: Option<String>,
    /// The trade's status, once the buyer scanned.
    pub trade_status: Option<String>,
    /// Expiry (Beijing time), if the merchant set one.
    pub time_expire: Option<String>,
    /// When the buyer paid (Beijing time).
    pub gmt_payment: Option<String>,
    /// The scan page of this order is `{base_url}/sim/qr/{qr_token}`.
    pub qr_token: String,
}

/// All orders by `out_trade_no`.
#[derive(Default)]
pub(crate) struct Trades {
    orders: BTreeMap<String, Order>,
    seq: u64,
}

impl Order {
    fn expired(&self, now: i64) -> bool {
        self.req.expires_at.is_some_and(|t| now > t)
    }

    fn info(&self) -> TradeInfo {
        let method = match self.req.product {
            Product::PagePay => "alipay.trade.page.pay",
            Product::Precreate => "alipay.trade.precreate",
        };
        TradeInfo {
            out_trade_no: self.req.out_trade_no.clone(),
            method: method.into(),
            subject: self.req.subject.clone(),
            total_amount: format_yuan(self.req.total_amount_minor),
            trade_no: self.trade.as_ref().map(|t| t.trade_no.clone()),
            trade_status: self.trade.as_ref().map(|t| t.status.as_str().to_owned()),
            time_expire: self.req.expires_at.map(format_beijing),
            gmt_payment: self.trade.as_ref().and_then(|t| t.paid_at).map(format_beijing),
            qr_token: self.qr_token.clone(),
        }
    }
}

impl Trades {
    /// Records an order; asking again with the same parameters is allowed while it is unpaid (A.2).
    pub fn place(&mut self, new: NewOrder) -> Result<Order, Refusal> {
        if let Some(order) = self.orders.get_mut(&new.out_trade_no) {
            refuse_finished(order)?;
            let same = (order.req.total_amount_minor, &order.req.subject, order.req.product)
                == (new.total_amount_minor, &new.subject, new.product);
            if !same {
                return Err(Refusal::business("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改 order details changed"));
            }
            order.req = new;
            return Ok(order.clone());
        }
        self.seq += 1;
        let order = Order { qr_token: format!("sbx{:020}", self.seq), trade: None, req: new };
        self.orders.insert(order.req.out_trade_no.clone(), order.clone());
        Ok(order)
    }

    pub fn by_token(&self, token: &str) -> Option<&Order> {
        self.orders.values().find(|o| o.qr_token == token)
    }

    /// The order whose *trade* exists, by trade number (which wins, as at Alipay) or order number.
    pub fn find_trade(&mut self, out_trade_no: Option<&str>, trade_no: Option<&str>) -> Option<&mut Order> {
        let order = match trade_no {
            Some(no) => self.orders.values_mut().find(|o| o.trade.as_ref().is_some_and(|t| t.trade_no == no)),
            None => self.orders.get_mut(out_trade_no?),
        };
        order.filter(|o| o.trade.is_some())
    }

    /// Closes trades still waiting for payment after their expiry (Alipay's timer, applied lazily).
    pub fn expire_due(&mut self, now: i64) {
        for order in self.orders.values_mut().filter(|o| o.expired(now)) {
            if let Some(trade) = order.trade.as_mut().filter(|t| t.status == TradeStatus::WaitBuyerPay) {
                trade.status = TradeStatus::TradeClosed;
            }
        }
    }

    /// The buyer scanned: the trade now exists in `WAIT_BUYER_PAY`.
    pub fn scan(&mut self, out_trade_no: &str, now: i64) -> Result<Order, Refusal> {
        self.expire_due(now);
        let seq = self.next_seq();
        let order = self.orders.get_mut(out_trade_no).ok_or_else(Refusal::not_exist)?;
        if order.trade.is_none() {
            if order.expired(now) {
                return Err(Refusal::business("TRADE_EXPIRED", "订单已过期 the order has expired"));
            }
            order.trade = Some(new_trade(seq, now, TradeStatus::WaitBuyerPay));
        }
        refuse_closed(order)?;
        Ok(order.clone())
    }

    /// The buyer paid. `late_ok` lets a payment through after the expiry (fault `late_payment`).
    pub fn pay(&mut self, out_trade_no: &str, now: i64, late_ok: bool, status: TradeStatus) -> Result<Order, Refusal> {
        if !late_ok {
            self.expire_due(now);
        }
        let seq = self.next_seq();
        let order = self.orders.get_mut(out_trade_no).ok_or_else(Refusal::not_exist)?;
        refuse_finished(order)?;
        if order.expired(now) && !late_ok {
            return Err(Refusal::business("TRADE_EXPIRED", "订单已过期 the order has expired"));
        }
        let trade = order.trade.get_or_insert_with(|| new_trade(seq, now, TradeStatus::WaitBuyerPay));
        trade.status = status;
        trade.paid_at = Some(now);
        Ok(order.clone())
    }

    /// Closes a trade waiting for payment; any other status is `ACQ.TRADE_STATUS_ERROR`.
    pub fn close(&mut self, out_trade_no: Option<&str>, trade_no: Option<&str>, now: i64) -> Result<Order, Refusal> {
        self.expire_due(now);
        let order = self.find_trade(out_trade_no, trade_no).ok_or_else(Refusal::not_exist)?;
        let Some(trade) = order.trade.as_mut() else { return Err(Refusal::not_exist()) };
        if trade.status != TradeStatus::WaitBuyerPay {
            return Err(Refusal::business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法"));
        }
        trade.status = TradeStatus::TradeClosed;
        Ok(order.clone())
    }

    pub fn infos(&self) -> Vec<TradeInfo> {
        self.orders.values().map(Order::info).collect()
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}

fn new_trade(seq: u64, now: i64, status: TradeStatus) -> Trade {
    let date: String = format_beijing(now).chars().take(10).filter(char::is_ascii_digit).collect();
    Trade { trade_no: format!("{date}22001{seq:015}"), status, created_at: now, paid_at: None }
}

fn refuse_closed(order: &Order) -> Result<(), Refusal> {
    match order.trade.as_ref().map(|t| &t.status) {
        Some(TradeStatus::TradeClosed) => Err(Refusal::business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")),
        _ => Ok(()),
    }
}

fn refuse_finished(order: &Order) -> Result<(), Refusal> {
    match order.trade.as_ref().map(|t| &t.status) {
        Some(s) if s.is_paid() => Err(Refusal::business("ACQ.TRADE_HAS_SUCCESS", "交易已被支付")),
        _ => refuse_closed(order),
    }
}
