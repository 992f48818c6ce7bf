//! Prepaid cards: stored value bought with cash or allocated by an operator.

use crate::ids::{AccountId, CardId};
use crate::money::{Amount, Currency};
use crate::time::{Timestamp, Window};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CardStatus {
    Active,
    UsedUp,
    Expired,
}

impl CardStatus {
    pub const ALL: [CardStatus; 3] = [CardStatus::Active, CardStatus::UsedUp, CardStatus::Expired];

    pub fn as_str(self) -> &'static str {
        match self {
            CardStatus::Active => "active",
            CardStatus::UsedUp => "used_up",
            CardStatus::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<CardStatus> {
        CardStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// How a card came into the account. Only purchased cards earn a bonus voucher.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CardOrigin {
    Purchased,
    Allocated,
}

impl CardOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            CardOrigin::Purchased => "purchased",
            CardOrigin::Allocated => "allocated",
        }
    }

    pub fn parse(text: &str) -> Option<CardOrigin> {
        match text {
            "purchased" => Some(CardOrigin::Purchased),
            "allocated" => Some(CardOrigin::Allocated),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrepaidCard {
    pub id: CardId,
    pub account_id: AccountId,
    pub number: String,
    pub face_value: Amount,
    pub balance_minor: i64,
    pub status: CardStatus,
    pub window: Window,
    pub purchased_at: Timestamp,
    pub origin: CardOrigin,
}

/// The card number shown to customers: "PC" and the id, zero-padded to ten digits.
pub fn card_number(id: CardId) -> String {
    format!("PC{:010}", id.0)
}

/// Why a face value was refused (DOMAIN §6: a multiple of 100 units, at least 100).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaceValueError {
    BelowMinimum,
    NotMultipleOfHundredUnits,
}

pub fn check_face_value(face_value: Amount, currency: Currency) -> Result<(), FaceValueError> {
    let step_minor = 100 * currency.minor_per_major();
    if face_value.minor() < step_minor {
        return Err(FaceValueError::BelowMinimum);
    }
    if face_value.minor() % step_minor != 0 {
        return Err(FaceValueError::NotMultipleOfHundredUnits);
    }
    Ok(())
}

/// One row of the bonus table: a cash purchase of at least `threshold_minor` earns a
/// discount voucher of `bonus_minor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BonusTier {
    pub threshold_minor: i64,
    pub bonus_minor: i64,
}

/// The bonus table. Only the highest tier reached applies, once per purchase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BonusTiers(Vec<BonusTier>);

impl BonusTiers {
    /// DOMAIN §6's published table: ≥10,000 → 1,000; ≥30,000 → 5,000; ≥100,000 → 20,000 units.
    pub fn published() -> BonusTiers {
        BonusTiers(vec![
            BonusTier { threshold_minor: 1_000_000, bonus_minor: 100_000 },
            BonusTier { threshold_minor: 3_000_000, bonus_minor: 500_000 },
            BonusTier { threshold_minor: 10_000_000, bonus_minor: 2_000_000 },
        ])
    }

    /// Accepts tiers with positive amounts; they need not be sorted.
    pub fn new(tiers: Vec<BonusTier>) -> Option<BonusTiers> {
        let ok = tiers.iter().all(|t| t.threshold_minor > 0 && Amount::from_minor(t.bonus_minor).is_ok());
        ok.then_some(BonusTiers(tiers))
    }

    pub fn tiers(&self) -> &[BonusTier] {
        &self.0
    }

    /// The bonus of the highest tier whose threshold the face value reaches.
    pub fn bonus_for(&self, face_value: Amount) -> Option<Amount> {
        self.0
            .iter()
            .filter(|t| face_value.minor() >= t.threshold_minor)
            .max_by_key(|t| t.threshold_minor)
            .and_then(|t| Amount::from_minor(t.bonus_minor).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(units: i64) -> Amount {
        Amount::from_minor(units * 100).unwrap_or_else(|_| panic!("bad test amount"))
    }

    #[test]
    fn face_values_must_be_whole_hundreds_of_units() {
        assert_eq!(check_face_value(amount(100), Currency::Cny), Ok(()));
        assert_eq!(check_face_value(amount(5000), Currency::Cny), Ok(()));
        assert_eq!(check_face_value(amount(99), Currency::Cny), Err(FaceValueError::BelowMinimum));
        assert_eq!(check_face_value(amount(150), Currency::Cny), Err(FaceValueError::NotMultipleOfHundredUnits));
    }

    #[test]
    fn only_the_highest_bonus_tier_reached_applies() {
        let tiers = BonusTiers::published();
        assert_eq!(tiers.bonus_for(amount(9_900)), None);
        assert_eq!(tiers.bonus_for(amount(10_000)), Some(amount(1_000)));
        assert_eq!(tiers.bonus_for(amount(29_900)), Some(amount(1_000)));
        assert_eq!(tiers.bonus_for(amount(30_000)), Some(amount(5_000)));
        assert_eq!(tiers.bonus_for(amount(250_000)), Some(amount(20_000)));
    }
}
