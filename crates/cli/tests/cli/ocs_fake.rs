//! A fake OCS server (Nextcloud's share and user provisioning APIs) for the sharing
//! end-to-end tests: users with e-mail addresses, folders, shares; both formats (XML by
//! default, JSON with `format=json`); the real envelope (`ocs.meta.status`, `statuscode`,
//! `message`); on `/ocs/v2.php` the HTTP status follows the statuscode (200 on success), on
//! `/ocs/v1.php` it is 200 with statuscode 100 on success. Requests need Basic auth and
//! `OCS-APIRequest: true` (else 401, as Nextcloud's CSRF check answers).
//!
//! Paths are one namespace (as group folders are). Every call is logged; permission updates
//! can be made to fail a given number of times.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

/// One share.
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    pub id: u64,
    pub share_type: i64,
    pub share_with: String,
    pub permissions: u32,
    pub path: String,
    pub owner: String,
    pub token: String,
}

#[derive(Default)]
struct World {
    users: BTreeMap<String, String>,
    folders: Vec<String>,
    shares: BTreeMap<u64, Share>,
    next: u64,
    fail_puts: HashMap<u64, u32>,
    log: Vec<String>,
}

/// The fake, running on 127.0.0.1.
#[derive(Clone)]
pub struct FakeOcs {
    world: Arc<Mutex<World>>,
    pub base: String,
}

impl FakeOcs {
    pub async fn start() -> FakeOcs {
        let world = Arc::new(Mutex::new(World {
            next: 1,
            ..World::default()
        }));
        let fake = FakeOcs {
            world: Arc::clone(&world),
            base: String::new(),
        };
        let app = Router::new()
            .route(
                "/ocs/{version}/apps/files_sharing/api/v1/shares",
                get(list).post(create),
            )
            .route(
                "/ocs/{version}/apps/files_sharing/api/v1/shares/{id}",
                get(one).put(update),
            )
            .route("/ocs/{version}/cloud/users/{id}", get(user))
            .fallback(|| async { StatusCode::NOT_FOUND })
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeOcs {
            world,
            base: format!("http://{addr}"),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        f(&mut self.world.lock().expect("world"))
    }

    pub fn add_user(&self, id: &str, email: &str) {
        self.with(|w| w.users.insert(id.into(), email.into()));
    }

    pub fn add_folder(&self, path: &str) {
        self.with(|w| w.folders.push(path.into()));
    }

    /// Adds a share and returns its id.
    pub fn add_share(&self, share_type: i64, path: &str, with: &str, permissions: u32) -> u64 {
        self.with(|w| {
            let id = w.next;
            w.next += 1;
            w.shares.insert(
                id,
                Share {
                    id,
                    share_type,
                    share_with: with.into(),
                    permissions,
                    path: path.into(),
                    owner: "ann".into(),
                    token: if share_type == 3 {
                        format!("tok{id}")
                    } else {
                        String::new()
                    },
                },
            );
            id
        })
    }

    pub fn share(&self, id: u64) -> Option<Share> {
        self.with(|w| w.shares.get(&id).cloned())
    }

    pub fn shares(&self) -> Vec<Share> {
        self.with(|w| w.shares.values().cloned().collect())
    }

    /// The next `times` permission updates of share `id` fail with 503.
    pub fn fail_updates(&self, id: u64, times: u32) {
        self.with(|w| w.fail_puts.insert(id, times));
    }

    /// `METHOD path` of every call, in order.
    pub fn log(&self) -> Vec<String> {
        self.with(|w| w.log.clone())
    }
}

struct Answer {
    v2: bool,
    json: bool,
}

/// Every call: logged, then refused with the 401 Nextcloud answers without Basic auth or
/// `OCS-APIRequest: true`; otherwise the way to answer it (v1 or v2, XML or JSON).
impl FromRequestParts<FakeOcs> for Answer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, fake: &FakeOcs) -> Result<Answer, Response> {
        let (method, uri, headers) = (&parts.method, &parts.uri, &parts.headers);
        fake.with(|w| w.log.push(format!("{method} {}", uri.path())));
        let answer = Answer {
            v2: uri.path().starts_with("/ocs/v2.php/"),
            json: uri
                .query()
                .unwrap_or_default()
                .split('&')
                .any(|pair| pair == "format=json"),
        };
        let basic = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Basic "));
        let ocs = headers.get("ocs-apirequest").and_then(|v| v.to_str().ok()) == Some("true");
        match (basic, ocs) {
            (true, true) => Ok(answer),
            (false, _) => Err(answer.fail(401, "Unauthorised")),
            (true, false) => Err(answer.fail(401, "CSRF check failed")),
        }
    }
}

impl Answer {
    fn ok(&self, data: Value) -> Response {
        let code = if self.v2 { 200 } else { 100 };
        self.envelope(StatusCode::OK, "ok", code, "OK", data)
    }

