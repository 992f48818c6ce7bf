//! A cancelled cloud marketplace subscription (DOMAIN §7, §9; decision 004). The
//! provider tells us by refusing a usage record, or an operator relays it. Either
//! way every workspace on that provider and cloud account moves to billing-center
//! settlement by the system: it no longer counts toward the monthly limit, the lock
//! into the subscription ends, and from then on its bills use the account's own
//! funds (and its arrears rules, §9).
//!
//! Usage the cloud will never collect moves from `cloud_billed` to the account's
//! arrears, so no minor unit is lost (`post_uncollectable`).

use coffer_core::ids::AccountId;
use coffer_core::lifecycle::cloud_uncollectable_entry;
use coffer_core::time::Timestamp;
use coffer_core::workspace::{check_cloud_account_id, ChangeAuthority, CloudProvider, Settlement, Workspace};
use coffer_store::{Reads, WriteTx};

use super::workspaces::{change_settlement_in_tx, ChangeSettlement};
use crate::error::{AppError, AppResult};
use crate::{input, journal, snapshot, App};

/// A provider and one of its customers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CloudSubscription {
    pub provider: CloudProvider,
    pub cloud_account_id: String,
}

impl CloudSubscription {
    /// Parses raw input, naming the field at fault.
    pub fn parse(provider: &str, cloud_account_id: &str) -> AppResult<CloudSubscription> {
        let provider = CloudProvider::parse(provider)
            .ok_or_else(|| AppError::invalid("provider", "must be aliyun, aws, huawei or azure"))?;
        check_cloud_account_id(cloud_account_id)
            .map_err(|_| AppError::invalid("cloud_account_id", "must be 1 to 128 characters"))?;
        Ok(CloudSubscription { provider, cloud_account_id: cloud_account_id.trim().to_owned() })
    }

    fn covers(&self, ws: &Workspace) -> bool {
        match &ws.settlement {
            Settlement::Cloud { provider, cloud_account_id } => {
                *provider == self.provider && *cloud_account_id == self.cloud_account_id
            }
            Settlement::BillingCenter => false,
        }
    }
}

impl App {
    /// The provider says a subscription was cancelled: moves every workspace on it to
    /// billing-center settlement, one transaction per billing account. Cancelling
    /// again moves nothing.
    pub fn cancel_cloud_subscription(&self, provider: &str, cloud_account_id: &str) -> AppResult<Vec<Workspace>> {
        let sub = CloudSubscription::parse(provider, cloud_account_id)?;
        self.cancel_subscription(&sub)
    }

    pub(crate) fn cancel_subscription(&self, sub: &CloudSubscription) -> AppResult<Vec<Workspace>> {
        let accounts = self.read(|r| accounts_on(r, sub))?;
        let mut moved = Vec::new();
        for account in accounts {
            let now = self.now();
            moved.extend(self.write(|tx| cancel_subscription_in_tx(tx, account, sub, now))?);
        }
        Ok(moved)
    }
}

/// Billing accounts with a workspace on `sub`. The store has no index by cloud
/// account, so this reads every account's workspaces; cancellations are rare.
fn accounts_on(r: &mut dyn Reads, sub: &CloudSubscription) -> AppResult<Vec<AccountId>> {
    let mut found = Vec::new();
    for account in r.accounts()? {
        let id = account.account.id;
        if r.workspaces_of(id)?.iter().any(|w| sub.covers(w)) {
            found.push(id);
        }
    }
    Ok(found)
}

/// Moves one account's workspaces on `sub` to billing-center settlement (system change).
pub fn cancel_subscription_in_tx(
    tx: &mut dyn WriteTx,
    account: AccountId,
    sub: &CloudSubscription,
    now: Timestamp,
) -> AppResult<Vec<Workspace>> {
    input::lock_account(tx, account)?;
    let covered: Vec<Workspace> = tx.workspaces_of(account)?.into_iter().filter(|w| sub.covers(w)).collect();
    let mut moved = Vec::with_capacity(covered.len());
    for ws in covered {
        let req = ChangeSettlement {
            workspace_id: ws.id.as_str(),
            settlement: "billing_center",
            cloud_provider: None,
            cloud_account_id: None,
            authority: ChangeAuthority::System,
        };
        moved.push(change_settlement_in_tx(tx, &req, now)?);
    }
    Ok(moved)
}

/// Posts the entry for a usage record the cloud will never collect (or a credit it
/// will never carry): see [`cloud_uncollectable_entry`].
pub fn post_uncollectable(
    tx: &mut dyn WriteTx,
    account: &mut coffer_store::records::AccountRecord,
    amount_minor: i64,
    memo: &str,
    now: Timestamp,
) -> AppResult<()> {
    let (_, owed) = snapshot::cash_and_owed(tx, account)?;
    journal::post(tx, account, &cloud_uncollectable_entry(amount_minor, owed, memo), now)?;
    // Uncollectable usage may start arrears, a credit the cloud never carries may repay them.
    super::arrears::after_entry_in_tx(tx, account, owed, now)?;
    Ok(())
}
