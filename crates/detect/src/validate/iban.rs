//! IBAN validation: country length table (SWIFT IBAN registry) and ISO 13616 mod-97 check.

use super::checksum::mod97;

/// IBAN length by country code, from the SWIFT IBAN registry (release 2024/2025; all SEPA
/// countries included). Sorted by code for binary search. Territories that use another
/// country's code (e.g. French overseas departments use `FR`) need no entry.
#[rustfmt::skip]
const IBAN_LENGTHS: &[([u8; 2], usize)] = &[
    (*b"AD", 24), (*b"AE", 23), (*b"AL", 28), (*b"AT", 20), (*b"AZ", 28), (*b"BA", 20),
    (*b"BE", 16), (*b"BG", 22), (*b"BH", 22), (*b"BI", 27), (*b"BR", 29), (*b"BY", 28),
    (*b"CH", 21), (*b"CR", 22), (*b"CY", 28), (*b"CZ", 24), (*b"DE", 22), (*b"DJ", 27),
    (*b"DK", 18), (*b"DO", 28), (*b"EE", 20), (*b"EG", 29), (*b"ES", 24), (*b"FI", 18),
    (*b"FK", 18), (*b"FO", 18), (*b"FR", 27), (*b"GB", 22), (*b"GE", 22), (*b"GI", 23),
    (*b"GL", 18), (*b"GR", 27), (*b"GT", 28), (*b"HN", 28), (*b"HR", 21), (*b"HU", 28),
    (*b"IE", 22), (*b"IL", 23), (*b"IQ", 23), (*b"IS", 26), (*b"IT", 27), (*b"JO", 30),
    (*b"KW", 30), (*b"KZ", 20), (*b"LB", 28), (*b"LC", 32), (*b"LI", 21), (*b"LT", 20),
    (*b"LU", 20), (*b"LV", 21), (*b"LY", 25), (*b"MC", 27), (*b"MD", 24), (*b"ME", 22),
    (*b"MK", 19), (*b"MN", 20), (*b"MR", 27), (*b"MT", 31), (*b"MU", 30), (*b"NI", 28),
    (*b"NL", 18), (*b"NO", 15), (*b"OM", 23), (*b"PK", 24), (*b"PL", 28), (*b"PS", 29),
    (*b"PT", 25), (*b"QA", 29), (*b"RO", 24), (*b"RS", 22), (*b"RU", 33), (*b"SA", 24),
    (*b"SC", 31), (*b"SD", 18), (*b"SE", 24), (*b"SI", 19), (*b"SK", 24), (*b"SM", 27),
    (*b"SO", 23), (*b"ST", 25), (*b"SV", 28), (*b"TL", 23), (*b"TN", 24), (*b"TR", 26),
    (*b"UA", 29), (*b"VA", 22), (*b"VG", 24), (*b"XK", 20), (*b"YE", 30),
];

/// The registered IBAN length for a two-letter country code.
fn registered_length(country: [u8; 2]) -> Option<usize> {
    let i = IBAN_LENGTHS
        .binary_search_by_key(&country, |&(c, _)| c)
        .ok()?;
    IBAN_LENGTHS.get(i).map(|&(_, len)| len)
}

