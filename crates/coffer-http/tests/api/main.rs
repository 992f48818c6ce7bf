//! Black-box API tests: the real server on port 0 with a fresh database per test.

mod helpers;

mod accounts;
mod authorization;
mod charges;
mod errors;
mod idempotency;
mod openapi;
mod sessions;
