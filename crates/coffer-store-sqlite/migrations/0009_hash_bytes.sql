-- SHA-256 hashes are stored as their 32 bytes instead of 64 hex digits: the journal
-- holds two per transaction and a charge one (src/rows.rs, `StoredHash`). The
-- columns keep their declared TEXT type: a declared type does not bind a value's
-- storage class in SQLite, and retyping would mean rebuilding the tables and their
-- foreign keys. Only 64 lowercase hex digits are converted, as the store does.

UPDATE journal_tx SET prev_hash = unhex(prev_hash)
 WHERE typeof(prev_hash) = 'text' AND length(prev_hash) = 64 AND prev_hash NOT GLOB '*[^0-9a-f]*';
UPDATE journal_tx SET hash = unhex(hash)
 WHERE typeof(hash) = 'text' AND length(hash) = 64 AND hash NOT GLOB '*[^0-9a-f]*';
UPDATE billing_account SET journal_head = unhex(journal_head)
 WHERE typeof(journal_head) = 'text' AND length(journal_head) = 64 AND journal_head NOT GLOB '*[^0-9a-f]*';
UPDATE charge SET fingerprint = unhex(fingerprint)
 WHERE typeof(fingerprint) = 'text' AND length(fingerprint) = 64 AND fingerprint NOT GLOB '*[^0-9a-f]*';
