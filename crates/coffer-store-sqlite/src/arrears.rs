//! Workspace arrears states on SQLite: one row per workspace in grace or locked.

use coffer_core::arrears::ArrearsState;
use coffer_core::ids::{AccountId, WorkspaceId};
use coffer_core::time::Timestamp;
use coffer_store::arrears::{ArrearsReads, ArrearsWrites, WorkspaceArrears};
use coffer_store::StoreResult;
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::map_err;
use crate::rows::{corrupt, from_sql_err, to_sql_err};

type R<T> = StoreResult<T>;

const COLUMNS: &str = "workspace_id, billing_account_id, state, grace_since_ms, lock_warned, locked_at_ms";

fn state_row(r: &Row<'_>) -> rusqlite::Result<WorkspaceArrears> {
    let id: String = r.get(0)?;
    let state: String = r.get(2)?;
    let since = Timestamp(r.get(3)?);
    let state = match (state.as_str(), r.get::<_, Option<i64>>(5)?) {
        ("grace", None) => ArrearsState::Grace { since, warned: r.get(4)? },
        ("locked", Some(at)) => ArrearsState::Locked { since, at: Timestamp(at) },
        _ => return Err(to_sql_err(corrupt("workspace arrears state", &state))),
    };
    Ok(WorkspaceArrears {
        workspace_id: WorkspaceId::parse(&id).map_err(|_| to_sql_err(corrupt("workspace id", &id)))?,
        account_id: AccountId(r.get(1)?),
        state,
    })
}

pub(crate) fn workspace_arrears(c: &Connection, workspace: &WorkspaceId) -> R<ArrearsState> {
    let sql = format!("SELECT {COLUMNS} FROM workspace_arrears WHERE workspace_id = ?1");
    let row = crate::cached_row(c, &sql, [workspace.as_str()], state_row).optional().map_err(from_sql_err)?;
    Ok(row.map_or(ArrearsState::Normal, |r| r.state))
}

pub(crate) fn workspace_arrears_of(c: &Connection, account: AccountId) -> R<Vec<WorkspaceArrears>> {
    let sql = format!("SELECT {COLUMNS} FROM workspace_arrears WHERE billing_account_id = ?1 ORDER BY workspace_id");
    let mut stmt = c.prepare_cached(&sql).map_err(map_err)?;
    let rows = stmt.query_map([account.0], state_row).map_err(from_sql_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(from_sql_err)
}

pub(crate) fn accounts_in_grace(c: &Connection, after: AccountId, limit: u32) -> R<Vec<AccountId>> {
    let sql = "SELECT DISTINCT billing_account_id FROM workspace_arrears WHERE state = 'grace' \
               AND billing_account_id > ?1 ORDER BY billing_account_id LIMIT ?2";
    let mut stmt = c.prepare_cached(sql).map_err(map_err)?;
    let rows = stmt.query_map(params![after.0, limit], |r| r.get(0).map(AccountId)).map_err(map_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(map_err)
}

pub(crate) fn put_workspace_arrears(c: &Connection, ws: &WorkspaceId, account: AccountId, s: ArrearsState) -> R<()> {
    let (state, since, warned, locked_at) = match s {
        ArrearsState::Normal => {
            let sql = "DELETE FROM workspace_arrears WHERE workspace_id = ?1";
            c.prepare_cached(sql).and_then(|mut st| st.execute([ws.as_str()])).map_err(map_err)?;
            return Ok(());
        }
        ArrearsState::Grace { since, warned } => ("grace", since, warned, None),
        ArrearsState::Locked { since, at } => ("locked", since, true, Some(at.0)),
    };
    let sql = "INSERT INTO workspace_arrears (workspace_id, billing_account_id, state, grace_since_ms, lock_warned, \
               locked_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (workspace_id) DO UPDATE SET \
               billing_account_id = excluded.billing_account_id, state = excluded.state, \
               grace_since_ms = excluded.grace_since_ms, lock_warned = excluded.lock_warned, \
               locked_at_ms = excluded.locked_at_ms";
    let p = params![ws.as_str(), account.0, state, since.0, warned, locked_at];
    c.prepare_cached(sql).and_then(|mut st| st.execute(p)).map_err(map_err)?;
    Ok(())
}

macro_rules! impl_arrears {
    ($ty:ty) => {
        impl ArrearsReads for $ty {
            fn workspace_arrears(&mut self, workspace: &WorkspaceId) -> R<ArrearsState> {
                workspace_arrears(self.conn(), workspace)
            }
            fn workspace_arrears_of(&mut self, account: AccountId) -> R<Vec<WorkspaceArrears>> {
                workspace_arrears_of(self.conn(), account)
            }
            fn accounts_in_grace(&mut self, after: AccountId, limit: u32) -> R<Vec<AccountId>> {
                accounts_in_grace(self.conn(), after, limit)
            }
        }
    };
}

impl_arrears!(crate::ReadView<'_>);
impl_arrears!(crate::SqliteWriteTx<'_>);

impl ArrearsWrites for crate::SqliteWriteTx<'_> {
    fn put_workspace_arrears(&mut self, ws: &WorkspaceId, account: AccountId, state: ArrearsState) -> R<()> {
        put_workspace_arrears(self.conn(), ws, account, state)
    }
}
