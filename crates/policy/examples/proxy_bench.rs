//! Evaluations per second and latency percentiles of the example proxy policy, in-process on
//! one thread: `cargo run --release -p leakwall-policy --example proxy_bench [-- N]`.

use std::path::Path;
use std::time::Instant;

use leakwall_policy::{PolicySetBuilder, Settings, Verdict};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().nth(1).map_or(Ok(200_000), |a| a.parse())?;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let set = PolicySetBuilder::new(Settings::default())
        .path(dir.join("utils.rego"))?
        .path(dir.join("proxy.rego"))?
        .build()?;
    let inputs = [
        serde_json::json!({"stage": "http", "request": {"method": "PUT", "path": "/dav/files/alice/report.pdf"},
            "resource": {"name": "report.pdf"}, "user": {"username": "alice", "groups": ["staff"]}}),
        serde_json::json!({"stage": "http", "request": {"method": "PUT", "path": "/dav/files/alice/setup.exe"},
            "resource": {"name": "setup.exe"}, "user": {"username": "alice", "groups": ["staff"]}}),
    ];
    for (i, want) in [true, false].into_iter().enumerate() {
        let verdict = set.evaluate_bool("data.proxy.granted", &inputs[i]);
        assert_eq!(verdict == Verdict::Allow, want, "{verdict:?}");
    }
    for input in inputs.iter().cycle().take(n / 10) {
        std::hint::black_box(set.evaluate_bool("data.proxy.granted", input));
    }
    measure("example proxy policy", n, &set, &inputs);
    let floor = PolicySetBuilder::new(Settings::default())
        .source("floor.rego", "package proxy\ngranted := true\n")
        .build()?;
    measure("floor (granted := true)", n, &floor, &inputs);
    Ok(())
}

fn measure(label: &str, n: usize, set: &leakwall_policy::PolicySet, inputs: &[serde_json::Value]) {
    let mut nanos = Vec::with_capacity(n);
    let started = Instant::now();
    for input in inputs.iter().cycle().take(n) {
        let t = Instant::now();
        std::hint::black_box(set.evaluate_bool("data.proxy.granted", input));
        nanos.push(t.elapsed().as_nanos() as u64);
    }
    let total = started.elapsed();
    nanos.sort_unstable();
    let pct =
        |p: f64| nanos[((nanos.len() as f64 * p) as usize).min(nanos.len() - 1)] as f64 / 1000.0;
    println!(
        "{label}: {n} decisions in {:.2?}: {:.0} decisions/s, p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs",
        total,
        n as f64 / total.as_secs_f64(),
        pct(0.50),
        pct(0.90),
        pct(0.99)
    );
}
