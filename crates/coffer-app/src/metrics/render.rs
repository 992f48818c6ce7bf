//! The Prometheus text exposition format, version 0.0.4, written by hand: a few
//! lines per family, which needs no dependency.

use std::fmt::Write;
use std::sync::atomic::Ordering;

use coffer_core::money::Currency;
use coffer_core::policy::{Category, InstrumentClass};

use super::{Metrics, DURATION_BUCKETS, OUTBOXES};

pub(super) fn render(m: &Metrics) -> String {
    let mut out = String::with_capacity(8 * 1024);
    http(&mut out, m);
    charges(&mut out, m);
    failures(&mut out, m);
    jobs(&mut out, m);
    storage(&mut out, m);
    out
}

fn http(out: &mut String, m: &Metrics) {
    header(
        out,
        "coffer_http_requests_total",
        "counter",
        "HTTP requests answered, by route template, method and status.",
    );
    for s in m.http_requests.series() {
        let labels = [("route", &*s.labels[0]), ("method", &*s.labels[1]), ("status", &*s.labels[2])];
        sample(out, "coffer_http_requests_total", &labels, s.value.load(Ordering::Relaxed));
    }
    header(
        out,
        "coffer_http_request_duration_seconds",
        "histogram",
        "Time to answer an HTTP request, by route template.",
    );
    for s in m.http_duration.series() {
        let route = &*s.labels[0];
        let h = &s.value;
        let mut cumulative = 0;
        for (bound, bucket) in DURATION_BUCKETS.iter().zip(&h.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let le = bound.to_string();
            sample(out, "coffer_http_request_duration_seconds_bucket", &[("route", route), ("le", &le)], cumulative);
        }
        let count = h.count.load(Ordering::Relaxed);
        sample(out, "coffer_http_request_duration_seconds_bucket", &[("route", route), ("le", "+Inf")], count);
        let sum = h.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        sample(out, "coffer_http_request_duration_seconds_sum", &[("route", route)], sum);
        sample(out, "coffer_http_request_duration_seconds_count", &[("route", route)], count);
    }
}

fn charges(out: &mut String, m: &Metrics) {
    header(
        out,
        "coffer_charges_settled_total",
        "counter",
        "Charges settled (replays excluded), by category and by each instrument class that paid part of them.",
    );
    for (ci, category) in Category::ALL.iter().enumerate() {
        for (ki, class) in InstrumentClass::ALL.iter().enumerate() {
            let n = m.charges_settled[ci][ki].load(Ordering::Relaxed);
            let labels = [("category", category.as_str()), ("instrument_class", class.as_str())];
            sample(out, "coffer_charges_settled_total", &labels, n);
        }
    }
    header(
        out,
        "coffer_charge_amount_minor_total",
        "counter",
        "Amount of settled charges in minor units, by category and currency.",
    );
    for (ci, category) in Category::ALL.iter().enumerate() {
        for (ki, currency) in Currency::ALL.iter().enumerate() {
            let n = m.charge_amount_minor[ci][ki].load(Ordering::Relaxed);
            let labels = [("category", category.as_str()), ("currency", currency.code())];
            sample(out, "coffer_charge_amount_minor_total", &labels, n);
        }
    }
}

fn failures(out: &mut String, m: &Metrics) {
    header(out, "coffer_failures_total", "counter", "Requests refused or failed, by stable error code.");
    for s in m.failures.series() {
        sample(out, "coffer_failures_total", &[("code", &*s.labels[0])], s.value.load(Ordering::Relaxed));
    }
}

fn jobs(out: &mut String, m: &Metrics) {
    header(out, "coffer_job_runs_total", "counter", "Background job runs, by job and outcome.");
    for s in m.job_runs.series() {
        let labels = [("job", &*s.labels[0]), ("outcome", &*s.labels[1])];
        sample(out, "coffer_job_runs_total", &labels, s.value.load(Ordering::Relaxed));
    }
    header(out, "coffer_job_last_duration_seconds", "gauge", "How long the last run of each job took.");
    for s in m.job_last_duration_nanos.series() {
        let seconds = s.value.load(Ordering::Relaxed) as f64 / 1e9;
        sample(out, "coffer_job_last_duration_seconds", &[("job", &*s.labels[0])], seconds);
    }
}

fn storage(out: &mut String, m: &Metrics) {
    header(
        out,
        "coffer_outbox_backlog",
        "gauge",
        "Deliveries due and not yet made, by outbox, as last measured by the scheduler.",
    );
    for (outbox, cell) in OUTBOXES.iter().zip(&m.outbox_backlog) {
        sample(out, "coffer_outbox_backlog", &[("outbox", outbox.as_str())], cell.load(Ordering::Relaxed));
    }
    header(out, "coffer_db_pool_connections_in_use", "gauge", "PostgreSQL connections lent out by the pool.");
    sample(out, "coffer_db_pool_connections_in_use", &[], m.db_pool_in_use.load(Ordering::Relaxed));
    header(out, "coffer_db_pool_connections_idle", "gauge", "PostgreSQL connections idle in the pool.");
    sample(out, "coffer_db_pool_connections_idle", &[], m.db_pool_idle.load(Ordering::Relaxed));
    header(
        out,
        "coffer_db_writer_queue",
        "gauge",
        "Charges waiting for the group-commit writer (SQLite with group commit).",
    );
    sample(out, "coffer_db_writer_queue", &[], m.db_writer_queue.load(Ordering::Relaxed).max(0));
    let dropped = m.http_requests.dropped() + m.http_duration.dropped() + m.failures.dropped() + m.job_runs.dropped();
    header(
        out,
        "coffer_metrics_series_dropped_total",
        "counter",
        "Recordings lost because a metric family had no free series.",
    );
    sample(out, "coffer_metrics_series_dropped_total", &[], dropped);
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (key, value)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(key);
            out.push_str("=\"");
            escape(out, value);
            out.push('"');
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

/// Label values escape backslash, double quote and line feed (the format's rule).
fn escape(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}
