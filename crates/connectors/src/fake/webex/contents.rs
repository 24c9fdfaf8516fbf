//! `/v1/contents/{id}`: the real-time DLP hold (HEAD/GET with `dlpUnchecked`) and the verdict
//! (`PUT ?result=approve|reject`), spec §5.3.

use std::time::{Duration, Instant};

use super::routes::Fail;
use super::routes::{auth, no_content, Answer, MESSAGES_READ, MESSAGES_WRITE, NOT_FOUND};
use super::server::{Incoming, Reply};
use super::state::{Content, State};
use crate::webex::Verdict;

/// HEAD/GET. With `dlpUnchecked` in `allow`: a touch (the first one recorded) and the file.
/// Without it: the file once approved or posted unscanned, 423 while held, 403 rejected.
pub(crate) fn read(state: &mut State, req: &Incoming, id: &str) -> Answer {
    let (content, timer, deadline) = content_of(state, req, MESSAGES_READ, id)?;
    let now = Instant::now();
    let unchecked = req.param("allow").split(',').any(|a| a == "dlpUnchecked");
    if unchecked {
        content.touches += 1;
        content.first_touch.get_or_insert(now);
    } else {
        let view = content.view(now, timer, deadline);
        match view.verdict {
            Some(Verdict::Reject) => return Err((403, "The file was rejected by DLP.")),
            None if !view.unscanned => {
                return Err((423, "The file is being inspected by DLP."));
            }
            _ => {}
        }
    }
    Ok(Reply {
        status: 200,
        headers: vec![
            ("content-type", content.content_type.clone()),
            ("content-length", content.bytes.len().to_string()),
            (
                "content-disposition",
                format!("attachment; filename=\"{}\"", content.name.replace('"', "")),
            ),
        ],
        body: content.bytes.clone(),
    })
}

/// PUT `?result=approve|reject`: settles the file once. The same verdict again is 204, the
/// other one 409; a file posted unscanned or past the decision deadline is 409.
pub(crate) fn settle(state: &mut State, req: &Incoming, id: &str) -> Answer {
    let verdict = match req.param("result") {
        "approve" => Verdict::Approve,
        "reject" => Verdict::Reject,
        _ => return Err((400, "result must be approve or reject.")),
    };
    let (content, timer, deadline) = content_of(state, req, MESSAGES_WRITE, id)?;
    let now = Instant::now();
    if let Some((settled, _)) = content.verdict {
        return if settled == verdict {
            Ok(no_content())
        } else {
            Err((
                409,
                "The file has already been settled with the other verdict.",
            ))
        };
    }
    let view = content.view(now, timer, deadline);
    if view.unscanned {
        return Err((409, "The file was already posted unscanned."));
    }
    if view.decision_missed {
        return Err((409, "The decision window for this file has closed."));
    }
    content.verdict = Some((verdict, now));
    Ok(no_content())
}

/// Content `id` of the token's org (404 for another org's, as for an unknown id), with the
/// unscanned timer and the decision deadline.
fn content_of<'a>(
    state: &'a mut State,
    req: &Incoming,
    scope: &str,
    id: &str,
) -> Result<(&'a mut Content, Duration, Duration), Fail> {
    let token = auth(state, req, scope)?;
    let (timer, deadline) = (state.unscanned_after, state.decision_deadline);
    let content = state
        .contents
        .get_mut(id)
        .filter(|c| c.org == token.org)
        .ok_or(NOT_FOUND)?;
    Ok((content, timer, deadline))
}
