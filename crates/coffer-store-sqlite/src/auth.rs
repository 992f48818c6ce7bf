//! [`AuthStore`] on SQLite: each call is its own short transaction.

use coffer_core::ids::AccountId;
use coffer_core::time::Timestamp;
use coffer_store::auth::*;
use coffer_store::{StoreError, StoreResult};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::rows::{corrupt, to_sql_err};
use crate::{lock, map_err, SqliteStore};

const USER_COLUMNS: &str = "app_user_id, login, password_hash, role, billing_account_id, created_at_ms";

fn role(text: &str) -> rusqlite::Result<Role> {
    Role::parse(text).ok_or_else(|| to_sql_err(corrupt("role", text)))
}

fn user_row(r: &Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        id: r.get(0)?,
        user: NewUser {
            login: r.get(1)?,
            password_hash: r.get(2)?,
            role: role(&r.get::<_, String>(3)?)?,
            account_id: r.get::<_, Option<i64>>(4)?.map(AccountId),
            created_at: Timestamp(r.get(5)?),
        },
    })
}

const TOKEN_COLUMNS: &str = "api_token_id, token_hash, name, role, billing_account_id, created_at_ms, revoked_at_ms";

fn token_row(r: &Row<'_>) -> rusqlite::Result<TokenRecord> {
    Ok(TokenRecord {
        id: r.get(0)?,
        token: NewToken {
            token_hash: r.get(1)?,
            name: r.get(2)?,
            role: role(&r.get::<_, String>(3)?)?,
            account_id: r.get::<_, Option<i64>>(4)?.map(AccountId),
            created_at: Timestamp(r.get(5)?),
        },
        revoked_at: r.get::<_, Option<i64>>(6)?.map(Timestamp),
    })
}

impl SqliteStore {
    /// Runs one statement-level write in its own immediate transaction.
    fn auth_write<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        let conn = lock(&self.writer);
        conn.execute_batch("BEGIN IMMEDIATE").map_err(map_err)?;
        match f(&conn) {
            Ok(value) => {
                conn.execute_batch("COMMIT").map_err(map_err)?;
                Ok(value)
            }
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(crate::rows::from_sql_err(e))
            }
        }
    }

    fn auth_read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        let conn = self.take_reader()?;
        let result = f(&conn).map_err(crate::rows::from_sql_err);
        self.give_back(conn);
        result
    }
}

impl AuthStore for SqliteStore {
    fn insert_user(&self, new: &NewUser) -> StoreResult<i64> {
        self.auth_write(|c| {
            c.execute(
                "INSERT INTO app_user (login, password_hash, role, billing_account_id, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![new.login, new.password_hash, new.role.as_str(), new.account_id.map(|a| a.0), new.created_at.0],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    fn user_by_login(&self, login: &str) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM app_user WHERE login = ?1");
        self.auth_read(|c| crate::cached_row(c, &sql, [login], user_row).optional())
    }

    fn user(&self, id: i64) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM app_user WHERE app_user_id = ?1");
        self.auth_read(|c| crate::cached_row(c, &sql, [id], user_row).optional())
    }

    fn users_of_account(&self, account: AccountId) -> StoreResult<Vec<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM app_user WHERE billing_account_id = ?1 ORDER BY app_user_id");
        self.auth_read(|c| c.prepare(&sql)?.query_map([account.0], user_row)?.collect())
    }

    fn count_operators(&self) -> StoreResult<u64> {
        let sql = "SELECT (SELECT COUNT(*) FROM app_user WHERE role = 'operator') + \
                   (SELECT COUNT(*) FROM api_token WHERE role = 'operator' AND revoked_at_ms IS NULL)";
        self.auth_read(|c| crate::cached_row(c, sql, [], |r| r.get(0)))
    }

