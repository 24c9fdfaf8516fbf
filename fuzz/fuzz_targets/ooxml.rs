//! DOCX, XLSX and PPTX: the input becomes the XML parts of a well-formed package (parts
//! split at 0xFF bytes; the first byte picks the kind), so mutations reach the XML readers.
#![no_main]
use libfuzzer_sys::fuzz_target;

mod common;

const TYPES: (&str, &[u8]) = ("[Content_Types].xml", b"<Types/>");

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let p = common::parts(rest, 4);
    let (bytes, name) = match kind % 3 {
        0 => (
            common::zip_of(
                &[
                    TYPES,
                    ("word/document.xml", p[0]),
                    ("word/footer1.xml", p[1]),
                ],
                false,
            ),
            "input.docx",
        ),
        1 => (
            common::zip_of(
                &[
                    TYPES,
                    ("xl/workbook.xml", p[0]),
                    ("xl/_rels/workbook.xml.rels", p[1]),
                    ("xl/sharedStrings.xml", p[2]),
                    ("xl/worksheets/sheet1.xml", p[3]),
                ],
                false,
            ),
            "input.xlsx",
        ),
        _ => (
            common::zip_of(
                &[
                    TYPES,
                    ("ppt/presentation.xml", p[0]),
                    ("ppt/_rels/presentation.xml.rels", p[1]),
                    ("ppt/slides/slide1.xml", p[2]),
                    ("ppt/notesSlides/notesSlide1.xml", p[3]),
                ],
                false,
            ),
            "input.pptx",
        ),
    };
    common::run(name, &bytes);
});
