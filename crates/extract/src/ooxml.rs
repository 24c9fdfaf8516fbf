//! Office Open XML: DOCX (body, headers, footers, notes, comments), XLSX (per sheet, shared
//! and inline strings) and PPTX (per slide, notes). Embedded objects are walked as children.

use std::collections::HashMap;

use crate::capped::{Budget, Problem};
use crate::sniff::FileType;
use crate::walk::Walker;
use crate::xml::{self, attr, local, prefixed_attr, Ev, TextRule};
use crate::zips::{self, Zip};
use crate::Origin;

const DOCX_TEXT: TextRule = TextRule {
    keep: &[b"t", b"delText"],
    lines: &[b"p", b"br", b"cr", b"tr"],
    cells: &[b"tab", b"tc"],
};

const PPTX_TEXT: TextRule = TextRule {
    keep: &[b"t"],
    lines: &[b"p", b"br", b"tr"],
    cells: &[b"tc", b"tab"],
};

/// Extracts an OOXML package of the given kind.
pub(crate) fn extract(
    w: &mut Walker<'_>,
    origin: &Origin,
    bytes: &[u8],
    kind: FileType,
    depth: u32,
) -> Result<(), Problem> {
    let mut zip = Zip::open(bytes)?;
    zip.check_entries(w.budget.limits.max_entries)?;
    match kind {
        FileType::Xlsx => xlsx(w, origin, &mut zip)?,
        FileType::Pptx => pptx(w, origin, &mut zip)?,
        _ => docx(w, origin, &mut zip)?,
    }
    embeddings(w, origin, &mut zip, depth);
    Ok(())
}

fn docx(w: &mut Walker<'_>, origin: &Origin, zip: &mut Zip<'_>) -> Result<(), Problem> {
    let main = "word/document.xml";
    let xml = zip
        .read_named(main, &w.budget)?
        .ok_or_else(|| missing(main))?;
    let text = xml::text_of(&xml, main, &DOCX_TEXT, &w.budget)?;
    w.push_text(origin.clone(), &text);
    let mut extra: Vec<String> = zip
        .names()
        .into_iter()
        .filter(|n| {
            let part = n.strip_prefix("word/").unwrap_or_default();
            !part.contains('/')
                && part.ends_with(".xml")
                && ["header", "footer", "footnotes", "endnotes", "comments"]
                    .iter()
                    .any(|p| part.starts_with(p))
        })
        .collect();
    extra.sort();
    for name in extra {
        w.budget.check_time()?;
        if let Some(xml) = zip.read_named(&name, &w.budget)? {
            let text = xml::text_of(&xml, &name, &DOCX_TEXT, &w.budget)?;
            w.push_text(origin.child(&name), &text);
        }
    }
    Ok(())
}

fn xlsx(w: &mut Walker<'_>, origin: &Origin, zip: &mut Zip<'_>) -> Result<(), Problem> {
    let shared = match zip.read_named("xl/sharedStrings.xml", &w.budget)? {
        Some(xml) => shared_strings(&xml, &w.budget)?,
        None => Vec::new(),
    };
    let book = "xl/workbook.xml";
    let workbook = zip
        .read_named(book, &w.budget)?
        .ok_or_else(|| missing(book))?;
    let rels = relationships(zip, "xl/_rels/workbook.xml.rels", "xl/", &w.budget)?;
    let mut sheets = Vec::new();
    xml::walk(&workbook, book, &w.budget, |ev| {
        if let Ev::Start(e) = ev {
            if local(e) == b"sheet" {
                let name = attr(e, b"name").unwrap_or_default();
                let target = prefixed_attr(e, b"id").and_then(|id| rels.get(&id).cloned());
                sheets.push((name, target));
            }
        }
    })?;
    for (i, (name, target)) in sheets.into_iter().enumerate() {
        w.budget.check_time()?;
        let part = target.unwrap_or_else(|| format!("xl/worksheets/sheet{}.xml", i + 1));
        let Some(xml) = zip.read_named(&part, &w.budget)? else {
            continue;
        };
        let text = sheet_text(&xml, &part, &shared, &w.budget)?;
        w.push_text(
            Origin {
                sheet: Some(name),
                ..origin.clone()
            },
            &text,
        );
    }
    Ok(())
}

