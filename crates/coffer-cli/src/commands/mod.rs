//! One module per area; each defines its subcommands (clap derive) and runs them.

pub mod account;
pub mod adjust;
pub mod adjustment;
pub mod alipay;
pub mod backup;
pub mod bank;
pub mod bench;
pub mod card;
pub mod cash;
pub mod charge;
pub mod cloud;
pub mod config;
pub mod demo;
pub mod events;
pub mod expire;
pub mod identity;
pub mod jobs;
pub mod serve;
pub mod statement;
pub mod verify;
pub mod voucher;
pub mod webhook;
pub mod workspace;

use crate::args::{Cli, Command};
use crate::context;
use crate::error::CliResult;
use crate::output::Out;

pub fn run(cli: Cli) -> CliResult<Out> {
    // Commands that need no database.
    let command = match cli.command {
        Command::Alipay(cmd) => return alipay::run(cmd),
        Command::AlipaySandbox(args) => return alipay::run_sandbox(args),
        // The benchmark opens databases of its own, never the --db file.
        Command::Bench(args) => return bench::run(&cli.global, args),
        // The configuration is checked, and backups made, without opening the store.
        Command::Config(cmd) => return config::run(&cli.global, cmd),
        Command::Backup(args) => return backup::run_backup(&cli.global, args),
        Command::Restore(args) => return backup::run_restore(&cli.global, args),
        other => other,
    };
    let ctx = context::open(&cli.global)?;
    match command {
        Command::Account(cmd) => account::run(&ctx, cmd),
        Command::Workspace(cmd) => workspace::run(&ctx, cmd),
        Command::Cash(cmd) => cash::run(&ctx, cmd),
        Command::Voucher(cmd) => voucher::run(&ctx, cmd),
        Command::Card(cmd) => card::run(&ctx, cmd),
        Command::Charge(cmd) => charge::run(&ctx, cmd),
        Command::Adjust(args) => adjust::run(&ctx, args),
        Command::Adjustment(cmd) => adjustment::run(&ctx, cmd),
        Command::Statement(cmd) => statement::run(&ctx, cmd),
        Command::Events(args) => events::run(&ctx, args),
        Command::Bank(cmd) => bank::run(&ctx, cmd),
        Command::Cloud(cmd) => cloud::run(&ctx, cmd),
        Command::Expire => expire::run(&ctx),
        Command::Jobs(cmd) => jobs::run(&ctx, cmd),
        Command::Webhook(cmd) => webhook::run(&ctx, cmd),
        Command::Verify => verify::run(&ctx),
        Command::Demo => demo::run(&ctx),
        Command::Serve(args) => serve::run(&ctx, args),
        Command::Operator(cmd) => identity::run_operator(&ctx, cmd),
        Command::Token(cmd) => identity::run_token(&ctx, cmd),
        Command::Alipay(_)
        | Command::AlipaySandbox(_)
        | Command::Bench(_)
        | Command::Config(_)
        | Command::Backup(_)
        | Command::Restore(_) => {
            unreachable!("handled before opening the database")
        }
    }
}
