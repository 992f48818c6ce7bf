//! [`AuthStore`] on PostgreSQL: each call is its own short transaction, as on
//! SQLite. Writes run in an explicit READ COMMITTED transaction; reads are single
//! statements (each its own snapshot). Nothing here takes an account lock: nothing
//! here moves money.

use coffer_core::ids::AccountId;
use coffer_core::time::Timestamp;
use coffer_store::auth::*;
use coffer_store::{StoreError, StoreResult};
use postgres::Row;

use crate::rows::{corrupt, get};
use crate::{map_err, Conn, PostgresStore};

type R<T> = StoreResult<T>;

const USER_COLUMNS: &str = "app_user_id, login, password_hash, role, billing_account_id, created_at_ms";

fn role(text: &str) -> R<Role> {
    Role::parse(text).ok_or_else(|| corrupt("role", text))
}

/// A user from `USER_COLUMNS`, starting at column `at`.
fn user_row(r: &Row, at: usize) -> R<UserRecord> {
    Ok(UserRecord {
        id: get(r, at)?,
        user: NewUser {
            login: get(r, at + 1)?,
            password_hash: get(r, at + 2)?,
            role: role(get(r, at + 3)?)?,
            account_id: get::<Option<i64>>(r, at + 4)?.map(AccountId),
            created_at: Timestamp(get(r, at + 5)?),
        },
    })
}

const TOKEN_COLUMNS: &str = "api_token_id, token_hash, name, role, billing_account_id, created_at_ms, revoked_at_ms";

fn token_row(r: &Row) -> R<TokenRecord> {
    Ok(TokenRecord {
        id: get(r, 0)?,
        token: NewToken {
            token_hash: get(r, 1)?,
            name: get(r, 2)?,
            role: role(get(r, 3)?)?,
            account_id: get::<Option<i64>>(r, 4)?.map(AccountId),
            created_at: Timestamp(get(r, 5)?),
        },
        revoked_at: get::<Option<i64>>(r, 6)?.map(Timestamp),
    })
}

fn all<T>(rows: Vec<Row>, map: impl Fn(&Row) -> R<T>) -> R<Vec<T>> {
    rows.iter().map(map).collect()
}

impl PostgresStore {
    /// Runs `f` in its own READ COMMITTED transaction, committed if `f` succeeds.
    fn auth_write<T>(&self, f: impl FnOnce(&mut Conn) -> R<T>) -> R<T> {
        let mut conn = self.begin("BEGIN ISOLATION LEVEL READ COMMITTED")?;
        match f(&mut conn) {
            Ok(value) => {
                conn.client.batch_execute("COMMIT").map_err(map_err)?;
                self.give_back(conn);
                Ok(value)
            }
            Err(e) => {
                if conn.client.batch_execute("ROLLBACK").is_ok() {
                    self.give_back(conn);
                }
                Err(e)
            }
        }
    }

    /// Runs a read of single statements outside any explicit transaction. A failed
    /// read is repeated once on a fresh connection: a read is safe to repeat, and a
    /// pooled connection the server has just terminated (57P01) does not always
    /// report itself closed by the time the error arrives.
    fn auth_read<T>(&self, f: impl Fn(&mut Conn) -> R<T>) -> R<T> {
        let mut conn = self.take()?;
        let result = match f(&mut conn) {
            Err(_) => {
                conn = self.open()?;
                f(&mut conn)
            }
            ok => ok,
        };
        self.give_back(conn);
        result
    }
}

impl AuthStore for PostgresStore {
    fn insert_user(&self, new: &NewUser) -> StoreResult<i64> {
        self.auth_write(|c| {
            let row = c.query_one(
                "INSERT INTO app_user (login, password_hash, role, billing_account_id, created_at_ms) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING app_user_id",
                &[&new.login, &new.password_hash, &new.role.as_str(), &new.account_id.map(|a| a.0), &new.created_at.0],
            )?;
            get(&row, 0)
        })
    }

