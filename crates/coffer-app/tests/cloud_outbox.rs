//! The cloud marketplace outbox (DOMAIN §7, §9; decision 004): enqueued with the
//! charge, delivered with backoff outside transactions, exactly once at the
//! provider across crashes and restarts, and a cancelled subscription settled with
//! the customer. Each test runs on SQLite and on PostgreSQL.

mod cloud_support;
mod common;

use cloud_support::*;
use coffer_app::marketplace::{DeliveryResult, UsageRecord};
use coffer_app::use_cases::charges::{settle_charge_in_tx, SettleCharge};
use coffer_app::use_cases::cloud_delivery::{backoff_ms, BACKOFF_CAP_MS};
use coffer_app::use_cases::workspaces::ChangeSettlement;
use coffer_app::{AppError, ErrorCode};
use coffer_core::journal::Book;
use coffer_core::policy::DeductionPolicy;
use coffer_core::time::Timestamp;
use coffer_core::workspace::{ChangeAuthority, CloudProvider, Settlement};
use coffer_store::rails::OutboxState;
use common::{spawn_app, Engine, T0};

const SECOND: i64 = 1_000;

fn a_cloud_charge_enqueues_one_usage_record_for_its_cloud_part(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind_cloud(a, "wc");
    let id = charge(&t, "wc", "b1", 10_000);
    let item = only_item(&t.app, a, id);
    assert_eq!(item.item.usage_record_id, format!("coffer-{id}-usage"));
    assert_eq!(
        (item.item.amount_minor, item.item.provider, item.item.cloud_account_id.as_str()),
        (10_000, CloudProvider::Aliyun, "1688")
    );
    assert_eq!((item.state, item.attempts, item.next_attempt_at), (OutboxState::Pending, 0, T0));
    t.settle("wc", "b1", "payg", 10_000).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(items(&t.app, a, id).len(), 1, "a replayed bill enqueues nothing more");
    t.assert_clean();
}

fn a_charge_rolled_back_or_refused_leaves_no_usage_record(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind_cloud(a, "wc");
    t.bind(a, "wb");
    let req = SettleCharge {
        workspace_id: "wc",
        bill_id: "b1",
        category: "payg",
        amount_minor: 5_000,
        currency: "CNY",
        bill_date: "2026-11-25",
    };
    let aborted = t.app.write(|tx| {
        settle_charge_in_tx(tx, &DeductionPolicy::v1(), &req, T0)?;
        Err::<(), _>(AppError::new(ErrorCode::Internal, "the caller's transaction fails later"))
    });
    assert!(aborted.is_err());
    let refused = t.app.settle_charge(&SettleCharge { currency: "USD", ..req });
    assert_eq!(refused.map(|_| ()).map_err(|e| e.code), Err(ErrorCode::CurrencyMismatch));
    charge(&t, "wb", "b2", 5_000);
    assert_eq!(t.app.outbox(None, 100).map(|l| l.len()).ok(), Some(0), "billing-center charges have no cloud part");
}

fn transient_failures_are_retried_with_exponential_backoff_until_delivered(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind_cloud(a, "wc");
    let id = charge(&t, "wc", "b1", 10_000);
    let script = Scripted::new(vec![transient("throttled"), transient("503")]);
    let app = scripted_app(&t, CloudProvider::Aliyun, &script);
    let first = app.deliver_outbox().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((first.attempted, first.retried, first.delivered), (1, 1, 0));
    let item = only_item(&app, a, id);
    assert_eq!(
        (item.attempts, item.next_attempt_at, item.last_error.as_deref()),
        (1, Timestamp(T0.0 + 30 * SECOND), Some("throttled"))
    );
    assert_eq!(app.deliver_outbox().map(|r| r.attempted).ok(), Some(0), "not due before its backoff ends");
    t.clock.advance_ms(30 * SECOND);
    app.deliver_outbox().unwrap_or_else(|e| panic!("{e}"));
    let item = only_item(&app, a, id);
    assert_eq!((item.attempts, item.next_attempt_at), (2, Timestamp(T0.0 + 90 * SECOND)), "the wait doubles");
    t.clock.advance_ms(60 * SECOND);
    assert_eq!(app.deliver_outbox().map(|r| r.delivered).ok(), Some(1));
    let item = only_item(&app, a, id);
    assert_eq!((item.state, item.attempts, item.last_error), (OutboxState::Delivered, 3, None));
    let calls = script.calls();
    assert_eq!(calls.len(), 3);
    assert!(calls.iter().all(|c| c.usage_record_id == format!("coffer-{id}-usage") && c.workspace_id == "wc"));
    t.assert_clean();
}