/// International Bank Account Number, compact (no spaces) and uppercase.
///
/// Valid when: the first two bytes are a country in the SWIFT IBAN registry, the length is that
/// country's, the check digits are `02`-`98` (ISO 13616 never issues `00`, `01` or `99`), the
/// rest is `0-9A-Z`, and the number rearranged with its first four characters at the end is
/// `1` mod 97.
pub fn iban(compact: &[u8]) -> bool {
    let Some((&[c0, c1, k0, k1], bban)) = compact.split_first_chunk::<4>() else {
        return false;
    };
    if registered_length([c0, c1]) != Some(compact.len()) {
        return false;
    }
    if !(k0.is_ascii_digit() && k1.is_ascii_digit()) {
        return false;
    }
    if !matches!((k0 - b'0') * 10 + (k1 - b'0'), 2..=98) {
        return false;
    }
    mod97(bban.iter().chain(&[c0, c1, k0, k1])) == Some(1)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table_is_sorted_and_complete_for_sepa() {
        assert!(IBAN_LENGTHS.windows(2).all(|w| w[0].0 < w[1].0));
        for sepa in [
            "AD", "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB",
            "GI", "GR", "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MC", "MT", "NL",
            "NO", "PL", "PT", "RO", "SE", "SI", "SK", "SM", "VA",
        ] {
            let code: [u8; 2] = sepa.as_bytes().try_into().unwrap();
            assert!(registered_length(code).is_some(), "{sepa}");
        }
    }

    #[test]
    fn accepts_registry_examples() {
        for example in [
            "GB82WEST12345698765432",
            "DE89370400440532013000",
            "GB29NWBK60161331926819",
            "FR1420041010050500013M02606",
            "NL91ABNA0417164300",
            "BE68539007547034",
            "NO9386011117947",
            "CH9300762011623852957",
            "ES9121000418450200051332",
            "IT60X0542811101000000123456",
            "MT84MALT011000012345MTLCAST001S",
            "SC18SSCB11010000000000001497USD",
            "LC55HEMM000100010012001200023015",
            "BR1800360305000010009795493C1",
        ] {
            assert!(iban(example.as_bytes()), "{example}");
        }
    }

    #[test]
    fn rejects_near_misses() {
        for bad in [
            "GB82WEST12345698765433",      // last digit changed
            "GB28WEST12345698765432",      // check digits swapped
            "GB82WEST1234569876543",       // one short for GB
            "GB82WEST123456987654321",     // one long for GB
            "XX82WEST12345698765432",      // no such country
            "gb82west12345698765432",      // lowercase (Validator::check uppercases)
            "GB82 WEST 1234 5698 7654 32", // spaces (Validator::check removes them)
            "GBX2WEST12345698765432",      // check digit not a digit
            "GB82WEST1234569876543!",      // bad character
            "DE00370400440532013000",      // reserved check digits
            "",
            "GB8",
        ] {
            assert!(!iban(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn rejects_check_digit_aliases() {
        // 99 ≡ 02 (mod 97): arithmetic passes, ISO 13616 never issues it.
        let base = b"DE02120300000000202051";
        assert!(iban(base));
        let mut alias = *base;
        alias[2..4].copy_from_slice(b"99");
        assert_eq!(mod97(alias[4..].iter().chain(&alias[..4])), Some(1));
        assert!(!iban(&alias));
    }

    /// The valid IBAN for `country` and `bban`.
    fn with_check_digits(country: &[u8; 2], bban: &[u8]) -> Vec<u8> {
        let rem = mod97(bban.iter().chain(country).chain(b"00")).unwrap();
        let check = 98 - rem;
        let mut out = country.to_vec();
        out.extend_from_slice(format!("{check:02}").as_bytes());
        out.extend_from_slice(bban);
        out
    }

    fn country_and_bban() -> impl Strategy<Value = ([u8; 2], Vec<u8>)> {
        prop::sample::select(IBAN_LENGTHS.to_vec()).prop_flat_map(|(country, len)| {
            let chars = prop::sample::select(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".to_vec());
            (Just(country), prop::collection::vec(chars, len - 4))
        })
    }

    proptest! {
        #[test]
        fn right_check_digits_pass_and_any_digit_change_fails(
            (country, bban) in country_and_bban(),
            pos in any::<prop::sample::Index>(),
            delta in 1u8..=9,
        ) {
            let mut number = with_check_digits(&country, &bban);
            prop_assert!(iban(&number), "{}", String::from_utf8_lossy(&number));
            let digit_positions: Vec<usize> =
                (2..number.len()).filter(|&i| number[i].is_ascii_digit()).collect();
            let i = pos.get(&digit_positions);
            number[*i] = b'0' + (number[*i] - b'0' + delta) % 10;
            prop_assert!(!iban(&number), "{}", String::from_utf8_lossy(&number));
        }
    }
}
