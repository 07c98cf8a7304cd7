//! The sandbox: an in-memory Salesforce org served over HTTP on loopback, answering with
//! Salesforce's status codes and JSON shapes. Tests, the demo and the benchmarks run on it.

mod compression;
mod faults;
mod http;
mod ids;
mod oauth;
mod org_setup;
mod schema;
mod setup;
mod setup_http;
mod soql;
mod store;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum_server::Handle;
use axum_server::accept::NoDelayAcceptor;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use tokio::task::JoinHandle;

pub use faults::{Fault, FaultTarget};
pub use setup::{CaseAccess, FieldMetadata, FieldType, Setup, SetupError};

/// The credentials the sandbox accepts. The defaults are test credentials, not secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct SandboxCredentials {
    pub client_id: String,
    pub client_secret: String,
    pub username: String,
    pub password: String,
    /// When set, the password flow expects password + token (no separator).
    pub security_token: Option<String>,
}

impl Default for SandboxCredentials {
    fn default() -> Self {
        Self {
            client_id: "moveforce-sandbox".into(),
            client_secret: "sandbox-secret".into(),
            username: "integration@moveforce.sandbox".into(),
            password: "sandbox-password".into(),
            security_token: None,
        }
    }
}

/// Debug output never shows the secret, the password or the security token.
impl std::fmt::Debug for SandboxCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Default 127.0.0.1:0 (a free port).
    pub bind: SocketAddr,
    /// Default false: `start` refuses a non-loopback bind.
    pub allow_non_loopback: bool,
    pub credentials: SandboxCredentials,
    /// Rows per query page (Salesforce: 2000).
    pub query_page_size: usize,
    /// Serve HTTPS with a self-signed certificate made at start (see `certificate_pem`).
    pub tls: bool,
    /// Server time added to every request, in milliseconds.
    pub latency_ms: u64,
    /// Fraction (0.0–1.0) of data requests that fail: 503 SERVER_UNAVAILABLE, a dropped
    /// connection, or (in collections upserts and deletes) UNABLE_TO_LOCK_ROW on one record.
    pub fault_rate: f64,
    /// Seed for `fault_rate`: the same seed gives the same sequence of faults.
    pub seed: u64,
    /// Sessions expire this many seconds after they were issued (401 INVALID_SESSION_ID).
    pub session_ttl_s: Option<u64>,
    /// After this many data requests, 403 REQUEST_LIMIT_EXCEEDED (also the limit that
    /// `Sforce-Limit-Info` and `/limits` report). Default: 15,000 and never refused.
    pub api_limit: Option<u64>,
    /// ExternalID__c is a Unique field (default). When false, duplicates can be stored and
    /// upserts that match several Cases answer 300 / DUPLICATE_EXTERNAL_ID. (Complete setup.)
    pub external_id_unique: bool,
    /// The org's setup at start: `Complete` (default: the seven Case fields, readable and
    /// writable by the integration user) or `Blank` (none of them).
    pub setup: Setup,
    /// The integration user has "Customize Application" and "View Setup" (default true).
    /// Without: Tooling queries answer 400 INSUFFICIENT_ACCESS, and Tooling writes and
    /// PermissionSet / FieldPermissions / PermissionSetAssignment writes answer 400
    /// INSUFFICIENT_ACCESS_OR_READONLY.
    pub user_can_customize: bool,
    /// The integration user's Create and Delete permissions on Case (default both).
    pub user_case_access: CaseAccess,
    /// Behaviour where Salesforce's documentation and reports disagree.
    pub quirks: Quirks,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            allow_non_loopback: false,
            credentials: SandboxCredentials::default(),
            query_page_size: 2000,
            tls: false,
            latency_ms: 0,
            fault_rate: 0.0,
            seed: 0,
            session_ttl_s: None,
            api_limit: None,
            external_id_unique: true,
            setup: Setup::Complete,
            user_can_customize: true,
            user_case_access: CaseAccess::default(),
            quirks: Quirks::default(),
        }
    }
}

