//! The `moveforce` command: the console, the demo, the sandbox, and the headless commands,
//! all on the same engine.

/// Prints a line to stdout; a closed pipe (`moveforce status | head -1`) is not an error
/// worth a panic, so write failures are ignored.
macro_rules! out {
    () => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock());
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod args;
mod headless;

use std::process::ExitCode;

use clap::Parser;

pub use args::Cli;
use args::{Command, SandboxQuirk};

use crate::config::{self, ConnectionSettings, Paths, SettingsLayer};
use crate::sandbox::{
    CaseAccess, Quirks, Sandbox, SandboxConfig, SandboxCredentials, SandboxError, Setup,
};

/// Exit status: everything asked for was done.
pub const EXIT_OK: u8 = 0;
/// Exit status: it could not run (bad input, no connection, refused).
pub const EXIT_FAILED: u8 = 1;
/// Exit status: it ran, but some moves or Cases failed.
pub const EXIT_PARTIAL: u8 = 2;

/// An error to show the operator, with the exit status it means.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: EXIT_FAILED,
        }
    }
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(err: E) -> Failure {
        Failure::new(err.to_string())
    }
}

fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Settings from flags, then the environment, then the saved config.
pub fn resolve_settings(
    args: &args::ConnectionArgs,
    paths: &Paths,
) -> Result<ConnectionSettings, Failure> {
    let file = config::load_file(&paths.config_file)?;
    let env = SettingsLayer::from_env(env_lookup)?;
    Ok(args.layer().over(env.over(file)).resolve())
}

/// Logs go to a file in the data directory, never to the terminal.
fn init_logging(paths: &Paths) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = paths.log_dir();
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::never(&dir, "moveforce.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("MOVEFORCE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}

pub fn main() -> ExitCode {
    // A usage mistake could not run: exit 1, as the README says (clap's own default is 2,
    // which here means "some moves failed").
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                EXIT_FAILED
            } else {
                EXIT_OK
            });
        }
    };
    let json = cli.wants_json();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("moveforce: cannot start: {err}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("moveforce: {}", failure.message);
            // Scripts reading --json still get one JSON object.
            if json {
                out!(
                    "{}",
                    serde_json::json!({"ok": false, "error": failure.message})
                );
            }
            ExitCode::from(failure.code)
        }
    }
}

async fn run(cli: Cli) -> Result<u8, Failure> {
    let paths = Paths::discover(env_lookup)?;
    // The demo logs into its own temporary folder.
    let _log_guard = match cli.command {
        Some(Command::Demo) => None,
        _ => init_logging(&paths),
    };
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "moveforce starting");
    match cli.command {
        None => console(cli.plan, &cli.connection, paths).await,
        Some(Command::Demo) => demo().await,
        Some(Command::Sandbox(args)) => sandbox(args).await,
        Some(Command::Check(args)) => headless::check(&args.connection, &paths, args.json).await,
        Some(Command::Fields(args::FieldsCommand::Check(args))) => {
            headless::fields_check(&args.connection, &paths, args.json).await
        }
        Some(Command::Fields(args::FieldsCommand::Fix(args))) => {
            headless::fields_fix(&paths, args).await
        }
        Some(Command::Push(args)) => headless::push(&paths, args).await,
        Some(Command::Undo(args)) => headless::undo(&paths, args).await,
        Some(Command::Status(args)) => headless::status(&paths, args),
    }
}

async fn console(
    plan: Option<std::path::PathBuf>,
    connection: &args::ConnectionArgs,
    paths: Paths,
) -> Result<u8, Failure> {
    crate::tui::require_tty()?;
    let plan = match plan {
        Some(path) => Some(crate::plan::load(
            &path,
            crate::plan::MapOptions::default(),
        )?),
        None => None,
    };
    let settings = resolve_settings(connection, &paths)?;
    crate::tui::run(crate::tui::ConsoleOptions {
        plan,
        settings,
        connect_on_start: false,
        paths,
        banner: None,
    })
    .await?;
    Ok(EXIT_OK)
}

/// The sample plan the demo opens.
const SAMPLE_PLAN: &[u8] = include_bytes!("../../samples/q3-platform-eng.json");

