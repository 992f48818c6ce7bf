//! `coffer expire`: expire vouchers and cards whose validity ended; write off leftovers.

use serde_json::json;

use crate::context::Ctx;
use crate::error::CliResult;
use crate::output::Out;

pub fn run(ctx: &Ctx) -> CliResult<Out> {
    let r = ctx.app.expire_due()?;
    let json = json!({
        "vouchers_expired": r.vouchers_expired,
        "cards_expired": r.cards_expired,
        "written_off_minor": r.written_off_minor,
    });
    // Accounts may differ in currency, so the total is given in minor units only.
    let text = format!(
        "Expired {} vouchers and {} prepaid cards; {} minor units written off in total.\n",
        r.vouchers_expired, r.cards_expired, r.written_off_minor
    );
    Ok(Out::new(json, text))
}