fn shared_strings(xml: &[u8], budget: &Budget<'_>) -> Result<Vec<String>, Problem> {
    let mut strings = Vec::new();
    let mut current = String::new();
    let (mut in_t, mut in_phonetic) = (false, false);
    xml::walk(xml, "xl/sharedStrings.xml", budget, |ev| match ev {
        Ev::Start(e) => match local(e) {
            b"si" => current.clear(),
            b"t" => in_t = true,
            b"rPh" => in_phonetic = true,
            _ => {}
        },
        Ev::Text(t) if in_t && !in_phonetic => current.push_str(t),
        Ev::Text(_) => {}
        Ev::End(b"t") => in_t = false,
        Ev::End(b"rPh") => in_phonetic = false,
        Ev::End(b"si") => strings.push(std::mem::take(&mut current)),
        Ev::End(_) => {}
    })?;
    Ok(strings)
}

/// One sheet as text: cells separated by tabs, rows by newlines. Shared strings are looked
/// up; inline strings, numbers and formula results are kept as written.
fn sheet_text(
    xml: &[u8],
    part: &str,
    shared: &[String],
    budget: &Budget<'_>,
) -> Result<String, Problem> {
    let mut out = String::new();
    let mut cell_type: Option<String> = None;
    let mut value = String::new();
    let mut in_value = false;
    xml::walk(xml, part, budget, |ev| match ev {
        Ev::Start(e) => match local(e) {
            b"c" => {
                cell_type = attr(e, b"t");
                value.clear();
            }
            b"v" | b"t" => in_value = true,
            _ => {}
        },
        Ev::Text(t) if in_value => value.push_str(t),
        Ev::Text(_) => {}
        Ev::End(b"v" | b"t") => in_value = false,
        Ev::End(b"c") => {
            let is_shared = cell_type.as_deref() == Some("s");
            let text = match value.trim().parse::<usize>() {
                Ok(i) if is_shared => shared.get(i).map_or("", String::as_str),
                _ => value.as_str(),
            };
            out.push_str(text);
            out.push('\t');
        }
        Ev::End(b"row") => out.push('\n'),
        Ev::End(_) => {}
    })?;
    Ok(out)
}

fn pptx(w: &mut Walker<'_>, origin: &Origin, zip: &mut Zip<'_>) -> Result<(), Problem> {
    let pres = "ppt/presentation.xml";
    let presentation = zip
        .read_named(pres, &w.budget)?
        .ok_or_else(|| missing(pres))?;
    let rels = relationships(zip, "ppt/_rels/presentation.xml.rels", "ppt/", &w.budget)?;
    let mut slides = Vec::new();
    xml::walk(&presentation, pres, &w.budget, |ev| {
        if let Ev::Start(e) = ev {
            if local(e) == b"sldId" {
                if let Some(target) = prefixed_attr(e, b"id").and_then(|id| rels.get(&id)) {
                    slides.push(target.clone());
                }
            }
        }
    })?;
    if slides.is_empty() {
        slides = numbered(zip.names(), "ppt/slides/slide");
    }
    for (i, part) in slides.iter().enumerate() {
        w.budget.check_time()?;
        let Some(xml) = zip.read_named(part, &w.budget)? else {
            continue;
        };
        let text = xml::text_of(&xml, part, &PPTX_TEXT, &w.budget)?;
        let page = u32::try_from(i + 1).ok();
        w.push_text(
            Origin {
                page,
                ..origin.clone()
            },
            &text,
        );
    }
    for part in numbered(zip.names(), "ppt/notesSlides/notesSlide") {
        w.budget.check_time()?;
        let Some(xml) = zip.read_named(&part, &w.budget)? else {
            continue;
        };
        let text = xml::text_of(&xml, &part, &PPTX_TEXT, &w.budget)?;
        w.push_text(origin.child(&part), &text);
    }
    Ok(())
}

