//! The access-control rules of `specs/access-control.md`, as tables.

mod combine;
mod props;
mod query;
mod validation;

use leakwall_access::{Field, FieldKind, Schema};
use serde_json::{Map, Value};

const fn field(name: &'static str, kind: FieldKind) -> Field {
    Field {
        name,
        kind,
        required: false,
        read_only: false,
        hidden: false,
    }
}

/// A resource shaped like the incidents of the admin API.
pub const INCIDENTS: Schema = Schema {
    name: "incidents",
    id: "id",
    generated_id: true,
    newest_first: true,
    sort: None,
    fields: &[
        Field {
            read_only: true,
            ..field("id", FieldKind::Integer)
        },
        Field {
            required: true,
            ..field("status", FieldKind::Text)
        },
        field("severity", FieldKind::Integer),
        field("score", FieldKind::Float),
        field("team", FieldKind::Text),
        field("excerpt", FieldKind::Text),
        Field {
            read_only: true,
            ..field("created", FieldKind::Time)
        },
        field("seen", FieldKind::Time),
        field("tags", FieldKind::Json),
        field("resolved", FieldKind::Bool),
        Field {
            hidden: true,
            ..field("secret_hash", FieldKind::Text)
        },
    ],
};

/// A JSON object literal as a map.
pub fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}