/// The console on an in-process sandbox, with a throw-away data directory: the operator's
/// real ledger, config and log are never touched.
async fn demo() -> Result<u8, Failure> {
    crate::tui::require_tty()?;
    let data = tempfile::Builder::new()
        .prefix("moveforce-demo-")
        .tempdir()?;
    let paths = Paths {
        config_file: data.path().join("config.toml"),
        data_dir: data.path().to_path_buf(),
    };
    let _log_guard = init_logging(&paths);
    let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    let plan = crate::plan::parse(
        "q3-platform-eng.json (sample)",
        crate::plan::Format::Json,
        SAMPLE_PLAN,
        crate::plan::MapOptions::default(),
    )?;
    let creds = SandboxCredentials::default();
    let settings = ConnectionSettings {
        login_url: sandbox.base_url(),
        flow: config::Flow::Password,
        client_id: creds.client_id,
        client_secret: creds.client_secret.into(),
        username: creds.username,
        password: creds.password.into(),
        security_token: Default::default(),
        api_version: config::DEFAULT_API_VERSION.to_owned(),
    };
    let banner = format!(
        "demo: sandbox org at {} - temporary data, nothing real is touched",
        sandbox.base_url()
    );
    let result = crate::tui::run(crate::tui::ConsoleOptions {
        plan: Some(plan),
        settings,
        connect_on_start: true,
        paths,
        banner: Some(banner),
    })
    .await;
    sandbox.stop().await;
    result?;
    Ok(EXIT_OK)
}

async fn sandbox(args: args::SandboxArgs) -> Result<u8, Failure> {
    let knobs = *args.knobs;
    let defaults = SandboxCredentials::default();
    let credentials = SandboxCredentials {
        client_id: args.client_id.unwrap_or(defaults.client_id),
        client_secret: args.client_secret.unwrap_or(defaults.client_secret),
        username: args.username.unwrap_or(defaults.username),
        password: args.password.unwrap_or(defaults.password),
        security_token: args.security_token.or(defaults.security_token),
    };
    let mut quirks = Quirks::default();
    for quirk in &knobs.quirk {
        match quirk {
            SandboxQuirk::InvalidClient401 => quirks.invalid_client_status = 401,
            SandboxQuirk::DeleteFailuresWithoutId => quirks.delete_failure_id = false,
            SandboxQuirk::MalformedId400 => quirks.malformed_id_bad_request = true,
            SandboxQuirk::RejectExternalIdInBody => quirks.reject_external_id_in_body = true,
            SandboxQuirk::CountCodePoints => quirks.length_in_code_points = true,
            SandboxQuirk::ClientCredentialsDisabled => {
                quirks.client_credentials_disabled_error = Some("unsupported_grant_type".into());
            }
            SandboxQuirk::SaveResultExtras => quirks.save_result_extras = true,
        }
    }
    let config = SandboxConfig {
        bind: std::net::SocketAddr::new(args.bind, args.port),
        allow_non_loopback: args.allow_non_loopback,
        credentials,
        query_page_size: usize::try_from(knobs.query_page_size).unwrap_or(2000),
        tls: knobs.tls,
        latency_ms: knobs.latency_ms,
        fault_rate: knobs.fault_rate,
        seed: knobs.seed,
        session_ttl_s: knobs.session_ttl_s,
        api_limit: knobs.api_limit,
        external_id_unique: !knobs.non_unique_external_id,
        setup: match knobs.setup {
            args::SandboxSetup::Complete => Setup::Complete,
            args::SandboxSetup::Blank => Setup::Blank,
        },
        user_can_customize: !knobs.no_customize,
        user_case_access: CaseAccess {
            create: !knobs.no_case_create,
            delete: !knobs.no_case_delete,
        },
        quirks,
    };
    let sandbox = Sandbox::start(config).await.map_err(|e| match e {
        SandboxError::NonLoopback(addr) => Failure::new(format!(
            "refusing to listen on {addr}: the sandbox has no real security; add --allow-non-loopback if you mean it"
        )),
        other => Failure::new(other.to_string()),
    })?;
    if let (Some(path), Some(pem)) = (&knobs.cert_out, sandbox.certificate_pem()) {
        std::fs::write(path, pem).map_err(|e| {
            Failure::new(format!(
                "cannot write the certificate to {}: {e}",
                path.display()
            ))
        })?;
    }
    out!("{}", sandbox.banner());
    if let Some(path) = &knobs.cert_out {
        out!("certificate (PEM) for clients to trust: {}", path.display());
    }
    wait_for_stop_signal().await;
    sandbox.stop().await;
    Ok(EXIT_OK)
}

/// Ctrl-C, SIGTERM or SIGHUP.
async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let hup = signal(SignalKind::hangup());
        if let (Ok(mut term), Ok(mut hup)) = (term, hup) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
                _ = hup.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
