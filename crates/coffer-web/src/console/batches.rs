//! Activation-code batches. The plain codes exist only in the answer to the
//! generation (the store keeps keyed hashes), so this process holds each batch's
//! CSV until it is downloaded once, then forgets it.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Form;
use coffer_app::use_cases::statements::csv_field;
use coffer_app::use_cases::voucher_codes::{GenerateCodes, GeneratedCodes};
use coffer_app::use_cases::vouchers::ValidityInput;
use coffer_core::money::Currency;
use coffer_http::AppState;
use minijinja::{context, Value};

use crate::fmt::money;
use crate::forms::{self, field, Errors, FormData};
use crate::view::{base, render_status, with};
use crate::viewer::{run, PageError, PageResult, Viewer};

struct Held {
    summary: Value,
    csv: Option<String>,
}

fn held() -> &'static Mutex<BTreeMap<i64, Held>> {
    static HELD: OnceLock<Mutex<BTreeMap<i64, Held>>> = OnceLock::new();
    HELD.get_or_init(|| Mutex::new(BTreeMap::new()))
}

fn recent() -> Vec<Value> {
    let held = held().lock().unwrap_or_else(|p| p.into_inner());
    held.values().rev().map(|h| context! { available => h.csv.is_some(), ..h.summary.clone() }).collect()
}

fn page_with(v: &Viewer, status: StatusCode, values: Value, errors: Errors, batch: Option<Value>) -> PageResult {
    let ctx = context! { values, errors, batch, recent => recent() };
    Ok(render_status(status, "console_batches.html", with(base(v, None, "batches"), ctx)))
}

pub async fn page(v: Viewer) -> PageResult {
    v.require_operator()?;
    let defaults = context! { kind => "standard", currency => "CNY", valid_days => "90", count => "10" };
    page_with(&v, StatusCode::OK, defaults, Errors::default(), None)
}

fn codes_csv(g: &GeneratedCodes) -> String {
    let mut out = String::from("batch_id,code\n");
    for code in &g.codes {
        out.push_str(&format!("{},{}\n", g.batch.id.0, csv_field(&code.display_grouped())));
    }
    out
}

pub async fn generate(State(s): State<AppState>, v: Viewer, Form(form): Form<FormData>) -> PageResult {
    v.check_csrf(&form)?;
    v.require_operator()?;
    let names = ["kind", "currency", "face_value", "valid_days", "count", "memo"];
    let values = Value::from_serialize(names.iter().map(|n| (*n, field(&form, n))).collect::<BTreeMap<_, _>>());
    let mut errors = Errors::default();
    let currency = Currency::parse(field(&form, "currency")).ok();
    if currency.is_none() {
        errors.add("currency", "Choose CNY or USD");
    }
    let face = forms::amount(&form, "face_value", currency.unwrap_or(Currency::Cny), &mut errors);
    let days = field(&form, "valid_days").parse::<u32>().ok();
    let count = field(&form, "count").parse::<u32>().ok();
    if days.is_none() {
        errors.add("valid_days", "Enter a number of days");
    }
    if count.is_none() {
        errors.add("count", "Enter how many codes to generate");
    }
    let (Some(c), Some(face), Some(days), Some(count)) = (currency, face, days, count) else {
        return page_with(&v, StatusCode::UNPROCESSABLE_ENTITY, values, errors, None);
    };
    let (kind, memo) = (field(&form, "kind").to_owned(), field(&form, "memo").to_owned());
    let done = run(&s, move |app| {
        let req = GenerateCodes {
            kind: &kind,
            face_value_minor: face,
            currency: c.code(),
            validity: ValidityInput::Days(days),
            count,
            memo: &memo,
        };
        app.generate_codes(&req)
    })
    .await?;
    let g = match done {
        Ok(g) => g,
        Err(e) => {
            let errors = Errors::from_app(&e, &names, &[]);
            return page_with(&v, StatusCode::UNPROCESSABLE_ENTITY, values, errors, None);
        }
    };
    let b = &g.batch;
    let summary = context! { id => b.id.0, count => b.batch.count, face => money(b.batch.face_value.minor(), c),
    kind => b.batch.kind.as_str(), memo => b.batch.memo.clone() };
    held()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(b.id.0, Held { summary: summary.clone(), csv: Some(codes_csv(&g)) });
    page_with(
        &v,
        StatusCode::OK,
        context! { kind => "standard", currency => "CNY", valid_days => "90", count => "10" },
        Errors::default(),
        Some(summary),
    )
}

/// The batch's codes, once: the CSV is dropped as it is handed out.
pub async fn download(v: Viewer, Path(id): Path<i64>) -> PageResult {
    v.require_operator()?;
    let csv = held().lock().unwrap_or_else(|p| p.into_inner()).get_mut(&id).and_then(|h| h.csv.take());
    let Some(csv) = csv else {
        return Err(PageError::Status(
            StatusCode::GONE,
            "These codes were already downloaded, or never existed in this server process.".into(),
        ));
    };
    let headers = [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
        (header::CONTENT_DISPOSITION, format!("attachment; filename=\"coffer-codes-batch-{id}.csv\"")),
        (header::CACHE_CONTROL, "no-store".to_owned()),
    ];
    Ok((headers, csv).into_response())
}
