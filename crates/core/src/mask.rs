//! Masking of matched text, so findings can be shown without revealing the secret.

/// Masks `text`: keeps at most the first two and last two characters of a match of twelve or
/// more characters and replaces every other character by `*`; shorter matches are fully masked.
pub fn mask(text: &str) -> String {
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
    fn multibyte_text_is_masked_by_character() {
        assert_eq!(mask("pässwörd-geheim"), "pä***********im");
    }
}
