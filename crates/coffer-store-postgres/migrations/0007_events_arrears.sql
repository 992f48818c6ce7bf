-- The account event feed (docs/EVENTS.md) and the workspaces' arrears lifecycle
-- (DOMAIN §9, docs/decisions/006-arrears-lifecycle.md). Mirrors SQLite's 0007.

-- One row per event. `seq` counts 1, 2, 3 … per account without gaps; `event_id`
-- is global, and appends are serialized until commit (an advisory lock), so ids
-- become visible in increasing order and a cursor on them never skips a row.
CREATE TABLE account_event (
    event_id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    billing_account_id BIGINT  NOT NULL REFERENCES billing_account (billing_account_id),
    seq                BIGINT  NOT NULL CHECK (seq > 0),
    -- A stable snake_case name (coffer-core `EventKind`); new kinds need no migration.
    kind               TEXT    NOT NULL,
    workspace_id       TEXT,
    -- The voucher, card, order or bill the event is about.
    subject_id         TEXT,
    amount_minor       BIGINT  CHECK (amount_minor >= 0),
    currency           TEXT,
    until_ms           BIGINT,
    occurred_at_ms     BIGINT  NOT NULL,
    -- A job that runs twice appends nothing twice.
    dedup_key          TEXT    NOT NULL,
    CONSTRAINT account_event_seq_unique UNIQUE (billing_account_id, seq),
    CONSTRAINT account_event_dedup_unique UNIQUE (billing_account_id, dedup_key),
    CHECK ((amount_minor IS NULL) = (currency IS NULL))
);

-- Workspaces in grace or locked; a normal workspace has no row. Unbinding a
-- workspace ends its lifecycle with it.
CREATE TABLE workspace_arrears (
    workspace_id       TEXT    PRIMARY KEY REFERENCES workspace (workspace_id) ON DELETE CASCADE,
    billing_account_id BIGINT  NOT NULL REFERENCES billing_account (billing_account_id),
    state              TEXT    NOT NULL CHECK (state IN ('grace', 'locked')),
    -- When the grace period began; it ends after the configured number of days.
    grace_since_ms     BIGINT  NOT NULL,
    -- Whether the "locks in 3 days" warning was given.
    lock_warned        BOOLEAN NOT NULL,
    locked_at_ms       BIGINT,
    CHECK ((state = 'locked') = (locked_at_ms IS NOT NULL))
);
CREATE INDEX workspace_arrears_by_account ON workspace_arrears (billing_account_id);
CREATE INDEX workspace_arrears_by_state ON workspace_arrears (state, billing_account_id);
