//! Online recharge through Alipay (DOMAIN §4, PROTOCOL A.2–A.6): a recharge order
//! is created, the customer is sent to Alipay's checkout (or shown a QR code), and
//! cash rises only when a verified notification or an active query says the trade
//! is paid. The credit path is one idempotent function whatever triggers it
//! (`recharge_confirm`).

use coffer_alipay::{format_beijing, PagePay, Precreate};
use coffer_core::ids::AccountId;
use coffer_core::money::Currency;
use coffer_core::time::Timestamp;
use coffer_store::rails::{NewRechargeOrder, RechargeOrder, RechargeUpdate};
use rand::RngCore;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::idempotency::{self, Replay};
use crate::{input, AlipayRail, App};

/// Alipay refuses single payments above 100,000,000.00 CNY.
pub const ALIPAY_MAX_MINOR: i64 = 10_000_000_000;
/// `time_expire` is sent this much before our own expiry, so Alipay closes first.
const EXPIRY_MARGIN_MS: i64 = 60_000;

pub struct CreateRecharge<'a> {
    pub account_id: AccountId,
    pub amount_minor: i64,
    pub currency: &'a str,
    /// `page_pay` (redirect to Alipay's checkout) or `precreate` (a QR code we render).
    pub channel: &'a str,
    pub idempotency_key: Option<&'a str>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RechargeStarted {
    pub order: RechargeOrder,
    /// Where to send the browser (page_pay).
    pub pay_url: Option<String>,
}

pub(crate) fn rail(app: &App) -> AppResult<&AlipayRail> {
    app.config.alipay.as_ref().ok_or_else(|| {
        AppError::new(ErrorCode::PaymentRailUnavailable, "online recharge through Alipay is not configured")
    })
}

pub(crate) fn order_not_found(out_trade_no: &str) -> AppError {
    AppError::new(ErrorCode::RechargeNotFound, format!("recharge order {out_trade_no} not found"))
        .with_field("out_trade_no")
}

/// `CF<account>T<millis><4 random hex>`: letters and digits only, unique, ≤ 64 characters.
fn out_trade_no(account: AccountId, now: Timestamp) -> String {
    let mut salt = [0u8; 2];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    format!("CF{}T{}{}", account.0, now.0, hex::encode(salt))
}

impl App {
    pub fn create_recharge(&self, req: &CreateRecharge<'_>) -> AppResult<RechargeStarted> {
        let rail = rail(self)?;
        let amount = input::amount("amount_minor", req.amount_minor)?;
        if amount.minor() > ALIPAY_MAX_MINOR {
            return Err(AppError::invalid("amount_minor", "must be at most 100,000,000.00 CNY per Alipay payment"));
        }
        let currency = input::currency("currency", req.currency)?;
        if currency != Currency::Cny {
            return Err(AppError::invalid("currency", "Alipay recharges are in CNY"));
        }
        if !matches!(req.channel, "page_pay" | "precreate") {
            return Err(AppError::invalid("channel", "must be page_pay or precreate"));
        }
        let key = idempotency::parse_key(req.idempotency_key)?;
        let now = self.now();
        let scope = idempotency::account_scope(req.account_id.0);
        let fp = idempotency::fingerprint(&["recharge", &amount.minor().to_string(), req.channel]);
        let new = NewRechargeOrder {
            account_id: req.account_id,
            out_trade_no: out_trade_no(req.account_id, now),
            amount,
            currency,
            channel: req.channel.to_owned(),
            created_at: now,
            expires_at: Timestamp(now.0 + rail.order_ttl_ms),
        };
        let order = self.write(|tx| {
            let account = input::lock_account(tx, req.account_id)?;
            input::same_currency(&account, currency)?;
            if let Replay::Saved(r) = idempotency::check(tx, &scope, key.as_ref(), &fp)? {
                let saved = r.strip_prefix("recharge:").unwrap_or_default();
                return tx.recharge_order(saved)?.ok_or_else(|| order_not_found(saved));
            }
            let id = tx.insert_recharge_order(&new)?;
            idempotency::remember(tx, &scope, key.as_ref(), &fp, &format!("recharge:{}", new.out_trade_no), now)?;
            tx.recharge_order(&new.out_trade_no)?
                .ok_or_else(|| order_not_found(&new.out_trade_no))
                .map(|o| RechargeOrder { id, ..o })
        })?;
        self.start_payment(rail, order, now)
    }

    /// Page.pay needs only a signed URL; precreate asks Alipay for a QR code. A
    /// precreate that fails leaves the order `created`; the sweeper expires it.
    fn start_payment(&self, rail: &AlipayRail, order: RechargeOrder, now: Timestamp) -> AppResult<RechargeStarted> {
        if order.state != coffer_store::rails::RechargeState::Created {
            let pay_url = (order.order.channel == "page_pay").then(|| page_pay_url(rail, &order, now));
            return Ok(RechargeStarted { order, pay_url });
        }
        let (qr_code, pay_url) = match order.order.channel.as_str() {
            "precreate" => {
                let request = Precreate {
                    out_trade_no: order.order.out_trade_no.clone(),
                    total_amount_minor: order.order.amount.minor(),
                    subject: rail.subject.clone(),
                    timeout_express: None,
                    time_expire: Some(format_beijing(order.order.expires_at.0 - EXPIRY_MARGIN_MS)),
                };
                let done = rail.client.precreate(&request, &format_beijing(now.0)).map_err(|e| {
                    AppError::new(ErrorCode::PaymentRailUnavailable, format!("Alipay precreate failed: {e}"))
                })?;
                (Some(done.qr_code), None)
            }
            _ => (None, Some(page_pay_url(rail, &order, now))),
        };
        let update = RechargeUpdate::Pending { qr_code: qr_code.clone() };
        self.write(|tx| Ok(tx.update_recharge_order(order.id, &update)?))?;
        let no = order.order.out_trade_no;
        let order = self.read(|r| r.recharge_order(&no)?.ok_or_else(|| order_not_found(&no)))?;
        Ok(RechargeStarted { order, pay_url })
    }

    pub fn recharge_order(&self, account: AccountId, out_trade_no: &str) -> AppResult<RechargeOrder> {
        self.read(|r| {
            r.recharge_order(out_trade_no)?
                .filter(|o| o.order.account_id == account)
                .ok_or_else(|| order_not_found(out_trade_no))
        })
    }

    pub fn recharge_orders(&self, account: AccountId, limit: u32) -> AppResult<Vec<RechargeOrder>> {
        self.read(|r| {
            input::account(r, account)?;
            Ok(r.recharge_orders_of(account, limit.clamp(1, 1_000))?)
        })
    }
}

fn page_pay_url(rail: &AlipayRail, order: &RechargeOrder, now: Timestamp) -> String {
    let request = PagePay {
        out_trade_no: order.order.out_trade_no.clone(),
        total_amount_minor: order.order.amount.minor(),
        subject: rail.subject.clone(),
        time_expire: Some(format_beijing(order.order.expires_at.0 - EXPIRY_MARGIN_MS)),
    };
    rail.client.page_pay_url(&request, &format_beijing(now.0))
}