/// Switches for the points `salesforce-api.md` marks uncertain. The defaults follow the
/// documentation or, where it is silent, the most often observed behaviour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quirks {
    /// HTTP status of `invalid_client` (wrong client secret) from the token endpoint:
    /// 400 (default, documented) or 401 (reported).
    pub invalid_client_status: u16,
    /// Whether failed entries of a collections delete carry `id` (default true, as in the
    /// documented example); false omits it, so clients must correlate by position.
    pub delete_failure_id: bool,
    /// A malformed record id on `/sobjects/Case/{id}`: 404 NOT_FOUND (default) or, when true,
    /// 400 MALFORMED_ID.
    pub malformed_id_bad_request: bool,
    /// Single-record upsert with the external-id field also in the body: accepted when the
    /// value equals the URL's (default false) or, when true, refused with INVALID_FIELD.
    pub reject_external_id_in_body: bool,
    /// Count Text lengths in Unicode code points instead of UTF-16 code units (default
    /// false: UTF-16, the stricter count).
    pub length_in_code_points: bool,
    /// When set, the client-credentials flow is "not enabled" and answers 400 with this
    /// `error` (`unsupported_grant_type`, `unauthorized_client` or `invalid_grant`).
    pub client_credentials_disabled_error: Option<String>,
    /// Adds empty `warnings` and `infos` arrays to save results (seen in newer versions).
    pub save_result_extras: bool,
}

impl Default for Quirks {
    fn default() -> Self {
        Self {
            invalid_client_status: 400,
            delete_failure_id: true,
            malformed_id_bad_request: false,
            reject_external_id_in_body: false,
            length_in_code_points: false,
            client_credentials_disabled_error: None,
            save_result_extras: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error(
        "refusing to bind the sandbox to non-loopback address {0} (set allow_non_loopback to override)"
    )]
    NonLoopback(SocketAddr),
    #[error("cannot bind the sandbox to {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot set up TLS for the sandbox: {0}")]
    Tls(String),
}

/// The external-id field the console pushes with.
const EXTERNAL_ID_FIELD: &str = "ExternalID__c";

/// State shared by every request handler.
pub(crate) struct Shared {
    org: Mutex<store::Org>,
    faults: Mutex<faults::Faults>,
    credentials: SandboxCredentials,
    base_url: String,
    page_size: usize,
    latency: Duration,
    session_ttl: Option<Duration>,
    api_limit: Option<u64>,
    quirks: Quirks,
    /// The setup the org started with (for the banner).
    setup: Setup,
}

impl Shared {
    /// A panic in one handler must not take the org down with it: recover poisoned locks.
    fn org(&self) -> MutexGuard<'_, store::Org> {
        self.org.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn faults(&self) -> MutexGuard<'_, faults::Faults> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Counters for tests and the conformance runner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxStats {
    /// Data requests counted against the daily limit.
    pub api_usage: u64,
    /// Faults injected so far, random or forced.
    pub faults_injected: u64,
    /// Live (not deleted) Cases.
    pub live_cases: usize,
    /// Open sessions (issued, not revoked; expired ones count until next used).
    pub sessions: usize,
}

/// A running sandbox server. Dropping it also shuts the server down.
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    handle: Handle<SocketAddr>,
    task: Option<JoinHandle<()>>,
    certificate_pem: Option<String>,
}

/// A self-signed certificate for 127.0.0.1, ::1 and localhost: (certificate PEM, key PEM).
fn self_signed_certificate() -> Result<(String, String), SandboxError> {
    let names = vec![
        "127.0.0.1".to_string(),
        "::1".to_string(),
        "localhost".to_string(),
    ];
    let certified =
        rcgen::generate_simple_self_signed(names).map_err(|e| SandboxError::Tls(e.to_string()))?;
    Ok((certified.cert.pem(), certified.signing_key.serialize_pem()))
}

