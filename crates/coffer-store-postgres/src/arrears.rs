//! Workspace arrears states on PostgreSQL. Mirrors coffer-store-sqlite's `arrears`.

use coffer_core::arrears::ArrearsState;
use coffer_core::ids::{AccountId, WorkspaceId};
use coffer_core::time::Timestamp;
use coffer_store::arrears::{ArrearsReads, ArrearsWrites, WorkspaceArrears};
use coffer_store::StoreResult;
use postgres::Row;

use crate::rows::{corrupt, get};
use crate::Conn;

type R<T> = StoreResult<T>;

const COLUMNS: &str = "workspace_id, billing_account_id, state, grace_since_ms, lock_warned, locked_at_ms";

fn state_row(r: &Row) -> R<WorkspaceArrears> {
    let id: &str = get(r, 0)?;
    let state: &str = get(r, 2)?;
    let since = Timestamp(get(r, 3)?);
    let state = match (state, get::<Option<i64>>(r, 5)?) {
        ("grace", None) => ArrearsState::Grace { since, warned: get(r, 4)? },
        ("locked", Some(at)) => ArrearsState::Locked { since, at: Timestamp(at) },
        _ => return Err(corrupt("workspace arrears state", state)),
    };
    Ok(WorkspaceArrears {
        workspace_id: WorkspaceId::parse(id).map_err(|_| corrupt("workspace id", id))?,
        account_id: AccountId(get(r, 1)?),
        state,
    })
}

pub(crate) fn workspace_arrears(c: &mut Conn, workspace: &WorkspaceId) -> R<ArrearsState> {
    let sql = format!("SELECT {COLUMNS} FROM workspace_arrears WHERE workspace_id = $1");
    let row = c.query_opt(&sql, &[&workspace.as_str()])?;
    Ok(row.as_ref().map(state_row).transpose()?.map_or(ArrearsState::Normal, |r| r.state))
}

pub(crate) fn workspace_arrears_of(c: &mut Conn, account: AccountId) -> R<Vec<WorkspaceArrears>> {
    let sql = format!("SELECT {COLUMNS} FROM workspace_arrears WHERE billing_account_id = $1 ORDER BY workspace_id");
    c.query(&sql, &[&account.0])?.iter().map(state_row).collect()
}

pub(crate) fn accounts_in_grace(c: &mut Conn, after: AccountId, limit: u32) -> R<Vec<AccountId>> {
    let sql = "SELECT DISTINCT billing_account_id FROM workspace_arrears WHERE state = 'grace' \
               AND billing_account_id > $1 ORDER BY billing_account_id LIMIT $2";
    c.query(sql, &[&after.0, &i64::from(limit)])?.iter().map(|r| get(r, 0).map(AccountId)).collect()
}

pub(crate) fn put_workspace_arrears(c: &mut Conn, ws: &WorkspaceId, account: AccountId, s: ArrearsState) -> R<()> {
    let (state, since, warned, locked_at) = match s {
        ArrearsState::Normal => {
            c.execute("DELETE FROM workspace_arrears WHERE workspace_id = $1", &[&ws.as_str()])?;
            return Ok(());
        }
        ArrearsState::Grace { since, warned } => ("grace", since, warned, None),
        ArrearsState::Locked { since, at } => ("locked", since, true, Some(at.0)),
    };
    let sql = "INSERT INTO workspace_arrears (workspace_id, billing_account_id, state, grace_since_ms, lock_warned, \
               locked_at_ms) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workspace_id) DO UPDATE SET \
               billing_account_id = excluded.billing_account_id, state = excluded.state, \
               grace_since_ms = excluded.grace_since_ms, lock_warned = excluded.lock_warned, \
               locked_at_ms = excluded.locked_at_ms";
    c.execute(sql, &[&ws.as_str(), &account.0, &state, &since.0, &warned, &locked_at])?;
    Ok(())
}

macro_rules! impl_arrears {
    ($ty:ty) => {
        impl ArrearsReads for $ty {
            fn workspace_arrears(&mut self, workspace: &WorkspaceId) -> R<ArrearsState> {
                self.read(|c| workspace_arrears(c, workspace))
            }
            fn workspace_arrears_of(&mut self, account: AccountId) -> R<Vec<WorkspaceArrears>> {
                self.read(|c| workspace_arrears_of(c, account))
            }
            fn accounts_in_grace(&mut self, after: AccountId, limit: u32) -> R<Vec<AccountId>> {
                self.read(|c| accounts_in_grace(c, after, limit))
            }
        }
    };
}

impl_arrears!(crate::ReadView<'_>);
impl_arrears!(crate::PostgresWriteTx<'_>);

impl ArrearsWrites for crate::PostgresWriteTx<'_> {
    fn put_workspace_arrears(&mut self, ws: &WorkspaceId, account: AccountId, state: ArrearsState) -> R<()> {
        self.guarded(|c| put_workspace_arrears(c, ws, account, state))
    }
}
