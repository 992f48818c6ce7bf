-- Coffer's SQLite schema, version 1.
--
-- Naming: singular table names, `<table>_id` primary keys, amounts in integer minor
-- units with the suffix `_minor`, instants in UTC milliseconds with the suffix `_ms`.
-- Every table holding account data carries `billing_account_id`, so the schema can be
-- sharded by account (see ARCHITECTURE.md).

CREATE TABLE billing_account (
    billing_account_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    name                 TEXT    NOT NULL,
    currency             TEXT    NOT NULL CHECK (currency IN ('CNY', 'USD')),
    time_zone            TEXT    NOT NULL,
    -- DOMAIN's arrears "floor", as the most the account may owe; NULL = unlimited.
    arrears_limit_minor  INTEGER CHECK (arrears_limit_minor IS NULL OR arrears_limit_minor >= 0),
    -- The per-account hash chain head: sequence and hash of the last journal transaction.
    journal_seq          INTEGER NOT NULL DEFAULT 0,
    journal_head         TEXT    NOT NULL,
    created_at_ms        INTEGER NOT NULL
);

CREATE TABLE workspace (
    workspace_id              TEXT    PRIMARY KEY,
    billing_account_id        INTEGER NOT NULL REFERENCES billing_account (billing_account_id),
    settlement                TEXT    NOT NULL CHECK (settlement IN ('billing_center', 'cloud')),
    cloud_provider            TEXT    CHECK (cloud_provider IN ('aliyun', 'aws', 'huawei', 'azure')),
    cloud_account_id          TEXT,
    -- YYYY-MM of the last customer-made settlement change, in the account's time zone.
    settlement_changed_in     TEXT,
    cloud_subscription_active INTEGER NOT NULL CHECK (cloud_subscription_active IN (0, 1)),
    bound_at_ms               INTEGER NOT NULL,
    CHECK ((settlement = 'cloud') = (cloud_provider IS NOT NULL AND cloud_account_id IS NOT NULL))
);
CREATE INDEX workspace_by_account ON workspace (billing_account_id);

-- One row per book of an account: the stored balance that `coffer verify` recomputes
-- from the postings. The CHECKs are DOMAIN §11's sign rules, a backstop to the core.
CREATE TABLE ledger_account (
    billing_account_id INTEGER NOT NULL REFERENCES billing_account (billing_account_id),
    book               TEXT    NOT NULL,
    instrument_id      INTEGER NOT NULL,
    balance_minor      INTEGER NOT NULL,
    PRIMARY KEY (billing_account_id, book, instrument_id),
    CONSTRAINT customer_balance_non_negative CHECK (book NOT IN ('cash', 'voucher', 'card') OR balance_minor >= 0),
    CONSTRAINT arrears_non_positive CHECK (book <> 'arrears' OR balance_minor <= 0)
) WITHOUT ROWID;

CREATE TABLE voucher (
    voucher_id         INTEGER PRIMARY KEY AUTOINCREMENT,
    billing_account_id INTEGER NOT NULL REFERENCES billing_account (billing_account_id),
    kind               TEXT    NOT NULL CHECK (kind IN ('standard', 'discount')),
    face_value_minor   INTEGER NOT NULL CHECK (face_value_minor > 0),
    status             TEXT    NOT NULL CHECK (status IN ('active', 'used_up', 'expired', 'revoked')),
    valid_from_ms      INTEGER NOT NULL,
    valid_until_ms     INTEGER,
    activated_at_ms    INTEGER NOT NULL,
    origin             TEXT    NOT NULL CHECK (origin IN ('direct', 'code', 'bonus')),
    origin_ref         INTEGER
);
CREATE INDEX voucher_by_account ON voucher (billing_account_id, status);
-- The expiry job looks for active vouchers whose window has ended.
CREATE INDEX voucher_by_expiry ON voucher (status, valid_until_ms);

CREATE TABLE prepaid_card (
    prepaid_card_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    billing_account_id INTEGER NOT NULL REFERENCES billing_account (billing_account_id),
    face_value_minor   INTEGER NOT NULL CHECK (face_value_minor > 0),
    status             TEXT    NOT NULL CHECK (status IN ('active', 'used_up', 'expired')),
    valid_from_ms      INTEGER NOT NULL,
    valid_until_ms     INTEGER,
    purchased_at_ms    INTEGER NOT NULL,
    origin             TEXT    NOT NULL CHECK (origin IN ('purchased', 'allocated'))
);
CREATE INDEX prepaid_card_by_account ON prepaid_card (billing_account_id, status);
CREATE INDEX prepaid_card_by_expiry ON prepaid_card (status, valid_until_ms);

CREATE TABLE journal_tx (
    journal_tx_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    billing_account_id INTEGER NOT NULL REFERENCES billing_account (billing_account_id),
    seq                INTEGER NOT NULL CHECK (seq > 0),
    kind               TEXT    NOT NULL,
    memo               TEXT    NOT NULL,
    at_ms              INTEGER NOT NULL,
    prev_hash          TEXT    NOT NULL,
    hash               TEXT    NOT NULL,
    UNIQUE (billing_account_id, seq)
);

