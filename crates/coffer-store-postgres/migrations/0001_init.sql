-- Coffer's PostgreSQL schema, version 1: the same tables, columns, CHECKs,
-- constraint names and indexes as the SQLite schema (coffer-store-sqlite's
-- migrations/0001_init.sql), in PostgreSQL's dialect.
--
-- Naming: singular table names, `<table>_id` primary keys, amounts in integer minor
-- units with the suffix `_minor`, instants in UTC milliseconds with the suffix `_ms`.
-- Every table holding account data carries `billing_account_id`, so the schema can be
-- sharded by account (see ARCHITECTURE.md).
--
-- Dialect choices:
-- * Every integer is BIGINT, never INTEGER: SQLite's INTEGER is 64-bit, the Rust
--   side speaks i64, and the driver refuses to bind an i64 to an int4 column.
-- * Generated ids are identity columns (`GENERATED ALWAYS AS IDENTITY`), the standard
--   form of BIGSERIAL. Like SQLite's AUTOINCREMENT they never hand out an id twice,
--   not even after a rollback (a rolled-back insert leaves a gap instead). ALWAYS
--   refuses an explicit id; an importer that must keep ids (say, from a SQLite
--   file) writes `OVERRIDING SYSTEM VALUE` and then moves each sequence past them.
-- * Flags are BOOLEAN rather than SQLite's 0/1 INTEGER with a CHECK.
-- * Constraints SQLite leaves anonymous keep PostgreSQL's generated names; those the
--   application or the conformance suite names are spelled out, so that
--   `StoreError::Conflict { constraint }` reads the same on both engines.
-- * No WITHOUT ROWID: a PostgreSQL table is a heap either way.

CREATE TABLE billing_account (
    billing_account_id   BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                 TEXT    NOT NULL,
    currency             TEXT    NOT NULL CHECK (currency IN ('CNY', 'USD')),
    time_zone            TEXT    NOT NULL,
    -- DOMAIN's arrears "floor", as the most the account may owe; NULL = unlimited.
    arrears_limit_minor  BIGINT  CHECK (arrears_limit_minor IS NULL OR arrears_limit_minor >= 0),
    -- The per-account hash chain head: sequence and hash of the last journal
    -- transaction. Write transactions lock this row (SELECT ... FOR UPDATE) before
    -- reading anything else of the account: it is the per-account write lock.
    journal_seq          BIGINT  NOT NULL DEFAULT 0,
    journal_head         TEXT    NOT NULL,
    created_at_ms        BIGINT  NOT NULL
);

CREATE TABLE workspace (
    workspace_id              TEXT    PRIMARY KEY,
    billing_account_id        BIGINT  NOT NULL REFERENCES billing_account (billing_account_id),
    settlement                TEXT    NOT NULL CHECK (settlement IN ('billing_center', 'cloud')),
    cloud_provider            TEXT    CHECK (cloud_provider IN ('aliyun', 'aws', 'huawei', 'azure')),
    cloud_account_id          TEXT,
    -- YYYY-MM of the last customer-made settlement change, in the account's time zone.
    settlement_changed_in     TEXT,
    cloud_subscription_active BOOLEAN NOT NULL,
    bound_at_ms               BIGINT  NOT NULL,
    CHECK ((settlement = 'cloud') = (cloud_provider IS NOT NULL AND cloud_account_id IS NOT NULL))
);
CREATE INDEX workspace_by_account ON workspace (billing_account_id);

-- One row per book of an account: the stored balance that `coffer verify` recomputes
-- from the postings. The CHECKs are DOMAIN §11's sign rules, a backstop to the core.
CREATE TABLE ledger_account (
    billing_account_id BIGINT  NOT NULL REFERENCES billing_account (billing_account_id),
    book               TEXT    NOT NULL,
    instrument_id      BIGINT  NOT NULL,
    balance_minor      BIGINT  NOT NULL,
    PRIMARY KEY (billing_account_id, book, instrument_id),
    CONSTRAINT customer_balance_non_negative CHECK (book NOT IN ('cash', 'voucher', 'card') OR balance_minor >= 0),
    CONSTRAINT arrears_non_positive CHECK (book <> 'arrears' OR balance_minor <= 0)
);

