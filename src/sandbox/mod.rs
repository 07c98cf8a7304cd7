//! The sandbox: an in-memory Salesforce org served over HTTP on loopback, answering with
//! Salesforce's status codes and JSON shapes. Tests, the demo and the benchmarks run on it.

mod http;
mod ids;
mod oauth;
mod schema;
mod soql;
mod store;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

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
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            allow_non_loopback: false,
            credentials: SandboxCredentials::default(),
            query_page_size: 2000,
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
}

/// State shared by every request handler.
pub(crate) struct Shared {
    org: Mutex<store::Org>,
    credentials: SandboxCredentials,
    base_url: String,
    page_size: usize,
}

impl Shared {
    /// A panic in one handler must not take the org down with it: recover poisoned locks.
    fn org(&self) -> MutexGuard<'_, store::Org> {
        self.org.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running sandbox server. Dropping it also shuts the server down.
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Binds and starts serving on the current tokio runtime.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        if !config.bind.ip().is_loopback() && !config.allow_non_loopback {
            return Err(SandboxError::NonLoopback(config.bind));
        }
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|source| SandboxError::Bind {
                addr: config.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
            addr: config.bind,
            source,
        })?;
        let shared = Arc::new(Shared {
            org: Mutex::new(store::Org::new(&config.credentials.username)),
            credentials: config.credentials,
            base_url: base_url_for(addr),
            page_size: config.query_page_size.max(1),
        });
        let app = http::router(shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            // Either an explicit stop or the Sandbox being dropped ends the server.
            let signal = async {
                let _ = rx.await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .await
            {
                tracing::warn!(error = %e, "sandbox server stopped with an error");
            }
        });
        tracing::info!(%addr, "sandbox listening");
        Ok(Sandbox {
            addr,
            shared,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// "http://127.0.0.1:PORT" (no trailing slash).
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
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
        format!(
            "moveforce sandbox (in-memory Salesforce org) listening on {} — accepts client id \"{}\" with {}, user \"{}\" with {}",
            self.shared.base_url, c.client_id, secret, c.username, password
        )
    }

    /// Live (not deleted) Cases.
    pub fn case_count(&self) -> usize {
        self.shared.org().live_count()
    }

    /// Graceful shutdown: stop accepting, let in-flight requests finish (bounded wait).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
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
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// An unspecified bind address is reached through loopback of the same family.
fn base_url_for(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}
