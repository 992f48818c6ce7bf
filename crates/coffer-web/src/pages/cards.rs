//! Prepaid cards: the list, and buying one with cash, with the bonus discount
//! voucher (DOMAIN §6) shown before the purchase is confirmed.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use coffer_app::use_cases::accounts::AccountOverview;
use coffer_app::use_cases::cards::BuyCard;
use coffer_app::ErrorCode;
use coffer_core::card::{check_face_value, BonusTiers, FaceValueError};
use coffer_core::ids::AccountId;
use coffer_core::money::{Amount, Currency};
use coffer_http::caller::Need;
use coffer_http::AppState;
use coffer_store::records::CardRecord;
use minijinja::{context, Value};

use crate::fmt::{day, money, when, words};
use crate::forms::{self, field, Errors, FormData};
use crate::view::{base, render, render_status, with};
use crate::viewer::{load, run, PageResult, Viewer};

pub fn card_view(r: &CardRecord, c: Currency, zone: &jiff::tz::TimeZone) -> Value {
    let k = &r.card;
    let until = k.window.until.map(|t| day(t.0 - 1, zone));
    context! {
        number => k.number.clone(),
        face => money(k.face_value.minor(), c),
        balance => money(k.balance_minor, c),
        status => k.status.as_str(),
        validity => format!("{} → {}", day(k.window.from.0, zone), until.clone().unwrap_or_else(|| "no expiry".into())),
        purchased => when(k.purchased_at.0, zone),
        expires => until.unwrap_or_else(|| "never".into()),
        origin => words(k.origin.as_str()),
    }
}

pub async fn list(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let o = super::account(&s, &v, id, Need::Read).await?;
    let cards = load(&s, move |app| app.cards(AccountId(id), None)).await?;
    let zone = crate::fmt::zone_of(&o.account);
    let c = o.account.account.currency;
    let ctx = context! {
        cards => cards.iter().map(|r| card_view(r, c, &zone)).collect::<Vec<_>>(),
        notice => super::notice(&q),
    };
    Ok(render("cards.html", with(base(&v, Some(&o.account), "cards"), ctx)))
}

fn bonus_of(tiers: &BonusTiers, face: i64, c: Currency) -> Option<String> {
    Amount::from_minor(face).ok().and_then(|a| tiers.bonus_for(a)).map(|b| money(b.minor(), c))
}

fn form_page(s: &AppState, v: &Viewer, o: &AccountOverview, face: &str, errors: Errors) -> Response {
    let c = o.account.account.currency;
    let cfg = &s.app.config;
    let face_minor = coffer_core::money::parse_major_to_minor(face, c).unwrap_or(0);
    let tiers: Vec<Value> = cfg
        .bonus_tiers
        .tiers()
        .iter()
        .map(|t| context! { threshold => money(t.threshold_minor, c), bonus => money(t.bonus_minor, c) })
        .collect();
    let ctx = context! {
        values => context! { face_value => face },
        errors => errors.clone(),
        cash => money(o.cash_minor, c),
        bonus => bonus_of(&cfg.bonus_tiers, face_minor, c),
        tiers, months => cfg.card_validity_months,
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(status, "buy_card.html", with(base(v, Some(&o.account), "cards"), ctx))
}

pub async fn form(State(s): State<AppState>, v: Viewer, Path(id): Path<i64>) -> PageResult {
    let o = super::account(&s, &v, id, Need::Pay).await?;
    Ok(form_page(&s, &v, &o, "", Errors::default()))
}

/// The bonus line for a face value, for htmx to swap in as the customer types.
pub async fn bonus(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let o = super::account(&s, &v, id, Need::Read).await?;
    let c = o.account.account.currency;
    let face = q.get("face_value").map(String::as_str).unwrap_or("");
    let minor = coffer_core::money::parse_major_to_minor(face, c).unwrap_or(0);
    let bonus = bonus_of(&s.app.config.bonus_tiers, minor, c);
    let hint = (bonus.is_none() && minor > 0).then_some("No bonus voucher at this face value.");
    Ok(render("bonus.html", context! { bonus, bonus_hint => hint }))
}

/// The face value, checked as the purchase will check it, plus enough cash.
fn check(form: &FormData, o: &AccountOverview, errors: &mut Errors) -> Option<i64> {
    let c = o.account.account.currency;
    let face = forms::amount(form, "face_value", c, errors)?;
    let amount = Amount::from_minor(face).ok()?;
    let problem = match check_face_value(amount, c) {
        Err(FaceValueError::BelowMinimum) => {
            Some(format!("The face value must be at least {}", money(100 * c.minor_per_major(), c)))
        }
        Err(FaceValueError::NotMultipleOfHundredUnits) => Some("The face value must be a multiple of 100".to_owned()),
        Ok(()) if face > o.cash_minor => Some(format!("Not enough cash: {} available", money(o.cash_minor, c))),
        Ok(()) => None,
    };
    match problem {
        Some(p) => {
            errors.add("face_value", p);
            None
        }
        None => Some(face),
    }
}

pub async fn submit(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<FormData>,
) -> PageResult {
    v.check_csrf(&form)?;
    let o = super::account(&s, &v, id, Need::Pay).await?;
    let c = o.account.account.currency;
    let mut errors = Errors::default();
    let raw = field(&form, "face_value").to_owned();
    let Some(face) = check(&form, &o, &mut errors) else { return Ok(form_page(&s, &v, &o, &raw, errors)) };
    if field(&form, "confirm") != "yes" {
        let bonus = bonus_of(&s.app.config.bonus_tiers, face, c).unwrap_or_else(|| "none".into());
        let ctx = context! {
            heading => "Buy this prepaid card?",
            rows => vec![("Face value", money(face, c)), ("Paid from cash", money(face, c)),
                ("Cash after", money(o.cash_minor - face, c)), ("Bonus discount voucher", bonus),
                ("Valid for", format!("{} months", s.app.config.card_validity_months))],
            note => "Prepaid cards are not refundable, transferable or exchangeable for cash.",
            action => format!("/accounts/{id}/cards/buy"),
            hidden => HashMap::from([("face_value", crate::fmt::plain(face, c)), ("key", forms::new_key())]),
            button => format!("Buy for {}", money(face, c)),
            back => format!("/accounts/{id}/cards"),
        };
        return Ok(render("confirm.html", with(base(&v, Some(&o.account), "cards"), ctx)));
    }
    let key = field(&form, "key").to_owned();
    let currency = c.code();
    let bought = run(&s, move |app| {
        let req = BuyCard {
            account_id: AccountId(id),
            face_value_minor: face,
            currency,
            idempotency_key: Some(key.as_str()).filter(|k| !k.is_empty()),
        };
        app.buy_card(&req)
    })
    .await?;
    match bought {
        Ok(done) => {
            let code = if done.bonus_voucher.is_some() { "card_bonus" } else { "card" };
            Ok(Redirect::to(&format!("/accounts/{id}/cards?done={code}")).into_response())
        }
        Err(e) => {
            let e = if e.code == ErrorCode::InsufficientCash { e.with_field("face_value_minor") } else { e };
            Ok(form_page(&s, &v, &o, &raw, Errors::from_app(&e, &["face_value"], &[])))
        }
    }
}
