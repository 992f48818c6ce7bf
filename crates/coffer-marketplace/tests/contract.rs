//! Every adapter against the simulator over real HTTP: each answer of each
//! provider's contract maps to the right delivery result.

use coffer_app::marketplace::{DeliveryResult, Marketplaces, UsageRecord};
use coffer_core::ids::{AccountId, ChargeId};
use coffer_core::money::Currency;
use coffer_core::policy::Category;
use coffer_core::time::{Date, Timestamp};
use coffer_core::workspace::CloudProvider;
use coffer_marketplace::{demo, Faults, MarketplaceSim};

struct Sim {
    sim: MarketplaceSim,
    adapters: Marketplaces,
    base: String,
    _runtime: tokio::runtime::Runtime,
}

fn start() -> Sim {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build();
    let runtime = runtime.unwrap_or_else(|e| panic!("{e}"));
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let sim = MarketplaceSim::new();
    let router = axum::Router::new().nest("/sim-market", coffer_marketplace::router(sim.clone()));
    runtime.spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let base = format!("http://{addr}/sim-market");
    Sim { sim, adapters: demo::marketplaces(&base), base, _runtime: runtime }
}

fn record(provider: CloudProvider, id: &str, amount_minor: i64) -> UsageRecord {
    UsageRecord {
        usage_record_id: id.to_owned(),
        provider,
        cloud_account_id: "cust-1".into(),
        amount_minor,
        currency: Currency::Cny,
        account_id: AccountId(1),
        charge_id: ChargeId(7),
        workspace_id: "w1".into(),
        category: Category::Payg,
        bill_date: Date::new(2026, 11, 25).unwrap_or_else(|| panic!("date")),
        usage_at: Timestamp(1_795_658_400_000),
    }
}

impl Sim {
    fn send(&self, provider: CloudProvider, id: &str, amount_minor: i64) -> DeliveryResult {
        let adapter = self.adapters.get(provider).unwrap_or_else(|| panic!("no adapter"));
        adapter.report_usage(&record(provider, id, amount_minor))
    }
}

fn is_transient(r: &DeliveryResult) -> bool {
    matches!(r, DeliveryResult::Transient { .. })
}

#[test]
fn every_provider_accepts_a_record_once_and_answers_already_accepted_after() {
    let s = start();
    for p in CloudProvider::ALL {
        assert_eq!(s.send(p, "coffer-1-usage", 1_234), DeliveryResult::Accepted, "{p:?}");
        assert_eq!(s.send(p, "coffer-1-usage", 1_234), DeliveryResult::AlreadyAccepted, "{p:?}");
    }
    let usage = s.sim.usage();
    assert_eq!(usage.len(), 4, "{usage:?}");
    assert!(usage.iter().all(|u| u.quantity == 1_234 && u.dimension == "payg" && u.cloud_account_id == "cust-1"));
}

#[test]
fn throttling_and_outages_are_transient_until_the_provider_recovers() {
    let s = start();
    for p in CloudProvider::ALL {
        s.sim.set_faults(p, Faults { transient_failures: 2, ..Faults::default() });
        assert!(is_transient(&s.send(p, "coffer-2-usage", 500)), "{p:?} throttled");
        assert!(is_transient(&s.send(p, "coffer-2-usage", 500)), "{p:?} unavailable");
        assert_eq!(s.send(p, "coffer-2-usage", 500), DeliveryResult::Accepted, "{p:?}");
        assert_eq!(s.sim.requests(p), 3);
    }
}

#[test]
fn a_rejection_knob_makes_every_provider_refuse_for_good() {
    let s = start();
    for p in CloudProvider::ALL {
        s.sim.set_faults(p, Faults { rejections: 1, ..Faults::default() });
        assert!(matches!(s.send(p, "coffer-3-usage", 10), DeliveryResult::Rejected { .. }), "{p:?}");
    }
    assert!(s.sim.usage().is_empty());
}

#[test]
fn a_cancelled_subscription_is_reported_as_such_by_every_provider() {
    let s = start();
    for p in CloudProvider::ALL {
        s.sim.cancel_subscription(p, "cust-1");
        assert_eq!(s.send(p, "coffer-4-usage", 10), DeliveryResult::SubscriptionCancelled, "{p:?}");
    }
}

#[test]
fn a_lost_answer_is_transient_and_the_record_sent_again_is_already_accepted() {
    let s = start();
    for p in CloudProvider::ALL {
        s.sim.set_faults(p, Faults { lost_answers: 1, ..Faults::default() });
        assert!(is_transient(&s.send(p, "coffer-5-usage", 10)), "{p:?}");
        assert_eq!(s.send(p, "coffer-5-usage", 10), DeliveryResult::AlreadyAccepted, "{p:?}");
    }
    assert_eq!(s.sim.usage().len(), 4, "each provider holds the record once");
}

#[test]
fn credits_go_to_aliyun_and_huawei_but_aws_and_azure_metering_refuses_them_without_a_call() {
    let s = start();
    assert_eq!(s.send(CloudProvider::Aliyun, "coffer-6-reversal", -300), DeliveryResult::Accepted);
    assert_eq!(s.send(CloudProvider::Huawei, "coffer-6-reversal", -300), DeliveryResult::Accepted);
    for p in [CloudProvider::Aws, CloudProvider::Azure] {
        assert!(matches!(s.send(p, "coffer-6-reversal", -300), DeliveryResult::Rejected { .. }), "{p:?}");
        assert_eq!(s.sim.requests(p), 0, "{p:?} was not called");
    }
    assert!(s.sim.usage().iter().all(|u| u.quantity == -300));
}

#[test]
fn an_unreachable_provider_is_a_transient_failure() {
    let adapters = demo::marketplaces("http://127.0.0.1:9");
    for p in CloudProvider::ALL {
        let result = adapters.get(p).map(|a| a.report_usage(&record(p, "coffer-8-usage", 10)));
        assert!(matches!(result, Some(DeliveryResult::Transient { .. })), "{p:?}: {result:?}");
    }
}

#[test]
fn the_usage_listing_and_knobs_are_reachable_over_http() {
    let s = start();
    let faults = ureq::post(&format!("{}/sim/control/faults", s.base))
        .send_json(serde_json::json!({"provider": "aws", "rejections": 1}));
    assert_eq!(faults.map(|r| r.status()).ok(), Some(200));
    assert_eq!(s.sim.faults(CloudProvider::Aws).rejections, 1);
    let cancel = ureq::post(&format!("{}/sim/control/cancel", s.base))
        .send_json(serde_json::json!({"provider": "azure", "cloud_account_id": "cust-1"}));
    assert_eq!(cancel.map(|r| r.status()).ok(), Some(204));
    assert_eq!(s.send(CloudProvider::Azure, "coffer-9-usage", 10), DeliveryResult::SubscriptionCancelled);
    assert_eq!(s.send(CloudProvider::Huawei, "coffer-9-usage", 10), DeliveryResult::Accepted);
    let response = ureq::get(&format!("{}/sim/usage", s.base)).call().unwrap_or_else(|e| panic!("{e}"));
    let listed: serde_json::Value = response.into_json().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(listed[0]["usage_record_id"], "coffer-9-usage");
    assert_eq!(listed[0]["provider"], "huawei");
}
