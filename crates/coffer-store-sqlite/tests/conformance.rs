//! The shared store conformance suite, on SQLite.

use coffer_store_sqlite::SqliteStore;

/// A fresh store in its own temp dir; the dir lives as long as the store.
struct Fresh {
    store: SqliteStore,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for Fresh {
    type Target = SqliteStore;
    fn deref(&self) -> &SqliteStore {
        &self.store
    }
}

fn fresh() -> Fresh {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let store = SqliteStore::open(&dir.path().join("conformance.db")).unwrap_or_else(|e| panic!("open: {e}"));
    Fresh { store, _dir: dir }
}

coffer_store::conformance_tests!(fresh());
