#!/usr/bin/env python3
"""Generate the Python-made text-extraction fixtures for Leakwall.

Called by make.sh (see README.md); not run by CI.  Two stages:

  make.py gen  OUTDIR WORKDIR   python-made fixtures into OUTDIR, plus the
                                .docx/.xlsx sources that make.sh converts
                                with LibreOffice, into WORKDIR/<kind>/
  make.py post OUTDIR           fixtures derived from LibreOffice output
                                (truncated.pdf from report.pdf)

Needs: python-docx, openpyxl, python-pptx, XlsxWriter (PyPI; XlsxWriter
comes with python-pptx); everything else is stdlib.
"""
import datetime
import email.policy
import os
import struct
import sys
import zipfile
import zlib
from email.message import EmailMessage

import docx
import openpyxl
import pptx
import xlsxwriter
from docx.enum.text import WD_BREAK
from docx.shared import Pt
from pptx.util import Inches

SENTENCE = "Leakwall test card 4111 1111 1111 1111 mail jane.doe@corp-mail.com"
FIXED_DT = datetime.datetime(2024, 1, 2, 3, 4, 5)
ZIP_DT = (2024, 1, 2, 3, 4, 6)
FONT = "DejaVu Sans"  # present on Debian via fonts-dejavu-core; avoids substitution


def _docx_pin(d):
    """Pin core properties so the XML inside is stable (zip timestamps are not)."""
    cp = d.core_properties
    cp.author = "Leakwall fixtures"
    cp.last_modified_by = "Leakwall fixtures"
    cp.created = FIXED_DT
    cp.modified = FIXED_DT
    cp.revision = 1
    cp.title = "Leakwall extraction fixture"


def _docx_font(d):
    st = d.styles["Normal"]
    st.font.name = FONT
    st.font.size = Pt(11)
    rpr = st.element.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        rfonts.set(docx.oxml.ns.qn(attr), FONT)


def make_letter_docx(path):
    """letter.docx: two paragraphs and a 2x2 table; MARKER-DOCX only in the table."""
    d = docx.Document()
    _docx_pin(d)
    _docx_font(d)
    d.add_paragraph("Dear colleague, this letter is a Leakwall extraction fixture.")
    d.add_paragraph(SENTENCE)
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text = "Field"
    t.cell(0, 1).text = "Value"
    t.cell(1, 0).text = "Marker"
    t.cell(1, 1).text = "MARKER-DOCX"
    d.save(path)


def make_source_docx(path, marker, extra=None, page_break_before_marker=False):
    """Source document for a LibreOffice conversion (not checked in)."""
    d = docx.Document()
    _docx_pin(d)
    _docx_font(d)
    d.add_paragraph("Leakwall extraction fixture.")
    d.add_paragraph(SENTENCE)
    if extra:
        d.add_paragraph(extra)
    if page_break_before_marker:
        d.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    d.add_paragraph(marker)
    d.save(path)


def make_sheet_xlsx(path, marker):
    """XlsxWriter: sheets Summary (numbers) and Payroll (sentence, marker, numbers).

    XlsxWriter, like Excel and LibreOffice, stores strings in xl/sharedStrings.xml
    (cells with t="s").  openpyxl 3.1 no longer does (it writes t="inlineStr"),
    which is why sheet-inline.xlsx below is the openpyxl variant.
    """
    wb = xlsxwriter.Workbook(path)
    wb.set_properties({"author": "Leakwall fixtures", "created": FIXED_DT})
    s = wb.add_worksheet("Summary")
    rows = [["Quarter", "Revenue", "Cost"], ["Q1", 1200, 800.5],
            ["Q2", 1350, 905.25], ["Q3", 990, 610]]
    for r, row in enumerate(rows):
        s.write_row(r, 0, row)
    p = wb.add_worksheet("Payroll")
    p.write_row(0, 0, ["Employee", "Note", "Salary"])
    p.write_row(1, 0, ["Jane Doe", SENTENCE, 52000])
    p.write_row(2, 0, ["Marker", marker, 4111])
    wb.close()


