//! Webhook endpoints of a billing account (docs/WEBHOOKS.md): where the account's
//! events are posted, signed with a secret per endpoint. The secret is generated
//! here and shown once, when the endpoint is created; listings never show it.

use coffer_core::event::EventKind;
use coffer_core::ids::AccountId;
use coffer_store::webhooks::{Channel, Delivery, NewWebhookEndpoint, WebhookEndpoint};
use rand::RngCore;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::{input, App};

/// The longest URL accepted.
const URL_MAX: usize = 2_000;

pub struct CreateWebhook<'a> {
    pub account_id: AccountId,
    pub url: &'a str,
    /// Event kinds to deliver; empty for every kind.
    pub kinds: &'a [String],
}

/// A new endpoint and its signing secret, which is not shown again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookCreated {
    pub endpoint: WebhookEndpoint,
    pub secret: String,
}

fn parse_url(url: &str) -> AppResult<String> {
    let url = url.trim();
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    if !scheme_ok || url.len() > URL_MAX || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::invalid(
            "url",
            format!("must be an http:// or https:// URL of at most {URL_MAX} characters"),
        ));
    }
    let rest = url.split("://").nth(1).unwrap_or("");
    if rest.is_empty() || rest.starts_with('/') {
        return Err(AppError::invalid("url", "must name a host"));
    }
    Ok(url.to_owned())
}

fn parse_kinds(kinds: &[String]) -> AppResult<Vec<String>> {
    let mut parsed: Vec<String> = Vec::new();
    for text in kinds.iter().map(|k| k.trim()).filter(|k| !k.is_empty()) {
        let kind = EventKind::parse(text).ok_or_else(|| {
            let all: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
            AppError::invalid("kinds", format!("unknown event kind {text:?}; kinds are {}", all.join(", ")))
        })?;
        if !parsed.iter().any(|p| p == kind.as_str()) {
            parsed.push(kind.as_str().to_owned());
        }
    }
    Ok(parsed)
}

/// 32 random bytes, hex, with a prefix that makes a leaked secret recognisable.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("whsec_{}", hex::encode(bytes))
}

fn endpoint_not_found(id: i64) -> AppError {
    AppError::new(ErrorCode::WebhookEndpointNotFound, format!("webhook endpoint {id} not found"))
}

impl App {
    /// Adds an endpoint; the answer carries its secret, shown only this once.
    pub fn create_webhook(&self, req: &CreateWebhook<'_>) -> AppResult<WebhookCreated> {
        let url = parse_url(req.url)?;
        let kinds = parse_kinds(req.kinds)?;
        self.read(|r| input::account(r, req.account_id).map(drop))?;
        let secret = new_secret();
        let new = NewWebhookEndpoint {
            account_id: req.account_id,
            url,
            secret: secret.clone(),
            kinds,
            created_at: self.now(),
        };
        let id = self.store.webhooks().insert_webhook_endpoint(&new)?;
        let endpoint =
            self.store.webhooks().webhook_endpoint(req.account_id, id)?.ok_or_else(|| endpoint_not_found(id))?;
        Ok(WebhookCreated { endpoint, secret })
    }

    pub fn webhooks(&self, account: AccountId) -> AppResult<Vec<WebhookEndpoint>> {
        self.read(|r| input::account(r, account).map(drop))?;
        Ok(self.store.webhooks().webhook_endpoints(account)?)
    }

    pub fn delete_webhook(&self, account: AccountId, id: i64) -> AppResult<()> {
        self.read(|r| input::account(r, account).map(drop))?;
        match self.store.webhooks().delete_webhook_endpoint(account, id)? {
            true => Ok(()),
            false => Err(endpoint_not_found(id)),
        }
    }

    /// Pauses (`false`) or resumes (`true`) deliveries to an endpoint. While paused,
    /// new events are not queued for it and due deliveries fail ("the endpoint is disabled").
    pub fn set_webhook_enabled(&self, account: AccountId, id: i64, enabled: bool) -> AppResult<WebhookEndpoint> {
        self.read(|r| input::account(r, account).map(drop))?;
        if !self.store.webhooks().set_webhook_enabled(account, id, enabled)? {
            return Err(endpoint_not_found(id));
        }
        self.store.webhooks().webhook_endpoint(account, id)?.ok_or_else(|| endpoint_not_found(id))
    }

    /// The account's notification delivery log, newest first; `channel` is
    /// `webhook`, `email` or `None` for both.
    pub fn notification_deliveries(
        &self,
        account: AccountId,
        channel: Option<&str>,
        limit: u32,
    ) -> AppResult<Vec<Delivery>> {
        let channel = channel
            .map(|c| Channel::parse(c).ok_or_else(|| AppError::invalid("channel", "must be webhook or email")))
            .transpose()?;
        if limit == 0 || limit > 1_000 {
            return Err(AppError::invalid("limit", "must be 1 to 1000"));
        }
        self.read(|r| input::account(r, account).map(drop))?;
        Ok(self.store.webhooks().deliveries_of(account, channel, limit)?)
    }
}
