//! Figures, not assertions (`bash bench/antivirus.sh`, ignored otherwise): files/s and MB/s of
//! a mixed corpus through the scanner chain of the connectors (DLP and a real clamd at once,
//! `antivirus::chain::scan_file`), and each scanner alone to give clamd's share of the time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use leakwall_antivirus::testing::{docx, zip, ClamdDaemon, EICAR};
use leakwall_server::antivirus::{chain, Body, Connector};
use leakwall_server::{AppState, Config};

use crate::support::{Db, TestServer};

/// A seeded mix: chat-like text (a planted key now and then), DOCX, ZIP, larger logs, small
/// notes, and EICAR in one file of 25.
fn corpus(count: usize) -> Vec<(String, Vec<u8>)> {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut text = |bytes: usize| {
        let mut out = String::with_capacity(bytes + 100);
        while out.len() < bytes {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let line = match seed % 40 {
                0 => "deploy key aws_access_key_id = AKIAQWERTYUIOPASDFGH\n".to_owned(),
                1 => format!(
                    "ticket {} for jane.doe@corp-mail.com, call +1 415 555 0{:03}\n",
                    seed % 9999,
                    seed % 999
                ),
                _ => format!(
                    "order {} shipped to warehouse {} at 10.0.{}.{} ok\n",
                    seed % 100_000,
                    seed % 97,
                    seed % 255,
                    seed % 253
                ),
            };
            out.push_str(&line);
        }
        out
    };
    (0..count)
        .map(|i| match i % 25 {
            0 => (
                format!("{i}.zip"),
                zip(&[("notes.txt", text(2_000).as_bytes()), ("x.com", EICAR)]),
            ),
            n if n % 5 == 1 => (format!("{i}.docx"), docx(&text(40_000))),
            n if n % 5 == 2 => {
                let (a, b) = (text(30_000), text(30_000));
                (
                    format!("{i}.zip"),
                    zip(&[("a.txt", a.as_bytes()), ("b.csv", b.as_bytes())]),
                )
            }
            n if n % 5 == 3 => (format!("{i}.log"), text(512 * 1024).into_bytes()),
            _ => (format!("{i}.txt"), text(8_000).into_bytes()),
        })
        .collect()
}

#[derive(Clone, Copy)]
enum Pass {
    Chain,
    DlpAlone,
    ClamdAlone,
}

/// Runs every file through `pass` with `parallel` files at once; the wall time.
async fn run(
    state: &AppState,
    files: &Arc<Vec<(String, Vec<u8>)>>,
    pass: Pass,
    parallel: usize,
) -> Duration {
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers: Vec<_> = (0..parallel)
        .map(|_| {
            let (state, files, next) = (state.clone(), Arc::clone(files), Arc::clone(&next));
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((name, bytes)) = files.get(i) else {
                        break;
                    };
                    scan_one(&state, pass, name, bytes).await;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("worker");
    }
    started.elapsed()
}

async fn scan_one(state: &AppState, pass: Pass, name: &str, bytes: &[u8]) {
    match pass {
        Pass::Chain => {
            chain::scan_file(state, Connector::Slack, name, bytes.to_vec(), true)
                .await
                .expect("chain");
        }
        Pass::DlpAlone => {
            let (engine, bytes, name) = (state.detection.engine(), bytes.to_vec(), name.to_owned());
            tokio::task::spawn_blocking(move || {
                engine.scan_bytes(leakwall_core::Origin::path(name), &bytes, None, false)
            })
            .await
            .expect("dlp");
        }
        Pass::ClamdAlone => {
            let origin = leakwall_core::Origin::path(name);
            leakwall_server::antivirus::scan(
                state,
                Connector::Slack,
                &origin,
                Body::Bytes(bytes),
                true,
            )
            .await
            .expect("clamd");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "figures: bash bench/antivirus.sh"]
async fn antivirus_chain_figures() {
    let count: usize = std::env::var("AV_BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let parallel: usize = std::env::var("AV_BENCH_PARALLEL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let clamd = tokio::task::block_in_place(ClamdDaemon::start);
    let mut config = Config::default();
    config.antivirus.clamd = clamd.tcp_url();
    config.antivirus.pool_size = parallel;
    let server = TestServer::start(Db::Sqlite, config).await.expect("server");
    let files = Arc::new(corpus(count));
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let mb = bytes as f64 / 1e6;
    println!("corpus: {count} files, {mb:.1} MB (text, DOCX, ZIP, logs; EICAR in 1 of 25); {parallel} at once");
    run(&server.state, &files, Pass::Chain, parallel).await; // warm-up
    let mut times = Vec::new();
    for (label, pass) in [
        ("chain (DLP + clamd at once)", Pass::Chain),
        ("DLP alone", Pass::DlpAlone),
        ("clamd alone", Pass::ClamdAlone),
    ] {
        let took = run(&server.state, &files, pass, parallel).await;
        let secs = took.as_secs_f64();
        println!(
            "{label:<28} {:>8.1} files/s {:>8.1} MB/s  ({secs:.2} s)",
            count as f64 / secs,
            mb / secs
        );
        times.push(secs);
    }
    let share = times[2] / (times[1] + times[2]) * 100.0;
    println!("clamd's share of the scanning time (alone, DLP alone + clamd alone): {share:.0} %");
    drop(clamd);
}
