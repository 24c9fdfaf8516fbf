//! Custom Rego builtins (spec §1.8): `ocis.mimetype.extensions`, `ocis.mimetype.detect`,
//! `ocis.resource.download` (through a host-supplied [`FetchFn`]) and `leakwall.scan`
//! (through a host-supplied [`ScanFn`]).
//!
//! A builtin that fails makes the evaluation fail (regorus' strict builtin errors stay on), so
//! a policy can never be allowed because a builtin broke.

pub(crate) mod mimes;
pub(crate) mod sniff;

use std::sync::Arc;

use anyhow::{anyhow, bail};
use base64::Engine as _;
use regorus::{Engine, Value};

use crate::Error;
use mimes::MimeTable;

/// Scans text for sensitive data; backs `leakwall.scan(text)`. It returns a JSON array of
/// findings `{"detector", "category", "confidence", "start", "end"}` and never the matched text.
pub type ScanFn = Arc<dyn Fn(&str) -> serde_json::Value + Send + Sync>;

/// Fetches a resource by URL; backs `ocis.resource.download(url)`. The host enforces its own
/// timeout and size cap (the engine's timer cannot interrupt a builtin) and returns an error
/// message on failure.
pub type FetchFn = Arc<dyn Fn(&str) -> Result<Vec<u8>, String> + Send + Sync>;

/// Names of the custom builtins, for documentation and errors.
pub const BUILTINS: [&str; 4] = [
    "ocis.mimetype.extensions",
    "ocis.mimetype.detect",
    "ocis.resource.download",
    "leakwall.scan",
];

/// What the builtins need from the host.
#[derive(Clone, Default)]
pub(crate) struct Hooks {
    pub(crate) mimes: Arc<MimeTable>,
    pub(crate) scan: Option<ScanFn>,
    pub(crate) fetch: Option<FetchFn>,
}

/// Registers every custom builtin on `engine`.
pub(crate) fn register(engine: &mut Engine, hooks: &Hooks) -> Result<(), Error> {
    let mimes = hooks.mimes.clone();
    add(engine, "ocis.mimetype.extensions", move |args| {
        let mime = string_arg(&args, "ocis.mimetype.extensions")?;
        let list = mimes.extensions(mime).into_iter().map(Value::from);
        Ok(Value::from(list.collect::<Vec<_>>()))
    })?;
    add(engine, "ocis.mimetype.detect", |args| {
        let bytes = bytes_arg(&args, "ocis.mimetype.detect")?;
        Ok(Value::from(sniff::detect(&bytes)))
    })?;
    let fetch = hooks.fetch.clone();
    add(engine, "ocis.resource.download", move |args| {
        crate::cache::mark_impure();
        let url = string_arg(&args, "ocis.resource.download")?;
        let Some(fetch) = &fetch else {
            bail!("ocis.resource.download: no downloader is configured");
        };
        let bytes = fetch(url).map_err(|e| anyhow!("ocis.resource.download: {e}"))?;
        Ok(Value::from(
            base64::engine::general_purpose::STANDARD.encode(bytes),
        ))
    })?;
    let scan = hooks.scan.clone();
    add(engine, "leakwall.scan", move |args| {
        crate::cache::mark_impure();
        let text = string_arg(&args, "leakwall.scan")?;
        let Some(scan) = &scan else {
            bail!("leakwall.scan: no scanner is configured");
        };
        Ok(Value::from(scan(text)))
    })
}

fn add(
    engine: &mut Engine,
    name: &str,
    f: impl FnMut(Vec<Value>) -> anyhow::Result<Value> + Clone + Send + Sync + 'static,
) -> Result<(), Error> {
    engine
        .add_extension(name.to_string(), 1, Box::new(f))
        .map_err(|e| Error::Compile {
            message: format!("registering builtin {name}: {e}"),
        })
}

fn string_arg<'a>(args: &'a [Value], name: &str) -> anyhow::Result<&'a str> {
    match args.first() {
        Some(Value::String(s)) => Ok(s),
        _ => bail!("{name}: the argument must be a string"),
    }
}

/// Bytes as Rego sees them: a base64 string (how oCIS passes Go's `[]byte`), or an array of
/// integers 0..=255.
fn bytes_arg(args: &[Value], name: &str) -> anyhow::Result<Vec<u8>> {
    match args.first() {
        Some(Value::String(s)) => base64::engine::general_purpose::STANDARD
            .decode(s.as_bytes())
            .map_err(|e| anyhow!("{name}: the argument is not base64: {e}")),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_u64()
                    .ok()
                    .and_then(|n| u8::try_from(n).ok())
                    .ok_or_else(|| anyhow!("{name}: array items must be integers 0..=255"))
            })
            .collect(),
        _ => bail!("{name}: the argument must be a base64 string or an array of bytes"),
    }
}
