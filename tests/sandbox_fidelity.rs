//! Fidelity shapes and fault knobs of the sandbox over real HTTP(S), loopback only: TLS,
//! retired and gated API versions, 300 on duplicate external ids, seeded and forced faults,
//! session expiry, the daily API limit and the quirk switches.

use std::time::{Duration, Instant};

use moveforce::sandbox::{Fault, Quirks, Sandbox, SandboxConfig, SandboxCredentials};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

async fn reply(resp: reqwest::Response) -> Reply {
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("response body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("JSON body")
    };
    Reply {
        status,
        headers,
        body,
    }
}

struct Env {
    sandbox: Sandbox,
    http: reqwest::Client,
    base: String,
    token: String,
}

async fn fetch_token(http: &reqwest::Client, base: &str) -> Reply {
    let creds = SandboxCredentials::default();
    reply(
        http.post(format!("{base}/services/oauth2/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", creds.client_id.as_str()),
                ("client_secret", creds.client_secret.as_str()),
            ])
            .send()
            .await
            .expect("token request"),
    )
    .await
}

async fn start_with(config: SandboxConfig) -> Env {
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    let mut builder = reqwest::Client::builder();
    if let Some(pem) = sandbox.certificate_pem() {
        let cert = reqwest::Certificate::from_pem(pem.as_bytes()).expect("PEM");
        builder = builder.tls_certs_only([cert]);
    }
    let http = builder.build().expect("client");
    let base = sandbox.base_url();
    let r = fetch_token(&http, &base).await;
    let token = r.body["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    Env {
        sandbox,
        http,
        base,
        token,
    }
}

async fn start() -> Env {
    start_with(SandboxConfig::default()).await
}

fn error_code(body: &Value) -> &str {
    body[0]["errorCode"].as_str().unwrap_or("")
}

fn status_code(entry: &Value) -> &str {
    entry["errors"][0]["statusCode"].as_str().unwrap_or("")
}

fn cases(records: Vec<Value>) -> Value {
    let records: Vec<Value> = records
        .into_iter()
        .map(|mut r| {
            r["attributes"] = json!({"type": "Case"});
            r
        })
        .collect();
    json!({"allOrNone": false, "records": records})
}

impl Env {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn data(&self, version: &str, path: &str) -> String {
        format!("{}/services/data/{version}{path}", self.base)
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        reply(req.bearer_auth(&self.token).send().await.expect("request")).await
    }

    async fn get(&self, version: &str, path: &str) -> Reply {
        self.send(self.http.get(self.data(version, path))).await
    }

    async fn upsert_one(&self, version: &str, ext: &str, body: Value) -> Reply {
        self.send(
            self.http
                .patch(self.data(version, &format!("/sobjects/Case/ExternalID__c/{ext}")))
                .json(&body),
        )
        .await
    }

    async fn upsert_many(&self, version: &str, body: Value) -> Reply {
        self.send(
            self.http
                .patch(self.data(version, "/composite/sobjects/Case/ExternalID__c"))
                .json(&body),
        )
        .await
    }

    async fn create_many(&self, body: Value) -> Reply {
        self.send(
            self.http
                .post(self.data("v62.0", "/composite/sobjects"))
                .json(&body),
        )
        .await
    }

    async fn count(&self) -> u64 {
        let r = self
            .send(
                self.http
                    .get(self.data("v62.0", "/query"))
                    .query(&[("q", "SELECT COUNT() FROM Case")]),
            )
            .await;
        r.body["totalSize"].as_u64().expect("count")
    }
}

// ------------------------------------------------------------------ TLS

