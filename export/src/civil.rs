//! Unix milliseconds to RFC 3339 UTC text, without a date library.

/// Milliseconds per day.
const DAY_MS: i64 = 86_400_000;

/// The proleptic Gregorian date `(year, month, day)` of `days` after 1970-01-01.
///
/// Howard Hinnant's `civil_from_days`; exact for every `i64` that does not
/// overflow `days + 719_468` (all days an `i64` of milliseconds can name).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of era, 0..=146_096
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // 0..=365, from March 1
    let mp = (5 * doy + 2) / 153; // 0..=11, March = 0
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `ms` (milliseconds since 1970-01-01T00:00:00Z) as RFC 3339 UTC, e.g.
/// `2026-09-14T00:00:00Z`, with `.mmm` only when the milliseconds are not
/// zero. `None` outside the years 0000..=9999, which RFC 3339 cannot write.
pub fn rfc3339(ms: i64) -> Option<String> {
    let (year, month, day) = civil_from_days(ms.div_euclid(DAY_MS));
    if !(0..=9999).contains(&year) {
        return None;
    }
    let in_day = ms.rem_euclid(DAY_MS);
    let (h, m, s, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1_000 % 60,
        in_day % 1_000,
    );
    let mut text = format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}");
    if milli != 0 {
        text.push_str(&format!(".{milli:03}"));
    }
    text.push('Z');
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (1_789_344_000_000, "2026-09-14T00:00:00Z"),
            (1_789_976_530_000, "2026-09-21T07:42:10Z"),
            (951_782_400_000, "2000-02-29T00:00:00Z"),
            (951_868_799_999, "2000-02-29T23:59:59.999Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (-86_400_000, "1969-12-31T00:00:00Z"),
            (4_107_456_000_000, "2100-02-28T00:00:00Z"),
            (4_107_542_400_000, "2100-03-01T00:00:00Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
            (-62_167_219_200_000, "0000-01-01T00:00:00Z"),
        ];
        for (ms, text) in cases {
            assert_eq!(rfc3339(ms).as_deref(), Some(text), "{ms}");
        }
    }

    #[test]
    fn outside_rfc3339_years() {
        assert_eq!(rfc3339(253_402_300_800_000), None);
        assert_eq!(rfc3339(-62_167_219_200_001), None);
        assert_eq!(rfc3339(i64::MAX), None);
        assert_eq!(rfc3339(i64::MIN), None);
    }

    #[test]
    fn days_round_trip_through_every_month_of_four_centuries() {
        // Walk day by day from 1600-03-01 and check the calendar advances by one day.
        let start = -135_080; // days from 1970-01-01 back to 1600-03-01
        assert_eq!(civil_from_days(start), (1600, 3, 1));
        let mut prev = civil_from_days(start);
        for d in start + 1..start + 146_097 * 2 {
            let (y, m, day) = civil_from_days(d);
            let (py, pm, pd) = prev;
            let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let len = match pm {
                2 if leap(py) => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            let expected = if pd < len {
                (py, pm, pd + 1)
            } else if pm < 12 {
                (py, pm + 1, 1)
            } else {
                (py + 1, 1, 1)
            };
            assert_eq!((y, m, day), expected, "day {d}");
            prev = (y, m, day);
        }
    }
}
