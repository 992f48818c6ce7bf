//! Cloud marketplace adapters for Coffer's usage outbox (DOMAIN §7, decision 004),
//! one per provider, each implementing [`coffer_app::marketplace::Marketplace`] by
//! building that provider's own request and mapping its answers to a
//! [`coffer_app::marketplace::DeliveryResult`]; and a local [`simulator`] that
//! speaks each provider's contract, for tests and the demo (no machine here reaches
//! the clouds).
//!
//! The request shapes are **modelled on the public APIs, not certified against
//! them**: request signing (SigV4, Aliyun RPC signatures, Huawei AK/SK, Azure AD
//! tokens) is not done, and where a real API deduplicates by something other than
//! a record id the module docs say so. Every adapter is idempotent per usage record
//! id and classifies answers the same way: an explicit permanent refusal is
//! rejected; throttling, outages, credentials trouble, transport errors and
//! anything unreadable are transient (safe, because a record sent again is
//! answered "duplicate").
//!
//! # Layout
//! - [`aws`], [`aliyun`], [`huawei`], [`azure`]: the adapters and their wire shapes.
//! - [`transport`]: HTTP, timeouts and shared answer classification.
//! - [`simulator`]: the local marketplace (an axum [`axum::Router`]).
//! - [`demo`]: all four adapters pointed at a simulator.

pub mod aliyun;
pub mod aws;
pub mod azure;
pub mod demo;
pub mod huawei;
pub mod simulator;
pub mod transport;

pub use aliyun::AliyunMarketplace;
pub use aws::AwsMarketplace;
pub use azure::AzureMarketplace;
pub use huawei::HuaweiMarketplace;
pub use simulator::{router, Faults, MarketplaceSim, SimUsage};
