//! Binding workspaces to accounts and changing their settlement method (DOMAIN §7).

use coffer_core::ids::AccountId;
use coffer_core::workspace::{
    plan_settlement_change, ChangeAuthority, SettlementChangeRejected, SettlementKind, Workspace,
};
use coffer_store::WriteTx;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::{input, tz, App};

pub struct BindWorkspace<'a> {
    pub account_id: AccountId,
    pub workspace_id: &'a str,
    pub settlement: &'a str,
    pub cloud_provider: Option<&'a str>,
    pub cloud_account_id: Option<&'a str>,
}

pub struct ChangeSettlement<'a> {
    pub workspace_id: &'a str,
    pub settlement: &'a str,
    pub cloud_provider: Option<&'a str>,
    pub cloud_account_id: Option<&'a str>,
    pub authority: ChangeAuthority,
}

fn not_found(id: &str) -> AppError {
    AppError::new(ErrorCode::WorkspaceNotFound, format!("workspace {id} is not bound to any billing account"))
        .with_field("workspace_id")
}

impl App {
    /// Binds a workspace to an account. Binding again to the same account with the
    /// same settlement is a no-op; a workspace bound elsewhere must be unbound first.
    pub fn bind_workspace(&self, req: &BindWorkspace<'_>) -> AppResult<Workspace> {
        let now = self.now();
        self.write(|tx| bind_workspace_in_tx(tx, req, now))
    }

    /// Unbinds a workspace. A workspace locked into an active cloud subscription
    /// cannot be unbound.
    pub fn unbind_workspace(&self, workspace_id: &str) -> AppResult<Workspace> {
        let id = input::workspace_id(workspace_id)?;
        self.write(|tx| {
            let (_, ws) = lock_workspace(tx, &id)?;
            if ws.settlement.kind() == SettlementKind::Cloud && ws.cloud_subscription_active {
                return Err(AppError::new(
                    ErrorCode::CloudSubscriptionActive,
                    "the workspace's cloud subscription is active; cancel it first",
                ));
            }
            tx.delete_workspace(&id)?;
            Ok(ws)
        })
    }

    pub fn change_settlement(&self, req: &ChangeSettlement<'_>) -> AppResult<Workspace> {
        let now = self.now();
        self.write(|tx| change_settlement_in_tx(tx, req, now))
    }

    pub fn workspaces_of(&self, account: AccountId) -> AppResult<Vec<Workspace>> {
        self.read(|r| {
            input::account(r, account)?;
            Ok(r.workspaces_of(account)?)
        })
    }
}

pub fn bind_workspace_in_tx(
    tx: &mut dyn WriteTx,
    req: &BindWorkspace<'_>,
    now: coffer_core::time::Timestamp,
) -> AppResult<Workspace> {
    let id = input::workspace_id(req.workspace_id)?;
    let settlement = input::settlement(req.settlement, req.cloud_provider, req.cloud_account_id)?;
    let account = input::lock_account(tx, req.account_id)?;
    if let Some(existing) = tx.workspace(&id)? {
        if existing.account_id == req.account_id && existing.settlement == settlement {
            return Ok(existing);
        }
        return Err(AppError::new(
            ErrorCode::WorkspaceBoundElsewhere,
            format!("workspace {id} is already bound; unbind it or change its settlement instead"),
        )
        .with_field("workspace_id"));
    }
    let cloud = settlement.kind() == SettlementKind::Cloud;
    let ws = Workspace {
        id,
        account_id: req.account_id,
        settlement,
        settlement_changed_in: None,
        cloud_subscription_active: cloud,
    };
    // A concurrent bind of the same workspace to another account may have won; the
    // store refuses to move it, and that is the same answer as above.
    tx.upsert_workspace(&ws, now).map_err(|e| match e {
        coffer_store::StoreError::Conflict { .. } => AppError::new(
            ErrorCode::WorkspaceBoundElsewhere,
            format!("workspace {} is already bound to another account", ws.id),
        )
        .with_field("workspace_id"),
        other => other.into(),
    })?;
    // A billing-center workspace bound while the account owes joins its grace period.
    super::arrears::after_workspaces_changed_in_tx(tx, &account, now)?;
    Ok(ws)
}

/// Locks the account a workspace is bound to, then reads the workspace again under
/// that lock, so that checks on it (monthly limit, lock-in) cannot race another
/// change of the same workspace.
pub fn lock_workspace(
    tx: &mut dyn WriteTx,
    id: &coffer_core::ids::WorkspaceId,
) -> AppResult<(coffer_store::records::AccountRecord, Workspace)> {
    let before = tx.workspace(id)?.ok_or_else(|| not_found(id.as_str()))?;
    lock_seen_workspace(tx, &before)
}

/// [`lock_workspace`] for a caller that has just read the workspace (`before`), which
/// saves reading it a third time on the charge path.
pub fn lock_seen_workspace(
    tx: &mut dyn WriteTx,
    before: &Workspace,
) -> AppResult<(coffer_store::records::AccountRecord, Workspace)> {
    let id = &before.id;
    let account = input::lock_account(tx, before.account_id)?;
    let after = tx.workspace(id)?.ok_or_else(|| not_found(id.as_str()))?;
    if after.account_id != before.account_id {
        return Err(AppError::new(ErrorCode::StoreBusy, format!("workspace {id} was rebound concurrently; retry")));
    }
    Ok((account, after))
}

pub fn change_settlement_in_tx(
    tx: &mut dyn WriteTx,
    req: &ChangeSettlement<'_>,
    now: coffer_core::time::Timestamp,
) -> AppResult<Workspace> {
    let id = input::workspace_id(req.workspace_id)?;
    let settlement = input::settlement(req.settlement, req.cloud_provider, req.cloud_account_id)?;
    let (account, ws) = lock_workspace(tx, &id)?;
    let month = tz::month_of(now, &tz::zone(&account.account.time_zone)?);
    let change = plan_settlement_change(&ws, &settlement, month, req.authority).map_err(|e| match e {
        SettlementChangeRejected::Unchanged => {
            AppError::new(ErrorCode::SettlementUnchanged, "the workspace already uses this settlement method")
        }
        SettlementChangeRejected::CloudSubscriptionActive => AppError::new(
            ErrorCode::CloudSubscriptionActive,
            "the workspace is locked into its cloud subscription while it is active",
        ),
        SettlementChangeRejected::AlreadyChangedThisMonth => AppError::new(
            ErrorCode::SettlementChangedThisMonth,
            format!("the settlement method was already changed in {month}; it may change once per calendar month"),
        ),
    })?;
    let updated = Workspace {
        settlement,
        settlement_changed_in: change.settlement_changed_in,
        cloud_subscription_active: change.cloud_subscription_active,
        ..ws
    };
    tx.upsert_workspace(&updated, now)?;
    super::arrears::after_workspaces_changed_in_tx(tx, &account, now)?;
    Ok(updated)
}
