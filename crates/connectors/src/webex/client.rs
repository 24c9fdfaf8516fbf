//! A small Webex REST client for real-time file DLP (spec §5.3): hold, download and judge a
//! file, read, delete and post messages. Webhooks are in [`super::webhooks`], the OAuth
//! grant in [`super::oauth`]; they use the same plumbing.
//!
//! Every call carries `Authorization: Bearer` with the compliance officer's token, passed
//! per call. 429 becomes [`ApiError::RateLimited`] (`Retry-After`), 401
//! [`ApiError::Unauthorized`], other failures [`ApiError::Status`] with Webex's
//! `Trackingid`. Content URLs are only followed on the configured API origin. Nothing here
//! logs a token or message text.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use std::time::Duration;

use reqwest::header::{HeaderMap, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::ApiError;
use crate::secret::{MessageText, Token};
use crate::slack::client::{origin, rate_limited, read_capped, transport, Origin};

/// The `allow` value that makes the first touch hold a file for inspection (spec §5.3.3).
pub const ALLOW_UNCHECKED: &str = "dlpEvaluating,dlpUnchecked";

/// Settings of a [`WebexClient`].
#[derive(Clone, Debug)]
pub struct WebexClientConfig {
    /// The API origin, without a trailing slash: `https://webexapis.com` (a fake's in tests).
    pub base_url: String,
    /// Timeout of one API call, connection included.
    pub timeout: Duration,
    /// Timeout to connect.
    pub connect_timeout: Duration,
    /// Timeout of one download, body included.
    pub download_timeout: Duration,
    /// Largest API answer read (not downloads).
    pub max_response_bytes: u64,
}

impl Default for WebexClientConfig {
    fn default() -> Self {
        WebexClientConfig {
            base_url: "https://webexapis.com".into(),
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            download_timeout: Duration::from_secs(120),
            max_response_bytes: 4 * 1024 * 1024,
        }
    }
}

impl WebexClientConfig {
    /// Validates the settings and builds the client.
    pub fn build(self) -> Result<WebexClient, ApiError> {
        let base = Url::parse(&self.base_url)
            .map_err(|_| ApiError::Config("base_url is not a URL".into()))?;
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| ApiError::Config("HTTP client".into()))?;
        Ok(WebexClient {
            http,
            origin: origin(&base),
            base_url: self.base_url.trim_end_matches('/').to_owned(),
            config: self,
        })
    }
}

/// The Webex client; cheap to clone (one connection pool).
#[derive(Clone, Debug)]
pub struct WebexClient {
    http: reqwest::Client,
    origin: Origin,
    base_url: String,
    config: WebexClientConfig,
}

/// What a first touch (HEAD) says about a held file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentInfo {
    /// `Content-Type` as declared (never trusted for the type).
    pub content_type: Option<String>,
    /// `Content-Length`.
    pub length: Option<u64>,
    /// The file name from `Content-Disposition`, when there is one.
    pub filename: Option<String>,
}

/// The verdict on a held file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// `?result=approve`: Webex posts the file.
    Approve,
    /// `?result=reject`: Webex posts a placeholder.
    Reject,
}

/// A message as `GET /v1/messages/{id}` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebexMessage {
    /// The message id.
    pub id: String,
    /// The room.
    pub room_id: String,
    /// `direct` or `group`.
    #[serde(default)]
    pub room_type: Option<String>,
    /// The plain text.
    #[serde(default)]
    pub text: Option<MessageText>,
    /// The markdown text.
    #[serde(default)]
    pub markdown: Option<MessageText>,
    /// Content URLs.
    #[serde(default)]
    pub files: Vec<String>,
    /// The author.
    #[serde(default)]
    pub person_id: Option<String>,
    /// The author's e-mail address.
    #[serde(default)]
    pub person_email: Option<String>,
    /// RFC 3339 creation time.
    #[serde(default)]
    pub created: Option<String>,
}

