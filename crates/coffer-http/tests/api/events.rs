//! Issue 8: `GET /v1/workspaces/{id}/state` for the platform and
//! `GET /v1/accounts/{id}/events` for clients catching up on missed webhooks.

use coffer_core::time::Timestamp;
use coffer_store::auth::Role;

use crate::helpers::*;

fn issue_8_the_platform_reads_a_workspace_state_through_grace_and_lock(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account();
    let ws = format!("/v1/workspaces/ws-{a}/state");
    let metering = t.token(Role::Metering, None);
    let r = get(&t, &ws, &metering);
    assert_eq!((r.status, r.body["state"].as_str()), (200, Some("normal")), "{}", r.text);
    assert!(r.body.get("grace_until_ms").is_none());
    assert_eq!(post(&t, "/v1/charges", &metering, t.bill(a, "b1", 500)).status, 201);
    let r = get(&t, &ws, &metering);
    assert_eq!(r.body["state"].as_str(), Some("grace"), "{}", r.text);
    let until = r.body["grace_until_ms"].as_i64().unwrap_or_else(|| panic!("grace_until_ms: {}", r.text));
    t.app.advance_arrears(Timestamp(until)).unwrap_or_else(|e| panic!("{e}"));
    let r = get(&t, &ws, &metering);
    assert_eq!(r.body["state"].as_str(), Some("locked"), "{}", r.text);
    assert_eq!(r.body["locked_at_ms"].as_i64(), Some(until));
    t.credit(a, 500, "repay-1");
    let r = get(&t, &ws, OPERATOR_TOKEN);
    assert_eq!(r.body["state"].as_str(), Some("normal"), "{}", r.text);
    t.assert_ledger_clean();
}

fn issue_8_a_workspace_state_is_for_its_members_the_platform_and_operators(engine: Engine) {
    let t = spawn_app(engine);
    let own = t.account();
    let foreign = t.account();
    let viewer = t.token(Role::Viewer, Some(own));
    assert_eq!(get(&t, &format!("/v1/workspaces/ws-{own}/state"), &viewer).status, 200);
    let theirs = get(&t, &format!("/v1/workspaces/ws-{foreign}/state"), &viewer);
    let missing = get(&t, "/v1/workspaces/no-such-ws/state", &viewer);
    assert_eq!((theirs.status, theirs.code()), (404, missing.code()), "foreign is answered like missing");
    assert_eq!(theirs.body["detail"].as_str().map(|d| d.contains("ws-")), Some(true));
    assert_eq!(call(&t, "GET", &format!("/v1/workspaces/ws-{own}/state"), None, None, &[]).status, 401);
}

fn issue_8_the_event_feed_pages_by_sequence_number_for_members_only(engine: Engine) {
    let t = spawn_app(engine);
    let own = t.account();
    let foreign = t.account();
    t.credit(own, 1_000, "r-1");
    t.credit(own, 2_000, "r-2");
    t.credit(foreign, 3_000, "r-3");
    let viewer = t.token(Role::Viewer, Some(own));
    let r = get(&t, &format!("/v1/accounts/{own}/events?limit=1"), &viewer);
    assert_eq!(r.status, 200, "{}", r.text);
    let first = &r.body["events"][0];
    assert_eq!((first["seq"].as_i64(), first["kind"].as_str()), (Some(1), Some("recharge_succeeded")));
    assert_eq!((first["amount_minor"].as_i64(), first["currency"].as_str()), (Some(1_000), Some("CNY")));
    assert_eq!(r.body["next_after"].as_i64(), Some(1));
    let r = get(&t, &format!("/v1/accounts/{own}/events?after=1"), &viewer);
    let seqs: Vec<i64> =
        r.body["events"].as_array().map(|a| a.iter().filter_map(|e| e["seq"].as_i64()).collect()).unwrap_or_default();
    assert_eq!((seqs, r.body["next_after"].as_i64()), (vec![2], Some(2)));
    let r = get(&t, &format!("/v1/accounts/{own}/events?after=2"), &viewer);
    assert_eq!((r.body["events"].as_array().map(Vec::len), r.body["next_after"].as_i64()), (Some(0), Some(2)));
    assert_eq!(get(&t, &format!("/v1/accounts/{foreign}/events"), &viewer).status, 404);
    assert_eq!(get(&t, &format!("/v1/accounts/{foreign}/events"), OPERATOR_TOKEN).status, 200);
    assert_eq!(get(&t, &format!("/v1/accounts/{own}/events"), &t.token(Role::Metering, None)).status, 403);
    let bad = get(&t, &format!("/v1/accounts/{own}/events?limit=0"), &viewer);
    assert_eq!((bad.status, bad.body["field"].as_str()), (422, Some("limit")), "{}", bad.text);
    let bad = get(&t, &format!("/v1/accounts/{own}/events?after=-3"), &viewer);
    assert_eq!((bad.status, bad.body["field"].as_str()), (422, Some("after")), "{}", bad.text);
}

crate::engine_tests!(
    issue_8_the_platform_reads_a_workspace_state_through_grace_and_lock,
    issue_8_a_workspace_state_is_for_its_members_the_platform_and_operators,
    issue_8_the_event_feed_pages_by_sequence_number_for_members_only,
);
