//! The money-moving operations the harnesses send, and the reference model that
//! says what the balances must be given which of them were acknowledged.
//!
//! Every operation is designed so that its effect on an account's net position
//! (cash + vouchers + cards − arrears) is known from the request alone: a charge
//! takes its amount, a recharge and an activation add theirs, a card purchase moves
//! cash into a card (and repays arrears first) so the net does not change, and a
//! reversal gives its charge's amount back. Which instrument paid is the planner's
//! business, and `coffer verify` checks it; the model checks that nothing
//! acknowledged was lost and nothing was applied twice.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{balances, statement_rows, workspace, Client, Reply};

/// A card face value below the bonus tiers (DOMAIN §6), so no voucher comes with it.
pub const CARD_FACE: i64 = 10_000;

#[derive(Clone, Debug)]
pub enum Op {
    Charge { account: i64, bill_id: String, amount: i64 },
    Recharge { account: i64, external_id: String, amount: i64 },
    Activate { account: i64, code: String, face: i64 },
    BuyCard { account: i64 },
    Reverse { account: i64, charge_id: i64, amount: i64 },
}

/// One HTTP request of an operation; the key makes every retry of it idempotent.
#[derive(Clone, Debug)]
pub struct Request {
    pub path: String,
    pub body: Value,
    pub key: String,
}

impl Op {
    pub fn account(&self) -> i64 {
        match self {
            Op::Charge { account, .. }
            | Op::Recharge { account, .. }
            | Op::Activate { account, .. }
            | Op::BuyCard { account }
            | Op::Reverse { account, .. } => *account,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Op::Charge { .. } => "charge",
            Op::Recharge { .. } => "recharge",
            Op::Activate { .. } => "activation",
            Op::BuyCard { .. } => "card purchase",
            Op::Reverse { .. } => "reversal",
        }
    }

    pub fn request(&self, key: &str) -> Request {
        let (path, body) = match self {
            Op::Charge { account, bill_id, amount } => (
                "/v1/charges".to_owned(),
                json!({"workspace_id": workspace(*account), "bill_id": bill_id, "category": "payg",
                       "amount_minor": amount, "currency": "CNY", "bill_date": "2026-11-25"}),
            ),
            Op::Recharge { account, external_id, amount } => (
                format!("/v1/accounts/{account}/cash-credits"),
                json!({"amount_minor": amount, "currency": "CNY", "source": "bank_transfer",
                       "external_id": external_id}),
            ),
            Op::Activate { account, code, .. } => {
                (format!("/v1/accounts/{account}/vouchers/activate"), json!({"code": code}))
            }
            Op::BuyCard { account } => (
                format!("/v1/accounts/{account}/prepaid-cards"),
                json!({"face_value_minor": CARD_FACE, "currency": "CNY"}),
            ),
            Op::Reverse { account, charge_id, .. } => {
                (format!("/v1/accounts/{account}/charges/{charge_id}/reverse"), json!({"reason": "harness reversal"}))
            }
        };
        Request { path, body, key: key.to_owned() }
    }

    /// A refusal the model expects sometimes: a card bought without enough cash.
    pub fn refusal_expected(&self, reply: &Reply) -> bool {
        matches!(self, Op::BuyCard { .. }) && reply.status == 422 && reply.code() == "insufficient_cash"
    }

    /// What an acknowledged operation did to the account's net position.
    pub fn net_effect(&self) -> i64 {
        match self {
            Op::Charge { amount, .. } => -amount,
            Op::Recharge { amount, .. } => *amount,
            Op::Activate { face, .. } => *face,
            Op::BuyCard { .. } => 0,
            Op::Reverse { amount, .. } => *amount,
        }
    }
}

