//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{Flow, SettingsLayer};
use crate::secret::Secret;

#[derive(Debug, Parser)]
#[command(
    name = "moveforce",
    version,
    about = "Push a move plan's now-moves to Salesforce as Cases, check the org's fields, and undo a plan.",
    long_about = "Push a move plan's now-moves to Salesforce as Cases, check the org's fields, and undo a plan.\n\nWithout a command, opens the console (with PLAN, on its Moves tab).\nConnection settings come from flags, then MOVEFORCE_* environment variables, then the saved config."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// A plan file (JSON or CSV) to open in the console.
    pub plan: Option<PathBuf>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

impl Cli {
    /// Whether the command asked for one JSON object on stdout.
    pub fn wants_json(&self) -> bool {
        match &self.command {
            Some(Command::Check(a)) => a.json,
            Some(Command::Fields(FieldsCommand::Check(a))) => a.json,
            Some(Command::Fields(FieldsCommand::Fix(a))) => a.json,
            Some(Command::Push(a)) => a.json,
            Some(Command::Undo(a)) => a.json,
            Some(Command::Status(a)) => a.json,
            _ => false,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the console on a local sandbox org with a sample plan (touches no real data).
    Demo,
    /// Serve a local Salesforce-compatible REST API for tests and trials.
    Sandbox(SandboxArgs),
    /// Test the connection and check the org's setup (fields, access to Cases).
    Check(CheckArgs),
    /// Check the seven Case fields, or repair them.
    #[command(subcommand)]
    Fields(FieldsCommand),
    /// Push the plan's now-moves as Cases (upsert by ExternalID__c).
    Push(PushArgs),
    /// Delete the Cases a plan created, as recorded in the ledger.
    Undo(UndoArgs),
    /// Show what the ledger holds: every plan, or one plan's Cases.
    Status(StatusArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Subcommand)]
pub enum FieldsCommand {
    /// One status per field; exit status 0 only when every field is ok.
    Check(CheckArgs),
    /// Create missing fields, widen short ones, grant access through a permission set.
    Fix(FixArgs),
}

#[derive(Debug, Args)]
pub struct FixArgs {
    /// Do not ask before changing the org.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// The plan file (JSON or CSV).
    pub plan: PathBuf,
    /// Do not ask before writing.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Refuse moves whose values would be cut to fit a field, instead of cutting them.
    #[arg(long)]
    pub strict: bool,
    /// Requests in flight at once, 1-16 (each carries up to 200 Cases).
    #[arg(long, default_value_t = crate::engine::DEFAULT_CONCURRENCY, value_parser = parse_concurrency)]
    pub concurrency: usize,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct UndoArgs {
    /// A plan id from the ledger, or a plan file (its plan id is used).
    pub plan: String,
    /// Do not ask before deleting.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Requests in flight at once, 1-16 (each carries up to 200 Cases).
    #[arg(long, default_value_t = crate::engine::DEFAULT_CONCURRENCY, value_parser = parse_concurrency)]
    pub concurrency: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// A plan id or plan file; without it, every plan in the ledger.
    pub plan: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 7878)]
    pub port: u16,
    /// Address to listen on; anything but loopback also needs --allow-non-loopback.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Allow listening on a non-loopback address (the sandbox has no real security).
    #[arg(long)]
    pub allow_non_loopback: bool,
    /// Client id (consumer key) the sandbox accepts.
    #[arg(long)]
    pub client_id: Option<String>,
    /// Client secret the sandbox accepts.
    #[arg(long)]
    pub client_secret: Option<String>,
    /// Username the sandbox accepts.
    #[arg(long)]
    pub username: Option<String>,
    /// Password the sandbox accepts.
    #[arg(long)]
    pub password: Option<String>,
    /// Security token the sandbox requires appended to the password.
    #[arg(long)]
    pub security_token: Option<String>,
    /// TLS, fault and fidelity knobs (boxed: they would make every Command large).
    #[command(flatten)]
    pub knobs: Box<SandboxKnobs>,
}

#[derive(Debug, Args)]
pub struct SandboxKnobs {
    /// Serve HTTPS with a self-signed certificate generated at start (127.0.0.1, localhost).
    #[arg(long)]
    pub tls: bool,
    /// Write the certificate (PEM) clients must trust to FILE; needs --tls.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub cert_out: Option<PathBuf>,
    /// Rows per query page before nextRecordsUrl (Salesforce: 2000).
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub query_page_size: u64,
    /// Server time added to every request, in milliseconds.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub latency_ms: u64,
    /// Fraction of data requests that fail: 503, a dropped connection, or a row lock on one
    /// record of a collections upsert/delete.
    #[arg(long, default_value_t = 0.0, value_name = "F", value_parser = parse_fraction)]
    pub fault_rate: f64,
    /// Seed for --fault-rate; the same seed gives the same faults.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,
    /// Sessions expire N seconds after they are issued (then 401 INVALID_SESSION_ID).
    #[arg(long, value_name = "N")]
    pub session_ttl_s: Option<u64>,
    /// Daily API requests before 403 REQUEST_LIMIT_EXCEEDED.
    #[arg(long, value_name = "N")]
    pub api_limit: Option<u64>,
    /// Let several Cases share an ExternalID__c (upserts then answer 300 / DUPLICATE_EXTERNAL_ID).
    #[arg(long)]
    pub non_unique_external_id: bool,
    /// Behaviour where Salesforce's documentation is unsure; repeat for several.
    #[arg(long, value_enum, value_name = "QUIRK")]
    pub quirk: Vec<SandboxQuirk>,
    /// The org's setup at start: complete (the seven Case fields, visible and writable) or
    /// blank (a new org without them).
    #[arg(long, value_enum, default_value = "complete", value_name = "SETUP")]
    pub setup: SandboxSetup,
    /// The integration user lacks "Customize Application" / "View Setup": the Tooling API
    /// and permission set changes are refused.
    #[arg(long)]
    pub no_customize: bool,
    /// The integration user cannot create Cases.
    #[arg(long)]
    pub no_case_create: bool,
    /// The integration user cannot delete Cases (undo fails).
    #[arg(long)]
    pub no_case_delete: bool,
}

/// The sandbox org's setup at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SandboxSetup {
    /// The seven Case fields exist and the integration user can read and edit them.
    Complete,
    /// A new org: none of the seven fields.
    Blank,
}

