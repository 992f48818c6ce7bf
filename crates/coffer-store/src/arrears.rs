//! Workspace arrears states in the store (DOMAIN §9). A workspace with no row is
//! `normal`; the application decides every transition (coffer-core `arrears`) and
//! the store only keeps the result.

use coffer_core::arrears::ArrearsState;
use coffer_core::ids::{AccountId, WorkspaceId};

use crate::StoreResult;

/// A workspace that is in grace or locked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceArrears {
    pub workspace_id: WorkspaceId,
    pub account_id: AccountId,
    /// Never `Normal`: a normal workspace has no row.
    pub state: ArrearsState,
}

pub trait ArrearsReads {
    /// The workspace's state; `Normal` when it has no row (or does not exist).
    fn workspace_arrears(&mut self, workspace: &WorkspaceId) -> StoreResult<ArrearsState>;
    /// The account's workspaces that are in grace or locked.
    fn workspace_arrears_of(&mut self, account: AccountId) -> StoreResult<Vec<WorkspaceArrears>>;
    /// Accounts with a workspace in grace (not yet locked), ascending, after `after`:
    /// what `advance_arrears` visits.
    fn accounts_in_grace(&mut self, after: AccountId, limit: u32) -> StoreResult<Vec<AccountId>>;
}

pub trait ArrearsWrites {
    /// Stores the workspace's state; `Normal` deletes its row.
    fn put_workspace_arrears(
        &mut self,
        workspace: &WorkspaceId,
        account: AccountId,
        state: ArrearsState,
    ) -> StoreResult<()>;
}
