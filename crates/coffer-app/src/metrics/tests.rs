use std::time::Duration;

use coffer_core::money::Currency;
use coffer_core::policy::{Category, InstrumentClass};

use super::{JobOutcome, Metrics, Outbox};

fn line<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.lines().find(|l| l.starts_with(prefix))
}

#[test]
fn counters_appear_with_their_labels_and_values() {
    let m = Metrics::new();
    m.record_charge_settled(Category::Payg, InstrumentClass::Cash);
    m.record_charge_settled(Category::Payg, InstrumentClass::Cash);
    m.record_charge_amount(Category::Sms, Currency::Usd, 250);
    m.record_failure("insufficient_cash");
    let text = m.render();
    assert!(text.contains("coffer_charges_settled_total{category=\"payg\",instrument_class=\"cash\"} 2\n"), "{text}");
    assert!(text.contains("coffer_charge_amount_minor_total{category=\"sms\",currency=\"USD\"} 250\n"), "{text}");
    assert!(text.contains("coffer_failures_total{code=\"insufficient_cash\"} 1\n"), "{text}");
}

#[test]
fn the_duration_histogram_is_cumulative() {
    let m = Metrics::new();
    m.record_http_request("/v1/charges", "POST", 201, Duration::from_micros(700));
    m.record_http_request("/v1/charges", "POST", 201, Duration::from_millis(30));
    let text = m.render();
    let b = "coffer_http_request_duration_seconds_bucket{route=\"/v1/charges\",";
    assert_eq!(line(&text, &format!("{b}le=\"0.001\"}}")), Some(&*format!("{b}le=\"0.001\"}} 1")));
    assert_eq!(line(&text, &format!("{b}le=\"0.05\"}}")), Some(&*format!("{b}le=\"0.05\"}} 2")));
    assert_eq!(line(&text, &format!("{b}le=\"+Inf\"}}")), Some(&*format!("{b}le=\"+Inf\"}} 2")));
    assert!(text.contains("coffer_http_requests_total{route=\"/v1/charges\",method=\"POST\",status=\"201\"} 2\n"));
}

#[test]
fn job_runs_count_by_outcome_and_keep_the_last_duration() {
    let m = Metrics::new();
    m.record_job_run("expiry", JobOutcome::Succeeded, Duration::from_secs(2));
    m.record_job_run("expiry", JobOutcome::Failed, Duration::from_millis(500));
    m.set_outbox_backlog(Outbox::Cloud, 7);
    let text = m.render();
    assert!(text.contains("coffer_job_runs_total{job=\"expiry\",outcome=\"succeeded\"} 1\n"));
    assert!(text.contains("coffer_job_runs_total{job=\"expiry\",outcome=\"failed\"} 1\n"));
    assert!(text.contains("coffer_job_last_duration_seconds{job=\"expiry\"} 0.5\n"));
    assert!(text.contains("coffer_outbox_backlog{outbox=\"cloud\"} 7\n"));
}

#[test]
fn label_values_are_escaped() {
    let m = Metrics::new();
    m.record_job_run("a\"b\\c\nd", JobOutcome::Skipped, Duration::ZERO);
    assert!(m.render().contains("job=\"a\\\"b\\\\c\\nd\""));
}

#[test]
fn every_family_has_help_and_type_lines() {
    let text = Metrics::new().render();
    for name in [
        "coffer_http_requests_total",
        "coffer_http_request_duration_seconds",
        "coffer_charges_settled_total",
        "coffer_charge_amount_minor_total",
        "coffer_failures_total",
        "coffer_job_runs_total",
        "coffer_outbox_backlog",
        "coffer_db_pool_connections_in_use",
        "coffer_db_writer_queue",
    ] {
        assert!(text.contains(&format!("# TYPE {name} ")), "{name}");
        assert!(text.contains(&format!("# HELP {name} ")), "{name}");
    }
}

/// A measurement rather than a check: run with
/// `cargo test -p coffer-app --release --lib metrics -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement"]
fn recording_a_charge_and_a_request_is_measured_in_nanoseconds() {
    use std::sync::Arc;
    use std::time::Instant;
    const N: u32 = 2_000_000;
    let m = Arc::new(Metrics::new());
    let started = Instant::now();
    for _ in 0..N {
        m.record_charge_settled(Category::Payg, InstrumentClass::Cash);
        m.record_charge_amount(Category::Payg, Currency::Cny, 100);
    }
    let charge_ns = started.elapsed().as_nanos() as f64 / f64::from(N);
    let started = Instant::now();
    for _ in 0..N {
        m.record_http_request("/v1/charges", "POST", 201, Duration::from_micros(300));
    }
    let request_ns = started.elapsed().as_nanos() as f64 / f64::from(N);
    let started = Instant::now();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let m = m.clone();
            std::thread::spawn(move || {
                for _ in 0..N / 4 {
                    m.record_http_request("/v1/charges", "POST", 201, Duration::from_micros(300));
                    m.record_charge_settled(Category::Payg, InstrumentClass::Cash);
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    let contended_ns = started.elapsed().as_nanos() as f64 / f64::from(N);
    println!(
        "charge: {charge_ns:.1} ns, request: {request_ns:.1} ns, 4 threads (request + charge): {contended_ns:.1} ns"
    );
    assert!(m.render().contains("coffer_charges_settled_total{category=\"payg\",instrument_class=\"cash\"} 4000000"));
}
