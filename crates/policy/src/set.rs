//! [`PolicySet`]: policies and data compiled once, evaluated from many threads.

use std::collections::BTreeSet;
use std::num::NonZeroU32;
use std::path::Path;
use std::sync::Arc;

use regorus::unstable::{Rule, RuleHead};
use regorus::utils::limits::ExecutionTimerConfig;
use regorus::{Engine, LimitError, PolicyLengthConfig, Value};
use serde::Deserialize;

use crate::builtins::{self, mimes::MimeTable, FetchFn, Hooks, ScanFn};
use crate::cache::{self, DecisionCache};
use crate::verdict::{DenyReason, Verdict};
use crate::{source, Error, EvalError, Settings};

/// Work units (statements, expressions) between two reads of the clock by the execution timer.
const TIMER_CHECK_INTERVAL: NonZeroU32 = NonZeroU32::MIN.saturating_add(31);

/// Collects policy sources, data documents and builtin hooks, then compiles them with
/// [`PolicySetBuilder::build`].
#[derive(Clone)]
pub struct PolicySetBuilder {
    settings: Settings,
    modules: Vec<(String, String)>,
    data: Vec<(String, serde_json::Value)>,
    mimes: MimeTable,
    scan: Option<ScanFn>,
    fetch: Option<FetchFn>,
}

impl PolicySetBuilder {
    /// An empty builder.
    pub fn new(settings: Settings) -> Self {
        PolicySetBuilder {
            settings,
            modules: Vec::new(),
            data: Vec::new(),
            mimes: MimeTable::default(),
            scan: None,
            fetch: None,
        }
    }

    /// Adds a policy source named `name` (the name appears in compile errors).
    pub fn source(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.modules.push((name.into(), text.into()));
        self
    }

    /// Adds a policy file, or every `*.rego` file under a directory.
    pub fn path(mut self, path: impl AsRef<Path>) -> Result<Self, Error> {
        let limit = self.settings.max_policy_bytes().get();
        self.modules
            .extend(source::rego_sources(path.as_ref(), limit)?);
        Ok(self)
    }

    /// Adds a data document (an object merged into `data`).
    pub fn data(mut self, name: impl Into<String>, value: serde_json::Value) -> Self {
        self.data.push((name.into(), value));
        self
    }

    /// Adds a data document file: JSON, or YAML for `.yaml` / `.yml`.
    pub fn data_file(mut self, path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let value = source::data_document(path)?;
        self.data.push((path.display().to_string(), value));
        Ok(self)
    }

    /// Extends the MIME table of `ocis.mimetype.extensions` with Apache `mime.types` text.
    pub fn mime_types(mut self, text: &str) -> Self {
        self.mimes.extend_apache(text);
        self
    }

    /// Extends the MIME table from an Apache `mime.types` file.
    pub fn mime_types_file(self, path: impl AsRef<Path>) -> Result<Self, Error> {
        let text = source::read_capped(path.as_ref(), source::MAX_DATA_BYTES)?;
        Ok(self.mime_types(&text))
    }

    /// Backs `leakwall.scan(text)` with `scan`.
    pub fn scanner(mut self, scan: ScanFn) -> Self {
        self.scan = Some(scan);
        self
    }

    /// Backs `ocis.resource.download(url)` with `fetch`.
    pub fn fetcher(mut self, fetch: FetchFn) -> Self {
        self.fetch = Some(fetch);
        self
    }

    /// Parses and compiles everything. Errors name the source at fault.
    pub fn build(self) -> Result<PolicySet, Error> {
        let settings = self.settings;
        let limit = settings.max_policy_bytes();
        let mut engine = Engine::new();
        engine.set_rego_v0(settings.rego_v0());
        engine.set_policy_length_config(PolicyLengthConfig {
            max_file_bytes: limit,
            ..PolicyLengthConfig::default()
        });
        engine.set_execution_timer_config(ExecutionTimerConfig {
            limit: settings.timeout(),
            check_interval: TIMER_CHECK_INTERVAL,
        });
        let hooks = Hooks {
            mimes: Arc::new(self.mimes),
            scan: self.scan,
            fetch: self.fetch,
        };
        builtins::register(&mut engine, &hooks)?;
        for (name, text) in self.modules {
            if text.len() > limit.get() {
                let size = text.len() as u64;
                return Err(Error::PolicyTooLarge {
                    name,
                    size,
                    limit: limit.get(),
                });
            }
            engine.add_policy(name, text).map_err(|e| Error::Compile {
                message: format!("{e:#}"),
            })?;
        }
        for (name, value) in self.data {
            let value = Value::deserialize(&value).map_err(|e| Error::Data {
                name: name.clone(),
                message: e.to_string(),
            })?;
            engine.add_data(value).map_err(|e| Error::Data {
                name,
                message: format!("{e:#}"),
            })?;
        }
        // Evaluating a trivial query makes the engine analyse and schedule every module now, so
        // a policy that cannot run is a build error and clones start prepared.
        engine
            .eval_query("true".to_string(), false)
            .map_err(|e| Error::Compile {
                message: format!("{e:#}"),
            })?;
        let (rules, tests) = rule_paths(&mut engine);
        Ok(PolicySet {
            engine,
            cache: Arc::new(DecisionCache::new(settings.decision_cache())),
            settings,
            rules,
            tests,
        })
    }
}

