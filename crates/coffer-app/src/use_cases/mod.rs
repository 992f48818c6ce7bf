//! The use cases, one per module. Each public `App` method opens one transaction;
//! each `*_in_tx` function joins the caller's.

pub mod accounts;
pub mod adjustment_requests;
pub mod adjustments;
pub mod arrears;
pub mod bank_statements;
pub mod bank_transfers;
pub mod cards;
pub mod cash;
pub mod charges;
pub mod cloud_delivery;
pub mod cloud_outbox;
pub mod cloud_subscription;
pub mod events;
pub mod expiry;
pub mod recharge;
pub mod recharge_confirm;
pub mod reversal;
pub mod statements;
pub mod voucher_codes;
pub mod vouchers;
pub mod webhooks;
pub mod workspaces;
