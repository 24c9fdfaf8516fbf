//! A share call seen by the proxy guard ([`ShareCall`]) and the sharing request built from
//! it: the form (or JSON) body, the actor from Basic auth, the folder's access list and the
//! users' addresses read from the upstream.

use std::collections::BTreeMap;

use base64::Engine as _;
use hyper::HeaderMap;
use leakwall_policy::sharing::{
    AccessEntry, Change, ChangeKind, Flags, FolderRef, ShareRequest, ShareType, SharingError,
};
use percent_encoding::percent_decode_str;

use super::client::{CallError, OcsClient, OcsShare};

/// Most ancestors of a folder whose shares are read.
const MAX_DEPTH: usize = 32;

/// A share creation or update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareCall {
    /// `POST …/shares`.
    Create,
    /// `PUT …/shares/{id}`.
    Update(String),
}

impl ShareCall {
    /// The share call of a request, `None` for anything else.
    pub fn of(method: &str, path: &str) -> Option<ShareCall> {
        let rest = ["/ocs/v2.php", "/ocs/v1.php"]
            .iter()
            .find_map(|p| path.strip_prefix(p))?
            .strip_prefix("/apps/files_sharing/api/v1/shares")?;
        match (method, rest.trim_end_matches('/')) {
            ("POST", "") => Some(ShareCall::Create),
            ("PUT", id) => {
                let id = id.strip_prefix('/')?;
                (!id.is_empty() && !id.contains('/')).then(|| ShareCall::Update(id.to_owned()))
            }
            _ => None,
        }
    }
}

/// The fields of a form (`a=1&b=x`) or JSON object body.
pub fn fields(body: &[u8], json: bool) -> Result<BTreeMap<String, String>, SharingError> {
    let malformed = |m: &str| SharingError::Malformed(m.to_owned());
    if json {
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(|_| malformed("the body is not JSON"))?;
        let object = value
            .as_object()
            .ok_or_else(|| malformed("the body is not an object"))?;
        return Ok(object
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), v)
            })
            .collect());
    }
    let text = std::str::from_utf8(body).map_err(|_| malformed("the form is not UTF-8"))?;
    let decode = |s: &str| {
        percent_decode_str(&s.replace('+', " "))
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| malformed("the form is not UTF-8"))
    };
    let mut out = BTreeMap::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(decode(k)?, decode(v)?);
    }
    Ok(out)
}

