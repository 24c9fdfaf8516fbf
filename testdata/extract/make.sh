#!/usr/bin/env bash
# Regenerate the text-extraction fixtures in testdata/extract/.
# Run from the repo root:  bash testdata/extract/make.sh
# Not run by CI: the generated files are checked in.  See README.md.
#
# Needs (Debian 12): libreoffice-writer libreoffice-calc zip tar gzip
#   (poppler-utils and unzip only for the checks at the end)
# and (PyPI): python-docx openpyxl python-pptx XlsxWriter (dependency of python-pptx)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$HERE"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

FIXTURES=(letter.docx report.odt report.pdf sheet.xlsx sheet-inline.xlsx sheet.ods slides.pptx
  note.rtf page.html message.eml archive.zip bundle.tar.gz utf16.txt
  latin1.txt bomb.zip zipslip.zip encrypted.zip truncated.pdf png-named.pdf)

# Start clean so that zip/tar never append to an old file.
for f in "${FIXTURES[@]}"; do rm -f "$OUT/$f"; done

# 1. Python-made fixtures and the sources for the LibreOffice conversions.
python3 "$HERE/make.py" gen "$OUT" "$WORK"

# 2. LibreOffice conversions (private profile, so a running soffice or the
#    user's profile is not touched).  One call at a time: it is heavy.
SOFFICE=(soffice -env:UserInstallation="file://$WORK/lo-profile" --headless --norestore)
"${SOFFICE[@]}" --convert-to odt --outdir "$OUT" "$WORK/odt/report.docx"
"${SOFFICE[@]}" --convert-to pdf --outdir "$OUT" "$WORK/pdf/report.docx"
"${SOFFICE[@]}" --convert-to rtf --outdir "$OUT" "$WORK/rtf/note.docx"
"${SOFFICE[@]}" --convert-to ods --outdir "$OUT" "$WORK/ods/sheet.xlsx"

# 3. Fixtures derived from the PDF.
python3 "$HERE/make.py" post "$OUT"

# 4. Info-ZIP ZipCrypto archive (its encryption header is random, so this file
#    differs on every run; the content does not).
(cd "$WORK" && zip -X -P secret "$OUT/encrypted.zip" secret.txt)

# 5. GNU tar + gzip, with fixed metadata.
(cd "$WORK/tgz" && tar --sort=name --owner=0 --group=0 --numeric-owner \
  --mtime='2024-01-02 03:04:05Z' -czf "$OUT/bundle.tar.gz" logs)

# 6. Quick checks.
for f in "${FIXTURES[@]}"; do
  test -s "$OUT/$f" || { echo "missing: $f" >&2; exit 1; }
done
if command -v pdftotext >/dev/null; then
  pdftotext -f 2 -l 2 "$OUT/report.pdf" - | grep -q MARKER-PDF-PAGE2
  pdftotext -f 1 -l 1 "$OUT/report.pdf" - | grep -q '4111 1111 1111 1111'
fi
bomb_size=$(stat -c %s "$OUT/bomb.zip")
test "$bomb_size" -lt 256000 || { echo "bomb.zip too big: $bomb_size" >&2; exit 1; }
ls -l "${FIXTURES[@]/#/$OUT/}"
echo "ok"
