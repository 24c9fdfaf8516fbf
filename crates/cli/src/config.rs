//! The YAML configuration file of `leakwall scan`, validated once into typed settings.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use leakwall_detect::CustomDetectorConfig;
use leakwall_extract::Limits;
use serde::Deserialize;

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Findings below this confidence are dropped (overrides `--min-confidence`).
    #[serde(default)]
    pub min_confidence: Option<f32>,
    /// Custom detectors.
    #[serde(default)]
    pub detectors: Vec<CustomDetectorConfig>,
    /// Extraction limits.
    #[serde(default)]
    pub limits: LimitsConfig,
}

/// Extraction limits; unset fields keep their defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest input file (MiB) that is extracted rather than streamed.
    pub max_input_mib: Option<u64>,
    /// Most bytes (MiB) decompression may produce for one file.
    pub max_expanded_mib: Option<u64>,
    /// Deepest nesting of archives and attachments.
    pub max_depth: Option<u32>,
    /// Most entries in one archive.
    pub max_entries: Option<u32>,
    /// Highest compression ratio of one member.
    pub max_ratio: Option<u64>,
    /// Most seconds spent extracting one file.
    pub max_seconds: Option<u64>,
}

impl ConfigFile {
    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<ConfigFile> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        let config: ConfigFile = serde_yaml::from_str(&text)
            .with_context(|| format!("invalid config {}", path.display()))?;
        Ok(config)
    }

    /// The extraction limits, checked for sanity.
    pub fn limits(&self) -> Result<Limits> {
        let mut limits = Limits::default();
        let l = &self.limits;
        let mib = |v: u64| v.saturating_mul(1024 * 1024);
        if let Some(v) = l.max_input_mib {
            limits.max_input_bytes = mib(v);
        }
        if let Some(v) = l.max_expanded_mib {
            limits.max_expanded_bytes = mib(v);
        }
        if let Some(v) = l.max_depth {
            limits.max_depth = v;
        }
        if let Some(v) = l.max_entries {
            limits.max_entries = v;
        }
        if let Some(v) = l.max_ratio {
            limits.max_ratio = v;
        }
        if let Some(v) = l.max_seconds {
            limits.max_time = Duration::from_secs(v);
        }
        if limits.max_input_bytes == 0 || limits.max_expanded_bytes == 0 || limits.max_ratio == 0 {
            bail!("limits: max_input_mib, max_expanded_mib and max_ratio must be positive");
        }
        Ok(limits)
    }
}
