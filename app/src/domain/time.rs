//! A point in time, as the portal stores, sends and shows it.
//!
//! The browser bundle carries no date library (chrono would add to every page's download for
//! one formatting routine), so a [`Timestamp`] is Unix milliseconds with the two renderings the
//! portal needs, both in UTC: [`Timestamp::rfc3339`] on the wire and in exports, and its
//! `Display` (`2026-11-29 10:15:02 UTC`) on pages. The calendar arithmetic is Howard Hinnant's
//! `civil_from_days`/`days_from_civil` (proleptic Gregorian), tested against known dates.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

const MS_PER_DAY: i64 = 86_400_000;

impl Timestamp {
    pub const fn from_unix_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub const fn unix_millis(self) -> i64 {
        self.0
    }

    /// `2026-11-29T10:15:02.123Z`: RFC 3339 in UTC, always with milliseconds, so every value
    /// has the same width and sorts as text.
    pub fn rfc3339(self) -> String {
        let (date, (hour, minute, second, ms)) = self.parts();
        format!("{date}T{hour:02}:{minute:02}:{second:02}.{ms:03}Z")
    }

    /// Reads what [`Timestamp::rfc3339`] writes, and the same without milliseconds.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let text = text.strip_suffix('Z')?;
        let (date, time) = text.split_once('T')?;
        let mut date_parts = date.splitn(3, '-');
        let year: i64 = number(date_parts.next()?, 4)?;
        let month: i64 = number(date_parts.next()?, 2)?;
        let day: i64 = number(date_parts.next()?, 2)?;
        let (clock, ms) = match time.split_once('.') {
            Some((clock, ms)) => (clock, number(ms, 3)?),
            None => (time, 0),
        };
        let mut clock_parts = clock.splitn(3, ':');
        let hour: i64 = number(clock_parts.next()?, 2)?;
        let minute: i64 = number(clock_parts.next()?, 2)?;
        let second: i64 = number(clock_parts.next()?, 2)?;
        let valid = (1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day)
            && hour < 24
            && minute < 60
            && second < 60;
        valid.then(|| {
            Self(
                days_from_civil(year, month, day) * MS_PER_DAY
                    + ((hour * 60 + minute) * 60 + second) * 1000
                    + ms,
            )
        })
    }

    /// The date (`YYYY-MM-DD`) and the time of day.
    fn parts(self) -> (String, (i64, i64, i64, i64)) {
        let days = self.0.div_euclid(MS_PER_DAY);
        let in_day = self.0.rem_euclid(MS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let seconds = in_day / 1000;
        (
            format!("{year:04}-{month:02}-{day:02}"),
            (
                seconds / 3600,
                seconds / 60 % 60,
                seconds % 60,
                in_day % 1000,
            ),
        )
    }
}

impl fmt::Display for Timestamp {
    /// `2026-11-29 10:15:02 UTC`, as the pages show times.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (date, (hour, minute, second, _)) = self.parts();
        write!(f, "{date} {hour:02}:{minute:02}:{second:02} UTC")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse_rfc3339(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{text:?} is not a UTC time like 2026-11-29T10:15:02.123Z"
            ))
        })
    }
}

/// Exactly `width` ASCII digits.
fn number(text: &str, width: usize) -> Option<i64> {
    (text.len() == width && text.bytes().all(|byte| byte.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day counted from 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_instants_print_as_the_calendar_says() {
        let cases = [
            (0, "1970-01-01T00:00:00.000Z", "1970-01-01 00:00:00 UTC"),
            (
                951_782_400_000,
                "2000-02-29T00:00:00.000Z",
                "2000-02-29 00:00:00 UTC",
            ),
            (
                1_795_947_302_123,
                "2026-11-29T10:15:02.123Z",
                "2026-11-29 10:15:02 UTC",
            ),
            (-1, "1969-12-31T23:59:59.999Z", "1969-12-31 23:59:59 UTC"),
            (
                4_107_542_399_000,
                "2100-02-28T23:59:59.000Z",
                "2100-02-28 23:59:59 UTC",
            ),
        ];
        for (ms, wire, page) in cases {
            let at = Timestamp::from_unix_millis(ms);
            assert_eq!(at.rfc3339(), wire, "{ms}");
            assert_eq!(at.to_string(), page, "{ms}");
            assert_eq!(Timestamp::parse_rfc3339(wire), Some(at), "{wire}");
        }
    }

    #[test]
    fn only_well_formed_utc_times_are_read() {
        assert_eq!(
            Timestamp::parse_rfc3339("2026-11-29T10:15:02Z"),
            Some(Timestamp::from_unix_millis(1_795_947_302_000))
        );
        for bad in [
            "",
            "2026-11-29",
            "2026-11-29T10:15:02",
            "2026-11-29T10:15:02+01:00",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2100-02-29T00:00:00Z",
            "2026-11-31T00:00:00Z",
            "2026-11-29T24:00:00Z",
            "2026-11-29T10:60:00Z",
            "2026-11-29T10:15:02.1Z",
            "+026-11-29T10:15:02Z",
            "2026-11-29T10:15:02.-12Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(bad), None, "{bad:?}");
        }
        let error = serde_json::from_str::<Timestamp>("\"yesterday\"").expect_err("refused");
        assert!(error.to_string().contains("not a UTC time"), "{error}");
    }

    proptest! {
        #[test]
        fn every_instant_in_ten_thousand_years_round_trips(ms in -62_135_596_800_000i64..253_402_300_799_999) {
            let at = Timestamp::from_unix_millis(ms);
            prop_assert_eq!(Timestamp::parse_rfc3339(&at.rfc3339()), Some(at));
            let json = serde_json::to_string(&at).expect("serialises");
            prop_assert_eq!(serde_json::from_str::<Timestamp>(&json).expect("reads"), at);
        }
    }
}
