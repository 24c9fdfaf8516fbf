//! The antivirus in the scanner chain: `antivirus:` settings, the ClamAV daemon client of
//! `leakwall-antivirus` built from them, and what its answers become.
//!
//! An answer becomes findings like any detector's, of category `malware`: a signature found is
//! a finding whose detector is the signature name (the file's path as its origin; clamd unpacks
//! archives itself and does not say which member matched, so `member` is set only when the
//! caller scanned a member it unpacked); a file clamd could not scan (over its
//! `StreamMaxLength`, a daemon error) is an `unscannable` finding of category `malware`. The
//! default policy blocks both, and Rego policies see them in `input.findings`.
//!
//! When clamd is down or too slow, the connector's fail mode decides: `closed` (the default
//! for every connector) makes the task wait (retried with the queue's backoff) and, on its last
//! attempt, records the file as unscannable, so it is rejected with the reason; `open` lets the
//! file through without an antivirus verdict, logged and counted in
//! `leakwall_antivirus_failed_open_total`. Nothing passes as clean silently.
//!
//! [`scan`] is the antivirus alone (the post-processing step `virusscan`); [`chain::scan_file`]
//! is the whole chain for one file of a connector, DLP then antivirus.

pub mod chain;
mod scan;

use std::time::Duration;

use anyhow::bail;
use leakwall_antivirus::{Clamd, ClamdAddress, ClamdConfig};
use serde::Deserialize;

pub use scan::{scan, Body, Retry};

/// What to do with a file when clamd cannot answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailMode {
    /// Wait (retry with backoff), then reject as unscannable on the last attempt.
    Closed,
    /// Let the file through without an antivirus verdict (logged and counted).
    Open,
}

/// Which flow a file comes from (for its fail mode and metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connector {
    /// The post-processing step `virusscan`.
    Postprocessing,
    /// Files shared in Slack.
    Slack,
    /// Files shared in Webex.
    Webex,
}

impl Connector {
    /// The name used in settings and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Connector::Postprocessing => "postprocessing",
            Connector::Slack => "slack",
            Connector::Webex => "webex",
        }
    }
}

/// `antivirus.fail_mode:` per connector.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FailModes {
    /// The post-processing step (default `closed`: the upload waits, then is deleted).
    pub postprocessing: FailMode,
    /// Slack files (default `closed`: the task waits, then the file is treated as unscannable
    /// and blocked, as a file that cannot be downloaded is).
    pub slack: FailMode,
    /// Webex files (default `closed`: the file stays held, then is rejected).
    pub webex: FailMode,
}

impl Default for FailModes {
    fn default() -> Self {
        FailModes {
            postprocessing: FailMode::Closed,
            slack: FailMode::Closed,
            webex: FailMode::Closed,
        }
    }
}

impl FailModes {
    /// The fail mode of `connector`.
    pub fn of(&self, connector: Connector) -> FailMode {
        match connector {
            Connector::Postprocessing => self.postprocessing,
            Connector::Slack => self.slack,
            Connector::Webex => self.webex,
        }
    }
}

/// `antivirus:` settings; without `clamd` there is no antivirus.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AntivirusConfig {
    /// `tcp://host:port` or `unix:///path` (`LEAKWALL_ANTIVIRUS_CLAMD`); empty = off.
    pub clamd: String,
    /// Milliseconds to connect.
    pub connect_timeout_ms: u64,
    /// Milliseconds clamd may take to take each chunk and to answer after the last one.
    pub read_timeout_ms: u64,
    /// Scans at once per process (one connection each).
    pub pool_size: usize,
    /// What to do with a file when clamd cannot answer, per connector.
    pub fail_mode: FailModes,
}

impl Default for AntivirusConfig {
    fn default() -> Self {
        AntivirusConfig {
            clamd: String::new(),
            connect_timeout_ms: 2_000,
            read_timeout_ms: 60_000,
            pool_size: 4,
            fail_mode: FailModes::default(),
        }
    }
}

impl AntivirusConfig {
    /// Applies `LEAKWALL_ANTIVIRUS_CLAMD`.
    pub fn with_env(mut self, env: &impl Fn(&str) -> Option<String>) -> Self {
        if let Some(clamd) = env("LEAKWALL_ANTIVIRUS_CLAMD") {
            self.clamd = clamd;
        }
        self
    }

    /// The runtime antivirus, or `None` when `clamd` is empty; a bad setting names its key.
    pub fn validate(&self) -> anyhow::Result<Option<Antivirus>> {
        if self.clamd.is_empty() {
            return Ok(None);
        }
        let address = ClamdAddress::parse(&self.clamd).map_err(|e| anyhow::anyhow!("{e}"))?;
        if self.connect_timeout_ms == 0 || self.read_timeout_ms == 0 {
            bail!("antivirus.connect_timeout_ms and antivirus.read_timeout_ms must be positive");
        }
        if self.pool_size == 0 || self.pool_size > 256 {
            bail!("antivirus.pool_size: must be between 1 and 256");
        }
        let mut config = ClamdConfig::new(address);
        config.connect_timeout = Duration::from_millis(self.connect_timeout_ms);
        config.read_timeout = Duration::from_millis(self.read_timeout_ms);
        config.pool_size = self.pool_size;
        Ok(Some(Antivirus {
            clamd: Clamd::new(config),
            fail_mode: self.fail_mode.clone(),
        }))
    }
}

/// The configured antivirus: the clamd client (shared pool) and the fail modes.
#[derive(Debug, Clone)]
pub struct Antivirus {
    /// The client.
    pub clamd: Clamd,
    /// Fail modes per connector.
    pub fail_mode: FailModes,
}

impl Antivirus {
    /// Pings clamd and asks its version, for `/readyz`; sets `leakwall_antivirus_up`.
    pub async fn health(&self) -> Result<String, String> {
        let answer = self.clamd.version().await.map_err(|e| e.to_string());
        let clamd = self.clamd.address().to_string();
        metrics::gauge!("leakwall_antivirus_up", "clamd" => clamd).set(if answer.is_ok() {
            1.0
        } else {
            0.0
        });
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> anyhow::Result<Option<Antivirus>> {
        serde_yaml::from_str::<AntivirusConfig>(yaml)?.validate()
    }

    #[test]
    fn off_without_clamd_and_closed_by_default() {
        assert!(parse("{}").unwrap().is_none());
        let av = parse("clamd: tcp://127.0.0.1:3310").unwrap().unwrap();
        for c in [
            Connector::Postprocessing,
            Connector::Slack,
            Connector::Webex,
        ] {
            assert_eq!(av.fail_mode.of(c), FailMode::Closed, "{c:?}");
        }
        let av = parse("{clamd: 'unix:///run/c.ctl', fail_mode: {slack: open}}")
            .unwrap()
            .unwrap();
        assert_eq!(av.fail_mode.of(Connector::Slack), FailMode::Open);
        assert_eq!(av.fail_mode.of(Connector::Webex), FailMode::Closed);
    }

    #[test]
    fn bad_settings_name_their_key() {
        for yaml in [
            "clamd: 127.0.0.1:3310",
            "{clamd: 'tcp://h:1', pool_size: 0}",
            "{clamd: 'tcp://h:1', read_timeout_ms: 0}",
        ] {
            let err = parse(yaml).unwrap_err().to_string();
            assert!(err.contains("antivirus."), "{yaml}: {err}");
        }
        assert!(parse("{clamd: 'tcp://h:1', fail_mode: {slack: maybe}}").is_err());
    }
}
