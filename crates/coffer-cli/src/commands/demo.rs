//! `coffer demo`: fill an empty database with realistic demo data.

use serde_json::json;

use crate::context::{Ctx, Database};
use crate::error::{CliError, CliResult};
use crate::output::Out;

pub fn run(ctx: &Ctx) -> CliResult<Out> {
    let existing = ctx.app.accounts()?.len();
    if existing > 0 {
        return Err(CliError::new(
            "database_not_empty",
            format!(
                "{} already holds {existing} billing accounts; the demo only fills an empty database ({})",
                ctx.db.describe(),
                match ctx.db {
                    Database::Sqlite(_) => "use --db NEW_FILE",
                    Database::Postgres(_) => "point --database-url at a new database",
                }
            ),
        ));
    }
    let report = coffer_app::demo::build(&ctx.app)?;
    let db = ctx.db.option();
    let json = json!({
        "accounts": report.accounts.iter().map(|(id, name)| json!({"account_id": id.0, "name": name})).collect::<Vec<_>>(),
        "charges": report.charges,
    });
    let mut text = format!(
        "Demo data written to {}: {} accounts, {} charges over {} days.\n",
        ctx.db.describe(),
        report.accounts.len(),
        report.charges,
        coffer_app::demo::DAYS
    );
    for (id, name) in &report.accounts {
        text.push_str(&format!("  account {id}: {name}\n"));
    }
    let first = report.accounts.first().map_or(1, |(id, _)| id.0);
    text.push_str("Try:\n");
    for cmd in [
        format!("account show {first}"),
        format!("voucher list --account {first}"),
        format!("statement consumption --account {first} --limit 10"),
        "verify".to_owned(),
    ] {
        text.push_str(&format!("  coffer{db} {cmd}\n"));
    }
    Ok(Out::new(json, text))
}
