//! Sharing rules end to end (issue 9): the real `leakwall serve` with its proxy guard in OCS
//! mode in front of the fake OCS server; the sharing settings set through the admin API; share
//! calls sent through the guard as a Nextcloud client sends them.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

use serde_json::{json, Value};

use crate::ocs_fake::FakeOcs;
use crate::support::{tempdir, write};

const SHARES: &str = "/ocs/v2.php/apps/files_sharing/api/v1/shares";
const SERVICE: &str = "leakwall-service";

/// A running `leakwall serve`; killed when dropped.
struct Server {
    child: Child,
    base: String,
    guard: String,
    key: String,
    _stdout: BufReader<ChildStdout>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[allow(clippy::zombie_processes)]
fn serve(dir: &Path, upstream: &str) -> Server {
    let db = format!("sqlite://{}", dir.join("leakwall.db").display());
    let yaml = format!(
        "proxy: {{listen: \"127.0.0.1:0\", upstream: \"{upstream}\"}}\n\
         grpc: {{listen: \"\"}}\n\
         sharing: {{ocs: {{service_user: {SERVICE}, revoke_attempts: 3, revoke_backoff_ms: 20}}}}\n"
    );
    let config = write(dir, "leakwall.yaml", yaml);
    let mut child = Command::new(env!("CARGO_BIN_EXE_leakwall"))
        .args([
            "serve",
            "--no-workers",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &db,
        ])
        .arg("--config")
        .arg(&config)
        .env("LEAKWALL_SHARING_OCS_PASSWORD", "service-secret")
        .env("LEAKWALL_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start leakwall serve");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut printed = String::new();
    let (mut base, mut guard) = (None, None);
    while base.is_none() || guard.is_none() {
        let mut line = String::new();
        let n = stdout.read_line(&mut line).expect("read stdout");
        assert!(n > 0, "serve exited before listening:\n{printed}");
        printed.push_str(&line);
        if let Some(rest) = line.trim().strip_prefix("Leakwall is listening on ") {
            base = Some(rest.to_owned());
        }
        if let Some(rest) = line.trim().strip_prefix("proxy guard ") {
            guard = rest.split(' ').next().map(str::to_owned);
        }
    }
    let key = printed
        .split_whitespace()
        .find(|w| w.starts_with("lw_"))
        .expect("the first admin key")
        .to_owned();
    Server {
        child,
        base: base.unwrap_or_default(),
        guard: guard.unwrap_or_default(),
        key,
        _stdout: stdout,
    }
}

/// ann, bob, carl are internal (corp.example); /Team has bob as editor and carl as viewer;
/// /Projects is shared by public link.
async fn world() -> (FakeOcs, u64, u64) {
    let fake = FakeOcs::start().await;
    for (id, email) in [
        ("ann", "ann@corp.example"),
        ("bob", "bob@corp.example"),
        ("carl", "carl@corp.example"),
        ("ext", "ext@partner.example"),
        (SERVICE, "service@corp.example"),
    ] {
        fake.add_user(id, email);
    }
    for folder in ["/Team", "/Projects", "/Projects/Alpha"] {
        fake.add_folder(folder);
    }
    let bob = fake.add_share(0, "/Team", "bob", 31);
    let carl = fake.add_share(0, "/Team", "carl", 1);
    fake.add_share(3, "/Projects", "", 1);
    (fake, bob, carl)
}

async fn enable(client: &reqwest::Client, server: &Server) {
    let settings = json!({"enabled": true, "internal_pattern": "[a-z]+@corp\\.example"});
    let answer = client
        .patch(format!("{}/api/sharing/settings", server.base))
        .bearer_auth(&server.key)
        .json(&settings)
        .send()
        .await
        .expect("settings");
    assert_eq!(answer.status(), 200, "{:?}", answer.text().await);
}

fn share_call(
    client: &reqwest::Client,
    server: &Server,
    query: &str,
    form: &str,
) -> reqwest::RequestBuilder {
    client
        .post(format!("{}{SHARES}{query}", server.guard))
        .basic_auth("ann", Some("ann-password"))
        .header("OCS-APIRequest", "true")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
}

async fn incidents(client: &reqwest::Client, server: &Server) -> Vec<Value> {
    let listed: Value = client
        .get(format!(
            "{}/api/incidents?source=sharing&order=asc",
            server.base
        ))
        .bearer_auth(&server.key)
        .send()
        .await
        .expect("incidents")
        .json()
        .await
        .expect("JSON");
    listed["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_answers_in_the_clients_format_and_nothing_reaches_the_upstream() {
    let dir = tempdir();
    let (fake, _, _) = world().await;
    let server = serve(dir.path(), &fake.base);
    let client = reqwest::Client::new();
    let form = "path=%2FProjects%2FAlpha&shareType=0&shareWith=carl&permissions=15";
    let off = share_call(&client, &server, "?format=json", form)
        .send()
        .await
        .expect("call");
    assert_eq!(off.status(), 200, "rules off: forwarded");
    assert!(
        !fake.log().iter().any(|l| l.contains("/cloud/users/")),
        "rules off: nothing read first: {:?}",
        fake.log()
    );
    enable(&client, &server).await;
    let before = fake.shares();
    let calls_before = fake.log().len();

    let xml = share_call(&client, &server, "", form)
        .send()
        .await
        .expect("XML call");
    assert_eq!(xml.status(), 403);
    assert!(xml.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .contains("xml"));
    let text = xml.text().await.expect("body");
    assert!(text.contains("<status>failure</status>"), "{text}");
    assert!(text.contains("<statuscode>403</statuscode>"), "{text}");
    assert!(
        text.contains("public link tok"),
        "the external party is named: {text}"
    );

    let json = share_call(&client, &server, "?format=json", form)
        .send()
        .await
        .expect("JSON call");
    assert_eq!(json.status(), 403);
    let body: Value = json.json().await.expect("JSON envelope");
    assert_eq!(body["ocs"]["meta"]["status"], "failure");
    assert_eq!(body["ocs"]["meta"]["statuscode"], 403);
    assert!(body["ocs"]["meta"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("carl@corp.example"));

    let unknown = share_call(
        &client,
        &server,
        "?format=json",
        "path=%2FProjects&shareType=0&shareWith=nobody",
    )
    .send()
    .await
    .expect("call");
    assert_eq!(
        unknown.status(),
        404,
        "an unknown user is the client's error"
    );
    let body: Value = unknown.json().await.expect("JSON envelope");
    assert_eq!(body["ocs"]["meta"]["status"], "failure");

    assert_eq!(fake.shares(), before, "nothing applied upstream");
    assert!(
        !fake.log()[calls_before..]
            .iter()
            .any(|l| l.starts_with("POST") || l.starts_with("PUT")),
        "no write reached the upstream: {:?}",
        fake.log()
    );
    let lookups = fake
        .log()
        .iter()
        .filter(|l| l.as_str() == "GET /ocs/v2.php/cloud/users/ann")
        .count();
    assert_eq!(
        lookups,
        1,
        "the sharer's address is cached: {:?}",
        fake.log()
    );
    let recorded = incidents(&client, &server).await;
    assert_eq!(recorded.len(), 2, "two rejections recorded: {recorded:?}");
    assert_eq!(recorded[0]["action"], "reject");
    assert_eq!(recorded[0]["channel"], "proxy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_external_share_goes_through_and_write_is_revoked_upstream_with_retries() {
    let dir = tempdir();
    let (fake, bob, carl) = world().await;
    fake.fail_updates(bob, 1);
    let server = serve(dir.path(), &fake.base);
    let client = reqwest::Client::new();
    enable(&client, &server).await;

    let answer = share_call(
        &client,
        &server,
        "?format=json",
        "path=%2FTeam&shareType=4&shareWith=ext%40partner.example",
    )
    .send()
    .await
    .expect("share call");
    assert_eq!(answer.status(), 200);
    let warning = answer
        .headers()
        .get("x-leakwall-warning")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(warning.contains("bob@corp.example"), "{warning}");
    let body: Value = answer.json().await.expect("JSON");
    assert_eq!(body["ocs"]["meta"]["status"], "ok");
    assert!(
        body["ocs"]["meta"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("external party ext@partner.example"),
        "{body}"
    );
    assert!(
        fake.shares()
            .iter()
            .any(|s| s.share_type == 4 && s.share_with == "ext@partner.example"),
        "the share went through"
    );
    assert_eq!(
        fake.share(bob).map(|s| s.permissions),
        Some(17),
        "WRITE revoked, share kept"
    );
    assert_eq!(
        fake.share(carl).map(|s| s.permissions),
        Some(1),
        "a viewer is untouched"
    );

    let recorded = incidents(&client, &server).await;
    let actions: Vec<&str> = recorded
        .iter()
        .filter_map(|i| i["action"].as_str())
        .collect();
    assert_eq!(actions, ["warn", "revoke"], "{recorded:?}");
    assert_eq!(recorded[1]["location"], "bob@corp.example");
    assert_eq!(
        recorded[1]["outcome"], "applied after 2 attempts",
        "retried once: {recorded:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_that_keeps_failing_is_reported() {
    let dir = tempdir();
    let (fake, bob, _) = world().await;
    fake.fail_updates(bob, 10);
    let server = serve(dir.path(), &fake.base);
    let client = reqwest::Client::new();
    enable(&client, &server).await;
    let answer = share_call(&client, &server, "", "path=%2FTeam&shareType=3")
        .send()
        .await
        .expect("share call");
    assert_eq!(answer.status(), 200);
    let text = answer.text().await.expect("XML");
    assert!(text.contains("<status>ok</status>"), "{text}");
    assert!(
        text.contains("Revoking WRITE failed for bob@corp.example"),
        "{text}"
    );
    assert_eq!(fake.share(bob).map(|s| s.permissions), Some(31));
    let puts = fake
        .log()
        .iter()
        .filter(|l| l.starts_with(&format!("PUT {SHARES}/{bob}")))
        .count();
    assert_eq!(puts, 3, "three attempts: {:?}", fake.log());
    let recorded = incidents(&client, &server).await;
    let revoke = recorded
        .iter()
        .find(|i| i["action"] == "revoke")
        .expect("revocation recorded");
    assert!(
        revoke["outcome"]
            .as_str()
            .unwrap_or_default()
            .starts_with("failed after 3 attempts"),
        "{revoke}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_ocs_server_answers_as_nextcloud_does() {
    let (fake, bob, _) = world().await;
    let client = reqwest::Client::new();
    let get = |path: &str, ocs: bool| {
        let mut request = client
            .get(format!("{}{path}", fake.base))
            .basic_auth(SERVICE, Some("x"));
        if ocs {
            request = request.header("OCS-APIRequest", "true");
        }
        request.send()
    };
    let csrf = get(&format!("{SHARES}/{bob}?format=json"), false)
        .await
        .expect("call");
    assert_eq!(csrf.status(), 401, "no OCS-APIRequest header");
    let v1 = get(
        &format!("/ocs/v1.php/apps/files_sharing/api/v1/shares/{bob}"),
        true,
    )
    .await
    .expect("call");
    assert_eq!(v1.status(), 200);
    let text = v1.text().await.expect("XML");
    assert!(
        text.contains("<statuscode>100</statuscode>") && text.contains("<element>"),
        "{text}"
    );
    let missing = get("/ocs/v2.php/cloud/users/nobody?format=json", true)
        .await
        .expect("call");
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.expect("JSON");
    assert_eq!(body["ocs"]["meta"]["status"], "failure");
    let v1_missing = get("/ocs/v1.php/cloud/users/nobody", true)
        .await
        .expect("call");
    assert_eq!(
        v1_missing.status(),
        200,
        "v1 answers 200 with the failure in meta"
    );
}
