//! The admin data: auth identifiers, permission groups and the permissions they carry.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The kind of an auth identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IdentifierType {
    /// A person, by username.
    Username,
    /// A group id given by the identity provider.
    OidcGroup,
    /// An API key; the secret is stored only as a hash.
    ApiKey,
}

impl IdentifierType {
    /// The stored and serialized form: `USERNAME`, `OIDC_GROUP`, `API_KEY`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierType::Username => "USERNAME",
            IdentifierType::OidcGroup => "OIDC_GROUP",
            IdentifierType::ApiKey => "API_KEY",
        }
    }
}

/// One permitted endpoint: an HTTP method (or `*`) and a regular expression over the path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointRule {
    /// `GET`, `POST`, `PATCH`, `DELETE`, ... or `*` for any method.
    pub method: String,
    /// A regular expression matched against the path (see [`crate::Access::permits`]).
    pub endpoint: String,
}

/// One field filter: a string value means `field = value`, a list means `field IN (...)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldFilter {
    /// The field of the item.
    pub field: String,
    /// A string (equality) or a list of strings (membership).
    pub value: Value,
}

/// The permissions a group or an identifier carries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Permissions {
    /// Calls allowed: a call is allowed only if one entry matches its method and path.
    pub permitted_endpoints: Vec<EndpointRule>,
    /// Filters every read and write must satisfy (ANDed).
    pub filter_fields: Vec<FieldFilter>,
    /// Fields removed from every output; an input containing one is denied.
    pub exclude_fields: Vec<String>,
    /// If present, the only fields an update may touch.
    pub update_fields_permitted: Option<Vec<String>>,
    /// Fields an update may not touch.
    pub update_fields_restricted: Vec<String>,
}

/// A permission group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// Stable id, referenced by identifiers' `groups`.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// What members may do.
    #[serde(flatten)]
    pub permissions: Permissions,
}

/// An auth identifier: a user, an OIDC group or an API key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identifier {
    /// Username, OIDC group id or API key id.
    pub id: String,
    /// What kind of identifier this is.
    #[serde(rename = "type")]
    pub kind: IdentifierType,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// For API keys: the person responsible.
    #[serde(default)]
    pub username: String,
    /// For API keys and users: a contact address.
    #[serde(default)]
    pub email: String,
    /// Ids of the permission groups this identifier belongs to.
    #[serde(default)]
    pub groups: Vec<String>,
    /// A disabled identifier is treated as unknown (401).
    #[serde(default = "enabled_default")]
    pub enabled: bool,
    /// Permissions of its own, combined with its groups' permissions.
    #[serde(flatten)]
    pub permissions: Permissions,
}

fn enabled_default() -> bool {
    true
}
