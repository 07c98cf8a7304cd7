use std::sync::Mutex;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::RwLock;

use super::error::{ApiError, SfError};
use super::types::{
    CaseDescribe, ConnectionInfo, DeleteResult, DescribeField, QueryResult, UpsertResult,
};
use crate::config::{ConnectionSettings, Flow};
use crate::plan::CaseDraft;
use crate::secret::Secret;
use crate::spec::EXTERNAL_ID;

/// What must be escaped in a URL path segment: everything but `A-Z a-z 0-9 - . _ ~`.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

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

/// How often and how patiently transient failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 5,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff with jitter: between half and all of base × 2^(attempt-1).
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.max_delay);
        let nanos = ceiling.as_nanos() as u64;
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(nanos / 2 + jitter() % (nanos / 2 + 1))
    }
}

/// A random number for jitter, without a dependency: std's per-process random hash keys.
fn jitter() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    hasher.finish()
}

/// Failures that can succeed when simply tried again.
pub fn is_transient(err: &SfError) -> bool {
    match err {
        SfError::Transport { .. } => true,
        SfError::Api { status, errors } => {
            let code = errors.first().map(|e| e.code.as_str()).unwrap_or("");
            let message = errors.first().map(|e| e.message.as_str()).unwrap_or("");
            matches!(status, 502..=504)
                || code == "UNABLE_TO_LOCK_ROW"
                || code == "SERVER_UNAVAILABLE"
                // The concurrent-request limit clears by itself; the daily one does not.
                || (code == "REQUEST_LIMIT_EXCEEDED" && message.contains("Concurrent"))
        }
        _ => false,
    }
}

pub struct SalesforceClient {
    http: reqwest::Client,
    retry: RetryPolicy,
    retries: std::sync::atomic::AtomicU64,
    settings: ConnectionSettings,
    session: RwLock<Option<Session>>,
    api_usage: Mutex<Option<(u64, u64)>>,
    identity: Mutex<Option<ConnectionInfo>>,
    /// Held while logging in again, so that many requests failing at once share one token.
    renewing: tokio::sync::Mutex<()>,
    /// The seven fields were found ready once in this session (checked before pushes).
    fields_ready: std::sync::atomic::AtomicBool,
    /// Gzip large request bodies (off to this machine, where bandwidth costs nothing).
    compress: bool,
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

fn to_json(value: &impl serde::Serialize) -> Result<Vec<u8>, SfError> {
    serde_json::to_vec(value).map_err(|e| decode("a request body", e))
}

/// An sObject Collections body: `{"allOrNone": …, "records": [Case, …]}`.
struct Collection<'a> {
    all_or_none: bool,
    records: &'a [CaseDraft],
}

/// One Case record as sent, serialized from the draft directly.
struct CaseRecord<'a>(&'a CaseDraft);

impl serde::Serialize for Collection<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("allOrNone", &self.all_or_none)?;
        let records: Vec<CaseRecord<'_>> = self.records.iter().map(CaseRecord).collect();
        map.serialize_entry("records", &records)?;
        map.end()
    }
}

impl serde::Serialize for CaseRecord<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let fields = self.0.fields();
        let mut map = s.serialize_map(Some(fields.len() + 1))?;
        map.serialize_entry("attributes", &Attributes { kind: "Case" })?;
        for (name, value) in fields {
            // None is sent as null so that a re-push clears what the plan no longer holds.
            map.serialize_entry(name, &value)?;
        }
        map.end()
    }
}

