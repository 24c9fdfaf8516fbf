//! The sharing request as callers send it ([`ShareRequest`], JSON) and its validated form
//! ([`Checked`]): share types, addresses, paths and flags parsed once.

use serde::{Deserialize, Serialize};

use super::flags::{shorten, Flags};
use super::SharingError;

/// Most entries an access list may have.
pub const MAX_ACCESS_ENTRIES: usize = 100_000;
/// Longest accepted string (path, address, id, name), in bytes.
pub const MAX_FIELD_BYTES: usize = 4096;

/// Who a share is with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareType {
    /// One user of the system (OCS 0), internal or external by address.
    User,
    /// A group of the system (OCS 1), external when the admin data lists an external member.
    Group,
    /// A public link (OCS 3): always external.
    Link,
    /// An e-mail share (OCS 4): always external.
    Email,
    /// A federated share with another server (OCS 6): always external.
    Federated,
}

impl ShareType {
    /// Parses `user`, `group`, `link` (or `public_link`), `email`, `federated`.
    pub fn parse(name: &str) -> Result<ShareType, SharingError> {
        match name {
            "user" => Ok(ShareType::User),
            "group" => Ok(ShareType::Group),
            "link" | "public_link" => Ok(ShareType::Link),
            "email" => Ok(ShareType::Email),
            "federated" => Ok(ShareType::Federated),
            _ => Err(SharingError::UnknownShareType {
                share_type: shorten(name),
            }),
        }
    }

    /// The OCS `shareType` number.
    pub fn ocs(self) -> u8 {
        match self {
            ShareType::User => 0,
            ShareType::Group => 1,
            ShareType::Link => 3,
            ShareType::Email => 4,
            ShareType::Federated => 6,
        }
    }

    /// The share type of an OCS `shareType` number.
    pub fn from_ocs(number: i64) -> Result<ShareType, SharingError> {
        match number {
            0 => Ok(ShareType::User),
            1 => Ok(ShareType::Group),
            3 => Ok(ShareType::Link),
            4 => Ok(ShareType::Email),
            6 => Ok(ShareType::Federated),
            _ => Err(SharingError::UnknownShareType {
                share_type: number.to_string(),
            }),
        }
    }

    /// The name used in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            ShareType::User => "user",
            ShareType::Group => "group",
            ShareType::Link => "link",
            ShareType::Email => "email",
            ShareType::Federated => "federated",
        }
    }

    /// Public links, e-mail and federated shares are external whoever they name.
    pub fn always_external(self) -> bool {
        matches!(
            self,
            ShareType::Link | ShareType::Email | ShareType::Federated
        )
    }
}

/// A sharing request: the folder, its current access list (its own shares and those of its
/// parents), the requested change and who asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareRequest {
    /// The folder being shared.
    pub folder: FolderRef,
    /// The current shares of the folder and of its parent folders.
    #[serde(default)]
    pub access: Vec<AccessEntry>,
    /// What is asked.
    pub change: Change,
    /// The e-mail address of the user who asks.
    pub actor: String,
}

/// A folder by path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FolderRef {
    /// Absolute path, `/` separated.
    pub path: String,
    /// The owner's e-mail address: owners keep their rights (never revoked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// One current share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessEntry {
    /// The folder the share is on: the folder itself (the default) or a parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The share's id in the file-sharing system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_id: Option<String>,
    /// `user`, `group`, `link`, `email` or `federated`.
    pub share_type: String,
    /// An e-mail address (user, e-mail), a group name, a federated cloud id, or a link's
    /// label (may be empty).
    #[serde(default)]
    pub grantee: String,
    /// `WRITE`, `MANAGE` (`READ` is implied).
    #[serde(default)]
    pub flags: Vec<String>,
}

