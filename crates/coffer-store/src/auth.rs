//! The identity half of the port: users (operators and account members), API
//! tokens, web sessions, and saved API responses for idempotency keys. Secrets are
//! never stored: passwords as argon2 hashes, tokens and session ids as SHA-256.
//!
//! Each method is its own short transaction: nothing here moves money.

use coffer_core::ids::AccountId;
use coffer_core::time::Timestamp;

use crate::StoreResult;

/// What a principal may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Billing Center staff: everything.
    Operator,
    /// Everything on one billing account.
    Owner,
    /// Recharge, vouchers, cards, statements on one billing account.
    Finance,
    /// Read-only on one billing account.
    Viewer,
    /// The platform's metering service: post charges and previews only.
    Metering,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Operator, Role::Owner, Role::Finance, Role::Viewer, Role::Metering];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Owner => "owner",
            Role::Finance => "finance",
            Role::Viewer => "viewer",
            Role::Metering => "metering",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Member roles belong to one billing account; the others to none.
    pub fn is_member(self) -> bool {
        matches!(self, Role::Owner | Role::Finance | Role::Viewer)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    pub login: String,
    pub password_hash: String,
    pub role: Role,
    /// Set exactly for member roles.
    pub account_id: Option<AccountId>,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    pub id: i64,
    pub user: NewUser,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewToken {
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    pub name: String,
    pub role: Role,
    pub account_id: Option<AccountId>,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: i64,
    pub token: NewToken,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSession {
    /// SHA-256 of the session id, hex.
    pub session_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub session: NewSession,
    pub user: UserRecord,
}

/// An API response remembered under an idempotency key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedResponse {
    pub scope: String,
    pub key: String,
    pub request_hash: String,
    pub status: u16,
    pub body: String,
    pub created_at: Timestamp,
}

pub trait AuthStore: Send + Sync {
    fn insert_user(&self, new: &NewUser) -> StoreResult<i64>;
    fn user_by_login(&self, login: &str) -> StoreResult<Option<UserRecord>>;
    fn user(&self, id: i64) -> StoreResult<Option<UserRecord>>;
    fn users_of_account(&self, account: AccountId) -> StoreResult<Vec<UserRecord>>;
    fn count_operators(&self) -> StoreResult<u64>;
    fn insert_token(&self, new: &NewToken) -> StoreResult<i64>;
    fn token_by_hash(&self, token_hash: &str) -> StoreResult<Option<TokenRecord>>;
    fn tokens_of_account(&self, account: Option<AccountId>) -> StoreResult<Vec<TokenRecord>>;
    fn revoke_token(&self, id: i64, at: Timestamp) -> StoreResult<()>;
    fn insert_session(&self, new: &NewSession) -> StoreResult<()>;
    fn session_by_hash(&self, session_hash: &str, now: Timestamp) -> StoreResult<Option<SessionRecord>>;
    fn delete_session(&self, session_hash: &str) -> StoreResult<()>;
    /// Sign-in attempts for `login` since `since` that are not known to have succeeded.
    fn login_attempts_since(&self, login: &str, since: Timestamp) -> StoreResult<u32>;
    /// Records a sign-in attempt for `login` at `at` and returns the attempts since
    /// `since`, this one included, in one transaction; calls for one login are
    /// serialized, so no two of them see the same count. Rows of any login older
    /// than `since` are purged on the way.
    fn reserve_login_attempt(&self, login: &str, at: Timestamp, since: Timestamp) -> StoreResult<u32>;
    /// Forgets the attempts of `login` (after a successful sign-in).
    fn clear_login_attempts(&self, login: &str) -> StoreResult<()>;
    fn saved_response(&self, scope: &str, key: &str) -> StoreResult<Option<SavedResponse>>;
    /// Saves a response; a key saved concurrently by another request is a Conflict.
    fn save_response(&self, saved: &SavedResponse) -> StoreResult<()>;
    /// Forgets saved responses created before `before` (kept at least 30 days).
    fn purge_saved_responses(&self, before: Timestamp) -> StoreResult<u64>;
}
