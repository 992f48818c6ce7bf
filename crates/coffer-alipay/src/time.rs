//! Alipay timestamps: `yyyy-MM-dd HH:mm:ss` in Beijing time (UTC+8, no daylight saving).
//!
//! Pure conversions only: this crate never reads a clock, the caller passes the instant in.

const BEIJING_OFFSET_MS: i64 = 8 * 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// Formats Unix milliseconds as an Alipay timestamp in Beijing time, e.g. `2024-01-02 03:04:05`.
pub fn format_beijing(unix_millis: i64) -> String {
    let local = unix_millis + BEIJING_OFFSET_MS;
    let (days, ms) = (local.div_euclid(DAY_MS), local.rem_euclid(DAY_MS));
    let (y, m, d) = civil_from_days(days);
    let secs = ms / 1000;
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// Parses an Alipay timestamp (Beijing time) into Unix milliseconds; `None` unless it is exactly
/// `yyyy-MM-dd HH:mm:ss` with a valid date and time.
pub fn parse_beijing(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let shape_ok = b.len() == 19
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b' ',
            13 | 16 => c == b':',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    let num = |from: usize, to: usize| text[from..to].parse::<i64>().ok();
    let (y, m, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hh, mm, ss) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    let local = days_from_civil(y, m, d) * DAY_MS + (hh * 3600 + mm * 60 + ss) * 1000;
    Some(local - BEIJING_OFFSET_MS)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian, days since 1970-01-01).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_epoch_is_eight_in_the_morning_in_beijing() {
        assert_eq!(format_beijing(0), "1970-01-01 08:00:00");
        assert_eq!(parse_beijing("1970-01-01 08:00:00"), Some(0));
    }

    #[test]
    fn a_known_instant_formats_in_beijing_time() {
        // 2024-01-01T19:04:05Z
        assert_eq!(format_beijing(1_704_135_845_000), "2024-01-02 03:04:05");
    }

    #[test]
    fn malformed_timestamps_are_refused() {
        for bad in ["2024-01-02T03:04:05", "2024-1-02 03:04:05", "2024-02-30 00:00:00", "2024-01-02 24:00:00", ""] {
            assert_eq!(parse_beijing(bad), None, "{bad:?} was accepted");
        }
        assert!(parse_beijing("2024-02-29 00:00:00").is_some());
    }

    proptest! {
        #[test]
        fn whole_seconds_round_trip(secs in 0i64..8_000_000_000) {
            prop_assert_eq!(parse_beijing(&format_beijing(secs * 1000)), Some(secs * 1000));
        }
    }
}
