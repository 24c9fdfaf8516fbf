//! ZIP archives: opening, reading one member through the capped reader, walking members.

use std::io::Cursor;

use zip::ZipArchive;

use crate::capped::{read_capped, Budget, Problem};
use crate::walk::{is_unsafe_path, Walker};
use crate::{Origin, UnscannableReason};

/// An open ZIP archive over bytes in memory.
pub(crate) struct Zip<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
    input_len: u64,
}

impl<'a> Zip<'a> {
    /// Opens an archive (reads its central directory; decompresses nothing).
    pub(crate) fn open(bytes: &'a [u8]) -> Result<Self, Problem> {
        let archive = ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| Problem::corrupt(format!("unreadable ZIP archive: {e}")))?;
        Ok(Zip {
            archive,
            input_len: bytes.len() as u64,
        })
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.archive.len()
    }

    /// Fails with `too_many_entries` when the archive has more entries than allowed.
    pub(crate) fn check_entries(&self, max: u32) -> Result<(), Problem> {
        if self.len() > max as usize {
            return Err(too_many(self.len(), max));
        }
        Ok(())
    }

    /// Every entry name, in archive order.
    pub(crate) fn names(&self) -> Vec<String> {
        self.archive
            .file_names_raw()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .collect()
    }

    /// The name of entry `index` and whether it is a directory.
    fn entry(&mut self, index: usize) -> Result<(String, bool), Problem> {
        let raw = self
            .archive
            .by_index_raw(index)
            .map_err(|e| Problem::corrupt(format!("unreadable ZIP entry {index}: {e}")))?;
        let name = match raw.name() {
            Ok(n) => n.into_owned(),
            Err(_) => String::from_utf8_lossy(raw.name_raw()).into_owned(),
        };
        Ok((name, raw.is_dir()))
    }

    /// Decompresses entry `index` through the capped reader. An encrypted entry is
    /// `encrypted`; a damaged one `corrupt`.
    pub(crate) fn read(&mut self, index: usize, budget: &Budget<'_>) -> Result<Vec<u8>, Problem> {
        let compressed = {
            let raw = self
                .archive
                .by_index_raw(index)
                .map_err(|e| Problem::corrupt(format!("unreadable ZIP entry: {e}")))?;
            if raw.encrypted() {
                return Err(Problem::new(
                    UnscannableReason::Encrypted,
                    "ZIP entry is encrypted (encryption flag set)",
                ));
            }
            raw.compressed_size().min(self.input_len)
        };
        let file = self
            .archive
            .by_index(index)
            .map_err(|e| Problem::corrupt(format!("unreadable ZIP entry: {e}")))?;
        read_capped(file, compressed, budget)
    }

    /// Decompresses the entry with this exact name, if there is one.
    pub(crate) fn read_named(
        &mut self,
        name: &str,
        budget: &Budget<'_>,
    ) -> Result<Option<Vec<u8>>, Problem> {
        match self.archive.index_for_name(name) {
            Some(index) => self.read(index, budget).map(Some),
            None => Ok(None),
        }
    }
}

fn too_many(count: usize, max: u32) -> Problem {
    Problem::new(
        UnscannableReason::TooManyEntries,
        format!("{count} entries, more than the limit of {max}; the rest were not read"),
    )
}

/// Walks every member of a plain ZIP archive, extracting each as a child at `depth + 1`.
pub(crate) fn walk(
    w: &mut Walker<'_>,
    origin: &Origin,
    bytes: &[u8],
    depth: u32,
) -> Result<(), Problem> {
    let mut zip = Zip::open(bytes)?;
    let max = w.budget.limits.max_entries;
    for index in 0..zip.len().min(max as usize) {
        if w.stopped() {
            return Ok(());
        }
        w.budget.check_time()?;
        let (name, is_dir) = zip.entry(index)?;
        if is_dir {
            continue;
        }
        member(w, &mut zip, index, origin.child(&name), &name, depth + 1);
    }
    if zip.len() > max as usize {
        return Err(too_many(zip.len(), max));
    }
    Ok(())
}

/// Reads entry `index` and walks it as `member` (also used for embedded office objects).
pub(crate) fn member(
    w: &mut Walker<'_>,
    zip: &mut Zip<'_>,
    index: usize,
    member: Origin,
    name: &str,
    depth: u32,
) {
    if is_unsafe_path(name) {
        let detail = "member path is absolute or climbs out of the archive with `..`";
        w.record(&member, Problem::new(UnscannableReason::UnsafePath, detail));
    }
    if w.too_deep(&member, depth) {
        return;
    }
    match zip.read(index, &w.budget) {
        Ok(data) => w.walk(&member, &data, depth, name, None),
        Err(p) => w.record(&member, p),
    }
}

