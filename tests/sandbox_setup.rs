//! The sandbox as an org with setup state, over loopback HTTP: Tooling `CustomField`,
//! field-level security through permission sets, and the integration user's permissions.

use moveforce::sandbox::{
    CaseAccess, FieldMetadata, Sandbox, SandboxConfig, SandboxCredentials, Setup,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const V: &str = "v62.0";
const SEVEN: [&str; 7] = [
    "ExternalID__c",
    "Department__c",
    "Team__c",
    "CurrentSeat__c",
    "NewSeat__c",
    "EmployeeAssets__c",
    "EmployeeNotes__c",
];

struct Env {
    sandbox: Sandbox,
    http: reqwest::Client,
    base: String,
    token: String,
}

struct Reply {
    status: StatusCode,
    body: Value,
}

impl Reply {
    /// The errorCode of a REST error array.
    fn code(&self) -> &str {
        self.body[0]["errorCode"].as_str().unwrap_or_default()
    }
}

async fn start_with(config: SandboxConfig) -> Env {
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    let http = reqwest::Client::new();
    let base = sandbox.base_url();
    let creds = SandboxCredentials::default();
    let r = http
        .post(format!("{base}/services/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", creds.client_id.as_str()),
            ("client_secret", creds.client_secret.as_str()),
        ])
        .send()
        .await
        .expect("token request");
    let body: Value = r.json().await.expect("token JSON");
    let token = body["access_token"]
        .as_str()
        .expect("access token")
        .to_string();
    Env {
        sandbox,
        http,
        base,
        token,
    }
}

async fn blank() -> Env {
    start_with(SandboxConfig {
        setup: Setup::Blank,
        ..SandboxConfig::default()
    })
    .await
}

async fn complete() -> Env {
    start_with(SandboxConfig::default()).await
}

