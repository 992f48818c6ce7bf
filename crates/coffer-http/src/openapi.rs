//! The OpenAPI 3.1 document, generated from the handlers' annotations. A copy is
//! committed at `docs/openapi.json`; a test fails when it is stale.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::dto::*;
use crate::problem::Problem;
use crate::routes::*;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::caller::SESSION_COOKIE))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Coffer API", version = "1", description = "The Billing Center wallet: accounts, workspaces, cash, vouchers, prepaid cards, charges and statements. Amounts are integers of minor units plus an ISO currency. Errors are RFC 9457 problem details with a stable `code`."),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
    paths(
        accounts::create, accounts::list, accounts::show, accounts::set_arrears_limit,
        workspaces::list, workspaces::bind, workspaces::unbind, workspaces::change_settlement,
        events::workspace_state, events::account_events,
        webhooks::create, webhooks::list, webhooks::delete, webhooks::set_enabled, webhooks::deliveries,
        cash::credit,
        vouchers::list, vouchers::issue, vouchers::activate, vouchers::revoke, vouchers::create_batch,
        cards::list, cards::buy, cards::allocate,
        charges::settle, charges::preview, charges::show, charges::reverse, charges::adjust,
        adjustments::list, adjustments::approve, adjustments::reject,
        statements::income_expenditure, statements::consumption, statements::monthly,
        identity::login, identity::logout, identity::create_token, identity::account_tokens,
        identity::create_member, identity::members,
        recharges::create, recharges::list, recharges::show, recharges::notify, recharges::return_page,
        recharges::notifications, recharges::sweep,
        cloud::charge_delivery, cloud::outbox, cloud::deliver, cloud::cancel_subscription,
        bank_transfers::record, bank_transfers::list, bank_transfers::show, bank_transfers::assign,
        bank_transfers::approve, bank_transfers::import, bank_transfers::recharge_instructions,
        health::healthz, health::readyz,
    ),
    components(schemas(Problem, CreateAccountRequest, AccountResponse, OverviewResponse))
)]
pub struct ApiDoc;

/// The document as pretty JSON, as committed.
pub fn json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}
