//! [`WebexConnector`]: one org's compliance officer token and the client, carrying out
//! decisions on held files (spec §5.3.6).
//!
//! `Allow` and `Warn` approve every file of the job, `Block` rejects every file. With
//! message deletion enabled, `Block` also deletes the message (its text cannot be rejected)
//! and tells the author privately. Every error becomes an [`Outcome`] as for Slack; nothing
//! sleeps or retries here, and repeating a verdict or a deletion is harmless.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use crate::action::{Action, Outcome};
use crate::connector::{BoxFuture, Connector};
use crate::error::ApiError;
use crate::job::{FileRef, Job, JobKind, ScanTarget};
use crate::secret::Token;
use crate::slack::actor::from_error;
use crate::webex::client::{Recipient, Verdict, WebexClient};

/// Acts on one Webex org.
#[derive(Clone, Debug)]
pub struct WebexConnector {
    client: WebexClient,
    token: Token,
    delete_messages: bool,
}

impl WebexConnector {
    /// A connector with the org's compliance officer access token; messages are not deleted.
    pub fn new(client: WebexClient, token: Token) -> Self {
        WebexConnector {
            client,
            token,
            delete_messages: false,
        }
    }

    /// The same connector deleting a blocked message (compliance `messages_write`).
    pub fn deleting_messages(mut self, delete: bool) -> Self {
        self.delete_messages = delete;
        self
    }

    async fn fetch_file(&self, file: &FileRef, limit: u64) -> Result<Vec<u8>, ApiError> {
        if file.size.is_some_and(|size| size > limit) {
            return Err(ApiError::TooLarge { limit });
        }
        let url = file.url.as_deref().ok_or(ApiError::DisallowedUrl)?;
        self.client.download(&self.token, url, limit).await
    }

    async fn act_on(&self, job: &Job, action: &Action) -> Outcome {
        let target = match &job.kind {
            JobKind::Scan(target) => target,
            JobKind::Close(_) => {
                return Outcome::Done {
                    removed: false,
                    notified: false,
                }
            }
        };
        match self.carry_out(target, action).await {
            Ok(outcome) => outcome,
            Err(e) => from_error(&e),
        }
    }

    async fn carry_out(&self, target: &ScanTarget, action: &Action) -> Result<Outcome, ApiError> {
        let verdict = match action {
            Action::Allow | Action::Warn { .. } => Verdict::Approve,
            Action::Block { .. } => Verdict::Reject,
        };
        for file in &target.files {
            let url = file.url.as_deref().ok_or(ApiError::DisallowedUrl)?;
            self.client.verdict(&self.token, url, verdict).await?;
        }
        let mut removed = verdict == Verdict::Reject && !target.files.is_empty();
        let notice = match action {
            Action::Allow => None,
            Action::Warn { notice } | Action::Block { notice } => Some(notice),
        };
        if let (Action::Block { .. }, true, Some(message)) = (
            action,
            self.delete_messages,
            target.location.message.as_deref(),
        ) {
            self.client.delete_message(&self.token, message).await?;
            removed = true;
        }
        let mut notified = false;
        if let (Some(notice), Some(person)) = (notice, target.author.user.as_deref()) {
            self.client
                .post_message(&self.token, Recipient::Person(person), &notice.private)
                .await?;
            notified = true;
        }
        Ok(Outcome::Done { removed, notified })
    }
}

impl Connector for WebexConnector {
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
