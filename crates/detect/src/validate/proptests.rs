//! Properties every validator shares: total on arbitrary bytes, and agreement between the raw
//! functions and [`Validator::check`] on already-normalised input.

use super::*;
use proptest::prelude::*;

/// Bytes biased towards the alphabets the validators parse, so that deep code paths run.
fn interesting_bytes() -> impl Strategy<Value = Vec<u8>> {
    let alphabet = b"0123456789abcdefABCDEFxyzXYZ_-.= 1bcqpBC".to_vec();
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..128),
        proptest::collection::vec(prop::sample::select(alphabet), 0..96),
    ]
}

proptest! {
    #[test]
    fn no_validator_panics_on_arbitrary_bytes(bytes in interesting_bytes()) {
        let _ = luhn(&bytes);
        let _ = card_issuer(&bytes);
        let _ = iban(&bytes);
        let _ = us_ssn(&bytes);
        let _ = us_itin(&bytes);
        let _ = aba_routing(&bytes);
        let _ = uk_nino(&bytes);
        let _ = uk_nhs(&bytes);
        let _ = bitcoin_base58(&bytes);
        let _ = bitcoin_bech32(&bytes);
        let _ = ethereum(&bytes);
        let _ = jwt(&bytes);
        let _ = github_token(&bytes);
        let h = shannon_entropy(&bytes);
        prop_assert!((0.0..=8.0).contains(&h));
        for v in Validator::ALL {
            let _ = v.check(&bytes);
        }
    }

    #[test]
    fn no_panic_on_prefixed_garbage(
        prefix in prop::sample::select(vec!["bc1", "BC1", "0x", "ghp_", "eyJ", "GB82", "1", "3"]),
        rest in interesting_bytes(),
    ) {
        let bytes = [prefix.as_bytes(), &rest].concat();
        for v in Validator::ALL {
            let _ = v.check(&bytes);
        }
        let _ = bitcoin_bech32(&bytes);
        let _ = bitcoin_base58(&bytes);
    }

    #[test]
    fn valid_date_is_total(y in any::<u32>(), m in any::<u32>(), d in any::<u32>()) {
        let ok = valid_date(y, m, d);
        prop_assert!(!ok || ((1..=12).contains(&m) && (1..=31).contains(&d)));
    }

    #[test]
    fn check_agrees_with_raw_function_on_plain_digits(digits in "[0-9]{9,10}") {
        let d = digits.as_bytes();
        prop_assert_eq!(Validator::Luhn.check(d), luhn(d));
        prop_assert_eq!(Validator::UsSsn.check(d), us_ssn(d));
        prop_assert_eq!(Validator::UsItin.check(d), us_itin(d));
        prop_assert_eq!(Validator::AbaRouting.check(d), aba_routing(d));
        prop_assert_eq!(Validator::UkNhs.check(d), uk_nhs(d));
    }
}
