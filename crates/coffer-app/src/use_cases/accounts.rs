//! Creating billing accounts, reading their overview, setting the arrears limit.

use coffer_core::account::{parse_account_name, AccountNameError, ACCOUNT_NAME_MAX_LEN};
use coffer_core::ids::AccountId;
use coffer_core::journal::Book;
use coffer_store::records::{AccountRecord, NewAccount};
use coffer_store::{Reads, WriteTx};

use crate::error::{AppError, AppResult};
use crate::idempotency::{self, Replay};
use crate::{input, tz, App};

pub struct CreateAccount<'a> {
    pub name: &'a str,
    pub currency: &'a str,
    /// An IANA zone; `None` means Asia/Shanghai.
    pub time_zone: Option<&'a str>,
    /// The most the account may owe, in minor units; `None` means unlimited.
    pub arrears_limit_minor: Option<i64>,
    pub idempotency_key: Option<&'a str>,
}

/// Balances at a glance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountOverview {
    pub account: AccountRecord,
    pub cash_minor: i64,
    pub arrears_owed_minor: i64,
    pub voucher_balance_minor: i64,
    pub card_balance_minor: i64,
}

impl AccountOverview {
    /// DOMAIN §1: arrears are shown to users as a negative prepaid-card balance.
    pub fn card_balance_shown_minor(&self) -> i64 {
        if self.arrears_owed_minor > 0 {
            -self.arrears_owed_minor
        } else {
            self.card_balance_minor
        }
    }

    /// Cash, vouchers and cards: what can still pay a bill.
    pub fn spendable_minor(&self) -> i64 {
        self.cash_minor.saturating_add(self.voucher_balance_minor).saturating_add(self.card_balance_minor)
    }

    /// How long the spendable balance lasts at the average daily spend of a window
    /// of `window_days` in which `consumed_minor` was spent. Vouchers pay only some
    /// categories, so this is an estimate; with no spend there is no end in sight.
    pub fn runway(&self, consumed_minor: i64, window_days: i64) -> Runway {
        let daily_minor = consumed_minor / window_days.max(1);
        let days = (daily_minor > 0).then(|| self.spendable_minor() / daily_minor);
        Runway { daily_minor, days }
    }
}

/// See [`AccountOverview::runway`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Runway {
    pub daily_minor: i64,
    pub days: Option<i64>,
}

impl App {
    pub fn create_account(&self, req: &CreateAccount<'_>) -> AppResult<AccountRecord> {
        let now = self.now();
        self.write(|tx| create_account_in_tx(tx, req, now))
    }

    pub fn account_overview(&self, id: AccountId) -> AppResult<AccountOverview> {
        self.read(|r| overview(r, id))
    }

    pub fn accounts(&self) -> AppResult<Vec<AccountRecord>> {
        self.read(|r| Ok(r.accounts()?))
    }

    /// Sets or clears the most an account may owe (operator).
    pub fn set_arrears_limit(&self, id: AccountId, limit_minor: Option<i64>) -> AppResult<AccountRecord> {
        if limit_minor.is_some_and(|l| l < 0) {
            return Err(AppError::invalid("arrears_limit_minor", "must not be negative"));
        }
        self.write(|tx| {
            input::lock_account(tx, id)?;
            tx.set_arrears_limit(id, limit_minor)?;
            input::lock_account(tx, id)
        })
    }
}

pub fn create_account_in_tx(
    tx: &mut dyn WriteTx,
    req: &CreateAccount<'_>,
    now: coffer_core::time::Timestamp,
) -> AppResult<AccountRecord> {
    let name = parse_account_name(req.name).map_err(|e| match e {
        AccountNameError::Empty => AppError::invalid("name", "must not be empty"),
        AccountNameError::TooLong => {
            AppError::invalid("name", format!("must be at most {ACCOUNT_NAME_MAX_LEN} characters"))
        }
    })?;
    let currency = input::currency("currency", req.currency)?;
    let time_zone = req.time_zone.unwrap_or(tz::DEFAULT_TIME_ZONE);
    tz::zone(time_zone)?;
    if req.arrears_limit_minor.is_some_and(|l| l < 0) {
        return Err(AppError::invalid("arrears_limit_minor", "must not be negative"));
    }
    let key = idempotency::parse_key(req.idempotency_key)?;
    let limit = req.arrears_limit_minor.map(|l| l.to_string()).unwrap_or_default();
    let fp = idempotency::fingerprint(&["create_account", &name, currency.code(), time_zone, &limit]);
    if let Replay::Saved(r) = idempotency::check(tx, "global", key.as_ref(), &fp)? {
        return input::lock_account(tx, AccountId(idempotency::ref_id(&r, "account")?));
    }
    let new = NewAccount {
        name,
        currency,
        time_zone: time_zone.to_owned(),
        arrears_limit_minor: req.arrears_limit_minor,
        created_at: now,
    };
    let id = tx.insert_account(&new)?;
    idempotency::remember(tx, "global", key.as_ref(), &fp, &format!("account:{id}"), now)?;
    input::lock_account(tx, id)
}

pub fn overview(reads: &mut dyn Reads, id: AccountId) -> AppResult<AccountOverview> {
    let account = input::account(reads, id)?;
    let mut o = AccountOverview {
        account,
        cash_minor: 0,
        arrears_owed_minor: 0,
        voucher_balance_minor: 0,
        card_balance_minor: 0,
    };
    for b in reads.ledger_balances(id)? {
        match b.book {
            Book::Cash => o.cash_minor = b.balance_minor,
            Book::Arrears => o.arrears_owed_minor = -b.balance_minor,
            Book::Voucher => o.voucher_balance_minor += b.balance_minor,
            Book::Card => o.card_balance_minor += b.balance_minor,
            _ => {}
        }
    }
    Ok(o)
}
