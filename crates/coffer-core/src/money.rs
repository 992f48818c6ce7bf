//! Money: currencies and amounts in integer minor units (fen, cent).
//!
//! Amounts are parsed once at the edge into [`Amount`], whose invariant is
//! `1 ..= AMOUNT_MAX_MINOR`. Balances are plain `i64` minor units and are only
//! ever changed with checked arithmetic.

use std::fmt;

/// The largest single amount Coffer accepts: 10^13 minor units (DOMAIN §3).
pub const AMOUNT_MAX_MINOR: i64 = 10_000_000_000_000;

/// The currency of a billing account. CNY and USD are separate systems; there is no FX.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Currency {
    Cny,
    Usd,
}

impl Currency {
    pub const ALL: [Currency; 2] = [Currency::Cny, Currency::Usd];

    /// The ISO 4217 code.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Cny => "CNY",
            Currency::Usd => "USD",
        }
    }

    /// Parses an ISO 4217 code, case-insensitively.
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        match code.to_ascii_uppercase().as_str() {
            "CNY" => Ok(Currency::Cny),
            "USD" => Ok(Currency::Usd),
            _ => Err(MoneyError::UnknownCurrency),
        }
    }

    /// Both supported currencies have two decimal places.
    pub fn minor_per_major(self) -> i64 {
        100
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why an amount or currency could not be accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoneyError {
    /// Zero or negative.
    NotPositive,
    /// Above [`AMOUNT_MAX_MINOR`].
    TooLarge,
    /// A decimal string that is not a plain number with at most two decimals.
    Malformed,
    UnknownCurrency,
    /// Arithmetic on balances would overflow `i64`.
    Overflow,
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            MoneyError::NotPositive => "amount must be greater than zero",
            MoneyError::TooLarge => "amount must be at most 10^13 minor units",
            MoneyError::Malformed => "amount must be a number with at most two decimals",
            MoneyError::UnknownCurrency => "currency must be CNY or USD",
            MoneyError::Overflow => "amount arithmetic overflowed",
        };
        f.write_str(text)
    }
}

impl std::error::Error for MoneyError {}

/// A positive amount of minor units, `1 ..= AMOUNT_MAX_MINOR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Amount(i64);

impl Amount {
    /// Accepts `1 ..= AMOUNT_MAX_MINOR` minor units.
    pub fn from_minor(minor: i64) -> Result<Amount, MoneyError> {
        if minor <= 0 {
            return Err(MoneyError::NotPositive);
        }
        if minor > AMOUNT_MAX_MINOR {
            return Err(MoneyError::TooLarge);
        }
        Ok(Amount(minor))
    }

    /// Parses a decimal in major units ("123.45", "100") into minor units, exactly.
    pub fn parse_major(text: &str, currency: Currency) -> Result<Amount, MoneyError> {
        Amount::from_minor(parse_major_to_minor(text, currency)?)
    }

    pub fn minor(self) -> i64 {
        self.0
    }
}

/// Parses "123.45" into 12345 without floating point. A leading '-' is accepted so that
/// callers can report "not positive" instead of "malformed".
pub fn parse_major_to_minor(text: &str, currency: Currency) -> Result<i64, MoneyError> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, f),
        None => (digits, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || fraction.len() > 2 {
        return Err(MoneyError::Malformed);
    }
    let whole: i64 = whole.parse().map_err(|_| MoneyError::TooLarge)?;
    let mut fraction_minor: i64 =
        if fraction.is_empty() { 0 } else { fraction.parse().map_err(|_| MoneyError::Malformed)? };
    if fraction.len() == 1 {
        fraction_minor *= 10;
    }
    let minor = whole
        .checked_mul(currency.minor_per_major())
        .and_then(|m| m.checked_add(fraction_minor))
        .ok_or(MoneyError::TooLarge)?;
    Ok(if negative { -minor } else { minor })
}

/// Formats signed minor units as "-1,234.56"-free plain decimal: "-1234.56".
pub fn format_minor(minor: i64, currency: Currency) -> String {
    let per = currency.minor_per_major();
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let per = per.unsigned_abs();
    format!("{sign}{}.{:02}", abs / per, abs % per)
}

/// Adds two balances, reporting overflow as an error instead of wrapping.
pub fn checked_add(a: i64, b: i64) -> Result<i64, MoneyError> {
    a.checked_add(b).ok_or(MoneyError::Overflow)
}

/// Subtracts two balances, reporting overflow as an error instead of wrapping.
pub fn checked_sub(a: i64, b: i64) -> Result<i64, MoneyError> {
    a.checked_sub(b).ok_or(MoneyError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_outside_one_to_ten_to_the_thirteen_are_rejected() {
        assert_eq!(Amount::from_minor(0), Err(MoneyError::NotPositive));
        assert_eq!(Amount::from_minor(-5), Err(MoneyError::NotPositive));
        assert_eq!(Amount::from_minor(AMOUNT_MAX_MINOR + 1), Err(MoneyError::TooLarge));
        assert_eq!(Amount::from_minor(AMOUNT_MAX_MINOR).map(Amount::minor), Ok(AMOUNT_MAX_MINOR));
    }

    #[test]
    fn major_unit_decimals_parse_exactly_into_minor_units() {
        let p = |s| parse_major_to_minor(s, Currency::Cny);
        assert_eq!(p("123.45"), Ok(12345));
        assert_eq!(p("0.1"), Ok(10));
        assert_eq!(p("100"), Ok(10000));
        assert_eq!(p("-2.5"), Ok(-250));
        assert_eq!(p("1.234"), Err(MoneyError::Malformed));
        assert_eq!(p("1e3"), Err(MoneyError::Malformed));
        assert_eq!(p(""), Err(MoneyError::Malformed));
        assert_eq!(p("99999999999999999999"), Err(MoneyError::TooLarge));
    }

    #[test]
    fn formatting_round_trips_through_parsing() {
        for minor in [-12345, -1, 0, 1, 99, 100, 100_000_007] {
            let text = format_minor(minor, Currency::Usd);
            assert_eq!(parse_major_to_minor(&text, Currency::Usd), Ok(minor), "{text}");
        }
    }
}
