-- Sign-in attempts per login within the last hour, for the password-guessing limit
-- (docs/SECURITY.md). A row is an attempt not known to have succeeded: a successful
-- sign-in clears its login's rows, and rows older than the window are purged as
-- new attempts arrive. Logins are stored as typed (lower-cased), whether or not a
-- user has them, so the limit says nothing about which logins exist.

CREATE TABLE login_attempt (
    login  TEXT    NOT NULL,
    at_ms  BIGINT NOT NULL
);
CREATE INDEX login_attempt_by_login ON login_attempt (login, at_ms);
CREATE INDEX login_attempt_by_time ON login_attempt (at_ms);
