//! Connecting: settings checked once, the SDK client built, both queue URLs resolved (or, with
//! `create`, the queues and the redrive policy created).

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_sqs::config::{Credentials, ProvideCredentials, Region};
use aws_sdk_sqs::types::QueueAttributeName;
use aws_sdk_sqs::Client;

use super::convert::backend;
use super::{SqsConfig, REDRIVE_MAX_RECEIVE_COUNT};
use crate::Error;

/// How long the default credential chain may search before dummy credentials are used (only
/// with an explicit endpoint).
const CREDENTIALS_PROBE: Duration = Duration::from_secs(5);

/// The client and the URLs of the queue and its DLQ.
pub(super) async fn connect(config: &SqsConfig) -> Result<(Client, String, String), Error> {
    let queue = config.queue.trim();
    let dlq = match &config.dead_letter_queue {
        Some(dlq) => dlq.trim().to_owned(),
        None => format!("{}-dlq", queue_name(queue)),
    };
    check_queue(queue)?;
    check_queue(&dlq)?;
    if config.region.trim().is_empty() {
        return Err(Error::Config("SQS: region is empty".into()));
    }
    let client = client(config).await?;
    if config.create {
        let dlq_url = create_queue(&client, &dlq).await?;
        let queue_url = create_queue(&client, queue).await?;
        set_redrive_policy(&client, &queue_url, &dlq_url).await?;
        Ok((client, queue_url, dlq_url))
    } else {
        let queue_url = resolve_url(&client, queue).await?;
        let dlq_url = resolve_url(&client, &dlq).await?;
        Ok((client, queue_url, dlq_url))
    }
}

async fn client(config: &SqsConfig) -> Result<Client, Error> {
    let shared = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(config.region.trim().to_owned()))
        .load()
        .await;
    let mut builder = aws_sdk_sqs::config::Builder::from(&shared);
    if let Some(endpoint) = &config.endpoint {
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(Error::Config(format!(
                "SQS endpoint {endpoint:?} is not an http(s) URL"
            )));
        }
        builder = builder.endpoint_url(endpoint);
        if !has_credentials(shared.credentials_provider()).await {
            tracing::info!(endpoint, "no AWS credentials found; using dummy ones");
            let dummy = Credentials::new("leakwall", "leakwall", None, None, "leakwall-dummy");
            builder = builder.credentials_provider(dummy);
        }
    }
    Ok(Client::from_conf(builder.build()))
}

async fn has_credentials(provider: Option<impl ProvideCredentials>) -> bool {
    let Some(provider) = provider else {
        return false;
    };
    let found = tokio::time::timeout(CREDENTIALS_PROBE, provider.provide_credentials()).await;
    matches!(found, Ok(Ok(_)))
}

/// A queue is named by its URL or by a standard-queue name (1–80 of `A-Za-z0-9_-`).
fn check_queue(queue: &str) -> Result<(), Error> {
    let name = queue_name(queue);
    if name.ends_with(".fifo") {
        return Err(Error::Config(format!(
            "SQS queue {name:?}: FIFO queues are not supported"
        )));
    }
    let valid = (1..=80).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(Error::Config(format!(
            "SQS queue name {name:?} must be 1 to 80 letters, digits, '-' or '_'"
        )));
    }
    Ok(())
}

/// The name of a queue given by name or URL (a URL's last path segment).
fn queue_name(queue: &str) -> &str {
    if is_url(queue) {
        queue
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(queue)
    } else {
        queue
    }
}

fn is_url(queue: &str) -> bool {
    queue.starts_with("https://") || queue.starts_with("http://")
}

async fn resolve_url(client: &Client, queue: &str) -> Result<String, Error> {
    if is_url(queue) {
        return Ok(queue.to_owned());
    }
    match client.get_queue_url().queue_name(queue).send().await {
        Ok(out) => out
            .queue_url()
            .map(str::to_owned)
            .ok_or_else(|| Error::Backend("SQS GetQueueUrl: no QueueUrl in the answer".into())),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_queue_does_not_exist()) =>
        {
            Err(Error::Config(format!(
                "SQS queue {queue:?} does not exist (create it, or set create)"
            )))
        }
        Err(e) => Err(backend("GetQueueUrl", e)),
    }
}

async fn create_queue(client: &Client, queue: &str) -> Result<String, Error> {
    let out = client
        .create_queue()
        .queue_name(queue_name(queue))
        .send()
        .await
        .map_err(|e| backend("CreateQueue", e))?;
    out.queue_url()
        .map(str::to_owned)
        .ok_or_else(|| Error::Backend("SQS CreateQueue: no QueueUrl in the answer".into()))
}

/// Redrives messages received [`REDRIVE_MAX_RECEIVE_COUNT`] times to the DLQ (idempotent).
async fn set_redrive_policy(client: &Client, queue_url: &str, dlq_url: &str) -> Result<(), Error> {
    let out = client
        .get_queue_attributes()
        .queue_url(dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| backend("GetQueueAttributes", e))?;
    let arn = out
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .ok_or_else(|| Error::Backend("SQS GetQueueAttributes: no QueueArn".into()))?;
    let policy = serde_json::json!({
        "deadLetterTargetArn": arn,
        "maxReceiveCount": REDRIVE_MAX_RECEIVE_COUNT.to_string(),
    });
    client
        .set_queue_attributes()
        .queue_url(queue_url)
        .attributes(QueueAttributeName::RedrivePolicy, policy.to_string())
        .send()
        .await
        .map_err(|e| backend("SetQueueAttributes", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_names_are_checked() {
        assert!(check_queue("leakwall-tasks_1").is_ok());
        assert!(check_queue("https://sqs.eu-central-1.amazonaws.com/1234/leakwall").is_ok());
        assert!(check_queue("").is_err());
        assert!(check_queue("tasks.fifo").is_err());
        assert!(check_queue("has space").is_err());
        assert!(check_queue(&"x".repeat(81)).is_err());
        assert_eq!(
            queue_name("http://localhost:5123/123456789012/tasks/"),
            "tasks"
        );
    }
}