#[tokio::test]
async fn tls_serves_https_with_its_certificate() {
    let env = start_with(SandboxConfig {
        tls: true,
        ..SandboxConfig::default()
    })
    .await;
    assert!(env.base.starts_with("https://127.0.0.1:"), "{}", env.base);
    let pem = env.sandbox.certificate_pem().expect("certificate");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let token = fetch_token(&env.http, &env.base).await;
    assert_eq!(token.status, StatusCode::OK);
    assert_eq!(token.body["instance_url"], json!(env.base));
    assert!(
        token.body["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("https://"))
    );
    let r = env.get("v62.0", "/sobjects/Case/describe").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers.contains_key("sforce-limit-info"));

    // "localhost" is in the certificate too.
    let port = env.sandbox.addr().port();
    let r = reply(
        env.http
            .get(format!("https://localhost:{port}/services/data/"))
            .send()
            .await
            .expect("localhost"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);

    // A client that does not trust the certificate cannot connect; plain http is refused.
    let untrusting = reqwest::Client::builder()
        .tls_certs_only([])
        .build()
        .expect("client");
    assert!(
        untrusting
            .get(env.url("/services/data/"))
            .send()
            .await
            .is_err()
    );
    let plain = format!("http://127.0.0.1:{port}/services/data/");
    let plain_reply = reqwest::Client::new().get(plain).send().await;
    assert!(plain_reply.is_err() || plain_reply.is_ok_and(|r| !r.status().is_success()));

    // Without TLS there is no certificate.
    let http_only = Sandbox::start(SandboxConfig::default())
        .await
        .expect("start");
    assert!(http_only.certificate_pem().is_none());
    assert!(http_only.base_url().starts_with("http://"));
}

/// The `sandbox` command with --tls --cert-out: a client trusting the written file connects.
#[tokio::test]
async fn sandbox_command_writes_the_certificate_it_serves() {
    use std::io::{BufRead, BufReader};

    let dir = tempfile::tempdir().expect("tempdir");
    let cert_path = dir.path().join("sandbox.pem");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_moveforce"))
        .args(["sandbox", "--port", "0", "--tls", "--cert-out"])
        .arg(&cert_path)
        .env("MOVEFORCE_DATA_DIR", dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let banner = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    });
    let banner = tokio::time::timeout(Duration::from_secs(30), banner)
        .await
        .expect("banner in time")
        .expect("reader")
        .expect("a line");
    let base = banner
        .split_whitespace()
        .find(|w| w.starts_with("https://"))
        .expect("https URL in the banner")
        .to_string();
    let pem = std::fs::read(&cert_path).expect("certificate written");
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("PEM"))
        .build()
        .expect("client");
    let token = fetch_token(&http, &base).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(token.status, StatusCode::OK);
    assert_eq!(token.body["instance_url"], json!(base));
}

// ------------------------------------------------------------------ versions

#[tokio::test]
async fn retired_versions_answer_410_and_unknown_ones_404() {
    let env = start().await;
    for v in ["v30.0", "v21.0", "v20.0", "v7.0"] {
        let r = env.get(v, "/sobjects/Case/describe").await;
        assert_eq!(r.status, StatusCode::GONE, "{v}");
        assert_eq!(error_code(&r.body), "GONE", "{v}");
        assert!(r.body[0]["message"].is_string());
    }
    for v in ["v6.0", "v67.0", "v99.0", "v62", "v031.0", "latest"] {
        let r = env.get(v, "/limits").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{v}");
        assert_eq!(error_code(&r.body), "NOT_FOUND", "{v}");
    }
    for v in ["v31.0", "v46.0", "v62.0", "v66.0"] {
        assert_eq!(env.get(v, "/limits").await.status, StatusCode::OK, "{v}");
    }
    // The version list only offers served versions.
    let list = reply(
        env.http
            .get(env.url("/services/data/"))
            .send()
            .await
            .expect("list"),
    )
    .await;
    let versions: Vec<&str> = list
        .body
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|v| v["version"].as_str())
        .collect();
    assert!(!versions.contains(&"30.0") && versions.contains(&"31.0"));
}

