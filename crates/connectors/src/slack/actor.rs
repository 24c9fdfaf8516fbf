//! [`SlackConnector`]: one workspace's tokens and the client, carrying out decisions (spec §3.1).
//!
//! Block = delete the message (and its files) with the installing admin's user token, post
//! the public notice with the bot token in the same channel and thread, and show the private
//! notice to the author (`chat.postEphemeral`, which needs only `chat:write`). Without a user
//! token, or when Slack refuses the deletion, the notices are still posted and the outcome
//! says the leak stayed visible. Content already gone counts as removed, so a retried task
//! does not fail on its own earlier success.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use crate::action::{Action, Notice, Outcome};
use crate::connector::{BoxFuture, Connector};
use crate::error::ApiError;
use crate::job::{FileRef, Job, JobKind, ScanTarget};
use crate::secret::Token;
use crate::slack::client::SlackClient;

/// One workspace's tokens.
#[derive(Clone, Debug)]
pub struct SlackTokens {
    /// The bot token (`xoxb-`): reads files, posts notices.
    pub bot: Token,
    /// The installing admin's user token (`xoxp-`, user scopes `chat:write`, `files:write`):
    /// deletes other people's messages and files. `None` → block falls back to notices.
    pub user: Option<Token>,
}

/// Acts on one Slack workspace.
#[derive(Clone, Debug)]
pub struct SlackConnector {
    client: SlackClient,
    tokens: SlackTokens,
}

enum Removal {
    Removed,
    Kept(String),
}

impl SlackConnector {
    /// A connector for the workspace whose `tokens` these are.
    pub fn new(client: SlackClient, tokens: SlackTokens) -> Self {
        SlackConnector { client, tokens }
    }

    async fn fetch_file(&self, file: &FileRef, limit: u64) -> Result<Vec<u8>, ApiError> {
        if file.size.is_some_and(|size| size > limit) {
            return Err(ApiError::TooLarge { limit });
        }
        let url = match &file.url {
            Some(url) => url.clone(),
            None => {
                let info = self.client.files_info(&self.tokens.bot, &file.id).await?;
                if info.size.is_some_and(|size| size > limit) {
                    return Err(ApiError::TooLarge { limit });
                }
                info.url_private_download.ok_or_else(|| ApiError::Api {
                    method: "files.info".into(),
                    error: "no_download_url".into(),
                    needed: None,
                })?
            }
        };
        self.client.download(&self.tokens.bot, &url, limit).await
    }

    async fn act_on(&self, job: &Job, action: &Action) -> Outcome {
        let (JobKind::Scan(target), Action::Warn { notice } | Action::Block { notice }) =
            (&job.kind, action)
        else {
            return Outcome::Done {
                removed: false,
                notified: false,
            };
        };
        let outcome = if matches!(action, Action::Block { .. }) {
            self.block(target, notice).await
        } else {
            self.warn(target, notice).await
        };
        tracing::info!(team = %job.tenant, event = %job.event_id, ?outcome, "slack action");
        outcome
    }

    async fn warn(&self, target: &ScanTarget, notice: &Notice) -> Outcome {
        let location = &target.location;
        let thread = location.thread.as_deref().or(location.message.as_deref());
        match self.notify(target, notice, thread).await {
            Ok(()) => Outcome::Done {
                removed: false,
                notified: true,
            },
            Err(e) => from_error(&e),
        }
    }

    async fn block(&self, target: &ScanTarget, notice: &Notice) -> Outcome {
        let removal = match self.remove(target).await {
            Ok(removal) => removal,
            Err(e) => return from_error(&e),
        };
        let notified = self
            .notify(target, notice, target.location.thread.as_deref())
            .await;
        match (removal, notified) {
            (_, Err(e)) if !e.permanent() => from_error(&e),
            (Removal::Removed, Ok(())) => Outcome::Done {
                removed: true,
                notified: true,
            },
            (Removal::Removed, Err(_)) => Outcome::Done {
                removed: true,
                notified: false,
            },
            (Removal::Kept(reason), Ok(())) => Outcome::NotifiedOnly { reason },
            (Removal::Kept(reason), Err(e)) => Outcome::Failed {
                error: format!("not removed ({reason}); notice failed ({e})"),
            },
        }
    }

    /// Deletes the message and its files. `Err` only for errors worth retrying.
    async fn remove(&self, target: &ScanTarget) -> Result<Removal, ApiError> {
        let Some(user) = &self.tokens.user else {
            return Ok(Removal::Kept("no user token installed".into()));
        };
        if let Some(ts) = &target.location.message {
            let deleted = self
                .client
                .chat_delete(user, &target.location.conversation, ts)
                .await;
            if let Some(kept) = settle(deleted, &["message_not_found"])? {
                return Ok(kept);
            }
        }
        for file in &target.files {
            let deleted = self.client.files_delete(user, &file.id).await;
            if let Some(kept) = settle(deleted, &["file_not_found", "file_deleted"])? {
                return Ok(kept);
            }
        }
        Ok(Removal::Removed)
    }

    /// Posts the public notice (bot token) and shows the private one to the author. A failed
    /// private notice is logged, not returned: retrying would repeat the public one.
    async fn notify(
        &self,
        target: &ScanTarget,
        notice: &Notice,
        thread: Option<&str>,
    ) -> Result<(), ApiError> {
        let (bot, channel) = (&self.tokens.bot, target.location.conversation.as_str());
        self.client
            .post_message(bot, channel, &notice.public, thread)
            .await?;
        if let Some(user) = &target.author.user {
            let private = self
                .client
                .post_ephemeral(bot, channel, user, &notice.private, thread);
            if let Err(e) = private.await {
                tracing::warn!(error = %e, "private notice to the author failed");
            }
        }
        Ok(())
    }
}

/// `Ok(None)`: done or already gone; `Ok(Some(Kept))`: permanently refused; `Err`: retry.
fn settle(result: Result<(), ApiError>, gone: &[&str]) -> Result<Option<Removal>, ApiError> {
    match result {
        Ok(()) => Ok(None),
        Err(e) if e.api_error().is_some_and(|error| gone.contains(&error)) => Ok(None),
        Err(e) if e.permanent() => Ok(Some(Removal::Kept(e.to_string()))),
        Err(e) => Err(e),
    }
}

pub(crate) fn from_error(e: &ApiError) -> Outcome {
    match e.retry_after() {
        Some(delay) => Outcome::RateLimited {
            retry_after_secs: delay.as_secs().max(1),
        },
        None if e.permanent() => Outcome::Failed {
            error: e.to_string(),
        },
        None => Outcome::Retry {
            error: e.to_string(),
        },
    }
}

impl Connector for SlackConnector {
    fn fetch<'a>(
        &'a self,
        file: &'a FileRef,
        limit: u64,
    ) -> BoxFuture<'a, Result<Vec<u8>, ApiError>> {
        Box::pin(self.fetch_file(file, limit))
    }

    fn act<'a>(&'a self, job: &'a Job, action: &'a Action) -> BoxFuture<'a, Outcome> {
        Box::pin(self.act_on(job, action))
    }
}
