//! Every response shape the client must survive, served by the sandbox (issue: the sandbox
//! speaks Salesforce). Each test names the shape it holds the client to.

use std::time::Duration;

use moveforce::config::{ConnectionSettings, Flow};
use moveforce::plan::CaseDraft;
use moveforce::salesforce::{
    DeleteResult, RetryPolicy, SalesforceClient, SfError, UpsertResult, advice::explain,
};
use moveforce::sandbox::{Fault, Sandbox, SandboxConfig, SandboxCredentials};

fn settings(sandbox: &Sandbox, api_version: &str) -> ConnectionSettings {
    let creds = SandboxCredentials::default();
    ConnectionSettings {
        login_url: sandbox.base_url(),
        flow: Flow::Password,
        client_id: creds.client_id,
        client_secret: creds.client_secret.into(),
        username: creds.username,
        password: creds.password.into(),
        security_token: Default::default(),
        api_version: api_version.to_owned(),
    }
}

/// Retries with tiny delays so the tests stay fast.
fn client(sandbox: &Sandbox, api_version: &str) -> SalesforceClient {
    SalesforceClient::new(settings(sandbox, api_version))
        .expect("client")
        .with_retry(RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        })
}

async fn sandbox_with(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("sandbox")
}

async fn sandbox() -> Sandbox {
    sandbox_with(SandboxConfig::default()).await
}

fn draft(id: &str) -> CaseDraft {
    CaseDraft {
        external_id: id.to_owned(),
        subject: format!("Seat move {id}"),
        description: "test".to_owned(),
        department: Some("Ops".to_owned()),
        team: None,
        current_seat: None,
        new_seat: Some("B · 1 · 1.01".to_owned()),
        employee_assets: None,
        employee_notes: None,
        truncated: Vec::new(),
    }
}

fn id_of(result: &UpsertResult) -> &str {
    match result {
        UpsertResult::Created { id } | UpsertResult::Updated { id } => id,
        UpsertResult::Failed { errors } => panic!("failed: {errors:?}"),
    }
}

#[tokio::test]
async fn collections_upsert_reads_created_true_and_created_false() {
    let sandbox = sandbox().await;
    let client = client(&sandbox, "62.0");
    let first = client.upsert_cases(&[draft("m1")]).await.expect("upsert");
    assert!(
        matches!(first[0], UpsertResult::Created { .. }),
        "{first:?}"
    );
    let again = client.upsert_cases(&[draft("m1")]).await.expect("upsert");
    assert!(
        matches!(again[0], UpsertResult::Updated { .. }),
        "{again:?}"
    );
    assert_eq!(id_of(&first[0]), id_of(&again[0]));
}

#[tokio::test]
async fn single_upsert_before_46_reads_201_and_204_without_body() {
    let sandbox = sandbox().await;
    let client = client(&sandbox, "45.0");
    let first = client
        .upsert_cases(&[draft("a/b #c?d%")])
        .await
        .expect("upsert");
    assert!(
        matches!(first[0], UpsertResult::Created { .. }),
        "{first:?}"
    );
    // The update answers 204 with no body; the client finds the Id itself.
    let again = client
        .upsert_cases(&[draft("a/b #c?d%")])
        .await
        .expect("upsert");
    assert!(
        matches!(again[0], UpsertResult::Updated { .. }),
        "{again:?}"
    );
    assert_eq!(id_of(&first[0]), id_of(&again[0]));
    assert_eq!(sandbox.case_count(), 1);
}

