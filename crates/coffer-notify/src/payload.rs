//! The webhook body: one event as a JSON object. Field names are stable
//! (docs/WEBHOOKS.md); optional fields are `null` when the kind has none.

use coffer_core::event::Event;
use coffer_core::time::Timestamp;
use serde_json::{json, Value};

/// An instant as RFC 3339 in UTC with milliseconds, e.g. `2026-11-26T02:00:00.000Z`.
pub fn rfc3339(at: Timestamp) -> String {
    let ts = jiff::Timestamp::from_millisecond(at.0).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub fn event_value(event: &Event) -> Value {
    let e = &event.event;
    json!({
        "id": event.id,
        "account_id": e.account_id.0,
        "seq": event.seq,
        "kind": e.kind.as_str(),
        "workspace_id": e.workspace_id.as_ref().map(|w| w.to_string()),
        "subject_id": e.subject_id,
        "amount": e.amount.map(|m| json!({"minor": m.minor, "currency": m.currency.code()})),
        "until": e.until.map(rfc3339),
        "occurred_at": rfc3339(e.occurred_at),
    })
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
            json!({"id": 99, "account_id": 7, "seq": 3, "kind": "monthly_bill_ready", "workspace_id": null,
                   "subject_id": "2026-10", "amount": {"minor": 12345, "currency": "CNY"}, "until": null,
                   "occurred_at": "2026-11-26T02:00:00.000Z"})
        );
    }
}
