//! Setup verification and repair against the sandbox as an org with setup state: a blank
//! org is reported field by field, repaired by `moveforce fields fix`, and then takes a
//! push; an org an admin broke is reported with exactly its problems.

use std::path::Path;
use std::process::{Command, Stdio};

use moveforce::sandbox::{
    CaseAccess, FieldMetadata, Sandbox, SandboxConfig, SandboxCredentials, Setup,
};
use serde_json::Value;

fn run(sandbox: &Sandbox, data: &Path, args: &[&str]) -> (i32, Value, String) {
    let creds = SandboxCredentials::default();
    let output = Command::new(env!("CARGO_BIN_EXE_moveforce"))
        .args(args)
        .env("MOVEFORCE_DATA_DIR", data)
        .env("MOVEFORCE_LOGIN_URL", sandbox.base_url())
        .env("MOVEFORCE_CLIENT_ID", &creds.client_id)
        .env("MOVEFORCE_CLIENT_SECRET", &creds.client_secret)
        .env("MOVEFORCE_USERNAME", &creds.username)
        .env("MOVEFORCE_PASSWORD", &creds.password)
        .stdin(Stdio::null())
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let text = format!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    (
        output.status.code().unwrap_or(-1),
        serde_json::from_str(&stdout).unwrap_or(Value::Null),
        text,
    )
}