#[tokio::test]
async fn upsert_shapes_follow_the_api_version() {
    let env = start().await;
    // Collections upsert does not exist before 46.0.
    let body = cases(vec![json!({"ExternalID__c": "c-1"})]);
    let r = env.upsert_many("v45.0", body.clone()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&r.body), "NOT_FOUND");
    assert_eq!(env.count().await, 0);
    // Collections create and delete exist from 42.0.
    let r = env
        .send(
            env.http
                .post(env.data("v41.0", "/composite/sobjects"))
                .json(&body),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Single-record upsert before 46.0: insert 201 without `created`, update 204 no body.
    let r = env
        .upsert_one("v45.0", "old-1", json!({"Subject": "a"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["success"], true);
    assert!(r.body.get("created").is_none(), "{}", r.body);
    let r = env
        .upsert_one("v45.0", "old-1", json!({"Subject": "b"}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(r.body, Value::Null);

    // From 46.0: 201 created:true, then 200 created:false with the same id.
    let first = env
        .upsert_one("v46.0", "new-1", json!({"Subject": "a"}))
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(first.body["created"], true);
    let again = env
        .upsert_one("v62.0", "new-1", json!({"Subject": "b"}))
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["created"], false);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.body["errors"], json!([]));
    let r = env
        .upsert_many("v46.0", cases(vec![json!({"ExternalID__c": "new-1"})]))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body[0]["created"], false);
}

#[tokio::test]
async fn limit_info_header_and_limits_resource() {
    let env = start().await;
    let a = env.get("v62.0", "/limits").await;
    let b = env.get("v62.0", "/limits/").await;
    let used = |r: &Reply| -> (u64, u64) {
        let h = r.headers["sforce-limit-info"].to_str().expect("ascii");
        let (used, max) = h
            .strip_prefix("api-usage=")
            .and_then(|s| s.split_once('/'))
            .expect("api-usage=N/M");
        (used.parse().expect("N"), max.parse().expect("M"))
    };
    assert_eq!(used(&b).0, used(&a).0 + 1);
    assert_eq!(used(&b).1, 15000);
    assert_eq!(b.body["DailyApiRequests"]["Max"], 15000);
    assert_eq!(
        b.body["DailyApiRequests"]["Remaining"],
        json!(15000 - used(&b).0)
    );
    // Error responses carry it too.
    let r = env.get("v62.0", "/sobjects/Account/describe").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.headers.contains_key("sforce-limit-info"));
}

// ------------------------------------------------------------------ duplicates: 300

