-- Identity: users, API tokens, web sessions, saved idempotent API responses. The
-- same tables, columns, CHECKs and constraint names as the SQLite schema
-- (coffer-store-sqlite's migrations/0002_auth.sql), in PostgreSQL's dialect (see
-- 0001_init.sql for the dialect choices).
--
-- Secrets are never stored: passwords as argon2 PHC strings, tokens and session
-- ids as SHA-256 hex.

CREATE TABLE app_user (
    app_user_id        BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login              TEXT    NOT NULL,
    password_hash      TEXT    NOT NULL,
    role               TEXT    NOT NULL CHECK (role IN ('operator', 'owner', 'finance', 'viewer')),
    -- Members belong to exactly one billing account; operators to none.
    billing_account_id BIGINT  REFERENCES billing_account (billing_account_id),
    created_at_ms      BIGINT  NOT NULL,
    CONSTRAINT app_user_login_unique UNIQUE (login),
    CHECK ((role = 'operator') = (billing_account_id IS NULL))
);

CREATE TABLE api_token (
    api_token_id       BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash         TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    role               TEXT    NOT NULL CHECK (role IN ('operator', 'owner', 'finance', 'viewer', 'metering')),
    billing_account_id BIGINT  REFERENCES billing_account (billing_account_id),
    created_at_ms      BIGINT  NOT NULL,
    revoked_at_ms      BIGINT,
    CONSTRAINT api_token_hash_unique UNIQUE (token_hash),
    CHECK ((role IN ('owner', 'finance', 'viewer')) = (billing_account_id IS NOT NULL))
);

CREATE TABLE web_session (
    session_hash  TEXT    PRIMARY KEY,
    app_user_id   BIGINT  NOT NULL REFERENCES app_user (app_user_id),
    csrf_token    TEXT    NOT NULL,
    created_at_ms BIGINT  NOT NULL,
    expires_at_ms BIGINT  NOT NULL
);

-- Responses replayed for a repeated Idempotency-Key (kept at least 30 days).
CREATE TABLE saved_response (
    scope         TEXT    NOT NULL,
    idem_key      TEXT    NOT NULL,
    request_hash  TEXT    NOT NULL,
    status        BIGINT  NOT NULL,
    body          TEXT    NOT NULL,
    created_at_ms BIGINT  NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX saved_response_by_age ON saved_response (created_at_ms);
