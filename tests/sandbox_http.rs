//! The sandbox over real HTTP (loopback only), checked against Salesforce's shapes.

use moveforce::sandbox::{Sandbox, SandboxConfig, SandboxCredentials, SandboxError};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

const V: &str = "v62.0";

struct Env {
    sandbox: Sandbox,
    http: reqwest::Client,
    base: String,
    token: String,
}

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

async fn start_with(config: SandboxConfig) -> Env {
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    let http = reqwest::Client::new();
    let base = sandbox.base_url();
    let creds = SandboxCredentials::default();
    let r = reply(
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
    .await;
    // A sandbox with custom credentials gets no default session.
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

async fn start_paged(page_size: usize) -> Env {
    start_with(SandboxConfig {
        query_page_size: page_size,
        ..SandboxConfig::default()
    })
    .await
}

impl Env {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn data(&self, path: &str) -> String {
        format!("{}/services/data/{V}{path}", self.base)
    }

    async fn get(&self, path: &str) -> Reply {
        reply(
            self.http
                .get(self.data(path))
                .bearer_auth(&self.token)
                .send()
                .await
                .expect("GET"),
        )
        .await
    }

    async fn delete(&self, path: &str) -> Reply {
        reply(
            self.http
                .delete(self.data(path))
                .bearer_auth(&self.token)
                .send()
                .await
                .expect("DELETE"),
        )
        .await
    }

    async fn upsert_raw(&self, body: String) -> Reply {
        reply(
            self.http
                .patch(self.data("/composite/sobjects/Case/ExternalID__c"))
                .bearer_auth(&self.token)
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await
                .expect("PATCH"),
        )
        .await
    }

    async fn upsert(&self, all_or_none: bool, records: Vec<Value>) -> Reply {
        let records: Vec<Value> = records
            .into_iter()
            .map(|mut r| {
                r["attributes"] = json!({"type": "Case"});
                r
            })
            .collect();
        self.upsert_raw(json!({"allOrNone": all_or_none, "records": records}).to_string())
            .await
    }

    async fn query(&self, q: &str) -> Reply {
        reply(
            self.http
                .get(self.data("/query"))
                .query(&[("q", q)])
                .bearer_auth(&self.token)
                .send()
                .await
                .expect("query"),
        )
        .await
    }

    async fn query_all(&self, q: &str) -> Reply {
        reply(
            self.http
                .get(self.data("/queryAll/"))
                .query(&[("q", q)])
                .bearer_auth(&self.token)
                .send()
                .await
                .expect("queryAll"),
        )
        .await
    }

    /// Inserts `n` simple Cases "mv-1"… and returns their ids.
    async fn seed(&self, n: usize) -> Vec<String> {
        let records = (1..=n)
            .map(|i| json!({"ExternalID__c": format!("mv-{i}"), "Subject": format!("Move {i}")}))
            .collect();
        let r = self.upsert(false, records).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body
            .as_array()
            .expect("array")
            .iter()
            .map(|e| e["id"].as_str().expect("id").to_string())
            .collect()
    }
}

fn error_code(body: &Value) -> &str {
    body[0]["errorCode"].as_str().unwrap_or("")
}

fn status_code(entry: &Value) -> &str {
    entry["errors"][0]["statusCode"].as_str().unwrap_or("")
}

async fn token_request(env: &Env, form: &[(&str, &str)]) -> Reply {
    reply(
        env.http
            .post(env.url("/services/oauth2/token"))
            .form(form)
            .send()
            .await
            .expect("token"),
    )
    .await
}

// ------------------------------------------------------------------ OAuth

#[tokio::test]
async fn password_flow_issues_a_token() {
    let env = start().await;
    let c = SandboxCredentials::default();
    let r = token_request(
        &env,
        &[
            ("grant_type", "password"),
            ("client_id", &c.client_id),
            ("client_secret", &c.client_secret),
            ("username", &c.username),
            ("password", &c.password),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let b = &r.body;
    let token = b["access_token"].as_str().expect("token");
    let (org, random) = token.split_once('!').expect("org!random");
    assert!(org.starts_with("00D") && org.len() == 15, "{org}");
    assert!(random.len() >= 40);
    assert_ne!(token, env.token, "tokens are random");
    assert_eq!(b["instance_url"], json!(env.base));
    assert_eq!(b["token_type"], "Bearer");
    assert!(b.get("scope").is_none());
    let issued = b["issued_at"].as_str().expect("issued_at string");
    assert!(issued.len() == 13 && issued.bytes().all(|c| c.is_ascii_digit()));
    assert!(!b["signature"].as_str().expect("signature").is_empty());
    let id_url = b["id"].as_str().expect("id");
    assert!(
        id_url.starts_with(&format!("{}/id/00D", env.base)),
        "{id_url}"
    );

    // The identity URL answers with the bearer token.
    let who = reply(
        env.http
            .get(id_url)
            .bearer_auth(token)
            .send()
            .await
            .expect("identity"),
    )
    .await;
    assert_eq!(who.status, StatusCode::OK);
    assert_eq!(who.body["username"], json!(c.username));
    assert!(
        who.body["user_id"]
            .as_str()
            .is_some_and(|u| u.starts_with("005") && u.len() == 18)
    );
    assert!(
        who.body["organization_id"]
            .as_str()
            .is_some_and(|o| o.starts_with("00D"))
    );
    assert!(who.body["display_name"].is_string());
    let anonymous = reply(env.http.get(id_url).send().await.expect("identity")).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn client_credentials_in_form_or_basic() {
    let env = start().await;
    let c = SandboxCredentials::default();
    let r = token_request(
        &env,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &c.client_id),
            ("client_secret", &c.client_secret),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["scope"], "api");

    let basic = reply(
        env.http
            .post(env.url("/services/oauth2/token"))
            .basic_auth(&c.client_id, Some(&c.client_secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("token"),
    )
    .await;
    assert_eq!(basic.status, StatusCode::OK, "{}", basic.body);
    let token = basic.body["access_token"].as_str().expect("token");
    // The token works, also with the legacy OAuth scheme.
    let r = reply(
        env.http
            .get(env.data("/limits"))
            .header("Authorization", format!("OAuth {token}"))
            .send()
            .await
            .expect("limits"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["DailyApiRequests"]["Max"].is_number());
}

#[tokio::test]
async fn token_errors_have_the_oauth_shape() {
    let env = start().await;
    let c = SandboxCredentials::default();
    // (form, expected error, expected description)
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "nope"),
                ("client_secret", "x"),
            ],
            "invalid_client_id",
            "client identifier invalid",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &c.client_id),
                ("client_secret", "wrong"),
            ],
            "invalid_client",
            "invalid client credentials",
        ),
        (
            vec![
                ("grant_type", "password"),
                ("client_id", &c.client_id),
                ("client_secret", &c.client_secret),
                ("username", &c.username),
                ("password", "wrong"),
            ],
            "invalid_grant",
            "authentication failure",
        ),
        (
            vec![
                ("grant_type", "password"),
                ("client_id", &c.client_id),
                ("client_secret", &c.client_secret),
                ("username", "someone@else"),
                ("password", &c.password),
            ],
            "invalid_grant",
            "authentication failure",
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("client_id", &c.client_id),
            ],
            "unsupported_grant_type",
            "grant type not supported",
        ),
    ];
    for (form, error, description) in cases {
        let r = token_request(&env, &form).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{form:?}");
        assert_eq!(
            r.body,
            json!({"error": error, "error_description": description})
        );
    }
    let r = token_request(
        &env,
        &[("grant_type", "password"), ("client_id", &c.client_id)],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"], "invalid_request");
    let r = token_request(&env, &[("client_id", &c.client_id)]).await;
    assert_eq!(r.body["error"], "invalid_request");
}

#[tokio::test]
async fn security_token_is_appended_to_the_password() {
    let creds = SandboxCredentials {
        security_token: Some("TOKEN123".into()),
        client_secret: "custom-secret".into(),
        ..SandboxCredentials::default()
    };
    let env = start_with(SandboxConfig {
        credentials: creds.clone(),
        ..SandboxConfig::default()
    })
    .await;
    assert!(env.token.is_empty());
    let form = |password: String| {
        vec![
            ("grant_type".to_string(), "password".to_string()),
            ("client_id".to_string(), creds.client_id.clone()),
            ("client_secret".to_string(), creds.client_secret.clone()),
            ("username".to_string(), creds.username.to_uppercase()),
            ("password".to_string(), password),
        ]
    };
    let send = |f: Vec<(String, String)>| {
        env.http
            .post(env.url("/services/oauth2/token"))
            .form(&f)
            .send()
    };
    let r = reply(send(form(creds.password.clone())).await.expect("token")).await;
    assert_eq!(r.body["error"], "invalid_grant");
    let r = reply(
        send(form(format!("{}TOKEN123", creds.password)))
            .await
            .expect("token"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The banner does not echo configured secrets.
    let banner = env.sandbox.banner();
    assert!(
        !banner.contains("custom-secret") && !banner.contains("TOKEN123"),
        "{banner}"
    );
    assert!(!banner.contains('\n'));
}

#[tokio::test]
async fn revoked_and_bad_tokens_get_401() {
    let env = start().await;
    let r = env.get("/sobjects/Case/describe").await;
    assert_eq!(r.status, StatusCode::OK);

    let bad = reply(
        env.http
            .get(env.data("/sobjects/Case/describe"))
            .bearer_auth("00D000000000000!guess")
            .send()
            .await
            .expect("GET"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        bad.body,
        json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
    );
    let none = reply(
        env.http
            .get(env.data("/query?q=SELECT+Id+FROM+Case"))
            .send()
            .await
            .expect("GET"),
    )
    .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&none.body), "INVALID_SESSION_ID");

    let revoke = env
        .http
        .post(env.url("/services/oauth2/revoke"))
        .form(&[("token", env.token.as_str())])
        .send()
        .await
        .expect("revoke");
    assert_eq!(revoke.status(), StatusCode::OK);
    let r = env.get("/sobjects/Case/describe").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

// ------------------------------------------------------------------ versions, limits, 404

#[tokio::test]
async fn versions_limits_and_unknown_resources() {
    let env = start().await;
    let list = reply(
        env.http
            .get(env.url("/services/data/"))
            .send()
            .await
            .expect("versions"),
    )
    .await;
    assert_eq!(list.status, StatusCode::OK);
    let versions = list.body.as_array().expect("array");
    assert_eq!(
        versions.first().map(|v| v["version"].clone()),
        Some(json!("31.0"))
    );
    assert_eq!(
        versions.last().map(|v| v["url"].clone()),
        Some(json!("/services/data/v66.0"))
    );
    assert!(
        versions
            .iter()
            .any(|v| v["label"] == "Winter '25" && v["version"] == "62.0")
    );

    for path in [
        "/services/data/v6.0/limits",
        "/services/data/v67.0/limits",
        "/services/data/v62/limits",
    ] {
        let r = reply(
            env.http
                .get(env.url(path))
                .bearer_auth(&env.token)
                .send()
                .await
                .expect("GET"),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(error_code(&r.body), "NOT_FOUND");
    }

    let first = env.get("/").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(
        first.body["query"],
        json!(format!("/services/data/{V}/query"))
    );
    let usage = |r: &Reply| -> u64 {
        let h = r.headers["sforce-limit-info"].to_str().expect("ascii");
        let n = h
            .strip_prefix("api-usage=")
            .and_then(|s| s.split_once('/'))
            .expect("shape");
        assert_eq!(n.1, "15000");
        n.0.parse().expect("number")
    };
    let second = env.get("/limits").await;
    assert_eq!(usage(&second), usage(&first) + 1);
    assert_eq!(
        second.body["DailyApiRequests"]["Remaining"],
        json!(15000 - usage(&second))
    );

    let missing = env.get("/nothing/here").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        missing.body,
        json!([{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}])
    );
    let other = env.get("/sobjects/Account/describe").await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let root = reply(env.http.get(env.url("/nope")).send().await.expect("GET")).await;
    assert_eq!(error_code(&root.body), "NOT_FOUND");
}

// ------------------------------------------------------------------ describe

#[tokio::test]
async fn describe_shows_the_seven_fields() {
    let env = start().await;
    let r = env.get("/sobjects/Case/describe").await;
    assert_eq!(r.status, StatusCode::OK);
    let d = &r.body;
    assert_eq!(d["name"], "Case");
    assert_eq!(d["keyPrefix"], "500");
    assert_eq!(d["createable"], true);
    assert_eq!(d["deletable"], true);
    assert_eq!(d["queryable"], true);
    let fields = d["fields"].as_array().expect("fields");
    let field = |name: &str| -> &Value {
        fields
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("field {name} missing"))
    };
    for f in fields {
        for key in [
            "name",
            "label",
            "type",
            "length",
            "byteLength",
            "custom",
            "externalId",
            "idLookup",
            "unique",
            "caseSensitive",
            "nillable",
            "defaultedOnCreate",
            "createable",
            "updateable",
            "filterable",
            "sortable",
            "groupable",
            "extraTypeInfo",
            "htmlFormatted",
            "calculated",
            "autoNumber",
            "defaultValue",
            "picklistValues",
            "soapType",
            "permissionable",
        ] {
            assert!(f.get(key).is_some(), "{} lacks {key}", f["name"]);
        }
    }
    let ext = field("ExternalID__c");
    assert_eq!(ext["type"], "string");
    assert_eq!(ext["length"], 255);
    assert_eq!(ext["externalId"], true);
    assert_eq!(ext["idLookup"], true);
    assert_eq!(ext["custom"], true);
    assert_eq!(ext["filterable"], true);
    assert_eq!(ext["extraTypeInfo"], Value::Null);
    for name in ["Department__c", "Team__c", "CurrentSeat__c", "NewSeat__c"] {
        let f = field(name);
        assert_eq!(f["type"], "string", "{name}");
        assert_eq!(f["length"], 255, "{name}");
        assert_eq!(f["externalId"], false, "{name}");
        assert_eq!(f["idLookup"], false, "{name}");
        assert_eq!(f["unique"], false, "{name}");
        assert_eq!(f["nillable"], true, "{name}");
        assert_eq!(f["htmlFormatted"], false, "{name}");
        assert_eq!(f["custom"], true, "{name}");
        assert_eq!(f["createable"], true, "{name}");
        assert_eq!(f["updateable"], true, "{name}");
    }
    for name in ["EmployeeAssets__c", "EmployeeNotes__c"] {
        let f = field(name);
        assert_eq!(f["type"], "textarea", "{name}");
        assert_eq!(f["length"], 1024, "{name}");
        assert_eq!(f["byteLength"], 3072, "{name}");
        assert_eq!(f["extraTypeInfo"], "plaintextarea", "{name}");
        assert_eq!(f["htmlFormatted"], false, "{name}");
        assert_eq!(f["filterable"], false, "{name}");
        assert_eq!(f["sortable"], false, "{name}");
        assert_eq!(f["groupable"], false, "{name}");
    }
    let status = field("Status");
    assert_eq!(status["type"], "picklist");
    assert_eq!(status["defaultedOnCreate"], true);
    assert!(
        status["picklistValues"]
            .as_array()
            .expect("values")
            .iter()
            .any(|v| v["value"] == "New" && v["defaultValue"] == true)
    );
    assert_eq!(field("CaseNumber")["autoNumber"], true);
    assert_eq!(field("Id")["createable"], false);

    let basic = env.get("/sobjects/Case").await;
    assert_eq!(basic.body["objectDescribe"]["keyPrefix"], "500");
    assert!(basic.body["objectDescribe"].get("fields").is_none());
    let global = env.get("/sobjects/").await;
    assert_eq!(global.body["sobjects"][0]["name"], "Case");
}

// ------------------------------------------------------------------ collections upsert

#[tokio::test]
async fn upsert_creates_then_updates_the_same_case() {
    let env = start().await;
    let r = env
        .upsert(
            false,
            vec![
                json!({"ExternalID__c": "MV-1", "Subject": "Move", "NewSeat__c": "4B-07",
                        "Team__c": "AP"}),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let first = &r.body[0];
    assert_eq!(first["success"], true);
    assert_eq!(first["created"], true);
    assert_eq!(first["errors"], json!([]));
    let id = first["id"].as_str().expect("id").to_string();
    assert!(id.starts_with("500") && id.len() == 18);

    // Field names and the external id match case-insensitively; null clears a field.
    let r = env
        .upsert(
            false,
            vec![json!({"externalid__c": "mv-1", "newseat__c": "5C-01", "Team__c": null})],
        )
        .await;
    assert_eq!(r.body[0]["created"], false, "{}", r.body);
    assert_eq!(r.body[0]["id"], json!(id));
    assert_eq!(env.sandbox.case_count(), 1);

    let rec = env.get(&format!("/sobjects/Case/{id}")).await;
    assert_eq!(rec.status, StatusCode::OK);
    let b = &rec.body;
    assert_eq!(b["attributes"]["type"], "Case");
    assert_eq!(
        b["attributes"]["url"],
        json!(format!("/services/data/{V}/sobjects/Case/{id}"))
    );
    assert_eq!(b["NewSeat__c"], "5C-01");
    assert_eq!(b["Team__c"], Value::Null);
    assert_eq!(b["Subject"], "Move");
    assert_eq!(b["Status"], "New");
    assert_eq!(b["Priority"], "Medium");
    assert_eq!(b["Origin"], Value::Null);
    assert_eq!(b["CaseNumber"], "00001001");
    assert_eq!(b["IsDeleted"], false);
    assert!(b["OwnerId"].as_str().is_some_and(|o| o.starts_with("005")));
    let created = b["CreatedDate"].as_str().expect("date");
    assert_eq!(created.len(), "2026-12-03T15:42:14.000+0000".len());
    assert!(created.ends_with(".000+0000") || created.ends_with("+0000"));

    let r = env
        .upsert(false, vec![json!({"ExternalID__c": "MV-2"})])
        .await;
    let second = r.body[0]["id"].as_str().expect("id");
    let rec = env
        .get(&format!("/sobjects/Case/{second}?fields=CaseNumber,Id"))
        .await;
    assert_eq!(rec.body["CaseNumber"], "00001002");
    assert_eq!(rec.body.as_object().map(|o| o.len()), Some(3));
}

#[tokio::test]
async fn upsert_reports_per_record_errors() {
    let env = start().await;
    let emoji = "😀"; // two UTF-16 code units
    let at_limit = format!("{}{emoji}", "a".repeat(253));
    let over_limit = format!("{}{emoji}", "a".repeat(254));
    let r = env
        .upsert(
            false,
            vec![
                json!({"ExternalID__c": "ok-1", "Subject": at_limit}),
                json!({"ExternalID__c": "long-1", "Subject": over_limit}),
                json!({"ExternalID__c": "bad-1", "Nope__c": "x"}),
                json!({"ExternalID__c": "ro-1", "CaseNumber": "123"}),
                json!({"ExternalID__c": "OK-1", "Subject": "again"}),
                json!({"Subject": "no key"}),
                json!({"ExternalID__c": "notes-1", "EmployeeNotes__c": "n".repeat(1025)}),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let e = r.body.as_array().expect("array");
    assert_eq!(e.len(), 7);
    assert_eq!(e[0]["success"], true);
    assert_eq!(e[1]["success"], false);
    assert_eq!(status_code(&e[1]), "STRING_TOO_LONG");
    let msg = e[1]["errors"][0]["message"].as_str().expect("message");
    assert!(
        msg.starts_with("Subject: data value too large: ") && msg.ends_with("(max length=255)"),
        "{msg}"
    );
    assert_eq!(e[1]["errors"][0]["fields"], json!(["Subject"]));
    assert_eq!(status_code(&e[2]), "INVALID_FIELD");
    assert_eq!(
        e[2]["errors"][0]["message"],
        "No such column 'Nope__c' on sobject of type Case"
    );
    assert_eq!(status_code(&e[3]), "INVALID_FIELD_FOR_INSERT_UPDATE");
    assert_eq!(e[3]["errors"][0]["fields"], json!(["CaseNumber"]));
    assert_eq!(status_code(&e[4]), "DUPLICATE_EXTERNAL_ID");
    assert!(e[4].get("id").is_none_or(Value::is_null));
    assert_eq!(e[5]["success"], false);
    assert_eq!(status_code(&e[6]), "STRING_TOO_LONG");
    assert_eq!(e[6]["errors"][0]["fields"], json!(["EmployeeNotes__c"]));
    assert_eq!(env.sandbox.case_count(), 1);

    // Validation order: an unknown field wins over a read-only one and a long value.
    let r = env
        .upsert(
            false,
            vec![json!({"ExternalID__c": "x", "Id": "500000000000000", "Subject": "s".repeat(300), "Zzz": 1})],
        )
        .await;
    assert_eq!(status_code(&r.body[0]), "INVALID_FIELD");
    let r = env
        .upsert(
            false,
            vec![
                json!({"ExternalID__c": "x", "Id": "500000000000000", "Subject": "s".repeat(300)}),
            ],
        )
        .await;
    assert_eq!(status_code(&r.body[0]), "INVALID_FIELD_FOR_INSERT_UPDATE");
}

#[tokio::test]
async fn all_or_none_rolls_everything_back() {
    let env = start().await;
    let r = env
        .upsert(
            true,
            vec![
                json!({"ExternalID__c": "a-1", "Subject": "fine"}),
                json!({"ExternalID__c": "a-2", "Team__c": "t".repeat(256)}),
                json!({"ExternalID__c": "a-3", "Subject": "fine too"}),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let e = r.body.as_array().expect("array");
    assert!(e.iter().all(|x| x["success"] == false));
    assert_eq!(status_code(&e[0]), "ALL_OR_NONE_OPERATION_ROLLED_BACK");
    assert_eq!(status_code(&e[1]), "STRING_TOO_LONG");
    assert_eq!(status_code(&e[2]), "ALL_OR_NONE_OPERATION_ROLLED_BACK");
    assert_eq!(env.sandbox.case_count(), 0);
    let count = env.query("SELECT COUNT() FROM Case").await;
    assert_eq!(count.body["totalSize"], 0);

    // Without the culprit the same batch goes through.
    let r = env
        .upsert(
            true,
            vec![
                json!({"ExternalID__c": "a-1", "Subject": "fine"}),
                json!({"ExternalID__c": "a-3", "Subject": "fine too"}),
            ],
        )
        .await;
    assert!(
        r.body
            .as_array()
            .expect("array")
            .iter()
            .all(|x| x["success"] == true)
    );
    assert_eq!(env.sandbox.case_count(), 2);
}

#[tokio::test]
async fn upsert_rejects_bad_requests() {
    let env = start().await;
    let records: Vec<Value> = (0..201)
        .map(|i| json!({"ExternalID__c": format!("mv-{i}")}))
        .collect();
    let r = env.upsert(false, records).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!([{"message": "record limit reached. cannot submit more than 200 records into this call",
                "errorCode": "EXCEEDED_ID_LIMIT"}])
    );
    assert_eq!(env.sandbox.case_count(), 0);

    let exactly: Vec<Value> = (0..200)
        .map(|i| json!({"ExternalID__c": format!("mv-{i}")}))
        .collect();
    let r = env.upsert(false, exactly).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(env.sandbox.case_count(), 200);

    let r = env.upsert_raw("{\"records\": [".into()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&r.body), "JSON_PARSER_ERROR");

    let r = reply(
        env.http
            .patch(env.data("/composite/sobjects/Case/Subject"))
            .bearer_auth(&env.token)
            .body(json!({"records": []}).to_string())
            .send()
            .await
            .expect("PATCH"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&r.body), "NOT_FOUND");
}

#[tokio::test]
async fn collections_create_validates_like_upsert() {
    let env = start().await;
    env.seed(1).await;
    let r = reply(
        env.http
            .post(env.data("/composite/sobjects"))
            .bearer_auth(&env.token)
            .json(&json!({"allOrNone": false, "records": [
                {"attributes": {"type": "Case"}, "Subject": "new", "ExternalID__c": "c-1"},
                {"attributes": {"type": "Case"}, "ExternalID__c": "MV-1"},
                {"attributes": {"type": "Case"}, "Subject": "s".repeat(256)},
            ]}))
            .send()
            .await
            .expect("POST"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body[0]["success"], true);
    assert!(r.body[0].get("created").is_none());
    assert_eq!(status_code(&r.body[1]), "DUPLICATE_VALUE");
    assert_eq!(status_code(&r.body[2]), "STRING_TOO_LONG");
    assert_eq!(env.sandbox.case_count(), 2);
}

// ------------------------------------------------------------------ delete

#[tokio::test]
async fn collections_delete_is_soft_and_reports_per_id() {
    let env = start().await;
    let ids = env.seed(3).await;
    let unknown = "500000000000001AAA";
    let list = format!("{},{},not-an-id,{unknown}", ids[0], &ids[1][..15]);
    let r = env
        .delete(&format!("/composite/sobjects?ids={list}&allOrNone=false"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let e = r.body.as_array().expect("array");
    assert_eq!(e.len(), 4);
    assert_eq!(e[0], json!({"id": ids[0], "success": true, "errors": []}));
    assert_eq!(e[1]["success"], true);
    assert_eq!(
        e[1]["id"],
        json!(ids[1]),
        "15-char input answers with the 18-char id"
    );
    assert_eq!(status_code(&e[2]), "MALFORMED_ID");
    assert_eq!(status_code(&e[3]), "INVALID_CROSS_REFERENCE_KEY");
    assert_eq!(e[3]["errors"][0]["message"], "invalid cross reference id");
    assert_eq!(env.sandbox.case_count(), 1);

    let again = env
        .delete(&format!(
            "/composite/sobjects?ids={}",
            ids[0].to_lowercase()
        ))
        .await;
    assert_eq!(again.body[0]["success"], false);
    assert_eq!(status_code(&again.body[0]), "ENTITY_IS_DELETED");
    assert_eq!(again.body[0]["errors"][0]["message"], "entity is deleted");

    // allOrNone: one bad id keeps the good one alive.
    let r = env
        .delete(&format!(
            "/composite/sobjects?ids={},{}&allOrNone=true",
            ids[2], ids[0]
        ))
        .await;
    assert_eq!(status_code(&r.body[0]), "ALL_OR_NONE_OPERATION_ROLLED_BACK");
    assert_eq!(status_code(&r.body[1]), "ENTITY_IS_DELETED");
    assert_eq!(env.sandbox.case_count(), 1);

    // query hides deleted rows, queryAll shows them.
    let live = env.query("SELECT Id FROM Case").await;
    assert_eq!(live.body["totalSize"], 1);
    let all = env
        .query_all("SELECT Id, IsDeleted FROM Case WHERE IsDeleted = true")
        .await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert_eq!(all.body["totalSize"], 2);

    // Re-pushing a deleted external id creates a new Case.
    let r = env
        .upsert(false, vec![json!({"ExternalID__c": "mv-1"})])
        .await;
    assert_eq!(r.body[0]["created"], true);
    assert_ne!(r.body[0]["id"], json!(ids[0]));

    let too_many: Vec<String> = (0..201).map(|_| ids[2].clone()).collect();
    let r = env
        .delete(&format!("/composite/sobjects?ids={}", too_many.join(",")))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&r.body), "EXCEEDED_ID_LIMIT");
}

#[tokio::test]
async fn single_record_get_and_delete() {
    let env = start().await;
    let ids = env.seed(1).await;
    let id = &ids[0];
    let r = env
        .get(&format!(
            "/sobjects/case/{}?fields=ExternalID__c,status",
            &id[..15]
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["ExternalID__c"], "mv-1");
    assert_eq!(r.body["Status"], "New");

    let bad_field = env.get(&format!("/sobjects/Case/{id}?fields=Nope")).await;
    assert_eq!(bad_field.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&bad_field.body), "INVALID_FIELD");

    let d = env.delete(&format!("/sobjects/Case/{id}")).await;
    assert_eq!(d.status, StatusCode::NO_CONTENT);
    let d = env.delete(&format!("/sobjects/Case/{id}")).await;
    assert_eq!(d.status, StatusCode::NOT_FOUND);
    assert_eq!(
        d.body,
        json!([{"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}])
    );
    let g = env.get(&format!("/sobjects/Case/{id}")).await;
    assert_eq!(g.status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&g.body), "ENTITY_IS_DELETED");

    for unknown in ["500000000000001AAA", "bogus"] {
        let g = env.get(&format!("/sobjects/Case/{unknown}")).await;
        assert_eq!(g.status, StatusCode::NOT_FOUND);
        assert_eq!(error_code(&g.body), "NOT_FOUND");
        let d = env.delete(&format!("/sobjects/Case/{unknown}")).await;
        assert_eq!(d.status, StatusCode::NOT_FOUND);
        assert_eq!(error_code(&d.body), "NOT_FOUND");
    }
}

// ------------------------------------------------------------------ SOQL

#[tokio::test]
async fn soql_filters_sorts_limits_and_counts() {
    let env = start().await;
    let r = env
        .upsert(
            false,
            vec![
                json!({"ExternalID__c": "q-1", "Subject": "b", "Origin": "Web", "Team__c": "AP"}),
                json!({"ExternalID__c": "q-2", "Subject": "a", "Origin": "Phone"}),
                json!({"ExternalID__c": "q-3", "Subject": "C", "Origin": "Email", "Team__c": "AR"}),
                json!({"ExternalID__c": "q-4", "Origin": "Web", "Team__c": "AP"}),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    let r = env
        .query("select id, externalid__c, Subject from case where ExternalID__c = 'Q-1'")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["totalSize"], 1);
    assert_eq!(r.body["done"], true);
    let rec = &r.body["records"][0];
    assert_eq!(rec["attributes"]["type"], "Case");
    assert!(
        rec["attributes"]["url"]
            .as_str()
            .is_some_and(|u| u.starts_with(&format!("/services/data/{V}/sobjects/Case/500")))
    );
    let keys: Vec<&String> = rec.as_object().expect("object").keys().collect();
    assert_eq!(keys.len(), 4);
    assert_eq!(rec["ExternalID__c"], "q-1", "canonical field names");
    assert_eq!(rec["Subject"], "b");

    let r = env
        .query("SELECT ExternalID__c FROM Case WHERE Origin IN ('Web', 'email') AND Team__c != null ORDER BY ExternalID__c DESC")
        .await;
    let got: Vec<&Value> = r.body["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|x| &x["ExternalID__c"])
        .collect();
    assert_eq!(got, vec!["q-4", "q-3", "q-1"]);

    let r = env
        .query("SELECT Subject FROM Case WHERE Team__c = null")
        .await;
    assert_eq!(r.body["totalSize"], 1);
    assert_eq!(r.body["records"][0]["Subject"], "a");

    // Ascending puts nulls first; text sorts case-insensitively.
    let r = env.query("SELECT Subject FROM Case ORDER BY Subject").await;
    let got: Vec<&Value> = r.body["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|x| &x["Subject"])
        .collect();
    assert_eq!(
        got,
        vec![&Value::Null, &json!("a"), &json!("b"), &json!("C")]
    );
    let r = env
        .query("SELECT Subject FROM Case ORDER BY Subject ASC NULLS LAST LIMIT 2")
        .await;
    assert_eq!(r.body["totalSize"], 2);
    assert_eq!(r.body["records"][0]["Subject"], "a");

    let r = env
        .query("SELECT COUNT() FROM Case WHERE Origin = 'WEB'")
        .await;
    assert_eq!(r.body, json!({"totalSize": 2, "done": true, "records": []}));

    let r = env.query("SELECT Id FROM Case WHERE Subject != 'b'").await;
    assert_eq!(r.body["totalSize"], 3);
}

#[tokio::test]
async fn soql_pages_through_a_snapshot() {
    let env = start_paged(2).await;
    env.seed(5).await;
    let q = "SELECT ExternalID__c FROM Case ORDER BY ExternalID__c";
    let mut page = env.query(q).await;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        pages += 1;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert_eq!(page.body["totalSize"], 5);
        for r in page.body["records"].as_array().expect("records") {
            seen.push(r["ExternalID__c"].as_str().expect("ext").to_string());
        }
        if page.body["done"] == true {
            assert!(page.body.get("nextRecordsUrl").is_none());
            break;
        }
        let next = page.body["nextRecordsUrl"]
            .as_str()
            .expect("next")
            .to_string();
        assert!(
            next.starts_with(&format!("/services/data/{V}/query/01g")),
            "{next}"
        );
        if pages == 1 {
            // The snapshot does not see later writes.
            env.seed(6).await;
        }
        page = reply(
            env.http
                .get(env.url(&next))
                .bearer_auth(&env.token)
                .send()
                .await
                .expect("next page"),
        )
        .await;
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, vec!["mv-1", "mv-2", "mv-3", "mv-4", "mv-5"]);

    let bad = env.get("/query/01g000000000000AAA-2").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&bad.body), "INVALID_QUERY_LOCATOR");

    let all = env.query_all(q).await;
    assert!(
        all.body["nextRecordsUrl"]
            .as_str()
            .is_some_and(|u| u.contains("/queryAll/01g"))
    );
}

/// Escapes a value for a SOQL string literal.
fn soql_quote(value: &str) -> String {
    let mut out = String::from("'");
    for c in value.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[tokio::test]
async fn soql_escapes_round_trip() {
    let env = start().await;
    let tricky = "O'Brien \\ / # ? % ; & + . München Ωμέγα 東京 \"q\"\tx";
    let r = env
        .upsert(
            false,
            vec![
                json!({"ExternalID__c": "esc-1", "Subject": tricky, "Department__c": "Ünïcödé Dept."}),
                json!({"ExternalID__c": "esc-2", "Subject": "plain"}),
            ],
        )
        .await;
    assert_eq!(r.body[0]["success"], true, "{}", r.body);
    let q = format!(
        "SELECT ExternalID__c, Subject FROM Case WHERE Subject = {}",
        soql_quote(tricky)
    );
    let r = env.query(&q).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["totalSize"], 1);
    assert_eq!(r.body["records"][0]["Subject"], tricky);

    let r = env
        .query(r"SELECT Id FROM Case WHERE Department__c = '\u00dcn\u00efc\u00f6d\u00e9 dept.'")
        .await;
    assert_eq!(r.body["totalSize"], 1, "{}", r.body);

    let r = env
        .query(r"SELECT Id FROM Case WHERE Subject = 'bad \x escape'")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&r.body), "MALFORMED_QUERY");
}

#[tokio::test]
async fn soql_errors() {
    let env = start().await;
    let cases = [
        ("SELECT Id FRM Case", "MALFORMED_QUERY"),
        ("SELECT FROM Case", "MALFORMED_QUERY"),
        ("SELECT Id FROM Case WHERE", "MALFORMED_QUERY"),
        (
            "SELECT Id FROM Case WHERE Subject = 'x' OR Subject = 'y'",
            "MALFORMED_QUERY",
        ),
        ("SELECT Id FROM Case LIMIT", "MALFORMED_QUERY"),
        (
            "SELECT Id FROM Case WHERE Subject = 'open",
            "MALFORMED_QUERY",
        ),
        ("SELECT Nope__c FROM Case", "INVALID_FIELD"),
        ("SELECT Id FROM Case WHERE Nope = 'x'", "INVALID_FIELD"),
        ("SELECT Id FROM Case ORDER BY Nope", "INVALID_FIELD"),
        ("SELECT Id FROM Account", "INVALID_TYPE"),
    ];
    for (q, code) in cases {
        let r = env.query(q).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}");
        assert_eq!(error_code(&r.body), code, "{q}: {}", r.body);
        assert!(r.body[0]["message"].is_string());
    }
    let r = env.query("SELECT Nope__c FROM Case").await;
    assert!(
        r.body[0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("No such column 'Nope__c' on entity 'Case'"))
    );
}

// ------------------------------------------------------------------ lifecycle

#[tokio::test]
async fn non_loopback_bind_is_refused() {
    let config = SandboxConfig {
        bind: "0.0.0.0:0".parse().expect("addr"),
        ..SandboxConfig::default()
    };
    match Sandbox::start(config).await {
        Err(SandboxError::NonLoopback(addr)) => assert_eq!(addr.to_string(), "0.0.0.0:0"),
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("non-loopback bind must be refused"),
    }
}

#[tokio::test]
async fn banner_and_stop() {
    let env = start().await;
    let banner = env.sandbox.banner();
    assert!(!banner.contains('\n'));
    assert!(banner.contains(&env.base));
    let d = SandboxCredentials::default();
    for part in [&d.client_id, &d.client_secret, &d.username, &d.password] {
        assert!(banner.contains(part.as_str()), "{banner}");
    }
    assert!(env.base.starts_with("http://127.0.0.1:"));
    assert_eq!(
        env.sandbox.addr().port(),
        env.base
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    );
    let url = env.url("/services/data/");
    env.sandbox.stop().await;
    let fresh = reqwest::Client::new();
    assert!(fresh.get(url).send().await.is_err(), "server is gone");
}

// ------------------------------------------------------------------ single-record writes

#[tokio::test]
async fn single_record_create_update_and_external_id_rows() {
    let env = start().await;
    let created = reply(
        env.http
            .post(env.data("/sobjects/Case"))
            .bearer_auth(&env.token)
            .json(&json!({"Subject": "one", "ExternalID__c": "s-1"}))
            .send()
            .await
            .expect("POST"),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["success"], true);
    let id = created.body["id"].as_str().expect("id").to_string();

    let updated = reply(
        env.http
            .patch(env.data(&format!("/sobjects/Case/{id}")))
            .bearer_auth(&env.token)
            .json(&json!({"Subject": "two"}))
            .send()
            .await
            .expect("PATCH"),
    )
    .await;
    assert_eq!(updated.status, StatusCode::NO_CONTENT);
    let too_long = reply(
        env.http
            .patch(env.data(&format!("/sobjects/Case/{id}")))
            .bearer_auth(&env.token)
            .json(&json!({"Subject": "x".repeat(256)}))
            .send()
            .await
            .expect("PATCH"),
    )
    .await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&too_long.body), "STRING_TOO_LONG");
    assert_eq!(too_long.body[0]["fields"], json!(["Subject"]));

    // Rows by external id: the value travels percent-encoded in the path.
    let by_ext = env
        .get("/sobjects/Case/ExternalID__c/S-1?fields=Subject")
        .await;
    assert_eq!(by_ext.status, StatusCode::OK);
    assert_eq!(by_ext.body["Subject"], "two");
    let patch = |value: &str, body: Value| {
        env.http
            .patch(env.data(&format!("/sobjects/Case/ExternalID__c/{value}")))
            .bearer_auth(&env.token)
            .json(&body)
            .send()
    };
    let r = reply(patch("s-1", json!({"Team__c": "AP"})).await.expect("PATCH")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["created"], false);
    assert_eq!(r.body["id"], json!(id));
    let r = reply(
        patch("a%2Fb%20c", json!({"Team__c": "AR"}))
            .await
            .expect("PATCH"),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["created"], true);
    let got = env
        .query("SELECT Team__c FROM Case WHERE ExternalID__c = 'a/b c'")
        .await;
    assert_eq!(got.body["records"][0]["Team__c"], "AR");
    let r = reply(
        env.http
            .patch(env.data("/sobjects/Case/Subject/x"))
            .bearer_auth(&env.token)
            .json(&json!({}))
            .send()
            .await
            .expect("PATCH"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let d = env.delete("/sobjects/Case/ExternalID__c/s-1").await;
    assert_eq!(d.status, StatusCode::NO_CONTENT);
    let d = env.delete("/sobjects/Case/ExternalID__c/s-1").await;
    assert_eq!(d.status, StatusCode::NOT_FOUND);
    assert_eq!(env.sandbox.case_count(), 1);
}

#[tokio::test]
async fn wrong_methods_and_old_versions() {
    let env = start().await;
    let r = reply(
        env.http
            .put(env.data("/sobjects/Case/describe"))
            .bearer_auth(&env.token)
            .send()
            .await
            .expect("PUT"),
    )
    .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_code(&r.body), "METHOD_NOT_ALLOWED");

    // Collections upsert arrived in 46.0.
    let r = reply(
        env.http
            .patch(env.url("/services/data/v45.0/composite/sobjects/Case/ExternalID__c"))
            .bearer_auth(&env.token)
            .json(&json!({"records": []}))
            .send()
            .await
            .expect("PATCH"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = reply(
        env.http
            .patch(env.url("/services/data/v46.0/composite/sobjects/Case/ExternalID__c"))
            .bearer_auth(&env.token)
            .json(&json!({"records": [{"attributes": {"type": "Case"}, "ExternalID__c": "v46"}]}))
            .send()
            .await
            .expect("PATCH"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body[0]["created"], true);
}

#[test]
fn credentials_debug_is_redacted() {
    let creds = SandboxCredentials {
        security_token: Some("TOKEN123".into()),
        ..SandboxCredentials::default()
    };
    let text = format!(
        "{:?}",
        SandboxConfig {
            credentials: creds,
            ..SandboxConfig::default()
        }
    );
    assert!(!text.contains("sandbox-secret") && !text.contains("sandbox-password"));
    assert!(!text.contains("TOKEN123") && text.contains("moveforce-sandbox"));
}

#[tokio::test]
async fn garbage_gets_salesforce_shaped_errors() {
    let env = start().await;
    let bodies = [
        ("[]", "JSON_PARSER_ERROR"),
        ("null", "JSON_PARSER_ERROR"),
        ("", "JSON_PARSER_ERROR"),
        ("{\"records\": {}}", "JSON_PARSER_ERROR"),
        ("{\"records\": [1]}", "JSON_PARSER_ERROR"),
        (
            "{\"allOrNone\": \"yes\", \"records\": []}",
            "JSON_PARSER_ERROR",
        ),
        (
            "{\"records\": [{\"ExternalID__c\": \"x\"}]}",
            "INVALID_TYPE",
        ),
        (
            "{\"records\": [{\"attributes\": {\"type\": \"Account\"}}]}",
            "INVALID_TYPE",
        ),
        ("\u{0}\u{1}", "JSON_PARSER_ERROR"),
    ];
    for (body, code) in bodies {
        let r = env.upsert_raw(body.to_string()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error_code(&r.body), code, "{body}: {}", r.body);
    }
    let r = env
        .upsert(
            false,
            vec![json!({"ExternalID__c": "x", "Subject": {"nested": true}})],
        )
        .await;
    assert_eq!(status_code(&r.body[0]), "INVALID_TYPE_ON_FIELD_IN_RECORD");
    let r = env
        .upsert(
            false,
            vec![json!({"ExternalID__c": 42, "Subject": 7, "OwnerId": "005000000000000AAA"})],
        )
        .await;
    assert_eq!(status_code(&r.body[0]), "INVALID_CROSS_REFERENCE_KEY");

    for path in [
        "/query",
        "/query?q=",
        "/query?q=%20",
        "/query?q=SELECT",
        "/query?q=%E2%9C%93",
    ] {
        let r = env.get(path).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(error_code(&r.body), "MALFORMED_QUERY", "{path}");
    }
    for path in [
        "/query/x",
        "/query/-",
        "/query/01g-abc",
        "/query/01g000000000000AAA-99999999999999999999999",
    ] {
        let r = env.get(path).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(error_code(&r.body), "INVALID_QUERY_LOCATOR", "{path}");
    }
    for path in [
        "/composite/sobjects",
        "/composite/sobjects?ids=",
        "/composite/sobjects?ids=a&allOrNone=maybe",
    ] {
        let r = env.delete(path).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(r.body[0]["errorCode"].is_string(), "{path}");
    }
    let r = env.get("/sobjects/Case/500000000000001AAA?fields=").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