    fn insert_token(&self, new: &NewToken) -> StoreResult<i64> {
        self.auth_write(|c| {
            c.execute(
                "INSERT INTO api_token (token_hash, name, role, billing_account_id, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![new.token_hash, new.name, new.role.as_str(), new.account_id.map(|a| a.0), new.created_at.0],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    fn token_by_hash(&self, token_hash: &str) -> StoreResult<Option<TokenRecord>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_token WHERE token_hash = ?1");
        self.auth_read(|c| crate::cached_row(c, &sql, [token_hash], token_row).optional())
    }

    fn tokens_of_account(&self, account: Option<AccountId>) -> StoreResult<Vec<TokenRecord>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_token WHERE billing_account_id IS ?1 ORDER BY api_token_id");
        self.auth_read(|c| c.prepare(&sql)?.query_map([account.map(|a| a.0)], token_row)?.collect())
    }

    fn revoke_token(&self, id: i64, at: Timestamp) -> StoreResult<()> {
        let n = self.auth_write(|c| {
            c.execute(
                "UPDATE api_token SET revoked_at_ms = ?2 WHERE api_token_id = ?1 AND revoked_at_ms IS NULL",
                params![id, at.0],
            )
        })?;
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict { constraint: "api_token not found or already revoked".into() })
        }
    }

    fn insert_session(&self, new: &NewSession) -> StoreResult<()> {
        self.auth_write(|c| {
            c.execute(
                "INSERT INTO web_session (session_hash, app_user_id, csrf_token, created_at_ms, expires_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![new.session_hash, new.user_id, new.csrf_token, new.created_at.0, new.expires_at.0],
            )
            .map(drop)
        })
    }

    fn session_by_hash(&self, session_hash: &str, now: Timestamp) -> StoreResult<Option<SessionRecord>> {
        let sql = format!(
            "SELECT s.session_hash, s.app_user_id, s.csrf_token, s.created_at_ms, s.expires_at_ms, {} \
             FROM web_session s JOIN app_user u ON u.app_user_id = s.app_user_id \
             WHERE s.session_hash = ?1 AND s.expires_at_ms > ?2",
            USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ")
        );
        self.auth_read(|c| {
            crate::cached_row(c, &sql, params![session_hash, now.0], |r| {
                let user = UserRecord {
                    id: r.get(5)?,
                    user: NewUser {
                        login: r.get(6)?,
                        password_hash: r.get(7)?,
                        role: role(&r.get::<_, String>(8)?)?,
                        account_id: r.get::<_, Option<i64>>(9)?.map(AccountId),
                        created_at: Timestamp(r.get(10)?),
                    },
                };
                Ok(SessionRecord {
                    session: NewSession {
                        session_hash: r.get(0)?,
                        user_id: r.get(1)?,
                        csrf_token: r.get(2)?,
                        created_at: Timestamp(r.get(3)?),
                        expires_at: Timestamp(r.get(4)?),
                    },
                    user,
                })
            })
            .optional()
        })
    }

    fn delete_session(&self, session_hash: &str) -> StoreResult<()> {
        self.auth_write(|c| c.execute("DELETE FROM web_session WHERE session_hash = ?1", [session_hash]).map(drop))
    }

    fn login_attempts_since(&self, login: &str, since: Timestamp) -> StoreResult<u32> {
        let sql = "SELECT COUNT(*) FROM login_attempt WHERE login = ?1 AND at_ms >= ?2";
        self.auth_read(|c| crate::cached_row(c, sql, params![login, since.0], |r| r.get(0)))
    }

    /// SQLite runs one write transaction at a time, which serializes the calls.
    fn reserve_login_attempt(&self, login: &str, at: Timestamp, since: Timestamp) -> StoreResult<u32> {
        self.auth_write(|c| {
            c.execute("DELETE FROM login_attempt WHERE at_ms < ?1", [since.0])?;
            c.execute("INSERT INTO login_attempt (login, at_ms) VALUES (?1, ?2)", params![login, at.0])?;
            let sql = "SELECT COUNT(*) FROM login_attempt WHERE login = ?1 AND at_ms >= ?2";
            crate::cached_row(c, sql, params![login, since.0], |r| r.get(0))
        })
    }

    fn clear_login_attempts(&self, login: &str) -> StoreResult<()> {
        self.auth_write(|c| c.execute("DELETE FROM login_attempt WHERE login = ?1", [login]).map(drop))
    }

    fn saved_response(&self, scope: &str, key: &str) -> StoreResult<Option<SavedResponse>> {
        let sql = "SELECT scope, idem_key, request_hash, status, body, created_at_ms FROM saved_response \
                   WHERE scope = ?1 AND idem_key = ?2";
        self.auth_read(|c| {
            crate::cached_row(c, sql, [scope, key], |r| {
                Ok(SavedResponse {
                    scope: r.get(0)?,
                    key: r.get(1)?,
                    request_hash: r.get(2)?,
                    status: r.get(3)?,
                    body: r.get(4)?,
                    created_at: Timestamp(r.get(5)?),
                })
            })
            .optional()
        })
    }

    fn save_response(&self, s: &SavedResponse) -> StoreResult<()> {
        self.auth_write(|c| {
            c.execute(
                "INSERT INTO saved_response (scope, idem_key, request_hash, status, body, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![s.scope, s.key, s.request_hash, s.status, s.body, s.created_at.0],
            )
            .map(drop)
        })
    }

    fn purge_saved_responses(&self, before: Timestamp) -> StoreResult<u64> {
        let n = self.auth_write(|c| c.execute("DELETE FROM saved_response WHERE created_at_ms < ?1", [before.0]))?;
        Ok(n as u64)
    }
}
