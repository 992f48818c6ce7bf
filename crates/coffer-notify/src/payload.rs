//! The webhook body: one event as a JSON object. Field names are stable
//! (docs/WEBHOOKS.md).

use coffer_core::event::Event;
use serde_json::{json, Value};

/// The same object as an event in the feed (`GET /v1/accounts/{id}/events`), so a
/// client that missed a webhook reads the same shape when it catches up. Fields a
/// kind does not have are left out.
pub fn event_value(event: &Event) -> Value {
    let e = &event.event;
    let mut body = json!({
        "id": event.id,
        "seq": event.seq,
        "account_id": e.account_id.0,
        "kind": e.kind.as_str(),
        "occurred_at_ms": e.occurred_at.0,
    });
    let optional = [
        ("workspace_id", e.workspace_id.as_ref().map(|w| json!(w.to_string()))),
        ("subject_id", e.subject_id.as_ref().map(|s| json!(s))),
        ("amount_minor", e.amount.map(|m| json!(m.minor))),
        ("currency", e.amount.map(|m| json!(m.currency.code()))),
        ("until_ms", e.until.map(|t| json!(t.0))),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            body[name] = value;
        }
    }
    body
}

/// The exact bytes that are signed and sent.
pub fn event_body(event: &Event) -> String {
    event_value(event).to_string()
}

#[cfg(test)]
mod tests {
    use coffer_core::event::{EventKind, EventMoney, NewEvent};
    use coffer_core::ids::AccountId;
    use coffer_core::money::Currency;
    use coffer_core::time::Timestamp;

    use super::*;

    #[test]
    fn the_body_names_the_event_its_account_and_its_place_in_the_feed() {
        let mut new =
            NewEvent::new(AccountId(7), EventKind::MonthlyBillReady, Timestamp(1_795_658_400_000), "k".into());
        new.subject_id = Some("2026-10".into());
        new.amount = Some(EventMoney { minor: 12_345, currency: Currency::Cny });
        let body: Value =
            serde_json::from_str(&event_body(&Event { id: 99, seq: 3, event: new })).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            body,
            json!({"id": 99, "seq": 3, "account_id": 7, "kind": "monthly_bill_ready", "subject_id": "2026-10",
                   "amount_minor": 12345, "currency": "CNY", "occurred_at_ms": 1_795_658_400_000_i64})
        );
    }
}