impl Env {
    async fn call_as(&self, token: &str, method: Method, path: &str, body: Option<Value>) -> Reply {
        let url = format!("{}/services/data/{V}{path}", self.base);
        let mut req = self.http.request(method, url).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let bytes = resp.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("JSON body")
        };
        Reply { status, body }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.call_as(&self.token, method, path, body).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn patch(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(body)).await
    }

    async fn query(&self, q: &str) -> Reply {
        let encoded: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
        self.get(&format!("/query?q={encoded}")).await
    }

    async fn tooling_query(&self, q: &str) -> Reply {
        let encoded: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
        self.get(&format!("/tooling/query?q={encoded}")).await
    }

    /// Names of the Case fields the integration user sees in describe.
    async fn described(&self) -> Vec<String> {
        let r = self.get("/sobjects/Case/describe").await;
        assert_eq!(r.status, StatusCode::OK);
        r.body["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .filter_map(|f| f["name"].as_str().map(str::to_string))
            .collect()
    }

    async fn describe_field(&self, name: &str) -> Option<Value> {
        let r = self.get("/sobjects/Case/describe").await;
        r.body["fields"]
            .as_array()
            .and_then(|fields| fields.iter().find(|f| f["name"] == name).cloned())
    }

    async fn create_field(&self, full_name: &str, metadata: Value) -> Reply {
        self.post(
            "/tooling/sobjects/CustomField",
            json!({"FullName": full_name, "Metadata": metadata}),
        )
        .await
    }

    /// The Id of the permission set owned by the integration user's profile, found the way
    /// a client would: the user's assignments.
    async fn profile_set(&self) -> String {
        let user = self.user_id().await;
        let r = self
            .query(&format!(
                "SELECT Id, PermissionSetId, PermissionSet.IsOwnedByProfile FROM PermissionSetAssignment WHERE AssigneeId = '{user}'"
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["records"]
            .as_array()
            .expect("records")
            .iter()
            .find(|rec| rec["PermissionSet"]["IsOwnedByProfile"] == true)
            .and_then(|rec| rec["PermissionSetId"].as_str())
            .expect("a profile-owned permission set")
            .to_string()
    }

    async fn user_id(&self) -> String {
        let r = self.get("").await;
        let identity = r.body["identity"].as_str().expect("identity").to_string();
        identity.rsplit('/').next().expect("user id").to_string()
    }

    async fn grant(&self, parent: &str, field: &str, read: bool, edit: bool) -> Reply {
        self.post(
            "/sobjects/FieldPermissions",
            json!({"ParentId": parent, "SobjectType": "Case", "Field": field,
                   "PermissionsRead": read, "PermissionsEdit": edit}),
        )
        .await
    }
}

fn text(label: &str, length: u64) -> Value {
    json!({"label": label, "type": "Text", "length": length})
}

#[tokio::test]
async fn a_blank_org_has_none_of_the_seven() {
    let env = blank().await;
    let described = env.described().await;
    for name in SEVEN {
        assert!(
            !described.contains(&name.to_string()),
            "{name} in a blank org"
        );
    }
    assert!(described.contains(&"Subject".to_string()));
    let r = env
        .tooling_query("SELECT Id, DeveloperName FROM CustomField WHERE TableEnumOrId = 'Case'")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["size"], 0);
    assert_eq!(r.body["entityTypeName"], "CustomField");
    let r = env.query("SELECT Id, ExternalID__c FROM Case").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "INVALID_FIELD")
    );
    let r = env
        .patch("/sobjects/Case/ExternalID__c/MV-1", json!({"Subject": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.body[0]["message"],
        "Provided external ID field does not exist or is not accessible: ExternalID__c"
    );
    let r = env.post("/sobjects/Case", json!({"Team__c": "x"})).await;
    assert_eq!(r.code(), "INVALID_FIELD");
    // Cases without the custom fields still work.
    let r = env.post("/sobjects/Case", json!({"Subject": "x"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
}

#[tokio::test]
async fn the_complete_org_lists_the_seven_in_tooling_and_describe() {
    let env = complete().await;
    let described = env.described().await;
    for name in SEVEN {
        assert!(described.contains(&name.to_string()), "{name} missing");
    }
    let r = env
        .tooling_query(
            "SELECT Id, DeveloperName, TableEnumOrId FROM CustomField WHERE TableEnumOrId = 'Case' AND DeveloperName IN ('ExternalID', 'EmployeeNotes')",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["totalSize"], 2);
    let first = &r.body["records"][0];
    assert_eq!(first["DeveloperName"], "ExternalID");
    assert_eq!(first["TableEnumOrId"], "Case");
    assert_eq!(first["attributes"]["type"], "CustomField");
    let id = first["Id"].as_str().expect("id");
    assert!(id.starts_with("00N") && id.len() == 18);
    assert!(
        first["attributes"]["url"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("/tooling/sobjects/CustomField/{id}")))
    );
    let profile = env.profile_set().await;
    let r = env
        .query(&format!(
            "SELECT Id, Field, PermissionsRead, PermissionsEdit FROM FieldPermissions WHERE ParentId IN ('{profile}') AND SobjectType = 'Case'"
        ))
        .await;
    assert_eq!(r.body["totalSize"], 7, "{}", r.body);
    assert!(
        r.body["records"]
            .as_array()
            .expect("records")
            .iter()
            .all(|rec| rec["PermissionsRead"] == true && rec["PermissionsEdit"] == true)
    );
}

#[tokio::test]
async fn metadata_is_read_one_row_at_a_time() {
    let env = complete().await;
    let r = env
        .tooling_query("SELECT Id, Metadata FROM CustomField WHERE TableEnumOrId = 'Case'")
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "MALFORMED_QUERY")
    );
    let r = env
        .tooling_query("SELECT Id, FullName FROM CustomField WHERE TableEnumOrId = 'Case'")
        .await;
    assert_eq!(r.code(), "MALFORMED_QUERY");
    let r = env
        .tooling_query(
            "SELECT Id, FullName, Metadata FROM CustomField WHERE TableEnumOrId = 'Case' AND DeveloperName = 'EmployeeNotes'",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let record = &r.body["records"][0];
    assert_eq!(record["FullName"], "Case.EmployeeNotes__c");
    let m = &record["Metadata"];
    assert_eq!(m["type"], "LongTextArea");
    assert_eq!(m["length"], 1024);
    assert_eq!(m["visibleLines"], 2);
    assert_eq!(m["externalId"], false);
    let id = record["Id"].as_str().expect("id");
    let r = env
        .get(&format!("/tooling/sobjects/CustomField/{id}"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["FullName"], "Case.EmployeeNotes__c");
    assert_eq!(r.body["DeveloperName"], "EmployeeNotes");
    assert_eq!(r.body["Metadata"]["label"], "EmployeeNotes");
    let r = env
        .tooling_query("SELECT Id, Metadata FROM CustomField WHERE DeveloperName = 'ExternalID'")
        .await;
    assert_eq!(r.body["records"][0]["Metadata"]["externalId"], true);
    assert_eq!(r.body["records"][0]["Metadata"]["unique"], true);
    let r = env
        .tooling_query("SELECT Id FROM CustomField WHERE Metadata = 'x'")
        .await;
    assert_eq!(r.code(), "INVALID_FIELD");
    let r = env.tooling_query("SELECT Id FROM ApexClass").await;
    assert_eq!(r.code(), "INVALID_TYPE");
}

#[tokio::test]
async fn a_created_field_is_hidden_until_field_permissions_grant_it() {
    let env = blank().await;
    let r = env
        .create_field(
            "Case.ExternalID__c",
            json!({"label": "External ID", "type": "Text", "length": 255,
                   "externalId": true, "unique": true, "caseSensitive": false,
                   "required": false, "description": "Move console key"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["success"], true);
    assert_eq!(r.body["errors"], json!([]));
    let id = r.body["id"].as_str().expect("id").to_string();
    assert!(id.starts_with("00N"));
    // Invisible to the integration user: not in describe, not writable, not queryable.
    assert!(!env.described().await.contains(&"ExternalID__c".to_string()));
    let r = env
        .post("/sobjects/Case", json!({"ExternalID__c": "MV-1"}))
        .await;
    assert_eq!(r.code(), "INVALID_FIELD");
    assert_eq!(
        r.body[0]["message"],
        "No such column 'ExternalID__c' on sobject of type Case"
    );
    let r = env.query("SELECT ExternalID__c FROM Case").await;
    assert_eq!(r.code(), "INVALID_FIELD");
    let r = env
        .patch("/sobjects/Case/ExternalID__c/MV-1", json!({"Subject": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // But Tooling tells it exists.
    let r = env
        .tooling_query("SELECT Id FROM CustomField WHERE DeveloperName = 'ExternalID'")
        .await;
    assert_eq!(r.body["records"][0]["Id"], id.as_str());

    // A dedicated permission set, assigned to the user, granting read and edit.
    let r = env
        .post(
            "/sobjects/PermissionSet",
            json!({"Name": "Moveforce_Integration", "Label": "Moveforce Integration"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let set = r.body["id"].as_str().expect("id").to_string();
    assert!(set.starts_with("0PS"));
    let r = env.grant(&set, "Case.ExternalID__c", true, true).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(
        r.body["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("01k"))
    );
    // Not assigned yet: still hidden.
    assert!(!env.described().await.contains(&"ExternalID__c".to_string()));
    let user = env.user_id().await;
    let r = env
        .post(
            "/sobjects/PermissionSetAssignment",
            json!({"PermissionSetId": set, "AssigneeId": user}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(
        r.body["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("0Pa"))
    );

    let field = env
        .describe_field("ExternalID__c")
        .await
        .expect("visible now");
    assert_eq!(field["createable"], true);
    assert_eq!(field["updateable"], true);
    assert_eq!(field["externalId"], true);
    assert_eq!(field["unique"], true);
    assert_eq!(field["length"], 255);
    assert_eq!(field["label"], "External ID");
    let r = env
        .patch("/sobjects/Case/ExternalID__c/MV-1", json!({"Subject": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = env
        .query("SELECT Id, ExternalID__c FROM Case WHERE ExternalID__c = 'mv-1'")
        .await;
    assert_eq!(r.body["totalSize"], 1);
    assert_eq!(r.body["records"][0]["ExternalID__c"], "MV-1");
    let r = env
        .query(&format!(
            "SELECT Id, PermissionSetId FROM PermissionSetAssignment WHERE AssigneeId = '{user}'"
        ))
        .await;
    assert_eq!(r.body["totalSize"], 2, "profile set and the new one");
}

#[tokio::test]
async fn read_only_access_shows_and_refuses_writes() {
    let env = blank().await;
    let r = env.create_field("Case.Team__c", text("Team", 255)).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let profile = env.profile_set().await;
    let r = env.grant(&profile, "Case.Team__c", false, true).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "FIELD_INTEGRITY_EXCEPTION")
    );
    let r = env.grant(&profile, "Case.Team__c", true, false).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let grant = r.body["id"].as_str().expect("id").to_string();
    let field = env.describe_field("Team__c").await.expect("readable");
    assert_eq!(field["createable"], false);
    assert_eq!(field["updateable"], false);
    let r = env.post("/sobjects/Case", json!({"Team__c": "A"})).await;
    assert_eq!(r.code(), "INVALID_FIELD_FOR_INSERT_UPDATE");
    assert_eq!(r.body[0]["fields"], json!(["Team__c"]));
    assert_eq!(
        r.body[0]["message"],
        "Unable to create/update fields: Team__c. Please check the security settings of this field and verify that it is read/write for your profile or permission set."
    );
    // Readable: it can be selected.
    let r = env.query("SELECT Id, Team__c FROM Case").await;
    assert_eq!(r.status, StatusCode::OK);
    // A second row for the same (set, field) is a duplicate; PATCH the row instead.
    let r = env.grant(&profile, "Case.Team__c", true, true).await;
    assert_eq!(r.code(), "DUPLICATE_VALUE");
    let r = env
        .patch(
            &format!("/sobjects/FieldPermissions/{grant}"),
            json!({"PermissionsEdit": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = env.post("/sobjects/Case", json!({"Team__c": "A"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = env
        .get(&format!("/sobjects/FieldPermissions/{grant}"))
        .await;
    assert_eq!(r.body["PermissionsEdit"], true);
    assert_eq!(r.body["Field"], "Case.Team__c");
    assert_eq!(r.body["attributes"]["type"], "FieldPermissions");
    // Granting on a field that does not exist.
    let r = env.grant(&profile, "Case.Nope__c", true, true).await;
    assert_eq!(r.code(), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST");
}

#[tokio::test]
async fn duplicates_are_refused() {
    let env = complete().await;
    let r = env.create_field("Case.Team__c", text("Team", 100)).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "DUPLICATE_DEVELOPER_NAME")
    );
    let body = json!({"Name": "Moveforce_Integration", "Label": "Moveforce"});
    let r = env.post("/sobjects/PermissionSet", body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let set = r.body["id"].as_str().expect("id").to_string();
    let r = env.post("/sobjects/PermissionSet", body).await;
    assert_eq!(r.code(), "DUPLICATE_VALUE");
    let r = env
        .query("SELECT Id, Name FROM PermissionSet WHERE Name = 'moveforce_integration'")
        .await;
    assert_eq!(r.body["totalSize"], 1);
    assert_eq!(r.body["records"][0]["Id"], set.as_str());
    let user = env.user_id().await;
    let assign = json!({"PermissionSetId": set, "AssigneeId": user});
    let r = env
        .post("/sobjects/PermissionSetAssignment", assign.clone())
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let assignment = r.body["id"].as_str().expect("id").to_string();
    let r = env.post("/sobjects/PermissionSetAssignment", assign).await;
    assert_eq!(r.code(), "DUPLICATE_VALUE");
    let r = env
        .call(
            Method::DELETE,
            &format!("/sobjects/PermissionSetAssignment/{assignment}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = env
        .post(
            "/sobjects/PermissionSet",
            json!({"Name": "bad name", "Label": "x"}),
        )
        .await;
    assert_eq!(r.code(), "FIELD_INTEGRITY_EXCEPTION");
    let r = env
        .query(&format!(
            "SELECT Id, Username, ProfileId FROM User WHERE Id = '{user}'"
        ))
        .await;
    assert_eq!(r.body["totalSize"], 1);
    assert!(
        r.body["records"][0]["ProfileId"]
            .as_str()
            .is_some_and(|p| p.starts_with("00e"))
    );
}

#[tokio::test]
async fn field_metadata_is_validated_as_salesforce_does() {
    let env = blank().await;
    let cases = [
        ("Case.A__c", text("A", 256), "FIELD_INTEGRITY_EXCEPTION"),
        ("Case.A__c", text("A", 0), "FIELD_INTEGRITY_EXCEPTION"),
        (
            "Case.A__c",
            json!({"label": "A", "type": "LongTextArea", "length": 1024}),
            "FIELD_INTEGRITY_EXCEPTION",
        ),
        (
            "Case.A__c",
            json!({"label": "A", "type": "LongTextArea", "length": 200, "visibleLines": 2}),
            "FIELD_INTEGRITY_EXCEPTION",
        ),
        (
            "Case.A__c",
            json!({"label": "A", "type": "LongTextArea", "length": 1024, "visibleLines": 2, "externalId": true}),
            "FIELD_INTEGRITY_EXCEPTION",
        ),
        ("Case.1A__c", text("A", 10), "FIELD_INTEGRITY_EXCEPTION"),
        ("Case.A__B__c", text("A", 10), "FIELD_INTEGRITY_EXCEPTION"),
        ("Case.A", text("A", 10), "INVALID_FIELD"),
        (
            "Case.A__c",
            json!({"type": "Text", "length": 10}),
            "FIELD_INTEGRITY_EXCEPTION",
        ),
        (
            "Case.A__c",
            json!({"label": "A", "length": 10}),
            "FIELD_INTEGRITY_EXCEPTION",
        ),
        (
            "Case.A__c",
            json!({"label": "A", "type": "Text", "length": "ten"}),
            "JSON_PARSER_ERROR",
        ),
    ];
    for (name, metadata, code) in cases {
        let r = env.create_field(name, metadata.clone()).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::BAD_REQUEST, code),
            "{name} {metadata}: {}",
            r.body
        );
    }
    let resp = env
        .http
        .post(format!(
            "{}/services/data/{V}/tooling/sobjects/CustomField",
            env.base
        ))
        .bearer_auth(&env.token)
        .header("Content-Type", "application/json")
        .body("{\"FullName\": ")
        .send()
        .await
        .expect("POST");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body[0]["errorCode"], "JSON_PARSER_ERROR");
    let r = env
        .create_field(
            "Case.Notes__c",
            json!({"label": "Notes", "type": "LongTextArea", "length": 1024, "visibleLines": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

#[tokio::test]
async fn narrowing_and_type_changes_are_refused() {
    let env = complete().await;
    let r = env
        .patch(
            "/sobjects/Case/ExternalID__c/MV-1",
            json!({"Department__c": "d".repeat(200)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = env
        .tooling_query("SELECT Id FROM CustomField WHERE DeveloperName = 'Department'")
        .await;
    let id = r.body["records"][0]["Id"].as_str().expect("id").to_string();
    let path = format!("/tooling/sobjects/CustomField/{id}");
    let r = env
        .patch(&path, json!({"Metadata": text("Department", 100)}))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "FIELD_INTEGRITY_EXCEPTION")
    );
    // Narrowing above the longest value is allowed, widening too.
    let r = env
        .patch(&path, json!({"Metadata": text("Department", 200)}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = env
        .patch(
            &path,
            json!({"FullName": "Case.Department__c", "Metadata": text("Department", 255)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = env
        .patch(
            &path,
            json!({"Metadata": {"label": "Department", "type": "LongTextArea", "length": 1024, "visibleLines": 2}}),
        )
        .await;
    assert_eq!(r.code(), "FIELD_INTEGRITY_EXCEPTION");
    assert!(
        r.body[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("cannot change the type through the API"))
    );
    // Unticking External ID: the upsert URL no longer takes the field.
    let r = env
        .tooling_query("SELECT Id, Metadata FROM CustomField WHERE DeveloperName = 'ExternalID'")
        .await;
    let ext = r.body["records"][0]["Id"].as_str().expect("id").to_string();
    let mut metadata = r.body["records"][0]["Metadata"].clone();
    metadata["externalId"] = json!(false);
    metadata["unique"] = json!(false);
    let r = env
        .patch(
            &format!("/tooling/sobjects/CustomField/{ext}"),
            json!({"Metadata": metadata}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let field = env
        .describe_field("ExternalID__c")
        .await
        .expect("still visible");
    assert_eq!(field["externalId"], false);
    assert_eq!(field["idLookup"], false);
    let r = env
        .patch("/sobjects/Case/ExternalID__c/MV-2", json!({"Subject": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.body[0]["message"],
        "Provided external ID field does not exist or is not accessible: ExternalID__c"
    );
}

#[tokio::test]
async fn without_customize_application_setup_is_refused() {
    let env = start_with(SandboxConfig {
        user_can_customize: false,
        ..SandboxConfig::default()
    })
    .await;
    let r = env.tooling_query("SELECT Id FROM CustomField").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "INSUFFICIENT_ACCESS")
    );
    let r = env.create_field("Case.A__c", text("A", 10)).await;
    assert_eq!(r.code(), "INSUFFICIENT_ACCESS_OR_READONLY");
    let r = env
        .post(
            "/sobjects/PermissionSet",
            json!({"Name": "A", "Label": "A"}),
        )
        .await;
    assert_eq!(r.code(), "INSUFFICIENT_ACCESS_OR_READONLY");
    let profile = env.profile_set().await;
    let r = env.grant(&profile, "Case.Team__c", true, true).await;
    assert_eq!(r.code(), "INSUFFICIENT_ACCESS_OR_READONLY");
    // Reading permission sets still works, and so does the data API.
    assert_eq!(
        env.described()
            .await
            .iter()
            .filter(|n| n.ends_with("__c"))
            .count(),
        7
    );
    // An admin can.
    let admin = env.sandbox.admin_token().expect("admin session");
    let r = env
        .call_as(
            &admin,
            Method::GET,
            "/tooling/query?q=SELECT+Id+FROM+CustomField",
            None,
        )
        .await;
    assert_eq!(r.body["size"], 7);
    env.sandbox.set_user_can_customize(true);
    let r = env.tooling_query("SELECT Id FROM CustomField").await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn case_create_and_delete_rights() {
    let env = start_with(SandboxConfig {
        user_case_access: CaseAccess {
            create: false,
            delete: true,
        },
        ..SandboxConfig::default()
    })
    .await;
    let r = env.get("/sobjects/Case/describe").await;
    assert_eq!(r.body["createable"], false);
    assert_eq!(r.body["deletable"], true);
    assert_eq!(r.body["updateable"], true);
    let r = env.post("/sobjects/Case", json!({"Subject": "x"})).await;
    assert_eq!(r.code(), "INSUFFICIENT_ACCESS_OR_READONLY");
    let r = env
        .patch("/sobjects/Case/ExternalID__c/MV-1", json!({"Subject": "x"}))
        .await;
    assert_eq!(r.code(), "INSUFFICIENT_ACCESS_OR_READONLY");
    env.sandbox.set_user_case_access(CaseAccess {
        create: true,
        delete: false,
    });
    let r = env.post("/sobjects/Case", json!({"Subject": "x"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.body["id"].as_str().expect("id").to_string();
    let r = env
        .call(Method::DELETE, &format!("/sobjects/Case/{id}"), None)
        .await;
    assert_eq!(r.code(), "INSUFFICIENT_ACCESS_OR_READONLY");
    let r = env
        .call(
            Method::DELETE,
            &format!("/composite/sobjects?ids={id}"),
            None,
        )
        .await;
    assert_eq!(
        r.body[0]["errors"][0]["statusCode"],
        "INSUFFICIENT_ACCESS_OR_READONLY"
    );
    let r = env.get("/sobjects/Case/describe").await;
    assert_eq!(r.body["deletable"], false);
}

#[tokio::test]
async fn admin_helpers_break_the_org() {
    let env = complete().await;
    assert_eq!(env.sandbox.admin_revoke_field_access("NewSeat__c"), 1);
    assert!(!env.described().await.contains(&"NewSeat__c".to_string()));
    // The admin still sees it.
    let admin = env.sandbox.admin_token().expect("admin");
    let r = env
        .call_as(&admin, Method::GET, "/sobjects/Case/describe", None)
        .await;
    assert!(
        r.body["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .any(|f| f["name"] == "NewSeat__c")
    );
    // Replace a field with a shorter one: delete, then create.
    assert!(env.sandbox.admin_delete_field("Team__c"));
    let id = env
        .sandbox
        .admin_set_field("Team__c", FieldMetadata::text("Team", 80))
        .expect("created");
    assert!(id.starts_with("00N"));
    assert!(!env.described().await.contains(&"Team__c".to_string()));
    env.sandbox
        .admin_grant_field_access("Team__c", true, true)
        .expect("granted");
    let field = env.describe_field("Team__c").await.expect("visible");
    assert_eq!(field["length"], 80);
    // Untick External ID.
    let mut m = env.sandbox.field_metadata("ExternalID__c").expect("exists");
    m.external_id = false;
    m.unique = false;
    env.sandbox
        .admin_set_field("ExternalID__c", m)
        .expect("updated");
    let field = env.describe_field("ExternalID__c").await.expect("visible");
    assert_eq!(field["externalId"], false);
}

#[tokio::test]
async fn deleting_a_field_drops_its_values_and_permissions() {
    let env = complete().await;
    let r = env
        .patch(
            "/sobjects/Case/ExternalID__c/MV-1",
            json!({"Team__c": "Blue"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = env
        .tooling_query("SELECT Id FROM CustomField WHERE DeveloperName = 'Team'")
        .await;
    let id = r.body["records"][0]["Id"].as_str().expect("id").to_string();
    let r = env
        .call(
            Method::DELETE,
            &format!("/tooling/sobjects/CustomField/{id}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(!env.described().await.contains(&"Team__c".to_string()));
    let r = env
        .query("SELECT Id FROM FieldPermissions WHERE Field = 'Case.Team__c'")
        .await;
    assert_eq!(r.body["totalSize"], 0);
    let r = env.create_field("Case.Team__c", text("Team", 255)).await;
    assert_eq!(r.status, StatusCode::CREATED);
    env.sandbox
        .admin_grant_field_access("Team__c", true, true)
        .expect("granted");
    let r = env.query("SELECT Team__c FROM Case").await;
    assert_eq!(r.body["records"][0]["Team__c"], Value::Null);
}

#[tokio::test]
async fn field_permissions_in_one_collections_request() {
    let env = blank().await;
    for name in ["Department", "Team"] {
        let r = env
            .create_field(&format!("Case.{name}__c"), text(name, 255))
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let profile = env.profile_set().await;
    let records: Vec<Value> = ["Case.Department__c", "Case.Team__c"]
        .iter()
        .map(|f| {
            json!({"attributes": {"type": "FieldPermissions"}, "ParentId": profile,
                   "SobjectType": "Case", "Field": f,
                   "PermissionsRead": true, "PermissionsEdit": true})
        })
        .collect();
    let r = env
        .post(
            "/composite/sobjects",
            json!({"allOrNone": true, "records": records}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body
            .as_array()
            .expect("results")
            .iter()
            .all(|x| x["success"] == true)
    );
    let described = env.described().await;
    assert!(described.contains(&"Department__c".to_string()));
    assert!(described.contains(&"Team__c".to_string()));
}
