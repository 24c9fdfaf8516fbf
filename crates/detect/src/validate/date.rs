//! Calendar dates in the proleptic Gregorian calendar.

/// Whether `year-month-day` is a real date in the proleptic Gregorian calendar: month `1..=12`,
/// day within that month, and 29 February only in leap years (divisible by 4, except
/// centuries not divisible by 400). Any year is accepted; callers bound plausible ranges.
// `u32::is_multiple_of` needs Rust 1.87; the workspace's rust-version is 1.85.
#[allow(clippy::manual_is_multiple_of)]
pub fn valid_date(year: u32, month: u32, day: u32) -> bool {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_dates_including_leap_days() {
        for (y, m, d) in [
            (1990, 1, 31),
            (2000, 2, 29),
            (2024, 2, 29),
            (1999, 12, 31),
            (1, 1, 1),
        ] {
            assert!(valid_date(y, m, d), "{y}-{m}-{d}");
        }
    }

    #[test]
    fn rejects_impossible_dates() {
        for (y, m, d) in [
            (1900, 2, 29), // century, not leap
            (2023, 2, 29),
            (2024, 2, 30),
            (2024, 4, 31),
            (2024, 13, 1),
            (2024, 0, 1),
            (2024, 1, 0),
            (2024, 1, 32),
            (u32::MAX, u32::MAX, u32::MAX),
        ] {
            assert!(!valid_date(y, m, d), "{y}-{m}-{d}");
        }
    }
}
