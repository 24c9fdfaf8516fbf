//! The closed-loop load generator: `C` tasks, each sending one request after another over its
//! own keep-alive HTTP/1.1 connection for `S` seconds, every latency recorded.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use reqwest::{Client, Url};
use serde_json::Value;

use super::report::Latencies;

/// One query of the benchmark.
#[derive(Debug, Clone)]
pub struct Query {
    /// Its name in the tables.
    pub name: &'static str,
    /// Whether it is a filtered page of 50 (the 50 ms p99 target applies).
    pub filtered_page: bool,
    /// The full URL.
    pub url: Url,
}

/// A query as written: name, whether a filtered page, path, query-string pairs.
type QuerySpec = (
    &'static str,
    bool,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The paths and query strings measured; the second page's cursor is looked up at run time.
const QUERIES: [QuerySpec; 8] = [
    ("newest page", false, "/api/incidents", &[("limit", "50")]),
    (
        "status=open",
        true,
        "/api/incidents",
        &[("status", "open"), ("limit", "50")],
    ),
    (
        "channel=C7",
        true,
        "/api/incidents",
        &[("channel", "C7"), ("limit", "50")],
    ),
    (
        "detector=credit_card&status=open",
        true,
        "/api/incidents",
        &[
            ("detector", "credit_card"),
            ("status", "open"),
            ("limit", "50"),
        ],
    ),
    (
        "created_at__between March 2026",
        true,
        "/api/incidents",
        &[
            ("created_at__between", r#"["2026-03-01","2026-03-31"]"#),
            ("limit", "50"),
        ],
    ),
    (
        "by/channel/C3?author=ann",
        true,
        "/api/incidents/by/channel/C3",
        &[("author", "ann"), ("limit", "50")],
    ),
    (
        "channel=C39 (rarest)",
        true,
        "/api/incidents",
        &[("channel", "C39"), ("limit", "50")],
    ),
    (
        "values/channel",
        false,
        "/api/incidents/values/channel",
        &[],
    ),
];

/// The benchmark's queries against `base` (`http://127.0.0.1:PORT`), with the second page of
/// `status=open` after the cursor of its first page.
pub async fn queries(client: &Client, base: &Url) -> anyhow::Result<Vec<Query>> {
    let mut out = Vec::new();
    for (name, filtered_page, path, params) in QUERIES {
        let url = Url::parse_with_params(base.join(path)?.as_str(), params)?;
        out.push(Query {
            name,
            filtered_page,
            url,
        });
    }
    let first = &out[1].url;
    let page: Value = fetch(client, first).await?;
    let Some(next) = page.get("next").filter(|n| !n.is_null()) else {
        bail!("{first}: no second page (`next` is null): too few rows?");
    };
    let mut second = first.clone();
    second
        .query_pairs_mut()
        // The cursor as given: a string cursor without its JSON quotes, a number as digits.
        .append_pair(
            "after",
            &next
                .as_str()
                .map_or_else(|| next.to_string(), str::to_owned),
        );
    out.insert(
        2,
        Query {
            name: "status=open, 2nd page (after=)",
            filtered_page: true,
            url: second,
        },
    );
    Ok(out)
}

/// GETs `url` once and parses the JSON answer; a status other than 200 is an error.
pub async fn fetch(client: &Client, url: &Url) -> anyhow::Result<Value> {
    let response = client.get(url.clone()).send().await?;
    let status = response.status();
    let body = response.text().await?;
    if status != reqwest::StatusCode::OK {
        bail!("GET {url}: {status}: {body}");
    }
    serde_json::from_str(&body).with_context(|| format!("GET {url}: not JSON"))
}

/// The result of loading one query.
#[derive(Debug)]
pub struct Measured {
    /// Latencies of the successful requests.
    pub latencies: Latencies,
    /// Requests that failed (transport error or a status other than 200).
    pub errors: u64,
    /// The first failure, for the message.
    pub first_error: Option<String>,
    /// Wall time of the run.
    pub elapsed: Duration,
}

/// Runs `concurrency` closed loops on `url` for `duration`.
pub async fn run(client: &Client, url: &Url, concurrency: usize, duration: Duration) -> Measured {
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| tokio::spawn(closed_loop(client.clone(), url.clone(), deadline)))
        .collect();
    let mut measured = Measured {
        latencies: Latencies::default(),
        errors: 0,
        first_error: None,
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        match task.await {
            Ok((latencies, errors, first_error)) => {
                measured.latencies.merge(latencies);
                measured.errors += errors;
                measured.first_error = measured.first_error.take().or(first_error);
            }
            Err(e) => {
                measured.errors += 1;
                measured.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    measured.elapsed = started.elapsed();
    measured
}

/// One client loop: request, read the whole body, record, repeat until `deadline`.
async fn closed_loop(
    client: Client,
    url: Url,
    deadline: Instant,
) -> (Latencies, u64, Option<String>) {
    let mut latencies = Latencies::default();
    let (mut errors, mut first_error) = (0, None);
    while Instant::now() < deadline {
        let t = Instant::now();
        let result = match client.get(url.clone()).send().await {
            Ok(response) => {
                let status = response.status();
                match response.bytes().await {
                    Ok(_) if status == reqwest::StatusCode::OK => Ok(()),
                    Ok(body) => Err(format!("{status}: {}", String::from_utf8_lossy(&body))),
                    Err(e) => Err(e.to_string()),
                }
            }
            Err(e) => Err(e.to_string()),
        };
        match result {
            Ok(()) => latencies.record(t.elapsed()),
            Err(e) => {
                errors += 1;
                first_error.get_or_insert(e);
            }
        }
    }
    (latencies, errors, first_error)
}