    fn fail(&self, code: u16, message: &str) -> Response {
        let http = if self.v2 {
            StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST)
        } else {
            StatusCode::OK
        };
        self.envelope(http, "failure", code, message, json!([]))
    }

    fn envelope(
        &self,
        http: StatusCode,
        status: &str,
        code: u16,
        message: &str,
        data: Value,
    ) -> Response {
        if self.json {
            let body = json!({"ocs": {"meta": {"status": status, "statuscode": code,
                "message": message, "totalitems": "", "itemsperpage": ""}, "data": data}});
            return (
                http,
                [("content-type", "application/json; charset=utf-8")],
                body.to_string(),
            )
                .into_response();
        }
        let body = format!(
            "<?xml version=\"1.0\"?>\n<ocs>\n <meta>\n  <status>{status}</status>\n  <statuscode>{code}</statuscode>\n  <message>{}</message>\n  <totalitems></totalitems>\n  <itemsperpage></itemsperpage>\n </meta>\n {}\n</ocs>\n",
            xml_escape(message),
            xml_data(&data)
        );
        (http, [("content-type", "text/xml; charset=UTF-8")], body).into_response()
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn xml_value(value: &Value) -> String {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("<{k}>{}</{k}>", xml_value(v)))
            .collect(),
        Value::Array(items) => items
            .iter()
            .map(|v| format!("<element>{}</element>", xml_value(v)))
            .collect(),
        Value::String(s) => xml_escape(s),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn xml_data(data: &Value) -> String {
    match data {
        Value::Array(a) if a.is_empty() => "<data/>".into(),
        _ => format!("<data>{}</data>", xml_value(data)),
    }
}

fn view(share: &Share) -> Value {
    json!({"id": share.id.to_string(), "share_type": share.share_type, "uid_owner": share.owner,
        "uid_file_owner": share.owner, "permissions": share.permissions, "path": share.path,
        "item_type": "folder", "share_with": share.share_with, "token": share.token})
}

type Q = Query<HashMap<String, String>>;

async fn list(State(fake): State<FakeOcs>, answer: Answer, Query(q): Q) -> Response {
    let path = q.get("path").cloned().unwrap_or_default();
    fake.with(|w| {
        if !w.folders.contains(&path) {
            return answer.fail(404, "Wrong path, file/folder doesn't exist");
        }
        let shares: Vec<Value> = w
            .shares
            .values()
            .filter(|s| s.path == path)
            .map(view)
            .collect();
        answer.ok(Value::Array(shares))
    })
}

async fn one(
    State(fake): State<FakeOcs>,
    answer: Answer,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let share = id.parse().ok().and_then(|id| fake.share(id));
    match share {
        Some(share) => answer.ok(json!([view(&share)])),
        None => answer.fail(404, "Wrong share ID, share doesn't exist"),
    }
}

fn form(headers: &HeaderMap, body: &[u8]) -> HashMap<String, String> {
    let json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if json {
        let value: Value = serde_json::from_slice(body).unwrap_or_default();
        return value
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
    }
    serde_urlencoded(body)
}

fn serde_urlencoded(body: &[u8]) -> HashMap<String, String> {
    let text = String::from_utf8_lossy(body).replace('+', " ");
    text.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(Ok(b)) = text.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16)) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn create(
    State(fake): State<FakeOcs>,
    answer: Answer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f = form(&headers, &body);
    let path = f.get("path").cloned().unwrap_or_default();
    let share_type: i64 = f
        .get("shareType")
        .and_then(|t| t.parse().ok())
        .unwrap_or(-1);
    let with = f.get("shareWith").cloned().unwrap_or_default();
    let default = if share_type == 3 || share_type == 4 {
        1
    } else {
        31
    };
    let permissions: u32 = f
        .get("permissions")
        .and_then(|p| p.parse().ok())
        .unwrap_or(default);
    let known = fake.with(|w| (w.folders.contains(&path), w.users.contains_key(&with)));
    if !known.0 {
        return answer.fail(404, "Wrong path, file/folder doesn't exist");
    }
    if ![0, 1, 3, 4, 6].contains(&share_type) {
        return answer.fail(400, "Unknown share type");
    }
    if share_type == 0 && !known.1 {
        return answer.fail(404, "Please specify a valid user");
    }
    let id = fake.add_share(share_type, &path, &with, permissions);
    let share = fake.share(id).expect("just added");
    answer.ok(view(&share))
}

async fn update(
    State(fake): State<FakeOcs>,
    answer: Answer,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(id) = id
        .parse::<u64>()
        .ok()
        .filter(|id| fake.share(*id).is_some())
    else {
        return answer.fail(404, "Wrong share ID, share doesn't exist");
    };
    let failing = fake.with(|w| match w.fail_puts.get_mut(&id) {
        Some(n) if *n > 0 => {
            *n -= 1;
            true
        }
        _ => false,
    });
    if failing {
        return (StatusCode::SERVICE_UNAVAILABLE, "maintenance").into_response();
    }
    let f = form(&headers, &body);
    let Some(permissions) = f.get("permissions").and_then(|p| p.parse::<u32>().ok()) else {
        return answer.fail(400, "Wrong or no update parameter given");
    };
    let share = fake.with(|w| {
        let share = w.shares.get_mut(&id).expect("checked");
        share.permissions = permissions;
        share.clone()
    });
    answer.ok(view(&share))
}

async fn user(
    State(fake): State<FakeOcs>,
    answer: Answer,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    match fake.with(|w| w.users.get(&id).cloned()) {
        Some(email) => {
            answer.ok(json!({"id": id, "email": email, "displayname": id, "enabled": true}))
        }
        None => answer.fail(404, "User does not exist"),
    }
}
