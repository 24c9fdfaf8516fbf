//! The five admin resources under `/api/{resource}`: list, unique values, search, get,
//! create, update, delete. Every handler takes a [`Call`] (authenticated and permitted), reads
//! within the caller's scope, strips excluded fields and writes an audit record.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use leakwall_access::{parse_query, validate_create, validate_update, Condition, Op, Schema};
use leakwall_store::{schemas, Item, Listed, Page};
use serde_json::{json, Value};

use crate::call::{object, Call, JsonBody};
use crate::checks::{self, ItemCheck};
use crate::error::ApiError;
use crate::state::AppState;

/// Query-string keys that are not filters.
pub const RESERVED: [&str; 3] = ["limit", "after", "order"];

/// The writable resource named in the path, or 404.
pub fn writable(name: &str) -> Result<&'static Schema, ApiError> {
    schemas::RESOURCES
        .iter()
        .copied()
        .find(|s| s.name == name)
        .ok_or_else(|| ApiError::not_found(format!("resource `{name}`")))
}

/// The page asked for by `limit`, `after` and `order`.
pub fn page(query: &[(String, String)]) -> Result<Page, ApiError> {
    let mut page = Page::default();
    for (key, value) in query {
        match key.as_str() {
            "limit" => {
                page.limit = value
                    .parse()
                    .ok()
                    .filter(|l| (1..=1000).contains(l))
                    .ok_or_else(|| ApiError::bad_request("limit must be between 1 and 1000"))?;
            }
            // A cursor from `next`, passed to the store as given (it may be more than an id).
            "after" => page.after = Some(Value::String(value.clone())),
            "order" => {
                page.newest_first = match value.as_str() {
                    "asc" => Some(false),
                    "desc" => Some(true),
                    _ => return Err(ApiError::bad_request("order must be asc or desc")),
                }
            }
            _ => {}
        }
    }
    Ok(page)
}

/// An id from the path, typed for the schema; an integer id that does not parse is a 404.
pub fn id_value(schema: &Schema, raw: &str) -> Result<Value, ApiError> {
    if schema.generated_id {
        raw.parse::<i64>()
            .map(Value::from)
            .map_err(|_| ApiError::not_found(format!("{} `{raw}`", schema.name)))
    } else {
        Ok(Value::String(raw.to_owned()))
    }
}

fn listed(call: &Call, listed: Listed) -> Json<Value> {
    let items: Vec<Value> = listed
        .items
        .into_iter()
        .map(|mut item| {
            call.caller.access.strip(&mut item);
            Value::Object(item)
        })
        .collect();
    Json(json!({"items": items, "next": listed.next}))
}

fn shown(call: &Call, mut item: Item) -> Json<Value> {
    call.caller.access.strip(&mut item);
    Json(Value::Object(item))
}

async fn run_list(
    state: &AppState,
    call: &Call,
    schema: &'static Schema,
    path_filters: &[(String, String)],
    extra: Vec<Condition>,
    action: &str,
    body: Value,
) -> Result<Json<Value>, ApiError> {
    let params: serde_json::Map<String, Value> = path_filters
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let params = Value::Object(params);
    run_list_with(
        state,
        call,
        schema,
        path_filters,
        extra,
        (action, params, body),
    )
    .await
}

async fn run_list_with(
    state: &AppState,
    call: &Call,
    schema: &'static Schema,
    path_filters: &[(String, String)],
    extra: Vec<Condition>,
    (action, params, body): (&str, Value, Value),
) -> Result<Json<Value>, ApiError> {
    let mut conditions = parse_query(schema, path_filters, &call.query, &RESERVED)?;
    conditions.extend(extra);
    call.caller.access.check_conditions(&conditions)?;
    let page = page(&call.query)?;
    let result = state
        .store
        .list(schema, call.caller.access.scope(), &conditions, &page)
        .await?;
    let entry = call.audit(action, params, body);
    state.store.record(entry, schema.name, None).await?;
    Ok(listed(call, result))
}

/// `GET /api/{resource}`
pub async fn list(
    State(state): State<AppState>,
    Path(resource): Path<String>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    let schema = writable(&resource)?;
    run_list(&state, &call, schema, &[], Vec::new(), "LIST", Value::Null).await
}

/// `GET /api/{resource}/by/{key}/{value}`
pub async fn list_by(
    State(state): State<AppState>,
    Path((resource, key, value)): Path<(String, String, String)>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    let schema = writable(&resource)?;
    run_list(
        &state,
        &call,
        schema,
        &[(key, value)],
        Vec::new(),
        "LIST",
        Value::Null,
    )
    .await
}

fn readable_key(call: &Call, schema: &Schema, key: &str) -> Result<(), ApiError> {
    match schema.field(key) {
        Some(f) if !f.hidden && !call.caller.access.excluded().contains(key) => Ok(()),
        _ => Err(ApiError::bad_request(format!("unknown field `{key}`"))),
    }
}

/// `GET /api/{resource}/values/{key}`
pub async fn values(
    State(state): State<AppState>,
    Path((resource, key)): Path<(String, String)>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    let schema = writable(&resource)?;
    readable_key(&call, schema, &key)?;
    let conditions = parse_query(schema, &[], &call.query, &RESERVED)?;
    call.caller.access.check_conditions(&conditions)?;
    let values = state
        .store
        .values(schema, call.caller.access.scope(), &conditions, &key, 1000)
        .await?;
    let entry = call.audit("LIST", json!({"key": key}), Value::Null);
    state.store.record(entry, schema.name, None).await?;
    Ok(Json(Value::Array(values)))
}

