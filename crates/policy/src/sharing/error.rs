//! [`SharingError`]: malformed sharing input or settings, each with a stable kind.

use leakwall_core::ErrorCode;

/// Why a sharing request or the sharing settings were refused. Nothing is decided and nothing
/// changes; every variant has a stable [`SharingError::kind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SharingError {
    /// A flag name or permission bit that does not exist.
    #[error("unknown flag `{flag}` (expected WRITE, MANAGE or READ)")]
    UnknownFlag {
        /// The name given (shortened).
        flag: String,
    },
    /// A share type that does not exist.
    #[error("unknown share type `{share_type}` (expected user, group, link, email or federated)")]
    UnknownShareType {
        /// The type given (shortened).
        share_type: String,
    },
    /// An e-mail address that is not one.
    #[error("{field}: `{address}` is not a valid e-mail address")]
    InvalidAddress {
        /// Where it was given (`actor`, `change.grantee`, `access[3].grantee`, …).
        field: String,
        /// The value given (shortened).
        address: String,
    },
    /// A folder path that is not absolute, or an access entry on a folder that is neither the
    /// folder nor one of its parents.
    #[error("{field}: {message}")]
    InvalidPath {
        /// Where it was given.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// An update names a share that is not in the folder's access list.
    #[error("unknown share `{share_id}`: an update must name a share of the access list")]
    UnknownShare {
        /// The share id given (shortened).
        share_id: String,
    },
    /// A user the file-sharing system does not know (or whose address it cannot give).
    #[error("unknown user `{user}`")]
    UnknownUser {
        /// The user id given (shortened).
        user: String,
    },
    /// A folder the file-sharing system does not know.
    #[error("unknown folder `{folder}`")]
    UnknownFolder {
        /// The path given (shortened).
        folder: String,
    },
    /// Any other malformed input: bad JSON, a missing or unknown field, a value too long, an
    /// access list too long.
    #[error("malformed sharing request: {0}")]
    Malformed(String),
    /// Restricted external sharing is enabled without a valid internal-user pattern.
    #[error("invalid internal-user pattern: {0}")]
    InvalidPattern(String),
    /// A custom rule does not compile, or another setting is invalid.
    #[error("invalid sharing settings: {0}")]
    InvalidSettings(String),
}

impl SharingError {
    /// A stable short name: `unknown_flag`, `unknown_share_type`, `invalid_address`,
    /// `invalid_path`, `unknown_share`, `unknown_user`, `unknown_folder`, `malformed`,
    /// `invalid_internal_pattern`, `invalid_sharing_settings`.
    pub fn kind(&self) -> &'static str {
        match self {
            SharingError::UnknownFlag { .. } => "unknown_flag",
            SharingError::UnknownShareType { .. } => "unknown_share_type",
            SharingError::InvalidAddress { .. } => "invalid_address",
            SharingError::InvalidPath { .. } => "invalid_path",
            SharingError::UnknownShare { .. } => "unknown_share",
            SharingError::UnknownUser { .. } => "unknown_user",
            SharingError::UnknownFolder { .. } => "unknown_folder",
            SharingError::Malformed(_) => "malformed",
            SharingError::InvalidPattern(_) => "invalid_internal_pattern",
            SharingError::InvalidSettings(_) => "invalid_sharing_settings",
        }
    }

    /// The stable code: settings errors are `invalid_config`, unknown users, folders and
    /// shares `not_found`, the rest `validation_failed` (all 4xx).
    pub fn code(&self) -> ErrorCode {
        match self {
            SharingError::InvalidPattern(_) | SharingError::InvalidSettings(_) => {
                ErrorCode::InvalidConfig
            }
            SharingError::UnknownShare { .. }
            | SharingError::UnknownUser { .. }
            | SharingError::UnknownFolder { .. } => ErrorCode::NotFound,
            _ => ErrorCode::ValidationFailed,
        }
    }
}
