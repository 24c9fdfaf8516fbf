//! A small RFC 3339 date-time checker (`2024-05-01T12:30:00Z`, `...T12:30:00.5+02:00`).

/// Whether `s` is an RFC 3339 date-time: `YYYY-MM-DD` `T` `hh:mm:ss` optional fraction, then
/// `Z` or `±hh:mm`. `t` and `z` are accepted in lower case; seconds may be 60 (leap second).
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 || !matches!(b[10], b'T' | b't') {
        return false;
    }
    let (date, rest) = b.split_at(10);
    let (time, zone) = rest[1..].split_at(8.min(rest.len() - 1));
    valid_date(date) && valid_time(time) && valid_fraction_and_zone(zone)
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

fn valid_date(b: &[u8]) -> bool {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(year), Some(month), Some(day)) =
        (digits(&b[0..4]), digits(&b[5..7]), digits(&b[8..10]))
    else {
        return false;
    };
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

fn valid_time(b: &[u8]) -> bool {
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return false;
    }
    matches!(
        (digits(&b[0..2]), digits(&b[3..5]), digits(&b[6..8])),
        (Some(h), Some(m), Some(s)) if h < 24 && m < 60 && s <= 60
    )
}

fn valid_fraction_and_zone(b: &[u8]) -> bool {
    let mut zone = b;
    if let Some(rest) = b.strip_prefix(b".") {
        let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        zone = &rest[n..];
    }
    match zone {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => matches!(
            (digits(&[*h1, *h2]), digits(&[*m1, *m2])),
            (Some(h), Some(m)) if h < 24 && m < 60
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_rfc3339;

    #[test]
    fn accepts_rfc3339() {
        for ok in [
            "2024-05-01T12:30:00Z",
            "2024-02-29T23:59:60z",
            "2024-05-01t12:30:00.123456+02:00",
            "1999-12-31T00:00:00-11:30",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
    }

    #[test]
    fn refuses_others() {
        for bad in [
            "",
            "2024-05-01",
            "2024-05-01 12:30:00Z",
            "2023-02-29T12:00:00Z",
            "2024-13-01T12:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T12:30:00",
            "2024-05-01T12:30:00.Z",
            "2024-05-01T12:30:00+0200",
            "2024-05-01T12:30:00+02:00x",
            "２０２４-05-01T12:30:00Z",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }
}
