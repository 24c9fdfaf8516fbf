//! The clamd client: settings ([`ClamdConfig`]), the shared runtime handle ([`Clamd`]) and one
//! conversation with the daemon (`Session`).
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

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::Semaphore;

use crate::protocol::{self, MAX_ANSWER};
use crate::{ClamdAddress, Error, ScanResult};

/// How to reach clamd and how long to wait for it.
#[derive(Debug, Clone)]
pub struct ClamdConfig {
    /// Where the daemon listens.
    pub address: ClamdAddress,
    /// The longest wait for a connection.
    pub connect_timeout: Duration,
    /// The longest wait for the daemon: for each chunk to be taken, and for the answer after
    /// the last chunk (which includes the daemon's scanning time).
    pub read_timeout: Duration,
    /// Scans (connections) at once; more wait for a free slot.
    pub pool_size: usize,
    /// Bytes per INSTREAM chunk (at least 1 KiB).
    pub chunk_bytes: usize,
}

impl ClamdConfig {
    /// Settings for `address` with the defaults: 2 s to connect, 60 s to answer, 4 scans at
    /// once, 64 KiB chunks.
    pub fn new(address: ClamdAddress) -> ClamdConfig {
        ClamdConfig {
            address,
            connect_timeout: Duration::from_secs(2),
            read_timeout: Duration::from_secs(60),
            pool_size: 4,
            chunk_bytes: 64 * 1024,
        }
    }
}

/// A clamd client, cheap to clone: every clone shares the same bound on scans at once.
///
/// Each call opens its own connection (no `zIDSESSION`): a broken or half-read connection can
/// never leak into the next scan, at the price of one connect per file (tens of µs on
/// loopback, against milliseconds of scanning).
#[derive(Clone)]
pub struct Clamd {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClamdConfig,
    address: String,
    slots: Semaphore,
}

impl std::fmt::Debug for Clamd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clamd")
            .field("address", &self.inner.address)
            .finish()
    }
}

/// A connection of either kind.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

impl Clamd {
    /// A client with `config` (a pool size of 0 counts as 1, chunks below 1 KiB as 1 KiB).
    pub fn new(mut config: ClamdConfig) -> Clamd {
        config.pool_size = config.pool_size.max(1);
        config.chunk_bytes = config.chunk_bytes.max(1024);
        Clamd {
            inner: Arc::new(Inner {
                address: config.address.to_string(),
                slots: Semaphore::new(config.pool_size),
                config,
            }),
        }
    }

    /// The daemon's address.
    pub fn address(&self) -> &ClamdAddress {
        &self.inner.config.address
    }

    /// `zPING`: `Ok` when the daemon answers `PONG`.
    pub async fn ping(&self) -> Result<(), Error> {
        let answer = self.command(protocol::PING).await?;
        match protocol::answer_text(&answer) {
            Some("PONG") => Ok(()),
            _ => Err(self.inner.protocol(&answer)),
        }
    }

    /// `zVERSION`: e.g. `ClamAV 1.4.6/27000/Mon Nov 23 08:00:00 2026`.
    pub async fn version(&self) -> Result<String, Error> {
        let answer = self.command(protocol::VERSION).await?;
        match protocol::answer_text(&answer) {
            Some(text) if text.starts_with("ClamAV ") => Ok(text.to_owned()),
            _ => Err(self.inner.protocol(&answer)),
        }
    }

    /// Scans `bytes`, sent in chunks straight from the slice (no copy).
    pub async fn scan_bytes(&self, bytes: &[u8]) -> Result<ScanResult, Error> {
        let _slot = self.inner.slots.acquire().await.ok();
        let mut session = self.inner.connect().await?;
        let sent = session
            .send_slice(bytes, self.inner.config.chunk_bytes)
            .await;
        session.finish(sent).await
    }

    /// Scans what `reader` yields, one chunk in memory at a time.
    pub async fn scan_reader<R: AsyncRead + Unpin>(&self, reader: R) -> Result<ScanResult, Error> {
        let _slot = self.inner.slots.acquire().await.ok();
        let mut session = self.inner.connect().await?;
        let sent = session
            .send_reader(reader, self.inner.config.chunk_bytes)
            .await;
        session.finish(sent).await
    }

    async fn command(&self, command: &[u8]) -> Result<Vec<u8>, Error> {
        let _slot = self.inner.slots.acquire().await.ok();
        let mut session = self.inner.connect().await?;
        session.write(command).await?;
        session.answer().await
    }
}

