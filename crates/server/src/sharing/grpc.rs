//! The gRPC `EvaluateSharing` call: its messages to and from the JSON shapes of
//! `POST /v1/sharing/evaluate` (empty strings are absent values), and its status codes
//! (malformed input `INVALID_ARGUMENT`, an unknown share `NOT_FOUND`, the kind first in the
//! message).

use leakwall_core::ErrorCode;
use leakwall_policy::sharing::{
    AccessEntry, Change, ChangeKind, FolderRef, ShareRequest, SharingDecision, SharingError,
};

use super::SharingFailure;
use crate::grpc::proto::ocis::services::policies::v0::{
    EvaluateSharingRequest, EvaluateSharingResponse, SharingSideEffect,
};

fn present(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

/// The [`ShareRequest`] of a gRPC request.
pub fn request(message: EvaluateSharingRequest) -> Result<ShareRequest, SharingError> {
    let folder = message.folder.unwrap_or_default();
    let change = message.change.unwrap_or_default();
    let kind = match change.kind.as_str() {
        "create" => ChangeKind::Create,
        "update" => ChangeKind::Update,
        other => {
            return Err(SharingError::Malformed(format!(
                "change.kind must be create or update, not `{}`",
                other.chars().take(32).collect::<String>()
            )))
        }
    };
    let access = message
        .access
        .into_iter()
        .map(|e| AccessEntry {
            path: present(e.path),
            share_id: present(e.share_id),
            share_type: e.share_type,
            grantee: e.grantee,
            flags: e.flags,
        })
        .collect();
    Ok(ShareRequest {
        folder: FolderRef {
            path: folder.path,
            owner: present(folder.owner),
        },
        access,
        change: Change {
            kind,
            share_type: present(change.share_type),
            grantee: change.grantee,
            flags: change.flags,
            share_id: present(change.share_id),
        },
        actor: message.actor,
    })
}

/// The gRPC response of a decision.
pub fn response(decision: SharingDecision) -> EvaluateSharingResponse {
    EvaluateSharingResponse {
        decision: decision.decision.as_str().to_owned(),
        rule: decision.rule.unwrap_or_default(),
        message: decision.message,
        side_effects: decision
            .side_effects
            .into_iter()
            .map(|e| SharingSideEffect {
                action: "revoke".into(),
                flag: e.flag,
                grantee: e.grantee,
                share_id: e.share_id.unwrap_or_default(),
                path: e.path,
            })
            .collect(),
        external_users: decision.external_users,
    }
}

impl From<SharingFailure> for tonic::Status {
    fn from(failure: SharingFailure) -> tonic::Status {
        match failure {
            SharingFailure::Invalid(e) => {
                let message = format!("{}: {e}", e.kind());
                match e.code() {
                    ErrorCode::NotFound => tonic::Status::not_found(message),
                    ErrorCode::InvalidConfig => tonic::Status::failed_precondition(message),
                    _ => tonic::Status::invalid_argument(message),
                }
            }
            SharingFailure::Internal(message) => tonic::Status::internal(message),
        }
    }
}
