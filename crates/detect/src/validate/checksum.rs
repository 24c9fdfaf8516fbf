//! Check-digit algorithms over decimal digits: Luhn, ABA routing, NHS mod-11, and the
//! ISO 7064 mod-97 remainder that IBANs use.

/// The value of an ASCII decimal digit.
pub(crate) fn digit_value(b: u8) -> Option<u32> {
    b.is_ascii_digit().then(|| u32::from(b - b'0'))
}

/// The values of exactly `N` ASCII digits, or `None` on any other length or byte.
pub(crate) fn fixed_digits<const N: usize>(bytes: &[u8]) -> Option<[u32; N]> {
    let bytes: &[u8; N] = bytes.try_into().ok()?;
    let mut out = [0u32; N];
    for (slot, &b) in out.iter_mut().zip(bytes) {
        *slot = digit_value(b)?;
    }
    Some(out)
}

/// Luhn (mod-10, "double every second digit from the right") check, as on payment cards and
/// many national identifiers.
///
/// `digits` must be ASCII digits only, at least two (a payload and its check digit); any other
/// byte, or a shorter input, gives `false`.
pub fn luhn(digits: &[u8]) -> bool {
    if digits.len() < 2 {
        return false;
    }
    let mut sum = 0u32;
    for (i, &b) in digits.iter().rev().enumerate() {
        let Some(d) = digit_value(b) else {
            return false;
        };
        let d = if i % 2 == 1 { luhn_double(d) } else { d };
        sum = (sum + d) % 10;
    }
    sum == 0
}

fn luhn_double(d: u32) -> u32 {
    let twice = d * 2;
    if twice > 9 {
        twice - 9
    } else {
        twice
    }
}

/// US ABA routing transit number: 9 digits, weights 3-7-1 summing to a multiple of 10, and a
/// first pair in a Federal Reserve range (00-12 banks, 21-32 thrifts, 61-72 electronic,
/// 80 traveller's cheques). All zeros is rejected.
// `u32::is_multiple_of` needs Rust 1.87; the workspace's rust-version is 1.85.
#[allow(clippy::manual_is_multiple_of)]
pub fn aba_routing(digits: &[u8]) -> bool {
    let Some(d) = fixed_digits::<9>(digits) else {
        return false;
    };
    let [d0, d1, ..] = d;
    let prefix = d0 * 10 + d1;
    if !matches!(prefix, 0..=12 | 21..=32 | 61..=72 | 80) || d.iter().all(|&x| x == 0) {
        return false;
    }
    let sum: u32 = d
        .iter()
        .zip([3, 7, 1].iter().cycle())
        .map(|(x, w)| x * w)
        .sum();
    sum % 10 == 0
}

/// UK NHS number: 10 digits, weights 10 down to 2 over the first nine, check digit
/// `11 - sum % 11` (11 becomes 0; 10 means the number is never issued).
///
/// Numbers of one repeated digit (`0000000000`, `1111111111`, …) pass the arithmetic but are
/// not issued; they are rejected as placeholders.
pub fn uk_nhs(digits: &[u8]) -> bool {
    let Some(d) = fixed_digits::<10>(digits) else {
        return false;
    };
    let [first, .., check] = d;
    if d.iter().all(|&x| x == first) {
        return false;
    }
    let sum: u32 = d.iter().zip((2..=10).rev()).map(|(x, w)| x * w).sum();
    match 11 - sum % 11 {
        11 => check == 0,
        10 => false,
        expected => check == expected,
    }
}

