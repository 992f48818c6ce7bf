-- PostgreSQL dialect of coffer-store-sqlite's migrations/0004_adjustments.sql.
-- Operator cash adjustments above the approval threshold wait here for a second
-- operator (DOMAIN §4); smaller ones are applied at once and never stored here.

CREATE TABLE adjustment_request (
    adjustment_request_id BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    billing_account_id    BIGINT  NOT NULL REFERENCES billing_account (billing_account_id),
    -- Positive gives the customer value, negative takes cash away.
    amount_minor          BIGINT  NOT NULL CHECK (amount_minor <> 0),
    currency              TEXT    NOT NULL,
    reason                TEXT    NOT NULL,
    requested_by          TEXT    NOT NULL,
    state                 TEXT    NOT NULL CHECK (state IN ('pending', 'applied', 'rejected')),
    decided_by            TEXT,
    -- Why a request was rejected; NULL otherwise.
    rejection_reason      TEXT,
    journal_tx_id         BIGINT  REFERENCES journal_tx (journal_tx_id),
    created_at_ms         BIGINT  NOT NULL,
    decided_at_ms         BIGINT ,
    -- A decision names its operator and time; only an applied request has an entry.
    CHECK (state = 'pending' OR (decided_by IS NOT NULL AND decided_at_ms IS NOT NULL)),
    CHECK ((state = 'applied') = (journal_tx_id IS NOT NULL))
);
CREATE INDEX adjustment_request_by_state ON adjustment_request (state, adjustment_request_id);
CREATE INDEX adjustment_request_by_account ON adjustment_request (billing_account_id, adjustment_request_id);
