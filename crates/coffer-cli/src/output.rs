//! Rendering: JSON objects built by hand from app types (which do not derive
//! Serialize), and the small text helpers the commands share. JSON amounts are
//! always integer `*_minor` fields next to a `currency`; times are RFC 3339 UTC.

use coffer_core::money::{format_minor, Currency};
use coffer_core::planner::{Deduction, Source};
use coffer_core::time::{Timestamp, Window};
use coffer_core::workspace::{Settlement, Workspace};
use coffer_store::records::{AccountRecord, CardRecord, ChargeRecord, VoucherRecord};
use jiff::tz::TimeZone;
use serde_json::{json, Value};

use crate::error::exit;

/// What a command produced. `main` prints `json` with `--json`, else `text`;
/// `raw` output (CSV) is printed as is either way.
pub struct Out {
    pub json: Value,
    pub text: String,
    pub raw: bool,
    pub status: u8,
}

impl Out {
    pub fn new(json: Value, text: impl Into<String>) -> Out {
        Out { json, text: text.into(), raw: false, status: exit::OK }
    }

    pub fn raw(text: String) -> Out {
        Out { json: Value::Null, text, raw: true, status: exit::OK }
    }

    pub fn with_status(mut self, status: u8) -> Out {
        self.status = status;
        self
    }
}

/// "1234.56 CNY".
pub fn money(minor: i64, currency: Currency) -> String {
    format!("{} {}", format_minor(minor, currency), currency.code())
}

/// RFC 3339 in UTC, for JSON.
pub fn ts_json(at: Timestamp) -> Value {
    match jiff::Timestamp::from_millisecond(at.0) {
        Ok(t) => Value::String(t.to_string()),
        Err(_) => Value::Null,
    }
}

/// "2026-03-15 10:00:00 +08:00", in the given zone, for people.
pub fn ts_text(at: Timestamp, zone: &TimeZone) -> String {
    match jiff::Timestamp::from_millisecond(at.0) {
        Ok(t) => t.to_zoned(zone.clone()).strftime("%Y-%m-%d %H:%M:%S %:z").to_string(),
        Err(_) => format!("@{}ms", at.0),
    }
}

/// "from .. until .." or "from .. (no expiry)".
pub fn window_text(w: &Window, zone: &TimeZone) -> String {
    match w.until {
        Some(until) => format!("{} → {}", ts_text(w.from, zone), ts_text(until, zone)),
        None => format!("{} → no expiry", ts_text(w.from, zone)),
    }
}

pub fn account_json(a: &AccountRecord) -> Value {
    let acc = &a.account;
    json!({
        "account_id": acc.id.0,
        "name": acc.name,
        "currency": acc.currency.code(),
        "time_zone": acc.time_zone,
        "arrears_limit_minor": acc.arrears_limit_minor,
        "transfer_reference": acc.transfer_reference,
        "created_at": ts_json(a.created_at),
    })
}

pub fn arrears_limit_text(a: &AccountRecord) -> String {
    match a.account.arrears_limit_minor {
        Some(limit) => money(limit, a.account.currency),
        None => "unlimited".to_owned(),
    }
}

pub fn workspace_json(w: &Workspace) -> Value {
    let (provider, cloud_account) = match &w.settlement {
        Settlement::Cloud { provider, cloud_account_id } => (Some(provider.as_str()), Some(cloud_account_id.as_str())),
        Settlement::BillingCenter => (None, None),
    };
    json!({
        "workspace_id": w.id.as_str(),
        "account_id": w.account_id.0,
        "settlement": w.settlement.kind().as_str(),
        "cloud_provider": provider,
        "cloud_account_id": cloud_account,
        "settlement_changed_in": w.settlement_changed_in.map(|m| m.to_string()),
        "cloud_subscription_active": w.cloud_subscription_active,
    })
}

/// "billing_center" or "cloud (aliyun 1688-0001, subscription active)".
pub fn settlement_text(w: &Workspace) -> String {
    match &w.settlement {
        Settlement::BillingCenter => "billing_center".to_owned(),
        Settlement::Cloud { provider, cloud_account_id } => {
            let active = if w.cloud_subscription_active { ", subscription active" } else { "" };
            format!("cloud ({} {cloud_account_id}{active})", provider.as_str())
        }
    }
}

pub fn voucher_json(v: &VoucherRecord, currency: Currency) -> Value {
    let vo = &v.voucher;
    json!({
        "voucher_id": vo.id.0,
        "account_id": vo.account_id.0,
        "kind": vo.kind.as_str(),
        "status": vo.status.as_str(),
        "face_value_minor": vo.face_value.minor(),
        "balance_minor": vo.balance_minor,
        "currency": currency.code(),
        "valid_from": ts_json(vo.window.from),
        "valid_until": vo.window.until.map_or(Value::Null, ts_json),
        "activated_at": ts_json(vo.activated_at),
        "origin": v.origin.kind_str(),
        "origin_ref": v.origin.reference(),
    })
}

pub fn card_json(c: &CardRecord, currency: Currency) -> Value {
    let card = &c.card;
    json!({
        "card_id": card.id.0,
        "number": card.number,
        "account_id": card.account_id.0,
        "origin": card.origin.as_str(),
        "status": card.status.as_str(),
        "face_value_minor": card.face_value.minor(),
        "balance_minor": card.balance_minor,
        "currency": currency.code(),
        "valid_from": ts_json(card.window.from),
        "valid_until": card.window.until.map_or(Value::Null, ts_json),
        "purchased_at": ts_json(card.purchased_at),
    })
}

/// The id of a voucher or card; `None` for cash, arrears and the cloud account.
pub fn instrument_id(source: Source) -> Option<i64> {
    match source {
        Source::Voucher(v) => Some(v.0),
        Source::Card(c) => Some(c.0),
        Source::Cash | Source::Arrears | Source::CloudAccount => None,
    }
}

/// "voucher 3", "card 2", "cash", "arrears", "cloud account".
pub fn instrument_text(source: Source) -> String {
    match source {
        Source::Voucher(v) => format!("voucher {v}"),
        Source::Card(c) => format!("card {}", coffer_core::card::card_number(c)),
        Source::Cash => "cash".to_owned(),
        Source::Arrears => "arrears".to_owned(),
        Source::CloudAccount => "cloud account".to_owned(),
    }
}

pub fn deduction_json(d: &Deduction) -> Value {
    json!({
        "class": d.class.as_str(),
        "instrument_id": instrument_id(d.source),
        "amount_minor": d.amount.minor(),
    })
}

/// A settled charge as data: the fields of `charge settle --json` and more.
pub fn charge_json(c: &ChargeRecord, replayed: bool) -> Value {
    let ch = &c.charge;
    json!({
        "charge_id": c.id.0,
        "account_id": ch.account_id.0,
        "workspace_id": ch.workspace_id.as_str(),
        "bill_id": ch.bill_id.as_str(),
        "category": ch.category.as_str(),
        "settlement": ch.settlement.as_str(),
        "cloud_provider": ch.cloud_provider.map(|p| p.as_str()),
        "bill_date": ch.bill_date.to_string(),
        "amount_minor": ch.amount.minor(),
        "currency": ch.currency.code(),
        "policy_version": ch.policy_version,
        "settled_at": ts_json(ch.settled_at),
        "replayed": replayed,
        "deductions": ch.deductions.iter().map(deduction_json).collect::<Vec<_>>(),
        "reversal": c.reversal.as_ref().map(|r| json!({
            "reversed_at": ts_json(r.at),
            "journal_tx_id": r.journal_tx_id.0,
            "reason": r.reason,
        })),
    })
}
