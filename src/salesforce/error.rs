//! Salesforce's three error shapes as typed values that keep its code and message.

use std::fmt;

/// One entry of a REST error array (`errorCode`) or of a per-record result (`statusCode`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    pub fields: Vec<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if !self.fields.is_empty() {
            write!(f, " (fields: {})", self.fields.join(", "))?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum SfError {
    /// The token endpoint refused: `{"error", "error_description"}`.
    #[error("login refused ({status}): {error}: {description}")]
    Auth {
        status: u16,
        error: String,
        description: String,
    },
    /// A REST call answered non-2xx with Salesforce's error array.
    #[error("Salesforce answered {status}: {}", first_error(.errors))]
    Api { status: u16, errors: Vec<ApiError> },
    /// The request never got an answer (refused, reset, timed out, TLS).
    #[error("cannot reach {url}: {reason}")]
    Transport { url: String, reason: String },
    /// An answer that is not what Salesforce sends for this call.
    #[error("unexpected answer from {what}: {reason}")]
    Decode { what: String, reason: String },
    /// The API version is retired (HTTP 410).
    #[error("API version {version} is retired in this org; it offers {}", offered_versions(.offered))]
    RetiredVersion {
        version: String,
        offered: Vec<String>,
    },
    /// A setting that cannot work (bad URL, plain http to a remote host, …).
    #[error("{0}")]
    Config(String),
}

fn offered_versions(offered: &[String]) -> String {
    match (offered.first(), offered.last()) {
        (Some(first), Some(last)) if offered.len() > 1 => {
            format!("{first} to {last}; set one with --api-version or MOVEFORCE_API_VERSION")
        }
        (Some(only), _) => format!("only {only}"),
        _ => "no version list".to_owned(),
    }
}

fn first_error(errors: &[ApiError]) -> String {
    match errors.first() {
        Some(first) => first.to_string(),
        None => "no error details".to_owned(),
    }
}

impl SfError {
    /// The first Salesforce error code, if the error carries one.
    pub fn code(&self) -> Option<&str> {
        match self {
            SfError::Api { errors, .. } => errors.first().map(|e| e.code.as_str()),
            SfError::Auth { error, .. } => Some(error.as_str()),
            _ => None,
        }
    }

    pub fn is_session_expired(&self) -> bool {
        matches!(self, SfError::Api { status: 401, .. })
            || self.code() == Some("INVALID_SESSION_ID")
    }
}
