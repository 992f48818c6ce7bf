//! Offline bank transfers (operators): recording one that arrived, the unmatched
//! queue, assigning, the second operator's approval, and statement imports (CSV
//! or camt.053, sent as the raw file). Customers read their recharge
//! instructions: the payee bank account and their reference code.
//!
//! Who recorded, assigned or approved something is the caller (`user:<id>` for a
//! session, `token:<id>` for an API token), never a name in the body.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use coffer_app::use_cases::bank_statements::{ImportReport, ImportStatement};
use coffer_app::use_cases::bank_transfers::{RecordTransfer, TransferRecorded, TransferView};
use coffer_app::{App, AppResult};
use coffer_core::ids::AccountId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::caller::{Caller, Need};
use crate::extract::{ApiPath, ApiQuery};
use crate::idempotency::{once, Call, IdemKey, Save};
use crate::json::ApiJson;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// The most a statement upload may hold: generous for a day's statement, bounded
/// so one request cannot exhaust memory.
pub const STATEMENT_BODY_LIMIT_BYTES: usize = 5 * 1024 * 1024;
const DEFAULT_LIMIT: u32 = 200;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordTransferRequest {
    /// The bank's id for the transaction; each is recorded once.
    pub bank_transaction_id: String,
    pub amount_minor: i64,
    pub currency: String,
    /// YYYY-MM-DD.
    pub value_date: String,
    #[serde(default)]
    pub payer: Option<String>,
    /// The remittance text, where the payer quotes the account's reference code.
    #[serde(default)]
    pub reference: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignTransferRequest {
    pub account_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransferResponse {
    pub id: i64,
    pub bank_transaction_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub value_date: String,
    pub payer: String,
    pub reference: String,
    pub account_id: Option<i64>,
    /// unmatched, awaiting_approval or credited.
    pub state: String,
    /// manual, csv or camt053.
    pub source: String,
    pub recorded_by: String,
    pub assigned_by: Option<String>,
    pub approved_by: Option<String>,
    pub created_at_ms: i64,
    pub credited_at_ms: Option<i64>,
    /// Why an unmatched transfer did not match its reference.
    pub unmatched_reason: Option<String>,
}

fn transfer_response(v: &TransferView) -> TransferResponse {
    let t = &v.transfer.transfer;
    TransferResponse {
        id: v.transfer.id,
        bank_transaction_id: t.bank_transaction_id.clone(),
        amount_minor: t.amount.minor(),
        currency: t.currency.code().to_owned(),
        value_date: t.value_date.to_string(),
        payer: t.payer.clone(),
        reference: t.reference.clone(),
        account_id: t.account_id.map(|a| a.0),
        state: t.state.as_str().to_owned(),
        source: t.source.clone(),
        recorded_by: t.recorded_by.clone(),
        assigned_by: v.assigned_by.clone(),
        approved_by: v.transfer.approved_by.clone(),
        created_at_ms: t.created_at.0,
        credited_at_ms: v.transfer.credited_at.map(|t| t.0),
        unmatched_reason: v.unmatched_reason.clone(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransferOutcomeResponse {
    /// credited, awaiting_approval, queued or duplicate (recorded before; nothing changed).
    pub outcome: String,
    pub transfer: TransferResponse,
}

/// The outcome with the transfer as it now reads (who assigned it, why it waits).
fn outcome_response(app: &App, done: TransferRecorded) -> AppResult<TransferOutcomeResponse> {
    let view = app.bank_transfer(done.transfer.id)?;
    Ok(TransferOutcomeResponse { outcome: done.outcome.as_str().to_owned(), transfer: transfer_response(&view) })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TransferListQuery {
    /// unmatched, awaiting_approval or credited; all when absent.
    pub state: Option<String>,
    /// 1..=1000, default 200; newest first.
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// csv (send text/csv) or camt053 (send application/xml).
    pub format: String,
}

#[derive(Debug, Serialize)]
pub struct ImportRequest {
    format: String,
    text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportErrorResponse {
    /// The CSV line the row starts on, or the camt.053 entry's position; 0 for the whole file.
    pub index: usize,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportLineResponse {
    pub index: usize,
    pub bank_transaction_id: String,
    /// credited, queued, duplicate or skipped.
    pub outcome: String,
    pub reason: Option<String>,
    pub transfer_id: Option<i64>,
    pub account_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReportResponse {
    pub entries: u32,
    pub credited: u32,
    pub queued_unmatched: u32,
    /// Always 0: statement entries are the bank's word.
    pub awaiting_approval: u32,
    pub duplicates: u32,
    /// Debits and entries not booked.
    pub skipped: u32,
    pub errors: Vec<ImportErrorResponse>,
    pub lines: Vec<ImportLineResponse>,
}

fn report_response(r: ImportReport) -> ImportReportResponse {
    let errors = r
        .errors
        .into_iter()
        .map(|e| ImportErrorResponse { index: e.index, field: e.field, message: e.message })
        .collect();
    let lines = r
        .lines
        .into_iter()
        .map(|l| ImportLineResponse {
            index: l.index,
            bank_transaction_id: l.bank_transaction_id,
            outcome: l.outcome.as_str().to_owned(),
            reason: l.outcome.reason().map(str::to_owned),
            transfer_id: l.transfer_id,
            account_id: l.account_id.map(|a| a.0),
        })
        .collect();
    ImportReportResponse {
        entries: r.entries,
        credited: r.credited,
        queued_unmatched: r.queued_unmatched,
        awaiting_approval: r.awaiting_approval,
        duplicates: r.duplicates,
        skipped: r.skipped,
        errors,
        lines,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RechargeInstructionsResponse {
    pub account_id: i64,
    pub currency: String,
    /// Quote this in the transfer's remittance text.
    pub reference: String,
    pub payee_name: String,
    pub bank_name: String,
    pub account_number: String,
    pub swift: Option<String>,
    pub branch: Option<String>,
}

#[utoipa::path(post, path = "/v1/bank-transfers", operation_id = "record_bank_transfer", tag = "bank-transfer",
    params(("Idempotency-Key" = Option<String>, Header)), request_body = RecordTransferRequest,
    responses((status = 201, body = TransferOutcomeResponse), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn record(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiJson(body): ApiJson<RecordTransferRequest>,
) -> Result<Response, ApiError> {
    caller.require_operator()?;
    let who = caller.0.who();
    let call = Call { route: "POST /v1/bank-transfers", request: body, status: StatusCode::CREATED, save: Save::AsIs };
    once(&s, &caller, &key, call, move |app, _, b| {
        let req = RecordTransfer {
            bank_transaction_id: &b.bank_transaction_id,
            amount_minor: b.amount_minor,
            currency: &b.currency,
            value_date: &b.value_date,
            payer: b.payer.as_deref().unwrap_or(""),
            reference: b.reference.as_deref().unwrap_or(""),
            recorded_by: &who,
        };
        outcome_response(app, app.record_transfer(&req)?)
    })
    .await
}

#[utoipa::path(get, path = "/v1/bank-transfers", operation_id = "list_bank_transfers", tag = "bank-transfer", params(TransferListQuery),
    responses((status = 200, body = [TransferResponse]), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<TransferListQuery>,
) -> Result<Json<Vec<TransferResponse>>, ApiError> {
    caller.require_operator()?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    let list = s.run(move |app| app.bank_transfers(q.state.as_deref(), limit)).await?;
    Ok(Json(list.iter().map(transfer_response).collect()))
}

#[utoipa::path(get, path = "/v1/bank-transfers/{transfer_id}", operation_id = "show_bank_transfer", tag = "bank-transfer",
    params(("transfer_id" = i64, Path)),
    responses((status = 200, body = TransferResponse), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn show(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TransferResponse>, ApiError> {
    caller.require_operator()?;
    let view = s.run(move |app| app.bank_transfer(id)).await?;
    Ok(Json(transfer_response(&view)))
}

#[utoipa::path(post, path = "/v1/bank-transfers/{transfer_id}/assign", operation_id = "assign_bank_transfer", tag = "bank-transfer",
    params(("transfer_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header)), request_body = AssignTransferRequest,
    responses((status = 200, body = TransferOutcomeResponse), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn assign(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AssignTransferRequest>,
) -> Result<Response, ApiError> {
    caller.require_operator()?;
    let who = caller.0.who();
    let route = format!("POST /v1/bank-transfers/{id}/assign");
    let call = Call { route: &route, request: body, status: StatusCode::OK, save: Save::AsIs };
    once(&s, &caller, &key, call, move |app, _, b| {
        outcome_response(app, app.assign_transfer(id, AccountId(b.account_id), &who)?)
    })
    .await
}

#[utoipa::path(post, path = "/v1/bank-transfers/{transfer_id}/approve", operation_id = "approve_bank_transfer", tag = "bank-transfer",
    params(("transfer_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = TransferOutcomeResponse), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn approve(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    caller.require_operator()?;
    let who = caller.0.who();
    let route = format!("POST /v1/bank-transfers/{id}/approve");
    let call = Call { route: &route, request: (), status: StatusCode::OK, save: Save::AsIs };
    once(&s, &caller, &key, call, move |app, _, ()| outcome_response(app, app.approve_transfer(id, &who)?)).await
}

/// The media types each format may be sent as.
fn accepted_media_types(format: &str) -> Option<&'static [&'static str]> {
    match format {
        "csv" => Some(&["text/csv", "text/plain"]),
        "camt053" => Some(&["application/xml", "text/xml"]),
        _ => None,
    }
}

fn check_media_type(headers: &HeaderMap, format: &str) -> Result<(), ApiError> {
    let Some(accepted) = accepted_media_types(format) else { return Ok(()) };
    let sent = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = sent.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if accepted.contains(&media.as_str()) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        format!("a {format} statement is sent as {}", accepted.join(" or ")),
    ))
}

fn statement_text(body: Result<Bytes, BytesRejection>) -> Result<String, ApiError> {
    let bytes = body.map_err(|e| {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", format!("the statement could not be read: {e}"))
    })?;
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "body: the statement must be UTF-8 text; convert other encodings (such as GBK) first",
        )
        .field("body")
    })
}

/// Imports a statement file. Always answers with the report when the file's
/// format is known: unreadable rows are listed in `errors`, not refused whole.
#[utoipa::path(post, path = "/v1/bank-statements", operation_id = "import_bank_statement", tag = "bank-transfer",
    params(ImportQuery, ("Idempotency-Key" = Option<String>, Header)),
    request_body(description = "The statement file, at most 5 MiB of UTF-8", content(
        (String = "text/csv"), (String = "application/xml"))),
    responses((status = 200, body = ImportReportResponse), (status = 403, body = Problem),
        (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn import(
    State(s): State<AppState>,
    caller: Caller,
    key: IdemKey,
    ApiQuery(q): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require_operator()?;
    check_media_type(&headers, &q.format)?;
    let request = ImportRequest { text: statement_text(body)?, format: q.format };
    let who = caller.0.who();
    let call = Call { route: "POST /v1/bank-statements", request, status: StatusCode::OK, save: Save::AsIs };
    once(&s, &caller, &key, call, move |app, _, r| {
        let req = ImportStatement { format: &r.format, text: &r.text, imported_by: &who };
        app.import_statement(&req).map(report_response)
    })
    .await
}

#[utoipa::path(get, path = "/v1/accounts/{account_id}/recharge-instructions", operation_id = "recharge_instructions", tag = "bank-transfer",
    params(("account_id" = i64, Path)),
    responses((status = 200, body = RechargeInstructionsResponse), (status = 404, body = Problem)))]
pub async fn recharge_instructions(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RechargeInstructionsResponse>, ApiError> {
    caller.require(AccountId(id), Need::Read)?;
    let i = s.run(move |app| app.recharge_instructions(AccountId(id))).await?;
    Ok(Json(RechargeInstructionsResponse {
        account_id: i.account_id.0,
        currency: i.currency.code().to_owned(),
        reference: i.reference,
        payee_name: i.bank.payee_name,
        bank_name: i.bank.bank_name,
        account_number: i.bank.account_number,
        swift: i.bank.swift,
        branch: i.bank.branch,
    }))
}
