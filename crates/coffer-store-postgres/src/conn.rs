//! A pooled connection with its prepared statements, the counterpart of rusqlite's
//! `prepare_cached`: each distinct SQL text is parsed once per connection, and every
//! later use is a single round trip.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use coffer_store::StoreResult;
use postgres::types::ToSql;
use postgres::{Client, Row, Statement};

use crate::map_err;

/// Statements kept per connection before the cache starts over; the store issues a
/// few dozen distinct texts, so this only guards against unbounded growth.
const STATEMENTS_KEPT: usize = 256;

pub(crate) struct Conn {
    pub(crate) client: Client,
    statements: HashMap<String, Statement>,
    _live: Live,
}

/// Counts the store's open connections (pooled or lent out) for the pool metrics:
/// one more while a `Conn` exists, whichever way it is finally dropped.
pub(crate) struct Live(Arc<AtomicUsize>);

impl Live {
    pub(crate) fn new(counter: &Arc<AtomicUsize>) -> Live {
        counter.fetch_add(1, Ordering::Relaxed);
        Live(counter.clone())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl Conn {
    pub(crate) fn new(client: Client, live: Live) -> Conn {
        Conn { client, statements: HashMap::new(), _live: live }
    }

    fn prepared(&mut self, sql: &str) -> StoreResult<Statement> {
        if let Some(stmt) = self.statements.get(sql) {
            return Ok(stmt.clone());
        }
        let stmt = self.client.prepare(sql).map_err(map_err)?;
        if self.statements.len() >= STATEMENTS_KEPT {
            self.statements.clear();
        }
        self.statements.insert(sql.to_owned(), stmt.clone());
        Ok(stmt)
    }

    pub(crate) fn query(&mut self, sql: &str, params: Params<'_>) -> StoreResult<Vec<Row>> {
        let stmt = self.prepared(sql)?;
        self.client.query(&stmt, params).map_err(map_err)
    }

    pub(crate) fn query_opt(&mut self, sql: &str, params: Params<'_>) -> StoreResult<Option<Row>> {
        let stmt = self.prepared(sql)?;
        self.client.query_opt(&stmt, params).map_err(map_err)
    }

    pub(crate) fn query_one(&mut self, sql: &str, params: Params<'_>) -> StoreResult<Row> {
        let stmt = self.prepared(sql)?;
        self.client.query_one(&stmt, params).map_err(map_err)
    }

    pub(crate) fn execute(&mut self, sql: &str, params: Params<'_>) -> StoreResult<u64> {
        let stmt = self.prepared(sql)?;
        self.client.execute(&stmt, params).map_err(map_err)
    }
}