#[test]
fn the_backoff_doubles_to_an_hour_and_then_retries_hourly_forever() {
    let waits: Vec<i64> = (1..=10).map(backoff_ms).collect();
    let minutes: Vec<i64> = waits.iter().map(|w| w / 1_000).collect();
    assert_eq!(minutes, vec![30, 60, 120, 240, 480, 960, 1_920, 3_600, 3_600, 3_600]);
    assert_eq!(backoff_ms(u32::MAX), BACKOFF_CAP_MS);
}

fn a_provider_without_an_adapter_keeps_its_records_pending(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind_cloud(a, "wc");
    let id = charge(&t, "wc", "b1", 700);
    let report = t.app.deliver_outbox().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.attempted, report.retried), (1, 1));
    let item = only_item(&t.app, a, id);
    assert_eq!(item.state, OutboxState::Pending);
    assert!(item.last_error.unwrap_or_default().contains("no marketplace adapter"));
}

fn a_throttled_provider_is_not_called_again_in_the_same_pass(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind_cloud(a, "wc");
    for bill in ["b1", "b2", "b3"] {
        charge(&t, "wc", bill, 100);
    }
    let script = Scripted::new(vec![transient("throttled")]);
    let report = scripted_app(&t, CloudProvider::Aliyun, &script).deliver_outbox().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.attempted, report.retried, report.deferred), (1, 1, 2));
    assert_eq!(script.calls().len(), 1);
}

fn a_record_delivered_just_before_a_crash_is_marked_delivered_and_held_once_by_the_provider(engine: Engine) {
    let t = spawn_app(engine);
    let env = start_sim();
    let a = t.account("CNY");
    t.bind_cloud(a, "wc");
    let id = charge(&t, "wc", "b1", 10_000);
    // The crashed pass reached the provider and died before recording the answer.
    let item = only_item(&t.app, a, id);
    let record = UsageRecord {
        usage_record_id: item.item.usage_record_id.clone(),
        provider: item.item.provider,
        cloud_account_id: item.item.cloud_account_id.clone(),
        amount_minor: item.item.amount_minor,
        currency: item.item.currency,
        account_id: a,
        charge_id: id,
        workspace_id: "wc".into(),
        category: coffer_core::policy::Category::Payg,
        bill_date: coffer_core::time::Date::new(2026, 11, 25).unwrap_or_else(|| panic!("date")),
        usage_at: T0,
    };
    let adapter = env.marketplaces.get(CloudProvider::Aliyun).unwrap_or_else(|| panic!("adapter"));
    assert_eq!(adapter.report_usage(&record), DeliveryResult::Accepted);
    let restarted = app_with(&t, t.another_store(), env.marketplaces.clone());
    let report = restarted.deliver_outbox().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.attempted, report.delivered), (1, 1));
    assert_eq!(only_item(&restarted, a, id).state, OutboxState::Delivered);
    assert_eq!(env.sim.usage().len(), 1, "the provider holds the record once");
    assert_eq!(restarted.deliver_outbox().map(|r| r.attempted).ok(), Some(0));
    t.assert_clean();
}

