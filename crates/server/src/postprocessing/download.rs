//! Downloads for post-processing: a file streamed to a temporary file under a size limit and
//! a time limit, the same in memory for the `ocis.resource.download` builtin, and the JSON
//! POST of an outcome. Plain `http://` (the internal data gateway of the spec); the client
//! has no TLS, so an `https://` URL is a permanent error.

use std::fs::File;
use std::io::Write;
use std::time::Duration;

use leakwall_policy::FetchFn;
use serde_json::Value;

/// A download, or the news that it was larger than allowed.
#[derive(Debug)]
pub enum Downloaded {
    /// The whole content, in an unnamed temporary file.
    File(File),
    /// More than the limit: nothing beyond it was read.
    TooLarge,
}

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The server answered with an error status.
    #[error("the download answered HTTP {0}")]
    Status(u16),
    /// Connecting, reading or the time limit.
    #[error("downloading: {0}")]
    Transport(String),
    /// Writing the temporary file.
    #[error("writing the download: {0}")]
    Io(#[from] std::io::Error),
}

impl DownloadError {
    /// Whether trying again later may work (5xx, 429, network, time limit).
    pub fn is_transient(&self) -> bool {
        match self {
            DownloadError::Status(code) => *code >= 500 || *code == 429,
            DownloadError::Transport(_) | DownloadError::Io(_) => true,
        }
    }
}

fn client(timeout: Duration) -> Result<reqwest::Client, DownloadError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .map_err(|e| DownloadError::Transport(e.to_string()))
}

async fn get(url: &str, timeout: Duration) -> Result<reqwest::Response, DownloadError> {
    let response = client(timeout)?
        .get(url)
        .send()
        .await
        .map_err(|e| DownloadError::Transport(e.to_string()))?;
    match response.status().as_u16() {
        200 => Ok(response),
        code => Err(DownloadError::Status(code)),
    }
}

/// Streams `url` into a temporary file; stops reading past `max_bytes`.
pub async fn to_file(
    url: &str,
    max_bytes: u64,
    timeout: Duration,
) -> Result<Downloaded, DownloadError> {
    let mut response = get(url, timeout).await?;
    if response.content_length().is_some_and(|n| n > max_bytes) {
        return Ok(Downloaded::TooLarge);
    }
    let mut file = tempfile::tempfile()?;
    let mut written: u64 = 0;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| DownloadError::Transport(e.to_string()))?
    {
        written = written.saturating_add(chunk.len() as u64);
        if written > max_bytes {
            return Ok(Downloaded::TooLarge);
        }
        file.write_all(&chunk)?;
    }
    Ok(Downloaded::File(file))
}

/// Reads `url` into memory; more than `max_bytes` is an error.
async fn to_memory(url: &str, max_bytes: u64, timeout: Duration) -> Result<Vec<u8>, String> {
    let mut response = get(url, timeout).await.map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if (bytes.len() + chunk.len()) as u64 > max_bytes {
            return Err(format!("the resource is larger than {max_bytes} bytes"));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// `ocis.resource.download(url)`: the body of an HTTP GET, under its own time and size limits
/// (the engine's timeout cannot interrupt a builtin). Runs on the blocking thread of the
/// evaluation; outside a tokio runtime it fails.
pub fn fetch_fn(max_bytes: u64, timeout: Duration) -> FetchFn {
    std::sync::Arc::new(move |url: &str| {
        let handle = tokio::runtime::Handle::try_current()
            .map_err(|_| "no runtime to download with".to_owned())?;
        handle.block_on(to_memory(url, max_bytes, timeout))
    })
}

/// POSTs `body` as JSON to `url`; a non-2xx answer is an error.
pub async fn post_json(url: &str, body: &Value, timeout: Duration) -> Result<(), String> {
    let response = client(timeout)
        .map_err(|e| e.to_string())?
        .post(url)
        .json(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("the callback answered HTTP {}", response.status()))
    }
}
