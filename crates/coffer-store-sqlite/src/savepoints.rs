//! The unit-of-work savepoint of [`coffer_store::WriteTx`]: a group commit runs many
//! charges in one transaction and undoes a failed one alone. Named apart from the
//! per-write `coffer_write` savepoint, which nests inside it.

use coffer_store::StoreResult;

use crate::{map_err, SqliteWriteTx};

impl SqliteWriteTx<'_> {
    pub(crate) fn begin_unit(&mut self) -> StoreResult<()> {
        self.conn().execute_batch("SAVEPOINT coffer_unit").map_err(map_err)
    }

    pub(crate) fn keep_unit(&mut self) -> StoreResult<()> {
        self.conn().execute_batch("RELEASE coffer_unit").map_err(map_err)
    }

    pub(crate) fn undo_unit(&mut self) -> StoreResult<()> {
        self.conn().execute_batch("ROLLBACK TO coffer_unit; RELEASE coffer_unit").map_err(map_err)
    }
}
