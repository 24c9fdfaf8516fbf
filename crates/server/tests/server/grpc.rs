//! The gRPC policy API (`policiesProvider.Evaluate`) with a real tonic client against the
//! server on 127.0.0.1:0, and its HTTP mapping `POST /api/v0/policies/evaluate`, over small
//! test policies: only a single `true` allows, a policy answer that is not `true` is `false`,
//! engine failures are errors, and the policy sees the environment as the spec's `input`.

use leakwall_server::grpc::proto::ocis::messages::policies::v0::{resource, user};
use leakwall_server::grpc::{
    Environment, EvaluateRequest, PoliciesProviderClient, Request, Resource, Stage, User,
};
use leakwall_server::Config;
use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;
use tonic::Code;

use crate::support::{Db, TestServer};

const POLICY: &str = r#"package t

allow := true

deny := false

number := 7

slow if count([1 | some i in numbers.range(1, 10000); some j in numbers.range(1, 10000)]) > 0

mapped if input == {
	"stage": "http",
	"user": {
		"id": {"opaque_id": "u-1"}, "username": "ann", "mail": "ann@example.org",
		"display_name": "Ann A", "groups": ["staff", "finance"],
	},
	"request": {"method": "PUT", "path": "/dav/files/ann/a.pdf"},
	"resource": {
		"resource_id": {"storage_id": "st", "opaque_id": "op", "space_id": "sp"},
		"name": "a.pdf", "size": 1234, "url": "https://files.example.org/a.pdf",
	},
}

empty if input == {
	"stage": "pp",
	"user": {"id": {"opaque_id": ""}, "username": "", "mail": "", "display_name": "", "groups": []},
	"request": {"method": "", "path": ""},
	"resource": {
		"resource_id": {"storage_id": "", "opaque_id": "", "space_id": ""},
		"name": "", "size": 0, "url": "",
	},
}
"#;

/// The server's state behind a gRPC listener on a free port, and an admin key for HTTP.
struct Grpc {
    server: TestServer,
    client: PoliciesProviderClient<Channel>,
    bearer: String,
    stop: oneshot::Sender<()>,
    serving: JoinHandle<anyhow::Result<()>>,
    _policies: tempfile::TempDir,
}

/// Serves `policy` (none when `None`) with a 1 s evaluation time limit.
async fn start(policy: Option<&str>) -> Grpc {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = Config::default();
    if let Some(policy) = policy {
        let file = dir.path().join("t.rego");
        std::fs::write(&file, policy).expect("write policy");
        config.policies.engine.policies = vec![file];
        config.policies.engine.timeout_ms = 1000;
    }
    let mut server = TestServer::start(Db::Sqlite, config).await.expect("server");
    server.state = server.state.clone().with_policies().await;
    let (_, key) = server
        .store
        .create_api_key("g", "g", &["admin".into()], None)
        .await
        .expect("key");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(leakwall_server::grpc::serve(
        server.state.clone(),
        listener,
        async move {
            let _ = stopped.await;
        },
    ));
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    Grpc {
        server,
        client: PoliciesProviderClient::new(channel),
        bearer: format!("Bearer {key}"),
        stop,
        serving,
        _policies: dir,
    }
}

impl Grpc {
    async fn evaluate(&self, query: &str, env: Option<Environment>) -> Result<bool, tonic::Status> {
        let request = EvaluateRequest {
            query: query.into(),
            environment: env,
        };
        let mut client = self.client.clone();
        client
            .evaluate(request)
            .await
            .map(|r| r.into_inner().result)
    }

    async fn http(&self, body: Value) -> (u16, Value) {
        let h = [("authorization", self.bearer.as_str())];
        let body = body.to_string();
        let (status, value) = self
            .server
            .call("POST", "/api/v0/policies/evaluate", &h, Some(&body))
            .await;
        (status.as_u16(), value)
    }

    /// Stops the listener gracefully; serving must end without error.
    async fn finish(self) {
        drop(self.client);
        self.stop.send(()).expect("server still running");
        let served = tokio::time::timeout(std::time::Duration::from_secs(10), self.serving)
            .await
            .expect("graceful shutdown within 10 s")
            .expect("join");
        served.expect("serve ends cleanly");
        self.server.finish().await;
    }
}

