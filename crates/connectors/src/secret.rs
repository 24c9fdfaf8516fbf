//! Values that must never reach a log: access tokens and message text.
//!
//! Both wrap a `String` whose `Debug` prints only its length, so a `{:?}` of a job, an error
//! or a configuration cannot leak them. Reading the value takes an explicit call.

use serde::{Deserialize, Serialize};

/// An access token (Slack `xoxb-`/`xoxp-`, a client secret, a signing secret).
///
/// Deserializable (it arrives in OAuth answers) but not serializable: code that stores one
/// calls [`Token::expose`] on purpose (and encrypts it).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Token(String);

impl Token {
    /// Wraps a token.
    pub fn new(value: impl Into<String>) -> Self {
        Token(value.into())
    }

    /// The token itself, for an `Authorization` header or encrypted storage.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token(‹{} bytes›)", self.0.len())
    }
}

/// Message text on its way to the scanner. Serializable (jobs travel on the queue) but its
/// `Debug` shows only the length.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageText(String);

impl MessageText {
    /// Wraps text.
    pub fn new(value: impl Into<String>) -> Self {
        MessageText(value.into())
    }

    /// The text, for the scanner.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for MessageText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MessageText(‹{} bytes›)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        let t = Token::new("xoxb-secret");
        let m = MessageText::new("card 4111111111111111");
        assert!(!format!("{t:?}").contains("secret"));
        assert!(!format!("{m:?}").contains("4111"));
        assert_eq!(m.as_str(), "card 4111111111111111");
    }
}
