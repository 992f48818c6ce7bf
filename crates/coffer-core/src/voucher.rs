//! Vouchers: virtual coupons with a face value, a balance and a validity window.

use crate::ids::{AccountId, VoucherId};
use crate::money::Amount;
use crate::time::{Timestamp, Window, WindowPosition};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VoucherKind {
    /// Allocated by an operator, directly or through an activation code.
    Standard,
    /// Issued automatically as a bonus when a prepaid card is bought with cash.
    Discount,
}

impl VoucherKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VoucherKind::Standard => "standard",
            VoucherKind::Discount => "discount",
        }
    }

    pub fn parse(text: &str) -> Option<VoucherKind> {
        match text {
            "standard" => Some(VoucherKind::Standard),
            "discount" => Some(VoucherKind::Discount),
            _ => None,
        }
    }
}

/// DOMAIN §5's statuses. `Issued` belongs to an activation code that nobody has
/// redeemed yet; every voucher inside an account starts `Active`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VoucherStatus {
    Issued,
    Active,
    UsedUp,
    Expired,
    Revoked,
}

impl VoucherStatus {
    pub const ALL: [VoucherStatus; 5] = [
        VoucherStatus::Issued,
        VoucherStatus::Active,
        VoucherStatus::UsedUp,
        VoucherStatus::Expired,
        VoucherStatus::Revoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VoucherStatus::Issued => "issued",
            VoucherStatus::Active => "active",
            VoucherStatus::UsedUp => "used_up",
            VoucherStatus::Expired => "expired",
            VoucherStatus::Revoked => "revoked",
        }
    }

    pub fn parse(text: &str) -> Option<VoucherStatus> {
        VoucherStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Terminal statuses never change again.
    pub fn is_terminal(self) -> bool {
        matches!(self, VoucherStatus::Expired | VoucherStatus::Revoked)
    }
}

/// How a voucher's validity is stated before activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoucherValidity {
    /// A fixed window, whenever the voucher is activated.
    Fixed(Window),
    /// N days counted from the moment of activation.
    DaysFromActivation(u32),
}

/// Why a validity could not be accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValidityError {
    /// The window ends at or before it starts.
    EmptyWindow,
    /// Zero days, or more than 100 years.
    DaysOutOfRange,
}

impl VoucherValidity {
    pub const DAYS_MAX: u32 = 36_600;

    pub fn check(&self) -> Result<(), ValidityError> {
        match self {
            VoucherValidity::Fixed(w) => match w.until {
                Some(until) if until <= w.from => Err(ValidityError::EmptyWindow),
                _ => Ok(()),
            },
            VoucherValidity::DaysFromActivation(days) => {
                if *days == 0 || *days > Self::DAYS_MAX {
                    Err(ValidityError::DaysOutOfRange)
                } else {
                    Ok(())
                }
            }
        }
    }

    /// The concrete window of a voucher activated at `activated_at`.
    pub fn resolve(&self, activated_at: Timestamp) -> Window {
        match self {
            VoucherValidity::Fixed(w) => *w,
            VoucherValidity::DaysFromActivation(days) => {
                Window { from: activated_at, until: Some(activated_at.plus_days(*days)) }
            }
        }
    }

    /// A code cannot be redeemed once its fixed window has ended.
    pub fn position_at(&self, now: Timestamp) -> WindowPosition {
        match self {
            VoucherValidity::Fixed(w) => w.position(now),
            VoucherValidity::DaysFromActivation(_) => WindowPosition::Inside,
        }
    }
}

/// A voucher inside a billing account, with its current balance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Voucher {
    pub id: VoucherId,
    pub account_id: AccountId,
    pub kind: VoucherKind,
    pub face_value: Amount,
    pub balance_minor: i64,
    pub status: VoucherStatus,
    pub window: Window,
    pub activated_at: Timestamp,
}
