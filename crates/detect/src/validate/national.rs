//! National identifiers checked by their issuers' numbering rules: US SSN and ITIN (SSA and
//! IRS), UK National Insurance number (HMRC).

use super::checksum::fixed_digits;

/// US Social Security number, 9 digits, by the SSA's numbering rules.
///
/// Rejects area `000`, `666` and `900-999` (the last are ITINs or never issued), group `00`,
/// serial `0000`, and the numbers known to circulate as examples: `078-05-1120` (the
/// Woolworth wallet card), `219-09-9999` (an SSA advertisement) and `123-45-6789`.
pub fn us_ssn(digits: &[u8]) -> bool {
    let Some([a0, a1, a2, g0, g1, s0, s1, s2, s3]) = fixed_digits::<9>(digits) else {
        return false;
    };
    let area = a0 * 100 + a1 * 10 + a2;
    let group = g0 * 10 + g1;
    let serial = s0 * 1000 + s1 * 100 + s2 * 10 + s3;
    let known_example = matches!(
        (area, group, serial),
        (78, 5, 1120) | (219, 9, 9999) | (123, 45, 6789)
    );
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0 && !known_example
}

/// US Individual Taxpayer Identification Number: 9 digits starting with `9`, whose fourth and
/// fifth digits are in an IRS-assigned range (50-65, 70-88, 90-92, 94-99).
pub fn us_itin(digits: &[u8]) -> bool {
    let Some([first, _, _, g0, g1, ..]) = fixed_digits::<9>(digits) else {
        return false;
    };
    first == 9 && matches!(g0 * 10 + g1, 50..=65 | 70..=88 | 90..=92 | 94..=99)
}

/// UK National Insurance number, compact and uppercase: two prefix letters, six digits and a
/// suffix letter `A`-`D` (e.g. `AB123456C`).
///
/// HMRC never uses `D F I Q U V` as either prefix letter nor `O` as the second, and never
/// allocates the prefixes `BG GB KN NK NT TN ZZ`; so the common example `QQ123456C` fails.
pub fn uk_nino(compact: &[u8]) -> bool {
    let Ok([p0, p1, digits @ .., suffix]) = <[u8; 9]>::try_from(compact) else {
        return false;
    };
    let first_ok = p0.is_ascii_uppercase() && !b"DFIQUV".contains(&p0);
    let second_ok = p1.is_ascii_uppercase() && !b"DFIOQUV".contains(&p1);
    let banned = [*b"BG", *b"GB", *b"KN", *b"NK", *b"NT", *b"TN", *b"ZZ"].contains(&[p0, p1]);
    first_ok
        && second_ok
        && !banned
        && digits.iter().all(u8::is_ascii_digit)
        && matches!(suffix, b'A'..=b'D')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssn_accepts_well_formed_numbers() {
        for ssn in [
            "536904399",
            "001010001",
            "899991234",
            "665123456",
            "667123456",
        ] {
            assert!(us_ssn(ssn.as_bytes()), "{ssn}");
        }
    }

    #[test]
    fn ssn_rejects_invalid_and_example_numbers() {
        for bad in [
            "000123456",
            "666123456",
            "900123456",
            "999123456",
            "123004567",
            "123450000",
            "078051120",
            "219099999",
            "123456789",
            "12345678",
            "1234567890",
            "12345678a",
        ] {
            assert!(!us_ssn(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn itin_accepts_assigned_group_ranges() {
        for itin in [
            "912701234",
            "900501234",
            "999651234",
            "988881234",
            "970901234",
            "900941234",
        ] {
            assert!(us_itin(itin.as_bytes()), "{itin}");
        }
    }

    #[test]
    fn itin_rejects_unassigned_groups_and_non_nine_areas() {
        for bad in [
            "912931234",
            "912661234",
            "912491234",
            "912891234",
            "812701234",
            "91270123",
        ] {
            assert!(!us_itin(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn itin_and_ssn_never_overlap() {
        assert!(!us_ssn(b"912701234"));
    }

    #[test]
    fn nino_accepts_allocated_prefixes() {
        for nino in [
            "AB123456C",
            "OA123456A",
            "JG103759A",
            "ZY987654D",
            "CE000000B",
        ] {
            assert!(uk_nino(nino.as_bytes()), "{nino}");
        }
    }

    #[test]
    fn nino_rejects_hmrc_exclusions() {
        for bad in [
            "QQ123456C", // Q as first letter: the standard dummy
            "DA123456A",
            "FA123456A",
            "IA123456A",
            "UA123456A",
            "VA123456A",
            "AD123456A",
            "AF123456A",
            "AI123456A",
            "AO123456A",
            "AQ123456A",
            "AU123456A",
            "AV123456A",
            "BG123456A",
            "GB123456A",
            "KN123456A",
            "NK123456A",
            "NT123456A",
            "TN123456A",
            "ZZ123456A",
            "AB123456E",
            "AB123456",
            "ab123456c",
            "AB12345XC",
            "AB 123456C",
            "",
        ] {
            assert!(!uk_nino(bad.as_bytes()), "{bad}");
        }
    }
}