/// The sandbox's switchable behaviours (see `moveforce::sandbox::Quirks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SandboxQuirk {
    /// The token endpoint answers invalid_client with 401 instead of 400.
    InvalidClient401,
    /// Failed entries of a collections delete carry no `id`.
    DeleteFailuresWithoutId,
    /// A malformed record id answers 400 MALFORMED_ID instead of 404 NOT_FOUND.
    MalformedId400,
    /// Single-record upsert refuses the external-id field in the body.
    RejectExternalIdInBody,
    /// Text lengths count Unicode code points instead of UTF-16 units.
    CountCodePoints,
    /// The client-credentials flow is off (400 unsupported_grant_type).
    ClientCredentialsDisabled,
    /// Save results carry empty `warnings` and `infos` arrays.
    SaveResultExtras,
}

fn parse_fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(format!("`{text}` is not a number from 0 to 1")),
    }
}

/// Connection flags, the highest-priority source of settings.
#[derive(Debug, Args, Default)]
pub struct ConnectionArgs {
    /// Login URL: https://login.salesforce.com, https://test.salesforce.com or your My Domain.
    #[arg(long)]
    pub login_url: Option<String>,
    /// OAuth flow: password or client_credentials.
    #[arg(long, value_parser = parse_flow)]
    pub flow: Option<Flow>,
    /// Consumer key of the connected app.
    #[arg(long)]
    pub client_id: Option<String>,
    /// Consumer secret (prefer MOVEFORCE_CLIENT_SECRET: flags show in `ps`).
    #[arg(long)]
    pub client_secret: Option<String>,
    /// Integration user's username.
    #[arg(long)]
    pub username: Option<String>,
    /// Integration user's password (prefer MOVEFORCE_PASSWORD).
    #[arg(long)]
    pub password: Option<String>,
    /// Security token appended to the password (prefer MOVEFORCE_SECURITY_TOKEN).
    #[arg(long)]
    pub security_token: Option<String>,
    /// Salesforce API version, e.g. 62.0.
    #[arg(long)]
    pub api_version: Option<String>,
}

fn parse_concurrency(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=crate::engine::MAX_CONCURRENCY).contains(&n) => Ok(n),
        _ => Err(format!(
            "`{text}` is not a number from 1 to {}",
            crate::engine::MAX_CONCURRENCY
        )),
    }
}

fn parse_flow(text: &str) -> Result<Flow, String> {
    Flow::parse(text).ok_or_else(|| format!("`{text}` is not `password` or `client_credentials`"))
}

impl ConnectionArgs {
    pub fn layer(&self) -> SettingsLayer {
        SettingsLayer {
            login_url: self.login_url.clone(),
            flow: self.flow,
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone().map(Secret::new),
            username: self.username.clone(),
            password: self.password.clone().map(Secret::new),
            security_token: self.security_token.clone().map(Secret::new),
            api_version: self.api_version.clone(),
        }
    }
}
