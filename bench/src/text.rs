//! Dense chat- and log-like text: almost every line carries e-mails, URLs, IPs, UUIDs, git SHAs,
//! order/ticket numbers, timestamps or phone-like numbers; real secrets are planted sparsely.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use crate::rng::Rng;
use crate::secrets::{self, Kind};
pub use crate::vocab::UTF8_PCT;
use crate::vocab::*;

/// Generates the dense text one record (usually one line) at a time.
pub struct LineGen {
    rng: Rng,
    next_kind: usize,
    /// A secret is planted with probability 1/`secret_every` per record.
    pub secret_every: u64,
    /// Percent chance that a word or a first name is non-ASCII.
    pub utf8_pct: u64,
}

impl LineGen {
    pub fn new(seed: u64) -> Self {
        LineGen {
            rng: Rng::new(seed),
            next_kind: 0,
            secret_every: 400,
            utf8_pct: UTF8_PCT,
        }
    }

    fn ts(&mut self, out: &mut String, iso: bool) {
        let r = &mut self.rng;
        let (mo, d, h, mi, s) = (
            r.range(1, 12),
            r.range(1, 28),
            r.below(24),
            r.below(60),
            r.below(60),
        );
        if iso {
            let _ = write!(
                out,
                "2024-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z",
                r.below(1000)
            );
        } else {
            let _ = write!(out, "2024-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}");
        }
    }

    fn user(&mut self, out: &mut String) {
        let sep = self.rng.pick(&[".", "_", ""]);
        let f = if self.rng.pct(self.utf8_pct) {
            self.rng.pick(UTF8_WORDS)
        } else {
            self.rng.pick(FIRST)
        };
        let l = self.rng.pick(LAST);
        let _ = write!(out, "{f}{sep}{l}");
    }

    fn email(&mut self, out: &mut String) {
        self.user(out);
        if self.rng.pct(15) {
            let _ = write!(out, "+{}", self.rng.below(1000));
        }
        let _ = write!(out, "@{}", self.rng.pick(DOMAINS));
    }

    fn ipv4(&mut self, out: &mut String) {
        let r = &mut self.rng;
        match r.below(3) {
            0 => {
                let _ = write!(
                    out,
                    "10.{}.{}.{}",
                    r.below(256),
                    r.below(256),
                    r.range(1, 254)
                );
            }
            1 => {
                let _ = write!(out, "192.168.{}.{}", r.below(256), r.range(1, 254));
            }
            _ => {
                let _ = write!(
                    out,
                    "{}.{}.{}.{}",
                    r.range(1, 223),
                    r.below(256),
                    r.below(256),
                    r.range(1, 254)
                );
            }
        }
    }

    /// A version-4 UUID.
    fn uuid(&mut self, out: &mut String) {
        self.rng.push_hex(out, 8);
        out.push('-');
        self.rng.push_hex(out, 4);
        out.push_str("-4");
        self.rng.push_hex(out, 3);
        out.push('-');
        self.rng.push_from(out, b"89ab", 1);
        self.rng.push_hex(out, 3);
        out.push('-');
        self.rng.push_hex(out, 12);
    }

    fn url(&mut self, out: &mut String) {
        let _ = write!(
            out,
            "https://{}{}",
            self.rng.pick(DOMAINS),
            self.rng.pick(PATHS)
        );
        if self.rng.pct(60) {
            let _ = write!(
                out,
                "/{}?ref={}&utm_source=chat&page={}",
                self.rng.digits(9),
                self.rng.digits(7),
                self.rng.below(50)
            );
        }
    }

    fn phone(&mut self, out: &mut String) {
        let r = &mut self.rng;
        let _ = match r.below(3) {
            0 => write!(out, "+1 {}-555-{:04}", r.range(201, 989), r.below(10_000)),
            1 => write!(out, "({}) 555-{:04}", r.range(201, 989), r.below(10_000)),
            _ => write!(out, "+44 20 {} {}", r.digits(4), r.digits(4)),
        };
    }

    fn words(&mut self, out: &mut String, n: u64) {
        for _ in 0..n {
            out.push(' ');
            let w = if self.rng.pct(self.utf8_pct) {
                self.rng.pick(UTF8_WORDS)
            } else {
                self.rng.pick(WORDS)
            };
            out.push_str(w);
        }
    }

    /// A chat message: several words and two or three dense entities.
    fn chat(&mut self, out: &mut String) {
        if self.rng.pct(50) {
            out.push('[');
            self.ts(out, false);
            out.push_str("] <");
            self.user(out);
            out.push('>');
        } else {
            self.ts(out, true);
            let _ = write!(out, " {} ", self.rng.pick(CHANNELS));
            self.user(out);
            out.push(':');
        }
        for _ in 0..self.rng.range(2, 3) {
            let n = self.rng.range(2, 6);
            self.words(out, n);
            out.push(' ');
            match self.rng.below(9) {
                0 | 1 => self.email(out),
                2 | 3 => self.url(out),
                4 => {
                    out.push('@');
                    self.user(out);
                }
                5 => {
                    let n = self.rng.range(6, 12) as usize;
                    let _ = write!(out, "order #{}", self.rng.digits(n));
                }
                6 => {
                    let _ = write!(
                        out,
                        "INC-{} / ref {}",
                        self.rng.digits(7),
                        self.rng.digits(10)
                    );
                }
                7 => self.phone(out),
                _ => {
                    out.push_str("commit ");
                    self.rng.push_hex(out, 40);
                }
            }
        }
    }

