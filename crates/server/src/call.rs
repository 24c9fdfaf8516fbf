//! The parsed request every admin handler starts from: an authenticated caller whose call is
//! permitted, the path and the query string, and the audit record it will write.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OriginalUri, Request};
use axum::http::request::Parts;
use axum::http::Method;
use leakwall_core::ErrorCode;
use leakwall_store::AuditEntry;
use serde_json::{Map, Value};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// A permitted call: constructing one authenticates the caller (401) and checks the permitted
/// endpoints for the method and path (403), so a handler that takes a `Call` cannot forget.
#[derive(Debug, Clone)]
pub struct Call {
    /// Who is calling.
    pub caller: Caller,
    /// The HTTP method.
    pub method: Method,
    /// The full request path.
    pub path: String,
    /// The query string as pairs, in order.
    pub query: Vec<(String, String)>,
}

impl FromRequestParts<AppState> for Call {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Call, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.clone(), |u| u.0.clone());
        let path = uri.path().to_owned();
        if !caller.access.permits(parts.method.as_str(), &path) {
            return Err(ApiError::forbidden(format!(
                "{} {path} is not permitted for this caller",
                parts.method
            )));
        }
        let query = match uri.query() {
            None => Vec::new(),
            Some(q) => serde_urlencoded_pairs(q)?,
        };
        Ok(Call {
            caller,
            method: parts.method.clone(),
            path,
            query,
        })
    }
}

fn serde_urlencoded_pairs(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(
        &format!("/?{query}")
            .parse()
            .map_err(|_| ApiError::bad_request("malformed query string"))?,
    )
    .map(|q| q.0)
    .map_err(|e| ApiError::bad_request(format!("malformed query string: {e}")))
}

impl Call {
    /// The audit record of this call.
    pub fn audit(&self, action: &str, path_params: Value, body: Value) -> AuditEntry {
        let query: Map<String, Value> = self
            .query
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        AuditEntry {
            action: action.to_owned(),
            method: self.method.to_string(),
            path: self.path.clone(),
            path_params,
            query_params: Value::Object(query),
            body,
            user: self.caller.user.clone(),
            user_id: self.caller.user_id.clone(),
            source_ip: self.caller.source_ip.clone(),
            user_agent: self.caller.user_agent.clone(),
        }
    }
}

/// A JSON request body, read under the configured size limit; malformed JSON is a 400 and an
/// oversized body a 413, both in the API's error format.
#[derive(Debug)]
pub struct JsonBody(pub Value);

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<JsonBody, ApiError> {
        let limit = state.settings.max_body_bytes;
        let body = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| {
                ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    format!("request body larger than {limit} bytes"),
                )
            })?;
        parse_json(&body).map(JsonBody)
    }
}

fn parse_json(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("malformed JSON body: {e}")))
}

/// The body as a JSON object, or a 400.
pub fn object(value: Value) -> Result<Map<String, Value>, ApiError> {
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::bad_request("the body must be a JSON object")),
    }
}