/// ISO 7064 mod-97-10 remainder of an alphanumeric string read as a number in which letters
/// stand for 10 (`A`) to 35 (`Z`). `None` on any byte that is not `0-9` or `A-Z`.
pub(crate) fn mod97<'a>(chars: impl IntoIterator<Item = &'a u8>) -> Option<u32> {
    let mut rem = 0u32;
    for &b in chars {
        rem = match b {
            b'0'..=b'9' => (rem * 10 + u32::from(b - b'0')) % 97,
            b'A'..=b'Z' => (rem * 100 + u32::from(b - b'A') + 10) % 97,
            _ => return None,
        };
    }
    Some(rem)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The digit that makes `payload + digit` pass [`luhn`].
    pub(crate) fn luhn_check_digit(payload: &[u8]) -> u8 {
        (b'0'..=b'9')
            .find(|&c| luhn(&[payload, &[c]].concat()))
            .unwrap()
    }

    #[test]
    fn luhn_accepts_published_test_cards() {
        for card in [
            "4111111111111111",
            "4012888888881881",
            "4222222222222",
            "5555555555554444",
            "2223003122003222",
            "378282246310005",
            "6011111111111117",
            "30569309025904",
            "3530111333300000",
            "79927398713",
        ] {
            assert!(luhn(card.as_bytes()), "{card}");
        }
    }

    #[test]
    fn luhn_rejects_near_misses() {
        for bad in [
            "4111111111111112",
            "79927398710",
            "0",
            "",
            "4111 1111 1111 1111",
            "4x11",
        ] {
            assert!(!luhn(bad.as_bytes()), "{bad}");
        }
        assert!(
            luhn(b"00"),
            "all zeros is arithmetically valid; callers add shape rules"
        );
    }

    #[test]
    fn aba_accepts_published_routing_numbers() {
        for rtn in [
            "011000015",
            "021000021",
            "026009593",
            "121000248",
            "322271627",
        ] {
            assert!(aba_routing(rtn.as_bytes()), "{rtn}");
        }
    }

    #[test]
    fn aba_rejects_near_misses() {
        // 021000022: checksum; 131000021: sums to 10 but prefix 13 is unassigned;
        // 000000000: all zeros; 02100002: short.
        for bad in [
            "021000022",
            "131000021",
            "000000000",
            "02100002",
            "0210000210",
            "02100002a",
        ] {
            assert!(!aba_routing(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn nhs_accepts_published_examples() {
        for nhs in ["9434765919", "4010232137", "4505577104"] {
            assert!(uk_nhs(nhs.as_bytes()), "{nhs}");
        }
    }

    #[test]
    fn nhs_rejects_near_misses() {
        // 9434765918: wrong check digit; 1234567890: check digit would be 10;
        // 1111111111: repeated digit placeholder.
        for bad in [
            "9434765918",
            "1234567890",
            "1111111111",
            "0000000000",
            "943476591",
            "",
        ] {
            assert!(!uk_nhs(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn mod97_matches_iso_7064_example() {
        // ISO 7064 worked example: 3214282912345698765432161182 % 97 == 1.
        assert_eq!(mod97(b"3214282912345698765432161182"), Some(1));
        assert_eq!(mod97(b"WEST12345698765432GB82"), Some(1));
        assert_eq!(mod97(b"west"), None);
    }

    fn digits(min: usize, max: usize) -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(b'0'..=b'9', min..=max)
    }

    proptest! {
        #[test]
        fn luhn_right_check_digit_passes_and_any_single_change_fails(
            payload in digits(1, 30), pos in any::<prop::sample::Index>(), delta in 1u8..=9,
        ) {
            let mut number = payload.clone();
            number.push(luhn_check_digit(&payload));
            prop_assert!(luhn(&number));
            let i = pos.index(number.len());
            number[i] = b'0' + (number[i] - b'0' + delta) % 10;
            prop_assert!(!luhn(&number));
        }

        #[test]
        fn aba_right_check_digit_passes_and_any_single_change_fails(
            prefix in prop::sample::select(vec![0u8, 5, 12, 21, 32, 61, 72, 80]),
            middle in digits(6, 6), pos in 0usize..9, delta in 1u8..=9,
        ) {
            let mut number = vec![b'0' + prefix / 10, b'0' + prefix % 10];
            number.extend_from_slice(&middle);
            let check = (b'0'..=b'9').find(|&c| aba_routing(&[&number[..], &[c]].concat()));
            prop_assume!(check.is_some()); // only the all-zero number has none
            number.push(check.unwrap());
            prop_assert!(aba_routing(&number));
            number[pos] = b'0' + (number[pos] - b'0' + delta) % 10;
            prop_assert!(!aba_routing(&number));
        }

        #[test]
        fn nhs_right_check_digit_passes_and_any_single_change_fails(
            payload in digits(9, 9), pos in 0usize..10, delta in 1u8..=9,
        ) {
            let check = (b'0'..=b'9').find(|&c| uk_nhs(&[&payload[..], &[c]].concat()));
            let weighted: u32 = payload.iter().zip((2..=10).rev()).map(|(d, w)| u32::from(d - b'0') * w).sum();
            let repdigit = payload.iter().all(|&d| d == payload[0]);
            prop_assert!(check.is_some() || weighted % 11 == 1 || repdigit);
            prop_assume!(check.is_some());
            let mut number = payload.clone();
            number.push(check.unwrap());
            number[pos] = b'0' + (number[pos] - b'0' + delta) % 10;
            prop_assert!(!uk_nhs(&number));
        }
    }
}
