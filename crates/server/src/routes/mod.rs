//! The route table: every route, its handler and its documentation in one place; the router
//! and the OpenAPI document are both built from it.

pub mod data;
pub mod decisions;
pub mod evaluate;
pub mod health;
pub mod meta;
pub mod postprocessing;
pub mod queue;
pub mod resources;
pub mod scan;
pub mod sharing;

use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, patch, post, MethodRouter};
use axum::Router;

use crate::error::ApiError;
use crate::state::AppState;

/// One route.
pub struct Route {
    /// HTTP method.
    pub method: &'static str,
    /// Path pattern (`{name}` segments are parameters).
    pub path: &'static str,
    /// One line for the OpenAPI document.
    pub summary: &'static str,
    /// The success status.
    pub status: u16,
    /// Whether it needs a caller (and a permitted endpoint).
    pub authenticated: bool,
    /// The handler.
    pub handler: fn() -> MethodRouter<AppState>,
}

const fn route(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    handler: fn() -> MethodRouter<AppState>,
) -> Route {
    Route {
        method,
        path,
        summary,
        status: 200,
        authenticated: true,
        handler,
    }
}

const fn public(route: Route) -> Route {
    Route {
        authenticated: false,
        ..route
    }
}

const fn accepted(route: Route) -> Route {
    Route {
        status: 202,
        ..route
    }
}

const fn created(route: Route) -> Route {
    Route {
        status: 201,
        ..route
    }
}

