//! The `files/` part of the corpus: small DOCX, XLSX, ZIP and PDF files, each holding dense chat
//! text and a few planted secrets. The OOXML and PDF are minimal but valid, written by hand.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use zip::write::SimpleFileOptions;

use crate::secrets::Kind;
use crate::text::LineGen;

/// Records (one or more lines each) with 1–3 planted secrets among `n` noise records.
fn records(gen: &mut LineGen, n: usize, planted: &mut Vec<Kind>) -> Vec<String> {
    let mut out: Vec<String> = (0..n)
        .map(|_| {
            let mut s = String::new();
            gen.next_record(&mut s);
            s.trim_end().to_string()
        })
        .collect();
    let k = 1 + n % 3;
    for i in 0..k {
        let mut s = String::new();
        planted.push(gen.plant_next(&mut s));
        let at = (i * 7919 + n) % out.len();
        out.insert(at, s.trim_end().to_string());
    }
    out
}

fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            _ => o.push(c),
        }
    }
    o
}

const XML_DECL: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;
const NS_PKG_REL: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const NS_DOC_REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const NS_SML: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

fn zip_parts(path: &Path, parts: &[(&str, String)]) -> io::Result<()> {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path)?);
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in parts {
        z.start_file(*name, opts).map_err(io::Error::other)?;
        z.write_all(body.as_bytes())?;
    }
    z.finish().map_err(io::Error::other)?;
    Ok(())
}

