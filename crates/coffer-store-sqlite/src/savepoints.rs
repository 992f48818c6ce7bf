//! The unit-of-work savepoint of [`coffer_store::WriteTx`]: a group commit runs many
//! charges in one transaction and undoes a failed one alone. Named apart from the
//! per-write `coffer_write` savepoint, which multi-statement writes take only when
//! no unit is open: inside a unit the caller undoes the whole unit after a failed
//! write (the port's contract), and every savepoint level makes SQLite copy each
//! page it touches into the sub-journal once more.

use coffer_store::StoreResult;

use crate::SqliteWriteTx;

impl SqliteWriteTx<'_> {
    pub(crate) fn begin_unit(&mut self) -> StoreResult<()> {
        crate::run_cached(self.conn(), "SAVEPOINT coffer_unit")?;
        self.unit_open = true;
        Ok(())
    }

    pub(crate) fn keep_unit(&mut self) -> StoreResult<()> {
        self.unit_open = false;
        crate::run_cached(self.conn(), "RELEASE coffer_unit")
    }

    pub(crate) fn undo_unit(&mut self) -> StoreResult<()> {
        self.unit_open = false;
        let c = self.conn();
        crate::run_cached(c, "ROLLBACK TO coffer_unit")?;
        crate::run_cached(c, "RELEASE coffer_unit")
    }
}
