//! Calendar questions in a billing account's time zone: which day and month an
//! instant falls in, where a day starts, what "12 months later" is. The time zone
//! database is compiled in, so answers do not depend on the host.

use coffer_core::time::{Date, Timestamp, YearMonth};
use jiff::civil;
use jiff::tz::TimeZone;
use jiff::{Timestamp as JiffTimestamp, ToSpan};

use crate::error::{AppError, AppResult};

pub const DEFAULT_TIME_ZONE: &str = "Asia/Shanghai";

pub fn zone(name: &str) -> AppResult<TimeZone> {
    TimeZone::get(name).map_err(|_| AppError::invalid("time_zone", format!("unknown time zone {name:?}")))
}

fn zoned(at: Timestamp, tz: &TimeZone) -> jiff::Zoned {
    let ts = JiffTimestamp::from_millisecond(at.0).unwrap_or(JiffTimestamp::UNIX_EPOCH);
    ts.to_zoned(tz.clone())
}

pub fn date_of(at: Timestamp, tz: &TimeZone) -> Date {
    let d = zoned(at, tz).date();
    let month = u8::try_from(d.month()).unwrap_or(1);
    let day = u8::try_from(d.day()).unwrap_or(1);
    Date::new(d.year(), month, day).unwrap_or_else(|| unreachable!("jiff dates are valid calendar dates"))
}

pub fn month_of(at: Timestamp, tz: &TimeZone) -> YearMonth {
    date_of(at, tz).year_month()
}

/// The instant a civil day starts in `tz`.
pub fn start_of_day(date: Date, tz: &TimeZone) -> AppResult<Timestamp> {
    let civil = civil::date(date.year(), date.month() as i8, date.day() as i8);
    let zdt = civil.to_zoned(tz.clone()).map_err(|e| AppError::invalid("date", e))?;
    Ok(Timestamp(zdt.timestamp().as_millisecond()))
}

/// The instant a month starts in `tz`.
pub fn start_of_month(month: YearMonth, tz: &TimeZone) -> AppResult<Timestamp> {
    let date = Date::new(month.year, month.month, 1).ok_or_else(|| AppError::invalid("month", "not a month"))?;
    start_of_day(date, tz)
}

/// The same wall-clock moment `months` months later (clamped to the month's end).
pub fn plus_months(at: Timestamp, months: i32, tz: &TimeZone) -> AppResult<Timestamp> {
    let later = zoned(at, tz).checked_add(months.months()).map_err(|e| AppError::invalid("validity", e))?;
    Ok(Timestamp(later.timestamp().as_millisecond()))
}

/// The instant the day after `date` starts in `tz`: the exclusive end of `date`.
pub fn end_of_day(date: Date, tz: &TimeZone) -> AppResult<Timestamp> {
    let civil = civil::date(date.year(), date.month() as i8, date.day() as i8);
    let next = civil.tomorrow().map_err(|e| AppError::invalid("date", e))?;
    let zdt = next.to_zoned(tz.clone()).map_err(|e| AppError::invalid("date", e))?;
    Ok(Timestamp(zdt.timestamp().as_millisecond()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shanghai_days_start_at_sixteen_hundred_utc_the_day_before() {
        let tz = zone("Asia/Shanghai").unwrap_or_else(|_| panic!());
        let date = Date::parse("2026-11-26").unwrap_or_else(|| panic!());
        let start = start_of_day(date, &tz).unwrap_or_else(|_| panic!());
        assert_eq!(start.0, 1_795_622_400_000);
        assert_eq!(date_of(start, &tz), date);
        assert_eq!(date_of(Timestamp(start.0 - 1), &tz).to_string(), "2026-11-25");
    }

    #[test]
    fn unknown_time_zones_are_a_validation_error() {
        assert_eq!(zone("Mars/Olympus").map(|_| ()).map_err(|e| e.field), Err(Some("time_zone")));
    }
}
