//! The client against a tiny fake clamd on a loopback port: framing, answers split across
//! writes, garbage, silence, early answers, refusals, the pool bound, a Unix socket.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::*;

type Handler =
    Arc<dyn Fn(tokio::net::TcpStream) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A fake clamd on 127.0.0.1 running `handler` for every connection.
async fn fake<F, Fut>(handler: F) -> Clamd
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let handler: Handler = Arc::new(move |s| Box::pin(handler(s)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(handler(stream));
        }
    });
    client(&format!("tcp://127.0.0.1:{port}"))
}

fn client(url: &str) -> Clamd {
    let mut config = ClamdConfig::new(ClamdAddress::parse(url).unwrap());
    config.read_timeout = Duration::from_millis(300);
    config.connect_timeout = Duration::from_millis(300);
    config.chunk_bytes = 1024;
    Clamd::new(config)
}

/// Reads a command up to its NUL, and for `zINSTREAM` the chunks up to the empty one: the
/// command, the reassembled bytes and the chunk lengths.
async fn request<S: AsyncRead + Unpin>(s: &mut S) -> (String, Vec<u8>, Vec<u32>) {
    let mut command = Vec::new();
    loop {
        let byte = s.read_u8().await.unwrap();
        if byte == 0 {
            break;
        }
        command.push(byte);
    }
    let command = String::from_utf8(command).unwrap();
    let (mut data, mut lengths) = (Vec::new(), Vec::new());
    if command == "zINSTREAM" {
        loop {
            let len = s.read_u32().await.unwrap();
            lengths.push(len);
            if len == 0 {
                break;
            }
            let mut chunk = vec![0; len as usize];
            s.read_exact(&mut chunk).await.unwrap();
            data.extend_from_slice(&chunk);
        }
    }
    (command, data, lengths)
}

async fn reply<S: AsyncWrite + Unpin>(s: &mut S, parts: &[&[u8]]) {
    for part in parts {
        s.write_all(part).await.unwrap();
        s.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn chunks_are_length_prefixed_and_a_split_answer_is_reassembled() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let clamd = fake(move |mut s| {
        let tx = tx.clone();
        async move {
            let got = request(&mut s).await;
            tx.send(got).unwrap();
            reply(&mut s, &[b"stream: Win.Te", b"st.EICAR_HDB-1 FO", b"UND\0"]).await;
        }
    })
    .await;
    let file: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let result = clamd.scan_bytes(&file).await.unwrap();
    assert_eq!(
        result,
        ScanResult::Infected {
            signature: "Win.Test.EICAR_HDB-1".into()
        }
    );
    let (command, data, lengths) = rx.recv().await.unwrap();
    assert_eq!(command, "zINSTREAM");
    assert_eq!(data, file);
    assert_eq!(lengths, [1024, 1024, 952, 0]);

    let result = clamd.scan_reader(&file[..]).await.unwrap();
    assert_eq!(result.as_str(), "infected");
    let (_, data, lengths) = rx.recv().await.unwrap();
    assert_eq!((data, lengths), (file.clone(), vec![1024, 1024, 952, 0]));
}

#[tokio::test]
async fn ping_and_version() {
    let clamd = fake(|mut s| async move {
        let (command, _, _) = request(&mut s).await;
        let answer: &[u8] = match command.as_str() {
            "zPING" => b"PONG\0",
            "zVERSION" => b"ClamAV 1.4.6/27000/Mon Nov 23 08:00:00 2026\0",
            _ => b"UNKNOWN COMMAND\0",
        };
        reply(&mut s, &[answer]).await;
    })
    .await;
    clamd.ping().await.unwrap();
    assert!(clamd.version().await.unwrap().starts_with("ClamAV 1.4.6/"));
}

#[tokio::test]
async fn garbage_and_overlong_answers_are_protocol_errors() {
    for answer in [
        &b"HTTP/1.1 400 Bad Request\r\n\r\n"[..],
        b"\xff\xfe\xfd\0",
        b"PONG\0",
    ] {
        let clamd = fake(move |mut s| async move {
            request(&mut s).await;
            reply(&mut s, &[answer]).await;
        })
        .await;
        let err = clamd.scan_bytes(b"hello").await.unwrap_err();
        assert!(matches!(err, Error::Protocol { .. }), "{answer:?}: {err}");
        assert!(err.is_unavailable());
    }
    let clamd = fake(|mut s| async move {
        request(&mut s).await;
        let _ = s.write_all(&[b'A'; 10_000]).await;
    })
    .await;
    let err = clamd.scan_bytes(b"hello").await.unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
    let clamd = fake(|mut s| async move {
        request(&mut s).await;
        reply(&mut s, &[b"PANG\0"]).await;
    })
    .await;
    assert!(matches!(clamd.ping().await, Err(Error::Protocol { .. })));
}

#[tokio::test]
async fn a_silent_daemon_times_out_and_a_closed_one_is_an_error() {
    let clamd = fake(|mut s| async move {
        request(&mut s).await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(s);
    })
    .await;
    let started = Instant::now();
    let err = clamd.scan_bytes(b"hello").await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { what: "answer", .. }),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));

    let clamd = fake(|mut s| async move {
        request(&mut s).await;
    })
    .await;
    let err = clamd.scan_bytes(b"hello").await.unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert!(err.is_unavailable());
}

