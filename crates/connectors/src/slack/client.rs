//! A small Slack Web API client: the methods a DLP app needs (spec §2, §3), typed errors.
//!
//! Every call is `POST {api_base}/{method}` with a form body and `Authorization: Bearer`.
//! HTTP 429 becomes [`ApiError::RateLimited`] with `Retry-After`; `{"ok":false}` becomes
//! [`ApiError::Api`] (see [`ApiError::permanent`]). Downloads stream with a byte cap and send
//! the token only to the configured file hosts. Nothing here logs a token or message text.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, CONTENT_DISPOSITION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{RequestBuilder, Response, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::ApiError;
use crate::secret::Token;
use crate::slack::types::{FileInfo, Installation, OAuthExchange, Posted, RawOAuth};

/// Settings of a [`SlackClient`].
#[derive(Clone, Debug)]
pub struct SlackClientConfig {
    /// The Web API base, without a trailing slash: `https://slack.com/api` (a fake's in tests).
    pub api_base: String,
    /// Origins the bot token may be sent to for downloads (`https://files.slack.com`).
    pub file_hosts: Vec<String>,
    /// Timeout of one API call, connection included.
    pub timeout: Duration,
    /// Timeout to connect.
    pub connect_timeout: Duration,
    /// Timeout of one download, body included.
    pub download_timeout: Duration,
    /// Largest API answer read (not downloads).
    pub max_response_bytes: u64,
}

impl Default for SlackClientConfig {
    fn default() -> Self {
        SlackClientConfig {
            api_base: "https://slack.com/api".into(),
            file_hosts: vec!["https://files.slack.com".into()],
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            download_timeout: Duration::from_secs(120),
            max_response_bytes: 4 * 1024 * 1024,
        }
    }
}

impl SlackClientConfig {
    /// Defaults with the API and file host at `base` (an origin such as a fake's
    /// `http://127.0.0.1:port`): API at `{base}/api`, files from `base`.
    pub fn at(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        SlackClientConfig {
            api_base: format!("{base}/api"),
            file_hosts: vec![base.to_owned()],
            ..SlackClientConfig::default()
        }
    }

    /// Validates the settings and builds the client.
    pub fn build(self) -> Result<SlackClient, ApiError> {
        Url::parse(&self.api_base).map_err(|_| ApiError::Config("api_base is not a URL".into()))?;
        let file_origins = self
            .file_hosts
            .iter()
            .map(|h| Url::parse(h).map(|u| origin(&u)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| ApiError::Config("file_hosts holds a value that is not a URL".into()))?;
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|_| ApiError::Config("HTTP client".into()))?;
        let api_base = self.api_base.trim_end_matches('/').to_owned();
        Ok(SlackClient {
            http,
            inner: Arc::new(Inner {
                config: self,
                api_base,
                file_origins,
            }),
        })
    }
}

/// The Web API client; cheap to clone (one connection pool).
#[derive(Clone, Debug)]
pub struct SlackClient {
    http: reqwest::Client,
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: SlackClientConfig,
    api_base: String,
    file_origins: Vec<Origin>,
}

/// Scheme, host and port of a URL: what a download address must share with a file host.
pub(crate) type Origin = (String, Option<String>, Option<u16>);

pub(crate) fn origin(url: &Url) -> Origin {
    (
        url.scheme().to_owned(),
        url.host_str().map(str::to_owned),
        url.port_or_known_default(),
    )
}

#[derive(Deserialize)]
struct Ack {
    ok: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    needed: Option<String>,
}

#[derive(Deserialize)]
struct Ignore {}

#[derive(Deserialize)]
struct FileAnswer {
    file: FileInfo,
}

#[derive(Deserialize)]
struct OpenAnswer {
    channel: OpenedChannel,
}

#[derive(Deserialize)]
struct OpenedChannel {
    id: String,
}