/// Compiled policies and data. Cheap to share (`Arc<PolicySet>`); every evaluation works on a
/// clone of the prepared engine, so evaluations through `&self` run in parallel.
#[derive(Debug, Clone)]
pub struct PolicySet {
    engine: Engine,
    settings: Settings,
    cache: Arc<DecisionCache>,
    /// `data.<package>.<rule>` of every complete or set rule (not functions).
    rules: BTreeSet<String>,
    /// (package, rule) of every `test_*` rule.
    tests: BTreeSet<(String, String)>,
}

impl PolicySet {
    /// The settings the set was built with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The rule paths the set defines (`data.<package>.<rule>`), functions excepted.
    pub fn rules(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(String::as_str)
    }

    /// The `test_*` rules, as (package, rule).
    pub(crate) fn tests(&self) -> &BTreeSet<(String, String)> {
        &self.tests
    }

    /// Evaluates `query` (`data.<package>[.<rule>…]`) on `input`. `Ok(None)` when the result
    /// is undefined (a rule whose body failed, a rule or package that does not exist).
    pub fn eval(
        &self,
        query: &str,
        input: &serde_json::Value,
    ) -> Result<Option<serde_json::Value>, EvalError> {
        match self.eval_value(query, input)? {
            Value::Undefined => Ok(None),
            value => serde_json::to_value(&value)
                .map(Some)
                .map_err(|e| EvalError::Engine {
                    message: e.to_string(),
                }),
        }
    }

    /// Default deny: allows only when `query` evaluates to exactly the boolean `true`.
    pub fn evaluate_bool(&self, query: &str, input: &serde_json::Value) -> Verdict {
        match self.eval_value(query, input) {
            Ok(Value::Bool(true)) => Verdict::Allow,
            Ok(Value::Bool(false)) => Verdict::Deny(DenyReason::False),
            Ok(Value::Undefined) => Verdict::Deny(DenyReason::Undefined),
            Ok(other) => Verdict::Deny(DenyReason::NotBoolean {
                found: kind(&other),
            }),
            Err(e) => Verdict::Deny(e.into()),
        }
    }

    pub(crate) fn eval_value(
        &self,
        query: &str,
        input: &serde_json::Value,
    ) -> Result<Value, EvalError> {
        check_query(query)?;
        let key = self.cache.key(input);
        if let Some(value) = key.as_ref().and_then(|k| self.cache.get(query, k)) {
            return Ok(value);
        }
        let input = Value::deserialize(input).map_err(|e| EvalError::Engine {
            message: format!("input: {e}"),
        })?;
        let mut engine = self.engine.clone();
        engine.set_input(input);
        cache::take_impure();
        let result = if self.rules.contains(query) {
            engine.eval_rule(query.to_string())
        } else {
            engine
                .eval_query(query.to_string(), false)
                .and_then(single_value)
        };
        let impure = cache::take_impure();
        let value = result.map_err(|e| self.classify(e))?;
        if let (Some(key), false) = (key, impure) {
            self.cache.put(query, key, value.clone());
        }
        Ok(value)
    }

    /// The remembered value of `query` on `input`, without evaluating (`None` when it is not
    /// remembered): cheap enough to call on an async reactor before handing the evaluation
    /// to a blocking thread.
    pub fn cached(
        &self,
        query: &str,
        input: &serde_json::Value,
    ) -> Option<Result<Option<serde_json::Value>, EvalError>> {
        let key = self.cache.key(input)?;
        let value = self.cache.get(query, &key)?;
        Some(match value {
            Value::Undefined => Ok(None),
            value => serde_json::to_value(&value)
                .map(Some)
                .map_err(|e| EvalError::Engine {
                    message: e.to_string(),
                }),
        })
    }

