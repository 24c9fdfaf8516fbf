use std::time::Duration;

use leakwall_antivirus::testing::{
    docx, zip, ClamdDaemon, EICAR, EICAR_SIGNATURE, PATTERN_SIGNATURE, STREAM_MAX_BYTES,
    TEST_PATTERN,
};
use leakwall_antivirus::{Clamd, ClamdAddress, ClamdConfig, ScanResult};

fn client(url: &str) -> Clamd {
    let mut config = ClamdConfig::new(ClamdAddress::parse(url).expect("address"));
    config.connect_timeout = Duration::from_secs(2);
    config.read_timeout = Duration::from_secs(30);
    Clamd::new(config)
}

fn infected(signature: &str) -> ScanResult {
    ScanResult::Infected {
        signature: signature.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eicar_is_found_in_a_text_file_a_zip_and_a_docx() {
    let daemon = ClamdDaemon::start();
    let clamd = client(&daemon.tcp_url());
    clamd.ping().await.expect("PONG");
    let version = clamd.version().await.expect("version");
    assert!(version.starts_with("ClamAV "), "{version}");

    assert_eq!(
        clamd.scan_bytes(EICAR).await.expect("scan"),
        infected(EICAR_SIGNATURE)
    );
    let archive = zip(&[("readme.txt", b"nothing here"), ("tools/eicar.com", EICAR)]);
    assert_eq!(
        clamd.scan_bytes(&archive).await.expect("scan"),
        infected(EICAR_SIGNATURE)
    );
    let report = docx(&format!("Quarterly report. {TEST_PATTERN}. End."));
    assert_eq!(
        clamd.scan_bytes(&report).await.expect("scan"),
        infected(PATTERN_SIGNATURE)
    );
    let with_eicar = zip(&[
        ("word/document.xml", b"<w:document/>"),
        ("word/media/e.bin", EICAR),
    ]);
    assert_eq!(
        clamd.scan_bytes(&with_eicar).await.expect("scan"),
        infected(EICAR_SIGNATURE)
    );

    let clean = docx("Quarterly report, nothing to see.");
    assert_eq!(
        clamd.scan_bytes(&clean).await.expect("scan"),
        ScanResult::Clean
    );
    assert_eq!(
        clamd.scan_bytes(b"hello world").await.expect("scan"),
        ScanResult::Clean
    );
    let mut almost = EICAR.to_vec();
    almost.push(b'\n');
    assert_eq!(
        clamd.scan_bytes(&almost).await.expect("scan"),
        ScanResult::Clean,
        "the MD5 signature is of the exact string"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_streamed_from_a_reader_and_over_the_unix_socket() {
    let daemon = ClamdDaemon::start();
    let clamd = client(&daemon.unix_url());
    clamd.ping().await.expect("PONG over the Unix socket");
    let dir = std::env::temp_dir().join(format!("lw-av-reader-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("eicar.zip");
    std::fs::write(&path, zip(&[("eicar.com", EICAR)])).expect("write");
    let file = tokio::fs::File::open(&path).await.expect("open");
    assert_eq!(
        clamd.scan_reader(file).await.expect("scan"),
        infected(EICAR_SIGNATURE)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_stream_limit_is_unscannable_not_clean() {
    let daemon = ClamdDaemon::start();
    let clamd = client(&daemon.tcp_url());
    for size in [STREAM_MAX_BYTES + 1, 8 * STREAM_MAX_BYTES] {
        let big = vec![b'a'; size];
        let result = clamd.scan_bytes(&big).await.expect("an answer");
        assert!(
            matches!(&result, ScanResult::Unscannable { reason } if reason.contains("size limit")),
            "{size} bytes: {result:?}"
        );
        let result = clamd.scan_reader(&big[..]).await.expect("an answer");
        assert_eq!(result.as_str(), "unscannable", "{size} bytes from a reader");
    }
    let fits = vec![b'a'; STREAM_MAX_BYTES - 1024];
    assert_eq!(
        clamd.scan_bytes(&fits).await.expect("scan"),
        ScanResult::Clean
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_daemon_is_an_error_never_clean_and_recovery_follows() {
    let mut daemon = ClamdDaemon::start();
    let clamd = client(&daemon.tcp_url());
    assert_eq!(
        clamd.scan_bytes(EICAR).await.expect("scan"),
        infected(EICAR_SIGNATURE)
    );
    daemon.stop();
    for _ in 0..3 {
        let err = clamd.scan_bytes(b"hello").await.expect_err("clamd is down");
        assert!(err.is_unavailable(), "{err}");
        assert!(clamd.ping().await.is_err());
    }
    daemon.restart();
    clamd.ping().await.expect("back");
    assert_eq!(
        clamd.scan_bytes(EICAR).await.expect("scan"),
        infected(EICAR_SIGNATURE)
    );
    assert_eq!(
        clamd.scan_bytes(b"hello").await.expect("scan"),
        ScanResult::Clean
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_scans_at_once_share_the_pool() {
    let daemon = ClamdDaemon::start();
    let mut config = ClamdConfig::new(ClamdAddress::parse(&daemon.tcp_url()).expect("address"));
    config.pool_size = 2;
    let clamd = Clamd::new(config);
    let scans: Vec<_> = (0..16)
        .map(|i| {
            let clamd = clamd.clone();
            tokio::spawn(async move {
                let file = if i % 2 == 0 {
                    EICAR.to_vec()
                } else {
                    format!("file {i}").into_bytes()
                };
                (i, clamd.scan_bytes(&file).await)
            })
        })
        .collect();
    for scan in scans {
        let (i, result) = scan.await.expect("join");
        let expected = if i % 2 == 0 {
            infected(EICAR_SIGNATURE)
        } else {
            ScanResult::Clean
        };
        assert_eq!(result.expect("scan"), expected, "scan {i}");
    }
}