    fn user_by_login(&self, login: &str) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM app_user WHERE login = $1");
        self.auth_read(|c| c.query_opt(&sql, &[&login])?.map(|r| user_row(&r, 0)).transpose())
    }

    fn user(&self, id: i64) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM app_user WHERE app_user_id = $1");
        self.auth_read(|c| c.query_opt(&sql, &[&id])?.map(|r| user_row(&r, 0)).transpose())
    }

    fn users_of_account(&self, account: AccountId) -> StoreResult<Vec<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM app_user WHERE billing_account_id = $1 ORDER BY app_user_id");
        self.auth_read(|c| all(c.query(&sql, &[&account.0])?, |r| user_row(r, 0)))
    }

    fn count_operators(&self) -> StoreResult<u64> {
        let sql = "SELECT (SELECT COUNT(*) FROM app_user WHERE role = 'operator') + \
                   (SELECT COUNT(*) FROM api_token WHERE role = 'operator' AND revoked_at_ms IS NULL)";
        let n: i64 = self.auth_read(|c| get(&c.query_one(sql, &[])?, 0))?;
        u64::try_from(n).map_err(|_| corrupt("operator count", n))
    }

    fn insert_token(&self, new: &NewToken) -> StoreResult<i64> {
        self.auth_write(|c| {
            let row = c.query_one(
                "INSERT INTO api_token (token_hash, name, role, billing_account_id, created_at_ms) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING api_token_id",
                &[&new.token_hash, &new.name, &new.role.as_str(), &new.account_id.map(|a| a.0), &new.created_at.0],
            )?;
            get(&row, 0)
        })
    }

    fn token_by_hash(&self, token_hash: &str) -> StoreResult<Option<TokenRecord>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_token WHERE token_hash = $1");
        self.auth_read(|c| c.query_opt(&sql, &[&token_hash])?.as_ref().map(token_row).transpose())
    }

    fn tokens_of_account(&self, account: Option<AccountId>) -> StoreResult<Vec<TokenRecord>> {
        // IS NOT DISTINCT FROM: SQLite's `IS`, so that `None` lists the tokens of no account.
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM api_token WHERE billing_account_id IS NOT DISTINCT FROM $1 ORDER BY api_token_id"
        );
        let account = account.map(|a| a.0);
        self.auth_read(|c| all(c.query(&sql, &[&account])?, token_row))
    }

    fn revoke_token(&self, id: i64, at: Timestamp) -> StoreResult<()> {
        let n = self.auth_write(|c| {
            c.execute(
                "UPDATE api_token SET revoked_at_ms = $2 WHERE api_token_id = $1 AND revoked_at_ms IS NULL",
                &[&id, &at.0],
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
                "INSERT INTO web_session (session_hash, app_user_id, csrf_token, created_at_ms, expires_at_ms) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[&new.session_hash, &new.user_id, &new.csrf_token, &new.created_at.0, &new.expires_at.0],
            )
            .map(drop)
        })
    }

    fn session_by_hash(&self, session_hash: &str, now: Timestamp) -> StoreResult<Option<SessionRecord>> {
        let user_columns = USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT s.session_hash, s.app_user_id, s.csrf_token, s.created_at_ms, s.expires_at_ms, {user_columns} \
             FROM web_session s JOIN app_user u ON u.app_user_id = s.app_user_id \
             WHERE s.session_hash = $1 AND s.expires_at_ms > $2"
        );
        self.auth_read(|c| {
            let Some(r) = c.query_opt(&sql, &[&session_hash, &now.0])? else {
                return Ok(None);
            };
            Ok(Some(SessionRecord {
                session: NewSession {
                    session_hash: get(&r, 0)?,
                    user_id: get(&r, 1)?,
                    csrf_token: get(&r, 2)?,
                    created_at: Timestamp(get(&r, 3)?),
                    expires_at: Timestamp(get(&r, 4)?),
                },
                user: user_row(&r, 5)?,
            }))
        })
    }

    fn delete_session(&self, session_hash: &str) -> StoreResult<()> {
        self.auth_write(|c| c.execute("DELETE FROM web_session WHERE session_hash = $1", &[&session_hash]).map(drop))
    }

    fn login_attempts_since(&self, login: &str, since: Timestamp) -> StoreResult<u32> {
        let sql = "SELECT COUNT(*) FROM login_attempt WHERE login = $1 AND at_ms >= $2";
        let n: i64 = self.auth_read(|c| get(&c.query_one(sql, &[&login, &since.0])?, 0))?;
        u32::try_from(n).map_err(|_| corrupt("login attempt count", n))
    }

    /// A transaction-scoped advisory lock on the login serializes the calls for one
    /// login; under READ COMMITTED two of them could otherwise each miss the other's
    /// uncommitted row and both count below the limit.
    fn reserve_login_attempt(&self, login: &str, at: Timestamp, since: Timestamp) -> StoreResult<u32> {
        let n: i64 = self.auth_write(|c| {
            c.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", &[&login])?;
            c.execute("DELETE FROM login_attempt WHERE at_ms < $1", &[&since.0])?;
            c.execute("INSERT INTO login_attempt (login, at_ms) VALUES ($1, $2)", &[&login, &at.0])?;
            let sql = "SELECT COUNT(*) FROM login_attempt WHERE login = $1 AND at_ms >= $2";
            get(&c.query_one(sql, &[&login, &since.0])?, 0)
        })?;
        u32::try_from(n).map_err(|_| corrupt("login attempt count", n))
    }

    fn clear_login_attempts(&self, login: &str) -> StoreResult<()> {
        self.auth_write(|c| c.execute("DELETE FROM login_attempt WHERE login = $1", &[&login]).map(drop))
    }

    fn saved_response(&self, scope: &str, key: &str) -> StoreResult<Option<SavedResponse>> {
        let sql = "SELECT scope, idem_key, request_hash, status, body, created_at_ms FROM saved_response \
                   WHERE scope = $1 AND idem_key = $2";
        self.auth_read(|c| {
            let Some(r) = c.query_opt(sql, &[&scope, &key])? else {
                return Ok(None);
            };
            let status: i64 = get(&r, 3)?;
            Ok(Some(SavedResponse {
                scope: get(&r, 0)?,
                key: get(&r, 1)?,
                request_hash: get(&r, 2)?,
                status: u16::try_from(status).map_err(|_| corrupt("saved response status", status))?,
                body: get(&r, 4)?,
                created_at: Timestamp(get(&r, 5)?),
            }))
        })
    }

    fn save_response(&self, s: &SavedResponse) -> StoreResult<()> {
        self.auth_write(|c| {
            c.execute(
                "INSERT INTO saved_response (scope, idem_key, request_hash, status, body, created_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[&s.scope, &s.key, &s.request_hash, &i64::from(s.status), &s.body, &s.created_at.0],
            )
            .map(drop)
        })
    }

    fn purge_saved_responses(&self, before: Timestamp) -> StoreResult<u64> {
        self.auth_write(|c| c.execute("DELETE FROM saved_response WHERE created_at_ms < $1", &[&before.0]))
    }
}
