//! Coffer's pure core: money, instruments, the deduction planner and the lifecycles.
//!
//! **No IO, no clock, no randomness, no async, no serde.** Instants, ids and random
//! bytes are inputs. Business outcomes are enum values; a panic means a broken
//! invariant (for example an unbalanced journal entry), never bad input.
//!
//! # Layout
//! - [`money`]: currencies, [`money::Amount`], decimal parsing.
//! - [`time`]: instants, validity windows, civil dates and months.
//! - [`ids`]: typed identifiers.
//! - [`account`], [`workspace`], [`voucher`], [`card`]: the domain objects and their rules.
//! - [`policy`]: DOMAIN §2's deduction order as versioned data.
//! - [`planner`]: settles one charge against a wallet snapshot.
//! - [`journal`]: books, postings, entries.
//! - [`lifecycle`]: plans and entries for every other money-moving use case.
//! - [`code`]: voucher activation codes.
//! - [`arrears`]: a workspace's arrears lifecycle (normal, grace, locked).
//! - [`event`]: account events, the feed clients and notifications read.

pub mod account;
pub mod arrears;
pub mod card;
pub mod code;
pub mod event;
pub mod ids;
pub mod journal;
pub mod lifecycle;
pub mod money;
pub mod planner;
pub mod policy;
pub mod time;
pub mod voucher;
pub mod workspace;
