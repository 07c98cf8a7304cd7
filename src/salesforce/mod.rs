//! The Salesforce REST client: OAuth login (username-password and client-credentials),
//! Case describe, sObject Collections upsert and delete, and SOQL with paging. Errors are
//! typed values that keep Salesforce's code and message. No terminal code here.

pub mod advice;
mod client;
mod error;
pub mod fields;
pub mod setup;
pub mod soql;
mod types;

pub use client::{MAX_BATCH, RetryPolicy, SalesforceClient, is_loopback_url, is_transient};
pub use error::{ApiError, SfError};
pub use fields::{FieldCheck, FieldStatus, check_fields};
pub use types::{
    CaseDescribe, ConnectionInfo, DeleteResult, DescribeField, QueryResult, UpsertResult,
};
