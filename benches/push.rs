//! Figures for pushes, undos and plan reading, each next to its floor or target.
//!
//!   cargo bench --bench push
//!
//! - push and undo of 10,000 moves against the sandbox with 50 ms of latency, at C = 1, 4
//!   and 8: wall time and its ratio to the round-trip floor (2 + ⌈⌈N/200⌉/C⌉) × 50 ms;
//! - the same push made by jsforce's upsert (when tests/conformance/run.sh has installed it);
//! - reading and validating plans of 10,000 and 100,000 moves, JSON and CSV: time and peak
//!   memory, each in a child process so the peak is the read's own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use moveforce::config::{ConnectionSettings, Flow};
use moveforce::engine::{self, RunOptions};
use moveforce::ledger::Ledger;
use moveforce::plan::{self, MapOptions, synthetic};
use moveforce::salesforce::SalesforceClient;
use moveforce::sandbox::{Sandbox, SandboxConfig, SandboxCredentials};

/// The sandbox's added server time; `MOVEFORCE_BENCH_LATENCY_MS` overrides it to study
/// fixed costs (at 0 only moveforce's and the sandbox's own work remains).
fn latency_ms() -> u64 {
    std::env::var("MOVEFORCE_BENCH_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
}
/// Moves pushed: 10,000 under `cargo bench`; a small smoke run under `cargo test`, which
/// builds and runs bench targets too (without `--bench`).
fn push_moves() -> usize {
    if smoke() { 600 } else { 10_000 }
}

fn smoke() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--read-plan") {
        if let Some(file) = args.get(at + 1) {
            read_plan_child(Path::new(file));
        }
        return;
    }
    // `cargo bench --bench push -- plans` (or `-- push`) runs one part only.
    let only = |part: &str| {
        !args.iter().any(|a| a == "plans" || a == "push") || args.iter().any(|a| a == part)
    };
    if !only("push") {
        println!("== reading and validating plans (target: 100,000 moves in under 1 s)");
        plan_figures();
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    println!(
        "== push and undo: {} moves, sandbox latency {} ms{}",
        push_moves(),
        latency_ms(),
        if smoke() {
            " (smoke run: `cargo bench --bench push` for the figures)"
        } else {
            ""
        }
    );
    runtime.block_on(push_figures());
    if !only("plans") {
        return;
    }
    println!();
    println!("== reading and validating plans (target: 100,000 moves in under 1 s)");
    plan_figures();
}

fn settings(sandbox: &Sandbox) -> ConnectionSettings {
    let creds = SandboxCredentials::default();
    ConnectionSettings {
        login_url: sandbox.base_url(),
        flow: Flow::Password,
        client_id: creds.client_id,
        client_secret: creds.client_secret.into(),
        username: creds.username,
        password: creds.password.into(),
        security_token: Default::default(),
        api_version: "62.0".to_owned(),
    }
}

/// The round-trip floor: token and describe, then ⌈⌈N/200⌉/C⌉ rounds of requests.
fn floor(moves: usize, concurrency: usize) -> Duration {
    let batches = moves.div_ceil(200);
    let rounds = 2 + batches.div_ceil(concurrency);
    Duration::from_millis(rounds as u64 * latency_ms())
}

