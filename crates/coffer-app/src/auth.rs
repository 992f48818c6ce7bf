//! Who is asking (DOMAIN §10): operators and account members log in with a
//! password (argon2id); API tokens are shown once and stored as SHA-256; the first
//! operator can be bootstrapped from a token given at start. The HTTP edge turns a
//! bearer token or a session cookie into a [`Principal`]; authorization decisions
//! are made per request against it.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng as ArgonRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use coffer_core::ids::AccountId;
use coffer_core::time::Timestamp;
use coffer_store::auth::{AuthStore, NewSession, NewToken, NewUser, Role, TokenRecord, UserRecord};
use coffer_store::StoreError;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::error::{AppError, AppResult, ErrorCode};

/// How long a web session lasts.
pub const SESSION_TTL_MS: i64 = 12 * 3_600_000;
pub const PASSWORD_MIN_LEN: usize = 10;
/// Sign-in attempts a login may fail per hour before even its right password is
/// refused (docs/SECURITY.md): at most 87,600 guesses a year against one login.
pub const LOGIN_FAILURES_PER_HOUR: u32 = 10;
const HOUR_MS: i64 = 3_600_000;

/// An authenticated caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Principal {
    pub role: Role,
    /// The member's billing account; `None` for operators and metering.
    pub account_id: Option<AccountId>,
    /// The user behind a session, if any (tokens have none).
    pub user_id: Option<i64>,
    /// The API token used, if any (sessions have none).
    pub token_id: Option<i64>,
}

impl Principal {
    /// A stable name for audit fields (who recorded, assigned or approved a bank
    /// transfer): `user:<id>` for a session, `token:<id>` for an API token.
    pub fn who(&self) -> String {
        match (self.user_id, self.token_id) {
            (Some(user), _) => format!("user:{user}"),
            (None, Some(token)) => format!("token:{token}"),
            (None, None) => format!("{}:unknown", self.role.as_str()),
        }
    }
}

/// A fresh secret, shown once: `prefix` + 32 random bytes in hex.
fn secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// SHA-256 hex of a high-entropy secret; enough for tokens and session ids, which,
/// unlike passwords, cannot be guessed.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub fn hash_password(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut ArgonRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::new(ErrorCode::Internal, format!("password hashing failed: {e}")))
}

