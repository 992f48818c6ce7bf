//! Demo data: several billing accounts with workspaces on both settlement methods,
//! vouchers of both kinds (one expired), prepaid cards, cash, a few weeks of daily
//! bills including sms and testing, and one account in arrears. Built through the
//! use cases with a clock that walks through the past weeks, so the journal is
//! exactly what real use would have written.

use std::sync::Arc;

use coffer_core::ids::AccountId;
use coffer_core::time::{Timestamp, MS_PER_DAY};
use coffer_core::workspace::ChangeAuthority;

use crate::clock::ManualClock;
use crate::error::AppResult;
use crate::use_cases::accounts::CreateAccount;
use crate::use_cases::cards::BuyCard;
use crate::use_cases::cash::CreditCash;
use crate::use_cases::charges::SettleCharge;
use crate::use_cases::vouchers::{IssueVoucher, ValidityInput};
use crate::use_cases::workspaces::BindWorkspace;
use crate::{tz, App};

/// How many days of bills the demo holds.
pub const DAYS: i64 = 28;

#[derive(Clone, Debug, Default)]
pub struct DemoReport {
    pub accounts: Vec<(AccountId, String)>,
    pub charges: u32,
}

/// Builds the demo into `app`'s store, ending at `app`'s current time.
pub fn build(app: &App) -> AppResult<DemoReport> {
    let end = app.now();
    let start = Timestamp(end.0 - DAYS * MS_PER_DAY);
    let clock = Arc::new(ManualClock::new(start));
    let demo = App { clock: clock.clone(), ..app.clone() };
    let mut report = DemoReport::default();

    let acme = open(&demo, &mut report, "Acme Observability Ltd.", "CNY", None)?;
    let globex = open(&demo, &mut report, "Globex Cloud Inc.", "USD", None)?;
    let initech = open(&demo, &mut report, "Initech (in arrears)", "CNY", None)?;

    bind(&demo, acme, "acme-prod", "billing_center", None)?;
    bind(&demo, acme, "acme-staging", "billing_center", None)?;
    bind(&demo, acme, "acme-aliyun", "cloud", Some(("aliyun", "1688-0001")))?;
    bind(&demo, globex, "globex-main", "billing_center", None)?;
    bind(&demo, globex, "globex-aws", "cloud", Some(("aws", "123456789012")))?;
    bind(&demo, initech, "initech-dev", "billing_center", None)?;

    credit(&demo, acme, 5_000_000, "CNY", "bank_transfer", "DEMO-BANK-0001")?;
    credit(&demo, acme, 200_000, "CNY", "online_payment", "DEMO-ALIPAY-0001")?;
    voucher(&demo, acme, "standard", 300_000, "CNY", ValidityInput::Days(90))?;
    // A voucher that runs out mid-demo, so one expired voucher shows up.
    voucher(&demo, acme, "standard", 50_000, "CNY", ValidityInput::Days(10))?;
    card(&demo, acme, 3_000_000, "CNY")?;
    credit(&demo, globex, 1_000_000, "USD", "bank_transfer", "DEMO-BANK-0002")?;
    voucher(&demo, globex, "standard", 20_000, "USD", ValidityInput::Days(60))?;
    card(&demo, globex, 1_000_000, "USD")?;
    credit(&demo, initech, 30_000, "CNY", "online_payment", "DEMO-ALIPAY-0002")?;

    for day in 0..DAYS {
        clock.set(Timestamp(start.0 + day * MS_PER_DAY + 3_600_000));
        if day == 10 {
            demo.expire_due()?;
        }
        let bills: [(&str, &str, i64); 8] = [
            ("acme-prod", "payg", 68_000 + day * 1_300),
            ("acme-prod", "sms", 1_200 + (day % 5) * 300),
            ("acme-staging", "payg", 9_000 + (day % 7) * 500),
            ("acme-staging", "testing", 2_500),
            ("acme-aliyun", "payg", 15_000 + (day % 3) * 2_000),
            ("globex-main", "payg", 21_000 + day * 250),
            ("globex-aws", "testing", 800 + (day % 4) * 100),
            ("initech-dev", "payg", 4_000 + day * 100),
        ];
        for (workspace, category, amount_minor) in bills {
            settle(&demo, workspace, category, amount_minor, day, &mut report)?;
        }
    }
    clock.set(end);
    demo.expire_due()?;
    demo.change_settlement(&crate::use_cases::workspaces::ChangeSettlement {
        workspace_id: "acme-staging",
        settlement: "cloud",
        cloud_provider: Some("huawei"),
        cloud_account_id: Some("hw-0042"),
        authority: ChangeAuthority::Customer,
    })?;
    Ok(report)
}

fn open(app: &App, report: &mut DemoReport, name: &str, currency: &str, limit: Option<i64>) -> AppResult<AccountId> {
    let req = CreateAccount { name, currency, time_zone: None, arrears_limit_minor: limit, idempotency_key: None };
    let id = app.create_account(&req)?.account.id;
    report.accounts.push((id, name.to_owned()));
    Ok(id)
}

fn bind(
    app: &App,
    account_id: AccountId,
    workspace_id: &str,
    settlement: &str,
    cloud: Option<(&str, &str)>,
) -> AppResult<()> {
    app.bind_workspace(&BindWorkspace {
        account_id,
        workspace_id,
        settlement,
        cloud_provider: cloud.map(|c| c.0),
        cloud_account_id: cloud.map(|c| c.1),
    })?;
    Ok(())
}

fn credit(
    app: &App,
    account_id: AccountId,
    amount_minor: i64,
    currency: &str,
    source: &str,
    external_id: &str,
) -> AppResult<()> {
    app.credit_cash(&CreditCash { account_id, amount_minor, currency, source, external_id, memo: "" })?;
    Ok(())
}

fn voucher(
    app: &App,
    account_id: AccountId,
    kind: &str,
    face_value_minor: i64,
    currency: &str,
    validity: ValidityInput,
) -> AppResult<()> {
    app.issue_voucher(&IssueVoucher { account_id, kind, face_value_minor, currency, validity, idempotency_key: None })?;
    Ok(())
}

fn card(app: &App, account_id: AccountId, face_value_minor: i64, currency: &str) -> AppResult<()> {
    app.buy_card(&BuyCard { account_id, face_value_minor, currency, idempotency_key: None })?;
    Ok(())
}

fn settle(
    app: &App,
    workspace_id: &str,
    category: &str,
    amount_minor: i64,
    day: i64,
    report: &mut DemoReport,
) -> AppResult<()> {
    let ws = crate::input::workspace_id(workspace_id)?;
    let account = app.read(|r| Ok(r.workspace(&ws)?))?.map(|w| w.account_id);
    let Some(account) = account else {
        return Ok(());
    };
    let record = app.read(|r| crate::input::account(r, account))?;
    let zone = tz::zone(&record.account.time_zone)?;
    let bill_date = tz::date_of(Timestamp(app.now().0 - MS_PER_DAY), &zone).to_string();
    let currency = record.account.currency.code();
    let bill_id = format!("{workspace_id}-{category}-d{day:02}");
    app.settle_charge(&SettleCharge {
        workspace_id,
        bill_id: &bill_id,
        category,
        amount_minor,
        currency,
        bill_date: &bill_date,
    })?;
    report.charges += 1;
    Ok(())
}
