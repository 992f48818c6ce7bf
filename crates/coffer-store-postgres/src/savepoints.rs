//! The unit-of-work savepoint of [`coffer_store::WriteTx`]: a group commit runs many
//! charges in one transaction and undoes a failed one alone. Named apart from the
//! per-write `coffer_write` savepoint, which writes take only outside a unit (see
//! `PostgresWriteTx::guarded`).

use coffer_store::StoreResult;

use crate::{map_err, PostgresWriteTx};

impl PostgresWriteTx<'_> {
    pub(crate) fn begin_unit(&mut self) -> StoreResult<()> {
        self.guarded_statement("SAVEPOINT coffer_unit")?;
        self.unit_open = true;
        Ok(())
    }

    pub(crate) fn keep_unit(&mut self) -> StoreResult<()> {
        self.unit_open = false;
        self.guarded_statement("RELEASE SAVEPOINT coffer_unit")
    }

    /// Works on an aborted transaction too: rolling back to a savepoint taken before
    /// the failed statement is how PostgreSQL makes it usable again.
    pub(crate) fn undo_unit(&mut self) -> StoreResult<()> {
        self.unit_open = false;
        let result =
            self.conn().client.batch_execute("ROLLBACK TO SAVEPOINT coffer_unit; RELEASE SAVEPOINT coffer_unit");
        match result {
            Ok(()) => {
                self.aborted = false;
                Ok(())
            }
            Err(e) => {
                self.aborted = true;
                Err(map_err(e))
            }
        }
    }

    fn guarded_statement(&mut self, sql: &str) -> StoreResult<()> {
        if self.aborted {
            return Err(coffer_store::StoreError::Backend("the transaction was aborted by an earlier error".into()));
        }
        self.conn().client.batch_execute(sql).map_err(|e| {
            self.aborted = true;
            map_err(e)
        })
    }
}