/// What the acknowledged operations of one account add up to.
#[derive(Clone, Debug, Default)]
pub struct Expected {
    /// The net position before the run.
    pub opening_net: i64,
    /// Net change from every acknowledged operation.
    pub net_change: i64,
    /// Settled charges by id: (bill id, amount, reversed).
    pub charges: BTreeMap<i64, (String, i64, bool)>,
    /// Cash credits by external id.
    pub credits: BTreeMap<String, i64>,
    pub activations: usize,
    pub cards: usize,
}

/// The reference model: one `Expected` per account, fed acknowledged replies.
#[derive(Clone, Debug, Default)]
pub struct Model {
    pub accounts: BTreeMap<i64, Expected>,
}

impl Model {
    pub fn open(&mut self, account: i64, opening_net: i64) {
        self.accounts.entry(account).or_default().opening_net = opening_net;
    }

    /// Records an acknowledged (2xx) reply to `op`. A charge replayed for a bill the
    /// model already holds adds nothing.
    pub fn acknowledge(&mut self, op: &Op, reply: &Reply) {
        let e = self.accounts.entry(op.account()).or_default();
        match op {
            Op::Charge { bill_id, amount, .. } => {
                let id = charge_id(reply);
                if e.charges.insert(id, (bill_id.clone(), *amount, false)).is_some() {
                    return;
                }
            }
            Op::Recharge { external_id, amount, .. } => {
                if e.credits.insert(external_id.clone(), *amount).is_some() {
                    return;
                }
            }
            Op::Activate { .. } => e.activations += 1,
            Op::BuyCard { .. } => e.cards += 1,
            Op::Reverse { charge_id, .. } => {
                let charge = e.charges.get_mut(charge_id).unwrap_or_else(|| panic!("reversed unknown {charge_id}"));
                if charge.2 {
                    return;
                }
                charge.2 = true;
            }
        }
        e.net_change += op.net_effect();
    }

    /// Checks every account against the server: the net position, each settled
    /// charge (and whether it was reversed), the consumption statement, and the
    /// number of activated vouchers and bought cards. Returns how many facts it checked.
    pub fn check(&self, client: &Client, base: &str) -> usize {
        let mut checked = 0;
        for (account, e) in &self.accounts {
            let b = balances(client, base, *account);
            assert_eq!(
                b.net(),
                e.opening_net + e.net_change,
                "account {account}: balances {b:?} differ from the model's net (opening {} + change {})",
                e.opening_net,
                e.net_change
            );
            for (id, (bill_id, amount, reversed)) in &e.charges {
                let c = client.get(&format!("{base}/v1/accounts/{account}/charges/{id}"));
                assert_eq!(
                    (c["bill_id"].as_str(), c["amount_minor"].as_i64()),
                    (Some(bill_id.as_str()), Some(*amount))
                );
                assert_eq!(!c["reversal"].is_null(), *reversed, "charge {id}: {c}");
                checked += 1;
            }
            let listed = statement_rows(client, &format!("{base}/v1/accounts/{account}/statements/consumption"));
            let mut bills: Vec<&str> = listed.iter().filter_map(|r| r["bill_id"].as_str()).collect();
            bills.sort_unstable();
            let mut expected: Vec<&str> = e.charges.values().map(|(bill, _, _)| bill.as_str()).collect();
            expected.sort_unstable();
            assert_eq!(bills, expected, "account {account}: the consumption statement lists each charge once");
            let vouchers = client.get(&format!("{base}/v1/accounts/{account}/vouchers"));
            let by_code = vouchers.as_array().into_iter().flatten().filter(|v| v["origin"] == "code").count();
            assert_eq!(by_code, e.activations, "account {account}: activated vouchers");
            let cards = client.get(&format!("{base}/v1/accounts/{account}/prepaid-cards"));
            assert_eq!(cards.as_array().map(Vec::len), Some(e.cards), "account {account}: bought cards");
            checked += 2;
        }
        checked
    }
}

pub fn charge_id(reply: &Reply) -> i64 {
    reply.body["charge"]["charge_id"].as_i64().unwrap_or_else(|| panic!("no charge id in {}", reply.text))
}
