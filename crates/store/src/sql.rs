//! Building SQL text with bound parameters for either dialect.

use leakwall_access::{Field, Schema};
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::Any;

use crate::codec::Param;
use crate::Backend;

/// SQL text under construction and the parameters it binds, in order.
pub(crate) struct Sql {
    backend: Backend,
    text: String,
    params: Vec<Param>,
}

impl Sql {
    /// An empty statement for `backend`.
    pub(crate) fn new(backend: Backend) -> Sql {
        Sql {
            backend,
            text: String::with_capacity(256),
            params: Vec::new(),
        }
    }

    /// The dialect.
    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }

    /// Appends SQL text (never input).
    pub(crate) fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a quoted identifier: a table or column name from a schema (never input).
    pub(crate) fn ident(&mut self, name: &str) -> &mut Sql {
        self.text.push('"');
        self.text.push_str(name);
        self.text.push('"');
        self
    }

    /// Appends a placeholder (`?` or `$n`) bound to `param`.
    pub(crate) fn param(&mut self, param: Param) -> &mut Sql {
        self.params.push(param);
        match self.backend {
            Backend::Sqlite => self.text.push('?'),
            Backend::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.params.len().to_string());
            }
        }
        self
    }

    /// Appends `"a", "b", ...`.
    pub(crate) fn columns(&mut self, fields: &[&Field]) -> &mut Sql {
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.ident(field.name);
        }
        self
    }

    /// The SQL text so far.
    #[cfg(test)]
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The number of parameters bound so far.
    pub(crate) fn param_count(&self) -> usize {
        self.params.len()
    }

    /// The statement with its parameters bound, ready to run.
    pub(crate) fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut query = sqlx::query(&self.text);
        for param in &self.params {
            query = match param {
                Param::Int(v) => query.bind(*v),
                Param::Float(v) => query.bind(*v),
                Param::Bool(v) => query.bind(*v),
                Param::Text(v) => query.bind(v.as_deref()),
            };
        }
        query
    }
}

/// The fields a client may see, in column order.
pub(crate) fn visible(schema: &Schema) -> Vec<&Field> {
    schema.fields.iter().filter(|f| !f.hidden).collect()
}

/// The id field of a schema.
pub(crate) fn id_field(schema: &Schema) -> &Field {
    schema.field(schema.id).unwrap_or(&schema.fields[0])
}
