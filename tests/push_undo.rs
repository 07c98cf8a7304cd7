//! End to end against the sandbox on loopback: push the example plan headless, check with
//! SOQL through the client that exactly the now-moves exist with the right values, push
//! again (updated, no duplicates), undo, check that none remain.

use std::path::{Path, PathBuf};
use std::process::Command;

use moveforce::config::{ConnectionSettings, Flow};
use moveforce::plan::{self, MapOptions, map_move};
use moveforce::salesforce::{SalesforceClient, soql};
use moveforce::sandbox::{Sandbox, SandboxConfig, SandboxCredentials};
use serde_json::Value;

fn settings(sandbox: &Sandbox, flow: Flow) -> ConnectionSettings {
    let creds = SandboxCredentials::default();
    ConnectionSettings {
        login_url: sandbox.base_url(),
        flow,
        client_id: creds.client_id,
        client_secret: creds.client_secret.into(),
        username: creds.username,
        password: creds.password.into(),
        security_token: Default::default(),
        api_version: "62.0".to_owned(),
    }
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/q3-platform-eng.json")
}

/// Runs the real binary against the sandbox with a private data directory.
fn moveforce(sandbox: &Sandbox, data_dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let creds = SandboxCredentials::default();
    let output = Command::new(env!("CARGO_BIN_EXE_moveforce"))
        .args(args)
        .env("MOVEFORCE_DATA_DIR", data_dir)
        .env("MOVEFORCE_LOGIN_URL", sandbox.base_url())
        .env("MOVEFORCE_FLOW", "password")
        .env("MOVEFORCE_CLIENT_ID", &creds.client_id)
        .env("MOVEFORCE_CLIENT_SECRET", &creds.client_secret)
        .env("MOVEFORCE_USERNAME", &creds.username)
        .env("MOVEFORCE_PASSWORD", &creds.password)
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (output.status.code().unwrap_or(-1), json, stderr)
}

