//! Reading policy sources and data documents from files, under size limits.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::Error;

/// Maximum size of one data document.
pub const MAX_DATA_BYTES: usize = 32 * 1024 * 1024;

/// The `*.rego` files at `path` (the file itself, or a directory walked recursively), each as
/// (name, text), in name order.
pub(crate) fn rego_sources(path: &Path, limit: usize) -> Result<Vec<(String, String)>, Error> {
    let meta = metadata(path)?;
    if !meta.is_dir() {
        return Ok(vec![(display(path), read_capped(path, limit)?)]);
    }
    let mut files = Vec::new();
    walk(path, &mut files)?;
    files.sort();
    files
        .iter()
        .map(|file| Ok((display(file), read_capped(file, limit)?)))
        .collect()
}

/// A data document read from `path`: JSON, or YAML for `.yaml` / `.yml`.
pub(crate) fn data_document(path: &Path) -> Result<serde_json::Value, Error> {
    metadata(path)?;
    let text = read_capped(path, MAX_DATA_BYTES).map_err(|e| match e {
        Error::PolicyTooLarge { name, .. } => Error::Data {
            name,
            message: format!("larger than {MAX_DATA_BYTES} bytes"),
        },
        other => other,
    })?;
    parse_data(&display(path), &text)
}

/// Parses a data document; YAML when the name ends in `.yaml` or `.yml`, else JSON. The root
/// must be an object (it is merged into `data`).
pub(crate) fn parse_data(name: &str, text: &str) -> Result<serde_json::Value, Error> {
    let bad = |message: String| Error::Data {
        name: name.to_string(),
        message,
    };
    let value: serde_json::Value = if name.ends_with(".yaml") || name.ends_with(".yml") {
        serde_yaml::from_str(text).map_err(|e| bad(e.to_string()))?
    } else {
        serde_json::from_str(text).map_err(|e| bad(e.to_string()))?
    };
    if !value.is_object() {
        return Err(bad("the document must be an object".into()));
    }
    Ok(value)
}

/// Reads a UTF-8 file of at most `limit` bytes.
pub(crate) fn read_capped(path: &Path, limit: usize) -> Result<String, Error> {
    let unreadable = |e: std::io::Error| Error::Unreadable {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let file = fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::MissingPolicy {
            path: path.to_path_buf(),
        },
        _ => unreadable(e),
    })?;
    let mut bytes = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    file.take(cap).read_to_end(&mut bytes).map_err(unreadable)?;
    if bytes.len() > limit {
        let size = fs::metadata(path).map_or(bytes.len() as u64, |m| m.len());
        return Err(Error::PolicyTooLarge {
            name: display(path),
            size,
            limit,
        });
    }
    String::from_utf8(bytes).map_err(|_| Error::Unreadable {
        path: path.to_path_buf(),
        message: "not UTF-8 text".into(),
    })
}

fn metadata(path: &Path) -> Result<fs::Metadata, Error> {
    fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::MissingPolicy {
            path: path.to_path_buf(),
        },
        _ => Error::Unreadable {
            path: path.to_path_buf(),
            message: e.to_string(),
        },
    })
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let unreadable = |e: std::io::Error| Error::Unreadable {
        path: dir.to_path_buf(),
        message: e.to_string(),
    };
    for entry in fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let kind = entry.file_type().map_err(unreadable)?;
        let path = entry.path();
        if kind.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "rego") {
            out.push(path);
        }
    }
    Ok(())
}

fn display(path: &Path) -> String {
    path.display().to_string()
}
