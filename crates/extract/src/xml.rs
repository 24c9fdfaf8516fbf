//! A small event walk over XML parts (office documents), shared by the OOXML and ODF readers.

use std::borrow::Cow;

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::capped::{Budget, Problem};

/// A simplified XML event. Empty elements come as `Start` then `End`.
pub(crate) enum Ev<'e, 'x> {
    /// An opening tag.
    Start(&'e BytesStart<'x>),
    /// A closing tag, by local name (no prefix).
    End(&'e [u8]),
    /// Character data, with entity and character references resolved.
    Text(&'e str),
}

/// Calls `f` for every event of `xml`, checking the deadline as it goes. Malformed XML is
/// `corrupt` (named by `part`).
pub(crate) fn walk(
    xml: &[u8],
    part: &str,
    budget: &Budget<'_>,
    mut f: impl FnMut(Ev<'_, '_>),
) -> Result<(), Problem> {
    let mut reader = Reader::from_reader(xml);
    let config = reader.config_mut();
    config.expand_empty_elements = true;
    config.check_end_names = false;
    let mut count = 0u32;
    loop {
        count = count.wrapping_add(1);
        if count.is_multiple_of(4096) {
            budget.check_time()?;
        }
        let event = reader
            .read_event()
            .map_err(|e| Problem::corrupt(format!("malformed XML in {part}: {e}")))?;
        match event {
            Event::Start(e) => f(Ev::Start(&e)),
            Event::End(e) => f(Ev::End(e.local_name().into_inner())),
            Event::Text(t) => f(Ev::Text(&String::from_utf8_lossy(&t))),
            Event::CData(t) => f(Ev::Text(&String::from_utf8_lossy(&t))),
            Event::GeneralRef(r) => f(Ev::Text(&resolve_ref(&String::from_utf8_lossy(&r)))),
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

fn resolve_ref(name: &str) -> Cow<'static, str> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse().ok(),
        };
        return code
            .and_then(char::from_u32)
            .map_or(Cow::Borrowed("\u{FFFD}"), |c| c.to_string().into());
    }
    match resolve_predefined_entity(name) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(format!("&{name};")),
    }
}

/// The value of the attribute with this local name (any prefix), unescaped.
pub(crate) fn attr(e: &BytesStart<'_>, local: &[u8]) -> Option<String> {
    e.attributes().with_checks(false).flatten().find_map(|a| {
        (a.key.local_name().as_ref() == local).then(|| match a.unescape_value() {
            Ok(v) => v.into_owned(),
            Err(_) => String::from_utf8_lossy(&a.value).into_owned(),
        })
    })
}

/// The value of a namespaced attribute (`r:id`, never a plain `id`) with this local name.
pub(crate) fn prefixed_attr(e: &BytesStart<'_>, local: &[u8]) -> Option<String> {
    e.attributes().with_checks(false).flatten().find_map(|a| {
        (a.key.prefix().is_some() && a.key.local_name().as_ref() == local)
            .then(|| String::from_utf8_lossy(&a.value).into_owned())
    })
}

/// The local name of a start tag.
pub(crate) fn local<'a>(e: &'a BytesStart<'_>) -> &'a [u8] {
    e.local_name().into_inner()
}

/// Text of the elements named in `keep` (local names), with a newline after each element in
/// `lines`, a tab after each in `cells`, and a tab for each element in `tabs` (empty ones such
/// as `<w:tab/>`).
pub(crate) struct TextRule {
    pub(crate) keep: &'static [&'static [u8]],
    pub(crate) lines: &'static [&'static [u8]],
    pub(crate) cells: &'static [&'static [u8]],
}

/// Extracts the text of one XML part according to `rule`.
pub(crate) fn text_of(
    xml: &[u8],
    part: &str,
    rule: &TextRule,
    budget: &Budget<'_>,
) -> Result<String, Problem> {
    let mut out = String::new();
    let mut inside = 0u32;
    walk(xml, part, budget, |ev| match ev {
        Ev::Start(e) if rule.keep.contains(&local(e)) => inside += 1,
        Ev::Start(_) => {}
        Ev::Text(t) if inside > 0 => out.push_str(t),
        Ev::Text(_) => {}
        Ev::End(name) => {
            if rule.keep.contains(&name) {
                inside = inside.saturating_sub(1);
            } else if rule.lines.contains(&name) {
                out.push('\n');
            } else if rule.cells.contains(&name) {
                out.push('\t');
            }
        }
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limits;

    #[test]
    fn keeps_text_of_chosen_elements_with_separators() {
        let limits = Limits::default();
        let budget = Budget::new(&limits);
        let xml = br#"<?xml version="1.0"?><w:document xmlns:w="x"><w:p><w:r><w:t>Hello</w:t></w:r><w:r><w:tab/><w:t xml:space="preserve">A &amp; B &#233;</w:t></w:r></w:p><w:p><w:r><w:instrText>SKIP</w:instrText><w:t>two</w:t></w:r></w:p></w:document>"#;
        let rule = TextRule {
            keep: &[b"t"],
            lines: &[b"p"],
            cells: &[b"tab"],
        };
        let text = text_of(xml, "doc", &rule, &budget).unwrap_or_default();
        assert_eq!(text, "Hello\tA & B é\ntwo\n");
    }

    #[test]
    fn malformed_xml_is_corrupt() {
        let limits = Limits::default();
        let budget = Budget::new(&limits);
        let rule = TextRule {
            keep: &[],
            lines: &[],
            cells: &[],
        };
        let err = text_of(b"<a><!-- never closed", "doc", &rule, &budget).err();
        assert_eq!(
            err.map(|p| p.reason),
            Some(crate::UnscannableReason::Corrupt)
        );
    }
}
