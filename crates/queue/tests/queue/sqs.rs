//! The conformance suite on the SQS backend, against moto_server at
//! `LEAKWALL_TEST_SQS_ENDPOINT` (default `http://127.0.0.1:5123`; `.ci/moto` starts it). Each
//! case uses its own queue and DLQ (random names), deleted afterwards. When nothing answers
//! there the cases fail, saying to run `.ci/moto`, unless `LEAKWALL_TEST_SQS=skip`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sqs::types::QueueAttributeName;
use leakwall_queue::sqs::{SqsConfig, SqsQueue, REDRIVE_MAX_RECEIVE_COUNT};
use leakwall_queue::{Error, Queue};

use crate::suite::Timing;

const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:5123";
const REGION: &str = "us-east-1";

/// SQS leases and delays are whole seconds. moto is slow with many messages (a receive of 10
/// from 500 takes ~0.4 s), hence the patience; and under CI load a receive followed by the
/// check that the message is now hidden has taken more than 1 s, so the lease the cases wait
/// out is 3 s: those two calls must both land inside it.
const SQS: Timing = Timing {
    lease: Duration::from_secs(3),
    slack: Duration::from_millis(800),
    patience: Duration::from_secs(15),
};

/// moto's endpoint, or `None` when `LEAKWALL_TEST_SQS=skip`. Panics with what to do when
/// nothing answers there.
async fn endpoint() -> Option<String> {
    if std::env::var("LEAKWALL_TEST_SQS").is_ok_and(|v| v == "skip") {
        eprintln!("LEAKWALL_TEST_SQS=skip: SQS case skipped");
        return None;
    }
    let endpoint = std::env::var("LEAKWALL_TEST_SQS_ENDPOINT").unwrap_or(DEFAULT_ENDPOINT.into());
    let address = endpoint.split("://").nth(1).unwrap_or(&endpoint);
    let address = address.split('/').next().unwrap_or(address);
    let connect = tokio::net::TcpStream::connect(address.to_owned());
    let answers = tokio::time::timeout(Duration::from_secs(2), connect).await;
    if !matches!(answers, Ok(Ok(_))) {
        panic!(
            "moto_server is not answering at LEAKWALL_TEST_SQS_ENDPOINT (default \
             {DEFAULT_ENDPOINT}): start it with .ci/moto, or set LEAKWALL_TEST_SQS=skip"
        );
    }
    Some(endpoint)
}

/// A queue name no other case uses.
fn unique_name() -> String {
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).expect("random");
    let hex: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    format!("lw-test-{hex}")
}

fn config(endpoint: &str, queue: &str) -> SqsConfig {
    SqsConfig {
        endpoint: Some(endpoint.to_owned()),
        create: true,
        ..SqsConfig::new(queue, REGION)
    }
}

/// A plain SDK client on moto, for what the `Queue` trait does not do (deleting queues,
/// reading attributes).
fn admin_client(endpoint: &str) -> aws_sdk_sqs::Client {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

async fn delete_queues(endpoint: &str, queue: &SqsQueue) {
    let client = admin_client(endpoint);
    for url in [queue.queue_url(), queue.dead_letter_queue_url()] {
        // Best effort: moto forgets everything when it stops anyway.
        let _ = client.delete_queue().queue_url(url).send().await;
    }
}

/// Runs `case` on a new queue (and DLQ) in moto, deleted afterwards.
async fn run<F, Fut>(case: F)
where
    F: FnOnce(Arc<dyn Queue>, Timing) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(endpoint) = endpoint().await else {
        return;
    };
    let queue = SqsQueue::connect(config(&endpoint, &unique_name())).await;
    let queue = Arc::new(queue.expect("connect to moto"));
    let outcome = tokio::spawn(case(queue.clone(), SQS)).await;
    delete_queues(&endpoint, &queue).await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

conformance!(run);

/// With `create`, the queue redrives to its DLQ after [`REDRIVE_MAX_RECEIVE_COUNT`]
/// deliveries, so a message that keeps crashing workers (never deleted, never dead-lettered)
/// ends up there; it is listed with a reason saying so, and can be requeued.
#[tokio::test]
async fn redrive_policy_moves_a_message_received_too_often() {
    let Some(endpoint) = endpoint().await else {
        return;
    };
    let queue = SqsQueue::connect(config(&endpoint, &unique_name()))
        .await
        .expect("connect");
    queue
        .send("crashes workers".into(), Duration::ZERO)
        .await
        .expect("send");
    let mut deliveries = 0;
    for _ in 0..REDRIVE_MAX_RECEIVE_COUNT + 2 {
        // A zero lease: visible again at once, as after a worker crash.
        let got = queue
            .receive(1, Duration::ZERO, Duration::ZERO)
            .await
            .expect("receive");
        deliveries += got.len();
    }
    assert_eq!(deliveries, REDRIVE_MAX_RECEIVE_COUNT as usize);
    let dead = queue.dead_letters(10).await.expect("dead_letters");
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].body, "crashes workers");
    assert!(dead[0].reason.contains("redrive"), "{}", dead[0].reason);
    assert!(queue.requeue(&dead[0].id).await.expect("requeue"));
    let back = queue
        .receive(1, Duration::from_secs(60), Duration::from_secs(5))
        .await;
    assert_eq!(
        back.expect("receive")[0].receive_count,
        1,
        "a fresh message"
    );

    let attributes = admin_client(&endpoint)
        .get_queue_attributes()
        .queue_url(queue.queue_url())
        .attribute_names(QueueAttributeName::RedrivePolicy)
        .send()
        .await
        .expect("attributes");
    let policy = attributes
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::RedrivePolicy));
    assert!(policy.is_some_and(|p| p.contains(
        queue
            .dead_letter_queue_url()
            .rsplit('/')
            .next()
            .unwrap_or("?")
    )));
    delete_queues(&endpoint, &queue).await;
}

