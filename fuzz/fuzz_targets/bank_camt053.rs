//! The ISO 20022 camt.053 statement parser: any text in, entries and per-entry errors out, no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    coffer_fuzz::check_statement(&coffer_bank::camt053::parse(&text));
});
