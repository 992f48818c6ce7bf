//! Workspaces and their settlement method (DOMAIN §7).

use crate::ids::{AccountId, WorkspaceId};
use crate::time::YearMonth;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloudProvider {
    Aliyun,
    Aws,
    Huawei,
    Azure,
}

impl CloudProvider {
    pub const ALL: [CloudProvider; 4] =
        [CloudProvider::Aliyun, CloudProvider::Aws, CloudProvider::Huawei, CloudProvider::Azure];

    pub fn as_str(self) -> &'static str {
        match self {
            CloudProvider::Aliyun => "aliyun",
            CloudProvider::Aws => "aws",
            CloudProvider::Huawei => "huawei",
            CloudProvider::Azure => "azure",
        }
    }

    pub fn parse(text: &str) -> Option<CloudProvider> {
        CloudProvider::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// How a workspace's bills are paid.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Settlement {
    BillingCenter,
    Cloud { provider: CloudProvider, cloud_account_id: String },
}

/// The two settlement kinds, without the cloud details; the deduction policy is keyed by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SettlementKind {
    BillingCenter,
    Cloud,
}

impl SettlementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SettlementKind::BillingCenter => "billing_center",
            SettlementKind::Cloud => "cloud",
        }
    }

    pub fn parse(text: &str) -> Option<SettlementKind> {
        match text {
            "billing_center" => Some(SettlementKind::BillingCenter),
            "cloud" => Some(SettlementKind::Cloud),
            _ => None,
        }
    }
}

impl Settlement {
    pub fn kind(&self) -> SettlementKind {
        match self {
            Settlement::BillingCenter => SettlementKind::BillingCenter,
            Settlement::Cloud { .. } => SettlementKind::Cloud,
        }
    }
}

/// Why a cloud account id was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloudAccountIdError {
    Empty,
    TooLong,
}

pub fn check_cloud_account_id(id: &str) -> Result<(), CloudAccountIdError> {
    if id.trim().is_empty() {
        return Err(CloudAccountIdError::Empty);
    }
    if id.len() > 128 {
        return Err(CloudAccountIdError::TooLong);
    }
    Ok(())
}

/// A workspace bound to a billing account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub account_id: AccountId,
    pub settlement: Settlement,
    /// The calendar month (account time zone) of the last customer-made change.
    pub settlement_changed_in: Option<YearMonth>,
    /// While a cloud subscription is active the workspace is locked into it.
    pub cloud_subscription_active: bool,
}

/// Who asks for a settlement change. Only customer changes count toward the monthly limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeAuthority {
    Customer,
    /// An operator override: allowed whatever the month or the lock-in.
    Operator,
    /// A change the system makes (e.g. a cancelled cloud subscription).
    System,
}

/// Checked in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettlementChangeRejected {
    /// The new method equals the current one.
    Unchanged,
    /// The workspace is on cloud settlement and its subscription is still active.
    CloudSubscriptionActive,
    /// A customer already changed this workspace's method this calendar month.
    AlreadyChangedThisMonth,
}

/// What a permitted change records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettlementChange {
    /// The month to record as the last customer change (unchanged for operator and system).
    pub settlement_changed_in: Option<YearMonth>,
    pub cloud_subscription_active: bool,
}

/// Decides whether `workspace` may move to `new` in `this_month`.
pub fn plan_settlement_change(
    workspace: &Workspace,
    new: &Settlement,
    this_month: YearMonth,
    authority: ChangeAuthority,
) -> Result<SettlementChange, SettlementChangeRejected> {
    if &workspace.settlement == new {
        return Err(SettlementChangeRejected::Unchanged);
    }
    let customer = authority == ChangeAuthority::Customer;
    let locked_in = workspace.settlement.kind() == SettlementKind::Cloud && workspace.cloud_subscription_active;
    if customer && locked_in {
        return Err(SettlementChangeRejected::CloudSubscriptionActive);
    }
    if customer && workspace.settlement_changed_in == Some(this_month) {
        return Err(SettlementChangeRejected::AlreadyChangedThisMonth);
    }
    Ok(SettlementChange {
        settlement_changed_in: if customer { Some(this_month) } else { workspace.settlement_changed_in },
        cloud_subscription_active: new.kind() == SettlementKind::Cloud,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(settlement: Settlement, changed: Option<YearMonth>) -> Workspace {
        let cloud = settlement.kind() == SettlementKind::Cloud;
        Workspace {
            id: WorkspaceId::parse("w1").unwrap_or_else(|_| panic!()),
            account_id: AccountId(1),
            settlement,
            settlement_changed_in: changed,
            cloud_subscription_active: cloud,
        }
    }
    const NOV: YearMonth = YearMonth { year: 2026, month: 11 };
    const OCT: YearMonth = YearMonth { year: 2026, month: 10 };
    fn aws() -> Settlement {
        Settlement::Cloud { provider: CloudProvider::Aws, cloud_account_id: "123".into() }
    }

    #[test]
    fn a_customer_may_change_settlement_once_per_calendar_month() {
        let w = ws(Settlement::BillingCenter, Some(OCT));
        let change = plan_settlement_change(&w, &aws(), NOV, ChangeAuthority::Customer);
        assert_eq!(change.map(|c| c.settlement_changed_in), Ok(Some(NOV)));
        let w = ws(Settlement::BillingCenter, Some(NOV));
        assert_eq!(
            plan_settlement_change(&w, &aws(), NOV, ChangeAuthority::Customer),
            Err(SettlementChangeRejected::AlreadyChangedThisMonth)
        );
    }

    #[test]
    fn an_active_cloud_subscription_locks_the_workspace_in_unless_an_operator_overrides() {
        let w = ws(aws(), None);
        assert_eq!(
            plan_settlement_change(&w, &Settlement::BillingCenter, NOV, ChangeAuthority::Customer),
            Err(SettlementChangeRejected::CloudSubscriptionActive)
        );
        let change = plan_settlement_change(&w, &Settlement::BillingCenter, NOV, ChangeAuthority::Operator);
        assert_eq!(change.map(|c| c.settlement_changed_in), Ok(None));
    }

    #[test]
    fn changing_to_the_same_method_is_refused() {
        let w = ws(Settlement::BillingCenter, None);
        assert_eq!(
            plan_settlement_change(&w, &Settlement::BillingCenter, NOV, ChangeAuthority::Operator),
            Err(SettlementChangeRejected::Unchanged)
        );
    }
}