#[tokio::test]
async fn several_matches_are_a_300_or_a_per_record_failure() {
    let sandbox = sandbox_with(SandboxConfig {
        external_id_unique: false,
        ..Default::default()
    })
    .await;
    // Two Cases with one external id, as a non-unique field allows.
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("{}/services/oauth2/token", sandbox.base_url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "moveforce-sandbox"),
            ("client_secret", "sandbox-secret"),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let bearer = token["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    for _ in 0..2 {
        let status = http
            .post(format!(
                "{}/services/data/v62.0/sobjects/Case",
                sandbox.base_url()
            ))
            .bearer_auth(&bearer)
            .json(&serde_json::json!({"Subject": "dup", "ExternalID__c": "dup-1"}))
            .send()
            .await
            .expect("create")
            .status();
        assert_eq!(status.as_u16(), 201);
    }
    let old = client(&sandbox, "45.0")
        .upsert_cases(&[draft("dup-1")])
        .await
        .expect("answered");
    match &old[0] {
        UpsertResult::Failed { errors } => {
            assert_eq!(errors[0].code, "MULTIPLE_CHOICES");
            assert!(
                errors[0].message.contains("/sobjects/Case/500"),
                "{errors:?}"
            );
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    let new = client(&sandbox, "62.0")
        .upsert_cases(&[draft("dup-1")])
        .await
        .expect("answered");
    match &new[0] {
        UpsertResult::Failed { errors } => assert_eq!(errors[0].code, "DUPLICATE_EXTERNAL_ID"),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn error_arrays_with_and_without_fields() {
    let sandbox = sandbox().await;
    let client = client(&sandbox, "62.0");
    let mut long = draft("m-long");
    long.team = Some("x".repeat(300));
    let results = client
        .upsert_cases(&[long, draft("m-ok")])
        .await
        .expect("upsert");
    match &results[0] {
        UpsertResult::Failed { errors } => {
            assert_eq!(errors[0].code, "STRING_TOO_LONG");
            assert_eq!(errors[0].fields, vec!["Team__c".to_owned()]);
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert!(
        matches!(results[1], UpsertResult::Created { .. }),
        "each record on its own"
    );

    let err = client
        .query("SELECT Id FROM Case WHERE")
        .await
        .expect_err("malformed");
    match err {
        SfError::Api { status, errors } => {
            assert_eq!(status, 400);
            assert_eq!(errors[0].code, "MALFORMED_QUERY");
            assert!(errors[0].fields.is_empty());
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn all_or_none_rollback_is_read_per_record() {
    let sandbox = sandbox().await;
    let client = client(&sandbox, "62.0");
    let mut long = draft("m-long");
    long.subject = "s".repeat(300);
    let results = client
        .upsert_cases_with(&[draft("m-a"), long], true)
        .await
        .expect("upsert");
    let codes: Vec<&str> = results
        .iter()
        .map(|r| match r {
            UpsertResult::Failed { errors } => errors[0].code.as_str(),
            _ => "success",
        })
        .collect();
    assert_eq!(
        codes,
        vec!["ALL_OR_NONE_OPERATION_ROLLED_BACK", "STRING_TOO_LONG"]
    );
    assert_eq!(sandbox.case_count(), 0);
}

#[tokio::test]
async fn an_expired_session_gets_one_new_token_and_one_retry_never_more() {
    let sandbox = sandbox().await;
    let client = client(&sandbox, "62.0");
    client.login().await.expect("login");
    sandbox.expire_sessions();
    let results = client
        .upsert_cases(&[draft("m1")])
        .await
        .expect("renewed and retried");
    assert!(matches!(results[0], UpsertResult::Created { .. }));

    // A 401 that keeps coming: one renewal, one retry, then the error.
    let before = sandbox.stats().api_usage;
    sandbox.force_fault(
        Fault::status(401, "INVALID_SESSION_ID", "Session expired or invalid"),
        5,
    );
    let err = client
        .query("SELECT Id FROM Case")
        .await
        .expect_err("still refused");
    assert!(err.is_session_expired(), "{err:?}");
    assert_eq!(
        sandbox.stats().api_usage - before,
        2,
        "the first try and one retry"
    );
    sandbox.clear_faults();
}

#[tokio::test]
async fn many_requests_failing_at_once_share_one_new_token() {
    let sandbox = sandbox().await;
    let client = std::sync::Arc::new(client(&sandbox, "62.0"));
    client.login().await.expect("login");
    let sessions_before = sandbox.stats().sessions;
    sandbox.expire_sessions();
    let mut tasks = Vec::new();
    for i in 0..6 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            client.upsert_cases(&[draft(&format!("c{i}"))]).await
        }));
    }
    for task in tasks {
        task.await.expect("joined").expect("renewed");
    }
    assert!(
        sandbox.stats().sessions <= sessions_before,
        "one new session replaced the expired one, not six"
    );
}

#[tokio::test]
async fn the_daily_limit_stops_without_a_new_login() {
    let sandbox = sandbox_with(SandboxConfig {
        api_limit: Some(3),
        ..Default::default()
    })
    .await;
    let client = client(&sandbox, "62.0");
    client.login().await.expect("login");
    let sessions = sandbox.stats().sessions;
    let mut last = None;
    for _ in 0..5 {
        if let Err(err) = client.query("SELECT Id FROM Case").await {
            last = Some(err);
            break;
        }
    }
    let err = last.expect("the limit is reached");
    assert_eq!(err.code(), Some("REQUEST_LIMIT_EXCEEDED"));
    assert!(!moveforce::salesforce::is_transient(&err));
    assert!(explain(&err).contains("allowance"), "{}", explain(&err));
    assert_eq!(sandbox.stats().sessions, sessions, "no re-login");
    assert_eq!(client.retry_count(), 0);
}

#[tokio::test]
async fn not_found_and_retired_versions_are_typed() {
    let sandbox = sandbox().await;
    let err = client(&sandbox, "99.0")
        .query("SELECT Id FROM Case")
        .await
        .expect_err("404");
    assert!(matches!(&err, SfError::Api { status: 404, .. }), "{err:?}");
    assert_eq!(err.code(), Some("NOT_FOUND"));

    let err = client(&sandbox, "25.0")
        .query("SELECT Id FROM Case")
        .await
        .expect_err("410");
    match &err {
        SfError::RetiredVersion { version, offered } => {
            assert_eq!(version, "25.0");
            assert!(offered.iter().any(|v| v == "62.0"), "{offered:?}");
        }
        other => panic!("expected a retired version, got {other:?}"),
    }
    assert!(err.to_string().contains("31.0 to 66.0"), "{err}");
}

#[tokio::test]
async fn unavailable_and_dropped_connections_are_retried_a_bounded_number_of_times() {
    let sandbox = sandbox().await;
    let client = client(&sandbox, "62.0");
    client.login().await.expect("login");
    sandbox.force_fault(Fault::unavailable(), 1);
    sandbox.force_fault(Fault::Drop, 1);
    let results = client
        .upsert_cases(&[draft("m1")])
        .await
        .expect("retried through");
    assert!(matches!(results[0], UpsertResult::Created { .. }));
    assert_eq!(client.retry_count(), 2);

    sandbox.force_fault(Fault::unavailable(), 10);
    let err = client
        .query("SELECT Id FROM Case")
        .await
        .expect_err("gives up");
    assert_eq!(err.code(), Some("SERVER_UNAVAILABLE"));
    assert_eq!(
        client.retry_count(),
        2 + 3,
        "four tries in all, then it stops"
    );
    sandbox.clear_faults();
}

#[tokio::test]
async fn a_case_already_deleted_counts_as_gone() {
    let sandbox = sandbox().await;
    let client = client(&sandbox, "62.0");
    let results = client.upsert_cases(&[draft("m1")]).await.expect("upsert");
    let id = id_of(&results[0]).to_owned();
    let first = client
        .delete_cases(std::slice::from_ref(&id))
        .await
        .expect("delete");
    assert_eq!(first, vec![DeleteResult::Deleted]);
    let second = client.delete_cases(&[id]).await.expect("delete again");
    assert_eq!(
        second,
        vec![DeleteResult::AlreadyGone {
            code: "ENTITY_IS_DELETED".to_owned()
        }]
    );
}

#[tokio::test]
async fn api_usage_is_read_from_every_answer() {
    let sandbox = sandbox().await;
    let client = client(&sandbox, "62.0");
    client.login().await.expect("login");
    client.query("SELECT Id FROM Case").await.expect("query");
    let (used, max) = client.api_usage().expect("Sforce-Limit-Info read");
    assert_eq!(used, sandbox.stats().api_usage);
    assert!(max > used);
}

#[tokio::test]
async fn gzip_request_bodies_are_accepted() {
    let sandbox = sandbox().await;
    let client = client(&sandbox, "62.0").with_compression(true);
    let drafts: Vec<CaseDraft> = (0..200).map(|i| draft(&format!("gz-{i}"))).collect();
    let results = client.upsert_cases(&drafts).await.expect("upsert");
    assert!(
        results
            .iter()
            .all(|r| matches!(r, UpsertResult::Created { .. }))
    );
    assert_eq!(sandbox.case_count(), 200);
}
