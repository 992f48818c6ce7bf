//! The unit-of-work savepoint of [`coffer_store::WriteTx`]: a group commit runs many
//! charges in one transaction and undoes a failed one alone. Named apart from the
//! per-write `coffer_write` savepoint, which nests inside it.

use coffer_store::StoreResult;

use crate::SqliteWriteTx;

impl SqliteWriteTx<'_> {
    pub(crate) fn begin_unit(&mut self) -> StoreResult<()> {
        crate::run_cached(self.conn(), "SAVEPOINT coffer_unit")
    }

    pub(crate) fn keep_unit(&mut self) -> StoreResult<()> {
        crate::run_cached(self.conn(), "RELEASE coffer_unit")
    }

    pub(crate) fn undo_unit(&mut self) -> StoreResult<()> {
        let c = self.conn();
        crate::run_cached(c, "ROLLBACK TO coffer_unit")?;
        crate::run_cached(c, "RELEASE coffer_unit")
    }
}