#[tokio::test]
async fn a_daemon_that_stops_reading_times_out_on_progress() {
    let clamd = fake(|s| async move {
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(s);
    })
    .await;
    let big = vec![0u8; 32 * 1024 * 1024];
    let err = clamd.scan_bytes(&big).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                what: "progress",
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn an_early_size_limit_answer_wins_over_the_broken_pipe() {
    let clamd = fake(|mut s| async move {
        let mut head = [0u8; 10 + 4 + 1024];
        s.read_exact(&mut head).await.unwrap();
        s.write_all(b"INSTREAM size limit exceeded. ERROR\0")
            .await
            .unwrap();
        drop(s);
    })
    .await;
    let big = vec![7u8; 8 * 1024 * 1024];
    let result = clamd.scan_bytes(&big).await.unwrap();
    assert_eq!(
        result,
        ScanResult::Unscannable {
            reason: "INSTREAM size limit exceeded".into()
        }
    );
}

#[tokio::test]
async fn a_refused_connection_is_unavailable_and_a_failing_file_is_not() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let clamd = client(&format!("tcp://127.0.0.1:{port}"));
    let err = clamd.ping().await.unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err}");
    assert!(err.is_unavailable());
    assert!(err.to_string().contains(&port.to_string()), "{err}");

    struct Broken;
    impl AsyncRead for Broken {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            _: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Err(std::io::Error::other("disk on fire")))
        }
    }
    let clamd = fake(|mut s| async move {
        let _ = s.read_to_end(&mut Vec::new()).await;
    })
    .await;
    let err = clamd.scan_reader(Broken).await.unwrap_err();
    assert!(matches!(err, Error::Source(_)), "{err}");
    assert!(!err.is_unavailable());
}

#[tokio::test]
async fn the_pool_bounds_scans_at_once() {
    let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (n, m) = (Arc::clone(&now), Arc::clone(&most));
    let mut clamd = fake(move |mut s| {
        let (now, most) = (Arc::clone(&n), Arc::clone(&m));
        async move {
            let at_once = now.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(at_once, Ordering::SeqCst);
            request(&mut s).await;
            tokio::time::sleep(Duration::from_millis(40)).await;
            now.fetch_sub(1, Ordering::SeqCst);
            reply(&mut s, &[b"stream: OK\0"]).await;
        }
    })
    .await;
    let mut config = clamd.inner.config.clone();
    config.pool_size = 2;
    clamd = Clamd::new(config);
    let scans: Vec<_> = (0..6)
        .map(|_| {
            let clamd = clamd.clone();
            tokio::spawn(async move { clamd.scan_bytes(b"x").await })
        })
        .collect();
    for scan in scans {
        assert_eq!(scan.await.unwrap().unwrap(), ScanResult::Clean);
    }
    assert_eq!(most.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_unix_socket_works_like_tcp() {
    let dir = std::env::temp_dir().join(format!("lw-av-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("clamd.sock");
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (command, data, _) = request(&mut s).await;
                let answer: &[u8] = match (command.as_str(), data.is_empty()) {
                    ("zPING", _) => b"PONG\0",
                    (_, true) => b"stream: OK\0",
                    _ => b"stream: Test.Sig FOUND\0",
                };
                reply(&mut s, &[answer]).await;
            });
        }
    });
    let clamd = client(&format!("unix://{}", path.display()));
    clamd.ping().await.unwrap();
    assert_eq!(clamd.scan_bytes(b"").await.unwrap(), ScanResult::Clean);
    assert_eq!(clamd.scan_bytes(b"x").await.unwrap().as_str(), "infected");
    let _ = std::fs::remove_dir_all(&dir);
}
