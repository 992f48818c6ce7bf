-- The money rails: Alipay recharge orders and every notification received,
-- offline bank transfers, the cloud marketplace outbox.

CREATE TABLE recharge_order (
    recharge_order_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    billing_account_id INTEGER NOT NULL REFERENCES billing_account (billing_account_id),
    out_trade_no       TEXT    NOT NULL,
    amount_minor       INTEGER NOT NULL CHECK (amount_minor > 0),
    currency           TEXT    NOT NULL,
    channel            TEXT    NOT NULL CHECK (channel IN ('page_pay', 'precreate')),
    state              TEXT    NOT NULL CHECK (state IN ('created', 'pending', 'paid', 'expired')),
    trade_no           TEXT,
    qr_code            TEXT,
    created_at_ms      INTEGER NOT NULL,
    expires_at_ms      INTEGER NOT NULL,
    paid_at_ms         INTEGER,
    late               INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
    last_checked_at_ms INTEGER,
    -- Our order number is unique forever, and so is Alipay's trade number.
    CONSTRAINT recharge_order_out_trade_no_unique UNIQUE (out_trade_no),
    CONSTRAINT recharge_order_trade_no_unique UNIQUE (trade_no)
);
CREATE INDEX recharge_order_by_account ON recharge_order (billing_account_id, recharge_order_id);
-- The sweeper looks for open orders by when they were last checked.
CREATE INDEX recharge_order_open ON recharge_order (state, last_checked_at_ms);

-- Every notification received, accepted or not, and why: the audit trail of the rail.
-- The account is known only when the order is.
CREATE TABLE alipay_notification (
    alipay_notification_id INTEGER PRIMARY KEY AUTOINCREMENT,
    billing_account_id     INTEGER,
    received_at_ms         INTEGER NOT NULL,
    out_trade_no           TEXT,
    notify_id              TEXT,
    trade_status           TEXT,
    verdict                TEXT    NOT NULL CHECK (verdict IN ('credited', 'duplicate', 'ignored', 'rejected')),
    reason                 TEXT    NOT NULL,
    body                   TEXT    NOT NULL
);
CREATE INDEX alipay_notification_by_account ON alipay_notification (billing_account_id, alipay_notification_id);

-- An unmatched transfer has no account yet (billing_account_id NULL) until an
-- operator assigns it.
CREATE TABLE bank_transfer (
    bank_transfer_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    billing_account_id  INTEGER REFERENCES billing_account (billing_account_id),
    bank_transaction_id TEXT    NOT NULL,
    amount_minor        INTEGER NOT NULL CHECK (amount_minor > 0),
    currency            TEXT    NOT NULL,
    value_date          TEXT    NOT NULL,
    payer               TEXT    NOT NULL,
    reference           TEXT    NOT NULL,
    state               TEXT    NOT NULL CHECK (state IN ('unmatched', 'awaiting_approval', 'credited')),
    source              TEXT    NOT NULL CHECK (source IN ('manual', 'csv', 'camt053')),
    recorded_by         TEXT    NOT NULL,
    approved_by         TEXT,
    created_at_ms       INTEGER NOT NULL,
    credited_at_ms      INTEGER,
    -- Each bank transaction credits at most once, however often a statement is imported.
    CONSTRAINT bank_transfer_txid_unique UNIQUE (bank_transaction_id),
    CHECK (state = 'unmatched' OR billing_account_id IS NOT NULL)
);
CREATE INDEX bank_transfer_by_state ON bank_transfer (state, bank_transfer_id);

CREATE TABLE cloud_outbox (
    cloud_outbox_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    billing_account_id INTEGER NOT NULL REFERENCES billing_account (billing_account_id),
    charge_id          INTEGER NOT NULL REFERENCES charge (charge_id),
    provider           TEXT    NOT NULL CHECK (provider IN ('aliyun', 'aws', 'huawei', 'azure')),
    cloud_account_id   TEXT    NOT NULL,
    usage_record_id    TEXT    NOT NULL,
    amount_minor       INTEGER NOT NULL CHECK (amount_minor <> 0),
    currency           TEXT    NOT NULL,
    state              TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'rejected')),
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms INTEGER NOT NULL,
    last_error         TEXT,
    created_at_ms      INTEGER NOT NULL,
    delivered_at_ms    INTEGER,
    -- The provider's idempotency key: one usage record per charge (and one per reversal).
    CONSTRAINT cloud_outbox_usage_record_unique UNIQUE (usage_record_id)
);
CREATE INDEX cloud_outbox_due ON cloud_outbox (state, next_attempt_at_ms);
CREATE INDEX cloud_outbox_by_charge ON cloud_outbox (billing_account_id, charge_id);
