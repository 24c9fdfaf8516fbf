//! `POST /api/v0/policies/evaluate`: the gRPC `Evaluate` call over HTTP, as oCIS's
//! grpc-gateway maps it. The body is the JSON of an `EvaluateRequest` (protojson: each field by
//! its lowerCamelCase JSON name or its proto name, `stage` by enum name or number, `size` as a
//! number or a decimal string, `null` for a default value; unknown fields are refused); the
//! answer is `{"result": bool}`. Evaluation is the gRPC service's ([`crate::grpc::evaluate`]).

use axum::extract::State;
use axum::Json;
use leakwall_core::ErrorCode;
use serde_json::{json, Map, Value};

use crate::call::{Call, JsonBody};
use crate::error::ApiError;
use crate::grpc::{self, Environment, EvaluateError, EvaluateRequest, Request, Resource, User};
use crate::state::AppState;

/// `POST /api/v0/policies/evaluate`
pub async fn post(
    State(state): State<AppState>,
    _permitted: Call,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let request = request(body).map_err(ApiError::bad_request)?;
    let result = grpc::evaluate(state.policies.as_deref(), "http", request).await?;
    Ok(Json(json!({ "result": result })))
}

impl From<EvaluateError> for ApiError {
    fn from(e: EvaluateError) -> ApiError {
        match e {
            EvaluateError::InvalidArgument(message) => ApiError::bad_request(message),
            EvaluateError::NoPolicies => ApiError::not_found("policies (none are configured)"),
            EvaluateError::Failed(_) => ApiError::new(ErrorCode::Internal, e.to_string()),
        }
    }
}

/// The fields of one JSON object, taken one by one; what is left at the end is unknown.
struct Fields {
    path: String,
    map: Map<String, Value>,
}

impl Fields {
    /// `None` for `null` (the default message).
    fn new(path: &str, value: Value) -> Result<Option<Fields>, String> {
        match value {
            Value::Null => Ok(None),
            Value::Object(map) => Ok(Some(Fields {
                path: path.to_owned(),
                map,
            })),
            other => Err(format!("{path}: expected an object, found {other}")),
        }
    }

    /// The value of field `name` (proto name) or its lowerCamelCase JSON name; `None` when
    /// absent or `null`.
    fn take(&mut self, name: &str) -> Result<Option<(String, Value)>, String> {
        let camel = lower_camel(name);
        let by_name = self.map.remove(name);
        let by_camel = if camel == name {
            None
        } else {
            self.map.remove(&camel)
        };
        let path = format!("{}.{name}", self.path);
        match (by_name, by_camel) {
            (Some(_), Some(_)) => Err(format!("{path}: given twice (as {name} and {camel})")),
            (Some(Value::Null), None) | (None, Some(Value::Null)) | (None, None) => Ok(None),
            (Some(v), None) | (None, Some(v)) => Ok(Some((path, v))),
        }
    }

    fn string(&mut self, name: &str) -> Result<String, String> {
        match self.take(name)? {
            None => Ok(String::new()),
            Some((_, Value::String(s))) => Ok(s),
            Some((path, other)) => Err(format!("{path}: expected a string, found {other}")),
        }
    }

    fn message(&mut self, name: &str) -> Result<Option<Fields>, String> {
        match self.take(name)? {
            None => Ok(None),
            Some((path, value)) => Fields::new(&path, value),
        }
    }

    /// Refuses the fields not taken.
    fn finish(self) -> Result<(), String> {
        match self.map.keys().next() {
            None => Ok(()),
            Some(key) => Err(format!("{}: unknown field `{key}`", self.path)),
        }
    }
}

fn lower_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The `EvaluateRequest` of a JSON body.
fn request(body: Value) -> Result<EvaluateRequest, String> {
    let Some(mut f) = Fields::new("body", body)? else {
        return Err("body: expected an object, found null".into());
    };
    let query = f.string("query")?;
    let environment = f.message("environment")?.map(environment).transpose()?;
    f.finish()?;
    Ok(EvaluateRequest { query, environment })
}

fn environment(mut f: Fields) -> Result<Environment, String> {
    let stage = stage(f.take("stage")?)?;
    let user = f.message("user")?.map(user).transpose()?;
    let request = f.message("request")?.map(http_request).transpose()?;
    let resource = f.message("resource")?.map(resource).transpose()?;
    f.finish()?;
    Ok(Environment {
        stage,
        user,
        request,
        resource,
    })
}

