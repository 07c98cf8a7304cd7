//! What the client hands back: who we are connected as, field descriptions, and per-record
//! results.

use super::error::ApiError;

/// Where and as whom a session is connected. Carries no token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    pub instance_url: String,
    pub org_id: String,
    pub user_id: String,
    pub username: String,
    pub api_version: String,
    /// API requests used and allowed in the rolling 24 h, from `Sforce-Limit-Info`.
    pub api_usage: Option<(u64, u64)>,
}

/// The parts of a describe field element moveforce checks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeField {
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: String,
    #[serde(default)]
    pub length: usize,
    #[serde(default)]
    pub external_id: bool,
    #[serde(default)]
    pub unique: bool,
    #[serde(default)]
    pub createable: bool,
    #[serde(default)]
    pub updateable: bool,
    #[serde(default)]
    pub extra_type_info: Option<String>,
    #[serde(default)]
    pub html_formatted: bool,
}

/// Case as the describe call shows it to this user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct CaseDescribe {
    #[serde(default)]
    pub createable: bool,
    #[serde(default)]
    pub updateable: bool,
    #[serde(default)]
    pub deletable: bool,
    pub fields: Vec<DescribeField>,
}

/// The result of upserting one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpsertResult {
    Created { id: String },
    Updated { id: String },
    Failed { errors: Vec<ApiError> },
}

/// The result of deleting one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteResult {
    Deleted,
    /// Already in the Recycle Bin or purged: for undo this is done, not a failure.
    AlreadyGone {
        code: String,
    },
    Failed {
        errors: Vec<ApiError>,
    },
}

/// A page of query results, records kept as JSON objects.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    pub total_size: u64,
    pub records: Vec<serde_json::Map<String, serde_json::Value>>,
}
