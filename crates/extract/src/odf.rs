//! OpenDocument: the text of `content.xml` (per table for spreadsheets) and of the headers
//! and footers in `styles.xml`.

use crate::capped::{Budget, Problem};
use crate::sniff::FileType;
use crate::walk::Walker;
use crate::xml::{self, attr, local, Ev};
use crate::zips::Zip;
use crate::Origin;

/// Extracts an OpenDocument package: ODS per table, anything else as one text.
pub(crate) fn extract(
    w: &mut Walker<'_>,
    origin: &Origin,
    bytes: &[u8],
    kind: FileType,
) -> Result<(), Problem> {
    let mut zip = Zip::open(bytes)?;
    zip.check_entries(w.budget.limits.max_entries)?;
    let content = zip
        .read_named("content.xml", &w.budget)?
        .ok_or_else(|| Problem::corrupt("OpenDocument file has no content.xml"))?;
    let per_table = kind == FileType::Ods;
    for (table, text) in text_of(&content, "content.xml", per_table, &w.budget)? {
        w.push_text(
            Origin {
                sheet: table,
                ..origin.clone()
            },
            &text,
        );
    }
    if let Some(styles) = zip.read_named("styles.xml", &w.budget)? {
        for (_, text) in text_of(&styles, "styles.xml", false, &w.budget)? {
            w.push_text(origin.child("styles.xml"), &text);
        }
    }
    Ok(())
}

/// The text of an ODF XML part; with `per_table`, one piece per top-level `table:table`
/// (named), text outside tables in unnamed pieces.
fn text_of(
    xml: &[u8],
    part: &str,
    per_table: bool,
    budget: &Budget<'_>,
) -> Result<Vec<(Option<String>, String)>, Problem> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut table: Option<String> = None;
    let mut table_depth = 0u32;
    xml::walk(xml, part, budget, |ev| match ev {
        Ev::Start(e) if per_table && local(e) == b"table" => {
            table_depth += 1;
            if table_depth == 1 {
                pieces.push((table.take(), std::mem::take(&mut current)));
                table = Some(attr(e, b"name").unwrap_or_default());
            }
        }
        Ev::Start(_) => {}
        Ev::Text(t) => current.push_str(t),
        Ev::End(name) => match name {
            b"p" | b"h" | b"line-break" | b"table-row" => current.push('\n'),
            b"table-cell" | b"tab" => current.push('\t'),
            b"s" => current.push(' '),
            b"table" if per_table => {
                table_depth = table_depth.saturating_sub(1);
                if table_depth == 0 {
                    pieces.push((table.take(), std::mem::take(&mut current)));
                }
            }
            _ => {}
        },
    })?;
    pieces.push((table, current));
    pieces.retain(|(name, text)| name.is_some() || !text.trim().is_empty());
    Ok(pieces)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use std::io::Write;

    use zip::write::SimpleFileOptions;
    use zip::CompressionMethod;

    use crate::{Extractor, FileType, Limits, Origin};

    fn odf(mime: &str, content: &str) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        w.start_file("mimetype", stored).unwrap_or_default();
        w.write_all(mime.as_bytes()).unwrap_or_default();
        w.start_file("content.xml", SimpleFileOptions::default())
            .unwrap_or_default();
        w.write_all(content.as_bytes()).unwrap_or_default();
        w.finish().map(|c| c.into_inner()).unwrap_or_default()
    }

    #[test]
    fn odt_text_with_spaces_and_tabs() {
        let content = r#"<office:document-content xmlns:office="o" xmlns:text="t"><office:body><office:text><text:h>Title</text:h><text:p>MARKER-ODT<text:s/>word<text:tab/>next</text:p><text:p>two</text:p></office:text></office:body></office:document-content>"#;
        let bytes = odf("application/vnd.oasis.opendocument.text", content);
        assert_eq!(crate::sniff(&bytes), FileType::Odt);
        let out = Extractor::new(Limits::default()).extract(Origin::path("a.odt"), &bytes, None);
        assert!(out.mismatches.is_empty());
        assert_eq!(out.segments[0].text, "Title\nMARKER-ODT word\tnext\ntwo\n");
    }

    #[test]
    fn ods_text_per_table() {
        let content = r#"<office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x"><office:body><office:spreadsheet><table:table table:name="Payroll"><table:table-row><table:table-cell><text:p>Jane</text:p></table:table-cell><table:table-cell><text:p>4111</text:p></table:table-cell></table:table-row></table:table><table:table table:name="Other"><table:table-row><table:table-cell><text:p>x</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#;
        let bytes = odf("application/vnd.oasis.opendocument.spreadsheet", content);
        assert_eq!(crate::sniff(&bytes), FileType::Ods);
        let out = Extractor::new(Limits::default()).extract(Origin::path("a.ods"), &bytes, None);
        assert_eq!(out.segments.len(), 2);
        assert_eq!(out.segments[0].origin.sheet.as_deref(), Some("Payroll"));
        let words: Vec<&str> = out.segments[0].text.split_whitespace().collect();
        assert_eq!(words, ["Jane", "4111"]);
        assert_eq!(out.segments[1].origin.sheet.as_deref(), Some("Other"));
    }
}