#[derive(serde::Serialize)]
struct Attributes {
    #[serde(rename = "type")]
    kind: &'static str,
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
        let login = check_url("the login URL", &settings.login_url)?;
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
            retry: RetryPolicy::default(),
            retries: std::sync::atomic::AtomicU64::new(0),
            settings,
            session: RwLock::new(None),
            api_usage: Mutex::new(None),
            identity: Mutex::new(None),
            renewing: tokio::sync::Mutex::new(()),
            fields_ready: std::sync::atomic::AtomicBool::new(false),
            compress: !is_loopback_url(&login),
        })
    }

    /// Gzip large request bodies or not (the default: not to this machine).
    pub fn with_compression(mut self, compress: bool) -> SalesforceClient {
        self.compress = compress;
        self
    }

    /// Replaces the retry policy (tests use short delays).
    pub fn with_retry(mut self, retry: RetryPolicy) -> SalesforceClient {
        self.retry = retry;
        self
    }

    /// Whether the fields were found ready earlier in this session.
    pub fn fields_ready(&self) -> bool {
        self.fields_ready.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Remembers (for this session) that the fields are ready.
    pub fn set_fields_ready(&self, ready: bool) {
        self.fields_ready
            .store(ready, std::sync::atomic::Ordering::Relaxed);
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
        // Salesforce refuses this combination with an opaque invalid_grant; say it plainly.
        if self.settings.flow == Flow::ClientCredentials
            && matches!(
                login.host_str(),
                Some("login.salesforce.com" | "test.salesforce.com")
            )
        {
            return Err(SfError::Config(format!(
                "the client-credentials flow only works against the org's My Domain URL (https://<domain>.my.salesforce.com), not {}; set the login URL to your My Domain",
                login.as_str().trim_end_matches('/')
            )));
        }
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
        self.authenticate().await?;
        self.identify().await
    }

    fn log_login(&self, result: &Result<Session, SfError>) {
        let login_url = self.settings.login_url.as_str();
        let flow = self.settings.flow.as_str();
        match result {
            Ok(session) => {
                tracing::info!(login_url, flow, instance_url = %session.instance_url, "logged in")
            }
            // The error carries Salesforce's code and description, never a secret.
            Err(err) => {
                tracing::warn!(login_url, flow, user = %self.settings.username, error = %err, "login refused")
            }
        }
    }

    /// Gets a new token (replacing any session) without asking who we are.
    pub async fn authenticate(&self) -> Result<(), SfError> {
        let generation = {
            let current = self.session.read().await;
            current.as_ref().map_or(1, |s| s.generation + 1)
        };
        let result = self.request_token(generation).await;
        self.log_login(&result);
        *self.session.write().await = Some(result?);
        Ok(())
    }

    /// Asks the identity service who the session's user is, and remembers it.
    pub async fn identify(&self) -> Result<ConnectionInfo, SfError> {
        let session = self.session().await?;
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

    /// The current session, getting a token first if there is none.
    async fn session(&self) -> Result<Session, SfError> {
        if let Some(session) = self.session.read().await.as_ref() {
            return Ok(session.clone());
        }
        self.authenticate().await?;
        self.session
            .read()
            .await
            .clone()
            .ok_or_else(|| SfError::Config("login gave no session".to_owned()))
    }

    /// After a 401: log in again unless another request already did since `stale` was used.
    async fn renew(&self, stale: &Session) -> Result<Session, SfError> {
        let _one_at_a_time = self.renewing.lock().await;
        {
            let current = self.session.read().await;
            if let Some(current) = current.as_ref()
                && current.generation != stale.generation
            {
                return Ok(current.clone());
            }
        }
        // The user is the same; only the token is new.
        self.authenticate().await?;
        self.session().await
    }

    /// Sends one data call to the instance. A 401 gets one new token and one retry (shared
    /// with any other request that hit the same expired session); transient failures (503,
    /// 502, 504, dropped or timed-out connections, row locks, the concurrent-request limit)
    /// are retried with backoff and jitter, a bounded number of times. Every call made here
    /// is idempotent (reads, upserts by external id, deletes), so a retry cannot duplicate.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<(StatusCode, bytes_body::Body), SfError> {
        let mut session = self.session().await?;
        let mut renewed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self.send_once(&session, &method, path, query, body).await;
            let err = match outcome {
                Ok(answer) => return Ok(answer),
                Err(err) => err,
            };
            if err.is_session_expired() && !renewed {
                renewed = true;
                session = self.renew(&session).await?;
                attempt -= 1;
                continue;
            }
            if let SfError::Api { status: 410, .. } = err {
                return Err(self.retired_version().await);
            }
            // A POST that creates a record is not idempotent: after an ambiguous failure it
            // is reported, never sent again (the caller checks what exists first).
            if is_transient(&err) && method != Method::POST && attempt < self.retry.attempts {
                self.retries
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let delay = self.retry.delay(attempt);
                tracing::info!(%err, attempt, delay_ms = delay.as_millis() as u64, "retrying");
                tokio::time::sleep(delay).await;
                continue;
            }
            return Err(err);
        }
    }

    async fn send_once(
        &self,
        session: &Session,
        method: &Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<(StatusCode, bytes_body::Body), SfError> {
        let url = format!("{}{}", session.instance_url, path);
        let mut request = self
            .http
            .request(method.clone(), &url)
            .bearer_auth(session.token.expose())
            .header("Accept", "application/json");
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(json) = body {
            request = request.header("Content-Type", "application/json");
            let compressed = if self.compress { gzip(json) } else { None };
            request = match compressed {
                // Salesforce accepts gzip request bodies; a 200-Case upsert shrinks ~6x,
                // which is what counts on a slow uplink.
                Some(compressed) => request.header("Content-Encoding", "gzip").body(compressed),
                None => request.body(json.to_vec()),
            };
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
        let bytes = read_body(response, &url).await?;
        if status.is_success() || status == StatusCode::MULTIPLE_CHOICES {
            return Ok((status, bytes_body::Body(bytes)));
        }
        Err(SfError::Api {
            status: status.as_u16(),
            errors: parse_api_errors(&bytes),
        })
    }

    /// After a 410: which versions the org does offer, so the operator can pick one.
    async fn retired_version(&self) -> SfError {
        let version = self.api_version().to_owned();
        let offered: Vec<String> = self.versions().await.unwrap_or_default();
        SfError::RetiredVersion { version, offered }
    }

    /// The API versions the org serves (`GET /services/data/`, no auth needed).
    pub async fn versions(&self) -> Result<Vec<String>, SfError> {
        let session = self.session().await?;
        let url = format!("{}/services/data/", session.instance_url);
        let response = self
            .http
            .get(&url)
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| transport(&url, &e))?;
        let value: Value = response
            .json()
            .await
            .map_err(|e| decode("the version list", e))?;
        Ok(value
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|v| v.get("version").and_then(Value::as_str))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default())
    }

    /// How many requests were retried since the client was made.
    pub fn retry_count(&self) -> u64 {
        self.retries.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn data_path(&self, rest: &str) -> String {
        format!("/services/data/v{}/{rest}", self.api_version())
    }

    /// A JSON resource under `/services/data/vXX.X/` (e.g. `tooling/sobjects/CustomField/ID`).
    pub async fn get_json(&self, rest: &str) -> Result<Value, SfError> {
        let (_, body) = self
            .call(Method::GET, &self.data_path(rest), &[], None)
            .await?;
        serde_json::from_slice(&body.0).map_err(|e| decode(rest, e))
    }

    /// Creates a record (`sobjects/X` or `tooling/sobjects/X`) and returns its Id.
    pub async fn create_record(&self, rest: &str, record: &Value) -> Result<String, SfError> {
        let (_, body) = self
            .call(
                Method::POST,
                &self.data_path(rest),
                &[],
                Some(&to_json(record)?),
            )
            .await?;
        let value: Value = serde_json::from_slice(&body.0).map_err(|e| decode(rest, e))?;
        value
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| decode(rest, "created, but no id in the answer"))
    }

    /// Updates a record (`sobjects/X/ID` or `tooling/sobjects/X/ID`).
    pub async fn update_record(&self, rest: &str, fields: &Value) -> Result<(), SfError> {
        self.call(
            Method::PATCH,
            &self.data_path(rest),
            &[],
            Some(&to_json(fields)?),
        )
        .await
        .map(|_| ())
    }

    /// A Tooling API SOQL query (one page: setup objects are few).
    pub async fn tooling_query(&self, soql: &str) -> Result<QueryResult, SfError> {
        let (_, body) = self
            .call(
                Method::GET,
                &self.data_path("tooling/query"),
                &[("q", soql)],
                None,
            )
            .await?;
        let page = parse_query_page(&body.0)?;
        Ok(QueryResult {
            total_size: page.total_size,
            records: page.records,
        })
    }

    /// Case as this user sees it: its fields and whether Cases can be created and deleted.
    pub async fn describe_case_object(&self) -> Result<CaseDescribe, SfError> {
        let (_, body) = self
            .call(
                Method::GET,
                &self.data_path("sobjects/Case/describe"),
                &[],
                None,
            )
            .await?;
        serde_json::from_slice(&body.0).map_err(|e| decode("Case describe", e))
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

    /// True when the configured API version predates sObject Collections upsert (46.0).
    fn before_collections_upsert(&self) -> bool {
        self.api_version()
            .parse::<f64>()
            .map(|v| v < 46.0)
            .unwrap_or(false)
    }

    /// Upserts one Case through `PATCH /sobjects/Case/ExternalID__c/{value}`: the path for
    /// API versions before 46.0. Answers 201 (created), 200 or 204 (updated; 204 carries no
    /// body, so the Id is looked up), or 300 when the id matches several Cases.
    pub async fn upsert_case(&self, draft: &CaseDraft) -> Result<UpsertResult, SfError> {
        let mut record = case_record(draft);
        if let Some(map) = record.as_object_mut() {
            // The key travels in the URL; Salesforce refuses it in the body.
            map.remove("attributes");
            map.remove(EXTERNAL_ID);
        }
        let encoded = percent_encoding::utf8_percent_encode(&draft.external_id, PATH_SEGMENT);
        let path = self.data_path(&format!("sobjects/Case/{EXTERNAL_ID}/{encoded}"));
        let result = self
            .call(Method::PATCH, &path, &[], Some(&to_json(&record)?))
            .await;
        let (status, body) = match result {
            Ok(answer) => answer,
            Err(SfError::Api {
                status: 400,
                errors,
            }) => return Ok(UpsertResult::Failed { errors }),
            Err(err) => return Err(err),
        };
        if status == StatusCode::MULTIPLE_CHOICES {
            let urls: Vec<String> =
                serde_json::from_slice::<Vec<String>>(&body.0).unwrap_or_default();
            return Ok(UpsertResult::Failed {
                errors: vec![ApiError {
                    code: "MULTIPLE_CHOICES".to_owned(),
                    message: format!(
                        "the external id matches {} Cases ({}); make ExternalID__c Unique and remove the duplicates",
                        urls.len().max(2),
                        urls.join(", ")
                    ),
                    fields: vec![EXTERNAL_ID.to_owned()],
                }],
            });
        }
        let value: Value = serde_json::from_slice(&body.0).unwrap_or(Value::Null);
        let id = match value.get("id").and_then(Value::as_str) {
            Some(id) => id.to_owned(),
            None => self.id_by_external_id(&draft.external_id).await?,
        };
        let created = status == StatusCode::CREATED
            || value
                .get("created")
                .and_then(Value::as_bool)
                .unwrap_or(false);
        Ok(if created {
            UpsertResult::Created { id }
        } else {
            UpsertResult::Updated { id }
        })
    }

    async fn id_by_external_id(&self, external_id: &str) -> Result<String, SfError> {
        let query = format!(
            "SELECT Id FROM Case WHERE {EXTERNAL_ID} = {}",
            super::soql::quote(external_id)
        );
        let result = self.query(&query).await?;
        result
            .records
            .first()
            .and_then(|r| r.get("Id"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                decode(
                    "the upsert",
                    "updated, but the Case cannot be found by its external id",
                )
            })
    }

    /// Upserts up to 200 Cases by `ExternalID__c`, all-or-none off: one result per draft,
    /// in the same order.
    pub async fn upsert_cases(&self, drafts: &[CaseDraft]) -> Result<Vec<UpsertResult>, SfError> {
        self.upsert_cases_with(drafts, false).await
    }

    /// As [`upsert_cases`](Self::upsert_cases), choosing all-or-none: with it, one failing
    /// record fails them all (the others with `ALL_OR_NONE_OPERATION_ROLLED_BACK`).
    pub async fn upsert_cases_with(
        &self,
        drafts: &[CaseDraft],
        all_or_none: bool,
    ) -> Result<Vec<UpsertResult>, SfError> {
        if self.before_collections_upsert() {
            let mut results = Vec::with_capacity(drafts.len());
            for draft in drafts {
                results.push(self.upsert_case(draft).await?);
            }
            return Ok(results);
        }
        if drafts.len() > MAX_BATCH {
            return Err(SfError::Config(format!(
                "a batch holds at most {MAX_BATCH} records, not {}",
                drafts.len()
            )));
        }
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        // Serialized straight from the drafts: no JSON tree per record.
        let body = to_json(&Collection {
            all_or_none,
            records: drafts,
        })?;
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

/// Bodies smaller than this go as they are: compressing them gains nothing.
const GZIP_FROM_BYTES: usize = 4 * 1024;

/// The body gzipped (fast level), when it is worth it.
fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    if body.len() < GZIP_FROM_BYTES {
        return None;
    }
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::new(4),
    );
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}

