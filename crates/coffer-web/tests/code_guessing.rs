//! Activation-code guessing through the Billing Center: the limit (10 failed
//! attempts per account per hour, docs/SECURITY.md) is shown next to the code
//! field, refuses even a correct code while it holds, and lifts an hour after the
//! failures.

mod support;

use coffer_app::codes::random_code;
use coffer_app::use_cases::voucher_codes::GenerateCodes;
use coffer_app::use_cases::vouchers::ValidityInput;
use coffer_core::ids::AccountId;
use support::{spawn, Client, Server};

fn real_code(server: &Server) -> String {
    let req = GenerateCodes {
        kind: "standard",
        face_value_minor: 1_000,
        currency: "CNY",
        validity: ValidityInput::Days(30),
        count: 1,
        memo: "guessing",
    };
    server.app.generate_codes(&req).unwrap_or_else(|e| panic!("{e}")).codes[0].display_grouped()
}

fn vouchers(server: &Server) -> usize {
    server.app.vouchers(AccountId(1), None).unwrap_or_else(|e| panic!("{e}")).len()
}

#[test]
fn the_eleventh_attempt_in_an_hour_is_refused_next_to_the_code_field_even_with_a_correct_code() {
    let server = spawn();
    let owner = Client::login(&server, "owner");
    let csrf = owner.csrf();
    let code = real_code(&server);
    let activate = |code: &str| {
        owner.post("/accounts/1/vouchers/activate", &[("code", code), ("confirm", "yes"), ("csrf", &csrf)])
    };
    for n in 0..10 {
        let page = activate(&random_code().display_grouped());
        assert!(
            page.body.contains("no voucher has this activation code")
                || page.body.contains("No voucher has this activation code"),
            "guess {n}: {}",
            page.body
        );
    }
    let before = vouchers(&server);
    let refused = activate(&code);
    assert!(refused.body.contains("id=\"e-code\""), "{}", refused.body);
    assert!(refused.body.contains("at most 10 per hour"), "{}", refused.body);
    assert_eq!(vouchers(&server), before, "the correct code did nothing while throttled");
    server.clock.advance_ms(3_600_001);
    let done = activate(&code);
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(vouchers(&server), before + 1);
}