fn a_lost_answer_is_retried_and_the_provider_bills_the_record_once(engine: Engine) {
    let t = spawn_app(engine);
    let env = start_sim();
    let a = t.account("CNY");
    bind_on(&t, a, "wa", "aws", "cust-1");
    let id = charge(&t, "wa", "b1", 2_500);
    env.sim.set_faults(CloudProvider::Aws, coffer_marketplace::Faults { lost_answers: 1, ..Default::default() });
    let app = app_with(&t, t.app.store.clone(), env.marketplaces.clone());
    assert_eq!(app.deliver_outbox().map(|r| r.retried).ok(), Some(1));
    t.clock.advance_ms(30 * SECOND);
    assert_eq!(app.deliver_outbox().map(|r| r.delivered).ok(), Some(1));
    assert_eq!(only_item(&app, a, id).attempts, 2);
    let usage = env.sim.usage();
    assert_eq!(usage.len(), 1, "{usage:?}");
    assert_eq!((usage[0].quantity, usage[0].usage_record_id.clone()), (2_500, format!("coffer-{id}-usage")));
}

fn a_new_app_over_the_same_database_delivers_what_the_old_one_left_pending(engine: Engine) {
    let t = spawn_app(engine);
    let env = start_sim();
    let a = t.account("CNY");
    bind_on(&t, a, "wz", "azure", "res-1");
    bind_on(&t, a, "wh", "huawei", "inst-1");
    env.sim
        .set_faults(CloudProvider::Azure, coffer_marketplace::Faults { transient_failures: 1, ..Default::default() });
    let before = app_with(&t, t.app.store.clone(), env.marketplaces.clone());
    let ids = [charge(&t, "wz", "b1", 100), charge(&t, "wh", "b2", 200)];
    let first = before.deliver_outbox().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((first.delivered, first.retried), (1, 1));
    drop(before);
    t.clock.advance_ms(30 * SECOND);
    let after = app_with(&t, t.another_store(), env.marketplaces.clone());
    assert_eq!(after.deliver_outbox().map(|r| r.delivered).ok(), Some(1));
    for id in ids {
        assert_eq!(only_item(&after, a, id).state, OutboxState::Delivered);
    }
    assert_eq!(env.sim.usage().len(), 2);
}

fn a_cancelled_subscription_moves_the_amount_to_arrears_and_the_workspaces_to_billing_center(engine: Engine) {
    let t = spawn_app(engine);
    let env = start_sim();
    let a = t.account("CNY");
    let other = t.account("CNY");
    t.bind_cloud(a, "wc");
    t.bind_cloud(other, "wo");
    t.credit(a, 3_000, "bank-1");
    let id = charge(&t, "wc", "b1", 10_000);
    env.sim.cancel_subscription(CloudProvider::Aliyun, "1688");
    let app = app_with(&t, t.app.store.clone(), env.marketplaces.clone());
    let report = app.deliver_outbox().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.rejected, report.workspaces_moved), (1, 2), "{report:?}");
    let item = only_item(&app, a, id);
    assert_eq!((item.state, item.last_error.as_deref()), (OutboxState::Rejected, Some("subscription cancelled")));
    assert_eq!((owed(&app, a), cash(&app, a)), (10_000, 3_000), "arrears rise by exactly the amount");
    assert_eq!(book(&app, a, Book::CloudBilled), 0, "nothing is left to collect from the cloud");
    for (account, ws) in [(a, "wc"), (other, "wo")] {
        let moved = t.app.workspaces_of(account).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(moved[0].id.as_str(), ws);
        assert_eq!((&moved[0].settlement, moved[0].cloud_subscription_active), (&Settlement::BillingCenter, false));
        assert_eq!(moved[0].settlement_changed_in, None, "a system change does not count toward the monthly limit");
    }
    let customer = ChangeSettlement {
        workspace_id: "wc",
        settlement: "cloud",
        cloud_provider: Some("aws"),
        cloud_account_id: Some("cust-2"),
        authority: ChangeAuthority::Customer,
    };
    assert!(t.app.change_settlement(&customer).is_ok(), "the customer may still choose this month");
    assert!(
        charge(&t, "wo", "b2", 500).0 > 0 && owed(&app, other) == 500,
        "the moved workspace now pays from the account"
    );
    t.assert_clean();
}