/// The requested change: a new share, or an update of the flags of an existing one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// `create` or `update`.
    pub kind: ChangeKind,
    /// The share type (for a create; an update takes the share's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_type: Option<String>,
    /// Who the share is with (for a create; an update takes the share's).
    #[serde(default)]
    pub grantee: String,
    /// The flags asked for (for an update: the new flags of the share).
    #[serde(default)]
    pub flags: Vec<String>,
    /// The share updated (for an update).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_id: Option<String>,
}

/// A new share or an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A new share.
    Create,
    /// New flags on an existing share.
    Update,
}

/// A share once validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Share {
    pub path: String,
    pub share_id: Option<String>,
    pub share_type: ShareType,
    /// Lowercased for users and e-mail shares.
    pub grantee: String,
    pub flags: Flags,
}

/// A validated request.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub folder: String,
    pub owner: Option<String>,
    pub access: Vec<Share>,
    pub kind: ChangeKind,
    pub change: Share,
    /// For an update: the flags the share had.
    pub previous: Option<Flags>,
    pub actor: String,
}

impl ShareRequest {
    /// Parses a JSON request strictly (unknown fields are refused).
    pub fn from_json(value: serde_json::Value) -> Result<ShareRequest, SharingError> {
        serde_json::from_value(value).map_err(|e| SharingError::Malformed(e.to_string()))
    }

    pub(crate) fn check(&self) -> Result<Checked, SharingError> {
        if self.access.len() > MAX_ACCESS_ENTRIES {
            return Err(SharingError::Malformed(format!(
                "the access list has {} entries, more than {MAX_ACCESS_ENTRIES}",
                self.access.len()
            )));
        }
        let folder = path("folder.path", &self.folder.path)?;
        let owner = match &self.folder.owner {
            Some(owner) => Some(address("folder.owner", owner)?),
            None => None,
        };
        let actor = address("actor", &self.actor)?;
        let mut access = Vec::with_capacity(self.access.len());
        for (i, entry) in self.access.iter().enumerate() {
            access.push(entry.check(i, &folder)?);
        }
        let (change, previous) = self.change.check(&folder, &access)?;
        Ok(Checked {
            folder,
            owner,
            access,
            kind: self.change.kind,
            change,
            previous,
            actor,
        })
    }
}

impl AccessEntry {
    fn check(&self, i: usize, folder: &str) -> Result<Share, SharingError> {
        let field = |name: &str| format!("access[{i}].{name}");
        let at = match &self.path {
            Some(p) => path(&field("path"), p)?,
            None => folder.to_owned(),
        };
        if !is_same_or_parent(&at, folder) {
            return Err(SharingError::InvalidPath {
                field: field("path"),
                message: format!(
                    "`{}` is neither the folder nor one of its parents",
                    shorten(&at)
                ),
            });
        }
        let share_type = ShareType::parse(&self.share_type)?;
        let grantee = grantee(&field("grantee"), share_type, &self.grantee)?;
        if let Some(id) = &self.share_id {
            bounded(&field("share_id"), id)?;
        }
        Ok(Share {
            path: at,
            share_id: self.share_id.clone(),
            share_type,
            grantee,
            flags: Flags::parse(&self.flags)?,
        })
    }
}

impl Change {
    fn check(
        &self,
        folder: &str,
        access: &[Share],
    ) -> Result<(Share, Option<Flags>), SharingError> {
        let flags = Flags::parse(&self.flags)?;
        match self.kind {
            ChangeKind::Create => {
                let Some(share_type) = &self.share_type else {
                    return Err(SharingError::Malformed(
                        "change.share_type is required for a create".into(),
                    ));
                };
                let share_type = ShareType::parse(share_type)?;
                let grantee = grantee("change.grantee", share_type, &self.grantee)?;
                let share = Share {
                    path: folder.to_owned(),
                    share_id: self.share_id.clone(),
                    share_type,
                    grantee,
                    flags,
                };
                Ok((share, None))
            }
            ChangeKind::Update => {
                let Some(id) = &self.share_id else {
                    return Err(SharingError::Malformed(
                        "change.share_id is required for an update".into(),
                    ));
                };
                let Some(current) = access
                    .iter()
                    .find(|s| s.share_id.as_deref() == Some(id.as_str()))
                else {
                    return Err(SharingError::UnknownShare {
                        share_id: shorten(id),
                    });
                };
                let share = Share {
                    flags,
                    ..current.clone()
                };
                Ok((share, Some(current.flags)))
            }
        }
    }
}

