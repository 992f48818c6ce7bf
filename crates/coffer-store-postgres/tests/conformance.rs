//! The shared store conformance suite, on PostgreSQL: each test gets a database of
//! its own on a throwaway cluster (see `coffer_store_postgres::testing`).

use coffer_store_postgres::testing::fresh_store;

coffer_store::conformance_tests!(fresh_store());
