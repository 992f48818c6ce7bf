//! Builds the benchmark's accounts through the use cases themselves (so the data is
//! exactly what production would hold), many accounts per transaction so that
//! setup takes seconds, not one fsync per instrument.

use coffer_app::use_cases::accounts::{create_account_in_tx, CreateAccount};
use coffer_app::use_cases::cards::{issue_card_in_tx, BuyCard};
use coffer_app::use_cases::cash::{credit_cash_in_tx, CreditCash};
use coffer_app::use_cases::vouchers::{issue_voucher_in_tx, IssueVoucher, ValidityInput};
use coffer_app::use_cases::workspaces::{bind_workspace_in_tx, BindWorkspace};
use coffer_app::{App, AppResult};
use coffer_core::card::CardOrigin;
use coffer_core::ids::AccountId;
use coffer_store::WriteTx;

use super::workload::{account_mix, workspace, Rng};

/// Accounts created per transaction.
const PER_TX: usize = 500;

/// Creates `accounts` accounts with their instruments and two workspaces each.
pub fn build(app: &App, accounts: usize, seed: u64) -> AppResult<()> {
    let mut rng = Rng::new(seed);
    let mut next = 0;
    while next < accounts {
        let end = (next + PER_TX).min(accounts);
        app.write(|tx| (next..end).try_for_each(|a| one_account(app, tx, a, &mut rng)))?;
        next = end;
    }
    Ok(())
}

fn one_account(app: &App, tx: &mut dyn WriteTx, a: usize, rng: &mut Rng) -> AppResult<()> {
    let now = app.now();
    let name = format!("Bench {a}");
    let req = CreateAccount {
        name: &name,
        currency: "CNY",
        time_zone: None,
        arrears_limit_minor: None,
        idempotency_key: None,
    };
    let id = create_account_in_tx(tx, &req, now)?.account.id;
    bind(tx, id, a, now)?;
    let mix = account_mix(rng);
    if mix.cash > 0 {
        let external = format!("bench-{a}");
        let req = CreditCash {
            account_id: id,
            amount_minor: mix.cash,
            currency: "CNY",
            source: "bank_transfer",
            external_id: &external,
            memo: "",
        };
        credit_cash_in_tx(tx, &req, now)?;
    }
    let vouchers = mix.standard_vouchers.iter().map(|v| ("standard", *v)).chain([("discount", mix.discount_voucher)]);
    for (kind, face_value_minor) in vouchers {
        let validity = ValidityInput::Days(365);
        let req =
            IssueVoucher { account_id: id, kind, face_value_minor, currency: "CNY", validity, idempotency_key: None };
        issue_voucher_in_tx(tx, &req, now)?;
    }
    for face_value_minor in mix.cards {
        let req = BuyCard { account_id: id, face_value_minor, currency: "CNY", idempotency_key: None };
        issue_card_in_tx(tx, &app.config, &req, CardOrigin::Allocated, now)?;
    }
    Ok(())
}

fn bind(tx: &mut dyn WriteTx, id: AccountId, a: usize, now: coffer_core::time::Timestamp) -> AppResult<()> {
    let bc = workspace(a, true);
    let req = BindWorkspace {
        account_id: id,
        workspace_id: &bc,
        settlement: "billing_center",
        cloud_provider: None,
        cloud_account_id: None,
    };
    bind_workspace_in_tx(tx, &req, now)?;
    let cloud = workspace(a, false);
    let cloud_account = format!("{}", 100_000 + a);
    let req = BindWorkspace {
        account_id: id,
        workspace_id: &cloud,
        settlement: "cloud",
        cloud_provider: Some("aliyun"),
        cloud_account_id: Some(&cloud_account),
    };
    bind_workspace_in_tx(tx, &req, now).map(drop)
}