impl Sandbox {
    /// Binds and starts serving on the current tokio runtime.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        if !config.bind.ip().is_loopback() && !config.allow_non_loopback {
            return Err(SandboxError::NonLoopback(config.bind));
        }
        let bind_error = |source| SandboxError::Bind {
            addr: config.bind,
            source,
        };
        let listener = std::net::TcpListener::bind(config.bind).map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let mut org = store::Org::new(&config.credentials.username);
        if config.setup == Setup::Complete {
            org.apply_complete_setup(config.external_id_unique);
        }
        org.user_can_customize = config.user_can_customize;
        org.case_access = config.user_case_access;
        org.length_in_code_points = config.quirks.length_in_code_points;
        org.delete_failure_id = config.quirks.delete_failure_id;
        let shared = Arc::new(Shared {
            org: Mutex::new(org),
            faults: Mutex::new(faults::Faults::new(config.fault_rate, config.seed)),
            credentials: config.credentials,
            base_url: base_url_for(addr, config.tls),
            page_size: config.query_page_size.max(1),
            latency: Duration::from_millis(config.latency_ms),
            session_ttl: config.session_ttl_s.map(Duration::from_secs),
            api_limit: config.api_limit,
            quirks: config.quirks,
            setup: config.setup,
        });
        let app = http::router(shared.clone()).into_make_service();
        let handle: Handle<SocketAddr> = Handle::new();
        // TCP_NODELAY on every accepted socket: without it, Nagle and delayed ACKs add
        // ~40 ms stalls that would make latency measurements against the sandbox lie.
        let server = axum_server::from_tcp(listener)
            .map_err(bind_error)?
            .handle(handle.clone());
        let (certificate_pem, task) = if config.tls {
            let (cert, key) = self_signed_certificate()?;
            let tls = RustlsConfig::from_pem(cert.clone().into_bytes(), key.into_bytes())
                .await
                .map_err(|e| SandboxError::Tls(e.to_string()))?;
            let acceptor = RustlsAcceptor::new(tls).acceptor(NoDelayAcceptor::new());
            let server = server.acceptor(acceptor);
            let task = tokio::spawn(async move {
                if let Err(e) = server.serve(app).await {
                    tracing::warn!(error = %e, "sandbox server stopped with an error");
                }
            });
            (Some(cert), task)
        } else {
            let server = server.acceptor(NoDelayAcceptor::new());
            let task = tokio::spawn(async move {
                if let Err(e) = server.serve(app).await {
                    tracing::warn!(error = %e, "sandbox server stopped with an error");
                }
            });
            (None, task)
        };
        tracing::info!(%addr, tls = config.tls, "sandbox listening");
        Ok(Sandbox {
            addr,
            shared,
            handle,
            task: Some(task),
            certificate_pem,
        })
    }

    /// "http://127.0.0.1:PORT", or "https://…" with TLS (no trailing slash).
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The PEM of the self-signed certificate when serving HTTPS; clients trust this.
    pub fn certificate_pem(&self) -> Option<String> {
        self.certificate_pem.clone()
    }

    /// The next `times` data requests fail with `fault` (before any random faults).
    /// A `Fault::RowLock` waits for the next collections upsert or delete.
    pub fn force_fault(&self, fault: Fault, times: u32) {
        self.shared.faults().force(fault, times, FaultTarget::Data);
    }

    /// The next `times` token requests fail with `fault` (`Fault::RowLock` is ignored).
    pub fn force_token_fault(&self, fault: Fault, times: u32) {
        if fault != Fault::RowLock {
            self.shared.faults().force(fault, times, FaultTarget::Token);
        }
    }

    /// Forgets forced faults that have not fired yet.
    pub fn clear_faults(&self) {
        self.shared.faults().clear();
    }

    /// Ends every session: the next data call with any current token gets 401.
    pub fn expire_sessions(&self) {
        self.shared.org().expire_sessions();
    }

    /// Whether ExternalID__c refuses duplicates. Turning it off lets several Cases share a
    /// value (create them with collections create); upserts of such a value then answer
    /// 300 (single record) or DUPLICATE_EXTERNAL_ID (collections).
    pub fn set_external_id_unique(&self, unique: bool) {
        self.shared.org().force_unique(EXTERNAL_ID_FIELD, unique);
    }

    /// A session of an org administrator, for tests that change the org "the way an admin
    /// would" through the HTTP API: it sees every field whatever the field permissions, and
    /// may use the Tooling API and change permission sets even when the integration user
    /// may not. (Also `POST /__sandbox/admin-session`.)
    pub fn admin_token(&self) -> Option<String> {
        let mut org = self.shared.org();
        let token = oauth::new_access_token(org.org_id15())?;
        org.add_session(token.clone(), setup::Principal::Admin);
        Some(token)
    }

    /// Admin action: removes every field permission of one Case field ("X__c"), so the
    /// integration user no longer sees it. Returns how many rows went.
    pub fn admin_revoke_field_access(&self, field: &str) -> usize {
        self.shared.org().revoke_field_access(field)
    }

    /// Admin action: sets read/edit on one field in the integration user's profile.
    pub fn admin_grant_field_access(
        &self,
        field: &str,
        read: bool,
        edit: bool,
    ) -> Result<(), SetupError> {
        self.shared
            .org()
            .grant_profile_field_access(field, read, edit)
    }

    /// Admin action: creates a Case field ("X__c") with this metadata, or replaces the
    /// metadata of the existing one, with the checks the Tooling API makes (a type change
    /// or narrowing below stored data is refused). Returns the CustomField id. A new field
    /// gets no field permissions.
    pub fn admin_set_field(
        &self,
        field: &str,
        metadata: FieldMetadata,
    ) -> Result<String, SetupError> {
        let mut org = self.shared.org();
        let admin = setup::Principal::Admin;
        let existing = org.custom_field_named(field).map(|f| f.id.clone());
        match existing {
            Some(id) => org.update_field(admin, &id, None, metadata).map(|()| id),
            None => org.create_field(admin, &format!("Case.{field}"), metadata),
        }
    }

    /// Admin action: deletes a Case field ("X__c") and its values. False when there is none.
    pub fn admin_delete_field(&self, field: &str) -> bool {
        let mut org = self.shared.org();
        let Some(id) = org.custom_field_named(field).map(|f| f.id.clone()) else {
            return false;
        };
        org.delete_field(setup::Principal::Admin, &id).is_ok()
    }

    /// The metadata of a Case field ("X__c"), when it exists.
    pub fn field_metadata(&self, field: &str) -> Option<FieldMetadata> {
        self.shared
            .org()
            .custom_field_named(field)
            .map(|f| f.metadata.clone())
    }

    /// Whether the integration user has "Customize Application" / "View Setup".
    pub fn set_user_can_customize(&self, can: bool) {
        self.shared.org().user_can_customize = can;
    }

    /// The integration user's Create/Delete permissions on Case.
    pub fn set_user_case_access(&self, access: CaseAccess) {
        self.shared.org().case_access = access;
    }

    /// Sets the daily usage counter, e.g. to just below `api_limit`.
    pub fn set_api_usage(&self, used: u64) {
        self.shared.org().api_usage = used;
    }

    pub fn stats(&self) -> SandboxStats {
        let faults_injected = self.shared.faults().injected();
        let org = self.shared.org();
        SandboxStats {
            api_usage: org.api_usage,
            faults_injected,
            live_cases: org.live_count(),
            sessions: org.session_count(),
        }
    }

    /// (data request number, "status" | "drop" | "row_lock") of each injected fault;
    /// token faults show request number u64::MAX.
    pub fn fault_log(&self) -> Vec<(u64, &'static str)> {
        self.shared.faults().log().to_vec()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// One line for a terminal: where it listens and which credentials it accepts.
    pub fn banner(&self) -> String {
        let c = &self.shared.credentials;
        let d = SandboxCredentials::default();
        // The built-in defaults are test credentials and are printed in clear; anything the
        // operator configured is not echoed.
        let secret = if c.client_secret == d.client_secret {
            format!("client secret \"{}\"", c.client_secret)
        } else {
            "the configured client secret".to_string()
        };
        let password = if c.password == d.password && c.security_token.is_none() {
            format!("password \"{}\"", c.password)
        } else if c.security_token.is_some() {
            "the configured password followed by the configured security token".to_string()
        } else {
            "the configured password".to_string()
        };
        let mut line = format!(
            "moveforce sandbox (in-memory Salesforce org) listening on {} — accepts client id \"{}\" with {}, user \"{}\" with {}",
            self.shared.base_url, c.client_id, secret, c.username, password
        );
        let s = &self.shared;
        let mut knobs = Vec::new();
        if !s.latency.is_zero() {
            knobs.push(format!("latency {} ms", s.latency.as_millis()));
        }
        let rate = self.shared.faults().rate();
        if rate > 0.0 {
            knobs.push(format!(
                "fault rate {rate} (seed {})",
                self.shared.faults().seed()
            ));
        }
        if let Some(ttl) = s.session_ttl {
            knobs.push(format!("sessions expire after {} s", ttl.as_secs()));
        }
        if let Some(limit) = s.api_limit {
            knobs.push(format!("API limit {limit} requests"));
        }
        if s.setup == Setup::Blank {
            knobs.push("blank org (none of the seven Case fields)".to_string());
        }
        {
            let org = s.org();
            if !org.user_can_customize {
                knobs.push("user without Customize Application / View Setup".to_string());
            }
            if !org.case_access.create {
                knobs.push("user cannot create Cases".to_string());
            }
            if !org.case_access.delete {
                knobs.push("user cannot delete Cases".to_string());
            }
        }
        if !knobs.is_empty() {
            line.push_str(&format!(" — {}", knobs.join(", ")));
        }
        line
    }

    /// Live (not deleted) Cases.
    pub fn case_count(&self) -> usize {
        self.shared.org().live_count()
    }

    /// Graceful shutdown: stop accepting, let in-flight requests finish (bounded wait).
    pub async fn stop(mut self) {
        self.handle.graceful_shutdown(Some(Duration::from_secs(5)));
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if self.task.is_some() {
            self.handle.graceful_shutdown(Some(Duration::from_secs(1)));
        }
    }
}

/// An unspecified bind address is reached through loopback of the same family.
fn base_url_for(addr: SocketAddr, tls: bool) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let scheme = if tls { "https" } else { "http" };
    format!("{scheme}://{}", SocketAddr::new(ip, addr.port()))
}