    /// A log line: access log, key=value or JSON.
    fn log(&mut self, out: &mut String) {
        self.ts(out, true);
        let level = self.rng.pick(LEVELS);
        let svc = self.rng.pick(SERVICES);
        match self.rng.below(3) {
            0 => {
                let _ = write!(out, " {level} {svc} ");
                self.ipv4(out);
                let _ = write!(
                    out,
                    " - - \"GET {}/{}?session=",
                    self.rng.pick(PATHS),
                    self.rng.digits(8)
                );
                self.rng.push_hex(out, 32);
                let status = self.rng.pick(STATUS);
                let (sz, ms, frac) = (
                    self.rng.below(90_000),
                    self.rng.below(900),
                    self.rng.below(10),
                );
                let _ = write!(
                    out,
                    " HTTP/1.1\" {status} {sz} {ms}.{frac}ms \"{}\" req_id=",
                    self.rng.pick(UAS)
                );
                self.uuid(out);
            }
            1 => {
                let n = self.rng.range(6, 12) as usize;
                let _ = write!(
                    out,
                    " level={} svc={svc} msg=\"order updated\" order_id={} user=",
                    level.to_lowercase(),
                    self.rng.digits(n)
                );
                self.email(out);
                out.push_str(" trace=");
                self.uuid(out);
                out.push_str(" commit=");
                self.rng.push_hex(out, 40);
                let _ = write!(
                    out,
                    " duration={}m{}s client_ip=",
                    self.rng.below(10),
                    self.rng.below(60)
                );
                self.ipv4(out);
            }
            _ => {
                let _ = write!(
                    out,
                    " {{\"level\":\"{level}\",\"svc\":\"{svc}\",\"user\":\""
                );
                self.email(out);
                out.push_str("\",\"ip\":\"");
                self.ipv4(out);
                let _ = write!(
                    out,
                    "\",\"ticket\":\"TCK-{}\",\"status\":{},\"latency_ms\":{},\"phone\":\"",
                    self.rng.digits(8),
                    self.rng.pick(STATUS),
                    self.rng.below(5000)
                );
                self.phone(out);
                out.push_str("\",\"id\":\"");
                self.uuid(out);
                out.push_str("\"}");
            }
        }
    }

    /// Appends the next secret of the cycle, in context, ending in `\n`.
    pub fn plant_next(&mut self, out: &mut String) -> Kind {
        let kind = Kind::ALL[self.next_kind % Kind::ALL.len()];
        self.next_kind += 1;
        let mut who = String::new();
        self.user(&mut who);
        out.push_str(&secrets::plant(kind, &mut self.rng, &who));
        out.push('\n');
        kind
    }

    /// Appends one record ending in `\n`; returns the kind of secret planted in it, if any
    /// (the secret is on the record's first line).
    pub fn next_record(&mut self, out: &mut String) -> Option<Kind> {
        if self.rng.below(self.secret_every) == 0 {
            return Some(self.plant_next(out));
        }
        if self.rng.pct(45) {
            self.chat(out);
        } else {
            self.log(out);
        }
        out.push('\n');
        None
    }
}

/// Writes `dir/chat.log` (at most `size` bytes, whole lines) and `dir/planted.tsv`
/// (1-based line number, kind), streaming. `progress` is called with bytes written so far.
pub fn write_corpus(
    dir: &Path,
    size: u64,
    seed: u64,
    utf8_pct: u64,
    mut progress: impl FnMut(u64),
) -> io::Result<u64> {
    std::fs::create_dir_all(dir)?;
    let mut log =
        io::BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join("chat.log"))?);
    let mut tsv = io::BufWriter::new(std::fs::File::create(dir.join("planted.tsv"))?);
    writeln!(tsv, "line\tkind")?;
    let mut gen = LineGen::new(seed);
    gen.utf8_pct = utf8_pct;
    let (mut written, mut line, mut rec) = (0u64, 1u64, String::with_capacity(4096));
    let step = 64 << 20;
    loop {
        rec.clear();
        let kind = gen.next_record(&mut rec);
        if written + rec.len() as u64 > size {
            break;
        }
        if let Some(k) = kind {
            writeln!(tsv, "{line}\t{}", k.name())?;
        }
        log.write_all(rec.as_bytes())?;
        line += rec.bytes().filter(|&b| b == b'\n').count() as u64;
        if (written + rec.len() as u64) / step != written / step {
            progress(written + rec.len() as u64);
        }
        written += rec.len() as u64;
    }
    log.flush()?;
    tsv.flush()?;
    Ok(written)
}
