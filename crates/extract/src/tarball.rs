//! GZIP (decompressed through the capped reader, then walked like the file it wraps) and
//! TAR (members sliced out of the bytes in place, walked as children).

use std::io::Cursor;

use flate2::read::MultiGzDecoder;
use tar::{Archive, EntryType};

use crate::capped::{read_capped, Problem};
use crate::walk::{is_unsafe_path, Walker};
use crate::{Origin, UnscannableReason};

/// Decompresses a GZIP stream and walks its content at the same origin (a `.tar.gz` is
/// reported as the `.tar` it holds), one level deeper. The name for the type check loses
/// its `.gz` (`.tgz` becomes `.tar`).
pub(crate) fn gunzip(
    w: &mut Walker<'_>,
    origin: &Origin,
    bytes: &[u8],
    depth: u32,
    name: &str,
) -> Result<(), Problem> {
    if w.too_deep(origin, depth + 1) {
        return Ok(());
    }
    let data = read_capped(MultiGzDecoder::new(bytes), bytes.len() as u64, &w.budget)?;
    let lower = name.to_ascii_lowercase();
    let inner = if lower.ends_with(".tgz") {
        format!("{}.tar", name.get(..name.len() - 4).unwrap_or_default())
    } else if lower.ends_with(".gz") {
        name.get(..name.len() - 3).unwrap_or_default().to_string()
    } else {
        String::new()
    };
    w.walk(origin, &data, depth + 1, &inner, None);
    Ok(())
}

/// Walks the regular files of a TAR archive as children at `depth + 1`.
pub(crate) fn walk(
    w: &mut Walker<'_>,
    origin: &Origin,
    bytes: &[u8],
    depth: u32,
) -> Result<(), Problem> {
    let mut archive = Archive::new(Cursor::new(bytes));
    let entries = archive.entries().map_err(|e| corrupt(&e))?;
    let max = w.budget.limits.max_entries;
    let mut count = 0u32;
    for entry in entries {
        if w.stopped() {
            return Ok(());
        }
        w.budget.check_time()?;
        let entry = entry.map_err(|e| corrupt(&e))?;
        count += 1;
        if count > max {
            let detail = format!("more than {max} entries; the rest were not read");
            return Err(Problem::new(UnscannableReason::TooManyEntries, detail));
        }
        let kind = entry.header().entry_type();
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let member = origin.child(&name);
        if kind == EntryType::GNUSparse {
            w.record(
                &member,
                Problem::corrupt("sparse TAR member is not supported"),
            );
            continue;
        }
        if !matches!(kind, EntryType::Regular | EntryType::Continuous) {
            continue;
        }
        let start = usize::try_from(entry.raw_file_position()).unwrap_or(usize::MAX);
        let len = usize::try_from(entry.size()).unwrap_or(usize::MAX);
        let Some(data) = bytes.get(start..start.saturating_add(len)) else {
            return Err(Problem::corrupt("TAR archive is truncated"));
        };
        if is_unsafe_path(&name) {
            let detail = "member path is absolute or climbs out of the archive with `..`";
            w.record(&member, Problem::new(UnscannableReason::UnsafePath, detail));
        }
        if !w.too_deep(&member, depth + 1) {
            w.walk(&member, data, depth + 1, &name, None);
        }
    }
    Ok(())
}

fn corrupt(e: &std::io::Error) -> Problem {
    Problem::corrupt(format!("unreadable TAR archive: {e}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
pub(crate) mod tests {
    use std::io::Write;

    use crate::{Extractor, Limits, Origin, UnscannableReason};

    pub(crate) fn make_tar(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, data) in members {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            // `set_path` refuses `..`; write the raw name as an attacker would.
            let field = &mut header.as_old_mut().name;
            field[..name.len()].copy_from_slice(name.as_bytes());
            header.set_cksum();
            builder.append(&header, *data).unwrap();
        }
        builder.into_inner().unwrap()
    }

    pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn run(name: &str, bytes: &[u8]) -> crate::Extraction {
        Extractor::new(Limits::default()).extract(Origin::path(name), bytes, None)
    }

    #[test]
    fn gzip_of_text() {
        let out = run("notes.txt.gz", &gzip(b"MARKER-GZ secret"));
        assert!(out.mismatches.is_empty() && out.unscannable.is_empty());
        assert_eq!(out.segments[0].text, "MARKER-GZ secret");
        assert_eq!(out.segments[0].origin, Origin::path("notes.txt.gz"));
    }

    #[test]
    fn tar_gz_members() {
        let tar = make_tar(&[("docs/a.txt", b"alpha"), ("docs/b.html", b"<p>beta</p>")]);
        let out = run("bundle.tar.gz", &gzip(&tar));
        assert!(
            out.mismatches.is_empty() && out.unscannable.is_empty(),
            "{out:?}"
        );
        assert_eq!(out.segments[0].origin.member.as_deref(), Some("docs/a.txt"));
        assert_eq!(out.segments[1].text.trim(), "beta");
    }

    #[test]
    fn tar_slip_and_truncation() {
        let tar = make_tar(&[("../evil.txt", b"x"), ("ok.txt", &[b'y'; 2000])]);
        let out = run("t.tar", &tar[..1024 + 512]);
        let reasons: Vec<_> = out.unscannable.iter().map(|u| u.reason).collect();
        assert_eq!(
            reasons,
            [UnscannableReason::UnsafePath, UnscannableReason::Corrupt]
        );
    }

    #[test]
    fn gzip_bomb_and_garbage() {
        let bomb = gzip(&vec![0u8; 10 * 1024 * 1024]);
        let out = run("z.gz", &bomb);
        assert_eq!(
            out.unscannable[0].reason,
            UnscannableReason::CompressionRatio
        );
        let out = run("bad.gz", b"\x1f\x8b\x08\0garbage");
        assert_eq!(out.unscannable[0].reason, UnscannableReason::Corrupt);
    }
}