def make_sheet_inline_xlsx(path, marker):
    """openpyxl: same layout; openpyxl 3.1 writes every string inline (t="inlineStr")."""
    wb = openpyxl.Workbook()
    wb.properties.creator = "Leakwall fixtures"
    wb.properties.created = FIXED_DT
    wb.properties.modified = FIXED_DT
    s = wb.active
    s.title = "Summary"
    s.append(["Quarter", "Revenue", "Cost"])
    s.append(["Q1", 1200, 800.5])
    s.append(["Q2", 1350, 905.25])
    s.append(["Q3", 990, 610])
    p = wb.create_sheet("Payroll")
    p.append(["Employee", "Note", "Salary"])
    p.append(["Jane Doe", SENTENCE, 52000])
    p.append(["Marker", marker, 4111])
    wb.save(path)


def make_slides_pptx(path):
    prs = pptx.Presentation()
    cp = prs.core_properties
    cp.author = "Leakwall fixtures"
    cp.created = FIXED_DT
    cp.modified = FIXED_DT
    cp.revision = 1
    s1 = prs.slides.add_slide(prs.slide_layouts[1])  # Title and Content
    s1.shapes.title.text = "Leakwall fixture deck"
    s1.placeholders[1].text = SENTENCE
    s2 = prs.slides.add_slide(prs.slide_layouts[5])  # Title Only
    s2.shapes.title.text = "Second slide"
    tb = s2.shapes.add_textbox(Inches(1), Inches(2), Inches(6), Inches(1))
    tb.text_frame.text = "MARKER-PPTX"
    prs.save(path)


HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Leakwall HTML fixture</title>
<style>
  body { font-family: sans-serif; } /* STYLE-NOT-TEXT */
</style>
<script>
  var hidden = "MARKER-SCRIPT";
  if (1 < 2 && hidden) { console.log(hidden); }
