//! `baseline [--threads 1] [--patterns builtin|local|file:PATH] [--cache-mib N] FILE...`: the naive
//! baseline: ONE `regex_automata::meta::Regex::new_many` over the whole catalog, `find_iter`
//! over each file read in 8 MiB chunks (matches crossing a chunk boundary are missed or split:
//! a few per GiB, irrelevant for speed). Prints one JSON line.
//!
//! `--count-lines FILE...`: the memory-bandwidth ceiling, a `memchr` newline count over the same
//! chunks. `--print-patterns`: the catalog, one regex a line (for `rg -f`). `--per-pattern`:
//! each pattern alone, one JSON line each (where the time goes).

use std::io::Read;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use regex_automata::meta::Regex;

const CHUNK: usize = 8 << 20;

/// The patterns of Leakwall's built-in catalog: each detector's whole-match regex.
fn builtin() -> Result<Vec<(String, String)>, String> {
    let scanner = leakwall_detect::Scanner::builtin();
    Ok(scanner
        .detectors()
        .iter()
        .map(|d| (d.id().to_string(), d.pattern().to_string()))
        .collect())
}

fn patterns(which: &str) -> Result<Vec<(String, String)>, String> {
    match which {
        "builtin" => builtin(),
        "local" => Ok(leakwall_bench::patterns::LOCAL
            .iter()
            .map(|(i, p)| (i.to_string(), p.to_string()))
            .collect()),
        other => match other.strip_prefix("file:") {
            Some(path) => Ok(std::fs::read_to_string(path)
                .map_err(|e| format!("{path}: {e}"))?
                .lines()
                .filter(|l| !l.is_empty())
                .enumerate()
                .map(|(i, p)| (format!("line{}", i + 1), p.to_string()))
                .collect()),
            None => Err(format!(
                "unknown --patterns {other} (builtin|local|file:PATH)"
            )),
        },
    }
}

/// Reads every file in 8 MiB chunks, calling `f` on each; returns (bytes, time inside `f`).
fn each_chunk(files: &[String], mut f: impl FnMut(&[u8])) -> std::io::Result<(u64, Duration)> {
    let mut buf = vec![0u8; CHUNK];
    let (mut bytes, mut inside) = (0u64, Duration::ZERO);
    for path in files {
        let mut file = std::fs::File::open(path)?;
        loop {
            let mut n = 0;
            while n < CHUNK {
                match file.read(&mut buf[n..])? {
                    0 => break,
                    k => n += k,
                }
            }
            if n == 0 {
                break;
            }
            let t = Instant::now();
            f(&buf[..n]);
            inside += t.elapsed();
            bytes += n as u64;
        }
    }
    Ok((bytes, inside))
}

/// `--count-lines`: the memory-bandwidth ceiling.
fn count_newlines(files: &[String]) -> Result<(), String> {
    let t0 = Instant::now();
    let mut lines = 0u64;
    let (bytes, inside) = each_chunk(files, |c| {
        lines += memchr::memchr_iter(b'\n', c).count() as u64
    })
    .map_err(|e| e.to_string())?;
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "{{\"engine\":\"memchr newline count\",\"bytes\":{bytes},\"seconds\":{secs:.4},\"mb_per_s\":{:.1},\"lines\":{lines},\"count_seconds\":{:.4}}}",
        bytes as f64 / secs / 1e6,
        inside.as_secs_f64()
    );
    Ok(())
}

/// `--per-pattern`: one JSON line per pattern, each compiled and run alone (where is the cost?).
fn each_pattern(pats: &[(String, String)], files: &[String]) -> Result<(), String> {
    for (id, p) in pats {
        let re = Regex::builder()
            .configure(Regex::config().nfa_size_limit(None))
            .build(p)
            .map_err(|e| format!("{id}: {e}"))?;
        let mut matches = 0u64;
        let (bytes, inside) = each_chunk(files, |c| matches += re.find_iter(c).count() as u64)
            .map_err(|e| e.to_string())?;
        let secs = inside.as_secs_f64();
        println!(
            "{{\"id\":\"{id}\",\"mb_per_s\":{:.1},\"matches\":{matches}}}",
            bytes as f64 / secs / 1e6
        );
    }
    Ok(())
}

fn run() -> Result<(), String> {
    let (mut which, mut threads, mut cache_mib) = ("builtin".to_string(), 1usize, None);
    let (mut print, mut count_lines, mut per_pattern, mut files) =
        (false, false, false, Vec::new());
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--patterns" => which = val()?,
            "--threads" => threads = val()?.parse().map_err(|e| format!("--threads: {e}"))?,
            "--cache-mib" => cache_mib = Some(val()?.parse::<usize>().map_err(|e| format!("{e}"))?),
            "--print-patterns" => print = true,
            "--count-lines" => count_lines = true,
            "--per-pattern" => per_pattern = true,
            f if !f.starts_with("--") => files.push(f.to_string()),
            _ => return Err(format!("unknown option {a}")),
        }
    }
    if threads != 1 {
        return Err("only --threads 1 is implemented (the baseline is single-threaded)".into());
    }
    if count_lines {
        return count_newlines(&files);
    }
    let pats = patterns(&which)?;
    if print {
        pats.iter().for_each(|(_, p)| println!("{p}"));
        return Ok(());
    }
    if files.is_empty() {
        return Err("usage: baseline [--threads 1] [--patterns builtin|local|file:PATH] [--cache-mib N] [--count-lines|--per-pattern|--print-patterns] FILE...".into());
    }
    if per_pattern {
        return each_pattern(&pats, &files);
    }
    let regexes: Vec<&str> = pats.iter().map(|(_, p)| p.as_str()).collect();
    let t0 = Instant::now();
    // The bounded repeats of the catalog ({0,8000}, {10,4000}…) exceed the default NFA size
    // limit of a 50-pattern union; the naive baseline simply lifts it.
    let mut config = Regex::config().nfa_size_limit(None);
    if let Some(m) = cache_mib {
        config = config.hybrid_cache_capacity(m << 20);
    }
    let re = Regex::builder()
        .configure(config)
        .build_many(&regexes)
        .map_err(|e| {
            format!(
                "building the union of {} patterns: {e} ({e:?})",
                regexes.len()
            )
        })?;
    let mut matches = 0u64;
    let (bytes, inside) = each_chunk(&files, |c| matches += re.find_iter(c).count() as u64)
        .map_err(|e| e.to_string())?;
    let secs = t0.elapsed().as_secs_f64();
    let engine = match cache_mib {
        Some(m) => format!("regex-automata meta ({m} MiB cache)"),
        None => "regex-automata meta".to_string(),
    };
    println!(
        "{{\"engine\":\"{engine}\",\"patterns\":\"{which}\",\"n_patterns\":{},\"bytes\":{bytes},\"seconds\":{secs:.4},\"mb_per_s\":{:.1},\"matches\":{matches},\"match_seconds\":{:.4}}}",
        regexes.len(),
        bytes as f64 / secs / 1e6,
        inside.as_secs_f64()
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baseline: {e}");
            ExitCode::from(2)
        }
    }
}