/// Where [`WebexClient::post_message`] posts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recipient<'a> {
    /// Privately, to one person (`toPersonId`).
    Person(&'a str),
    /// In a room (`roomId`).
    Room(&'a str),
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

impl WebexClient {
    /// The first touch: `HEAD` of the content URL with `allow=dlpEvaluating,dlpUnchecked`,
    /// which holds the file for inspection (call within 10 s of the webhook).
    pub async fn hold(&self, token: &Token, url: &str) -> Result<ContentInfo, ApiError> {
        let url = self.content_url(url)?;
        let response = self
            .send("hold", self.http.head(url).bearer_auth(token.expose()))
            .await?;
        Ok(content_info(response.headers()))
    }

    /// `GET` of the content URL with the same `allow` value, keeping at most `limit` bytes
    /// ([`ApiError::TooLarge`] beyond; never more than `limit` plus one chunk in memory).
    pub async fn download(
        &self,
        token: &Token,
        url: &str,
        limit: u64,
    ) -> Result<Vec<u8>, ApiError> {
        let url = self.content_url(url)?;
        let request = self
            .http
            .get(url)
            .bearer_auth(token.expose())
            .timeout(self.config.download_timeout);
        let response = self.send("download", request).await?;
        read_capped(response, limit, "download").await
    }

    /// The verdict: `PUT` to the content URL's scheme, host and path with only
    /// `?result=approve|reject` (spec §5.3.6). Repeating the same verdict is harmless.
    pub async fn verdict(
        &self,
        token: &Token,
        url: &str,
        verdict: Verdict,
    ) -> Result<(), ApiError> {
        let mut url = self.checked(url)?;
        url.set_fragment(None);
        let result = match verdict {
            Verdict::Approve => "approve",
            Verdict::Reject => "reject",
        };
        url.set_query(Some(&format!("result={result}")));
        self.send("verdict", self.http.put(url).bearer_auth(token.expose()))
            .await
            .map(|_| ())
    }

    /// `GET /v1/messages/{id}`: the message with its text (needs `messages_read`).
    pub async fn message(&self, token: &Token, id: &str) -> Result<WebexMessage, ApiError> {
        self.json(
            Method::GET,
            "messages.get",
            &format!("/v1/messages/{}", segment(id)),
            token,
            None,
        )
        .await
    }

    /// `DELETE /v1/messages/{id}` (compliance scope `messages_write`); one already gone
    /// (404) counts as deleted.
    pub async fn delete_message(&self, token: &Token, id: &str) -> Result<(), ApiError> {
        self.delete("messages.delete", "messages", id, token).await
    }

    /// `DELETE /v1/{collection}/{id}`; 404 (already gone) counts as deleted.
    pub(super) async fn delete(
        &self,
        name: &str,
        collection: &str,
        id: &str,
        token: &Token,
    ) -> Result<(), ApiError> {
        let url = format!("{}/v1/{collection}/{}", self.base_url, segment(id));
        let request = self.http.delete(url).bearer_auth(token.expose());
        match self.send(name, request).await {
            Ok(_) => Ok(()),
            Err(ApiError::Status { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `POST /v1/messages`: posts `text` to a person privately or in a room; the new id.
    pub async fn post_message(
        &self,
        token: &Token,
        to: Recipient<'_>,
        text: &str,
    ) -> Result<String, ApiError> {
        let body = match to {
            Recipient::Person(p) => serde_json::json!({"toPersonId": p, "text": text}),
            Recipient::Room(r) => serde_json::json!({"roomId": r, "text": text}),
        };
        let created: Created = self
            .json(
                Method::POST,
                "messages.create",
                "/v1/messages",
                token,
                Some(body),
            )
            .await?;
        Ok(created.id)
    }

    pub(super) async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        name: &str,
        path: &str,
        token: &Token,
        body: Option<serde_json::Value>,
    ) -> Result<T, ApiError> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(token.expose());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = self.send(name, request).await?;
        self.read_json(name, response).await
    }

    /// The answer's JSON body, read under `max_response_bytes`.
    pub(super) async fn read_json<T: DeserializeOwned>(
        &self,
        name: &str,
        response: Response,
    ) -> Result<T, ApiError> {
        let bytes = read_capped(response, self.config.max_response_bytes, name)
            .await
            .map_err(|_| ApiError::Decode {
                method: name.into(),
            })?;
        serde_json::from_slice(&bytes).map_err(|_| ApiError::Decode {
            method: name.into(),
        })
    }

    /// Sends `request`; anything but a success becomes an [`ApiError`].
    pub(super) async fn send(
        &self,
        method: &str,
        request: RequestBuilder,
    ) -> Result<Response, ApiError> {
        let response = request.send().await.map_err(|e| transport(method, &e))?;
        check(method, response)
    }

    /// The HTTP client, for requests the other modules build.
    pub(super) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The API origin, without a trailing slash.
    pub(super) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A URL on the configured API origin; another host never gets the token.
    pub(super) fn checked(&self, url: &str) -> Result<Url, ApiError> {
        let parsed = Url::parse(url).map_err(|_| ApiError::DisallowedUrl)?;
        if origin(&parsed) != self.origin {
            return Err(ApiError::DisallowedUrl);
        }
        Ok(parsed)
    }

    fn content_url(&self, url: &str) -> Result<Url, ApiError> {
        self.checked(url).map(|u| with_unchecked(&u))
    }
}

/// `url` with `allow=dlpEvaluating,dlpUnchecked`: an existing `allow` value is replaced
/// (other query pairs kept), a missing one added.
pub fn with_unchecked(url: &Url) -> Url {
    let mut out = url.clone();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "allow")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    out.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("allow", ALLOW_UNCHECKED);
    // `query_pairs_mut` escapes the comma; Webex's example sends it as is.
    let query = out.query().map(|q| q.replace("%2C", ","));
    out.set_query(query.as_deref());
    out
}

/// An id as one path segment (ids are base64url; anything else, dots included, is escaped).
pub(super) fn segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'=' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn check(method: &str, response: Response) -> Result<Response, ApiError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let headers = response.headers();
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Err(rate_limited(headers));
    }
    let tracking_id = headers
        .get("trackingid")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(128).collect());
    if status == StatusCode::UNAUTHORIZED {
        return Err(ApiError::Unauthorized {
            method: method.into(),
            tracking_id,
        });
    }
    Err(ApiError::Status {
        method: method.into(),
        status: status.as_u16(),
        tracking_id,
    })
}

