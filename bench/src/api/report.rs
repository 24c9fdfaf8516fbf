//! Latency percentiles, the process's peak memory, and the Markdown tables.

use std::time::Duration;

/// Every latency of a run, in microseconds; percentiles from the sorted list (exact, and
/// small: a few hundred thousand requests are a few MiB).
#[derive(Debug, Default, Clone)]
pub struct Latencies {
    micros: Vec<u32>,
    sorted: bool,
}

impl Latencies {
    /// Adds one latency.
    pub fn record(&mut self, latency: Duration) {
        let micros = u32::try_from(latency.as_micros()).unwrap_or(u32::MAX);
        self.micros.push(micros);
        self.sorted = false;
    }

    /// Adds every latency of `other`.
    pub fn merge(&mut self, other: Latencies) {
        self.micros.extend(other.micros);
        self.sorted = false;
    }

    /// How many latencies.
    pub fn len(&self) -> usize {
        self.micros.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.micros.is_empty()
    }

    /// The `p`-th percentile (nearest rank, `0 < p <= 100`) in milliseconds; 0 when empty.
    pub fn percentile_ms(&mut self, p: f64) -> f64 {
        if self.micros.is_empty() {
            return 0.0;
        }
        if !self.sorted {
            self.micros.sort_unstable();
            self.sorted = true;
        }
        let n = self.micros.len();
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        f64::from(self.micros[rank.clamp(1, n) - 1]) / 1000.0
    }
}

/// One row of a backend's table.
#[derive(Debug, Clone)]
pub struct Row {
    /// The query's name.
    pub query: String,
    /// Whether the 50 ms p99 target applies.
    pub filtered_page: bool,
    /// Successful requests.
    pub requests: usize,
    /// Failed requests.
    pub errors: u64,
    /// Successful requests per second.
    pub rate: f64,
    /// Percentiles in ms.
    pub p50: f64,
    /// 90th percentile, ms.
    pub p90: f64,
    /// 99th percentile, ms.
    pub p99: f64,
    /// Slowest request, ms.
    pub max: f64,
}

impl Row {
    /// The row of a run of `elapsed` with these latencies and errors.
    pub fn new(
        query: &str,
        filtered_page: bool,
        mut l: Latencies,
        errors: u64,
        elapsed: Duration,
    ) -> Row {
        Row {
            query: query.to_owned(),
            filtered_page,
            requests: l.len(),
            errors,
            rate: l.len() as f64 / elapsed.as_secs_f64().max(1e-9),
            p50: l.percentile_ms(50.0),
            p90: l.percentile_ms(90.0),
            p99: l.percentile_ms(99.0),
            max: l.percentile_ms(100.0),
        }
    }
}

/// Everything measured on one backend.
#[derive(Debug, Clone)]
pub struct BackendReport {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Rows in the incidents table.
    pub rows: u64,
    /// Fill rate, rows/s (`None` when a filled database was reused).
    pub fill_rate: Option<f64>,
    /// Fill wall time, s.
    pub fill_seconds: f64,
    /// Peak RSS during the fill, MiB.
    pub fill_rss_mib: f64,
    /// Peak RSS during the load, MiB.
    pub load_rss_mib: f64,
    /// One row per query.
    pub rows_by_query: Vec<Row>,
}

/// The process's peak resident set (VmHWM) in MiB; 0 when /proc is not there.
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Resets the peak resident set to the current one (Linux `clear_refs` 5), so that the next
/// [`peak_rss_mib`] is the peak of a phase; best effort.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// One backend's table.
pub fn print_backend(r: &BackendReport, concurrency: usize, seconds: u64) {
    let fill = match r.fill_rate {
        Some(rate) => format!("filled at {rate:.0} rows/s ({:.0} s)", r.fill_seconds),
        None => "reused".to_owned(),
    };
    println!();
    println!(
        "### {} — {} incidents ({fill}); {concurrency} connections, {seconds} s per query",
        r.backend, r.rows
    );
    println!();
    println!("| query | requests | errors | req/s | p50 ms | p90 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for q in &r.rows_by_query {
        println!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} |",
            q.query, q.requests, q.errors, q.rate, q.p50, q.p90, q.p99, q.max
        );
    }
    println!();
    println!(
        "Peak RSS of the process: {:.0} MiB while filling, {:.0} MiB under load.",
        r.fill_rss_mib, r.load_rss_mib
    );
}

/// The backends side by side (p50 / p99), and the SQLite target check.
pub fn print_side_by_side(reports: &[BackendReport], target_p99_ms: f64) {
    let Some(first) = reports.first() else { return };
    println!();
    print!("| query |");
    for r in reports {
        print!(" {0} req/s | {0} p50 ms | {0} p99 ms |", r.backend);
    }
    println!();
    print!("|---|");
    for _ in reports {
        print!("---:|---:|---:|");
    }
    println!();
    for (i, q) in first.rows_by_query.iter().enumerate() {
        print!("| {} |", q.query);
        for r in reports {
            match r.rows_by_query.get(i) {
                Some(x) => print!(" {:.0} | {:.2} | {:.2} |", x.rate, x.p50, x.p99),
                None => print!(" | | |"),
            }
        }
        println!();
    }
    for r in reports.iter().filter(|r| r.backend == "sqlite") {
        let misses: Vec<_> = r
            .rows_by_query
            .iter()
            .filter(|q| q.filtered_page && q.p99 >= target_p99_ms)
            .map(|q| format!("{} ({:.1} ms)", q.query, q.p99))
            .collect();
        println!();
        match misses.is_empty() {
            true => println!(
                "SQLite target met: every filtered page of 50 has p99 < {target_p99_ms} ms."
            ),
            false => println!(
                "SQLite target MISSED (p99 >= {target_p99_ms} ms): {}",
                misses.join(", ")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut l = Latencies::default();
        for ms in 1..=100 {
            l.record(Duration::from_millis(ms));
        }
        assert_eq!(l.percentile_ms(50.0), 50.0);
        assert_eq!(l.percentile_ms(99.0), 99.0);
        assert_eq!(l.percentile_ms(100.0), 100.0);
        assert_eq!(Latencies::default().percentile_ms(99.0), 0.0);
    }
}
