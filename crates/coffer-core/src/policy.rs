//! The deduction policy: DOMAIN §2's order as versioned data.

use crate::workspace::SettlementKind;

/// What a bill line is for. SMS and testing may not use vouchers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    Payg,
    Sms,
    Testing,
}

impl Category {
    pub const ALL: [Category; 3] = [Category::Payg, Category::Sms, Category::Testing];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Payg => "payg",
            Category::Sms => "sms",
            Category::Testing => "testing",
        }
    }

    pub fn parse(text: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// A class of instruments that can pay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InstrumentClass {
    StandardVoucher,
    DiscountVoucher,
    PrepaidCard,
    Cash,
    /// The arrears line: what is still owed. Terminal for billing-center settlement.
    Arrears,
    /// The cloud marketplace account. Terminal for cloud settlement.
    CloudAccount,
}

impl InstrumentClass {
    pub const ALL: [InstrumentClass; 6] = [
        InstrumentClass::StandardVoucher,
        InstrumentClass::DiscountVoucher,
        InstrumentClass::PrepaidCard,
        InstrumentClass::Cash,
        InstrumentClass::Arrears,
        InstrumentClass::CloudAccount,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InstrumentClass::StandardVoucher => "standard_voucher",
            InstrumentClass::DiscountVoucher => "discount_voucher",
            InstrumentClass::PrepaidCard => "prepaid_card",
            InstrumentClass::Cash => "cash",
            InstrumentClass::Arrears => "arrears",
            InstrumentClass::CloudAccount => "cloud_account",
        }
    }

    pub fn parse(text: &str) -> Option<InstrumentClass> {
        InstrumentClass::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// Terminal classes take whatever is left, without a balance limit of their own.
    pub fn is_terminal(self) -> bool {
        matches!(self, InstrumentClass::Arrears | InstrumentClass::CloudAccount)
    }
}

/// One row of the policy table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRule {
    pub settlement: SettlementKind,
    pub category: Category,
    pub classes: Vec<InstrumentClass>,
}

/// Why a policy table was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyError {
    /// A (settlement, category) pair has no rule or more than one.
    NotExactlyOneRule { settlement: SettlementKind, category: Category },
    /// A rule lists a class twice.
    DuplicateClass,
    /// A rule does not end with its settlement's terminal class, or has one elsewhere.
    WrongTerminal,
}

/// A versioned deduction policy: settlement × category → ordered instrument classes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeductionPolicy {
    version: u32,
    rules: Vec<PolicyRule>,
}

impl DeductionPolicy {
    /// The version every charge settled under [`DeductionPolicy::v1`] records.
    pub const V1: u32 = 1;

    /// DOMAIN §2, exactly.
    pub fn v1() -> DeductionPolicy {
        use Category::*;
        use InstrumentClass::*;
        use SettlementKind::*;
        let rule = |settlement, category, classes: &[InstrumentClass]| PolicyRule {
            settlement,
            category,
            classes: classes.to_vec(),
        };
        let bc_payg = [StandardVoucher, DiscountVoucher, PrepaidCard, Cash, Arrears];
        let cloud_payg = [StandardVoucher, DiscountVoucher, PrepaidCard, CloudAccount];
        let rules = vec![
            rule(BillingCenter, Payg, &bc_payg),
            rule(BillingCenter, Sms, &[PrepaidCard, Cash, Arrears]),
            rule(BillingCenter, Testing, &[PrepaidCard, Cash, Arrears]),
            rule(Cloud, Payg, &cloud_payg),
            rule(Cloud, Sms, &[PrepaidCard, CloudAccount]),
            rule(Cloud, Testing, &[PrepaidCard, CloudAccount]),
        ];
        match DeductionPolicy::new(Self::V1, rules) {
            Ok(policy) => policy,
            Err(e) => unreachable!("the built-in policy is valid: {e:?}"),
        }
    }

    /// Checks that every pair has exactly one rule ending in its terminal class.
    pub fn new(version: u32, rules: Vec<PolicyRule>) -> Result<DeductionPolicy, PolicyError> {
        for settlement in [SettlementKind::BillingCenter, SettlementKind::Cloud] {
            for category in Category::ALL {
                let n = rules.iter().filter(|r| r.settlement == settlement && r.category == category).count();
                if n != 1 {
                    return Err(PolicyError::NotExactlyOneRule { settlement, category });
                }
            }
        }
        for rule in &rules {
            check_rule(rule)?;
        }
        Ok(DeductionPolicy { version, rules })
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    pub fn rules(&self) -> &[PolicyRule] {
        &self.rules
    }

    /// The ordered classes for a settlement and category.
    pub fn classes_for(&self, settlement: SettlementKind, category: Category) -> &[InstrumentClass] {
        self.rules
            .iter()
            .find(|r| r.settlement == settlement && r.category == category)
            .map(|r| r.classes.as_slice())
            .unwrap_or(&[])
    }
}

fn check_rule(rule: &PolicyRule) -> Result<(), PolicyError> {
    let terminal = match rule.settlement {
        SettlementKind::BillingCenter => InstrumentClass::Arrears,
        SettlementKind::Cloud => InstrumentClass::CloudAccount,
    };
    if rule.classes.last() != Some(&terminal) || rule.classes.iter().filter(|c| c.is_terminal()).count() != 1 {
        return Err(PolicyError::WrongTerminal);
    }
    let mut seen = rule.classes.clone();
    seen.sort();
    seen.dedup();
    if seen.len() != rule.classes.len() {
        return Err(PolicyError::DuplicateClass);
    }
    Ok(())
}
