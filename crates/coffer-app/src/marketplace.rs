//! The cloud marketplace port (DOMAIN §7): the cloud part of a charge is reported to
//! the workspace's marketplace as a usage record. One adapter per provider
//! implements [`Marketplace`] (crate `coffer-marketplace`); [`Marketplaces`] holds
//! them by provider in [`crate::AppConfig`].
//!
//! Adapters are called outside any database transaction and must be idempotent per
//! [`UsageRecord::usage_record_id`]: the outbox may send one record again after a
//! crash or a lost answer, and the provider must then say
//! [`DeliveryResult::AlreadyAccepted`] rather than bill twice.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use coffer_core::ids::{AccountId, ChargeId};
use coffer_core::money::Currency;
use coffer_core::policy::Category;
use coffer_core::time::{Date, Timestamp};
use coffer_core::workspace::CloudProvider;

/// One usage record as an adapter sees it: the outbox item plus what the charge says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageRecord {
    /// The provider's idempotency key: `coffer-<charge id>-usage` or `-reversal`.
    pub usage_record_id: String,
    pub provider: CloudProvider,
    /// The customer at the provider (AWS customer identifier, Azure resource id, ...).
    pub cloud_account_id: String,
    /// Minor units; positive for usage, negative for a reversal credit.
    pub amount_minor: i64,
    pub currency: Currency,
    pub account_id: AccountId,
    pub charge_id: ChargeId,
    pub workspace_id: String,
    /// Adapters use it as the metering dimension.
    pub category: Category,
    pub bill_date: Date,
    /// When the charge was settled: the usage's timestamp at the provider.
    pub usage_at: Timestamp,
}

/// What a provider answered to one usage record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryResult {
    Accepted,
    /// The provider already holds this usage record id: delivered earlier (perhaps
    /// by a pass that crashed before recording it).
    AlreadyAccepted,
    /// Refused for good; retrying cannot help.
    Rejected {
        reason: String,
    },
    /// Not delivered this time (throttled, unavailable, no answer): retried later.
    Transient {
        reason: String,
    },
    /// The customer's marketplace subscription is gone: nothing more can be billed there.
    SubscriptionCancelled,
}

/// A provider's marketplace metering API.
pub trait Marketplace: Send + Sync {
    fn report_usage(&self, record: &UsageRecord) -> DeliveryResult;
}

/// The adapters, by provider. A provider without one leaves its items pending.
#[derive(Clone, Default)]
pub struct Marketplaces {
    adapters: HashMap<CloudProvider, Arc<dyn Marketplace>>,
}

impl Marketplaces {
    pub fn new() -> Marketplaces {
        Marketplaces::default()
    }

    /// Adds or replaces the adapter for `provider`.
    pub fn with(mut self, provider: CloudProvider, adapter: Arc<dyn Marketplace>) -> Marketplaces {
        self.adapters.insert(provider, adapter);
        self
    }

    pub fn get(&self, provider: CloudProvider) -> Option<&Arc<dyn Marketplace>> {
        self.adapters.get(&provider)
    }

    /// The providers with an adapter, in [`CloudProvider::ALL`] order.
    pub fn providers(&self) -> Vec<CloudProvider> {
        CloudProvider::ALL.into_iter().filter(|p| self.adapters.contains_key(p)).collect()
    }
}

impl fmt::Debug for Marketplaces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.providers().into_iter().map(CloudProvider::as_str).collect();
        f.debug_struct("Marketplaces").field("providers", &names).finish()
    }
}
