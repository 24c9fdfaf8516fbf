//! Masking of matched text, so findings can be shown without revealing the secret.

/// Masks `text`: keeps at most the first two and last two characters of a match of twelve or
/// more characters and replaces every other character by `*`; shorter matches are fully masked.
pub fn mask(text: &str) -> String {
    if text.is_ascii() {
        let n = text.len();
        let keep = if n >= 12 { 2 } else { 0 };
        let mut out = String::with_capacity(n);
        out.push_str(&text[..keep]);
        out.extend(std::iter::repeat_n('*', n - 2 * keep));
        out.push_str(&text[n - keep..]);
        return out;
    }
    mask_chars(text)
}

/// The general case, by character.
fn mask_chars(text: &str) -> String {
    let count = text.chars().count();
    let keep = if count >= 12 { 2 } else { 0 };
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            if i < keep || i + keep >= count {
                c
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn long_matches_keep_their_ends() {
        assert_eq!(mask("AKIAABCDEFGHIJKLMNOP"), "AK****************OP");
    }

    #[test]
    fn short_matches_are_hidden_whole() {
        assert_eq!(mask("hunter2"), "*******");
        assert_eq!(mask(""), "");
    }

    #[test]
    fn the_ascii_fast_path_agrees_with_the_general_case() {
        let sample = "AKIA1234567890abcdefXYZ_-+/=";
        for len in 0..=sample.len() {
            let text = &sample[..len];
            assert_eq!(mask(text), super::mask_chars(text), "{text}");
        }
    }

    #[test]
    fn multibyte_text_is_masked_by_character() {
        assert_eq!(mask("pässwörd-geheim"), "pä***********im");
    }
}