/// The index of an entry by exact name.
pub(crate) fn index_of(zip: &Zip<'_>, name: &str) -> Option<usize> {
    zip.archive.index_for_name(name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
pub(crate) mod tests {
    use std::io::Write;

    use zip::write::SimpleFileOptions;

    use crate::{Extractor, Limits, Origin, UnscannableReason};

    /// A ZIP of `(name, content)` members, deflated.
    pub(crate) fn make_zip(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default();
        for (name, data) in members {
            writer.start_file(*name, options).unwrap();
            writer.write_all(data).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    fn extract(name: &str, bytes: &[u8]) -> crate::Extraction {
        Extractor::new(Limits::default()).extract(Origin::path(name), bytes, None)
    }

    #[test]
    fn members_become_children() {
        let inner = make_zip(&[("deep.txt", b"inner secret")]);
        let outer = make_zip(&[("a.txt", b"hello"), ("docs/inner.zip", &inner)]);
        let out = extract("outer.zip", &outer);
        assert!(out.unscannable.is_empty(), "{:?}", out.unscannable);
        assert_eq!(out.segments.len(), 2);
        assert_eq!(out.segments[0].origin.member.as_deref(), Some("a.txt"));
        assert_eq!(
            out.segments[1].origin.member.as_deref(),
            Some("docs/inner.zip!deep.txt")
        );
        assert_eq!(out.segments[1].text, "inner secret");
    }

    #[test]
    fn zip_bomb_is_a_compression_ratio_problem() {
        let zeros = vec![0u8; 20 * 1024 * 1024];
        let bomb = make_zip(&[("zeros.bin", &zeros)]);
        assert!(bomb.len() < 100 * 1024);
        let out = extract("bomb.zip", &bomb);
        assert_eq!(out.unscannable.len(), 1);
        assert_eq!(
            out.unscannable[0].reason,
            UnscannableReason::CompressionRatio
        );
        assert_eq!(
            out.unscannable[0].origin.member.as_deref(),
            Some("zeros.bin")
        );
    }

    #[test]
    fn nested_bomb_hits_the_total_limit() {
        let limits = Limits {
            max_expanded_bytes: 4 * 1024 * 1024,
            ..Limits::default()
        };
        let zeros = vec![b'a'; 900 * 1024];
        let level1 = make_zip(&[("a", &zeros), ("b", &zeros), ("c", &zeros)]);
        let level2 = make_zip(&[("1.zip", &level1), ("2.zip", &level1), ("3.zip", &level1)]);
        let out = Extractor::new(limits).extract(Origin::path("n.zip"), &level2, None);
        let reasons: Vec<_> = out.unscannable.iter().map(|u| u.reason).collect();
        assert_eq!(reasons, vec![UnscannableReason::TooLarge]);
    }

    #[test]
    fn zip_slip_member_is_reported_and_still_scanned() {
        let bytes = make_zip(&[("../../evil.txt", b"payload")]);
        let out = extract("slip.zip", &bytes);
        assert_eq!(out.unscannable[0].reason, UnscannableReason::UnsafePath);
        assert_eq!(
            out.unscannable[0].origin.member.as_deref(),
            Some("../../evil.txt")
        );
        assert_eq!(out.segments[0].text, "payload");
    }

    #[test]
    fn encryption_flag_is_encrypted() {
        let mut bytes = make_zip(&[("secret.txt", b"classified")]);
        // Set bit 0 of the general-purpose flags in the local and central headers.
        bytes[6] |= 1;
        let central = bytes.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap();
        bytes[central + 8] |= 1;
        let out = extract("enc.zip", &bytes);
        assert!(out.segments.is_empty());
        assert_eq!(out.unscannable[0].reason, UnscannableReason::Encrypted);
    }

    #[test]
    fn too_deep_and_too_many_entries() {
        let limits = Limits {
            max_depth: 1,
            max_entries: 2,
            ..Limits::default()
        };
        let inner = make_zip(&[("x.txt", b"x")]);
        let outer = make_zip(&[("in.zip", &inner), ("b.txt", b"b"), ("c.txt", b"c")]);
        let out = Extractor::new(limits).extract(Origin::path("o.zip"), &outer, None);
        let reasons: Vec<_> = out.unscannable.iter().map(|u| u.reason).collect();
        assert_eq!(
            reasons,
            vec![
                UnscannableReason::TooDeep,
                UnscannableReason::TooManyEntries
            ]
        );
    }

    #[test]
    fn truncated_zip_is_corrupt() {
        let bytes = make_zip(&[("a.txt", b"hello hello hello")]);
        let out = extract("t.zip", &bytes[..bytes.len() / 2]);
        assert_eq!(out.unscannable[0].reason, UnscannableReason::Corrupt);
    }

    #[test]
    fn member_type_mismatch_uses_member_name() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        let out = extract("a.zip", &make_zip(&[("photo.pdf", png)]));
        assert_eq!(
            out.mismatches[0].origin.member.as_deref(),
            Some("photo.pdf")
        );
        assert_eq!(out.mismatches[0].declared, ".pdf");
    }
}
