//! Prepaid cards (DOMAIN §6): bought with cash or allocated by an operator. A new
//! card's value repays arrears first; a cash purchase earns the highest bonus tier
//! reached as a discount voucher valid as long as the card.

use coffer_core::card::{CardOrigin, CardStatus, FaceValueError};
use coffer_core::ids::{AccountId, CardId, VoucherId};
use coffer_core::lifecycle::{card_entry, plan_card_allocation, plan_card_purchase, CardPlan, CardRejected};
use coffer_core::time::{Timestamp, Window};
use coffer_core::voucher::VoucherKind;
use coffer_store::records::{CardRecord, NewCard, NewVoucher, VoucherOrigin, VoucherRecord};
use coffer_store::WriteTx;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::idempotency::{self, Replay};
use crate::{input, journal, snapshot, tz, App, AppConfig};

pub struct BuyCard<'a> {
    pub account_id: AccountId,
    pub face_value_minor: i64,
    pub currency: &'a str,
    pub idempotency_key: Option<&'a str>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardIssued {
    pub card: CardRecord,
    pub bonus_voucher: Option<VoucherRecord>,
}

fn card_not_found(id: CardId) -> AppError {
    AppError::new(ErrorCode::CardNotFound, format!("prepaid card {id} not found")).with_field("card_id")
}

fn rejected(e: CardRejected) -> AppError {
    match e {
        CardRejected::FaceValue(FaceValueError::BelowMinimum) => {
            AppError::invalid("face_value_minor", "must be at least 100 currency units")
        }
        CardRejected::FaceValue(FaceValueError::NotMultipleOfHundredUnits) => {
            AppError::invalid("face_value_minor", "must be a multiple of 100 currency units")
        }
        CardRejected::InsufficientCash { available_minor, needed_minor } => AppError::new(
            ErrorCode::InsufficientCash,
            format!("cash balance {available_minor} is less than the face value {needed_minor} (minor units)"),
        ),
    }
}

impl App {
    pub fn buy_card(&self, req: &BuyCard<'_>) -> AppResult<CardIssued> {
        let now = self.now();
        let config = self.config.clone();
        self.write(|tx| issue_card_in_tx(tx, &config, req, CardOrigin::Purchased, now))
    }

    /// Operator or partner allocation: no cash moves and no bonus is given.
    pub fn allocate_card(&self, req: &BuyCard<'_>) -> AppResult<CardIssued> {
        let now = self.now();
        let config = self.config.clone();
        self.write(|tx| issue_card_in_tx(tx, &config, req, CardOrigin::Allocated, now))
    }

    pub fn cards(&self, account_id: AccountId, status: Option<&str>) -> AppResult<Vec<CardRecord>> {
        let status = status
            .map(|s| CardStatus::parse(s).ok_or_else(|| AppError::invalid("status", "unknown card status")))
            .transpose()?;
        self.read(|r| {
            input::account(r, account_id)?;
            Ok(r.cards_of(account_id, status)?)
        })
    }
}

pub fn issue_card_in_tx(
    tx: &mut dyn WriteTx,
    config: &AppConfig,
    req: &BuyCard<'_>,
    origin: CardOrigin,
    now: Timestamp,
) -> AppResult<CardIssued> {
    let face_value = input::amount("face_value_minor", req.face_value_minor)?;
    let currency = input::currency("currency", req.currency)?;
    let key = idempotency::parse_key(req.idempotency_key)?;
    let mut account = input::lock_account(tx, req.account_id)?;
    input::same_currency(&account, currency)?;
    let scope = idempotency::account_scope(req.account_id.0);
    let fp = idempotency::fingerprint(&["issue_card", origin.as_str(), &face_value.minor().to_string()]);
    if let Replay::Saved(r) = idempotency::check(tx, &scope, key.as_ref(), &fp)? {
        return load_issued(tx, req.account_id, CardId(idempotency::ref_id(&r, "card")?));
    }
    let (cash, owed) = snapshot::cash_and_owed(tx, &account)?;
    let plan = match origin {
        CardOrigin::Purchased => plan_card_purchase(face_value, currency, cash, owed, &config.bonus_tiers),
        CardOrigin::Allocated => plan_card_allocation(face_value, currency, owed),
    }
    .map_err(rejected)?;
    let zone = tz::zone(&account.account.time_zone)?;
    let window = Window { from: now, until: Some(tz::plus_months(now, config.card_validity_months, &zone)?) };
    let card_id =
        tx.insert_card(&NewCard { account_id: req.account_id, face_value, window, purchased_at: now, origin })?;
    let bonus_id = insert_bonus(tx, req.account_id, &plan, card_id, window, now)?;
    let memo = format!("prepaid card {} {}", coffer_core::card::card_number(card_id), origin.as_str());
    journal::post(tx, &mut account, &card_entry(&plan, card_id, bonus_id, &memo), now)?;
    if owed > 0 {
        super::arrears::after_entry_in_tx(tx, &account, owed, now)?;
    }
    if plan.split.rest_minor == 0 {
        tx.set_card_status(req.account_id, card_id, CardStatus::UsedUp)?;
    }
    idempotency::remember(tx, &scope, key.as_ref(), &fp, &format!("card:{card_id}"), now)?;
    load_issued(tx, req.account_id, card_id)
}

fn insert_bonus(
    tx: &mut dyn WriteTx,
    account_id: AccountId,
    plan: &CardPlan,
    card: CardId,
    window: Window,
    now: Timestamp,
) -> AppResult<Option<VoucherId>> {
    let Some(bonus) = plan.bonus else {
        return Ok(None);
    };
    let new = NewVoucher {
        account_id,
        kind: VoucherKind::Discount,
        face_value: bonus,
        window,
        activated_at: now,
        origin: VoucherOrigin::Bonus(card.0),
    };
    Ok(Some(tx.insert_voucher(&new)?))
}

fn load_issued(tx: &mut dyn WriteTx, account_id: AccountId, card_id: CardId) -> AppResult<CardIssued> {
    let card = tx.card(account_id, card_id)?.ok_or_else(|| card_not_found(card_id))?;
    let bonus_voucher =
        tx.vouchers_of(account_id, None)?.into_iter().find(|v| v.origin == VoucherOrigin::Bonus(card_id.0));
    Ok(CardIssued { card, bonus_voucher })
}
