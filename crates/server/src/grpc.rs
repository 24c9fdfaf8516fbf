//! The gRPC policy API, wire-compatible with oCIS's policies service: service
//! `ocis.services.policies.v0.policiesProvider`, one call `Evaluate(query, environment) →
//! result` (specs/policy.md §1.3). The HTTP mapping `POST /api/v0/policies/evaluate`
//! (`routes::evaluate`) shares [`evaluate`] and [`input`] with it.
//!
//! Design decision: the proto environment becomes Rego's `input` through one explicit
//! mapping, [`input`], with the snake_case keys of spec §1.4, rather than through a generic
//! proto→JSON encoding. oCIS goes through protojson (lowerCamelCase) into Go structs tagged in
//! snake_case, which silently loses multi-word fields (`display_name`, ids) and, because
//! proto3 JSON omits enum value 0, turns `STAGE_PP` into an empty stage. Here every field
//! reaches the policy, `STAGE_PP` is `"pp"`, and absent messages and fields are present with
//! their zero values (`""`, `0`, `[]`), so a policy can compare them without testing for
//! undefined.
//!
//! Outcomes: a single boolean `true` is `result: true`; an answer of the policy that is not
//! `true` (false, undefined, not a boolean) is `result: false`; an engine failure (compile
//! error, missing file, engine error) is `INTERNAL` and the engine timeout `DEADLINE_EXCEEDED`,
//! the reason's kind in the message; a query that is not `data.<ident>(.<ident>)*` or an
//! unknown stage is `INVALID_ARGUMENT`; no policies configured is `FAILED_PRECONDITION`.
//! Like oCIS, the gRPC listener has no authentication of its own and listens on loopback by
//! default (`grpc.listen`, `POLICIES_GRPC_ADDR`); the HTTP mapping is behind the admin API's
//! access control.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use leakwall_policy::{DenyReason, Verdict};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::policy::Policies;
use crate::state::AppState;

/// The generated protobuf messages and the service's server and client, nested by package
/// as the generated code refers to them.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod proto {
    pub mod ocis {
        pub mod messages {
            pub mod policies {
                /// `ocis.messages.policies.v0`: the environment.
                pub mod v0 {
                    tonic::include_proto!("ocis.messages.policies.v0");
                }
            }
        }
        pub mod services {
            pub mod policies {
                /// `ocis.services.policies.v0`: the service, its request and response.
                pub mod v0 {
                    tonic::include_proto!("ocis.services.policies.v0");
                }
            }
        }
    }
}

pub use proto::ocis::messages::policies::v0::{Environment, Request, Resource, Stage, User};
pub use proto::ocis::services::policies::v0::policies_provider_client::PoliciesProviderClient;
pub use proto::ocis::services::policies::v0::policies_provider_server::{
    PoliciesProvider, PoliciesProviderServer,
};
pub use proto::ocis::services::policies::v0::{
    EvaluateRequest, EvaluateResponse, EvaluateSharingRequest, EvaluateSharingResponse,
};

/// Longest accepted query, in bytes.
pub const MAX_QUERY_BYTES: usize = 512;

/// `grpc:` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GrpcConfig {
    /// Address of the gRPC policy API (`LEAKWALL_GRPC_LISTEN`, or oCIS's
    /// `POLICIES_GRPC_ADDR`), default `127.0.0.1:9125` as in oCIS; empty disables it.
    pub listen: String,
}

impl Default for GrpcConfig {
    fn default() -> Self {
        GrpcConfig {
            listen: "127.0.0.1:9125".into(),
        }
    }
}

impl GrpcConfig {
    /// Applies `POLICIES_GRPC_ADDR`, then `LEAKWALL_GRPC_LISTEN` (which wins).
    pub fn with_env(mut self, env: &impl Fn(&str) -> Option<String>) -> GrpcConfig {
        for name in ["POLICIES_GRPC_ADDR", "LEAKWALL_GRPC_LISTEN"] {
            if let Some(listen) = env(name) {
                self.listen = listen;
            }
        }
        self
    }

    /// The address to listen on, `None` when disabled; the error names the key.
    pub fn listen_addr(&self) -> anyhow::Result<Option<SocketAddr>> {
        let listen = self.listen.trim();
        if listen.is_empty() {
            return Ok(None);
        }
        let addr = listen.parse().with_context(|| {
            format!("grpc.listen: `{listen}` is not an address like 127.0.0.1:9125 (empty disables gRPC)")
        })?;
        Ok(Some(addr))
    }
}

