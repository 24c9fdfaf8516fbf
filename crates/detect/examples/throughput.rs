//! Detection throughput on one file, without extraction or output: the full catalog, the
//! token detectors alone and the literal detectors alone, side by side.
//!
//! `cargo run --release -p leakwall-detect --example throughput -- FILE [full|tokens|literals]`
//! (with `perf stat -e task-clock` for CPU time on a busy machine)

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Counts allocations, to keep the scan loop allocation-free.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

use leakwall_detect::{Scanner, ScannerConfig, Trigger};

fn measure(name: &str, scanner: &Scanner, hay: &[u8]) {
    let mut out = Vec::new();
    let mut matches = 0;
    let allocations = ALLOCATIONS.load(Ordering::Relaxed);
    let start = Instant::now();
    for chunk in hay.chunks(1 << 20) {
        scanner.scan_into(chunk, &mut out);
        matches += out.len();
    }
    let secs = start.elapsed().as_secs_f64();
    let mbps = hay.len() as f64 / secs / 1e6;
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - allocations;
    println!(
        "{name:<10} {mbps:>6.0} MB/s {matches:>9} matches {allocations:>8} allocations ({} detectors)",
        scanner.detectors().len()
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: throughput FILE")?;
    let hay = std::fs::read(path)?;
    let all = Scanner::builtin();
    let ids = |token: bool| -> Vec<String> {
        all.detectors()
            .iter()
            .filter(|d| matches!(d.trigger(), Trigger::Token(_)) == token)
            .map(|d| d.id().to_string())
            .collect()
    };
    let tokens = ScannerConfig {
        only: Some(ids(true)),
        ..Default::default()
    }
    .build()?;
    let literals = ScannerConfig {
        only: Some(ids(false)),
        ..Default::default()
    }
    .build()?;
    let which = std::env::args().nth(2).unwrap_or_default();
    for (name, scanner) in [("full", &all), ("tokens", &tokens), ("literals", &literals)] {
        if which.is_empty() || which == name {
            measure(name, scanner, &hay);
        }
    }
    Ok(())
}
