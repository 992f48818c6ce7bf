//! The checks every statement format applies to an entry's fields, so a CSV row
//! and a camt.053 entry are refused for the same reasons in the same words.

use coffer_core::ids::ExternalId;
use coffer_core::money::{Amount, Currency};
use coffer_core::time::Date;

use crate::RowError;

pub(crate) const PAYER_MAX_CHARS: usize = 200;
pub(crate) const REFERENCE_MAX_CHARS: usize = 500;

/// Collects every field error of one row or entry, so a row reports all its
/// faults at once rather than one per import attempt.
pub(crate) struct Checks {
    pub index: usize,
    pub errors: Vec<RowError>,
}

impl Checks {
    pub fn new(index: usize) -> Checks {
        Checks { index, errors: Vec::new() }
    }

    pub fn check<T>(&mut self, field: &'static str, result: Result<T, String>) -> Option<T> {
        result.map_err(|message| self.errors.push(RowError::new(self.index, field, message))).ok()
    }
}

/// A raw value for an error message: quoted, and cut short so a huge cell cannot
/// blow up the report.
pub(crate) fn shown(raw: &str) -> String {
    const MAX: usize = 40;
    if raw.chars().count() <= MAX {
        format!("{raw:?}")
    } else {
        let cut: String = raw.chars().take(MAX).collect();
        format!("{cut:?}…")
    }
}

/// The transaction id becomes the cash credit's external id, so it must be one.
pub(crate) fn transaction_id(raw: &str) -> Result<String, String> {
    let text = raw.trim();
    ExternalId::parse(text).map(|id| id.as_str().to_owned()).map_err(|e| format!("{} {e}", shown(text)))
}

/// A decimal amount in major units ("1234.56"), exactly: no floating point, no
/// sign (the direction says debit or credit), no thousands separators. Both CNY
/// and USD have two decimals; further decimals must be zeros ("500.000" is fine,
/// camt.053 allows up to five).
pub(crate) fn amount(raw: &str) -> Result<i64, String> {
    let text = raw.trim();
    if text.starts_with('-') {
        return Err(format!("{} is negative; amounts are positive and the direction tells debits", shown(text)));
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let fraction_ok = if text.contains('.') { all_digits(fraction) } else { true };
    if !all_digits(whole) || !fraction_ok {
        return Err(format!("{} is not a decimal amount like 1234.56", shown(text)));
    }
    let (cents, rest) = fraction.split_at(fraction.len().min(2));
    if rest.bytes().any(|b| b != b'0') {
        return Err(format!("{} has more than two decimals", shown(text)));
    }
    let cents: i64 = format!("{cents:0<2}").parse().map_err(|_| format!("{} is not a decimal amount", shown(text)))?;
    let minor = whole
        .parse::<i64>()
        .ok()
        .and_then(|w| w.checked_mul(100))
        .and_then(|m| m.checked_add(cents))
        .ok_or_else(|| format!("{} is too large", shown(text)))?;
    Amount::from_minor(minor).map(Amount::minor).map_err(|e| format!("{}: {e}", shown(text)))
}

pub(crate) fn currency(raw: &str) -> Result<Currency, String> {
    let text = raw.trim();
    Currency::parse(text).map_err(|_| format!("{} is not a currency Coffer keeps (CNY or USD)", shown(text)))
}

/// `YYYY-MM-DD`, or an ISO date-time (camt.053 `DtTm`) whose date part counts.
pub(crate) fn date(raw: &str) -> Result<Date, String> {
    let text = raw.trim();
    let date_part = match text.get(10..11) {
        Some("T") => text.get(..10).unwrap_or(text),
        _ => text,
    };
    Date::parse(date_part).ok_or_else(|| format!("{} is not a calendar date YYYY-MM-DD", shown(text)))
}

/// Free text (payer, remittance): trimmed, runs of whitespace (line breaks
/// included) made one space, other control characters refused.
pub(crate) fn text(raw: &str, max_chars: usize) -> Result<String, String> {
    let joined = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().any(char::is_control) {
        return Err("contains control characters".to_owned());
    }
    if joined.chars().count() > max_chars {
        return Err(format!("is longer than {max_chars} characters"));
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_parsed_exactly_in_minor_units() {
        assert_eq!(amount("1234.56"), Ok(123_456));
        assert_eq!(amount(" 500 "), Ok(50_000));
        assert_eq!(amount("0.1"), Ok(10));
        assert_eq!(amount("500.000"), Ok(50_000));
        assert_eq!(amount("0.01"), Ok(1));
    }

    #[test]
    fn malformed_signed_zero_and_oversized_amounts_are_refused() {
        for bad in ["", "abc", "1,000.00", "1.", ".5", "1.234", "-5", "+5", "0", "0.00", "1e5", "100000000000.01"] {
            assert!(amount(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(amount("99999999999999999999999").is_err());
    }

    #[test]
    fn dates_accept_a_plain_date_or_the_date_of_a_date_time() {
        assert_eq!(date("2026-11-25").map(|d| d.to_string()), Ok("2026-11-25".to_owned()));
        assert_eq!(date("2026-11-25T10:00:00+08:00").map(|d| d.to_string()), Ok("2026-11-25".to_owned()));
        assert!(date("2026-02-30").is_err());
        assert!(date("25/11/2026").is_err());
    }

    #[test]
    fn text_is_trimmed_and_its_whitespace_collapsed() {
        assert_eq!(text("  ACME \n LTD ", 100), Ok("ACME LTD".to_owned()));
        assert!(text("a\u{0}b", 100).is_err());
        assert!(text("abcdef", 5).is_err());
    }

    #[test]
    fn transaction_ids_must_be_valid_external_ids() {
        assert_eq!(transaction_id(" TX-1 "), Ok("TX-1".to_owned()));
        assert!(transaction_id("TX 1").is_err());
        assert!(transaction_id("").is_err());
    }
}