/// Without `create`, a missing queue is a configuration error; with it, connecting again to
/// existing queues (as every restart does) is fine, by name or by URL.
#[tokio::test]
async fn connect_finds_or_creates_queues() {
    let Some(endpoint) = endpoint().await else {
        return;
    };
    let name = unique_name();
    let missing = SqsConfig {
        create: false,
        ..config(&endpoint, &name)
    };
    let err = SqsQueue::connect(missing.clone()).await.err();
    assert!(matches!(err, Some(Error::Config(_))), "{err:?}");

    let created = SqsQueue::connect(config(&endpoint, &name))
        .await
        .expect("create");
    assert!(created
        .dead_letter_queue_url()
        .ends_with(&format!("{name}-dlq")));
    SqsQueue::connect(config(&endpoint, &name))
        .await
        .expect("create again");
    let found = SqsQueue::connect(missing)
        .await
        .expect("connect without create");
    assert_eq!(found.queue_url(), created.queue_url());
    let by_url = SqsConfig {
        create: false,
        ..config(&endpoint, created.queue_url())
    };
    let by_url = SqsQueue::connect(by_url).await.expect("connect by URL");
    assert_eq!(
        by_url.dead_letter_queue_url(),
        created.dead_letter_queue_url()
    );
    delete_queues(&endpoint, &created).await;
}

/// Settings SQS would refuse are refused before any call; an endpoint where nothing listens
/// is a backend error naming the call.
#[tokio::test]
async fn bad_settings_and_unreachable_endpoints_are_errors() {
    for queue in ["tasks.fifo", "no spaces", ""] {
        let err = SqsQueue::connect(config(DEFAULT_ENDPOINT, queue))
            .await
            .err();
        assert!(matches!(err, Some(Error::Config(_))), "{queue:?}: {err:?}");
    }
    let no_region = SqsConfig {
        region: String::new(),
        ..config(DEFAULT_ENDPOINT, "tasks")
    };
    assert!(matches!(
        SqsQueue::connect(no_region).await,
        Err(Error::Config(_))
    ));
    let not_http = config("127.0.0.1:5123", "tasks");
    assert!(matches!(
        SqsQueue::connect(not_http).await,
        Err(Error::Config(_))
    ));

    let nobody = config("http://127.0.0.1:9", "tasks");
    match SqsQueue::connect(nobody).await {
        Err(Error::Backend(message)) => assert!(message.contains("CreateQueue"), "{message}"),
        other => panic!("expected a backend error, got {other:?}"),
    }
}

/// A delay longer than SQS allows (15 minutes) is clamped, not refused.
#[tokio::test]
async fn long_delays_are_clamped() {
    let Some(endpoint) = endpoint().await else {
        return;
    };
    let queue = SqsQueue::connect(config(&endpoint, &unique_name()))
        .await
        .expect("connect");
    queue
        .send("tomorrow".into(), Duration::from_secs(86_400))
        .await
        .expect("send");
    let stats = queue.stats().await.expect("stats");
    assert_eq!((stats.ready, stats.delayed), (0, 1), "{stats:?}");
    delete_queues(&endpoint, &queue).await;
}