impl SlackClient {
    /// `chat.delete`: deletes message `ts` in `channel`. A bot token deletes only the bot's
    /// own messages (`cant_delete_message`); an admin's user token deletes others'.
    pub async fn chat_delete(
        &self,
        token: &Token,
        channel: &str,
        ts: &str,
    ) -> Result<(), ApiError> {
        let form = [("channel", channel), ("ts", ts)];
        self.call::<Ignore>("chat.delete", Some(token), &form)
            .await
            .map(|_| ())
    }

    /// `chat.postMessage`: posts `text` in `channel`, in the thread of `thread_ts` if given.
    pub async fn post_message(
        &self,
        token: &Token,
        channel: &str,
        text: &str,
        thread_ts: Option<&str>,
    ) -> Result<Posted, ApiError> {
        let mut form = vec![("channel", channel), ("text", text)];
        form.extend(thread_ts.map(|t| ("thread_ts", t)));
        self.call("chat.postMessage", Some(token), &form).await
    }

    /// `chat.postEphemeral`: shows `text` to `user` only, in `channel` (and thread).
    pub async fn post_ephemeral(
        &self,
        token: &Token,
        channel: &str,
        user: &str,
        text: &str,
        thread_ts: Option<&str>,
    ) -> Result<(), ApiError> {
        let mut form = vec![("channel", channel), ("user", user), ("text", text)];
        form.extend(thread_ts.map(|t| ("thread_ts", t)));
        self.call::<Ignore>("chat.postEphemeral", Some(token), &form)
            .await
            .map(|_| ())
    }

    /// `conversations.open`: the id of the direct-message conversation with `user`
    /// (needs scope `im:write`).
    pub async fn open_dm(&self, token: &Token, user: &str) -> Result<String, ApiError> {
        let answer: OpenAnswer = self
            .call("conversations.open", Some(token), &[("users", user)])
            .await?;
        Ok(answer.channel.id)
    }

    /// `files.info`: a file's metadata.
    pub async fn files_info(&self, token: &Token, file: &str) -> Result<FileInfo, ApiError> {
        let answer: FileAnswer = self
            .call("files.info", Some(token), &[("file", file)])
            .await?;
        Ok(answer.file)
    }

    /// `files.delete`: deletes a file (others' files need an admin's user token).
    pub async fn files_delete(&self, token: &Token, file: &str) -> Result<(), ApiError> {
        self.call::<Ignore>("files.delete", Some(token), &[("file", file)])
            .await
            .map(|_| ())
    }

    /// `oauth.v2.access`: exchanges an install `code` for the installation's tokens. The
    /// client credentials go in HTTP Basic auth.
    pub async fn oauth_access(&self, exchange: &OAuthExchange) -> Result<Installation, ApiError> {
        let method = "oauth.v2.access";
        let form = [
            ("code", exchange.code.as_str()),
            ("redirect_uri", &exchange.redirect_uri),
        ];
        let request = self
            .http
            .post(self.url(method))
            .basic_auth(&exchange.client_id, Some(exchange.client_secret.expose()))
            .form(&form);
        let raw: RawOAuth = self.send(method, request).await?;
        raw.into_installation().ok_or(ApiError::Decode {
            method: method.into(),
        })
    }

    /// Downloads `url` (a `url_private_download`) with `token`, keeping at most `limit` bytes:
    /// [`ApiError::TooLarge`] as soon as the declared length or the bytes read exceed it.
    /// A web page answered instead of the file (Slack's login page) is [`ApiError::NotAFile`].
    pub async fn download(
        &self,
        token: &Token,
        url: &str,
        limit: u64,
    ) -> Result<Vec<u8>, ApiError> {
        let parsed = Url::parse(url).map_err(|_| ApiError::DisallowedUrl)?;
        if !self.inner.file_origins.contains(&origin(&parsed)) {
            return Err(ApiError::DisallowedUrl);
        }
        let request = self
            .http
            .get(parsed)
            .bearer_auth(token.expose())
            .timeout(self.inner.config.download_timeout);
        let response = request
            .send()
            .await
            .map_err(|e| transport("download", &e))?;
        let response = check_status("download", response)?;
        if is_login_page(response.headers()) {
            return Err(ApiError::NotAFile);
        }
        read_capped(response, limit, "download").await
    }

