//! Time as plain values. The core never reads a clock: every instant is passed in.

use std::fmt;

/// An instant in UTC, in milliseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

pub const MS_PER_DAY: i64 = 86_400_000;

impl Timestamp {
    pub fn ms(self) -> i64 {
        self.0
    }

    /// The instant `days` whole days later, saturating instead of overflowing.
    pub fn plus_days(self, days: u32) -> Timestamp {
        Timestamp(self.0.saturating_add(i64::from(days).saturating_mul(MS_PER_DAY)))
    }
}

/// A half-open validity window `[from, until)`; `until = None` means no expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from: Timestamp,
    pub until: Option<Timestamp>,
}

/// Where an instant lies relative to a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowPosition {
    NotYetValid,
    Inside,
    Expired,
}

impl Window {
    pub fn position(&self, now: Timestamp) -> WindowPosition {
        if now < self.from {
            WindowPosition::NotYetValid
        } else if self.until.is_some_and(|until| now >= until) {
            WindowPosition::Expired
        } else {
            WindowPosition::Inside
        }
    }
}

/// A civil calendar date (in a billing account's time zone), used for bill days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: i16,
    month: u8,
    day: u8,
}

impl Date {
    /// Accepts real calendar dates of years 1970..=9999.
    pub fn new(year: i16, month: u8, day: u8) -> Option<Date> {
        if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) || day == 0 {
            return None;
        }
        if day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let num = |s: &str| -> Option<u16> {
            if s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse().ok()
            } else {
                None
            }
        };
        let year = i16::try_from(num(text.get(0..4)?)?).ok()?;
        let month = u8::try_from(num(text.get(5..7)?)?).ok()?;
        let day = u8::try_from(num(text.get(8..10)?)?).ok()?;
        Date::new(year, month, day)
    }

    pub fn year(self) -> i16 {
        self.year
    }
    pub fn month(self) -> u8 {
        self.month
    }
    pub fn day(self) -> u8 {
        self.day
    }

    pub fn year_month(self) -> YearMonth {
        YearMonth { year: self.year, month: self.month }
    }
}

fn days_in_month(year: i16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            if leap {
                29
            } else {
                28
            }
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A calendar month, the unit of "once per calendar month" and of monthly bills.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct YearMonth {
    pub year: i16,
    pub month: u8,
}

impl YearMonth {
    /// Parses `YYYY-MM`.
    pub fn parse(text: &str) -> Option<YearMonth> {
        let date = Date::parse(&format!("{text}-01"))?;
        Some(date.year_month())
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_only_when_they_exist_on_the_calendar() {
        assert!(Date::parse("2024-02-29").is_some());
        assert!(Date::parse("2023-02-29").is_none());
        assert!(Date::parse("2023-13-01").is_none());
        assert!(Date::parse("2023-1-01").is_none());
        assert!(Date::parse("+023-01-01").is_none());
        assert_eq!(Date::parse("2026-11-26").map(|d| d.to_string()), Some("2026-11-26".into()));
    }

    #[test]
    fn a_window_is_half_open() {
        let w = Window { from: Timestamp(10), until: Some(Timestamp(20)) };
        assert_eq!(w.position(Timestamp(9)), WindowPosition::NotYetValid);
        assert_eq!(w.position(Timestamp(10)), WindowPosition::Inside);
        assert_eq!(w.position(Timestamp(19)), WindowPosition::Inside);
        assert_eq!(w.position(Timestamp(20)), WindowPosition::Expired);
    }
}
