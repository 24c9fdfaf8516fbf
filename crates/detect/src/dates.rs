//! Whether a matched date is a real calendar date.

use crate::validate::valid_date;

const MONTHS: [&[u8; 3]; 12] = [
    b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec",
];

/// Reads `1987-04-12`, `12/04/1987`, `04/12/1987`, `12 April 1987` or `April 12, 1987` and
/// tells whether some reading of it is a real date between 1900 and 2100.
pub(crate) fn plausible(text: &[u8]) -> bool {
    let mut numbers: Vec<(u32, usize)> = Vec::with_capacity(3);
    let mut month = None;
    for field in text
        .split(|b| !b.is_ascii_alphanumeric())
        .filter(|f| !f.is_empty())
    {
        if field.iter().all(u8::is_ascii_digit) && field.len() <= 4 {
            let value = field
                .iter()
                .fold(0u32, |v, &b| v * 10 + u32::from(b - b'0'));
            numbers.push((value, field.len()));
        } else if let Some(prefix) = field.get(..3) {
            let lower = prefix.to_ascii_lowercase();
            month = MONTHS
                .iter()
                .position(|m| m.as_slice() == lower.as_slice())
                .map(|i| i as u32 + 1);
        }
    }
    let in_range = |y: u32| (1900..=2100).contains(&y);
    match (month, numbers.as_slice()) {
        (Some(m), [(a, _), (b, 4)]) => in_range(*b) && valid_date(*b, m, *a),
        (None, [(y, 4), (m, _), (d, _)]) => in_range(*y) && valid_date(*y, *m, *d),
        (None, [(a, _), (b, _), (y, 4)]) => {
            in_range(*y) && (valid_date(*y, *b, *a) || valid_date(*y, *a, *b))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::plausible;

    #[test]
    fn real_dates_in_every_layout() {
        for d in [
            "1987-04-12",
            "12/04/1987",
            "04/30/1987",
            "12 April 1987",
            "April 12, 1987",
        ] {
            assert!(plausible(d.as_bytes()), "{d}");
        }
    }

    #[test]
    fn impossible_dates() {
        for d in [
            "1987-02-30",
            "1900-02-29",
            "31/04/1987",
            "1850-01-01",
            "30 Feb 1990",
        ] {
            assert!(!plausible(d.as_bytes()), "{d}");
        }
    }
}
