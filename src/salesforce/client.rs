use std::sync::Mutex;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::RwLock;

use super::error::{ApiError, SfError};
use super::types::{ConnectionInfo, DeleteResult, DescribeField, QueryResult, UpsertResult};
use crate::config::{ConnectionSettings, Flow};
use crate::plan::CaseDraft;
use crate::secret::Secret;
use crate::spec::EXTERNAL_ID;

/// sObject Collections carry at most this many records per request.
pub const MAX_BATCH: usize = 200;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// A logged-in session. The token never leaves this module except in the header it goes in.
#[derive(Clone)]
struct Session {
    token: Secret,
    instance_url: String,
    /// Identity URL from the token answer: `.../id/<org>/<user>`.
    identity_url: String,
    /// Bumped on every login, so concurrent 401s trigger one re-login, not several.
    generation: u64,
}

pub struct SalesforceClient {
    http: reqwest::Client,
    settings: ConnectionSettings,
    session: RwLock<Option<Session>>,
    api_usage: Mutex<Option<(u64, u64)>>,
    identity: Mutex<Option<ConnectionInfo>>,
}

/// True for `http(s)://127.x.x.x`, `localhost` and `[::1]` URLs.
pub fn is_loopback_url(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Secrets travel only over TLS, except to this machine (the sandbox).
fn check_url(what: &str, text: &str) -> Result<url::Url, SfError> {
    let url = url::Url::parse(text.trim())
        .map_err(|e| SfError::Config(format!("{what} \"{text}\" is not a URL: {e}")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback_url(&url) => Ok(url),
        "http" => Err(SfError::Config(format!(
            "{what} {text} uses plain http; Salesforce needs https (plain http is allowed only to this machine)"
        ))),
        other => Err(SfError::Config(format!(
            "{what} {text} has scheme `{other}`; expected https"
        ))),
    }
}

/// Reads `api-usage=used/max` from `Sforce-Limit-Info`.
fn parse_limit_info(value: &str) -> Option<(u64, u64)> {
    let rest = value.split("api-usage=").nth(1)?;
    let usage: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '/')
        .collect();
    let (used, max) = usage.split_once('/')?;
    Some((used.parse().ok()?, max.parse().ok()?))
}

fn decode(what: &str, reason: impl std::fmt::Display) -> SfError {
    SfError::Decode {
        what: what.to_owned(),
        reason: reason.to_string(),
    }
}

/// Salesforce's REST error array; tolerant of a lone object or a non-JSON body.
fn parse_api_errors(body: &[u8]) -> Vec<ApiError> {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let text: String = text.chars().take(300).collect();
            return vec![ApiError {
                code: "UNKNOWN".to_owned(),
                message: if text.trim().is_empty() {
                    "(empty body)".to_owned()
                } else {
                    text
                },
                fields: Vec::new(),
            }];
        }
    };
    let items = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    items.iter().map(error_entry).collect()
}