fn password_matches(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

fn check_login(login: &str) -> AppResult<String> {
    let login = login.trim().to_lowercase();
    let ok =
        (3..=100).contains(&login.len()) && login.chars().all(|c| c.is_ascii_alphanumeric() || "@._-+".contains(c));
    if !ok {
        return Err(AppError::invalid("login", "must be 3 to 100 characters of letters, digits and @._-+"));
    }
    Ok(login)
}

fn check_role_account(role: Role, account: Option<AccountId>) -> AppResult<()> {
    if role.is_member() != account.is_some() {
        return Err(AppError::invalid("account_id", "is required for member roles and forbidden otherwise"));
    }
    Ok(())
}

/// A new session: the cookie value and the CSRF token, both shown once.
pub struct NewLogin {
    pub session_id: String,
    pub csrf_token: String,
    pub user: UserRecord,
}

#[derive(Clone)]
pub struct Auth {
    pub store: Arc<dyn AuthStore>,
    pub clock: Arc<dyn Clock>,
}

impl Auth {
    pub fn new(store: Arc<dyn AuthStore>, clock: Arc<dyn Clock>) -> Auth {
        Auth { store, clock }
    }

    pub fn create_user(
        &self,
        login: &str,
        password: &str,
        role: Role,
        account: Option<AccountId>,
    ) -> AppResult<UserRecord> {
        let login = check_login(login)?;
        if password.chars().count() < PASSWORD_MIN_LEN {
            return Err(AppError::invalid("password", format!("must be at least {PASSWORD_MIN_LEN} characters")));
        }
        if role == Role::Metering {
            return Err(AppError::invalid("role", "the metering role exists only for API tokens"));
        }
        check_role_account(role, account)?;
        let new = NewUser {
            login,
            password_hash: hash_password(password)?,
            role,
            account_id: account,
            created_at: self.clock.now(),
        };
        let id = self.store.insert_user(&new).map_err(|e| match e {
            StoreError::Conflict { .. } => {
                AppError::new(ErrorCode::LoginTaken, "this login is taken").with_field("login")
            }
            other => other.into(),
        })?;
        Ok(UserRecord { id, user: new })
    }

    /// Checks a password and opens a session. Unknown logins and wrong passwords get
    /// the same answer, after the same amount of work.
    ///
    /// Password guessing is limited per login, known or not: once a login has
    /// [`LOGIN_FAILURES_PER_HOUR`] failed attempts within the hour every attempt is
    /// refused, the right password too, until the oldest is an hour old. Throttled
    /// refusals are not recorded, so they do not extend the wait. Each checked
    /// attempt is reserved before the password is checked, so concurrent guesses
    /// cannot all pass the count; a successful sign-in clears the login's attempts.
    pub fn login(&self, login: &str, password: &str) -> AppResult<NewLogin> {
        let key = login.trim().to_lowercase();
        let now = self.clock.now();
        let since = Timestamp(now.0 - HOUR_MS);
        if self.store.login_attempts_since(&key, since)? >= LOGIN_FAILURES_PER_HOUR
            || self.store.reserve_login_attempt(&key, now, since)? > LOGIN_FAILURES_PER_HOUR
        {
            return Err(AppError::new(
                ErrorCode::TooManyAttempts,
                format!("too many failed sign-ins for this login; at most {LOGIN_FAILURES_PER_HOUR} per hour"),
            ));
        }
        let found = self.store.user_by_login(&key)?;
        let ok = match &found {
            Some(u) => password_matches(password, &u.user.password_hash),
            None => {
                let _ = hash_password(password);
                false
            }
        };
        let Some(user) = found.filter(|_| ok) else {
            return Err(AppError::new(ErrorCode::InvalidCredentials, "invalid login or password"));
        };
        self.store.clear_login_attempts(&key)?;
        let session_id = secret("cfs_");
        let csrf_token = secret("");
        self.store.insert_session(&NewSession {
            session_hash: secret_hash(&session_id),
            user_id: user.id,
            csrf_token: csrf_token.clone(),
            created_at: now,
            expires_at: Timestamp(now.0 + SESSION_TTL_MS),
        })?;
        Ok(NewLogin { session_id, csrf_token, user })
    }

    /// The principal and CSRF token of a live session.
    pub fn session(&self, session_id: &str) -> AppResult<Option<(Principal, String)>> {
        let found = self.store.session_by_hash(&secret_hash(session_id), self.clock.now())?;
        Ok(found.map(|s| {
            let p = Principal {
                role: s.user.user.role,
                account_id: s.user.user.account_id,
                user_id: Some(s.user.id),
                token_id: None,
            };
            (p, s.session.csrf_token)
        }))
    }

    pub fn logout(&self, session_id: &str) -> AppResult<()> {
        Ok(self.store.delete_session(&secret_hash(session_id))?)
    }

    /// Creates an API token and returns it in plain text, once.
    pub fn create_token(&self, name: &str, role: Role, account: Option<AccountId>) -> AppResult<(String, TokenRecord)> {
        check_role_account(role, account)?;
        let name = name.trim();
        if name.is_empty() || name.len() > 100 {
            return Err(AppError::invalid("name", "must be 1 to 100 characters"));
        }
        let token = secret("cft_");
        self.insert_token(&token, name, role, account).map(|record| (token, record))
    }

    fn insert_token(&self, token: &str, name: &str, role: Role, account: Option<AccountId>) -> AppResult<TokenRecord> {
        let new = NewToken {
            token_hash: secret_hash(token),
            name: name.to_owned(),
            role,
            account_id: account,
            created_at: self.clock.now(),
        };
        let id = self.store.insert_token(&new)?;
        Ok(TokenRecord { id, token: new, revoked_at: None })
    }

    /// The principal of a live token.
    pub fn authenticate_token(&self, token: &str) -> AppResult<Option<Principal>> {
        let found = self.store.token_by_hash(&secret_hash(token))?;
        Ok(found.filter(|t| t.revoked_at.is_none()).map(|t| Principal {
            role: t.token.role,
            account_id: t.token.account_id,
            user_id: None,
            token_id: Some(t.id),
        }))
    }

    /// Makes `token` the first operator's API token if no operator exists yet.
    /// Returns whether it did.
    pub fn bootstrap_operator(&self, token: &str) -> AppResult<bool> {
        if token.len() < 16 {
            return Err(AppError::invalid("COFFER_BOOTSTRAP_TOKEN", "must be at least 16 characters"));
        }
        if self.store.count_operators()? > 0 {
            return Ok(false);
        }
        match self.insert_token(token, "bootstrap operator", Role::Operator, None) {
            Ok(_) => Ok(true),
            // Several servers starting at once on one database all saw no operator;
            // the first insert of the token wins and the others hit its unique hash.
            // An operator existing now is what was asked for.
            Err(e) if self.store.count_operators().is_ok_and(|n| n > 0) => {
                let _ = e;
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    pub fn revoke_token(&self, id: i64) -> AppResult<()> {
        self.store.revoke_token(id, self.clock.now()).map_err(|e| match e {
            StoreError::Conflict { .. } => AppError::new(ErrorCode::TokenNotFound, "no such active token"),
            other => other.into(),
        })
    }
}