    /// How many decisions the set remembers now.
    pub fn cached_decisions(&self) -> usize {
        self.cache.len()
    }

    /// Evaluates one rule of a package (for the test runner).
    pub(crate) fn eval_rule(&self, path: &str) -> Result<Value, EvalError> {
        let mut engine = self.engine.clone();
        engine
            .eval_rule(path.to_string())
            .map_err(|e| self.classify(e))
    }

    fn classify(&self, e: anyhow::Error) -> EvalError {
        let timed_out = e.chain().any(|cause| {
            matches!(
                cause.downcast_ref(),
                Some(LimitError::TimeLimitExceeded { .. })
            )
        }) || format!("{e:#}").contains("exceeded time limit");
        if timed_out {
            EvalError::Timeout {
                limit: self.settings.timeout(),
            }
        } else {
            EvalError::Engine {
                message: format!("{e:#}"),
            }
        }
    }
}

/// The value of a one-expression query: undefined when it has no result.
fn single_value(results: regorus::QueryResults) -> anyhow::Result<Value> {
    let mut results = results.result.into_iter();
    let Some(first) = results.next() else {
        return Ok(Value::Undefined);
    };
    if results.next().is_some() || first.expressions.len() != 1 {
        anyhow::bail!("query produced more than one value");
    }
    Ok(first
        .expressions
        .into_iter()
        .next()
        .map_or(Value::Undefined, |e| e.value))
}

/// Accepts `data`, `data.a.b` and `data.a["b"]`; refuses anything else (expressions,
/// assignments, several statements).
fn check_query(query: &str) -> Result<(), EvalError> {
    let invalid = || EvalError::InvalidQuery {
        query: query.to_string(),
    };
    let mut rest = query.strip_prefix("data").ok_or_else(invalid)?;
    while !rest.is_empty() {
        if let Some(tail) = rest.strip_prefix('.') {
            let len = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            let ident = tail.get(..len).unwrap_or_default();
            if ident.is_empty() || ident.starts_with(|c: char| c.is_ascii_digit()) {
                return Err(invalid());
            }
            rest = tail.get(len..).unwrap_or_default();
        } else if let Some(tail) = rest.strip_prefix("[\"") {
            let end = tail.find("\"]").ok_or_else(invalid)?;
            if tail.get(..end).is_some_and(|key| key.contains(['"', '\\'])) {
                return Err(invalid());
            }
            rest = tail.get(end + 2..).unwrap_or_default();
        } else {
            return Err(invalid());
        }
    }
    Ok(())
}

/// Every rule path of the loaded modules, and the `test_*` rules among them.
fn rule_paths(engine: &mut Engine) -> (BTreeSet<String>, BTreeSet<(String, String)>) {
    let mut rules = BTreeSet::new();
    let mut tests = BTreeSet::new();
    for module in engine.get_modules() {
        let package = module.package.refr.span().text().to_string();
        for rule in &module.policy {
            let name = match &**rule {
                Rule::Spec {
                    head: RuleHead::Compr { refr, .. },
                    ..
                }
                | Rule::Spec {
                    head: RuleHead::Set { refr, .. },
                    ..
                } => refr.span().text(),
                Rule::Default { refr, args, .. } if args.is_empty() => refr.span().text(),
                _ => continue,
            };
            rules.insert(format!("data.{package}.{name}"));
            if name.starts_with("test_") && !name.contains(['.', '[']) {
                tests.insert((package.clone(), name.to_string()));
            }
        }
    }
    (rules, tests)
}

/// The Rego type name of a value, for "not a boolean" reasons.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Set(_) => "set",
        Value::Object(_) => "object",
        Value::Undefined => "undefined",
    }
}

#[cfg(test)]
mod tests {
    use super::check_query;

    #[test]
    fn queries_are_data_references() {
        for ok in [
            "data",
            "data.proxy.granted",
            "data.a_1.b",
            r#"data.graph["1.0.0"].deny"#,
        ] {
            assert!(check_query(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "input",
            "data.",
            "data.x = 1",
            "data.x; true",
            "data.1x",
            "data[x]",
        ] {
            assert!(check_query(bad).is_err(), "{bad}");
        }
    }
}
