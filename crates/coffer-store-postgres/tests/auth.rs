//! [`AuthStore`] on PostgreSQL: the same semantics as SQLite's (each call its own
//! transaction, unique logins and token hashes as named conflicts, revoking twice a
//! conflict, expired sessions invisible, operators counted from users and live tokens).

use coffer_core::ids::AccountId;
use coffer_core::money::Currency;
use coffer_core::time::Timestamp;
use coffer_store::auth::*;
use coffer_store::records::NewAccount;
use coffer_store::{Store, StoreError};
use coffer_store_postgres::testing::fresh_store;
use coffer_store_postgres::PostgresStore;

fn ok<T>(r: Result<T, StoreError>) -> T {
    r.unwrap_or_else(|e| panic!("store call failed: {e}"))
}

fn conflict<T: std::fmt::Debug>(r: Result<T, StoreError>) -> String {
    match r {
        Err(StoreError::Conflict { constraint }) => constraint,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn account(store: &PostgresStore) -> AccountId {
    let mut tx = ok(store.begin_write());
    let id = ok(tx.insert_account(&NewAccount {
        name: "Auth".into(),
        currency: Currency::Cny,
        time_zone: "Asia/Shanghai".into(),
        arrears_limit_minor: None,
        created_at: Timestamp(1),
    }));
    ok(tx.commit());
    id
}

fn user(login: &str, role: Role, account_id: Option<AccountId>) -> NewUser {
    NewUser { login: login.into(), password_hash: "$argon2id$x".into(), role, account_id, created_at: Timestamp(5) }
}

fn token(hash: &str, role: Role, account_id: Option<AccountId>) -> NewToken {
    NewToken { token_hash: hash.into(), name: format!("t-{hash}"), role, account_id, created_at: Timestamp(6) }
}

#[test]
fn users_round_trip_and_a_taken_login_is_a_named_conflict() {
    let store = fresh_store();
    let a = account(&store);
    let op = ok(store.insert_user(&user("op", Role::Operator, None)));
    let owner = ok(store.insert_user(&user("owner@a", Role::Owner, Some(a))));
    assert_ne!(op, owner);
    assert_eq!(conflict(store.insert_user(&user("op", Role::Viewer, Some(a)))), "app_user_login_unique");
    assert_eq!(
        ok(store.user_by_login("owner@a")),
        Some(UserRecord { id: owner, user: user("owner@a", Role::Owner, Some(a)) })
    );
    assert_eq!(ok(store.user(op)).map(|u| u.user.role), Some(Role::Operator));
    assert_eq!(ok(store.user(op + owner + 100)), None);
    assert_eq!(ok(store.user_by_login("nobody")), None);
    let members = ok(store.users_of_account(a));
    assert_eq!(members.iter().map(|u| u.id).collect::<Vec<_>>(), vec![owner]);
    // The schema's CHECK: members need an account, operators have none.
    assert!(matches!(store.insert_user(&user("m", Role::Viewer, None)), Err(StoreError::Conflict { .. })));
}

#[test]
fn tokens_round_trip_revoke_once_and_a_reused_hash_is_a_named_conflict() {
    let store = fresh_store();
    let a = account(&store);
    let op = ok(store.insert_token(&token("h-op", Role::Operator, None)));
    let meter = ok(store.insert_token(&token("h-meter", Role::Metering, None)));
    let viewer = ok(store.insert_token(&token("h-viewer", Role::Viewer, Some(a))));
    assert_eq!(conflict(store.insert_token(&token("h-op", Role::Metering, None))), "api_token_hash_unique");
    let found = ok(store.token_by_hash("h-viewer"));
    assert_eq!(
        found,
        Some(TokenRecord { id: viewer, token: token("h-viewer", Role::Viewer, Some(a)), revoked_at: None })
    );
    assert_eq!(ok(store.token_by_hash("missing")), None);
    let global: Vec<i64> = ok(store.tokens_of_account(None)).iter().map(|t| t.id).collect();
    assert_eq!(global, vec![op, meter], "None lists the tokens of no account");
    let of_a: Vec<i64> = ok(store.tokens_of_account(Some(a))).iter().map(|t| t.id).collect();
    assert_eq!(of_a, vec![viewer]);
    ok(store.revoke_token(viewer, Timestamp(9)));
    assert_eq!(ok(store.token_by_hash("h-viewer")).and_then(|t| t.revoked_at), Some(Timestamp(9)));
    conflict(store.revoke_token(viewer, Timestamp(10)));
    conflict(store.revoke_token(viewer + meter + op + 100, Timestamp(10)));
    assert_eq!(ok(store.token_by_hash("h-viewer")).and_then(|t| t.revoked_at), Some(Timestamp(9)), "unchanged");
}

#[test]
fn operators_are_counted_from_users_and_unrevoked_operator_tokens() {
    let store = fresh_store();
    let a = account(&store);
    assert_eq!(ok(store.count_operators()), 0);
    ok(store.insert_token(&token("m", Role::Metering, None)));
    ok(store.insert_user(&user("owner", Role::Owner, Some(a))));
    assert_eq!(ok(store.count_operators()), 0);
    let t = ok(store.insert_token(&token("op", Role::Operator, None)));
    ok(store.insert_user(&user("op", Role::Operator, None)));
    assert_eq!(ok(store.count_operators()), 2);
    ok(store.revoke_token(t, Timestamp(7)));
    assert_eq!(ok(store.count_operators()), 1);
}

#[test]
fn sessions_expire_and_are_deleted() {
    let store = fresh_store();
    let uid = ok(store.insert_user(&user("op", Role::Operator, None)));
    let session = NewSession {
        session_hash: "s1".into(),
        user_id: uid,
        csrf_token: "csrf".into(),
        created_at: Timestamp(100),
        expires_at: Timestamp(200),
    };
    ok(store.insert_session(&session));
    assert!(matches!(store.insert_session(&session), Err(StoreError::Conflict { .. })));
    let found = ok(store.session_by_hash("s1", Timestamp(199)));
    assert_eq!(found.as_ref().map(|s| &s.session), Some(&session));
    assert_eq!(found.map(|s| s.user.user.login), Some("op".to_owned()));
    assert_eq!(ok(store.session_by_hash("s1", Timestamp(200))), None, "expired at expires_at");
    assert_eq!(ok(store.session_by_hash("other", Timestamp(150))), None);
    ok(store.delete_session("s1"));
    ok(store.delete_session("s1"));
    assert_eq!(ok(store.session_by_hash("s1", Timestamp(150))), None);
}

#[test]
fn saved_responses_are_kept_once_per_key_and_purged_by_age() {
    let store = fresh_store();
    let saved = |key: &str, at: i64| SavedResponse {
        scope: "account:1".into(),
        key: key.into(),
        request_hash: "rh".into(),
        status: 201,
        body: r#"{"ok":true}"#.into(),
        created_at: Timestamp(at),
    };
    ok(store.save_response(&saved("k1", 10)));
    ok(store.save_response(&saved("k2", 20)));
    conflict(store.save_response(&saved("k1", 30)));
    assert_eq!(ok(store.saved_response("account:1", "k1")), Some(saved("k1", 10)));
    assert_eq!(ok(store.saved_response("account:2", "k1")), None);
    assert_eq!(ok(store.purge_saved_responses(Timestamp(20))), 1);
    assert_eq!(ok(store.saved_response("account:1", "k1")), None);
    assert_eq!(ok(store.saved_response("account:1", "k2")), Some(saved("k2", 20)));
}

#[test]
fn a_dropped_pooled_connection_is_replaced_for_auth_calls() {
    let fresh = fresh_store();
    ok(fresh.insert_user(&user("op", Role::Operator, None)));
    // Kill every connection of the store behind its back.
    let mut admin = fresh.db.client();
    admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ok(fresh.count_operators()), 1);
    ok(fresh.insert_token(&token("after", Role::Metering, None)));
}
