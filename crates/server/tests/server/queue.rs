//! The queue through the server: a `scan_text` task records incidents; dead letters are listed,
//! requeued and dropped through the admin API, under its access control, audited.

use std::sync::Arc;

use leakwall_queue::embedded::EmbeddedQueue;
use leakwall_queue::postgres::PostgresQueue;
use leakwall_queue::worker::{Producer, Worker};
use leakwall_queue::{Envelope, Queue};
use leakwall_server::Config;
use serde_json::{json, Value};

use crate::both;
use crate::support::{Db, TestServer};

async fn with_queue(db: Db) -> Option<(TestServer, Arc<dyn Queue>)> {
    let mut server = TestServer::start(db, Config::default()).await?;
    let url = server.state.settings.database_url.clone();
    let queue: Arc<dyn Queue> = match db {
        Db::Sqlite => Arc::new(EmbeddedQueue::open(&url, "tasks").await.expect("queue")),
        Db::Postgres => Arc::new(PostgresQueue::open(&url, "tasks").await.expect("queue")),
    };
    server.state = server.state.clone().with_queue(Arc::clone(&queue));
    Some((server, queue))
}

fn worker(server: &TestServer, queue: Arc<dyn Queue>) -> Worker {
    let registry = leakwall_server::tasks::shared_registry(&server.state);
    let config = leakwall_server::queue::worker_config(&server.state.settings.queue);
    Worker::new(queue, registry, config)
}

async fn tasks_record_incidents_and_dead_letters_are_managed(db: Db) {
    let Some((server, queue)) = with_queue(db).await else {
        return;
    };
    let (_, admin) = server
        .store
        .create_api_key("a", "a", &["admin".into()], None)
        .await
        .expect("key");
    let reader_group =
        json!({"id": "reader", "permitted_endpoints": [{"method": "GET", "endpoint": "^/"}]});
    let Value::Object(reader_group) = reader_group else {
        unreachable!()
    };
    server
        .store
        .create(&leakwall_store::schemas::GROUPS, reader_group, None)
        .await
        .expect("group");
    let (_, reader) = server
        .store
        .create_api_key("r", "r", &["reader".into()], None)
        .await
        .expect("key");
    let admin = format!("Bearer {admin}");
    let reader = format!("Bearer {reader}");
    let as_admin = [("authorization", admin.as_str())];
    let as_reader = [("authorization", reader.as_str())];

    let producer = Producer::new(Arc::clone(&queue));
    let scan = Envelope::new("scan_text")
        .kwarg("text", json!("card 4111 1111 1111 1111"))
        .kwarg("source", json!("slack"))
        .kwarg("channel", json!("C9"));
    producer.enqueue(&scan).await.expect("enqueue");
    producer
        .enqueue(&Envelope::new("no_such_task"))
        .await
        .expect("enqueue");
    let w = worker(&server, Arc::clone(&queue));
    let mut handled = 0;
    for _ in 0..10 {
        handled += w.tick().await.expect("tick");
        if handled >= 2 {
            break;
        }
    }
    assert_eq!(handled, 2);

    let (status, incidents) = server
        .call("GET", "/api/incidents?channel=C9", &as_admin, None)
        .await;
    assert_eq!(status, 200);
    let items = incidents["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{incidents}");
    assert_eq!(items[0]["detector"], "credit_card");
    assert_eq!(items[0]["action"], "block");
    assert!(!incidents.to_string().contains("4111 1111 1111 1111"));

    let (status, dead) = server
        .call("GET", "/api/queue/dead-letters", &as_reader, None)
        .await;
    assert_eq!(status, 200, "{dead}");
    let items = dead["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{dead}");
    assert_eq!(items[0]["task"], "no_such_task");
    assert!(
        items[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("scan_text")),
        "{dead}"
    );
    let id = items[0]["id"].as_str().expect("id").to_owned();

    let requeue = format!("/api/queue/dead-letters/{id}/requeue");
    let (status, _) = server.call("POST", &requeue, &as_reader, None).await;
    assert_eq!(status, 403, "a reader cannot requeue");
    let (status, body) = server.call("POST", &requeue, &as_admin, None).await;
    assert_eq!(status, 200, "{body}");
    let (_, stats) = server.call("GET", "/api/queue", &as_admin, None).await;
    assert_eq!(stats["dead"], 0, "{stats}");
    assert_eq!(
        w.tick().await.expect("tick"),
        1,
        "the requeued task ran (and failed) again"
    );
    let (_, dead) = server
        .call("GET", "/api/queue/dead-letters", &as_admin, None)
        .await;
    let id = dead["items"][0]["id"]
        .as_str()
        .expect("dead again")
        .to_owned();
    let (status, _) = server
        .call(
            "DELETE",
            &format!("/api/queue/dead-letters/{id}"),
            &as_admin,
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = server
        .call("DELETE", "/api/queue/dead-letters/nope", &as_admin, None)
        .await;
    assert_eq!(status, 404);
    let (_, audit) = server
        .call(
            "GET",
            "/api/audit?resource=queue&action=REQUEUE",
            &as_admin,
            None,
        )
        .await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1), "{audit}");
    let (status, ready) = server.call("GET", "/readyz", &[], None).await;
    assert_eq!(
        (status.as_u16(), &ready["checks"]["queue"]),
        (200, &json!("ok"))
    );
    server.finish().await;
}
both!(tasks_record_incidents_and_dead_letters_are_managed);