fn an_operator_relayed_cancellation_moves_only_the_workspaces_on_that_cloud_account(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind_cloud(a, "wc");
    bind_on(&t, a, "wd", "aliyun", "9999");
    let moved = t.app.cancel_cloud_subscription("aliyun", " 1688 ").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(moved.iter().map(|w| w.id.as_str()).collect::<Vec<_>>(), vec!["wc"]);
    assert_eq!(t.app.cancel_cloud_subscription("aliyun", "1688").map(|m| m.len()).ok(), Some(0), "again moves nothing");
    let bad = t.app.cancel_cloud_subscription("gcp", "1688").map(|_| ()).map_err(|e| (e.code, e.field));
    assert_eq!(bad, Err((ErrorCode::Validation, Some("provider"))));
    assert!(t.app.unbind_workspace("wc").is_ok(), "no longer locked into the subscription");
    t.assert_clean();
}

fn a_reversal_queues_a_negative_credit_record_that_the_provider_receives(engine: Engine) {
    let t = spawn_app(engine);
    let env = start_sim();
    let a = t.account("CNY");
    t.bind_cloud(a, "wc");
    let id = charge(&t, "wc", "b1", 4_000);
    let app = app_with(&t, t.app.store.clone(), env.marketplaces.clone());
    app.deliver_outbox().unwrap_or_else(|e| panic!("{e}"));
    t.app.reverse_charge(a, id, "billing error").unwrap_or_else(|e| panic!("{e}"));
    let list = items(&app, a, id);
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(
        (list[1].item.usage_record_id.clone(), list[1].item.amount_minor),
        (format!("coffer-{id}-reversal"), -4_000)
    );
    assert_eq!(app.deliver_outbox().map(|r| r.delivered).ok(), Some(1));
    let quantities: Vec<i64> = env.sim.usage().iter().map(|u| u.quantity).collect();
    assert_eq!(quantities, vec![4_000, -4_000]);
    assert_eq!(book(&app, a, Book::CloudBilled), 0);
    t.assert_clean();
}

fn a_reversal_after_the_usage_was_refused_gives_the_arrears_back_instead_of_queuing_a_credit(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind_cloud(a, "wc");
    let id = charge(&t, "wc", "b1", 6_000);
    let script = Scripted::new(vec![DeliveryResult::Rejected { reason: "unknown instance".into() }]);
    let report = scripted_app(&t, CloudProvider::Aliyun, &script).deliver_outbox().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.rejected, report.workspaces_moved), (1, 0), "a plain rejection moves no workspace");
    assert_eq!(owed(&t.app, a), 6_000);
    t.app.reverse_charge(a, id, "billing error").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(items(&t.app, a, id).len(), 1, "the provider never billed it: no credit record");
    assert_eq!((owed(&t.app, a), book(&t.app, a, Book::CloudBilled)), (0, 0));
    t.assert_clean();
}

