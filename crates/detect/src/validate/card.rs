//! Payment card issuer identification by IIN prefix *and* length.
//!
//! The table follows the networks' published IIN ranges (as collected on Wikipedia's
//! "Payment card number" page and Discover's IIN table): a number is attributed to an issuer
//! only when both its prefix and its length belong to that issuer, so a 13-digit number
//! starting with `5` is nobody's card.

/// One IIN range: numbers whose first `width` digits are in `lo..=hi` and whose total length
/// is a set bit of `lengths`.
struct IinRange {
    lo: u32,
    hi: u32,
    width: usize,
    lengths: u32,
    issuer: &'static str,
}

/// A bit set of allowed lengths `min..=max`.
const fn span(min: u32, max: u32) -> u32 {
    ((1u32 << (max + 1)) - 1) & !((1u32 << min) - 1)
}

const fn one(len: u32) -> u32 {
    1 << len
}

const fn range(lo: u32, hi: u32, width: usize, lengths: u32, issuer: &'static str) -> IinRange {
    IinRange {
        lo,
        hi,
        width,
        lengths,
        issuer,
    }
}

/// Checked in order; the first range whose prefix and length both match wins, so co-branded
/// ranges (Discover inside UnionPay's `62`) come before the broader range.
const IIN_TABLE: &[IinRange] = &[
    range(4, 4, 1, one(13) | one(16) | one(19), "visa"),
    range(51, 55, 2, one(16), "mastercard"),
    range(2221, 2720, 4, one(16), "mastercard"),
    range(34, 34, 2, one(15), "amex"),
    range(37, 37, 2, one(15), "amex"),
    range(6011, 6011, 4, span(16, 19), "discover"),
    range(644, 649, 3, span(16, 19), "discover"),
    range(65, 65, 2, span(16, 19), "discover"),
    range(622126, 622925, 6, span(16, 19), "discover"),
    range(300, 305, 3, span(14, 19), "diners"),
    range(3095, 3095, 4, span(14, 19), "diners"),
    range(36, 36, 2, span(14, 19), "diners"),
    range(38, 39, 2, span(14, 19), "diners"),
    range(3528, 3589, 4, span(16, 19), "jcb"),
    range(62, 62, 2, span(16, 19), "unionpay"),
    range(5018, 5018, 4, span(12, 19), "maestro"),
    range(5020, 5020, 4, span(12, 19), "maestro"),
    range(5038, 5038, 4, span(12, 19), "maestro"),
    range(5893, 5893, 4, span(12, 19), "maestro"),
    range(6304, 6304, 4, span(12, 19), "maestro"),
    range(6759, 6759, 4, span(12, 19), "maestro"),
    range(6761, 6763, 4, span(12, 19), "maestro"),
    range(2200, 2204, 4, span(16, 19), "mir"),
];

/// The card network that issues numbers with this prefix and length, if any.
///
/// `digits` must be ASCII digits only (any other byte gives `None`). Known issuers:
/// `"visa"`, `"mastercard"`, `"amex"`, `"discover"`, `"diners"`, `"jcb"`, `"unionpay"`,
/// `"maestro"` and `"mir"`. The Luhn check is separate: see [`luhn`](super::luhn).
pub fn card_issuer(digits: &[u8]) -> Option<&'static str> {
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let len = u32::try_from(digits.len()).ok().filter(|&l| l < 32)?;
    IIN_TABLE
        .iter()
        .find(|r| r.lengths & one(len) != 0 && prefix_in(digits, r))
        .map(|r| r.issuer)
}

/// Whether the first `r.width` digits of `digits` are in `r.lo..=r.hi`.
fn prefix_in(digits: &[u8], r: &IinRange) -> bool {
    let Some(prefix) = digits.get(..r.width) else {
        return false;
    };
    let value = prefix
        .iter()
        .fold(0u32, |acc, &d| acc * 10 + u32::from(d.wrapping_sub(b'0')));
    (r.lo..=r.hi).contains(&value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::luhn;

    #[test]
    fn identifies_published_test_cards() {
        let cases = [
            ("4111111111111111", "visa"),
            ("4222222222222", "visa"),
            ("4012888888881881", "visa"),
            ("5555555555554444", "mastercard"),
            ("5105105105105100", "mastercard"),
            ("2223003122003222", "mastercard"),
            ("378282246310005", "amex"),
            ("371449635398431", "amex"),
            ("6011111111111117", "discover"),
            ("6011000990139424", "discover"),
            ("6445644564456445", "discover"),
            ("6221260000000000", "discover"),
            ("30569309025904", "diners"),
            ("38520000023237", "diners"),
            ("36227206271667", "diners"),
            ("3530111333300000", "jcb"),
            ("3566002020360505", "jcb"),
            ("6200000000000005", "unionpay"),
            ("6759649826438453", "maestro"),
            ("6304000000000000", "maestro"),
            ("2200123456789010", "mir"),
        ];
        for (number, issuer) in cases {
            assert_eq!(card_issuer(number.as_bytes()), Some(issuer), "{number}");
        }
    }

    #[test]
    fn published_test_cards_pass_luhn() {
        for number in [
            "6200000000000005",
            "6759649826438453",
            "36227206271667",
            "38520000023237",
        ] {
            assert!(luhn(number.as_bytes()), "{number}");
        }
    }

    #[test]
    fn rejects_right_prefix_with_wrong_length() {
        for number in [
            "41111111111111",       // visa, 14
            "555555555555444",      // mastercard, 15
            "3782822463100051",     // amex, 16
            "601111111111117",      // discover, 15
            "3056930902590",        // diners, 13
            "353011133330000",      // jcb, 15
            "41111111111111111111", // 20 digits
        ] {
            assert_eq!(card_issuer(number.as_bytes()), None, "{number}");
        }
        // Maestro is the one network that issues 12-digit numbers.
        assert_eq!(card_issuer(b"675964982643"), Some("maestro"));
    }

    #[test]
    fn rejects_unassigned_prefixes_and_non_digits() {
        for number in [
            "1111111111111111",
            "5011111111111111",
            "2721000000000000",
            "2220999999999999",
            "9111111111111111",
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "",
            "4",
        ] {
            assert_eq!(card_issuer(number.as_bytes()), None, "{number}");
        }
    }

    #[test]
    fn span_sets_inclusive_bits() {
        assert_eq!(span(16, 16), one(16));
        assert_eq!(span(12, 19).count_ones(), 8);
        assert_eq!(span(12, 19) & one(11), 0);
        assert_ne!(span(12, 19) & one(19), 0);
    }
}
