//! The bank CSV statement parser: any text in, entries and per-row errors out, no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Uploads are read as UTF-8 text; the lossy form keeps every input useful.
    let text = String::from_utf8_lossy(data);
    coffer_fuzz::check_statement(&coffer_bank::csv::parse(&text));
});