fn content_types(overrides: &[(&str, &str)]) -> String {
    let mut s = format!(
        r#"{XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>"#
    );
    for (part, ct) in overrides {
        let _ = write!(s, r#"<Override PartName="{part}" ContentType="{ct}"/>"#);
    }
    s + "</Types>"
}

fn root_rels(target: &str) -> String {
    format!(
        r#"{XML_DECL}<Relationships xmlns="{NS_PKG_REL}"><Relationship Id="rId1" Type="{NS_DOC_REL}/officeDocument" Target="{target}"/></Relationships>"#
    )
}

/// A minimal valid DOCX: one paragraph per line.
pub fn write_docx(path: &Path, recs: &[String]) -> io::Result<()> {
    let mut doc = format!(
        r#"{XML_DECL}<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#
    );
    for line in recs.iter().flat_map(|r| r.lines()) {
        let _ = write!(
            doc,
            r#"<w:p><w:r><w:t xml:space="preserve">{}</w:t></w:r></w:p>"#,
            xml_escape(line)
        );
    }
    doc.push_str("</w:body></w:document>");
    let ct = content_types(&[(
        "/word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    )]);
    zip_parts(
        path,
        &[
            ("[Content_Types].xml", ct),
            ("_rels/.rels", root_rels("word/document.xml")),
            ("word/document.xml", doc),
        ],
    )
}

/// A minimal valid XLSX: column A the row number, column B the record (shared string).
pub fn write_xlsx(path: &Path, recs: &[String]) -> io::Result<()> {
    let mut sst = format!(
        r#"{XML_DECL}<sst xmlns="{NS_SML}" count="{0}" uniqueCount="{0}">"#,
        recs.len()
    );
    let mut sheet = format!(r#"{XML_DECL}<worksheet xmlns="{NS_SML}"><sheetData>"#);
    for (i, r) in recs.iter().enumerate() {
        let _ = write!(
            sst,
            r#"<si><t xml:space="preserve">{}</t></si>"#,
            xml_escape(r)
        );
        let n = i + 1;
        let _ = write!(
            sheet,
            r#"<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}" t="s"><v>{i}</v></c></row>"#
        );
    }
    sst.push_str("</sst>");
    sheet.push_str("</sheetData></worksheet>");
    let workbook = format!(
        r#"{XML_DECL}<workbook xmlns="{NS_SML}" xmlns:r="{NS_DOC_REL}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let wb_rels = format!(
        r#"{XML_DECL}<Relationships xmlns="{NS_PKG_REL}"><Relationship Id="rId1" Type="{NS_DOC_REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{NS_DOC_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#
    );
    let ml = "application/vnd.openxmlformats-officedocument.spreadsheetml";
    let ct = content_types(&[
        ("/xl/workbook.xml", &format!("{ml}.sheet.main+xml")),
        ("/xl/worksheets/sheet1.xml", &format!("{ml}.worksheet+xml")),
        ("/xl/sharedStrings.xml", &format!("{ml}.sharedStrings+xml")),
    ]);
    zip_parts(
        path,
        &[
            ("[Content_Types].xml", ct),
            ("_rels/.rels", root_rels("xl/workbook.xml")),
            ("xl/workbook.xml", workbook),
            ("xl/_rels/workbook.xml.rels", wb_rels),
            ("xl/sharedStrings.xml", sst),
            ("xl/worksheets/sheet1.xml", sheet),
        ],
    )
}

/// A ZIP holding one to three plain-text logs.
pub fn write_zip(path: &Path, recs: &[String]) -> io::Result<()> {
    let parts = 1 + recs.len() % 3;
    let per = recs.len().div_ceil(parts);
    let names = [
        "chat-export.log",
        "support/ticket-notes.txt",
        "logs/app.log",
    ];
    let bodies: Vec<(&str, String)> = recs
        .chunks(per)
        .zip(names)
        .map(|(c, n)| (n, c.join("\n") + "\n"))
        .collect();
    zip_parts(path, &bodies)
}

/// A minimal valid one-page PDF (Helvetica, uncompressed content stream, exact xref offsets).
/// Text is ASCII only (other characters become `?`); at most 70 lines fit the page.
pub fn write_pdf(path: &Path, recs: &[String]) -> io::Result<()> {
    let mut content = String::from("BT /F1 8 Tf 10 TL 36 756 Td\n");
    for line in recs.iter().flat_map(|r| r.lines()).take(70) {
        content.push('(');
        for c in line.chars() {
            match c {
                '(' | ')' | '\\' => {
                    content.push('\\');
                    content.push(c);
                }
                ' '..='~' => content.push(c),
                _ => content.push('?'),
            }
        }
        content.push_str(") Tj T*\n");
    }
    content.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_string(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
    ];
    let mut pdf = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        let _ = write!(pdf, "{} 0 obj\n{body}\nendobj\n", i + 1);
    }
    let xref = pdf.len();
    let _ = write!(pdf, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for o in offsets {
        let _ = writeln!(pdf, "{o:010} 00000 n ");
    }
    let _ = write!(
        pdf,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    std::fs::write(path, pdf)
}

/// Writes `count` files into `dir` (cycling DOCX, XLSX, ZIP, PDF) and returns, for each planted
/// secret, the file name and kind.
pub fn write_files(dir: &Path, count: usize, seed: u64) -> io::Result<Vec<(String, Kind)>> {
    std::fs::create_dir_all(dir)?;
    let mut gen = LineGen::new(seed);
    gen.secret_every = u64::MAX;
    let mut planted = Vec::new();
    for i in 0..count {
        let mut kinds = Vec::new();
        let n = 20 + (i * 37) % 100;
        let recs = records(&mut gen, if i % 4 == 3 { n.min(35) } else { n }, &mut kinds);
        let name = match i % 4 {
            0 => format!("memo-{i:03}.docx"),
            1 => format!("export-{i:03}.xlsx"),
            2 => format!("logs-{i:03}.zip"),
            _ => format!("report-{i:03}.pdf"),
        };
        let path = dir.join(&name);
        match i % 4 {
            0 => write_docx(&path, &recs)?,
            1 => write_xlsx(&path, &recs)?,
            2 => write_zip(&path, &recs)?,
            _ => write_pdf(&path, &recs)?,
        }
        planted.extend(kinds.into_iter().map(|k| (name.clone(), k)));
    }
    Ok(planted)
}