async fn cases_of(client: &SalesforceClient, ids: &[&str]) -> Vec<serde_json::Map<String, Value>> {
    let query = format!(
        "SELECT Id, CaseNumber, ExternalID__c, Subject, Department__c, Team__c, CurrentSeat__c, NewSeat__c, EmployeeAssets__c, EmployeeNotes__c FROM Case WHERE ExternalID__c IN {} ORDER BY ExternalID__c",
        soql::quote_list(ids.iter().copied())
    );
    client.query(&query).await.expect("query").records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_push_then_undo_leaves_the_org_as_the_plan_says() {
    let sandbox = Sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox");
    let data = tempfile::tempdir().expect("temp dir");
    let plan_path = sample();
    let plan_file = plan_path.to_str().expect("utf-8 path");
    let plan = plan::load(&plan_path, MapOptions::default()).expect("plan");
    let all_ids: Vec<&str> = plan.moves.iter().map(|m| m.move_id.as_str()).collect();

    let (code, out, err) = moveforce(
        &sandbox,
        data.path(),
        &["push", plan_file, "--yes", "--json"],
    );
    assert_eq!(code, 0, "push failed: {err}\n{out}");
    assert_eq!(out["created"], 5);
    assert_eq!(out["updated"], 0);
    assert_eq!(out["failed"], 0);
    assert_eq!(out["skipped"], 3);
    assert_eq!(out["results"].as_array().map(Vec::len), Some(8));

    let client =
        SalesforceClient::new(settings(&sandbox, Flow::ClientCredentials)).expect("client");
    let found = cases_of(&client, &all_ids).await;
    let found_ids: Vec<&str> = found
        .iter()
        .filter_map(|r| r["ExternalID__c"].as_str())
        .collect();
    let now_ids: Vec<&str> = plan.now_moves().map(|m| m.move_id.as_str()).collect();
    assert_eq!(found_ids, now_ids, "exactly the now-moves exist as Cases");
    for record in &found {
        let mv = plan
            .moves
            .iter()
            .find(|m| Some(m.move_id.as_str()) == record["ExternalID__c"].as_str())
            .expect("a plan move");
        let case = map_move(&plan, mv);
        for (field, value) in case.fields() {
            if field == "Description" {
                continue; // not selected above
            }
            assert_eq!(record[field].as_str(), value, "{field} of {}", mv.move_id);
        }
        assert!(record["CaseNumber"].as_str().is_some_and(|n| !n.is_empty()));
    }

    // Again: every Case updated in place, none duplicated.
    let (code, out, err) = moveforce(
        &sandbox,
        data.path(),
        &["push", plan_file, "--yes", "--json"],
    );
    assert_eq!(code, 0, "second push failed: {err}");
    assert_eq!(
        (out["created"].as_u64(), out["updated"].as_u64()),
        (Some(0), Some(5))
    );
    assert_eq!(cases_of(&client, &all_ids).await.len(), 5);
    assert_eq!(sandbox.case_count(), 5);

    let (code, status, _) = moveforce(&sandbox, data.path(), &["status", "MP-2025-014", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(status["pushed"], 5);

    let (code, out, err) = moveforce(
        &sandbox,
        data.path(),
        &["undo", "MP-2025-014", "--yes", "--json"],
    );
    assert_eq!(code, 0, "undo failed: {err}");
    assert_eq!(out["deleted"], 5);
    assert_eq!(out["failed"], 0);
    assert!(
        cases_of(&client, &all_ids).await.is_empty(),
        "no Case remains"
    );
    assert_eq!(sandbox.case_count(), 0);

    // Undo again: nothing left to delete, nothing fails.
    let (code, out, _) = moveforce(
        &sandbox,
        data.path(),
        &["undo", plan_file, "--yes", "--json"],
    );
    assert_eq!(code, 0);
    assert_eq!(out["deleted"], 0);
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_move_id_reaches_salesforce_byte_for_byte() {
    let sandbox = Sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox");
    let data = tempfile::tempdir().expect("temp dir");
    let ids = [
        "a/b/c",
        "hash#tag",
        "what?now",
        "100%",
        "O'Brien",
        "semi;colon",
        "with space",
        "dots.in.it.",
        "山田-花子",
        "Ελληνικά",
        "back\\slash",
        "quote\"d",
        "emoji🙂",
    ];
    let moves: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            serde_json::json!({
                "move_id": id, "move_type": "seat", "now": true,
                "employee": {"employee_id": format!("E{i:03}"), "name": format!("Person {i}")},
                "department": "Ops", "current_seat": null,
                "new_seat": {"building_code": "B", "floor_code": "1", "seat_code": format!("1/{i}")}
            })
        })
        .collect();
    let plan = serde_json::json!({"schema_version": "1.0", "plan_id": "odd ids / #1", "plan_name": "Odd ids", "moves": moves});
    let path = data.path().join("odd.json");
    std::fs::write(&path, plan.to_string()).expect("write plan");
    let plan_file = path.to_str().expect("utf-8 path");

    let (code, out, err) = moveforce(
        &sandbox,
        data.path(),
        &["push", plan_file, "--yes", "--json"],
    );
    assert_eq!(code, 0, "{err}\n{out}");
    assert_eq!(out["created"].as_u64(), Some(ids.len() as u64));

    let client = SalesforceClient::new(settings(&sandbox, Flow::Password)).expect("client");
    for id in ids {
        let query = format!(
            "SELECT Id, ExternalID__c FROM Case WHERE ExternalID__c = {}",
            soql::quote(id)
        );
        let records = client.query(&query).await.expect("query").records;
        assert_eq!(records.len(), 1, "one Case for {id:?}");
        assert_eq!(records[0]["ExternalID__c"].as_str(), Some(id));
    }
    let (code, out, err) = moveforce(
        &sandbox,
        data.path(),
        &["undo", plan_file, "--yes", "--json"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["deleted"].as_u64(), Some(ids.len() as u64));
    assert_eq!(sandbox.case_count(), 0);
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_reads_many_pages_and_types_errors() {
    let sandbox = Sandbox::start(SandboxConfig {
        query_page_size: 2,
        ..Default::default()
    })
    .await
    .expect("sandbox");
    let client = SalesforceClient::new(settings(&sandbox, Flow::Password)).expect("client");
    let info = client.login().await.expect("login");
    assert!(info.org_id.starts_with("00D"), "{info:?}");
    assert_eq!(info.username, SandboxCredentials::default().username);

    let plan = plan::load(&sample(), MapOptions::default()).expect("plan");
    let drafts: Vec<_> = plan.now_moves().map(|m| map_move(&plan, m)).collect();
    let results = client.upsert_cases(&drafts).await.expect("upsert");
    assert_eq!(results.len(), 5);
    let all = client.query("SELECT Id FROM Case").await.expect("query");
    assert_eq!(
        (all.total_size, all.records.len()),
        (5, 5),
        "three pages of two, followed"
    );

    let err = client
        .query("SELECT FROM Case WHERE")
        .await
        .expect_err("malformed");
    assert_eq!(err.code(), Some("MALFORMED_QUERY"));

    let mut wrong = settings(&sandbox, Flow::Password);
    wrong.password = "nope".into();
    let err = SalesforceClient::new(wrong)
        .expect("client")
        .login()
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Some("invalid_grant"));
    assert!(!err.to_string().contains("nope"));
    sandbox.stop().await;
}