fn content_info(headers: &HeaderMap) -> ContentInfo {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
    };
    ContentInfo {
        content_type: text(CONTENT_TYPE).map(str::to_owned),
        length: text(CONTENT_LENGTH).and_then(|v| v.trim().parse().ok()),
        filename: text(CONTENT_DISPOSITION).and_then(filename),
    }
}

/// `filename="…"` (or unquoted) from a `Content-Disposition` value.
pub fn filename(disposition: &str) -> Option<String> {
    disposition.split(';').find_map(|part| {
        let (key, value) = part.trim().split_once('=')?;
        if !key.trim().eq_ignore_ascii_case("filename") {
            return None;
        }
        let value = value.trim().trim_matches('"');
        (!value.is_empty()).then(|| value.chars().take(255).collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unchecked(url: &str) -> String {
        with_unchecked(&Url::parse(url).unwrap()).to_string()
    }

    #[test]
    fn allow_is_replaced_or_added() {
        assert_eq!(
            unchecked("https://webexapis.com/v1/contents/C1?allow=dlpEvaluating"),
            "https://webexapis.com/v1/contents/C1?allow=dlpEvaluating,dlpUnchecked"
        );
        assert_eq!(
            unchecked("https://webexapis.com/v1/contents/C1"),
            "https://webexapis.com/v1/contents/C1?allow=dlpEvaluating,dlpUnchecked"
        );
        assert_eq!(
            unchecked("https://h/v1/contents/C1?x=1&allow=a&allow=b"),
            "https://h/v1/contents/C1?x=1&allow=dlpEvaluating,dlpUnchecked"
        );
    }

    #[test]
    fn filenames() {
        assert_eq!(
            filename(r#"attachment; filename="report.pdf""#).as_deref(),
            Some("report.pdf")
        );
        assert_eq!(filename("inline;FILENAME=a.txt").as_deref(), Some("a.txt"));
        assert_eq!(filename("attachment"), None);
        assert_eq!(filename(r#"attachment; filename="""#), None);
    }

    #[test]
    fn ids_are_one_segment() {
        assert_eq!(segment("Y2lz-_="), "Y2lz-_=");
        assert_eq!(segment("../x?y"), "%2E%2E%2Fx%3Fy");
    }
}