fn stage(value: Option<(String, Value)>) -> Result<i32, String> {
    let Some((path, value)) = value else {
        return Ok(grpc::Stage::Pp as i32);
    };
    let known = match &value {
        Value::String(name) => grpc::Stage::from_str_name(name),
        Value::Number(n) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .and_then(|n| grpc::Stage::try_from(n).ok()),
        _ => None,
    };
    known
        .map(|s| s as i32)
        .ok_or_else(|| format!("{path}: expected STAGE_PP, STAGE_HTTP, 0 or 1, found {value}"))
}

fn user(mut f: Fields) -> Result<User, String> {
    let id = match f.message("id")? {
        None => None,
        Some(mut id) => {
            let opaque_id = id.string("opaque_id")?;
            id.finish()?;
            Some(grpc::proto::ocis::messages::policies::v0::user::Id { opaque_id })
        }
    };
    let groups = match f.take("groups")? {
        None => Vec::new(),
        Some((path, Value::Array(items))) => items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Ok(s),
                other => Err(format!("{path}: expected strings, found {other}")),
            })
            .collect::<Result<_, _>>()?,
        Some((path, other)) => return Err(format!("{path}: expected a list, found {other}")),
    };
    let user = User {
        id,
        username: f.string("username")?,
        mail: f.string("mail")?,
        display_name: f.string("display_name")?,
        groups,
    };
    f.finish()?;
    Ok(user)
}

fn http_request(mut f: Fields) -> Result<Request, String> {
    let request = Request {
        method: f.string("method")?,
        path: f.string("path")?,
    };
    f.finish()?;
    Ok(request)
}

fn resource(mut f: Fields) -> Result<Resource, String> {
    let id = match f.message("id")? {
        None => None,
        Some(mut id) => {
            let resource_id = grpc::proto::ocis::messages::policies::v0::resource::Id {
                storage_id: id.string("storage_id")?,
                opaque_id: id.string("opaque_id")?,
                space_id: id.string("space_id")?,
            };
            id.finish()?;
            Some(resource_id)
        }
    };
    let size = match f.take("size")? {
        None => 0,
        Some((path, value)) => {
            let size = match &value {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => s.parse().ok(),
                _ => None,
            };
            size.ok_or_else(|| format!("{path}: expected an unsigned integer, found {value}"))?
        }
    };
    let resource = Resource {
        id,
        name: f.string("name")?,
        size,
        url: f.string("url")?,
    };
    f.finish()?;
    Ok(resource)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proto_names_and_json_names_decode_alike() {
        let camel = json!({"query": "data.a.b", "environment": {"stage": "STAGE_HTTP",
            "user": {"id": {"opaqueId": "u1"}, "displayName": "Ann", "groups": ["g"]},
            "resource": {"id": {"storageId": "s", "spaceId": "sp"}, "size": "42"}}});
        let snake = json!({"query": "data.a.b", "environment": {"stage": 1,
            "user": {"id": {"opaque_id": "u1"}, "display_name": "Ann", "groups": ["g"]},
            "resource": {"id": {"storage_id": "s", "space_id": "sp"}, "size": 42}}});
        let (a, b) = (request(camel).unwrap(), request(snake).unwrap());
        assert_eq!(a, b);
        let env = a.environment.unwrap();
        assert_eq!(env.stage, 1);
        assert_eq!(env.user.unwrap().display_name, "Ann");
        assert_eq!(env.resource.unwrap().size, 42);
    }

    #[test]
    fn nulls_and_absent_fields_are_defaults() {
        let r = request(json!({"query": "data.a", "environment": {"stage": null, "user": null}}))
            .unwrap();
        let env = r.environment.unwrap();
        assert_eq!(env.stage, 0);
        assert!(env.user.is_none());
        assert!(request(json!({})).unwrap().environment.is_none());
    }

    #[test]
    fn malformed_bodies_name_the_field() {
        for (body, names) in [
            (json!({"query": "data.a", "extra": 1}), "extra"),
            (json!({"query": 1}), "body.query"),
            (
                json!({"environment": {"stage": "STAGE_X"}}),
                "environment.stage",
            ),
            (json!({"environment": {"stage": 9}}), "environment.stage"),
            (
                json!({"environment": {"user": {"groups": [1]}}}),
                "user.groups",
            ),
            (
                json!({"environment": {"resource": {"size": -1}}}),
                "resource.size",
            ),
            (
                json!({"environment": {"user": {"displayName": "a", "display_name": "b"}}}),
                "twice",
            ),
            (json!({"environment": {"request": {"verb": "GET"}}}), "verb"),
            (json!({"environment": []}), "environment"),
            (json!([]), "body"),
        ] {
            let err = request(body.clone()).unwrap_err();
            assert!(err.contains(names), "{body}: {err}");
        }
    }
}