CREATE TABLE posting (
    journal_tx_id       INTEGER NOT NULL REFERENCES journal_tx (journal_tx_id),
    posting_idx         INTEGER NOT NULL,
    billing_account_id  INTEGER NOT NULL,
    book                TEXT    NOT NULL,
    instrument_id       INTEGER NOT NULL,
    amount_minor        INTEGER NOT NULL CHECK (amount_minor <> 0),
    balance_after_minor INTEGER NOT NULL,
    -- Copied from the transaction so that statements filter by time without a join.
    at_ms               INTEGER NOT NULL,
    PRIMARY KEY (journal_tx_id, posting_idx)
) WITHOUT ROWID;
CREATE INDEX posting_by_account ON posting (billing_account_id, journal_tx_id);

CREATE TABLE charge (
    charge_id              INTEGER PRIMARY KEY AUTOINCREMENT,
    billing_account_id     INTEGER NOT NULL REFERENCES billing_account (billing_account_id),
    workspace_id           TEXT    NOT NULL,
    bill_id                TEXT    NOT NULL,
    category               TEXT    NOT NULL CHECK (category IN ('payg', 'sms', 'testing')),
    settlement             TEXT    NOT NULL CHECK (settlement IN ('billing_center', 'cloud')),
    cloud_provider         TEXT,
    amount_minor           INTEGER NOT NULL CHECK (amount_minor > 0),
    currency               TEXT    NOT NULL,
    bill_date              TEXT    NOT NULL,
    policy_version         INTEGER NOT NULL,
    settled_at_ms          INTEGER NOT NULL,
    fingerprint            TEXT    NOT NULL,
    journal_tx_id          INTEGER NOT NULL REFERENCES journal_tx (journal_tx_id),
    reversed_at_ms         INTEGER,
    reversal_journal_tx_id INTEGER REFERENCES journal_tx (journal_tx_id),
    reversal_reason        TEXT,
    -- A bill id is unique per workspace forever (DOMAIN §8).
    CONSTRAINT charge_bill_unique UNIQUE (workspace_id, bill_id)
);
CREATE INDEX charge_by_account ON charge (billing_account_id, charge_id);

CREATE TABLE charge_deduction (
    charge_id          INTEGER NOT NULL REFERENCES charge (charge_id),
    deduction_idx      INTEGER NOT NULL,
    billing_account_id INTEGER NOT NULL,
    class              TEXT    NOT NULL,
    instrument_id      INTEGER NOT NULL,
    amount_minor       INTEGER NOT NULL CHECK (amount_minor > 0),
    PRIMARY KEY (charge_id, deduction_idx)
) WITHOUT ROWID;

CREATE TABLE idempotency (
    scope         TEXT    NOT NULL,
    idem_key      TEXT    NOT NULL,
    fingerprint   TEXT    NOT NULL,
    result_ref    TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (scope, idem_key)
) WITHOUT ROWID;

-- Activation codes are an operator catalogue, not account data, until redeemed.
CREATE TABLE code_batch (
    code_batch_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT    NOT NULL CHECK (kind IN ('standard', 'discount')),
    face_value_minor INTEGER NOT NULL CHECK (face_value_minor > 0),
    currency         TEXT    NOT NULL,
    valid_from_ms    INTEGER,
    valid_until_ms   INTEGER,
    valid_days       INTEGER,
    code_count       INTEGER NOT NULL,
    memo             TEXT    NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    CHECK ((valid_days IS NULL) = (valid_from_ms IS NOT NULL))
);

CREATE TABLE activation_code (
    activation_code_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    code_batch_id          INTEGER NOT NULL REFERENCES code_batch (code_batch_id),
    -- HMAC-SHA256 of the canonical code under the server's code key; never the code.
    code_hash              TEXT    NOT NULL,
    status                 TEXT    NOT NULL CHECK (status IN ('issued', 'redeemed')),
    redeemed_by_account_id INTEGER,
    voucher_id             INTEGER,
    redeemed_at_ms         INTEGER,
    CONSTRAINT activation_code_hash_unique UNIQUE (code_hash)
);

CREATE TABLE activation_attempt (
    billing_account_id INTEGER NOT NULL,
    at_ms              INTEGER NOT NULL
);
CREATE INDEX activation_attempt_by_account ON activation_attempt (billing_account_id, at_ms);

CREATE TABLE cash_credit (
    cash_credit_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    billing_account_id INTEGER NOT NULL REFERENCES billing_account (billing_account_id),
    source             TEXT    NOT NULL,
    external_id        TEXT    NOT NULL,
    amount_minor       INTEGER NOT NULL CHECK (amount_minor > 0),
    journal_tx_id      INTEGER NOT NULL REFERENCES journal_tx (journal_tx_id),
    at_ms              INTEGER NOT NULL,
    -- Each external payment takes effect at most once (DOMAIN §11).
    CONSTRAINT cash_credit_external_unique UNIQUE (source, external_id)
);
