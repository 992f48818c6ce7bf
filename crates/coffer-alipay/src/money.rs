//! Yuan strings on the wire ⇄ minor units (fen) in Coffer.
//!
//! Alipay sends and expects `total_amount` as a decimal yuan string with at most two decimals. Parsing is
//! exact and strict: a notification's amount is compared with the order's, so anything that is not plainly
//! a positive amount in range is refused rather than guessed at.

/// Largest amount Alipay accepts for one trade: 100 000 000 yuan, in fen.
pub const MAX_AMOUNT_MINOR: i64 = 10_000_000_000;

/// Formats fen as yuan with exactly two decimals: `8888` → `"88.88"`. Negative input keeps its sign.
pub fn format_yuan(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Parses a yuan string into fen: `"88.88"` → 8888, `"0.1"` → 10, `"1"` → 100.
///
/// Refuses signs, spaces, exponents, more than two decimals, leading zeros (`"01.00"`), a bare or trailing
/// dot, zero, and amounts above [`MAX_AMOUNT_MINOR`].
pub fn parse_yuan(text: &str) -> Option<i64> {
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text, None),
    };
    if !is_digits(int_part) || (int_part.len() > 1 && int_part.starts_with('0')) || int_part.len() > 9 {
        return None;
    }
    let fraction = match frac_part {
        None => 0,
        Some(f) if is_digits(f) && f.len() <= 2 => f.parse::<i64>().ok()? * if f.len() == 1 { 10 } else { 1 },
        Some(_) => return None,
    };
    let minor = int_part.parse::<i64>().ok()?.checked_mul(100)?.checked_add(fraction)?;
    (1..=MAX_AMOUNT_MINOR).contains(&minor).then_some(minor)
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_amounts_parse_exactly() {
        assert_eq!(parse_yuan("88.88"), Some(8888));
        assert_eq!(parse_yuan("0.1"), Some(10));
        assert_eq!(parse_yuan("0.01"), Some(1));
        assert_eq!(parse_yuan("7"), Some(700));
        assert_eq!(parse_yuan("100000000.00"), Some(MAX_AMOUNT_MINOR));
    }

    #[test]
    fn anything_but_a_plain_positive_amount_is_refused() {
        for bad in
            ["1.005", "-1", "+1", "1e2", " 1", "1 ", "0.00", "0", "", ".5", "1.", "01.00", "1,00", "100000000.01", "１"]
        {
            assert_eq!(parse_yuan(bad), None, "{bad:?} was accepted");
        }
    }

    #[test]
    fn formatting_pads_the_fraction() {
        assert_eq!(format_yuan(8888), "88.88");
        assert_eq!(format_yuan(1), "0.01");
        assert_eq!(format_yuan(1000), "10.00");
    }

    proptest! {
        #[test]
        fn every_amount_in_range_round_trips(minor in 1..=MAX_AMOUNT_MINOR) {
            prop_assert_eq!(parse_yuan(&format_yuan(minor)), Some(minor));
        }
    }
}
