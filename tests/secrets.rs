//! Secrets stay secret: after a run of every command against the sandbox (including a
//! failed login and verbose logging), the client secret, password, security token and any
//! access token appear nowhere: not in output, `--json`, the log, the ledger, the snapshots or
//! the console's screen.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use moveforce::sandbox::{Sandbox, SandboxConfig, SandboxCredentials};

const CLIENT_SECRET: &str = "Zq-client-secret-7781";
const PASSWORD: &str = "Zq-password-9931";
const TOKEN: &str = "ZqSecurityToken4410";

fn secrets() -> [&'static str; 3] {
    [CLIENT_SECRET, PASSWORD, TOKEN]
}

/// Access tokens start with the org id and `!`.
fn access_token_marker(text: &str) -> bool {
    text.contains("00D5g000004SBoxEAG!")
}

fn run(sandbox: &Sandbox, data: &Path, args: &[&str], password: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_moveforce"))
        .args(args)
        .env("MOVEFORCE_DATA_DIR", data)
        .env("MOVEFORCE_LOG", "trace")
        .env("MOVEFORCE_LOGIN_URL", sandbox.base_url())
        .env("MOVEFORCE_CLIENT_ID", "moveforce-sandbox")
        .env("MOVEFORCE_CLIENT_SECRET", CLIENT_SECRET)
        .env("MOVEFORCE_USERNAME", "integration@moveforce.sandbox")
        .env("MOVEFORCE_PASSWORD", password)
        .env("MOVEFORCE_SECURITY_TOKEN", TOKEN)
        .stdin(Stdio::null())
        .output()
        .expect("run");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(files_under(&path));
            } else {
                files.push(path);
            }
        }
    }
    files
}

fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for secret in secrets() {
        assert!(!text.contains(secret), "{what} holds a secret");
    }
    assert!(!access_token_marker(&text), "{what} holds an access token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_output_log_ledger_or_snapshots() {
    let sandbox = Sandbox::start(SandboxConfig {
        credentials: SandboxCredentials {
            client_secret: CLIENT_SECRET.to_owned(),
            password: PASSWORD.to_owned(),
            security_token: Some(TOKEN.to_owned()),
            ..Default::default()
        },
        ..Default::default()
    })
    .await
    .expect("sandbox");
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let plan = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/q3-platform-eng.json");

    let mut output = String::new();
    for args in [
        vec!["check"],
        vec!["check", "--json"],
        vec!["push", plan, "--yes", "--json"],
        vec!["push", plan, "--yes"],
        vec!["status", "MP-2025-014", "--json"],
        vec!["undo", plan, "--yes", "--json"],
    ] {
        output.push_str(&run(&sandbox, &data, &args, PASSWORD));
    }
    assert!(
        output.contains("\"created\": 5"),
        "the run really pushed: {output}"
    );
    // A refused login, whose error text quotes what Salesforce said.
    let refused = run(
        &sandbox,
        &data,
        &["push", plan, "--yes"],
        "wrong-password-Zq",
    );
    assert!(refused.contains("invalid_grant"), "{refused}");
    assert!(!refused.contains("wrong-password-Zq"));
    output.push_str(&refused);
    assert_clean("command output", output.as_bytes());

    let files = files_under(&data);
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().contains("moveforce.log")),
        "{files:?}"
    );
    assert!(
        files.iter().any(|f| f.to_string_lossy().contains("ledger")),
        "{files:?}"
    );
    for file in files {
        let bytes = std::fs::read(&file).expect("read");
        assert_clean(&file.display().to_string(), &bytes);
    }
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots");
    for file in files_under(&snapshots) {
        let bytes = std::fs::read(&file).expect("read");
        assert_clean(&file.display().to_string(), &bytes);
    }
    sandbox.stop().await;
}
