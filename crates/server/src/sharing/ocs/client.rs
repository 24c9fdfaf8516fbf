//! Leakwall's own calls to the OCS server with the service account: the shares of a folder,
//! one share, a user's e-mail address (remembered for a while), and setting a share's
//! permissions. Always JSON (`format=json`), always `OCS-APIRequest: true`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use leakwall_policy::sharing::SharingError;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::Value;

use super::config::OcsSettings;

/// The share API's base path.
pub const SHARES_PATH: &str = "/ocs/v2.php/apps/files_sharing/api/v1/shares";
/// The user provisioning API's base path.
const USERS_PATH: &str = "/ocs/v2.php/cloud/users";
/// Largest answer read from the upstream.
const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;
/// Most e-mail addresses remembered.
const MAX_CACHED_EMAILS: usize = 100_000;

/// One share as the OCS API gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcsShare {
    /// Share id.
    pub id: String,
    /// `share_type` number.
    pub share_type: i64,
    /// `share_with` (user id, group, address, cloud id; empty for links).
    pub share_with: String,
    /// Permission bits.
    pub permissions: u32,
    /// The shared path.
    pub path: String,
    /// The file owner's user id.
    pub owner: String,
    /// A link's token.
    pub token: String,
}

/// Why a call to the upstream failed.
#[derive(Debug)]
pub enum CallError {
    /// The request is about something the upstream does not know (unknown user, share,
    /// folder).
    Unknown(SharingError),
    /// The upstream failed or answered something unexpected.
    Upstream(String),
}

/// The service client.
pub struct OcsClient {
    http: reqwest::Client,
    base: String,
    settings: OcsSettings,
    emails: Mutex<HashMap<String, (String, Instant)>>,
}

impl OcsClient {
    /// A client of the upstream at `base` (`http://host:port[/prefix]`).
    pub fn new(base: String, settings: OcsSettings) -> OcsClient {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .build()
            .unwrap_or_default();
        OcsClient {
            http,
            base,
            settings,
            emails: Mutex::new(HashMap::new()),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &OcsSettings {
        &self.settings
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        form: Option<String>,
    ) -> Result<(u16, Value), CallError> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = format!("{}{path}{sep}format=json", self.base);
        let mut request = self
            .http
            .request(method, url)
            .basic_auth(
                &self.settings.service_user,
                Some(&self.settings.service_password),
            )
            .header("OCS-APIRequest", "true")
            .header("Accept", "application/json");
        if let Some(form) = form {
            request = request
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(form);
        }
        let answer = request
            .send()
            .await
            .map_err(|e| CallError::Upstream(format!("OCS call failed: {e}")))?;
        let status = answer.status().as_u16();
        let body = answer
            .bytes()
            .await
            .map_err(|e| CallError::Upstream(format!("OCS answer unreadable: {e}")))?;
        if body.len() > MAX_ANSWER_BYTES {
            return Err(CallError::Upstream("OCS answer too large".into()));
        }
        let value: Value = serde_json::from_slice(&body)
            .map_err(|_| CallError::Upstream(format!("OCS answered {status} without JSON")))?;
        let code = value["ocs"]["meta"]["statuscode"]
            .as_u64()
            .and_then(|c| u16::try_from(c).ok())
            .unwrap_or(status);
        Ok((code, value))
    }

    /// The shares on exactly `path`.
    pub async fn shares_of(&self, path: &str) -> Result<Vec<OcsShare>, CallError> {
        let query = format!("{SHARES_PATH}?path={}&reshares=true", encode(path));
        match self.call(reqwest::Method::GET, &query, None).await? {
            (200 | 100, value) => Ok(value["ocs"]["data"]
                .as_array()
                .map(|shares| shares.iter().filter_map(share).collect())
                .unwrap_or_default()),
            (404, _) => Err(CallError::Unknown(SharingError::UnknownFolder {
                folder: path.chars().take(64).collect(),
            })),
            (code, _) => Err(CallError::Upstream(format!(
                "listing the shares of a folder: OCS status {code}"
            ))),
        }
    }

    /// One share by id.
    pub async fn share(&self, id: &str) -> Result<OcsShare, CallError> {
        let path = format!("{SHARES_PATH}/{}", encode(id));
        let unknown = || {
            CallError::Unknown(SharingError::UnknownShare {
                share_id: id.chars().take(64).collect(),
            })
        };
        match self.call(reqwest::Method::GET, &path, None).await? {
            (200 | 100, value) => {
                let data = &value["ocs"]["data"];
                let first = data.as_array().and_then(|a| a.first()).unwrap_or(data);
                share(first).ok_or_else(unknown)
            }
            (404, _) => Err(unknown()),
            (code, _) => Err(CallError::Upstream(format!(
                "reading a share: OCS status {code}"
            ))),
        }
    }

    /// The e-mail address of user `id`, remembered for the configured time.
    pub async fn email(&self, id: &str) -> Result<String, CallError> {
        if let Ok(cache) = self.emails.lock() {
            if let Some((email, at)) = cache.get(id) {
                if at.elapsed() < self.settings.email_ttl {
                    return Ok(email.clone());
                }
            }
        }
        let path = format!("{USERS_PATH}/{}", encode(id));
        let unknown = || {
            CallError::Unknown(SharingError::UnknownUser {
                user: id.chars().take(64).collect(),
            })
        };
        let email = match self.call(reqwest::Method::GET, &path, None).await? {
            (200 | 100, value) => value["ocs"]["data"]["email"]
                .as_str()
                .filter(|e| !e.is_empty())
                .map(str::to_owned)
                .ok_or_else(unknown)?,
            (404, _) => return Err(unknown()),
            (code, _) => {
                return Err(CallError::Upstream(format!(
                    "reading a user: OCS status {code}"
                )))
            }
        };
        if let Ok(mut cache) = self.emails.lock() {
            if cache.len() >= MAX_CACHED_EMAILS {
                cache.clear();
            }
            cache.insert(id.to_owned(), (email.clone(), Instant::now()));
        }
        Ok(email)
    }

    /// Sets the permission bits of share `id`.
    pub async fn set_permissions(&self, id: &str, permissions: u32) -> Result<(), String> {
        let path = format!("{SHARES_PATH}/{}", encode(id));
        let form = format!("permissions={permissions}");
        match self.call(reqwest::Method::PUT, &path, Some(form)).await {
            Ok((200 | 100, _)) => Ok(()),
            Ok((code, value)) => Err(format!(
                "OCS status {code}: {}",
                value["ocs"]["meta"]["message"].as_str().unwrap_or_default()
            )),
            Err(CallError::Unknown(e)) => Err(e.to_string()),
            Err(CallError::Upstream(e)) => Err(e),
        }
    }
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
}

/// A text field that the OCS API gives as a string or a number.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn share(value: &Value) -> Option<OcsShare> {
    let number = |v: &Value| v.as_i64().or_else(|| v.as_str()?.parse().ok());
    Some(OcsShare {
        id: Some(text(&value["id"])).filter(|id| !id.is_empty())?,
        share_type: number(&value["share_type"])?,
        share_with: text(&value["share_with"]),
        permissions: u32::try_from(number(&value["permissions"])?).ok()?,
        path: text(&value["path"]),
        owner: text(&value["uid_file_owner"]),
        token: text(&value["token"]),
    })
}
