//! Random sequences of use cases on a real database, on each engine. After every sequence the
//! verifier must find a consistent ledger (balanced entries, balances equal to their
//! postings, sign rules, deductions adding up, allowed instruments, intact chain),
//! and replaying any settled bill must return the original settlement and move
//! nothing.

mod common;

use coffer_app::use_cases::cards::BuyCard;
use coffer_app::use_cases::vouchers::{IssueVoucher, ValidityInput};
use coffer_core::ids::ChargeId;
use common::*;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Credit(i64),
    Voucher { discount: bool, minor: i64, days: u32 },
    Card { hundreds: i64, allocate: bool },
    Charge { cloud: bool, category: usize, minor: i64 },
    Days(i64),
    Expire,
    Reverse(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1i64..500_000).prop_map(Op::Credit),
        (any::<bool>(), 1i64..100_000, 1u32..20).prop_map(|(discount, minor, days)| Op::Voucher {
            discount,
            minor,
            days
        }),
        (1i64..20, any::<bool>()).prop_map(|(hundreds, allocate)| Op::Card { hundreds, allocate }),
        (any::<bool>(), 0usize..3, 1i64..300_000).prop_map(|(cloud, category, minor)| Op::Charge {
            cloud,
            category,
            minor
        }),
        (1i64..5).prop_map(Op::Days),
        Just(Op::Expire),
        (0usize..50).prop_map(Op::Reverse),
    ]
}

fn apply(
    t: &TestApp,
    a: coffer_core::ids::AccountId,
    op: &Op,
    n: usize,
    charges: &mut Vec<(ChargeId, String, String, &'static str, i64)>,
) {
    match op {
        Op::Credit(minor) => t.credit(a, *minor, &format!("bank-{n}")),
        Op::Voucher { discount, minor, days } => {
            let kind = if *discount { "discount" } else { "standard" };
            let req = IssueVoucher {
                account_id: a,
                kind,
                face_value_minor: *minor,
                currency: "CNY",
                validity: ValidityInput::Days(*days),
                idempotency_key: None,
            };
            t.app.issue_voucher(&req).unwrap_or_else(|e| panic!("{e}"));
        }
        Op::Card { hundreds, allocate } => {
            let req =
                BuyCard { account_id: a, face_value_minor: hundreds * 10_000, currency: "CNY", idempotency_key: None };
            // Buying may fail for lack of cash: that is a clean rejection, not a bug.
            let _ = if *allocate { t.app.allocate_card(&req) } else { t.app.buy_card(&req) };
        }
        Op::Charge { cloud, category, minor } => {
            let ws = if *cloud { "wc" } else { "wb" };
            let cat = ["payg", "sms", "testing"][*category];
            let bill = format!("bill-{n}");
            let s = t.settle(ws, &bill, cat, *minor).unwrap_or_else(|e| panic!("{e}"));
            charges.push((s.charge.id, ws.to_owned(), bill, cat, *minor));
        }
        Op::Days(d) => t.days(*d),
        Op::Expire => {
            t.app.expire_due().unwrap_or_else(|e| panic!("{e}"));
        }
        Op::Reverse(idx) => {
            if let Some((id, ..)) = charges.get(*idx) {
                // A second reversal of the same charge is refused, which is fine.
                let _ = t.app.reverse_charge(a, *id, "property test");
            }
        }
    }
}

/// Runs one random sequence on `engine` and checks the ledger afterwards.
fn check_sequence(engine: Engine, ops: &[Op]) -> Result<(), TestCaseError> {
    let t = spawn_app(engine);
    let a = t.account("CNY");
    t.bind(a, "wb");
    t.bind_cloud(a, "wc");
    let mut charges = Vec::new();
    for (n, op) in ops.iter().enumerate() {
        apply(&t, a, op, n, &mut charges);
    }
    let size = t.journal_size();
    for (id, ws, bill, cat, minor) in &charges {
        let replay = t.settle(ws, bill, cat, *minor).unwrap_or_else(|e| panic!("{e}"));
        prop_assert!(replay.replayed);
        prop_assert_eq!(replay.charge.id, *id);
    }
    prop_assert_eq!(t.journal_size(), size, "replays moved money");
    let o = t.app.account_overview(a).unwrap_or_else(|e| panic!("{e}"));
    prop_assert!(o.cash_minor >= 0 && o.voucher_balance_minor >= 0 && o.card_balance_minor >= 0);
    prop_assert!(o.arrears_owed_minor == 0 || o.cash_minor == 0, "cash and arrears never coexist");
    Ok(())
}

/// The property, once per engine: `sqlite::...` and `postgres::...`.
macro_rules! per_engine {
    ($($engine:ident => $variant:ident),*) => {$(
        mod $engine {
            use super::*;

            proptest! {
                #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

                #[test]
                fn any_sequence_of_use_cases_leaves_a_consistent_ledger(ops in prop::collection::vec(op(), 1..40)) {
                    check_sequence(Engine::$variant, &ops)?;
                }
            }
        }
    )*};
}

per_engine!(sqlite => Sqlite, postgres => Postgres);
