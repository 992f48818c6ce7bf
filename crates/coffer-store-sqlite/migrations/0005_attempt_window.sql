-- The global limit on activation-code guessing counts the failed attempts of every
-- account in the last hour; this index keeps that count a range scan.

CREATE INDEX activation_attempt_by_time ON activation_attempt (at_ms);