/// Every route of the server.
pub const ROUTES: &[Route] = &[
    route(
        "GET",
        "/api/user",
        "The caller's identity and permissions",
        || get(meta::user),
    ),
    route(
        "POST",
        "/api/user/has-permission",
        "Whether the caller may call {method, path}",
        || post(meta::has_permission),
    ),
    route("GET", "/api/audit", "The audit log (filterable)", || {
        get(meta::audit)
    }),
    route(
        "GET",
        "/api/audit/{resource}/{id}",
        "The audit records of one item",
        || get(meta::audit_item),
    ),
    route(
        "GET",
        "/api/history/{resource}/{id}",
        "An item's versions, from the audit log",
        || get(meta::history),
    ),
    route("GET", "/api/queue", "Queue counts", || get(queue::stats)),
    route(
        "GET",
        "/api/queue/dead-letters",
        "Tasks given up, with why",
        || get(queue::dead_letters),
    ),
    route(
        "POST",
        "/api/queue/dead-letters/{id}/requeue",
        "Put a dead letter back",
        || post(queue::requeue),
    ),
    route(
        "DELETE",
        "/api/queue/dead-letters/{id}",
        "Drop a dead letter",
        || delete(queue::drop_dead),
    ),
    route(
        "GET",
        "/api/decisions",
        "The policy decision log (filterable, newest first)",
        || get(decisions::list),
    ),
    route(
        "GET",
        "/api/decisions/{id}",
        "One decision, by id or decision_id",
        || get(decisions::get),
    ),
    route(
        "GET",
        "/api/sharing/settings",
        "The sharing-rule settings",
        || get(sharing::get_settings),
    ),
    route(
        "PATCH",
        "/api/sharing/settings",
        "Change sharing-rule settings (audited; refused unless they build)",
        || patch(sharing::patch_settings),
    ),
    route(
        "GET",
        "/api/webex/installations",
        "Webex organizations installed (scopes, expiries, webhook status; never a token)",
        || get(crate::webex::admin::list),
    ),
    route(
        "GET",
        "/api/{resource}",
        "List items (query-string filters, paginated)",
        || get(resources::list),
    ),
    created(route("POST", "/api/{resource}", "Create an item", || {
        post(resources::create)
    })),
    route(
        "GET",
        "/api/{resource}/by/{key}/{value}",
        "List items with key = value",
        || get(resources::list_by),
    ),
    route(
        "GET",
        "/api/{resource}/values/{key}",
        "Unique values of a field",
        || get(resources::values),
    ),
    route(
        "POST",
        "/api/{resource}/search/{key}",
        "Items whose key is in a list",
        || post(resources::search),
    ),
    route("GET", "/api/{resource}/{id}", "Get one item", || {
        get(resources::get)
    }),
    route(
        "PATCH",
        "/api/{resource}/{id}",
        "Update fields of an item",
        || patch(resources::update),
    ),
    route("DELETE", "/api/{resource}/{id}", "Delete an item", || {
        delete(resources::delete)
    }),
    route(
        "POST",
        "/v1/scan",
        "Scan a JSON text or an uploaded file",
        || post(scan::scan).layer(DefaultBodyLimit::disable()),
    ),
    accepted(route(
        "POST",
        "/v1/postprocessing",
        "Run an uploaded file through the post-processing steps (202; outcome to its callback)",
        || post(postprocessing::post),
    )),
    route(
        "POST",
        "/v1/sharing/evaluate",
        "Decide on a share before it is applied: allow, warn (side effects) or reject",
        || post(sharing::evaluate),
    ),
    route(
        "POST",
        "/v1/data/{*path}",
        "Evaluate a rule with {\"input\"} (OPA data API)",
        || post(data::post),
    ),
    route(
        "GET",
        "/v1/data/{*path}",
        "Evaluate a rule without input",
        || get(data::get),
    ),
    route(
        "POST",
        "/api/v0/policies/evaluate",
        "oCIS policies Evaluate {query, environment} → {result} (the gRPC call over HTTP)",
        || post(evaluate::post),
    ),
    public(route(
        "POST",
        "/webhooks/slack/events",
        "Slack Events API deliveries (signed; answered at once, scanned on the queue)",
        || post(crate::slack::webhook::events).layer(DefaultBodyLimit::disable()),
    )),
    public(route(
        "GET",
        "/oauth/slack/install",
        "Install the Slack app: a redirect to Slack's authorize page",
        || get(crate::slack::install::install),
    )),
    public(route(
        "GET",
        "/oauth/slack/callback",
        "Slack's OAuth redirect: stores the workspace's tokens (sealed)",
        || get(crate::slack::install::callback),
    )),
    public(route(
        "POST",
        "/webhooks/webex",
        "Webex messages/created deliveries (signed per org; files held at once, decided on the queue)",
        || post(crate::webex::webhook::deliveries).layer(DefaultBodyLimit::disable()),
    )),
    public(route(
        "GET",
        "/oauth/webex/install",
        "Install for a Webex organization: a redirect to Webex's authorize page",
        || get(crate::webex::install::install),
    )),
    public(route(
        "GET",
        "/oauth/webex/callback",
        "Webex's OAuth redirect: stores the org's tokens (sealed) and creates our webhook",
        || get(crate::webex::install::callback),
    )),
    public(route("GET", "/api/openapi.json", "This document", || {
        get(|| async { axum::Json(crate::openapi::document()) })
    })),
    public(route("GET", "/healthz", "The process answers", || {
        get(health::healthz)
    })),
    public(route("GET", "/readyz", "The database answers", || {
        get(health::readyz)
    })),
    public(route("GET", "/metrics", "Prometheus metrics", || {
        get(health::metrics)
    })),
];

/// The routes of a worker process: health, readiness and metrics only.
pub type HealthApp = Router;

/// `/healthz`, `/readyz` and `/metrics` alone, for `leakwall worker --metrics-listen`.
pub fn health_router(state: AppState) -> HealthApp {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .fallback(|| async { ApiError::not_found("route") })
        .with_state(state)
}

/// Serves a [`health_router`] until the task is aborted.
pub async fn serve_health(
    listener: tokio::net::TcpListener,
    app: HealthApp,
) -> std::io::Result<()> {
    axum::serve(listener, app).await
}

/// The router of every route, with request metrics and JSON errors for unknown routes.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for r in ROUTES {
        router = router.route(r.path, (r.handler)());
    }
    router
        .fallback(|| async { ApiError::not_found("route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                leakwall_core::ErrorCode::BadRequest,
                "method not allowed on this route",
            )
        })
        .layer(axum::middleware::from_fn(crate::telemetry::track))
        .with_state(state)
}