#[tokio::test]
async fn duplicate_external_ids_answer_300_and_duplicate_external_id() {
    let env = start().await;
    // Unique (default): a second Case with the same value is refused.
    let r = env
        .create_many(cases(vec![
            json!({"ExternalID__c": "dup-1"}),
            json!({"ExternalID__c": "DUP-1"}),
        ]))
        .await;
    assert_eq!(r.body[0]["success"], true);
    assert_eq!(status_code(&r.body[1]), "DUPLICATE_VALUE");

    env.sandbox.set_external_id_unique(false);
    let r = env
        .create_many(cases(vec![
            json!({"ExternalID__c": "DUP-1", "Subject": "twin"}),
        ]))
        .await;
    assert_eq!(r.body[0]["success"], true, "{}", r.body);
    let ids: Vec<String> = {
        let q = env
            .send(env.http.get(env.data("v62.0", "/query")).query(&[(
                "q",
                "SELECT Id FROM Case WHERE ExternalID__c = 'dup-1' ORDER BY Id",
            )]))
            .await;
        q.body["records"]
            .as_array()
            .expect("records")
            .iter()
            .map(|r| r["Id"].as_str().expect("Id").to_string())
            .collect()
    };
    assert_eq!(ids.len(), 2);

    // Single-record upsert: 300 with the URL of every match.
    let r = env
        .upsert_one("v62.0", "dup-1", json!({"Subject": "which?"}))
        .await;
    assert_eq!(r.status, StatusCode::MULTIPLE_CHOICES);
    let mut urls: Vec<String> = r
        .body
        .as_array()
        .expect("array of URLs")
        .iter()
        .map(|u| u.as_str().expect("URL string").to_string())
        .collect();
    urls.sort();
    let mut expected: Vec<String> = ids
        .iter()
        .map(|id| format!("/services/data/v62.0/sobjects/Case/{id}"))
        .collect();
    expected.sort();
    assert_eq!(urls, expected);
    // GET and DELETE by external id: 300 as well, and nothing is deleted.
    let r = env.get("v62.0", "/sobjects/Case/ExternalID__c/dup-1").await;
    assert_eq!(r.status, StatusCode::MULTIPLE_CHOICES);
    let r = env
        .send(
            env.http
                .delete(env.data("v62.0", "/sobjects/Case/ExternalID__c/dup-1")),
        )
        .await;
    assert_eq!(r.status, StatusCode::MULTIPLE_CHOICES);
    assert_eq!(env.count().await, 2);

    // Collections upsert: that record fails with DUPLICATE_EXTERNAL_ID, the rest succeed.
    let r = env
        .upsert_many(
            "v62.0",
            cases(vec![
                json!({"ExternalID__c": "solo-1"}),
                json!({"ExternalID__c": "Dup-1", "Subject": "x"}),
                json!({"ExternalID__c": "solo-2"}),
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body[0]["success"], true);
    assert_eq!(r.body[1]["success"], false);
    assert_eq!(status_code(&r.body[1]), "DUPLICATE_EXTERNAL_ID");
    assert_eq!(r.body[2]["success"], true);
    assert_eq!(env.count().await, 4);

    // The control API flips the same switch.
    let r = env
        .http
        .post(env.url("/__sandbox/external-id-unique"))
        .json(&json!({"unique": true}))
        .send()
        .await
        .expect("control");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = env
        .create_many(cases(vec![json!({"ExternalID__c": "solo-1"})]))
        .await;
    assert_eq!(status_code(&r.body[0]), "DUPLICATE_VALUE");
}

#[tokio::test]
async fn non_unique_external_id_from_config() {
    let env = start_with(SandboxConfig {
        external_id_unique: false,
        ..SandboxConfig::default()
    })
    .await;
    let r = env
        .create_many(cases(vec![
            json!({"ExternalID__c": "twin"}),
            json!({"ExternalID__c": "twin"}),
        ]))
        .await;
    assert_eq!(r.body[0]["success"], true);
    assert_eq!(r.body[1]["success"], true);
    let r = env.upsert_one("v62.0", "twin", json!({})).await;
    assert_eq!(r.status, StatusCode::MULTIPLE_CHOICES);
}

// ------------------------------------------------------------------ fault knobs

/// What happened to one request: its status, or "dropped" when the server closed the
/// connection without answering.
async fn outcome(req: reqwest::RequestBuilder) -> String {
    match req.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            let locked = body
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter(|e| status_code(e) == "UNABLE_TO_LOCK_ROW")
                        .count()
                })
                .unwrap_or(0);
            if locked > 0 {
                format!("{status}+lock{locked}")
            } else {
                status.to_string()
            }
        }
        Err(e) => {
            assert!(!e.is_timeout(), "{e}");
            "dropped".to_string()
        }
    }
}

