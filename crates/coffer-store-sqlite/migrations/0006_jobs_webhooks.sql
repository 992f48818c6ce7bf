-- The job scheduler (issue 8): one lease per job so exactly one server process runs
-- it, the log of runs, a cursor per job into the event feed, and frozen monthly
-- bills. Notifications: webhook endpoints per account and the delivery log of both
-- channels (webhook, e-mail).

CREATE TABLE job_lease (
    job            TEXT    PRIMARY KEY,
    holder         TEXT    NOT NULL,
    -- Grows whenever the lease changes hands: the fencing token of a run.
    generation     INTEGER NOT NULL CHECK (generation > 0),
    acquired_at_ms INTEGER NOT NULL,
    expires_at_ms  INTEGER NOT NULL
);

CREATE TABLE job_run (
    job_run_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    job            TEXT    NOT NULL,
    holder         TEXT    NOT NULL,
    generation     INTEGER NOT NULL,
    started_at_ms  INTEGER NOT NULL,
    finished_at_ms INTEGER,
    outcome        TEXT    NOT NULL CHECK (outcome IN ('running', 'succeeded', 'failed', 'fenced')),
    items          INTEGER NOT NULL DEFAULT 0,
    detail         TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX job_run_by_job ON job_run (job, job_run_id);

CREATE TABLE job_cursor (
    job      TEXT    PRIMARY KEY,
    position INTEGER NOT NULL CHECK (position >= 0)
);

-- A month's bill, frozen once after the month is over; at most one per account-month.
CREATE TABLE monthly_bill (
    billing_account_id INTEGER NOT NULL REFERENCES billing_account (billing_account_id),
    month              TEXT    NOT NULL,
    charges            INTEGER NOT NULL,
    amount_minor       INTEGER NOT NULL,
    csv                TEXT    NOT NULL,
    created_at_ms      INTEGER NOT NULL,
    CONSTRAINT monthly_bill_unique PRIMARY KEY (billing_account_id, month)
);

CREATE TABLE webhook_endpoint (
    webhook_endpoint_id INTEGER PRIMARY KEY AUTOINCREMENT,
    billing_account_id  INTEGER NOT NULL REFERENCES billing_account (billing_account_id),
    url                 TEXT    NOT NULL,
    secret              TEXT    NOT NULL,
    -- Event kinds, comma-separated; empty means every kind.
    kinds               TEXT    NOT NULL DEFAULT '',
    enabled             INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at_ms       INTEGER NOT NULL
);
CREATE INDEX webhook_endpoint_by_account ON webhook_endpoint (billing_account_id, webhook_endpoint_id);

-- One row per event and destination; attempts are counted on it.
CREATE TABLE notification_delivery (
    notification_delivery_id INTEGER PRIMARY KEY AUTOINCREMENT,
    billing_account_id       INTEGER NOT NULL REFERENCES billing_account (billing_account_id),
    event_id                 INTEGER NOT NULL,
    channel                  TEXT    NOT NULL CHECK (channel IN ('webhook', 'email')),
    -- The endpoint may be deleted later; the log keeps the URL in `target`.
    webhook_endpoint_id      INTEGER,
    target                   TEXT    NOT NULL,
    state                    TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts                 INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_status              INTEGER,
    last_error               TEXT,
    next_attempt_at_ms       INTEGER NOT NULL,
    delivered_at_ms          INTEGER,
    created_at_ms            INTEGER NOT NULL,
    CONSTRAINT notification_delivery_unique UNIQUE (channel, event_id, target),
    CHECK ((state = 'delivered') = (delivered_at_ms IS NOT NULL))
);
CREATE INDEX notification_delivery_due ON notification_delivery (channel, state, next_attempt_at_ms);
CREATE INDEX notification_delivery_by_account ON notification_delivery (billing_account_id, notification_delivery_id);