fn a_credit_waits_for_its_usage_record_and_is_settled_here_when_the_usage_is_refused(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind_cloud(a, "wc");
    let id = charge(&t, "wc", "b1", 5_000);
    t.app.reverse_charge(a, id, "billing error").unwrap_or_else(|e| panic!("{e}"));
    let script = Scripted::new(vec![DeliveryResult::Rejected { reason: "unknown instance".into() }]);
    let app = scripted_app(&t, CloudProvider::Aliyun, &script);
    let first = app.deliver_outbox().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((first.attempted, first.rejected, first.deferred), (1, 1, 1), "{first:?}");
    assert_eq!(owed(&app, a), 5_000, "the refused usage is owed for now");
    t.clock.advance_ms(31 * SECOND);
    let second = app.deliver_outbox().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((second.attempted, second.rejected), (0, 1), "{second:?}");
    assert_eq!(script.calls().len(), 1, "the credit never went to the provider");
    let states: Vec<OutboxState> = items(&app, a, id).iter().map(|i| i.state).collect();
    assert_eq!(states, vec![OutboxState::Rejected, OutboxState::Rejected]);
    assert_eq!((owed(&app, a), cash(&app, a), book(&app, a, Book::CloudBilled)), (0, 0, 0));
    t.assert_clean();
}

fn a_credit_aws_metering_cannot_carry_is_returned_to_the_customer(engine: Engine) {
    let t = spawn_app(engine);
    let env = start_sim();
    let a = t.account("CNY");
    bind_on(&t, a, "wa", "aws", "cust-1");
    let id = charge(&t, "wa", "b1", 8_000);
    let app = app_with(&t, t.app.store.clone(), env.marketplaces.clone());
    app.deliver_outbox().unwrap_or_else(|e| panic!("{e}"));
    t.app.reverse_charge(a, id, "billing error").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(app.deliver_outbox().map(|r| r.rejected).ok(), Some(1));
    assert_eq!(cash(&app, a), 8_000, "AWS billed the usage; the wallet gives the reversed amount back");
    assert_eq!(book(&app, a, Book::CloudBilled), -8_000, "AWS still owes what it billed");
    assert_eq!(env.sim.usage().len(), 1);
    t.assert_clean();
}

fn the_outbox_listing_filters_by_state_and_refuses_unknown_states(engine: Engine) {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind_cloud(a, "wc");
    charge(&t, "wc", "b1", 100);
    let app = scripted_app(&t, CloudProvider::Aliyun, &Scripted::new(vec![]));
    app.deliver_outbox().unwrap_or_else(|e| panic!("{e}"));
    charge(&t, "wc", "b2", 200);
    let count = |state| app.outbox(state, 10).map(|l| l.len()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((count(None), count(Some("pending")), count(Some("delivered")), count(Some("rejected"))), (2, 1, 1, 0));
    assert_eq!(app.outbox(Some("lost"), 10).map(|_| ()).map_err(|e| e.field), Err(Some("state")));
    let foreign = app.outbox_for_charge(a, coffer_core::ids::ChargeId(9_999)).map(|_| ()).map_err(|e| e.code);
    assert_eq!(foreign, Err(ErrorCode::ChargeNotFound));
}

engine_tests!(
    a_cloud_charge_enqueues_one_usage_record_for_its_cloud_part,
    a_charge_rolled_back_or_refused_leaves_no_usage_record,
    transient_failures_are_retried_with_exponential_backoff_until_delivered,
    a_provider_without_an_adapter_keeps_its_records_pending,
    a_throttled_provider_is_not_called_again_in_the_same_pass,
    a_record_delivered_just_before_a_crash_is_marked_delivered_and_held_once_by_the_provider,
    a_lost_answer_is_retried_and_the_provider_bills_the_record_once,
    a_new_app_over_the_same_database_delivers_what_the_old_one_left_pending,
    a_cancelled_subscription_moves_the_amount_to_arrears_and_the_workspaces_to_billing_center,
    an_operator_relayed_cancellation_moves_only_the_workspaces_on_that_cloud_account,
    a_reversal_queues_a_negative_credit_record_that_the_provider_receives,
    a_reversal_after_the_usage_was_refused_gives_the_arrears_back_instead_of_queuing_a_credit,
    a_credit_waits_for_its_usage_record_and_is_settled_here_when_the_usage_is_refused,
    a_credit_aws_metering_cannot_carry_is_returned_to_the_customer,
    the_outbox_listing_filters_by_state_and_refuses_unknown_states,
);
