//! `coffer verify`: recompute every balance from the journal and check every
//! invariant. Exit code 1 when anything is wrong, each problem listed.

use serde_json::json;

use crate::context::Ctx;
use crate::error::{exit, CliResult};
use crate::output::Out;

pub fn run(ctx: &Ctx) -> CliResult<Out> {
    let r = ctx.app.verify()?;
    let json = json!({
        "engine": ctx.app.store.engine(),
        "accounts": r.accounts,
        "journal_transactions": r.journal_txs,
        "postings": r.postings,
        "charges": r.charges,
        "consistent": r.is_clean(),
        "problems": r.problems,
    });
    let mut text = format!(
        "Checked {} accounts, {} journal transactions, {} postings, {} charges.\n",
        r.accounts, r.journal_txs, r.postings, r.charges
    );
    if r.is_clean() {
        text.push_str("Ledger consistent.\n");
        Ok(Out::new(json, text))
    } else {
        text.push_str(&format!("{} problems found:\n", r.problems.len()));
        for p in &r.problems {
            text.push_str(&format!("  - {p}\n"));
        }
        Ok(Out::new(json, text).with_status(exit::PROBLEMS))
    }
}
