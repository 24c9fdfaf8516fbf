//! The task queue of this process: the backend chosen by `queue.url`, the worker settings, and
//! the tasks Leakwall registers.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use leakwall_queue::embedded::EmbeddedQueue;
use leakwall_queue::postgres::PostgresQueue;
use leakwall_queue::sqs::{SqsConfig, SqsQueue};
use leakwall_queue::worker::WorkerConfig;
use leakwall_queue::Queue;

use crate::config::QueueConfig;

/// Opens the queue named by `config.url`.
pub async fn open_queue(config: &QueueConfig) -> anyhow::Result<Arc<dyn Queue>> {
    let url = config.url.as_str();
    let queue: Arc<dyn Queue> = if url.starts_with("sqlite:") {
        Arc::new(EmbeddedQueue::open(url, &config.name).await?)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(PostgresQueue::open(url, &config.name).await?)
    } else if let Some(rest) = url.strip_prefix("sqs://") {
        Arc::new(SqsQueue::connect(sqs_config(rest)?).await?)
    } else {
        bail!("queue.url: unsupported scheme in `{}`", crate::redact(url));
    };
    Ok(queue)
}

/// `sqs://QUEUE?region=R&endpoint=URL&dlq=NAME&create=true`; the endpoint may not contain `&`.
fn sqs_config(rest: &str) -> anyhow::Result<SqsConfig> {
    let (queue, query) = rest.split_once('?').unwrap_or((rest, ""));
    if queue.is_empty() {
        bail!("queue.url: sqs://QUEUE needs a queue name");
    }
    let mut config = SqsConfig {
        queue: queue.to_owned(),
        dead_letter_queue: None,
        region: "us-east-1".into(),
        endpoint: None,
        create: false,
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair
            .split_once('=')
            .with_context(|| format!("queue.url: `{pair}` is not key=value"))?;
        match key {
            "region" => config.region = value.to_owned(),
            "endpoint" => config.endpoint = Some(value.to_owned()),
            "dlq" => config.dead_letter_queue = Some(value.to_owned()),
            "create" => config.create = value == "true",
            other => {
                bail!("queue.url: unknown parameter `{other}` (region, endpoint, dlq, create)")
            }
        }
    }
    Ok(config)
}

/// The worker settings of `config`.
pub fn worker_config(config: &QueueConfig) -> WorkerConfig {
    let lease = Duration::from_secs(config.lease_seconds);
    WorkerConfig {
        concurrency: config.concurrency,
        lease,
        heartbeat: lease / 3,
        max_attempts: config.max_attempts,
        task_timeout: Duration::from_secs(config.task_timeout_seconds),
        grace: Duration::from_secs(config.grace_seconds),
        prefetch: config.prefetch,
        ..WorkerConfig::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqs_urls_parse_and_bad_ones_name_the_problem() {
        let c = sqs_config("tasks?region=eu-west-1&endpoint=http://127.0.0.1:5123&create=true")
            .unwrap();
        assert_eq!(c.queue, "tasks");
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(c.endpoint.as_deref(), Some("http://127.0.0.1:5123"));
        assert!(c.create);
        assert!(sqs_config("?region=x").is_err());
        let err = sqs_config("t?colour=blue").unwrap_err().to_string();
        assert!(err.contains("colour"), "{err}");
    }
}