/// No answer moveforce asks for comes near this; a larger one is refused, not buffered.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// Reads a body to the end (so the connection can be reused), refusing one that grows past
/// [`MAX_RESPONSE_BYTES`].
async fn read_body(mut response: reqwest::Response, url: &str) -> Result<Vec<u8>, SfError> {
    let too_big = || {
        decode(
            url.split('?').next().unwrap_or(url),
            format!(
                "the answer is larger than {} MiB",
                MAX_RESPONSE_BYTES / (1024 * 1024)
            ),
        )
    };
    if response
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
    {
        return Err(too_big());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport(url, &e))? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
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

    use proptest::prelude::*;

    /// Any JSON value, nested a few levels, with Salesforce-ish keys mixed in.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|n| json!(n)),
            ".{0,20}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            let key = prop_oneof![
                Just("id".to_owned()),
                Just("success".to_owned()),
                Just("errors".to_owned()),
                Just("created".to_owned()),
                Just("statusCode".to_owned()),
                Just("errorCode".to_owned()),
                Just("message".to_owned()),
                Just("fields".to_owned()),
                Just("records".to_owned()),
                Just("done".to_owned()),
                Just("totalSize".to_owned()),
                Just("nextRecordsUrl".to_owned()),
                "[a-z]{1,8}",
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(key, inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn response_parsers_never_panic(value in any_json()) {
            let bytes = serde_json::to_vec(&value).unwrap_or_default();
            let _ = parse_api_errors(&bytes);
            let _ = upsert_result(&value);
            let _ = delete_result(&value);
            let _ = parse_query_page(&bytes);
            let _ = error_entry(&value);
        }

        #[test]
        fn garbage_bodies_are_errors_not_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let errors = parse_api_errors(&bytes);
            prop_assert!(!errors.is_empty());
            let _ = parse_query_page(&bytes);
        }
    }

    #[tokio::test]
    async fn client_credentials_on_the_login_host_is_refused_before_any_request() {
        let client = SalesforceClient::new(ConnectionSettings {
            login_url: "https://login.salesforce.com".to_owned(),
            flow: Flow::ClientCredentials,
            client_id: "id".to_owned(),
            client_secret: Secret::new("secret"),
            ..Default::default()
        })
        .expect("client");
        let err = client.login().await.expect_err("refused");
        assert!(err.to_string().contains("My Domain"), "{err}");
    }

    #[test]
    fn the_streamed_collection_body_matches_the_record_shape() {
        let draft = CaseDraft {
            external_id: "a/b 'c'".to_owned(),
            subject: "Seat move: Zoë".to_owned(),
            description: "d".to_owned(),
            department: Some("Ops".to_owned()),
            team: None,
            current_seat: None,
            new_seat: Some("B · 1 · 1".to_owned()),
            employee_assets: None,
            employee_notes: Some("n".to_owned()),
            truncated: Vec::new(),
        };
        let streamed: Value = serde_json::from_slice(
            &to_json(&Collection {
                all_or_none: false,
                records: std::slice::from_ref(&draft),
            })
            .expect("serializes"),
        )
        .expect("json");
        assert_eq!(
            streamed,
            json!({"allOrNone": false, "records": [case_record(&draft)]})
        );
        assert_eq!(
            streamed["records"][0]["Team__c"],
            Value::Null,
            "cleared, not left out"
        );
    }

    #[test]
    fn large_bodies_are_gzipped_and_inflate_back() {
        use std::io::Read;
        assert_eq!(gzip(b"{}"), None);
        let body = serde_json::to_vec(&json!({"records": vec!["Seat move: Zoë → 4.112"; 500]}))
            .unwrap_or_default();
        let compressed = gzip(&body).expect("compressed");
        assert!(
            compressed.len() * 4 < body.len(),
            "{} vs {}",
            compressed.len(),
            body.len()
        );
        let mut inflated = Vec::new();
        flate2::read::GzDecoder::new(compressed.as_slice())
            .read_to_end(&mut inflated)
            .expect("inflates");
        assert_eq!(inflated, body);
    }

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
