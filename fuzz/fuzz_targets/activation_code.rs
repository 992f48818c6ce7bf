//! Activation codes and transfer references as customers type them: parsing never
//! panics, and whatever parses round-trips through its canonical and grouped forms.
#![no_main]

use coffer_core::account::{parse_transfer_reference, transfer_reference};
use coffer_core::code::{ActivationCode, CODE_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(code) = ActivationCode::parse(&text) {
        assert_eq!(code.canonical().len(), CODE_LEN);
        assert_eq!(ActivationCode::parse(code.canonical()).as_ref(), Ok(&code));
        assert_eq!(ActivationCode::parse(&code.display_grouped()).as_ref(), Ok(&code));
        // The keyed hash the store keeps must be computable for every valid code.
        assert_eq!(coffer_app::codes::code_hash(b"fuzz key", &code).len(), 64);
    }
    // The codes the app generates use only the low five bits of each random byte.
    if let Ok(bytes) = <[u8; 15]>::try_from(data.get(..15).unwrap_or_default()) {
        let code = ActivationCode::from_random(bytes);
        assert_eq!(ActivationCode::parse(&code.display_grouped()).as_ref(), Ok(&code));
    }
    if let Some(account) = parse_transfer_reference(&text) {
        if account.0 > 0 {
            let again = parse_transfer_reference(&transfer_reference(account));
            assert_eq!(again, Some(account), "the reference of account {account} does not round-trip");
        }
    }
});