/// Names `{prefix}N.xml`, sorted by N.
fn numbered(names: Vec<String>, prefix: &str) -> Vec<String> {
    let mut found: Vec<(u32, String)> = names
        .into_iter()
        .filter_map(|n| {
            let num = n.strip_prefix(prefix)?.strip_suffix(".xml")?.parse().ok()?;
            Some((num, n))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, n)| n).collect()
}

/// Relationship id → part name, from a `.rels` part; targets are resolved against `base`.
fn relationships(
    zip: &mut Zip<'_>,
    part: &str,
    base: &str,
    budget: &Budget<'_>,
) -> Result<HashMap<String, String>, Problem> {
    let mut map = HashMap::new();
    let Some(xml) = zip.read_named(part, budget)? else {
        return Ok(map);
    };
    xml::walk(&xml, part, budget, |ev| {
        if let Ev::Start(e) = ev {
            if let (Some(id), Some(target)) = (attr(e, b"Id"), attr(e, b"Target")) {
                map.insert(id, resolve(base, &target));
            }
        }
    })?;
    Ok(map)
}

/// A relationship target as a part name: absolute (`/xl/...`) or relative to `base`.
fn resolve(base: &str, target: &str) -> String {
    let joined = match target.strip_prefix('/') {
        Some(abs) => abs.to_string(),
        None => format!("{base}{target}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// Walks embedded objects (`*/embeddings/*`) as children.
fn embeddings(w: &mut Walker<'_>, origin: &Origin, zip: &mut Zip<'_>, depth: u32) {
    let names = zip.names();
    for name in names.iter().filter(|n| n.contains("/embeddings/")) {
        if w.stopped() {
            return;
        }
        if let Some(index) = zips::index_of(zip, name) {
            zips::member(w, zip, index, origin.child(name), name, depth + 1);
        }
    }
}

fn missing(part: &str) -> Problem {
    Problem::corrupt(format!("office document has no {part}"))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::zips::tests::make_zip;
    use crate::{Extractor, Limits};

    const TYPES: (&str, &[u8]) = ("[Content_Types].xml", b"<Types/>");

    fn run(name: &str, bytes: &[u8]) -> crate::Extraction {
        Extractor::new(Limits::default()).extract(Origin::path(name), bytes, None)
    }

    #[test]
    fn docx_body_and_footer() {
        let body = br#"<w:document xmlns:w="w"><w:body><w:tbl><w:tr><w:tc><w:p><w:r><w:t>cell1</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>cell2</w:t></w:r></w:p></w:tc></w:tr></w:tbl><w:p><w:r><w:t>MARKER-DOCX</w:t></w:r></w:p></w:body></w:document>"#;
        let footer = br#"<w:ftr xmlns:w="w"><w:p><w:r><w:t>foot</w:t></w:r></w:p></w:ftr>"#;
        let bytes = make_zip(&[
            TYPES,
            ("word/document.xml", body),
            ("word/footer1.xml", footer),
        ]);
        let out = run("a.docx", &bytes);
        assert!(out.mismatches.is_empty() && out.unscannable.is_empty());
        let words: Vec<&str> = out.segments[0].text.split_whitespace().collect();
        assert_eq!(words, ["cell1", "cell2", "MARKER-DOCX"]);
        assert_eq!(
            out.segments[1].origin.member.as_deref(),
            Some("word/footer1.xml")
        );
    }

    #[test]
    fn xlsx_sheets_with_shared_and_inline_strings() {
        let workbook = br#"<workbook xmlns:r="r"><sheets><sheet name="Summary" sheetId="1" r:id="rId1"/><sheet name="Payroll" sheetId="2" r:id="rId2"/></sheets></workbook>"#;
        let rels = br#"<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Target="/xl/worksheets/sheet2.xml"/></Relationships>"#;
        let shared = br#"<sst><si><t>Name</t></si><si><r><t>Ja</t></r><r><t>ne</t></r><rPh><t>x</t></rPh></si></sst>"#;
        let sheet1 = br#"<worksheet><sheetData><row><c t="s"><v>0</v></c><c><v>42</v></c></row></sheetData></worksheet>"#;
        let sheet2 = br#"<worksheet><sheetData><row><c t="s"><v>1</v></c><c t="inlineStr"><is><t>4111 1111</t></is></c></row></sheetData></worksheet>"#;
        let bytes = make_zip(&[
            TYPES,
            ("xl/workbook.xml", workbook),
            ("xl/_rels/workbook.xml.rels", rels),
            ("xl/sharedStrings.xml", shared),
            ("xl/worksheets/sheet1.xml", sheet1),
            ("xl/worksheets/sheet2.xml", sheet2),
        ]);
        let out = run("book.xlsx", &bytes);
        assert!(out.unscannable.is_empty(), "{:?}", out.unscannable);
        assert_eq!(out.segments[0].origin.sheet.as_deref(), Some("Summary"));
        assert_eq!(out.segments[0].text, "Name\t42\t\n");
        assert_eq!(out.segments[1].origin.sheet.as_deref(), Some("Payroll"));
        assert_eq!(out.segments[1].text, "Jane\t4111 1111\t\n");
    }

    #[test]
    fn pptx_slides_in_presentation_order() {
        let pres = br#"<p:presentation xmlns:p="p" xmlns:r="r"><p:sldIdLst><p:sldId id="256" r:id="rId3"/><p:sldId id="257" r:id="rId2"/></p:sldIdLst></p:presentation>"#;
        let rels = br#"<Relationships><Relationship Id="rId2" Target="slides/slide1.xml"/><Relationship Id="rId3" Target="slides/slide2.xml"/></Relationships>"#;
        let slide = |t: &str| {
            format!(
                r#"<p:sld xmlns:a="a" xmlns:p="p"><a:p><a:r><a:t>{t}</a:t></a:r></a:p></p:sld>"#
            )
        };
        let (s1, s2) = (slide("first file"), slide("second file"));
        let bytes = make_zip(&[
            TYPES,
            ("ppt/presentation.xml", pres),
            ("ppt/_rels/presentation.xml.rels", rels),
            ("ppt/slides/slide1.xml", s1.as_bytes()),
            ("ppt/slides/slide2.xml", s2.as_bytes()),
        ]);
        let out = run("deck.pptx", &bytes);
        assert_eq!(out.segments[0].origin.page, Some(1));
        assert_eq!(out.segments[0].text, "second file\n");
        assert_eq!(out.segments[1].origin.page, Some(2));
    }

    #[test]
    fn embedded_workbook_is_a_child() {
        let inner = make_zip(&[("note.txt", b"embedded secret")]);
        let body = br#"<w:document xmlns:w="w"><w:p><w:r><w:t>x</w:t></w:r></w:p></w:document>"#;
        let bytes = make_zip(&[
            TYPES,
            ("word/document.xml", body),
            ("word/embeddings/pack.zip", &inner),
        ]);
        let out = run("a.docx", &bytes);
        let last = &out.segments[out.segments.len() - 1];
        assert_eq!(
            last.origin.member.as_deref(),
            Some("word/embeddings/pack.zip!note.txt")
        );
    }

    #[test]
    fn resolves_relationship_targets() {
        assert_eq!(
            resolve("xl/", "worksheets/sheet1.xml"),
            "xl/worksheets/sheet1.xml"
        );
        assert_eq!(resolve("ppt/", "/ppt/slides/s.xml"), "ppt/slides/s.xml");
        assert_eq!(resolve("ppt/slides/", "../media/x.png"), "ppt/media/x.png");
    }
}