CREATE TABLE voucher (
    voucher_id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    billing_account_id BIGINT  NOT NULL REFERENCES billing_account (billing_account_id),
    kind               TEXT    NOT NULL CHECK (kind IN ('standard', 'discount')),
    face_value_minor   BIGINT  NOT NULL CHECK (face_value_minor > 0),
    status             TEXT    NOT NULL CHECK (status IN ('active', 'used_up', 'expired', 'revoked')),
    valid_from_ms      BIGINT  NOT NULL,
    valid_until_ms     BIGINT,
    activated_at_ms    BIGINT  NOT NULL,
    origin             TEXT    NOT NULL CHECK (origin IN ('direct', 'code', 'bonus')),
    origin_ref         BIGINT
);
CREATE INDEX voucher_by_account ON voucher (billing_account_id, status);
-- The expiry job looks for active vouchers whose window has ended.
CREATE INDEX voucher_by_expiry ON voucher (status, valid_until_ms);

CREATE TABLE prepaid_card (
    prepaid_card_id    BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    billing_account_id BIGINT  NOT NULL REFERENCES billing_account (billing_account_id),
    face_value_minor   BIGINT  NOT NULL CHECK (face_value_minor > 0),
    status             TEXT    NOT NULL CHECK (status IN ('active', 'used_up', 'expired')),
    valid_from_ms      BIGINT  NOT NULL,
    valid_until_ms     BIGINT,
    purchased_at_ms    BIGINT  NOT NULL,
    origin             TEXT    NOT NULL CHECK (origin IN ('purchased', 'allocated'))
);
CREATE INDEX prepaid_card_by_account ON prepaid_card (billing_account_id, status);
CREATE INDEX prepaid_card_by_expiry ON prepaid_card (status, valid_until_ms);

CREATE TABLE journal_tx (
    journal_tx_id      BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    billing_account_id BIGINT  NOT NULL REFERENCES billing_account (billing_account_id),
    seq                BIGINT  NOT NULL CHECK (seq > 0),
    kind               TEXT    NOT NULL,
    memo               TEXT    NOT NULL,
    at_ms              BIGINT  NOT NULL,
    prev_hash          TEXT    NOT NULL,
    hash               TEXT    NOT NULL,
    -- Anonymous in SQLite; named here so a replayed sequence number reads well.
    CONSTRAINT journal_tx_seq_unique UNIQUE (billing_account_id, seq)
);

CREATE TABLE posting (
    journal_tx_id       BIGINT  NOT NULL REFERENCES journal_tx (journal_tx_id),
    posting_idx         BIGINT  NOT NULL,
    billing_account_id  BIGINT  NOT NULL,
    book                TEXT    NOT NULL,
    instrument_id       BIGINT  NOT NULL,
    amount_minor        BIGINT  NOT NULL CHECK (amount_minor <> 0),
    balance_after_minor BIGINT  NOT NULL,
    -- Copied from the transaction so that statements filter by time without a join.
    at_ms               BIGINT  NOT NULL,
    PRIMARY KEY (journal_tx_id, posting_idx)
);
-- Statements page through one account's postings in (journal_tx_id, posting_idx)
-- order; the cursor comparison uses this index's leading columns.
CREATE INDEX posting_by_account ON posting (billing_account_id, journal_tx_id);