/// The user id of Basic credentials.
pub fn basic_user(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(hyper::header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let user = text.split_once(':').map_or(text.as_str(), |(u, _)| u);
    (!user.is_empty()).then(|| user.to_owned())
}

/// Builds the sharing request of a share call by `actor` with `body` fields.
pub async fn build(
    client: &OcsClient,
    call: &ShareCall,
    body: &BTreeMap<String, String>,
    actor: &str,
) -> Result<ShareRequest, CallError> {
    let invalid = |e: SharingError| CallError::Unknown(e);
    let actor = client.email(actor).await?;
    let (folder, change) = match call {
        ShareCall::Create => {
            let path = body
                .get("path")
                .cloned()
                .ok_or_else(|| invalid(SharingError::Malformed("path is required".into())))?;
            let number = body
                .get("shareType")
                .and_then(|t| t.parse::<i64>().ok())
                .ok_or_else(|| invalid(SharingError::Malformed("shareType is required".into())))?;
            let share_type = ShareType::from_ocs(number).map_err(invalid)?;
            let with = body.get("shareWith").cloned().unwrap_or_default();
            let grantee = match share_type {
                ShareType::User => client.email(&with).await?,
                _ => with,
            };
            let flags = permissions(body, default_permissions(share_type))?;
            let change = Change {
                kind: ChangeKind::Create,
                share_type: Some(share_type.as_str().into()),
                grantee,
                flags,
                share_id: None,
            };
            (path, change)
        }
        ShareCall::Update(id) => {
            let share = client.share(id).await?;
            let flags = permissions(body, share.permissions)?;
            let change = Change {
                kind: ChangeKind::Update,
                share_type: None,
                grantee: String::new(),
                flags,
                share_id: Some(id.clone()),
            };
            (share.path, change)
        }
    };
    let (access, owner) = access_list(client, &folder).await?;
    Ok(ShareRequest {
        folder: FolderRef {
            path: folder,
            owner,
        },
        access,
        change,
        actor,
    })
}

/// Nextcloud's defaults: links are read-only, other shares get everything.
fn default_permissions(share_type: ShareType) -> u32 {
    match share_type {
        ShareType::Link | ShareType::Email => leakwall_policy::sharing::OCS_READ,
        _ => leakwall_policy::sharing::OCS_ALL,
    }
}

fn permissions(body: &BTreeMap<String, String>, default: u32) -> Result<Vec<String>, CallError> {
    let bits = match body.get("permissions") {
        None => default,
        Some(p) => p.trim().parse::<u32>().map_err(|_| {
            CallError::Unknown(SharingError::UnknownFlag {
                flag: format!("permissions {}", p.chars().take(16).collect::<String>()),
            })
        })?,
    };
    let flags = Flags::from_ocs(bits).map_err(CallError::Unknown)?;
    Ok(flags.names().into_iter().map(str::to_owned).collect())
}

/// The shares of `folder` and of its parents, with user ids turned into addresses, and the
/// file owner's address when a share names it.
async fn access_list(
    client: &OcsClient,
    folder: &str,
) -> Result<(Vec<AccessEntry>, Option<String>), CallError> {
    let mut access = Vec::new();
    let mut owner = None;
    let segments: Vec<&str> = folder.split('/').filter(|s| !s.is_empty()).collect();
    for depth in 1..=segments.len().min(MAX_DEPTH) {
        let path = format!("/{}", segments[..depth].join("/"));
        for share in client.shares_of(&path).await? {
            if owner.is_none() && !share.owner.is_empty() {
                owner = client.email(&share.owner).await.ok();
            }
            access.push(entry(client, &path, share).await?);
        }
    }
    Ok((access, owner))
}

async fn entry(client: &OcsClient, path: &str, share: OcsShare) -> Result<AccessEntry, CallError> {
    let flags = Flags::from_ocs(share.permissions)
        .map(|f| f.names().into_iter().map(str::to_owned).collect())
        .unwrap_or_else(|_| vec!["WRITE".into(), "MANAGE".into()]);
    let (share_type, grantee) = match ShareType::from_ocs(share.share_type) {
        Ok(ShareType::User) => (ShareType::User, client.email(&share.share_with).await?),
        Ok(ShareType::Link) => (ShareType::Link, share.token),
        Ok(other) => (other, share.share_with),
        // Share types this version does not know (Talk rooms, circles) may reach people
        // outside: counted as external, like a link.
        Err(_) => (
            ShareType::Link,
            format!("share type {} {}", share.share_type, share.share_with),
        ),
    };
    Ok(AccessEntry {
        path: Some(path.to_owned()),
        share_id: Some(share.id),
        share_type: share_type.as_str().into(),
        grantee,
        flags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_calls() {
        let base = "/ocs/v2.php/apps/files_sharing/api/v1/shares";
        assert_eq!(ShareCall::of("POST", base), Some(ShareCall::Create));
        assert_eq!(
            ShareCall::of("PUT", &format!("{base}/12")),
            Some(ShareCall::Update("12".into()))
        );
        assert_eq!(ShareCall::of("GET", base), None);
        assert_eq!(ShareCall::of("DELETE", &format!("{base}/12")), None);
        assert_eq!(ShareCall::of("PUT", &format!("{base}/1/2")), None);
        assert_eq!(
            ShareCall::of("POST", "/ocs/v2.php/apps/files/api/v1/x"),
            None
        );
    }

    #[test]
    fn form_fields() {
        let f = fields(b"path=%2FProjects%2FA+B&shareType=0&shareWith=bob", false).unwrap();
        assert_eq!(f["path"], "/Projects/A B");
        let f = fields(br#"{"path": "/x", "shareType": 3}"#, true).unwrap();
        assert_eq!(f["shareType"], "3");
        assert!(fields(b"[1]", true).is_err());
    }
}
