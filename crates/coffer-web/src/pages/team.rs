//! Members and API tokens of one account (owners; operators too). A new token is
//! shown once, on the page that created it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use coffer_app::use_cases::accounts::AccountOverview;
use coffer_core::ids::AccountId;
use coffer_http::caller::Need;
use coffer_http::AppState;
use coffer_store::auth::Role;
use minijinja::{context, Value};

use crate::fmt::{when, zone_of};
use crate::forms::{field, Errors, FormData};
use crate::view::{base, render_status, with};
use crate::viewer::{auth_call, auth_try, PageResult, Viewer};

/// What the page shows besides the lists: a failed form, or a token just created.
#[derive(Default)]
struct Extra {
    member: Option<(Value, Errors)>,
    token: Option<(Value, Errors)>,
    new_token: Option<Value>,
    notice: Option<&'static str>,
}

async fn render_page(s: &AppState, v: &Viewer, o: &AccountOverview, extra: Extra) -> PageResult {
    let id = o.account.account.id;
    let (users, tokens) =
        auth_call(s, move |auth| Ok((auth.store.users_of_account(id)?, auth.store.tokens_of_account(Some(id))?)))
            .await?;
    let zone = zone_of(&o.account);
    let members: Vec<Value> =
        users.iter().map(|u| context! { login => u.user.login.clone(), role => u.user.role.as_str() }).collect();
    let tokens: Vec<Value> = tokens
        .iter()
        .map(|t| {
            context! { id => t.id, name => t.token.name.clone(), role => t.token.role.as_str(),
            created => when(t.token.created_at.0, &zone), revoked => t.revoked_at.map(|r| when(r.0, &zone)) }
        })
        .collect();
    let failed = extra.member.is_some() || extra.token.is_some();
    let (member_values, member_errors) =
        extra.member.unwrap_or_else(|| (context! { role => "viewer" }, Errors::default()));
    let (token_values, token_errors) =
        extra.token.unwrap_or_else(|| (context! { role => "viewer" }, Errors::default()));
    let ctx = context! {
        members, tokens, member_values, member_errors, token_values, token_errors,
        new_token => extra.new_token, notice => extra.notice,
    };
    let status = if failed { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render_status(status, "team.html", with(base(v, Some(&o.account), "team"), ctx)))
}

pub async fn page(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> PageResult {
    let o = super::account(&s, &v, id, Need::Manage).await?;
    render_page(&s, &v, &o, Extra { notice: super::notice(&q), ..Extra::default() }).await
}

fn member_role(raw: &str) -> Option<Role> {
    Role::parse(raw).filter(|r| r.is_member())
}

pub async fn add_member(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<FormData>,
) -> PageResult {
    v.check_csrf(&form)?;
    let o = super::account(&s, &v, id, Need::Manage).await?;
    let values = context! { login => field(&form, "login"), role => field(&form, "role") };
    let Some(role) = member_role(field(&form, "role")) else {
        let mut errors = Errors::default();
        errors.add("role", "Choose owner, finance or viewer");
        return render_page(&s, &v, &o, Extra { member: Some((values, errors)), ..Extra::default() }).await;
    };
    let (login, password) = (field(&form, "login").to_owned(), field(&form, "password").to_owned());
    match auth_try(&s, move |auth| auth.create_user(&login, &password, role, Some(AccountId(id)))).await? {
        Ok(_) => Ok(Redirect::to(&format!("/accounts/{id}/team?done=member")).into_response()),
        Err(e) => {
            let errors = Errors::from_app(&e, &["login", "password", "role"], &[]);
            render_page(&s, &v, &o, Extra { member: Some((values, errors)), ..Extra::default() }).await
        }
    }
}

pub async fn create_token(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<FormData>,
) -> PageResult {
    v.check_csrf(&form)?;
    let o = super::account(&s, &v, id, Need::Manage).await?;
    let values = context! { name => field(&form, "name"), role => field(&form, "role") };
    let Some(role) = member_role(field(&form, "role")) else {
        let mut errors = Errors::default();
        errors.add("role", "Choose owner, finance or viewer");
        return render_page(&s, &v, &o, Extra { token: Some((values, errors)), ..Extra::default() }).await;
    };
    let name = field(&form, "name").to_owned();
    match auth_try(&s, move |auth| auth.create_token(&name, role, Some(AccountId(id)))).await? {
        Ok((plain, record)) => {
            let new_token = context! { name => record.token.name, token => plain };
            render_page(&s, &v, &o, Extra { new_token: Some(new_token), ..Extra::default() }).await
        }
        Err(e) => {
            let errors = Errors::from_app(&e, &["name", "role"], &[]);
            render_page(&s, &v, &o, Extra { token: Some((values, errors)), ..Extra::default() }).await
        }
    }
}

pub async fn revoke_token(
    State(s): State<AppState>,
    v: Viewer,
    Path((id, token_id)): Path<(i64, i64)>,
    Form(form): Form<FormData>,
) -> PageResult {
    v.check_csrf(&form)?;
    super::account(&s, &v, id, Need::Manage).await?;
    // Only this account's tokens: another account's is answered like a missing one.
    let owned = auth_call(&s, move |auth| Ok(auth.store.tokens_of_account(Some(AccountId(id)))?)).await?;
    if !owned.iter().any(|t| t.id == token_id) {
        return Err(crate::viewer::PageError::not_found());
    }
    auth_call(&s, move |auth| auth.revoke_token(token_id)).await?;
    Ok(Redirect::to(&format!("/accounts/{id}/team?done=revoked")).into_response())
}