/// One error entry: `errorCode` in REST errors, `statusCode` in per-record results.
fn error_entry(value: &Value) -> ApiError {
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
    ApiError {
        code: text("errorCode")
            .or_else(|| text("statusCode"))
            .or_else(|| text("error"))
            .unwrap_or_else(|| "UNKNOWN".to_owned()),
        message: text("message")
            .or_else(|| text("error_description"))
            .unwrap_or_default(),
        fields: value
            .get("fields")
            .and_then(Value::as_array)
            .map(|f| {
                f.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn record_errors(entry: &Value) -> Vec<ApiError> {
    entry
        .get("errors")
        .and_then(Value::as_array)
        .map(|errors| errors.iter().map(error_entry).collect())
        .unwrap_or_default()
}

/// The JSON record sent for one Case. `None` values are sent as null so that a re-push
/// clears what the plan no longer holds.
pub fn case_record(draft: &CaseDraft) -> Value {
    let mut record = serde_json::Map::new();
    record.insert("attributes".to_owned(), json!({"type": "Case"}));
    for (name, value) in draft.fields() {
        record.insert(
            name.to_owned(),
            value.map_or(Value::Null, |v| Value::String(v.to_owned())),
        );
    }
    Value::Object(record)
}

impl SalesforceClient {
    pub fn new(settings: ConnectionSettings) -> Result<SalesforceClient, SfError> {
        check_url("the login URL", &settings.login_url)?;
        let missing = settings.missing();
        if !missing.is_empty() {
            return Err(SfError::Config(format!(
                "the connection settings lack: {}",
                missing.join(", ")
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("moveforce/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SfError::Config(format!("cannot set up HTTP: {e}")))?;
        Ok(SalesforceClient {
            http,
            settings,
            session: RwLock::new(None),
            api_usage: Mutex::new(None),
            identity: Mutex::new(None),
        })
    }

    pub fn settings(&self) -> &ConnectionSettings {
        &self.settings
    }

    fn api_version(&self) -> &str {
        self.settings.api_version()
    }

    /// API requests used and allowed, as last reported by Salesforce.
    pub fn api_usage(&self) -> Option<(u64, u64)> {
        *self.api_usage.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Who we are connected as, once [`login`](Self::login) has succeeded.
    pub fn connection(&self) -> Option<ConnectionInfo> {
        let mut info = self
            .identity
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()?;
        info.api_usage = self.api_usage();
        Some(info)
    }

    /// Asks the token endpoint for a session.
    async fn request_token(&self, generation: u64) -> Result<Session, SfError> {
        let login = check_url("the login URL", &self.settings.login_url)?;
        let url = login
            .join("/services/oauth2/token")
            .map_err(|e| SfError::Config(format!("bad login URL: {e}")))?;
        let s = &self.settings;
        let password;
        let form: Vec<(&str, &str)> = match s.flow {
            Flow::Password => {
                // The security token, when the org needs one, is appended to the password.
                password = format!("{}{}", s.password.expose(), s.security_token.expose());
                vec![
                    ("grant_type", "password"),
                    ("client_id", s.client_id.as_str()),
                    ("client_secret", s.client_secret.expose()),
                    ("username", s.username.as_str()),
                    ("password", password.as_str()),
                ]
            }
            Flow::ClientCredentials => vec![
                ("grant_type", "client_credentials"),
                ("client_id", s.client_id.as_str()),
                ("client_secret", s.client_secret.expose()),
            ],
        };
        let response = self
            .http
            .post(url.clone())
            .header("Accept", "application/json")
            .form(&form)
            .send()
            .await
            .map_err(|e| transport(url.as_str(), &e))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| transport(url.as_str(), &e))?;
        if !status.is_success() {
            let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let text = |key: &str| {
                value
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let (error, description) = if value.is_object() {
                (text("error"), text("error_description"))
            } else {
                (
                    format!("http_{}", status.as_u16()),
                    String::from_utf8_lossy(&body).chars().take(200).collect(),
                )
            };
            return Err(SfError::Auth {
                status: status.as_u16(),
                error,
                description,
            });
        }
        let value: Value =
            serde_json::from_slice(&body).map_err(|e| decode("the token endpoint", e))?;
        let field = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| decode("the token endpoint", format!("no `{key}` in the answer")))
        };
        let instance_url = field("instance_url")?;
        check_url("the instance URL Salesforce returned", &instance_url)?;
        Ok(Session {
            token: Secret::new(field("access_token")?),
            instance_url: instance_url.trim_end_matches('/').to_owned(),
            identity_url: field("id").unwrap_or_default(),
            generation,
        })
    }

    /// Logs in (again) and learns who we are. Replaces any previous session.
    pub async fn login(&self) -> Result<ConnectionInfo, SfError> {
        let generation = {
            let current = self.session.read().await;
            current.as_ref().map_or(1, |s| s.generation + 1)
        };
        let session = self.request_token(generation).await?;
        *self.session.write().await = Some(session.clone());
        let info = self.fetch_identity(&session).await?;
        *self.identity.lock().unwrap_or_else(|e| e.into_inner()) = Some(info.clone());
        Ok(ConnectionInfo {
            api_usage: self.api_usage(),
            ..info
        })
    }

    async fn fetch_identity(&self, session: &Session) -> Result<ConnectionInfo, SfError> {
        // The identity URL ends in /<org id>/<user id>; the identity service adds the name.
        let mut parts = session.identity_url.rsplit('/');
        let user_id = parts.next().unwrap_or_default().to_owned();
        let org_id = parts.next().unwrap_or_default().to_owned();
        let mut username = self.settings.username.clone();
        if !session.identity_url.is_empty()
            && let Ok(url) = check_url("the identity URL", &session.identity_url)
        {
            let response = self
                .http
                .get(url)
                .bearer_auth(session.token.expose())
                .send()
                .await;
            if let Ok(response) = response
                && response.status().is_success()
                && let Ok(value) = response.json::<Value>().await
                && let Some(name) = value.get("username").and_then(Value::as_str)
            {
                username = name.to_owned();
            }
        }
        Ok(ConnectionInfo {
            instance_url: session.instance_url.clone(),
            org_id,
            user_id,
            username,
            api_version: self.api_version().to_owned(),
            api_usage: None,
        })
    }

    /// The current session, logging in first if there is none.
    async fn session(&self) -> Result<Session, SfError> {
        if let Some(session) = self.session.read().await.as_ref() {
            return Ok(session.clone());
        }
        self.login().await?;
        self.session
            .read()
            .await
            .clone()
            .ok_or_else(|| SfError::Config("login gave no session".to_owned()))
    }

    /// After a 401: log in again unless another request already did since `stale` was used.
    async fn renew(&self, stale: &Session) -> Result<Session, SfError> {
        {
            let current = self.session.read().await;
            if let Some(current) = current.as_ref()
                && current.generation != stale.generation
            {
                return Ok(current.clone());
            }
        }
        self.login().await?;
        self.session().await
    }

    /// Sends one data call to the instance; on 401 logs in again once and retries once.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<(StatusCode, bytes_body::Body), SfError> {
        let mut session = self.session().await?;
        let mut renewed = false;
        loop {
            let url = format!("{}{}", session.instance_url, path);
            let mut request = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(session.token.expose())
                .header("Accept", "application/json");
            if !query.is_empty() {
                request = request.query(query);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request.send().await.map_err(|e| transport(&url, &e))?;
            let status = response.status();
            if let Some(usage) = response
                .headers()
                .get("Sforce-Limit-Info")
                .and_then(|v| v.to_str().ok())
                .and_then(parse_limit_info)
            {
                *self.api_usage.lock().unwrap_or_else(|e| e.into_inner()) = Some(usage);
            }
            let bytes = response.bytes().await.map_err(|e| transport(&url, &e))?;
            if status == StatusCode::UNAUTHORIZED && !renewed {
                renewed = true;
                session = self.renew(&session).await?;
                continue;
            }
            if status.is_success() || status == StatusCode::MULTIPLE_CHOICES {
                return Ok((status, bytes_body::Body(bytes.to_vec())));
            }
            return Err(SfError::Api {
                status: status.as_u16(),
                errors: parse_api_errors(&bytes),
            });
        }
    }

    fn data_path(&self, rest: &str) -> String {
        format!("/services/data/v{}/{rest}", self.api_version())
    }

    /// The fields of Case as this user sees them.
    pub async fn describe_case(&self) -> Result<Vec<DescribeField>, SfError> {
        let (_, body) = self
            .call(
                Method::GET,
                &self.data_path("sobjects/Case/describe"),
                &[],
                None,
            )
            .await?;
        #[derive(serde::Deserialize)]
        struct Describe {
            fields: Vec<DescribeField>,
        }
        let describe: Describe =
            serde_json::from_slice(&body.0).map_err(|e| decode("Case describe", e))?;
        Ok(describe.fields)
    }

    /// Upserts up to 200 Cases by `ExternalID__c`, all-or-none off: one result per draft,
    /// in the same order.
    pub async fn upsert_cases(&self, drafts: &[CaseDraft]) -> Result<Vec<UpsertResult>, SfError> {
        if drafts.len() > MAX_BATCH {
            return Err(SfError::Config(format!(
                "a batch holds at most {MAX_BATCH} records, not {}",
                drafts.len()
            )));
        }
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        let body = json!({
            "allOrNone": false,
            "records": drafts.iter().map(case_record).collect::<Vec<_>>(),
        });
        let path = self.data_path(&format!("composite/sobjects/Case/{EXTERNAL_ID}"));
        let (_, response) = self.call(Method::PATCH, &path, &[], Some(&body)).await?;
        let entries: Vec<Value> =
            serde_json::from_slice(&response.0).map_err(|e| decode("the upsert", e))?;
        if entries.len() != drafts.len() {
            return Err(decode(
                "the upsert",
                format!("{} results for {} records", entries.len(), drafts.len()),
            ));
        }
        Ok(entries.iter().map(upsert_result).collect())
    }

    /// Deletes up to 200 Cases by Id: one result per id, in the same order. A Case already
    /// deleted or purged is reported as gone, not as a failure.
    pub async fn delete_cases(&self, ids: &[String]) -> Result<Vec<DeleteResult>, SfError> {
        if ids.len() > MAX_BATCH {
            return Err(SfError::Config(format!(
                "a batch holds at most {MAX_BATCH} ids, not {}",
                ids.len()
            )));
        }
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let joined = ids.join(",");
        let (_, response) = self
            .call(
                Method::DELETE,
                &self.data_path("composite/sobjects"),
                &[("ids", joined.as_str()), ("allOrNone", "false")],
                None,
            )
            .await?;
        let entries: Vec<Value> =
            serde_json::from_slice(&response.0).map_err(|e| decode("the delete", e))?;
        if entries.len() != ids.len() {
            return Err(decode(
                "the delete",
                format!("{} results for {} ids", entries.len(), ids.len()),
            ));
        }
        Ok(entries.iter().map(delete_result).collect())
    }

    /// Runs a SOQL query and follows `nextRecordsUrl` until every page is read.
    pub async fn query(&self, soql: &str) -> Result<QueryResult, SfError> {
        let (_, body) = self
            .call(Method::GET, &self.data_path("query"), &[("q", soql)], None)
            .await?;
        let mut page = parse_query_page(&body.0)?;
        let mut result = QueryResult {
            total_size: page.total_size,
            records: std::mem::take(&mut page.records),
        };
        while let Some(next) = page.next.take() {
            // nextRecordsUrl is a path on the instance, already versioned.
            if !next.starts_with("/services/data/") {
                return Err(decode("the query", format!("odd nextRecordsUrl {next}")));
            }
            let (_, body) = self.call(Method::GET, &next, &[], None).await?;
            page = parse_query_page(&body.0)?;
            result.records.append(&mut page.records);
        }
        Ok(result)
    }
}

struct QueryPage {
    total_size: u64,
    records: Vec<serde_json::Map<String, Value>>,
    next: Option<String>,
}

fn parse_query_page(body: &[u8]) -> Result<QueryPage, SfError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| decode("the query", e))?;
    let records = value
        .get("records")
        .and_then(Value::as_array)
        .ok_or_else(|| decode("the query", "no `records` array"))?
        .iter()
        .filter_map(|r| r.as_object().cloned())
        .collect();
    let done = value.get("done").and_then(Value::as_bool).unwrap_or(true);
    Ok(QueryPage {
        total_size: value.get("totalSize").and_then(Value::as_u64).unwrap_or(0),
        records,
        next: if done {
            None
        } else {
            value
                .get("nextRecordsUrl")
                .and_then(Value::as_str)
                .map(str::to_owned)
        },
    })
}

fn upsert_result(entry: &Value) -> UpsertResult {
    let success = entry
        .get("success")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let id = entry.get("id").and_then(Value::as_str).map(str::to_owned);
    match (success, id) {
        (true, Some(id)) => {
            if entry
                .get("created")
                .and_then(Value::as_bool)
                .unwrap_or(false)
            {
                UpsertResult::Created { id }
            } else {
                UpsertResult::Updated { id }
            }
        }
        (true, None) => UpsertResult::Failed {
            errors: vec![ApiError {
                code: "NO_ID".to_owned(),
                message: "Salesforce reported success without a record Id".to_owned(),
                fields: Vec::new(),
            }],
        },
        (false, _) => {
            let mut errors = record_errors(entry);
            if errors.is_empty() {
                errors.push(ApiError {
                    code: "UNKNOWN".to_owned(),
                    message: "the record failed without an error message".to_owned(),
                    fields: Vec::new(),
                });
            }
            UpsertResult::Failed { errors }
        }
    }
}

/// Codes that mean the Case is no longer there: deleted, purged, or never visible again.
const GONE_CODES: [&str; 3] = [
    "ENTITY_IS_DELETED",
    "NOT_FOUND",
    "INVALID_CROSS_REFERENCE_KEY",
];

fn delete_result(entry: &Value) -> DeleteResult {
    if entry
        .get("success")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        return DeleteResult::Deleted;
    }
    let errors = record_errors(entry);
    if let Some(gone) = errors
        .iter()
        .find(|e| GONE_CODES.contains(&e.code.as_str()))
    {
        return DeleteResult::AlreadyGone {
            code: gone.code.clone(),
        };
    }
    DeleteResult::Failed { errors }
}

fn transport(url: &str, err: &reqwest::Error) -> SfError {
    let reason = if err.is_timeout() {
        "no answer in time".to_owned()
    } else if err.is_connect() {
        format!("cannot connect ({})", root_cause(err))
    } else {
        root_cause(err)
    };
    // The URL never carries a secret: tokens go in headers and form bodies.
    let url = url.split('?').next().unwrap_or(url);
    SfError::Transport {
        url: url.to_owned(),
        reason,
    }
}

fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

mod bytes_body {
    /// A response body read to the end (so the connection can be reused).
    pub struct Body(pub Vec<u8>);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_info_is_read() {
        assert_eq!(parse_limit_info("api-usage=18/5000"), Some((18, 5000)));
        assert_eq!(
            parse_limit_info("api-usage=25/5000; per-app-api-usage=17/250(appName=x)"),
            Some((25, 5000))
        );
        assert_eq!(parse_limit_info("garbage"), None);
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(check_url("x", "http://127.0.0.1:9999").is_ok());
        assert!(check_url("x", "http://localhost:1").is_ok());
        assert!(check_url("x", "https://login.salesforce.com").is_ok());
        assert!(check_url("x", "http://login.salesforce.com").is_err());
        assert!(check_url("x", "ftp://x").is_err());
    }

    #[test]
    fn record_results_are_read_one_by_one() {
        let created =
            json!({"id": "500000000000001AAA", "success": true, "errors": [], "created": true});
        let updated =
            json!({"id": "500000000000001AAA", "success": true, "errors": [], "created": false});
        let failed = json!({"success": false, "errors": [{"statusCode": "STRING_TOO_LONG", "message": "too long", "fields": ["Team__c"]}]});
        assert!(matches!(
            upsert_result(&created),
            UpsertResult::Created { .. }
        ));
        assert!(matches!(
            upsert_result(&updated),
            UpsertResult::Updated { .. }
        ));
        match upsert_result(&failed) {
            UpsertResult::Failed { errors } => {
                assert_eq!(errors[0].code, "STRING_TOO_LONG");
                assert_eq!(errors[0].fields, vec!["Team__c"]);
            }
            other => panic!("expected a failure, got {other:?}"),
        }
        let gone = json!({"success": false, "errors": [{"statusCode": "ENTITY_IS_DELETED", "message": "entity is deleted", "fields": []}]});
        assert_eq!(
            delete_result(&gone),
            DeleteResult::AlreadyGone {
                code: "ENTITY_IS_DELETED".to_owned()
            }
        );
    }

    #[test]
    fn rest_errors_keep_code_and_message() {
        let errors = parse_api_errors(
            br#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#,
        );
        assert_eq!(errors[0].code, "INVALID_SESSION_ID");
        assert_eq!(errors[0].message, "Session expired or invalid");
        let errors = parse_api_errors(b"<html>oops</html>");
        assert_eq!(errors[0].code, "UNKNOWN");
    }
}
