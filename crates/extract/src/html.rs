//! HTML: tags stripped (block tags become line breaks, cells tabs), `script` and `style`
//! dropped, comments dropped, character references decoded.

/// Tags that end a line of text.
const BLOCK: [&str; 30] = [
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "hr",
    "section",
    "article",
    "header",
    "footer",
    "title",
    "dt",
    "dd",
    "form",
    "nav",
    "aside",
    "main",
    "address",
    "caption",
];

/// Tags inside a line of text: they separate nothing (`<b>Leak</b>wall` is one word).
const INLINE: [&str; 19] = [
    "a", "b", "i", "u", "em", "strong", "span", "font", "small", "big", "sub", "sup", "code",
    "abbr", "mark", "s", "strike", "label", "q",
];

/// The text of an HTML document.
pub(crate) fn to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(pos) = rest.find(['<', '&']) {
        out.push_str(rest.get(..pos).unwrap_or_default());
        let tail = rest.get(pos..).unwrap_or_default();
        rest = if tail.starts_with('&') {
            entity(tail, &mut out)
        } else {
            tag(tail, &mut out)
        };
    }
    out.push_str(rest);
    tidy(&out)
}

/// Drops blank lines and the spaces around each line.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Consumes a tag (or comment, or declaration) at the start of `s`, writing its separator.
fn tag<'a>(s: &'a str, out: &mut String) -> &'a str {
    if let Some(body) = s.strip_prefix("<!--") {
        return body
            .find("-->")
            .and_then(|i| body.get(i + 3..))
            .unwrap_or_default();
    }
    let after = s.get(1..).unwrap_or_default();
    let closing = after.starts_with('/');
    let name_part = after.strip_prefix('/').unwrap_or(after);
    let name_len = name_part
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(name_part.len());
    let name = name_part
        .get(..name_len)
        .unwrap_or_default()
        .to_ascii_lowercase();
    if name.is_empty() && !after.starts_with(['!', '?']) {
        out.push('<');
        return after;
    }
    let rest = skip_tag(s);
    if !closing && (name == "script" || name == "style") {
        return skip_until_close(rest, &name);
    }
    if BLOCK.contains(&name.as_str()) {
        out.push('\n');
    } else if name == "td" || name == "th" {
        out.push('\t');
    } else if !INLINE.contains(&name.as_str()) {
        out.push(' ');
    }
    rest
}

/// The text after the `>` that ends the tag at the start of `s` (quotes respected).
fn skip_tag(s: &str) -> &str {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return s.get(i + 1..).unwrap_or_default(),
            (None, _) => {}
        }
    }
    ""
}

/// The text after `</name ...>`, case-insensitive; nothing if it never closes.
fn skip_until_close<'a>(s: &'a str, name: &str) -> &'a str {
    let lower = s.to_ascii_lowercase();
    let needle = format!("</{name}");
    match lower.find(&needle) {
        Some(i) => skip_tag(s.get(i..).unwrap_or_default()),
        None => "",
    }
}

/// Consumes a character reference at the start of `s` (`&amp;`, `&#233;`, `&#xE9;`).
fn entity<'a>(s: &'a str, out: &mut String) -> &'a str {
    let end = s
        .get(1..)
        .and_then(|t| t.get(..t.len().min(32)))
        .and_then(|t| t.find(';'));
    let decoded = end.and_then(|e| decode_entity(s.get(1..e + 1)?));
    match (end, decoded) {
        (Some(e), Some(c)) => {
            out.push_str(&c);
            s.get(e + 2..).unwrap_or_default()
        }
        _ => {
            out.push('&');
            s.get(1..).unwrap_or_default()
        }
    }
}

fn decode_entity(name: &str) -> Option<String> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return Some(
            char::from_u32(code)
                .unwrap_or(char::REPLACEMENT_CHARACTER)
                .to_string(),
        );
    }
    let c = match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        "nbsp" | "ensp" | "emsp" | "thinsp" => " ",
        "copy" => "©",
        "reg" => "®",
        "trade" => "™",
        "euro" => "€",
        "pound" => "£",
        "yen" => "¥",
        "cent" => "¢",
        "sect" => "§",
        "deg" => "°",
        "middot" => "·",
        "hellip" => "…",
        "ndash" => "–",
        "mdash" => "—",
        "lsquo" => "‘",
        "rsquo" => "’",
        "ldquo" => "“",
        "rdquo" => "”",
        "laquo" => "«",
        "raquo" => "»",
        "bull" => "•",
        "times" => "×",
        "shy" => "",
        "eacute" => "é",
        "egrave" => "è",
        "agrave" => "à",
        "aacute" => "á",
        "ccedil" => "ç",
        "uuml" => "ü",
        "ouml" => "ö",
        "auml" => "ä",
        "szlig" => "ß",
        _ => return None,
    };
    Some(c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_scripts_and_styles() {
        let html = "<html><head><title>T</title><style>p{color:red}</style><script>var x='<p>';</script></head><body><p>Hello <b>wor</b>ld</p><!-- hidden --><div>MARKER-HTML</div></body></html>";
        let words: Vec<String> = to_text(html).split_whitespace().map(String::from).collect();
        assert_eq!(words, ["T", "Hello", "world", "MARKER-HTML"]);
    }

    #[test]
    fn decodes_entities_and_keeps_stray_marks() {
        assert_eq!(
            to_text("a &amp; b &lt;x&gt; caf&eacute; &#233;&#xE9; &bogus; 1 < 2"),
            "a & b <x> café éé &bogus; 1 < 2\n"
        );
        assert_eq!(
            to_text("jane.doe&#64;corp-mail.com"),
            "jane.doe@corp-mail.com\n"
        );
    }

    #[test]
    fn cells_are_separated() {
        let text = to_text("<tr><td>4111</td><td>1111</td></tr>");
        assert_eq!(
            text.split_whitespace().collect::<Vec<_>>(),
            ["4111", "1111"]
        );
    }

    #[test]
    fn unterminated_constructs_do_not_panic() {
        for s in [
            "<",
            "<!--",
            "<script>",
            "&",
            "&#xFFFFFFFF;",
            "<a href='>",
            "é<é&é;",
        ] {
            let _ = to_text(s);
        }
    }
}
