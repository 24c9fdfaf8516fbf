//! The OpenAPI document of `/api/openapi.json`, generated from the route table and the
//! resource schemas the handlers use, so it cannot drift from the code.

use leakwall_access::{FieldKind, Schema};
use leakwall_store::schemas::{AUDIT, RESOURCES};
use serde_json::{json, Map, Value};

use crate::routes::ROUTES;

fn field_type(kind: FieldKind) -> Value {
    match kind {
        FieldKind::Text => json!({"type": "string"}),
        FieldKind::Integer => json!({"type": "integer", "format": "int64"}),
        FieldKind::Float => json!({"type": "number"}),
        FieldKind::Bool => json!({"type": "boolean"}),
        FieldKind::Time => json!({"type": "string", "format": "date-time"}),
        FieldKind::Json => json!({}),
    }
}

fn schema_object(schema: &Schema) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for f in schema.fields.iter().filter(|f| !f.hidden) {
        let mut t = field_type(f.kind);
        if f.read_only {
            t["readOnly"] = Value::Bool(true);
        }
        properties.insert(f.name.into(), t);
        if f.required {
            required.push(f.name);
        }
    }
    json!({"type": "object", "properties": properties, "required": required,
        "additionalProperties": false})
}

fn error_response() -> Value {
    json!({"description": "error", "content": {"application/json": {"schema":
        {"$ref": "#/components/schemas/Error"}}}})
}

/// The whole document.
pub fn document() -> Value {
    let mut schemas = Map::new();
    for s in RESOURCES.iter().chain(std::iter::once(&&AUDIT)) {
        schemas.insert(s.name.into(), schema_object(s));
    }
    schemas.insert(
        "Error".into(),
        json!({"type": "object", "properties": {"error": {"type": "object", "properties":
            {"code": {"type": "string"}, "message": {"type": "string"}}}}}),
    );
    for (name, schema) in crate::sharing::openapi::schemas() {
        schemas.insert(name.into(), schema);
    }
    let resource_names: Vec<&str> = RESOURCES.iter().map(|s| s.name).collect();
    let mut paths = Map::new();
    for route in ROUTES {
        let entry = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        let mut op = json!({
            "summary": route.summary,
            "responses": {route.status.to_string(): {"description": "success"},
                "400": error_response(), "401": error_response(), "403": error_response(),
                "404": error_response()},
        });
        if route.authenticated {
            op["security"] = json!([{"apiKey": []}]);
        }
        let params: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| {
                let mut p = json!({"name": name, "in": "path", "required": true,
                    "schema": {"type": "string"}});
                if name == "resource" {
                    p["schema"]["enum"] = json!(resource_names);
                }
                p
            })
            .collect();
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        if let Some((request, response)) = crate::sharing::openapi::bodies(route.method, route.path)
        {
            let body = |name: &str| {
                json!({"content": {"application/json": {"schema":
                    {"$ref": format!("#/components/schemas/{name}")}}}})
            };
            if let Some(request) = request {
                op["requestBody"] = body(request);
            }
            op["responses"]["200"] = body(response);
            op["responses"]["200"]["description"] = json!("success");
        }
        entry[route.method.to_ascii_lowercase()] = op;
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Leakwall admin API", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
        },
    })
}