</script>
</head>
<body>
<!-- a comment that is not text: COMMENT-NOT-TEXT -->
<h1>Smith &amp; Sons quarterly note</h1>
<p>Leakwall test card 4111 1111 1111 1111 mail jane.doe&#64;corp-mail.com</p>
<p>Contact: M&uuml;ller &lt;hr&gt; &#x2014; <b>MARKER-HTML</b></p>
</body>
</html>
"""


def make_page_html(path):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(HTML)


def make_message_eml(path, docx_path):
    msg = EmailMessage(policy=email.policy.SMTP)  # CRLF line endings
    msg["From"] = "Jane Doe <jane.doe@corp-mail.com>"
    msg["To"] = "Audit <audit@example.com>"
    msg["Subject"] = "Leakwall EML fixture"
    msg["Date"] = "Tue, 02 Jan 2024 03:04:05 +0000"
    msg["Message-ID"] = "<fixture-1@leakwall.test>"
    plain = (
        "Hello M\u00fcller,\n"
        "\n"
        + SENTENCE + "\n"
        "MARKER-EML\n"
        "\n"
        "This deliberately long line makes the quoted-printable encoder insert a "
        "soft line break somewhere in the middle of it, so decoders must join it.\n"
    )
    msg.set_content(plain, subtype="plain", charset="utf-8", cte="quoted-printable")
    html = (
        "<html><body><p>Hello M\u00fcller,</p><p>" + SENTENCE.replace("@", "&#64;")
        + "</p><p>MARKER-EML-HTML</p></body></html>\n"
    )
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    with open(docx_path, "rb") as f:
        msg.add_attachment(
            f.read(),
            maintype="application",
            subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
            filename="letter.docx",
        )  # base64 by default for binary
    # Stable boundaries (default ones are random).
    msg.set_boundary("==leakwall-mixed==")
    msg.get_payload()[0].set_boundary("==leakwall-alt==")
    with open(path, "wb") as f:
        f.write(msg.as_bytes(policy=email.policy.SMTP))


def _zinfo(name):
    zi = zipfile.ZipInfo(name, date_time=ZIP_DT)
    zi.compress_type = zipfile.ZIP_DEFLATED
    zi.external_attr = 0o644 << 16
    return zi


def make_archive_zip(path, docx_path):
    import io

    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr(_zinfo("deep.txt"), "MARKER-ZIP-DEEP\n" + SENTENCE + "\n")
    with open(docx_path, "rb") as f:
        docx_bytes = f.read()
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(_zinfo("notes.txt"), "MARKER-ZIP-INNER\n" + SENTENCE + "\n")
        zi = _zinfo("docs/letter.docx")
        z.writestr(zi, docx_bytes)
        zi = _zinfo("inner.zip")
        zi.compress_type = zipfile.ZIP_STORED
        z.writestr(zi, inner.getvalue())


def make_bomb_zip(path):
    """One member zeros.bin = 200 MiB of zero bytes, deflate level 9, streamed."""
    size = 200 * 1024 * 1024
    chunk = bytes(1024 * 1024)
    zi = _zinfo("zeros.bin")
    zi.file_size = size  # lets zipfile decide no ZIP64 is needed
    with zipfile.ZipFile(path, "w", compresslevel=9) as z:
        with z.open(zi, "w") as w:
            for _ in range(size // len(chunk)):
                w.write(chunk)


def make_zipslip_zip(path):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(_zinfo("ok.txt"), "ok member\n" + SENTENCE + "\n")
        # ZipInfo keeps the name verbatim (ZipFile.write/extract would sanitise).
        z.writestr(_zinfo("../../evil.txt"), "MARKER-ZIPSLIP path traversal member\n")


def make_utf16(path):
    text = "MARKER-UTF16\r\n" + SENTENCE + "\r\nM\u00fcller \u6771\u4eac\r\n"
    with open(path, "wb") as f:
        f.write(b"\xff\xfe" + text.encode("utf-16-le"))


def make_latin1(path):
    text = "MARKER-LATIN1\n" + SENTENCE + "\nM\u00fcller Stra\u00dfe\n"
    data = text.encode("iso-8859-1")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        raise SystemExit("latin1.txt unexpectedly valid UTF-8")
    with open(path, "wb") as f:
        f.write(data)


def make_png(path, w=16, h=16):
    """A real 16x16 RGB PNG (red/blue checkerboard), stdlib only."""

    def chunk(tag, data):
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    rows = b""
    for y in range(h):
        rows += b"\x00"  # filter: none
        for x in range(w):
            rows += b"\xff\x00\x00" if (x // 4 + y // 4) % 2 == 0 else b"\x00\x00\xff"
    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows, 9))
           + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


def gen(out, work):
    j = lambda *p: os.path.join(out, *p)  # noqa: E731
    make_letter_docx(j("letter.docx"))
    make_sheet_xlsx(j("sheet.xlsx"), "MARKER-XLSX")
    make_sheet_inline_xlsx(j("sheet-inline.xlsx"), "MARKER-XLSX-INLINE")
    make_slides_pptx(j("slides.pptx"))
    make_page_html(j("page.html"))
    make_message_eml(j("message.eml"), j("letter.docx"))
    make_archive_zip(j("archive.zip"), j("letter.docx"))
    make_bomb_zip(j("bomb.zip"))
    make_zipslip_zip(j("zipslip.zip"))
    make_utf16(j("utf16.txt"))
    make_latin1(j("latin1.txt"))
    make_png(j("png-named.pdf"))
    # Sources for LibreOffice conversions (each in its own dir so the output
    # file name, which soffice derives from the input name, is the final one).
    for sub in ("odt", "pdf", "rtf", "ods"):
        os.makedirs(os.path.join(work, sub), exist_ok=True)
    make_source_docx(os.path.join(work, "odt", "report.docx"), "MARKER-ODT")
    make_source_docx(os.path.join(work, "pdf", "report.docx"), "MARKER-PDF-PAGE2",
                     page_break_before_marker=True)
    make_source_docx(os.path.join(work, "rtf", "note.docx"), "MARKER-RTF",
                     extra="Herr M\u00fcller aus Z\u00fcrich gr\u00fc\u00dft.")
    make_sheet_xlsx(os.path.join(work, "ods", "sheet.xlsx"), "MARKER-ODS")
    with open(os.path.join(work, "secret.txt"), "w") as f:
        f.write(SENTENCE + "\n")
    os.makedirs(os.path.join(work, "tgz", "logs"), exist_ok=True)
    with open(os.path.join(work, "tgz", "logs", "app.log"), "w") as f:
        f.write("2024-01-02T03:04:05Z INFO MARKER-TGZ\n"
                "2024-01-02T03:04:06Z WARN " + SENTENCE + "\n")


def post(out):
    with open(os.path.join(out, "report.pdf"), "rb") as f:
        data = f.read()
    with open(os.path.join(out, "truncated.pdf"), "wb") as f:
        f.write(data[: len(data) // 2])


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "gen":
        gen(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "post":
        post(sys.argv[2])
    else:
        raise SystemExit(__doc__)