/// `POST /api/{resource}/search/{key}` with a JSON list of values.
pub async fn search(
    State(state): State<AppState>,
    Path((resource, key)): Path<(String, String)>,
    call: Call,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let schema = writable(&resource)?;
    readable_key(&call, schema, &key)?;
    let Value::Array(list) = &body else {
        return Err(ApiError::bad_request(
            "the body must be a JSON list of values",
        ));
    };
    let values: Vec<Value> = list.iter().map(|v| search_value(schema, &key, v)).collect();
    let condition = Condition {
        field: key.clone(),
        op: Op::In,
        value: Value::Array(values),
    };
    let params = json!({"key": key});
    let audit = ("SEARCH", params, body);
    run_list_with(&state, &call, schema, &[], vec![condition], audit).await
}

/// Search values are compared like query-string values: strings for text fields.
fn search_value(schema: &Schema, key: &str, value: &Value) -> Value {
    use leakwall_access::FieldKind;
    match (schema.field(key).map(|f| f.kind), value) {
        (Some(FieldKind::Text | FieldKind::Time), Value::Number(n)) => Value::String(n.to_string()),
        _ => value.clone(),
    }
}

/// `GET /api/{resource}/{id}`
pub async fn get(
    State(state): State<AppState>,
    Path((resource, id)): Path<(String, String)>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    let schema = writable(&resource)?;
    let key = id_value(schema, &id)?;
    let item = state
        .store
        .get(schema, call.caller.access.scope(), &key)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("{resource} `{id}`")))?;
    let entry = call.audit("GET", json!({"id": id}), Value::Null);
    state.store.record(entry, schema.name, Some(&id)).await?;
    Ok(shown(&call, item))
}

/// `POST /api/{resource}`: 201 with the stored item.
pub async fn create(
    State(state): State<AppState>,
    Path(resource): Path<String>,
    call: Call,
    JsonBody(body): JsonBody,
) -> Result<impl IntoResponse, ApiError> {
    let schema = writable(&resource)?;
    let mut item = object(body)?;
    let key = checks::prepare_create(schema, &mut item)?;
    validate_create(schema, &item, &checks::validators(schema))?;
    call.caller.access.check_input(&item)?;
    if !call.caller.access.visible(&item) {
        return Err(ApiError::forbidden(
            "the item would be outside the filters of this caller",
        ));
    }
    ItemCheck::new(&state, schema).await?.check(&item)?;
    let entry = call.audit("CREATE", Value::Null, Value::Object(item.clone()));
    let mut stored = match &key {
        Some(key) => {
            let hidden = checks::key_hidden(key);
            state
                .store
                .create_with(schema, item, hidden, Some(entry))
                .await?
        }
        None => state.store.create(schema, item, Some(entry)).await?,
    };
    checks::after_write(&state, schema).await;
    if let Some(key) = key {
        stored.insert("key".into(), Value::String(key.secret));
    }
    Ok((StatusCode::CREATED, shown(&call, stored)))
}

/// `PATCH /api/{resource}/{id}`
pub async fn update(
    State(state): State<AppState>,
    Path((resource, id)): Path<(String, String)>,
    call: Call,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let schema = writable(&resource)?;
    let key = id_value(schema, &id)?;
    let patch = object(body)?;
    validate_update(schema, &patch, &checks::validators(schema))?;
    call.caller.access.check_update(&patch)?;
    let scope = call.caller.access.scope();
    let not_found = || ApiError::not_found(format!("{resource} `{id}`"));
    let current = state
        .store
        .get(schema, scope, &key)
        .await?
        .ok_or_else(not_found)?;
    let checker = ItemCheck::new(&state, schema).await?;
    let access = call.caller.access.clone();
    // Checked once here for a precise error, and again inside the write transaction against
    // the row as it is then (another writer may have changed it meanwhile).
    let check = move |merged: &Item| -> Result<(), ApiError> {
        if !access.visible(merged) {
            return Err(ApiError::forbidden(
                "the change would move the item outside the filters of this caller",
            ));
        }
        checker.check(merged)
    };
    check(&merge(current, &patch))?;
    let in_transaction = move |merged: &Item| check(merged).map_err(|e| e.message);
    let entry = call.audit("UPDATE", json!({"id": id}), Value::Object(patch.clone()));
    let item = state
        .store
        .update(schema, scope, &key, patch, &in_transaction, Some(entry))
        .await?
        .ok_or_else(not_found)?;
    checks::after_write(&state, schema).await;
    Ok(shown(&call, item))
}

/// `DELETE /api/{resource}/{id}`: the deleted item.
pub async fn delete(
    State(state): State<AppState>,
    Path((resource, id)): Path<(String, String)>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    let schema = writable(&resource)?;
    let key = id_value(schema, &id)?;
    checks::deletable(schema, &id)?;
    let entry = call.audit("DELETE", json!({"id": id}), Value::Null);
    let item = state
        .store
        .delete(schema, call.caller.access.scope(), &key, Some(entry))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("{resource} `{id}`")))?;
    checks::after_write(&state, schema).await;
    Ok(shown(&call, item))
}

fn merge(mut item: Item, patch: &Item) -> Item {
    for (k, v) in patch {
        item.insert(k.clone(), v.clone());
    }
    item
}
