//! The scan API: text and uploads, verdicts, limits, and detector changes taking effect at once.

use leakwall_server::Config;
use serde_json::{json, Value};

use crate::both;
use crate::support::{Db, TestServer};

async fn admin(server: &TestServer) -> String {
    let (_, key) = server
        .store
        .create_api_key("t", "t", &["admin".to_owned()], None)
        .await
        .expect("key");
    key
}

fn detectors(v: &Value) -> Vec<&str> {
    v["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["detector"].as_str())
        .collect()
}

async fn scan_text_verdicts_and_detector_changes(db: Db) {
    let Some(server) = TestServer::start(db, Config::default()).await else {
        return;
    };
    let key = admin(&server).await;
    let auth = [("authorization", format!("Bearer {key}"))];
    let h: Vec<(&str, &str)> = auth.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let scan = |text: &str| json!({"text": text}).to_string();

    let (status, clean) = server
        .call("POST", "/v1/scan", &h, Some(&scan("nothing here")))
        .await;
    assert_eq!(status, 200, "{clean}");
    assert_eq!(clean["verdict"], "allow");
    let (_, card) = server
        .call(
            "POST",
            "/v1/scan",
            &h,
            Some(&scan("card 4111 1111 1111 1111")),
        )
        .await;
    assert_eq!(card["verdict"], "block", "{card}");
    assert_eq!(detectors(&card), ["credit_card"]);
    assert!(
        !card.to_string().contains("4111 1111 1111 1111"),
        "masked: {card}"
    );
    let (_, mail) = server
        .call(
            "POST",
            "/v1/scan",
            &h,
            Some(&scan("write to jane.doe@corp-mail.com")),
        )
        .await;
    assert_eq!(mail["verdict"], "warn", "{mail}");

    // Switching a built-in detector off takes effect on the next scan.
    let off = json!({"name": "credit_card", "enabled": false}).to_string();
    let (status, body) = server.call("POST", "/api/detectors", &h, Some(&off)).await;
    assert_eq!(status, 201, "{body}");
    let (_, after) = server
        .call(
            "POST",
            "/v1/scan",
            &h,
            Some(&scan("card 4111 1111 1111 1111")),
        )
        .await;
    assert_eq!(after["verdict"], "allow", "{after}");
    let on = json!({"enabled": true}).to_string();
    let (status, _) = server
        .call("PATCH", "/api/detectors/credit_card", &h, Some(&on))
        .await;
    assert_eq!(status, 200);
    let (_, again) = server
        .call(
            "POST",
            "/v1/scan",
            &h,
            Some(&scan("card 4111 1111 1111 1111")),
        )
        .await;
    assert_eq!(detectors(&again), ["credit_card"], "{again}");

    // A custom detector, then deleted: gone from the next scan.
    let custom =
        json!({"name": "ticket", "pattern": "TCK-[0-9]{5}", "category": "pii"}).to_string();
    let (status, _) = server
        .call("POST", "/api/detectors", &h, Some(&custom))
        .await;
    assert_eq!(status, 201);
    let (_, found) = server
        .call("POST", "/v1/scan", &h, Some(&scan("see TCK-12345")))
        .await;
    assert_eq!(detectors(&found), ["ticket"], "{found}");
    let (status, _) = server
        .call("DELETE", "/api/detectors/ticket", &h, None)
        .await;
    assert_eq!(status, 200);
    let (_, gone) = server
        .call("POST", "/v1/scan", &h, Some(&scan("see TCK-12345")))
        .await;
    assert!(detectors(&gone).is_empty(), "{gone}");

    // Bad input: 400, not 500.
    for bad in ["{\"txt\": 1}", "[1]", "nope"] {
        let (status, body) = server.call("POST", "/v1/scan", &h, Some(bad)).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    server.finish().await;
}
both!(scan_text_verdicts_and_detector_changes);

async fn bodies_over_the_limits_are_413(db: Db) {
    let mut config = Config::default();
    config.server.max_body_bytes = 2048;
    config.scan.max_text_bytes = 4096;
    let Some(server) = TestServer::start(db, config).await else {
        return;
    };
    let key = admin(&server).await;
    let bearer = format!("Bearer {key}");
    let h = [("authorization", bearer.as_str())];
    let big = json!({"source": "x", "detector": "y", "excerpt": "a".repeat(4000)}).to_string();
    let (status, body) = server.call("POST", "/api/incidents", &h, Some(&big)).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "payload_too_large");
    let text = json!({"text": "b".repeat(5000)}).to_string();
    let (status, _) = server.call("POST", "/v1/scan", &h, Some(&text)).await;
    assert_eq!(status, 413);
    let (status, page) = server.call("GET", "/api/incidents", &h, None).await;
    assert_eq!(
        (status.as_u16(), page["items"].as_array().map(Vec::len)),
        (200, Some(0))
    );
    server.finish().await;
}
both!(bodies_over_the_limits_are_413);