async fn fault_sequence(seed: u64) -> (Vec<String>, Vec<(u64, &'static str)>) {
    let env = start_with(SandboxConfig {
        fault_rate: 0.4,
        seed,
        ..SandboxConfig::default()
    })
    .await;
    assert!(!env.token.is_empty(), "the token endpoint is never faulted");
    let mut seen = Vec::new();
    for i in 0..40 {
        let req = if i % 2 == 0 {
            env.http
                .get(env.data("v62.0", "/limits"))
                .bearer_auth(&env.token)
        } else {
            let records = (0..5)
                .map(|k| json!({"ExternalID__c": format!("f-{i}-{k}")}))
                .collect();
            env.http
                .patch(env.data("v62.0", "/composite/sobjects/Case/ExternalID__c"))
                .bearer_auth(&env.token)
                .json(&cases(records))
        };
        seen.push(outcome(req).await);
    }
    (seen, env.sandbox.fault_log())
}

#[tokio::test]
async fn seeded_faults_repeat_exactly() {
    let (a, log_a) = fault_sequence(42).await;
    let (b, log_b) = fault_sequence(42).await;
    let (c, _) = fault_sequence(43).await;
    assert_eq!(a, b);
    assert_eq!(log_a, log_b);
    assert_ne!(a, c);
    let faults = a.iter().filter(|o| o.as_str() != "200").count();
    assert!((6..=28).contains(&faults), "{faults} faults in {a:?}");
    // Every kind shows up: 503, dropped connections, and row locks on single records.
    assert!(a.iter().any(|o| o == "503"), "{a:?}");
    assert!(a.iter().any(|o| o == "dropped"), "{a:?}");
    assert!(a.iter().any(|o| o == "200+lock1"), "{a:?}");
    assert_eq!(log_a.len(), faults);
}

#[tokio::test]
async fn no_faults_by_default() {
    let env = start().await;
    for _ in 0..30 {
        assert_eq!(env.get("v62.0", "/limits").await.status, StatusCode::OK);
    }
    assert_eq!(env.sandbox.stats().faults_injected, 0);
}

#[tokio::test]
async fn forced_faults_through_the_library() {
    let env = start().await;
    env.sandbox.force_fault(Fault::unavailable(), 2);
    for _ in 0..2 {
        let r = env.get("v62.0", "/limits").await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(error_code(&r.body), "SERVER_UNAVAILABLE");
    }
    assert_eq!(env.get("v62.0", "/limits").await.status, StatusCode::OK);

    env.sandbox.force_fault(Fault::Drop, 1);
    let dropped = env
        .http
        .get(env.data("v62.0", "/limits"))
        .bearer_auth(&env.token)
        .send()
        .await;
    assert!(dropped.is_err(), "the connection closes without an answer");
    assert_eq!(env.get("v62.0", "/limits").await.status, StatusCode::OK);

    // A row lock waits for a collections write; one record fails, the others are saved.
    env.sandbox.force_fault(Fault::RowLock, 1);
    assert_eq!(env.get("v62.0", "/limits").await.status, StatusCode::OK);
    let records = (0..6)
        .map(|k| json!({"ExternalID__c": format!("lock-{k}")}))
        .collect();
    let r = env.upsert_many("v62.0", cases(records)).await;
    assert_eq!(r.status, StatusCode::OK);
    let results = r.body.as_array().expect("array");
    let locked: Vec<&Value> = results
        .iter()
        .filter(|e| status_code(e) == "UNABLE_TO_LOCK_ROW")
        .collect();
    assert_eq!(locked.len(), 1, "{}", r.body);
    assert_eq!(locked[0]["success"], false);
    assert_eq!(results.iter().filter(|e| e["success"] == true).count(), 5);
    assert_eq!(env.count().await, 5);

    // With allOrNone, the locked record rolls everything back.
    env.sandbox.force_fault(Fault::RowLock, 1);
    let mut body = cases(vec![
        json!({"ExternalID__c": "aon-1"}),
        json!({"ExternalID__c": "aon-2"}),
    ]);
    body["allOrNone"] = json!(true);
    let r = env.upsert_many("v62.0", body).await;
    let codes: Vec<&str> = r
        .body
        .as_array()
        .expect("array")
        .iter()
        .map(status_code)
        .collect();
    assert!(codes.contains(&"UNABLE_TO_LOCK_ROW"), "{codes:?}");
    assert!(
        codes.contains(&"ALL_OR_NONE_OPERATION_ROLLED_BACK"),
        "{codes:?}"
    );
    assert_eq!(env.count().await, 5);

    // A row lock in a collections delete: that id stays, the others go.
    let ids: Vec<String> = results
        .iter()
        .filter_map(|e| e["id"].as_str().map(str::to_string))
        .collect();
    env.sandbox.force_fault(Fault::RowLock, 1);
    let r = env
        .send(
            env.http
                .delete(env.data("v62.0", "/composite/sobjects"))
                .query(&[("ids", ids.join(",").as_str()), ("allOrNone", "false")]),
        )
        .await;
    let entries = r.body.as_array().expect("array");
    let failed: Vec<&Value> = entries.iter().filter(|e| e["success"] == false).collect();
    assert_eq!(failed.len(), 1, "{}", r.body);
    assert_eq!(status_code(failed[0]), "UNABLE_TO_LOCK_ROW");
    assert!(failed[0]["id"].is_string());
    assert_eq!(env.count().await, 1);

    // Forced faults that never fired can be cleared.
    env.sandbox.force_fault(Fault::unavailable(), 5);
    env.sandbox.clear_faults();
    assert_eq!(env.get("v62.0", "/limits").await.status, StatusCode::OK);
    assert_eq!(env.sandbox.stats().faults_injected, 6);
}

#[tokio::test]
async fn forced_faults_through_the_control_api() {
    let env = start().await;
    let control = |body: Value| {
        env.http
            .post(env.url("/__sandbox/fault"))
            .json(&body)
            .send()
    };
    let r = control(json!({"status": 500, "errorCode": "UNKNOWN_EXCEPTION", "times": 1}))
        .await
        .expect("control");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = env.get("v62.0", "/limits").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(error_code(&r.body), "UNKNOWN_EXCEPTION");

    let r = control(json!({"status": 401, "times": 1}))
        .await
        .expect("control");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = env.get("v62.0", "/limits").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&r.body), "INVALID_SESSION_ID");
    assert_eq!(env.get("v62.0", "/limits").await.status, StatusCode::OK);

    // The token endpoint only fails when asked, with the OAuth error shape.
    let r = control(json!({"status": 503, "errorCode": "unavailable", "target": "token"}))
        .await
        .expect("control");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(env.get("v62.0", "/limits").await.status, StatusCode::OK);
    let t = fetch_token(&env.http, &env.base).await;
    assert_eq!(t.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(t.body["error"], "unavailable");
    assert_eq!(
        fetch_token(&env.http, &env.base).await.status,
        StatusCode::OK
    );

    let r = control(json!({"drop": true, "times": 1}))
        .await
        .expect("control");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(
        env.http
            .get(env.data("v62.0", "/limits"))
            .bearer_auth(&env.token)
            .send()
            .await
            .is_err()
    );

    for bad in [
        json!({"status": 200}),
        json!({"drop": true, "status": 503}),
        json!({"rowLock": true, "target": "token"}),
        json!({"surprise": 1}),
    ] {
        let r = control(bad.clone()).await.expect("control");
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let r = env
        .http
        .post(env.url("/__sandbox/fault"))
        .json(&json!({"status": 503, "times": 3}))
        .send()
        .await
        .expect("control");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = env
        .http
        .delete(env.url("/__sandbox/fault"))
        .send()
        .await
        .expect("clear");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(env.get("v62.0", "/limits").await.status, StatusCode::OK);

    let stats = reply(
        env.http
            .get(env.url("/__sandbox/stats"))
            .send()
            .await
            .expect("stats"),
    )
    .await;
    assert_eq!(stats.body["faultsInjected"], 4);
    assert_eq!(stats.body["faultLog"].as_array().map(Vec::len), Some(4));
}

#[tokio::test]
async fn latency_is_added_to_every_request() {
    let env = start_with(SandboxConfig {
        latency_ms: 120,
        ..SandboxConfig::default()
    })
    .await;
    let started = Instant::now();
    assert_eq!(env.get("v62.0", "/limits").await.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(120));
    let started = Instant::now();
    let t = fetch_token(&env.http, &env.base).await;
    assert_eq!(t.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(120));
}

// ------------------------------------------------------------------ sessions and limits

#[tokio::test]
async fn sessions_expire_after_their_ttl() {
    let env = start_with(SandboxConfig {
        session_ttl_s: Some(1),
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(env.get("v62.0", "/limits").await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = env.get("v62.0", "/limits").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.body,
        json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
    );
    // The identity URL refuses it too; a new token works.
    let fresh = fetch_token(&env.http, &env.base).await;
    let token = fresh.body["access_token"].as_str().expect("token");
    let r = env
        .http
        .get(env.data("v62.0", "/limits"))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn sessions_can_be_expired_on_demand() {
    let env = start().await;
    assert_eq!(env.get("v62.0", "/limits").await.status, StatusCode::OK);
    env.sandbox.expire_sessions();
    assert_eq!(
        env.get("v62.0", "/limits").await.status,
        StatusCode::UNAUTHORIZED
    );
    let fresh = fetch_token(&env.http, &env.base).await;
    let token = fresh.body["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let r = env
        .http
        .post(env.url("/__sandbox/sessions/expire"))
        .send()
        .await
        .expect("expire");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = env
        .http
        .get(env.data("v62.0", "/limits"))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn api_limit_answers_request_limit_exceeded() {
    let env = start_with(SandboxConfig {
        api_limit: Some(3),
        ..SandboxConfig::default()
    })
    .await;
    for n in 1..=3 {
        let r = env.get("v62.0", "/limits").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.headers["sforce-limit-info"],
            format!("api-usage={n}/3").as_str()
        );
        assert_eq!(r.body["DailyApiRequests"]["Max"], 3);
    }
    for _ in 0..2 {
        let r = env.get("v62.0", "/sobjects/Case/describe").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(
            r.body,
            json!([{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
        );
        assert_eq!(r.headers["sforce-limit-info"], "api-usage=3/3");
    }
    // Logging in again does not help; tokens are not data requests.
    let t = fetch_token(&env.http, &env.base).await;
    assert_eq!(t.status, StatusCode::OK);
    let token = t.body["access_token"].as_str().expect("token");
    let r = env
        .http
        .get(env.data("v62.0", "/limits"))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Tests can move the counter.
    env.sandbox.set_api_usage(1);
    assert_eq!(env.get("v62.0", "/limits").await.status, StatusCode::OK);
    assert_eq!(env.sandbox.stats().api_usage, 2);
}

// ------------------------------------------------------------------ quirks

#[tokio::test]
async fn quirk_defaults_follow_the_documentation() {
    let env = start().await;
    // invalid_client: 400.
    let r = reply(
        env.http
            .post(env.url("/services/oauth2/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "moveforce-sandbox"),
                ("client_secret", "wrong"),
            ])
            .send()
            .await
            .expect("token"),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"], "invalid_client");
    // Malformed id: 404 NOT_FOUND.
    let r = env.get("v62.0", "/sobjects/Case/not-an-id").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Failed delete entries carry the id they were given.
    let r = env
        .send(
            env.http
                .delete(env.data("v62.0", "/composite/sobjects"))
                .query(&[("ids", "500000000000000AAA,bogus")]),
        )
        .await;
    assert_eq!(r.body[0]["id"], "500000000000000AAA");
    assert_eq!(r.body[1]["id"], "bogus");
    assert_eq!(status_code(&r.body[1]), "MALFORMED_ID");
    // The external id in a single upsert's body is accepted when it equals the URL's.
    let r = env
        .upsert_one("v62.0", "q-1", json!({"ExternalID__c": "q-1"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(r.body.get("warnings").is_none());
    // Lengths count UTF-16 units: 128 emoji are 256 units, too long for Text(255).
    let r = env
        .upsert_one("v62.0", "q-2", json!({"Team__c": "😀".repeat(128)}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&r.body), "STRING_TOO_LONG");
}

#[tokio::test]
async fn quirks_switch_the_uncertain_behaviours() {
    let env = start_with(SandboxConfig {
        quirks: Quirks {
            invalid_client_status: 401,
            delete_failure_id: false,
            malformed_id_bad_request: true,
            reject_external_id_in_body: true,
            length_in_code_points: true,
            client_credentials_disabled_error: None,
            save_result_extras: true,
        },
        ..SandboxConfig::default()
    })
    .await;
    let r = reply(
        env.http
            .post(env.url("/services/oauth2/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "moveforce-sandbox"),
                ("client_secret", "wrong"),
            ])
            .send()
            .await
            .expect("token"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["error"], "invalid_client");

    let r = env.get("v62.0", "/sobjects/Case/not-an-id").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&r.body), "MALFORMED_ID");

    let r = env
        .send(
            env.http
                .delete(env.data("v62.0", "/composite/sobjects"))
                .query(&[("ids", "500000000000000AAA,bogus")]),
        )
        .await;
    assert!(r.body[0].get("id").is_none(), "{}", r.body);
    assert!(r.body[1].get("id").is_none());

    let r = env
        .upsert_one("v62.0", "q-1", json!({"ExternalID__c": "q-1"}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&r.body), "INVALID_FIELD");

    let r = env
        .upsert_one("v62.0", "q-2", json!({"Team__c": "😀".repeat(128)}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["warnings"], json!([]));
    assert_eq!(r.body["infos"], json!([]));
    let r = env
        .upsert_many("v62.0", cases(vec![json!({"ExternalID__c": "q-3"})]))
        .await;
    assert_eq!(r.body[0]["warnings"], json!([]));

    let off = start_with(SandboxConfig {
        quirks: Quirks {
            client_credentials_disabled_error: Some("unsupported_grant_type".into()),
            ..Quirks::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    assert!(off.token.is_empty());
    let r = fetch_token(&off.http, &off.base).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"], "unsupported_grant_type");
}

// ------------------------------------------------------------------ collections retrieve

/// jsforce's `retrieve([ids])` uses sObject Collections retrieve (POST …/composite/sobjects/Case).
#[tokio::test]
async fn collections_retrieve_aligns_with_the_ids() {
    let env = start().await;
    let r = env
        .upsert_many(
            "v62.0",
            cases(vec![
                json!({"ExternalID__c": "r-1", "Subject": "one"}),
                json!({"ExternalID__c": "r-2", "Subject": "two"}),
            ]),
        )
        .await;
    let ids: Vec<String> = r
        .body
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["id"].as_str().expect("id").to_string())
        .collect();
    let deleted = env
        .send(
            env.http
                .delete(env.data("v62.0", &format!("/sobjects/Case/{}", ids[1]))),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);

    let wanted = json!([ids[0], "500000000000000AAA", ids[1], "junk"]);
    let post = env
        .send(
            env.http
                .post(env.data("v62.0", "/composite/sobjects/Case"))
                .json(&json!({"ids": wanted, "fields": ["Id", "ExternalID__c", "Subject"]})),
        )
        .await;
    assert_eq!(post.status, StatusCode::OK);
    let list = post.body.as_array().expect("array");
    assert_eq!(list.len(), 4);
    assert_eq!(list[0]["Id"], json!(ids[0]));
    assert_eq!(list[0]["Subject"], "one");
    assert_eq!(list[0]["attributes"]["type"], "Case");
    assert!(list[1].is_null() && list[2].is_null() && list[3].is_null());

    let get = env
        .send(
            env.http
                .get(env.data("v62.0", "/composite/sobjects/Case"))
                .query(&[("ids", ids[0].as_str()), ("fields", "Id,ExternalID__c")]),
        )
        .await;
    assert_eq!(get.status, StatusCode::OK);
    assert_eq!(get.body[0]["ExternalID__c"], "r-1");
    assert!(get.body[0].get("Subject").is_none());

    let bad = env
        .send(
            env.http
                .post(env.data("v62.0", "/composite/sobjects/Case"))
                .json(&json!({"ids": [ids[0]], "fields": ["Id", "Nope__c"]})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&bad.body), "INVALID_FIELD");
    let none = env
        .send(
            env.http
                .post(env.data("v62.0", "/composite/sobjects/Case"))
                .json(&json!({"ids": [ids[0]]})),
        )
        .await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    let old = env
        .send(
            env.http
                .post(env.data("v41.0", "/composite/sobjects/Case"))
                .json(&json!({"ids": [ids[0]], "fields": ["Id"]})),
        )
        .await;
    assert_eq!(old.status, StatusCode::NOT_FOUND);

    // Describe shows the Unique attribute as the org has it.
    let unique = |r: &Reply| {
        r.body["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .find(|f| f["name"] == "ExternalID__c")
            .map(|f| f["unique"].clone())
    };
    let d = env.get("v62.0", "/sobjects/Case/describe").await;
    assert_eq!(unique(&d), Some(json!(true)));
    env.sandbox.set_external_id_unique(false);
    let d = env.get("v62.0", "/sobjects/Case/describe").await;
    assert_eq!(unique(&d), Some(json!(false)));
}
