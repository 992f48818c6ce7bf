//! Billing accounts: the wallet owner.

use crate::ids::AccountId;
use crate::money::Currency;

/// A billing account as the core sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillingAccount {
    pub id: AccountId,
    pub name: String,
    pub currency: Currency,
    /// An IANA time zone name; it defines the account's days and months.
    pub time_zone: String,
    /// DOMAIN §2's arrears "floor", stated as the most the account may owe.
    /// `None` means unlimited (the default).
    pub arrears_limit_minor: Option<i64>,
    /// The reference code customers quote on offline bank transfers.
    pub transfer_reference: String,
}

/// Why an account name was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountNameError {
    Empty,
    TooLong,
}

pub const ACCOUNT_NAME_MAX_LEN: usize = 200;

/// Trims and checks a display name.
pub fn parse_account_name(name: &str) -> Result<String, AccountNameError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AccountNameError::Empty);
    }
    if name.chars().count() > ACCOUNT_NAME_MAX_LEN {
        return Err(AccountNameError::TooLong);
    }
    Ok(name.to_owned())
}

/// A transfer reference code: "CF" + the account id in base 10 + one check digit
/// (the Luhn digit), so a mistyped reference fails to match instead of crediting
/// the wrong account.
pub fn transfer_reference(id: AccountId) -> String {
    let digits = id.0.unsigned_abs().to_string();
    format!("CF{digits}{}", luhn_check_digit(&digits))
}

/// Parses a transfer reference back into the account id it names.
pub fn parse_transfer_reference(text: &str) -> Option<AccountId> {
    let text = text.trim().to_ascii_uppercase();
    let body = text.strip_prefix("CF")?;
    if body.len() < 2 || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (digits, check) = body.split_at(body.len() - 1);
    if luhn_check_digit(digits).to_string() != check {
        return None;
    }
    digits.parse().ok().map(AccountId)
}

fn luhn_check_digit(digits: &str) -> u32 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(idx, b)| {
            let d = u32::from(b - b'0');
            if idx % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_references_round_trip_and_catch_typos() {
        for id in [1, 7, 42, 1234, 987_654_321] {
            let reference = transfer_reference(AccountId(id));
            assert_eq!(parse_transfer_reference(&reference), Some(AccountId(id)));
            assert_eq!(parse_transfer_reference(&reference.to_lowercase()), Some(AccountId(id)));
        }
        let good = transfer_reference(AccountId(1234));
        let mut typo = good.clone().into_bytes();
        typo[3] = if typo[3] == b'9' { b'8' } else { typo[3] + 1 };
        assert_eq!(parse_transfer_reference(&String::from_utf8(typo).unwrap_or_default()), None);
        assert_eq!(parse_transfer_reference("XX12"), None);
    }
}