impl Inner {
    async fn connect(&self) -> Result<Session<'_>, Error> {
        let limit = self.config.connect_timeout;
        let connecting = async {
            let conn: Box<dyn Io> = match &self.config.address {
                ClamdAddress::Tcp(hostport) => {
                    let stream = tokio::net::TcpStream::connect(hostport.as_str()).await?;
                    stream.set_nodelay(true)?;
                    Box::new(stream)
                }
                ClamdAddress::Unix(path) => Box::new(tokio::net::UnixStream::connect(path).await?),
            };
            Ok::<_, std::io::Error>(conn)
        };
        match tokio::time::timeout(limit, connecting).await {
            Ok(Ok(conn)) => Ok(Session { conn, inner: self }),
            Ok(Err(source)) => Err(Error::Connect {
                address: self.address.clone(),
                source,
            }),
            Err(_) => Err(self.timeout("connection", limit)),
        }
    }

    fn timeout(&self, what: &'static str, limit: Duration) -> Error {
        Error::Timeout {
            address: self.address.clone(),
            what,
            limit,
        }
    }

    fn io(&self, source: std::io::Error) -> Error {
        Error::Io {
            address: self.address.clone(),
            source,
        }
    }

    fn protocol(&self, raw: &[u8]) -> Error {
        Error::Protocol {
            address: self.address.clone(),
            detail: protocol::describe(raw),
        }
    }
}

/// One connection, used for one command.
struct Session<'a> {
    conn: Box<dyn Io>,
    inner: &'a Inner,
}

impl Session<'_> {
    /// Writes all of `bytes` within the read timeout.
    async fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let limit = self.inner.config.read_timeout;
        match tokio::time::timeout(limit, self.conn.write_all(bytes)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(self.inner.io(e)),
            Err(_) => Err(self.inner.timeout("progress", limit)),
        }
    }

    async fn chunk(&mut self, chunk: &[u8]) -> Result<(), Error> {
        self.write(&protocol::chunk_header(chunk.len())).await?;
        self.write(chunk).await
    }

    async fn send_slice(&mut self, bytes: &[u8], chunk_bytes: usize) -> Result<(), Error> {
        self.write(protocol::INSTREAM).await?;
        for chunk in bytes.chunks(chunk_bytes) {
            self.chunk(chunk).await?;
        }
        self.write(&protocol::END).await
    }

    async fn send_reader<R: AsyncRead + Unpin>(
        &mut self,
        mut reader: R,
        chunk_bytes: usize,
    ) -> Result<(), Error> {
        self.write(protocol::INSTREAM).await?;
        let mut buffer = vec![0u8; chunk_bytes];
        loop {
            let filled = fill(&mut reader, &mut buffer)
                .await
                .map_err(Error::Source)?;
            let chunk = buffer.get(..filled).unwrap_or_default();
            if chunk.is_empty() {
                break;
            }
            self.chunk(chunk).await?;
        }
        self.write(&protocol::END).await
    }

    /// The answer to a scan. When sending broke off, the daemon may have answered and closed
    /// early (`INSTREAM size limit exceeded. ERROR`): that answer wins over the broken pipe.
    async fn finish(mut self, sent: Result<(), Error>) -> Result<ScanResult, Error> {
        let broke = match sent {
            Ok(()) => None,
            Err(e @ Error::Io { .. }) => Some(e),
            Err(e) => return Err(e),
        };
        let answer = match (self.answer().await, broke) {
            (Ok(answer), _) => answer,
            (Err(_), Some(broke)) => return Err(broke),
            (Err(e), None) => return Err(e),
        };
        protocol::scan_result(&answer).map_err(|detail| Error::Protocol {
            address: self.inner.address.clone(),
            detail,
        })
    }

    /// Reads one answer: up to its NUL (or newline), or the end of the connection; at most
    /// [`MAX_ANSWER`] bytes, all within the read timeout.
    async fn answer(&mut self) -> Result<Vec<u8>, Error> {
        let inner = self.inner;
        let conn = &mut self.conn;
        let limit = inner.config.read_timeout;
        let reading = async {
            let mut answer = Vec::new();
            let mut buffer = [0u8; 512];
            while !protocol::is_complete(&answer) {
                let n = conn.read(&mut buffer).await.map_err(|e| inner.io(e))?;
                let Some(read) = buffer.get(..n).filter(|r| !r.is_empty()) else {
                    break;
                };
                if answer.len() + read.len() > MAX_ANSWER {
                    return Err(inner.protocol(&answer));
                }
                answer.extend_from_slice(read);
            }
            if answer.is_empty() {
                return Err(inner.io(std::io::ErrorKind::UnexpectedEof.into()));
            }
            Ok(answer)
        };
        match tokio::time::timeout(limit, reading).await {
            Ok(result) => result,
            Err(_) => Err(inner.timeout("answer", limit)),
        }
    }
}

/// Reads into `buffer` until it is full or the reader ends; the bytes read.
async fn fill<R: AsyncRead + Unpin>(reader: &mut R, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while let Some(rest) = buffer.get_mut(filled..).filter(|r| !r.is_empty()) {
        let n = reader.read(rest).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

#[cfg(test)]
mod tests;
