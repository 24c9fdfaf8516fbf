//! `gen-corpus --out DIR [--size-mib N] [--seed S] [--files N]`: writes the dense benchmark
//! corpus, reproducibly: `DIR/text/chat.log` + `DIR/text/planted.tsv`, and `DIR/files/` (small
//! DOCX/XLSX/ZIP/PDF files) + `DIR/files-planted.tsv`. `--utf8-pct P`: percent of words and
//! first names that are non-ASCII (default 1, about one line in twenty; 0 for pure ASCII).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use leakwall_bench::{files, text};

fn usage() -> ExitCode {
    eprintln!("usage: gen-corpus --out DIR [--size-mib N (1024)] [--seed S (42)] [--files N (200)] [--utf8-pct P (1)]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let (mut out, mut size_mib, mut seed, mut nfiles) = (None, 1024u64, 42u64, 200usize);
    let mut utf8_pct = text::UTF8_PCT;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next();
        let ok = match (a.as_str(), v) {
            ("--out", Some(v)) => {
                out = Some(PathBuf::from(v));
                true
            }
            ("--size-mib", Some(v)) => v.parse().map(|n| size_mib = n).is_ok(),
            ("--seed", Some(v)) => v.parse().map(|n| seed = n).is_ok(),
            ("--files", Some(v)) => v.parse().map(|n| nfiles = n).is_ok(),
            ("--utf8-pct", Some(v)) => v.parse().map(|n| utf8_pct = n).is_ok(),
            _ => false,
        };
        if !ok {
            return usage();
        }
    }
    let Some(out) = out else { return usage() };
    let start = std::time::Instant::now();
    let result = (|| -> std::io::Result<()> {
        let written = text::write_corpus(&out.join("text"), size_mib << 20, seed, utf8_pct, |b| {
            eprintln!("gen-corpus: {} MiB written", b >> 20);
        })?;
        eprintln!("gen-corpus: text/chat.log {written} bytes");
        let dir = out.join("files");
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        let planted = files::write_files(&dir, nfiles, seed ^ 0x5EED_F11E)?;
        let mut tsv = std::fs::File::create(out.join("files-planted.tsv"))?;
        writeln!(tsv, "file\tkind")?;
        for (f, k) in &planted {
            writeln!(tsv, "{f}\t{}", k.name())?;
        }
        eprintln!(
            "gen-corpus: {nfiles} files, {} planted secrets",
            planted.len()
        );
        Ok(())
    })();
    match result {
        Ok(()) => {
            eprintln!("gen-corpus: done in {:.1}s", start.elapsed().as_secs_f64());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-corpus: {e}");
            ExitCode::FAILURE
        }
    }
}
