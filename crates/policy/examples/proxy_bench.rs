//! Evaluations per second and latency percentiles of the example proxy policy, in-process on
//! one thread: `cargo run --release -p leakwall-policy --example proxy_bench [-- N]`.
//!
//! Three runs side by side: every input new (the decision cache never hits: the engine's own
//! cost), the same few inputs again and again (what a proxy mostly sees: answered from the
//! decision cache), and the floor (`granted := true`, uncached).

use std::path::Path;
use std::time::Instant;

use leakwall_policy::{PolicySet, PolicySetBuilder, Settings, Verdict};
use serde_json::{json, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().nth(1).map_or(Ok(200_000), |a| a.parse())?;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let set = PolicySetBuilder::new(Settings::default())
        .path(dir.join("utils.rego"))?
        .path(dir.join("proxy.rego"))?
        .build()?;
    for (name, want) in [("report.pdf", true), ("setup.exe", false)] {
        let verdict = set.evaluate_bool("data.proxy.granted", &input(name));
        assert_eq!(verdict == Verdict::Allow, want, "{verdict:?}");
    }
    let distinct: Vec<Value> = (0..n)
        .map(|i| input(&format!("report-{i}.{}", ["pdf", "exe"][i % 2])))
        .collect();
    let repeated: Vec<Value> = ["report.pdf", "setup.exe", "notes.txt", "x.bin"]
        .iter()
        .map(|name| input(name))
        .collect();
    measure("new inputs (engine, no cache hit)", &set, &distinct, n);
    measure("repeated inputs (decision cache)", &set, &repeated, n);
    let floor = PolicySetBuilder::new(Settings::default().with_decision_cache(0))
        .source("floor.rego", "package proxy\ngranted := true\n")
        .build()?;
    measure("floor: granted := true, uncached", &floor, &repeated, n);
    Ok(())
}

fn input(name: &str) -> Value {
    json!({"stage": "http", "request": {"method": "PUT", "path": format!("/dav/files/alice/{name}")},
        "resource": {"name": name}, "user": {"username": "alice", "groups": ["staff"]}})
}

fn measure(label: &str, set: &PolicySet, inputs: &[Value], n: usize) {
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
        "{label:<36} {n:>8} decisions {:>9.0}/s  p50 {:>6.1} µs  p90 {:>6.1} µs  p99 {:>6.1} µs",
        n as f64 / total.as_secs_f64(),
        pct(0.50),
        pct(0.90),
        pct(0.99)
    );
}
