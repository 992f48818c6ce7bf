//! Black-box API tests: the real server on port 0 with a fresh database per test, each
//! test run on both engines (`<module>::sqlite::...`, `<module>::postgres::...`).

mod helpers;

mod accounts;
mod authorization;
mod charges;
mod errors;
mod events;
mod idempotency;
mod openapi;
mod sessions;
