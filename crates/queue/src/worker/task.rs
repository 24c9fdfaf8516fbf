//! What a task function is given, what it answers, and the registry of task functions by name.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::{BoxFuture, Envelope};

/// Why a task failed, and whether running it again may help.
///
/// There is deliberately no `From<E: Error>`: a task says in words what failed, and chooses
/// between [`TaskError::retry`] and [`TaskError::fatal`]. The message is stored in the
/// dead-letter queue and logged, so it must not contain secrets or payload data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskError {
    message: String,
    retry: bool,
}

impl TaskError {
    /// A failure worth retrying (a timeout, a 5xx, a connection error): retried with backoff up
    /// to `max_attempts`, then dead-lettered with this message.
    pub fn retry(message: impl Into<String>) -> TaskError {
        TaskError {
            message: message.into(),
            retry: true,
        }
    }

    /// A failure that will not go away (bad arguments, a 4xx): dead-lettered at once.
    pub fn fatal(message: impl Into<String>) -> TaskError {
        TaskError {
            message: message.into(),
            retry: false,
        }
    }

    /// What failed.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether running the task again may help.
    pub fn is_retryable(&self) -> bool {
        self.retry
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TaskError {}

/// What a task function answers.
pub type TaskResult = Result<(), TaskError>;

/// What a task function is given.
#[derive(Debug, Clone)]
pub struct TaskContext {
    /// The parsed envelope (task name, args, kwargs, our optional fields).
    pub envelope: Envelope,
    /// The delivery number, 1 on the first run (the queue's `receive_count`).
    pub attempt: u32,
    /// The queue's id of the message (stable across deliveries).
    pub message_id: String,
}

/// A registered task function, boxed.
pub(crate) type TaskFn = Arc<dyn Fn(TaskContext) -> BoxFuture<'static, TaskResult> + Send + Sync>;

/// The task functions a worker can run, by name.
#[derive(Default, Clone)]
pub struct Registry {
    tasks: HashMap<String, TaskFn>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Registers `f` under `name` (replacing an earlier function of that name).
    pub fn register<F, Fut>(&mut self, name: &str, f: F) -> &mut Self
    where
        F: Fn(TaskContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        let boxed: TaskFn = Arc::new(move |ctx| Box::pin(f(ctx)));
        self.tasks.insert(name.to_string(), boxed);
        self
    }

    /// The registered names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.tasks.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    pub(crate) fn get(&self, name: &str) -> Option<&TaskFn> {
        self.tasks.get(name)
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("tasks", &self.names())
            .finish()
    }
}
