//! Display formatting: money with grouping and symbol, instants in the account's
//! time zone.

use coffer_core::money::{format_minor, Currency};
use coffer_store::records::AccountRecord;
use jiff::tz::TimeZone;

pub fn symbol(c: Currency) -> &'static str {
    match c.code() {
        "CNY" => "¥",
        "USD" => "$",
        _ => "",
    }
}

/// `-¥1,234.56`.
pub fn money(minor: i64, c: Currency) -> String {
    let plain = format_minor(minor, c);
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", plain.as_str()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "00"));
    format!("{sign}{}{}.{fraction}", symbol(c), group(whole))
}

/// Plain major units for form fields: `1234.56`.
pub fn plain(minor: i64, c: Currency) -> String {
    format_minor(minor, c)
}

fn group(whole: &str) -> String {
    // `whole` is ASCII digits, so byte chunks are characters.
    let groups: Vec<&str> = whole.as_bytes().rchunks(3).rev().filter_map(|g| std::str::from_utf8(g).ok()).collect();
    groups.join(",")
}

/// The account's zone; UTC if the stored name is unknown (it was checked on creation).
pub fn zone_of(account: &AccountRecord) -> TimeZone {
    coffer_app::tz::zone(&account.account.time_zone).unwrap_or(TimeZone::UTC)
}

fn zoned(ms: i64, zone: &TimeZone) -> jiff::Zoned {
    jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH).to_zoned(zone.clone())
}

/// `2026-11-25 14:03`.
pub fn when(ms: i64, zone: &TimeZone) -> String {
    zoned(ms, zone).strftime("%Y-%m-%d %H:%M").to_string()
}

/// `2026-11-25`.
pub fn day(ms: i64, zone: &TimeZone) -> String {
    zoned(ms, zone).strftime("%Y-%m-%d").to_string()
}

/// `2026-11`.
pub fn month(ms: i64, zone: &TimeZone) -> String {
    zoned(ms, zone).strftime("%Y-%m").to_string()
}

/// A snake_case code as words: `used_up` → `used up`.
pub fn words(code: &str) -> String {
    code.replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_grouped_in_thousands_with_its_symbol() {
        assert_eq!(money(123_456_789, Currency::Cny), "¥1,234,567.89");
        assert_eq!(money(-5, Currency::Usd), "-$0.05");
        assert_eq!(money(100_000, Currency::Cny), "¥1,000.00");
    }
}