fn environment() -> Environment {
    Environment {
        stage: Stage::Http as i32,
        user: Some(User {
            id: Some(user::Id {
                opaque_id: "u-1".into(),
            }),
            username: "ann".into(),
            mail: "ann@example.org".into(),
            display_name: "Ann A".into(),
            groups: vec!["staff".into(), "finance".into()],
        }),
        request: Some(Request {
            method: "PUT".into(),
            path: "/dav/files/ann/a.pdf".into(),
        }),
        resource: Some(Resource {
            id: Some(resource::Id {
                storage_id: "st".into(),
                opaque_id: "op".into(),
                space_id: "sp".into(),
            }),
            name: "a.pdf".into(),
            size: 1234,
            url: "https://files.example.org/a.pdf".into(),
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_allows_only_a_single_true() {
    let g = start(Some(POLICY)).await;
    let env = || Some(environment());
    assert!(g.evaluate("data.t.allow", env()).await.expect("allow"));
    for query in [
        "data.t.deny",
        "data.t.nothing",
        "data.nopkg.x",
        "data.t.number",
    ] {
        let result = g.evaluate(query, env()).await;
        assert!(!result.expect("a policy answer is not an error"), "{query}");
    }
    g.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_passes_the_environment_as_the_spec_input() {
    let g = start(Some(POLICY)).await;
    assert!(g
        .evaluate("data.t.mapped", Some(environment()))
        .await
        .expect("mapped"));
    let changed: [fn(&mut Environment); 5] = [
        |e| e.stage = Stage::Pp as i32,
        |e| e.user.as_mut().expect("user").display_name.clear(),
        |e| e.user.as_mut().expect("user").id = None,
        |e| e.resource.as_mut().expect("resource").size = 1,
        |e| {
            e.resource
                .as_mut()
                .expect("resource")
                .id
                .as_mut()
                .expect("id")
                .space_id
                .clear()
        },
    ];
    for (i, change) in changed.iter().enumerate() {
        let mut env = environment();
        change(&mut env);
        let result = g
            .evaluate("data.t.mapped", Some(env))
            .await
            .expect("answer");
        assert!(!result, "change {i} must be seen by the policy");
    }
    // No environment: STAGE_PP ("pp"), every field present with its zero value.
    assert!(g.evaluate("data.t.empty", None).await.expect("empty"));
    g.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_refuses_malformed_queries_and_stages() {
    let g = start(Some(POLICY)).await;
    for query in [
        "",
        "data",
        "t.allow",
        "data.t.allow == true",
        "data.t[0]",
        "x := data.t",
    ] {
        let status = g.evaluate(query, None).await.expect_err(query);
        assert_eq!(status.code(), Code::InvalidArgument, "{query}: {status:?}");
    }
    let env = Environment {
        stage: 5,
        ..Environment::default()
    };
    let status = g
        .evaluate("data.t.allow", Some(env))
        .await
        .expect_err("stage 5");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("stage"), "{status:?}");
    g.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_engine_failures_are_errors_not_answers() {
    let g = start(Some(POLICY)).await;
    let status = g.evaluate("data.t.slow", None).await.expect_err("timeout");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert!(status.message().contains("timeout"), "{status:?}");
    g.finish().await;

    let broken = start(Some("package t\n\nallow := \n")).await;
    let status = broken
        .evaluate("data.t.allow", None)
        .await
        .expect_err("compile");
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    assert!(status.message().contains("compile_error"), "{status:?}");
    broken.finish().await;

    let none = start(None).await;
    let status = none.evaluate("data.t.allow", None).await.expect_err("none");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    none.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_mapping_answers_like_grpc() {
    let g = start(Some(POLICY)).await;
    let ok = |result: bool| (200, json!({ "result": result }));
    assert_eq!(g.http(json!({"query": "data.t.allow"})).await, ok(true));
    for query in ["data.t.deny", "data.t.nothing", "data.t.number"] {
        assert_eq!(
            g.http(json!({ "query": query })).await,
            ok(false),
            "{query}"
        );
    }
    // protojson: lowerCamelCase names, the stage by name, a uint64 as a string.
    let camel = json!({"query": "data.t.mapped", "environment": {"stage": "STAGE_HTTP",
        "user": {"id": {"opaqueId": "u-1"}, "username": "ann", "mail": "ann@example.org",
                 "displayName": "Ann A", "groups": ["staff", "finance"]},
        "request": {"method": "PUT", "path": "/dav/files/ann/a.pdf"},
        "resource": {"id": {"storageId": "st", "opaqueId": "op", "spaceId": "sp"},
                     "name": "a.pdf", "size": "1234", "url": "https://files.example.org/a.pdf"}}});
    assert_eq!(g.http(camel.clone()).await, ok(true));
    // Proto field names and the stage by number.
    let snake = camel
        .to_string()
        .replace("opaqueId", "opaque_id")
        .replace("displayName", "display_name")
        .replace("storageId", "storage_id")
        .replace("spaceId", "space_id")
        .replace("\"STAGE_HTTP\"", "1");
    let snake: Value = serde_json::from_str(&snake).expect("json");
    assert_eq!(g.http(snake).await, ok(true));
    assert_eq!(g.http(json!({"query": "data.t.empty"})).await, ok(true));

    let (status, body) = g.http(json!({"query": "data.t.allow == true"})).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("bad_request"))
    );
    let (status, body) = g.http(json!({"query": "data.t.allow", "input": {}})).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"].to_string().contains("input"),
        "{body}"
    );
    let (status, body) = g.http(json!({"query": "data.t.slow"})).await;
    assert_eq!((status, &body["error"]["code"]), (500, &json!("internal")));
    assert!(
        body["error"]["message"].to_string().contains("timeout"),
        "{body}"
    );
    let body = json!({"query": "data.t.allow"}).to_string();
    let (status, _) = g
        .server
        .call("POST", "/api/v0/policies/evaluate", &[], Some(&body))
        .await;
    assert_eq!(status, 401);
    g.finish().await;

    let broken = start(Some("package t\n\nallow := \n")).await;
    let (status, body) = broken.http(json!({"query": "data.t.allow"})).await;
    assert_eq!(status, 500, "{body}");
    assert!(
        body["error"]["message"]
            .to_string()
            .contains("compile_error"),
        "{body}"
    );
    broken.finish().await;
}