/// Why an evaluation was not answered with a result.
#[derive(Debug)]
pub enum EvaluateError {
    /// The query or the environment is malformed.
    InvalidArgument(String),
    /// No policies are configured.
    NoPolicies,
    /// The engine failed to decide (compile error, missing file, engine error, timeout).
    Failed(DenyReason),
}

impl std::fmt::Display for EvaluateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvaluateError::InvalidArgument(message) => f.write_str(message),
            EvaluateError::NoPolicies => f.write_str("no policies are configured"),
            EvaluateError::Failed(reason) => {
                write!(f, "policy evaluation failed ({}): {reason}", reason.kind())
            }
        }
    }
}

impl From<EvaluateError> for tonic::Status {
    fn from(e: EvaluateError) -> tonic::Status {
        let message = e.to_string();
        match e {
            EvaluateError::InvalidArgument(_) => tonic::Status::invalid_argument(message),
            EvaluateError::NoPolicies => tonic::Status::failed_precondition(message),
            EvaluateError::Failed(DenyReason::Timeout { .. }) => {
                tonic::Status::deadline_exceeded(message)
            }
            EvaluateError::Failed(_) => tonic::Status::internal(message),
        }
    }
}

/// Checks that `query` is a reference `data.<ident>(.<ident>)*`.
pub fn check_query(query: &str) -> Result<(), EvaluateError> {
    let ident = |s: &str| {
        s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    let mut parts = query.split('.');
    let valid = query.len() <= MAX_QUERY_BYTES
        && parts.next() == Some("data")
        && query.len() > "data.".len()
        && parts.all(ident);
    if valid {
        Ok(())
    } else {
        let shown: String = query.chars().take(80).collect();
        Err(EvaluateError::InvalidArgument(format!(
            "query `{shown}` is not a reference like data.proxy.granted (data.<package>.<rule>)"
        )))
    }
}

/// Rego's `input` for `environment` (spec §1.4): `stage` ("pp" or "http"),
/// `user.{id.opaque_id, username, mail, display_name, groups}`, `request.{method, path}`,
/// `resource.{resource_id.{storage_id, opaque_id, space_id}, name, size, url}`.
pub fn input(environment: Option<Environment>) -> Result<Value, EvaluateError> {
    let env = environment.unwrap_or_default();
    let stage = match Stage::try_from(env.stage) {
        Ok(Stage::Pp) => "pp",
        Ok(Stage::Http) => "http",
        Err(_) => {
            return Err(EvaluateError::InvalidArgument(format!(
                "environment.stage: unknown stage {}",
                env.stage
            )))
        }
    };
    let user = env.user.unwrap_or_default();
    let request = env.request.unwrap_or_default();
    let resource = env.resource.unwrap_or_default();
    let resource_id = resource.id.unwrap_or_default();
    Ok(json!({
        "stage": stage,
        "user": {
            "id": {"opaque_id": user.id.unwrap_or_default().opaque_id},
            "username": user.username,
            "mail": user.mail,
            "display_name": user.display_name,
            "groups": user.groups,
        },
        "request": {"method": request.method, "path": request.path},
        "resource": {
            "resource_id": {
                "storage_id": resource_id.storage_id,
                "opaque_id": resource_id.opaque_id,
                "space_id": resource_id.space_id,
            },
            "name": resource.name,
            "size": resource.size,
            "url": resource.url,
        },
    }))
}

/// The result of `request` against `policies`, for the entry point `origin` (`grpc`, `http`);
/// [`EvaluateError::NoPolicies`] when no policy file or stored policy exists.
pub async fn evaluate(
    policies: Option<&Policies>,
    origin: &'static str,
    request: EvaluateRequest,
) -> Result<bool, EvaluateError> {
    check_query(&request.query)?;
    let input = input(request.environment)?;
    let policies = policies
        .filter(|p| p.configured())
        .ok_or(EvaluateError::NoPolicies)?;
    match policies.allow(origin, &request.query, input).await {
        Verdict::Allow => Ok(true),
        Verdict::Deny(reason) if reason.is_policy_answer() => Ok(false),
        Verdict::Deny(DenyReason::InvalidQuery(query)) => Err(EvaluateError::InvalidArgument(
            format!("query `{query}` is not a data reference"),
        )),
        Verdict::Deny(reason) => Err(EvaluateError::Failed(reason)),
    }
}

/// The `policiesProvider` service over the process's policies.
#[derive(Debug, Clone)]
pub struct PolicyService {
    policies: Option<Arc<Policies>>,
    sharing: Arc<crate::sharing::Sharing>,
}

impl PolicyService {
    /// The service over the policies of `state`.
    pub fn new(state: &AppState) -> PolicyService {
        PolicyService {
            policies: state.policies.clone(),
            sharing: Arc::clone(&state.sharing),
        }
    }
}

#[tonic::async_trait]
impl PoliciesProvider for PolicyService {
    async fn evaluate(
        &self,
        request: tonic::Request<EvaluateRequest>,
    ) -> Result<tonic::Response<EvaluateResponse>, tonic::Status> {
        let policies = self.policies.as_deref();
        let result = evaluate(policies, "grpc", request.into_inner()).await?;
        Ok(tonic::Response::new(EvaluateResponse { result }))
    }

    async fn evaluate_sharing(
        &self,
        request: tonic::Request<EvaluateSharingRequest>,
    ) -> Result<tonic::Response<EvaluateSharingResponse>, tonic::Status> {
        use crate::sharing::{grpc, SharingFailure};
        let request = grpc::request(request.into_inner()).map_err(SharingFailure::Invalid)?;
        let decision = self.sharing.evaluate(request, "grpc").await?;
        Ok(tonic::Response::new(grpc::response(decision)))
    }
}

/// Serves the gRPC policy API on `listener` until `shutdown` completes (then lets calls in
/// flight finish). Requests are capped at the admin API's body limit.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = listener.local_addr().context("gRPC listener address")?;
    let limit = state.settings.max_body_bytes;
    let service =
        PoliciesProviderServer::new(PolicyService::new(&state)).max_decoding_message_size(limit);
    tracing::info!(%addr, "gRPC listening on {addr}");
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    tonic::transport::Server::builder()
        .add_service(service)
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
        .context("serving gRPC")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_data_references() {
        for good in ["data.proxy.granted", "data.a", "data._x.y_1.Z"] {
            assert!(check_query(good).is_ok(), "{good}");
        }
        let long = format!("data.{}", "a".repeat(MAX_QUERY_BYTES));
        for bad in [
            "",
            "data",
            "data.",
            "proxy.granted",
            "data..x",
            "data.1x",
            "data.a.",
            "data.a[0]",
            "data.a == true",
            "x := data.a",
            "data.a-b",
            &long,
        ] {
            assert!(
                matches!(check_query(bad), Err(EvaluateError::InvalidArgument(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn stages_map_to_short_names_and_unknown_ones_are_refused() {
        let stage = |stage| {
            input(Some(Environment {
                stage,
                ..Default::default()
            }))
        };
        assert_eq!(stage(0).unwrap()["stage"], "pp");
        assert_eq!(stage(1).unwrap()["stage"], "http");
        assert!(matches!(stage(7), Err(EvaluateError::InvalidArgument(_))));
        assert_eq!(input(None).unwrap()["stage"], "pp");
    }

    #[test]
    fn absent_messages_are_zero_values() {
        let empty = input(None).unwrap();
        assert_eq!(empty["user"]["id"]["opaque_id"], "");
        assert_eq!(empty["user"]["groups"], json!([]));
        assert_eq!(empty["request"]["method"], "");
        assert_eq!(empty["resource"]["size"], 0);
        assert_eq!(empty["resource"]["resource_id"]["space_id"], "");
    }

    #[test]
    fn the_listen_address_comes_from_env_then_file_then_default() {
        let addr = |config: GrpcConfig| config.listen_addr().unwrap().map(|a| a.to_string());
        assert_eq!(
            addr(GrpcConfig::default()).as_deref(),
            Some("127.0.0.1:9125")
        );
        let ocis = |k: &str| (k == "POLICIES_GRPC_ADDR").then(|| "127.0.0.1:1".to_owned());
        let both = |k: &str| match k {
            "POLICIES_GRPC_ADDR" => Some("127.0.0.1:1".to_owned()),
            "LEAKWALL_GRPC_LISTEN" => Some("127.0.0.1:2".to_owned()),
            _ => None,
        };
        let off = |k: &str| (k == "LEAKWALL_GRPC_LISTEN").then(String::new);
        assert_eq!(
            addr(GrpcConfig::default().with_env(&ocis)).as_deref(),
            Some("127.0.0.1:1")
        );
        assert_eq!(
            addr(GrpcConfig::default().with_env(&both)).as_deref(),
            Some("127.0.0.1:2")
        );
        assert_eq!(addr(GrpcConfig::default().with_env(&off)), None);
        let bad = GrpcConfig {
            listen: "nowhere".into(),
        }
        .listen_addr()
        .unwrap_err();
        assert!(bad.to_string().contains("grpc.listen"), "{bad}");
    }
}