CREATE TABLE charge (
    charge_id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    billing_account_id     BIGINT  NOT NULL REFERENCES billing_account (billing_account_id),
    workspace_id           TEXT    NOT NULL,
    bill_id                TEXT    NOT NULL,
    category               TEXT    NOT NULL CHECK (category IN ('payg', 'sms', 'testing')),
    settlement             TEXT    NOT NULL CHECK (settlement IN ('billing_center', 'cloud')),
    cloud_provider         TEXT,
    amount_minor           BIGINT  NOT NULL CHECK (amount_minor > 0),
    currency               TEXT    NOT NULL,
    bill_date              TEXT    NOT NULL,
    policy_version         BIGINT  NOT NULL,
    settled_at_ms          BIGINT  NOT NULL,
    fingerprint            TEXT    NOT NULL,
    journal_tx_id          BIGINT  NOT NULL REFERENCES journal_tx (journal_tx_id),
    reversed_at_ms         BIGINT,
    reversal_journal_tx_id BIGINT  REFERENCES journal_tx (journal_tx_id),
    reversal_reason        TEXT,
    -- A bill id is unique per workspace forever (DOMAIN §8).
    CONSTRAINT charge_bill_unique UNIQUE (workspace_id, bill_id)
);
CREATE INDEX charge_by_account ON charge (billing_account_id, charge_id);

CREATE TABLE charge_deduction (
    charge_id          BIGINT  NOT NULL REFERENCES charge (charge_id),
    deduction_idx      BIGINT  NOT NULL,
    billing_account_id BIGINT  NOT NULL,
    class              TEXT    NOT NULL,
    instrument_id      BIGINT  NOT NULL,
    amount_minor       BIGINT  NOT NULL CHECK (amount_minor > 0),
    PRIMARY KEY (charge_id, deduction_idx)
);

CREATE TABLE idempotency (
    scope         TEXT    NOT NULL,
    idem_key      TEXT    NOT NULL,
    fingerprint   TEXT    NOT NULL,
    result_ref    TEXT    NOT NULL,
    created_at_ms BIGINT  NOT NULL,
    PRIMARY KEY (scope, idem_key)
);

-- Activation codes are an operator catalogue, not account data, until redeemed.
CREATE TABLE code_batch (
    code_batch_id    BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind             TEXT    NOT NULL CHECK (kind IN ('standard', 'discount')),
    face_value_minor BIGINT  NOT NULL CHECK (face_value_minor > 0),
    currency         TEXT    NOT NULL,
    valid_from_ms    BIGINT,
    valid_until_ms   BIGINT,
    valid_days       BIGINT,
    code_count       BIGINT  NOT NULL,
    memo             TEXT    NOT NULL,
    created_at_ms    BIGINT  NOT NULL,
    CHECK ((valid_days IS NULL) = (valid_from_ms IS NOT NULL))
);

CREATE TABLE activation_code (
    activation_code_id     BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code_batch_id          BIGINT  NOT NULL REFERENCES code_batch (code_batch_id),
    -- HMAC-SHA256 of the canonical code under the server's code key; never the code.
    -- A redeeming transaction locks this row (FOR UPDATE), so two accounts redeeming
    -- one code at once serialize and the second sees it redeemed.
    code_hash              TEXT    NOT NULL,
    status                 TEXT    NOT NULL CHECK (status IN ('issued', 'redeemed')),
    redeemed_by_account_id BIGINT,
    voucher_id             BIGINT,
    redeemed_at_ms         BIGINT,
    CONSTRAINT activation_code_hash_unique UNIQUE (code_hash)
);

CREATE TABLE activation_attempt (
    billing_account_id BIGINT  NOT NULL,
    at_ms              BIGINT  NOT NULL
);
CREATE INDEX activation_attempt_by_account ON activation_attempt (billing_account_id, at_ms);

CREATE TABLE cash_credit (
    cash_credit_id     BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    billing_account_id BIGINT  NOT NULL REFERENCES billing_account (billing_account_id),
    source             TEXT    NOT NULL,
    external_id        TEXT    NOT NULL,
    amount_minor       BIGINT  NOT NULL CHECK (amount_minor > 0),
    journal_tx_id      BIGINT  NOT NULL REFERENCES journal_tx (journal_tx_id),
    at_ms              BIGINT  NOT NULL,
    -- Each external payment takes effect at most once (DOMAIN §11).
    CONSTRAINT cash_credit_external_unique UNIQUE (source, external_id)
);