async fn push_figures() {
    let sandbox = Sandbox::start(SandboxConfig {
        latency_ms: latency_ms(),
        ..Default::default()
    })
    .await
    .expect("sandbox");
    let plan = plan::parse(
        "bench.json",
        plan::Format::Json,
        synthetic::json("BENCH", push_moves() * 10 / 7 + 1).as_bytes(),
        MapOptions::default(),
    )
    .expect("plan");
    let drafts: Vec<_> = plan
        .now_moves()
        .take(push_moves())
        .map(|mv| plan::map_move(&plan, mv))
        .collect();
    println!(
        "{:<8} {:>3} {:>10} {:>10} {:>7}  target",
        "run", "C", "wall", "floor", "ratio"
    );
    let mut c8 = None;
    for concurrency in [1, 4, 8] {
        let dir = tempfile::tempdir().expect("temp dir");
        let ledger = Mutex::new(Ledger::open(&dir.path().join("ledger.sqlite3")).expect("ledger"));
        let options = RunOptions { concurrency };

        let client = SalesforceClient::new(settings(&sandbox)).expect("client");
        let started = Instant::now();
        let (counts, _) = engine::push(
            &client,
            &ledger,
            "BENCH",
            "Bench",
            &drafts,
            options,
            |_, _, _| {},
        )
        .await
        .expect("push");
        let push = started.elapsed();
        assert_eq!(counts.created + counts.updated, drafts.len());
        // CaseNumbers are read after the push (not part of the floor); shown apart.
        let started = Instant::now();
        let numbers = engine::fill_case_numbers(&client, &ledger, "BENCH", options, &mut [])
            .await
            .expect("case numbers");
        let numbers_time = started.elapsed();
        assert_eq!(numbers.len(), drafts.len());

        let client = SalesforceClient::new(settings(&sandbox)).expect("client");
        let started = Instant::now();
        let (counts, _) = engine::undo(&client, &ledger, "BENCH", None, options, |_, _, _| {})
            .await
            .expect("undo");
        let undo = started.elapsed();
        assert_eq!(counts.deleted, drafts.len());

        let floor = floor(drafts.len(), concurrency);
        for (name, wall) in [("push", push), ("undo", undo)] {
            let target = if concurrency == 8 { "<= 1.30" } else { "" };
            println!(
                "{name:<8} {concurrency:>3} {:>8.0}ms {:>8.0}ms {:>7.2}  {target}",
                wall.as_secs_f64() * 1000.0,
                floor.as_secs_f64() * 1000.0,
                wall.as_secs_f64() / floor.as_secs_f64()
            );
        }
        println!(
            "{:<8} {concurrency:>3} {:>8.0}ms  (CaseNumbers read after the push: {} queries)",
            "numbers",
            numbers_time.as_secs_f64() * 1000.0,
            drafts.len().div_ceil(500)
        );
        if concurrency == 8 {
            c8 = Some(push);
        }
    }
    if smoke() {
        sandbox.stop().await;
        return;
    }
    match jsforce_push(&sandbox, drafts.len()) {
        Some(ms) => {
            let ours = c8.map(|d| d.as_secs_f64() * 1000.0).unwrap_or(f64::NAN);
            println!(
                "jsforce  upsert of the same {} records: {ms:.0} ms; moveforce at C=8 is {:.1}x faster (target >= 4x)",
                drafts.len(),
                ms / ours
            );
        }
        None => println!(
            "jsforce  skipped: install it first with `bash tests/conformance/run.sh jsforce`"
        ),
    }
    sandbox.stop().await;
}

/// Runs the jsforce upsert script against the sandbox; its wall time in ms.
fn jsforce_push(sandbox: &Sandbox, records: usize) -> Option<f64> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/jsforce");
    if !dir.join("node_modules/jsforce").exists() {
        return None;
    }
    let creds = SandboxCredentials::default();
    let output = Command::new("node")
        .arg("bench_upsert.mjs")
        .current_dir(&dir)
        .env("SF_URL", sandbox.base_url())
        .env("SF_CLIENT_ID", &creds.client_id)
        .env("SF_CLIENT_SECRET", &creds.client_secret)
        .env("SF_USERNAME", &creds.username)
        .env("SF_PASSWORD", &creds.password)
        .env("N", records.to_string())
        .output()
        .ok()?;
    let line = String::from_utf8_lossy(&output.stdout);
    let value: serde_json::Value = serde_json::from_str(line.trim()).ok()?;
    value["ms"].as_f64()
}

fn plan_figures() {
    let dir = tempfile::tempdir().expect("temp dir");
    println!(
        "{:<24} {:>10} {:>10} {:>12}",
        "plan", "size", "read", "peak memory"
    );
    let sizes: &[usize] = if smoke() {
        &[1_000]
    } else {
        &[10_000, 100_000]
    };
    for &moves in sizes {
        for (ext, text) in [
            ("json", synthetic::json("READ", moves)),
            ("csv", synthetic::csv("READ", moves)),
        ] {
            let path = dir.path().join(format!("plan-{moves}.{ext}"));
            std::fs::write(&path, &text).expect("write plan");
            let exe = std::env::current_exe().expect("bench binary");
            let output = Command::new(exe)
                .arg("--read-plan")
                .arg(&path)
                .output()
                .expect("child");
            let figures = String::from_utf8_lossy(&output.stdout);
            let mut parts = figures.split_whitespace();
            let ms: f64 = parts
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(f64::NAN);
            let kb: f64 = parts
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(f64::NAN);
            println!(
                "{:<24} {:>8.1}MB {:>8.0}ms {:>10.0}MB",
                format!("{moves} moves, {ext}"),
                text.len() as f64 / 1e6,
                ms,
                kb / 1024.0
            );
        }
    }
}

/// In a child: read and validate one plan, print "ms peak_kb".
fn read_plan_child(path: &Path) {
    let started = Instant::now();
    let plan = plan::load(path, MapOptions::default()).expect("plan reads");
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .unwrap_or_default();
    assert!(!plan.moves.is_empty());
    println!("{ms:.1} {peak}");
}