fn statuses(report: &Value) -> Vec<(String, String)> {
    report["fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .map(|f| {
                    (
                        f["name"].as_str().unwrap_or_default().to_owned(),
                        f["status"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

const FIELDS: [&str; 7] = [
    "ExternalID__c",
    "Department__c",
    "Team__c",
    "CurrentSeat__c",
    "NewSeat__c",
    "EmployeeAssets__c",
    "EmployeeNotes__c",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blank_org_is_repaired_and_then_takes_a_push() {
    let sandbox = Sandbox::start(SandboxConfig {
        setup: Setup::Blank,
        ..Default::default()
    })
    .await
    .expect("sandbox");
    let data = tempfile::tempdir().expect("temp dir");
    let (code, report, text) = run(&sandbox, data.path(), &["fields", "check", "--json"]);
    assert_eq!(code, 2, "{text}");
    assert_eq!(report["ok"], false);
    let expected: Vec<(String, String)> = FIELDS
        .iter()
        .map(|f| (f.to_string(), "missing".to_owned()))
        .collect();
    assert_eq!(statuses(&report), expected);
    for field in report["fields"].as_array().expect("fields") {
        assert!(
            field["detail"]
                .as_str()
                .is_some_and(|d| d.contains("Setup >")),
            "{field}"
        );
        assert!(field["expected"].as_str().is_some_and(|e| !e.is_empty()));
    }

    // A push is refused before anything is sent.
    let plan = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/q3-platform-eng.json");
    let (code, _, text) = run(&sandbox, data.path(), &["push", plan, "--yes"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("moveforce check") || text.contains("Fields tab"),
        "{text}"
    );
    assert_eq!(sandbox.case_count(), 0);

    let (code, fixed, text) = run(&sandbox, data.path(), &["fields", "fix", "--yes", "--json"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(fixed["ok"], true);
    let steps = fixed["steps"].as_array().expect("steps");
    assert_eq!(
        steps.len(),
        10,
        "7 fields, the permission set, its assignment, the grants"
    );
    assert!(steps.iter().all(|s| s["ok"] == true), "{steps:?}");
    let metadata = sandbox.field_metadata("EmployeeNotes__c").expect("created");
    assert_eq!(
        (metadata.length, metadata.visible_lines),
        (Some(1024), Some(2))
    );
    assert!(
        sandbox
            .field_metadata("ExternalID__c")
            .is_some_and(|m| m.external_id && m.unique)
    );

    let (code, report, _) = run(&sandbox, data.path(), &["fields", "check", "--json"]);
    assert_eq!(code, 0);
    assert!(statuses(&report).iter().all(|(_, s)| s == "ok"), "{report}");

    let (code, pushed, text) = run(&sandbox, data.path(), &["push", plan, "--yes", "--json"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(pushed["created"], 5);

    // Fixing again changes nothing.
    let (code, again, _) = run(&sandbox, data.path(), &["fields", "fix", "--yes", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(again["steps"].as_array().map(Vec::len), Some(0));
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_an_admin_broke_is_named_exactly_and_repaired() {
    let sandbox = Sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox");
    let data = tempfile::tempdir().expect("temp dir");
    // Field permissions of one field removed; a field recreated shorter; External ID unticked.
    assert!(sandbox.admin_revoke_field_access("Team__c") > 0);
    assert!(sandbox.admin_delete_field("NewSeat__c"));
    sandbox
        .admin_set_field("NewSeat__c", FieldMetadata::text("NewSeat", 80))
        .expect("short field");
    sandbox
        .admin_grant_field_access("NewSeat__c", true, true)
        .expect("visible");
    let mut external = sandbox.field_metadata("ExternalID__c").expect("field");
    external.external_id = false;
    external.unique = false;
    sandbox
        .admin_set_field("ExternalID__c", external)
        .expect("unticked");

    let (code, report, text) = run(&sandbox, data.path(), &["fields", "check", "--json"]);
    assert_eq!(code, 2, "{text}");
    let mut expected: Vec<(String, String)> = FIELDS
        .iter()
        .map(|f| (f.to_string(), "ok".to_owned()))
        .collect();
    expected[0].1 = "not_external_id".to_owned();
    expected[2].1 = "hidden".to_owned();
    expected[4].1 = "wrong_length".to_owned();
    assert_eq!(statuses(&report), expected);
    let detail = |name: &str| {
        report["fields"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["name"] == name))
            .and_then(|f| f["detail"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        detail("Team__c").contains("Field-Level Security"),
        "{}",
        detail("Team__c")
    );
    assert!(
        detail("NewSeat__c").contains("80"),
        "{}",
        detail("NewSeat__c")
    );
    assert!(detail("ExternalID__c").contains("External ID"));

    let (code, fixed, text) = run(&sandbox, data.path(), &["fields", "fix", "--yes", "--json"]);
    assert_eq!(code, 0, "{text}");
    let steps: Vec<&str> = fixed["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["step"].as_str())
        .collect();
    assert!(
        steps
            .iter()
            .any(|s| s.starts_with("widen NewSeat__c from 80")),
        "{steps:?}"
    );
    assert!(
        steps.iter().any(|s| s.starts_with("mark ExternalID__c")),
        "{steps:?}"
    );
    assert!(
        steps
            .iter()
            .any(|s| s.contains("grant Read and Edit on Team__c")),
        "{steps:?}"
    );
    assert!(
        !steps
            .iter()
            .any(|s| s.starts_with("create ") && s.contains("__c")),
        "no field recreated: {steps:?}"
    );
    assert!(statuses(&fixed).iter().all(|(_, s)| s == "ok"), "{fixed}");
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_cannot_be_repaired_is_said_with_the_manual_step() {
    let sandbox = Sandbox::start(SandboxConfig {
        setup: Setup::Blank,
        user_can_customize: false,
        ..Default::default()
    })
    .await
    .expect("sandbox");
    let data = tempfile::tempdir().expect("temp dir");
    let (code, report, _) = run(&sandbox, data.path(), &["fields", "check", "--json"]);
    assert_eq!(code, 2);
    let first = &report["fields"][0];
    assert_eq!(first["status"], "missing");
    assert!(
        first["detail"]
            .as_str()
            .is_some_and(|d| d.contains("cannot tell")),
        "{first}"
    );

    let (code, fixed, text) = run(&sandbox, data.path(), &["fields", "fix", "--yes", "--json"]);
    assert_eq!(code, 2, "{text}");
    assert_eq!(fixed["steps"].as_array().map(Vec::len), Some(0));
    let manual = fixed["manual"][0].as_str().unwrap_or_default();
    assert!(manual.contains("administrator"), "{manual}");
    sandbox.stop().await;

    // A field of the wrong type is never deleted by moveforce.
    let sandbox = Sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox");
    assert!(sandbox.admin_delete_field("Team__c"));
    sandbox
        .admin_set_field("Team__c", FieldMetadata::long_text("Team", 1024, 2))
        .expect("wrong type");
    sandbox
        .admin_grant_field_access("Team__c", true, true)
        .expect("visible");
    let (code, fixed, _) = run(&sandbox, data.path(), &["fields", "fix", "--yes", "--json"]);
    assert_eq!(code, 2);
    assert!(
        fixed["manual"][0]
            .as_str()
            .is_some_and(|m| m.contains("Team__c") && m.contains("delete it")),
        "{fixed}"
    );
    assert!(sandbox.field_metadata("Team__c").is_some(), "still there");
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_names_missing_rights_on_case() {
    let sandbox = Sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox");
    sandbox.set_user_case_access(CaseAccess {
        create: true,
        delete: false,
    });
    let data = tempfile::tempdir().expect("temp dir");
    let (code, report, text) = run(&sandbox, data.path(), &["check", "--json"]);
    assert_eq!(code, 2, "{text}");
    assert_eq!(report["case_access"]["delete"], false);
    let problems = report["case_access"]["problems"].to_string();
    assert!(problems.contains("undo would fail"), "{problems}");
    assert!(
        report["connection"]["org_id"]
            .as_str()
            .is_some_and(|o| o.starts_with("00D"))
    );
    assert!(report["connection"]["api_usage"]["max"].as_u64().is_some());
    sandbox.stop().await;
}