fn bounded<'a>(field: &str, value: &'a str) -> Result<&'a str, SharingError> {
    if value.len() > MAX_FIELD_BYTES {
        return Err(SharingError::Malformed(format!(
            "{field} is longer than {MAX_FIELD_BYTES} bytes"
        )));
    }
    Ok(value)
}

/// An absolute path without a trailing `/` (the root stays `/`), no `.` or `..` segments.
fn path(field: &str, raw: &str) -> Result<String, SharingError> {
    let raw = bounded(field, raw)?;
    let invalid = |message: &str| SharingError::InvalidPath {
        field: field.to_owned(),
        message: format!("`{}` {message}", shorten(raw)),
    };
    if !raw.starts_with('/') {
        return Err(invalid("is not an absolute path"));
    }
    if raw.chars().any(char::is_control) {
        return Err(invalid("contains control characters"));
    }
    let segments: Vec<&str> = raw.split('/').filter(|s| !s.is_empty()).collect();
    if segments.iter().any(|s| *s == "." || *s == "..") {
        return Err(invalid("has `.` or `..` segments"));
    }
    Ok(format!("/{}", segments.join("/")))
}

fn is_same_or_parent(candidate: &str, folder: &str) -> bool {
    candidate == folder
        || candidate == "/"
        || folder
            .strip_prefix(candidate)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The grantee of a share of `share_type`, checked and normalized.
fn grantee(field: &str, share_type: ShareType, raw: &str) -> Result<String, SharingError> {
    let raw = bounded(field, raw)?;
    match share_type {
        ShareType::User | ShareType::Email => address(field, raw),
        ShareType::Group | ShareType::Federated if raw.trim().is_empty() => {
            Err(SharingError::Malformed(format!(
                "{field} is required for a {} share",
                share_type.as_str()
            )))
        }
        _ => Ok(raw.trim().to_owned()),
    }
}

/// A valid e-mail address, lowercased: one `@`, a non-empty local part, a domain of
/// dot-separated labels of letters, digits and `-`, no spaces or control characters, at most
/// 254 bytes.
pub fn address(field: &str, raw: &str) -> Result<String, SharingError> {
    let invalid = || SharingError::InvalidAddress {
        field: field.to_owned(),
        address: shorten(raw),
    };
    let trimmed = raw.trim();
    if trimmed.len() > 254 || trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let Some((local, domain)) = trimmed.rsplit_once('@') else {
        return Err(invalid());
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let local_ok =
        !local.is_empty() && local.len() <= 64 && !local.contains(['@', '<', '>', ',', ';']);
    if !local_ok || !domain.contains('.') || !domain.split('.').all(label_ok) {
        return Err(invalid());
    }
    Ok(trimmed.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            address("a", " Ann@Corp.Example ").unwrap(),
            "ann@corp.example"
        );
        for bad in [
            "",
            "ann",
            "@corp.example",
            "ann@",
            "ann@corp",
            "a b@corp.example",
            "ann@corp..example",
            "ann@-corp.example",
            "a@b@c",
        ] {
            assert!(address("a", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths_and_parents() {
        assert_eq!(path("p", "/a//b/").unwrap(), "/a/b");
        assert_eq!(path("p", "/").unwrap(), "/");
        assert!(path("p", "a/b").is_err());
        assert!(path("p", "/a/../b").is_err());
        assert!(is_same_or_parent("/a", "/a/b"));
        assert!(is_same_or_parent("/", "/a"));
        assert!(!is_same_or_parent("/a", "/ab"));
        assert!(!is_same_or_parent("/a/b", "/a"));
    }
}