    fn url(&self, method: &str) -> String {
        format!("{}/{method}", self.inner.api_base)
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        token: Option<&Token>,
        form: &[(&str, &str)],
    ) -> Result<T, ApiError> {
        let mut request = self.http.post(self.url(method)).form(form);
        if let Some(token) = token {
            request = request.bearer_auth(token.expose());
        }
        self.send(method, request).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: &str,
        request: RequestBuilder,
    ) -> Result<T, ApiError> {
        let response = request.send().await.map_err(|e| transport(method, &e))?;
        let status = response.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(rate_limited(response.headers()));
        }
        let limit = self.inner.config.max_response_bytes;
        let body = read_capped(response, limit, method)
            .await
            .map_err(|e| match e {
                ApiError::TooLarge { .. } => ApiError::Decode {
                    method: method.into(),
                },
                other => other,
            })?;
        decode(method, status, &body)
    }
}

/// Reads an API answer: `ok:false` → `Api`, a non-success status → `Http`, else `T`.
fn decode<T: DeserializeOwned>(
    method: &str,
    status: StatusCode,
    body: &[u8],
) -> Result<T, ApiError> {
    let http_error = || ApiError::Http {
        method: method.into(),
        status: status.as_u16(),
    };
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(_) if !status.is_success() => return Err(http_error()),
        Err(_) => {
            return Err(ApiError::Decode {
                method: method.into(),
            })
        }
    };
    let ack = Ack::deserialize(&value).map_err(|_| ApiError::Decode {
        method: method.into(),
    })?;
    if !ack.ok {
        let error = ack.error.unwrap_or_else(|| "unknown_error".into());
        return Err(ApiError::Api {
            method: method.into(),
            error,
            needed: ack.needed,
        });
    }
    if !status.is_success() {
        return Err(http_error());
    }
    T::deserialize(&value).map_err(|_| ApiError::Decode {
        method: method.into(),
    })
}

fn check_status(method: &str, response: Response) -> Result<Response, ApiError> {
    let status = response.status();
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Err(rate_limited(response.headers()));
    }
    if !status.is_success() {
        return Err(ApiError::Http {
            method: method.into(),
            status: status.as_u16(),
        });
    }
    Ok(response)
}

/// `Retry-After` in seconds; 1 s when absent or unreadable.
pub(crate) fn rate_limited(headers: &HeaderMap) -> ApiError {
    let secs = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1);
    ApiError::RateLimited {
        retry_after: Duration::from_secs(secs),
    }
}

/// An HTML page that is not offered as an attachment: Slack's login page.
fn is_login_page(headers: &HeaderMap) -> bool {
    let html = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"));
    let attachment = headers
        .get(CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("attachment"));
    html && !attachment
}

/// Reads the body chunk by chunk, failing as soon as more than `limit` bytes arrive.
pub(crate) async fn read_capped(
    mut response: Response,
    limit: u64,
    method: &str,
) -> Result<Vec<u8>, ApiError> {
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(ApiError::TooLarge { limit });
    }
    let hint = response
        .content_length()
        .unwrap_or(0)
        .min(limit)
        .min(8 * 1024 * 1024);
    let mut out = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(|e| transport(method, &e))? {
        if (out.len() as u64).saturating_add(chunk.len() as u64) > limit {
            return Err(ApiError::TooLarge { limit });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

pub(crate) fn transport(method: &str, e: &reqwest::Error) -> ApiError {
    ApiError::Transport {
        method: method.into(),
        timeout: e.is_timeout(),
    }
}
