//! `coffer operator create` and `coffer token create|revoke`: identities without a UI.

use clap::{Args, Subcommand};
use coffer_core::ids::AccountId;
use coffer_store::auth::Role;
use serde_json::json;

use crate::context::Ctx;
use crate::error::{CliError, CliResult};
use crate::output::Out;

#[derive(Debug, Subcommand)]
pub enum OperatorCmd {
    /// Create an operator who logs in with a password. The password is read from
    /// the environment variable COFFER_OPERATOR_PASSWORD so it stays out of shell
    /// history.
    Create(OperatorCreate),
}

#[derive(Debug, Args)]
pub struct OperatorCreate {
    #[arg(long)]
    pub login: String,
    /// Also create an operator API token and print it once.
    #[arg(long)]
    pub with_token: bool,
}

#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Create an API token and print it once.
    Create(TokenCreate),
    /// Revoke a token by id.
    Revoke {
        #[arg(long)]
        id: i64,
    },
}

#[derive(Debug, Args)]
pub struct TokenCreate {
    #[arg(long)]
    pub name: String,
    /// operator, metering, owner, finance or viewer.
    #[arg(long)]
    pub role: String,
    /// The billing account of a member role.
    #[arg(long)]
    pub account: Option<i64>,
}

pub const PASSWORD_ENV: &str = "COFFER_OPERATOR_PASSWORD";

pub fn run_operator(ctx: &Ctx, cmd: OperatorCmd) -> CliResult<Out> {
    let OperatorCmd::Create(args) = cmd;
    let password = std::env::var(PASSWORD_ENV)
        .map_err(|_| CliError::invalid("password", format!("set {PASSWORD_ENV} to the new operator's password")))?;
    let user = ctx.auth.create_user(&args.login, &password, Role::Operator, None)?;
    let mut text = format!("operator {} created (user {})\n", user.user.login, user.id);
    let mut out = json!({"user_id": user.id, "login": user.user.login, "role": "operator"});
    if args.with_token {
        let (token, record) = ctx.auth.create_token(&format!("operator {}", user.user.login), Role::Operator, None)?;
        text.push_str(&format!("API token (shown once): {token}\n"));
        out["token"] = json!(token);
        out["token_id"] = json!(record.id);
    }
    Ok(Out::new(out, text))
}

pub fn run_token(ctx: &Ctx, cmd: TokenCmd) -> CliResult<Out> {
    match cmd {
        TokenCmd::Create(args) => {
            let role = Role::parse(&args.role)
                .ok_or_else(|| CliError::invalid("role", "must be operator, metering, owner, finance or viewer"))?;
            let account = args.account.map(AccountId);
            if let Some(a) = account {
                ctx.account(a.0)?;
            }
            let (token, record) = ctx.auth.create_token(&args.name, role, account)?;
            let text = format!("token {} ({}) created; shown once:\n{token}\n", record.id, role.as_str());
            Ok(Out::new(
                json!({"token_id": record.id, "role": role.as_str(), "account_id": args.account, "token": token}),
                text,
            ))
        }
        TokenCmd::Revoke { id } => {
            ctx.auth.revoke_token(id)?;
            Ok(Out::new(json!({"token_id": id, "revoked": true}), format!("token {id} revoked\n")))
        }
    }
}
