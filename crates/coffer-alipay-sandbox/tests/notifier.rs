//! The retry schedule, driven by the injected clock.

mod common;

use std::time::Duration;

use coffer_alipay_sandbox::SCHEDULE_MS;
use common::{Harness, MINUTE, T0};

fn paid(h: &Harness, out_trade_no: &str) {
    h.open_cashier(&h.order(out_trade_no));
    assert_eq!(h.press("pay", out_trade_no).0, 302);
}

#[test]
fn fail_twice_then_success_means_exactly_three_deliveries_at_0_4m_and_14m() {
    let h = Harness::start();
    h.answer_next(&["fail", "fail"]);
    paid(&h, "TOPUP_RETRY");
    let steps = [(0, 1), (3 * MINUTE, 0), (MINUTE, 1), (10 * MINUTE - 1, 0), (1, 1), (2 * 24 * 60 * MINUTE, 0)];
    for (advance, expected) in steps {
        h.advance(advance);
        assert_eq!(h.sandbox.deliver_due(), expected, "at +{} ms", h.now() - T0);
    }
    assert_eq!(h.received().len(), 3);
    let deliveries = h.sandbox.deliveries();
    assert_eq!(deliveries.len(), 1);
    let times: Vec<i64> = deliveries[0].attempts.iter().map(|a| a.at_millis - T0).collect();
    assert_eq!(times, [0, 4 * MINUTE, 14 * MINUTE]);
    assert!(deliveries[0].done);
    let ids: Vec<String> = h.received().iter().map(|b| h.verify(b).expect("verifies").notify_id).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "same notify_id on every retry");
}

#[test]
fn only_exactly_success_stops_the_retries() {
    let h = Harness::start();
    h.answer_next(&["SUCCESS", "success\n", " success", "ok"]);
    paid(&h, "TOPUP_STRICT");
    let mut sent = 0;
    for gap in SCHEDULE_MS {
        h.advance(gap);
        sent += h.sandbox.deliver_due();
    }
    assert_eq!(sent, 5, "four wrong answers, then success");
}

#[test]
fn a_merchant_that_never_answers_success_gets_eight_attempts_in_about_25_hours() {
    let h = Harness::start();
    h.answer_next(&["fail"; 20]);
    paid(&h, "TOPUP_GIVE_UP");
    let mut at = Vec::new();
    for gap in SCHEDULE_MS {
        h.advance(gap);
        assert_eq!(h.sandbox.deliver_due(), 1);
        at.push(h.now() - T0);
    }
    h.advance(48 * 60 * MINUTE);
    assert_eq!(h.sandbox.deliver_due(), 0);
    assert_eq!(*at.last().expect("attempts"), SCHEDULE_MS.iter().sum::<i64>());
    assert!(h.sandbox.deliveries()[0].done);
}

#[test]
fn the_background_notifier_delivers_without_being_called() {
    let h = Harness::start();
    h.runtime.spawn(h.sandbox.clone().run_notifier(Duration::from_millis(20)));
    paid(&h, "TOPUP_LOOP");
    let waited = (0..200).find(|_| {
        std::thread::sleep(Duration::from_millis(20));
        !h.received().is_empty()
    });
    assert!(waited.is_some(), "no delivery within 4 s");
    assert_eq!(h.verify(&h.received()[0]).expect("verifies").out_trade_no, "TOPUP_LOOP");
}
