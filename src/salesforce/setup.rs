//! The org's setup for moveforce, inspected and repaired through the API: the seven Case
//! fields (describe shows what the integration user sees; the Tooling API shows what
//! exists), field-level security granted through a permission set named for moveforce, and
//! the user's rights on Case. Repair never deletes or narrows anything.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::client::SalesforceClient;
use super::error::SfError;
use super::fields::{Existence, FieldCheck, FieldStatus, ToolingField, check_field_with};
use super::soql;
use crate::spec::{CUSTOM_FIELDS, CustomFieldSpec, FieldKind};

/// The permission set moveforce creates (if absent) to grant the seven fields.
pub const PERMISSION_SET_NAME: &str = "moveforce_integration";
const PERMISSION_SET_LABEL: &str = "moveforce integration";

/// What the Tooling API could say about the fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolingView {
    /// Fields that exist, by API name (`Team__c`).
    Available(HashMap<String, ToolingField>),
    /// The user may not read setup; why, in Salesforce's words.
    Unavailable(String),
}

/// Everything the checklist shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupReport {
    pub checks: Vec<FieldCheck>,
    pub tooling: ToolingView,
    /// The user can create Cases (push would fail otherwise).
    pub case_createable: bool,
    /// The user can delete Cases (undo would fail otherwise).
    pub case_deletable: bool,
}

impl SetupReport {
    /// Every field ok: a push will not be refused for setup reasons.
    pub fn fields_ok(&self) -> bool {
        self.checks.iter().all(|c| c.status == FieldStatus::Ok)
    }

    /// Problems with the user's rights on Case, as sentences.
    pub fn case_access_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !self.case_createable {
            problems.push(
                "the integration user cannot create Cases, so pushes would fail: give its profile or a permission set Create on Cases".to_owned(),
            );
        }
        if !self.case_deletable {
            problems.push(
                "the integration user cannot delete Cases, so undo would fail: give its profile or a permission set Delete on Cases".to_owned(),
            );
        }
        problems
    }
}

fn api_name_of(developer_name: &str) -> String {
    format!("{developer_name}__c")
}

fn tooling_field(id: &str, metadata: &Value) -> ToolingField {
    let number = |key: &str| metadata.get(key).and_then(Value::as_u64);
    ToolingField {
        id: id.to_owned(),
        type_name: metadata
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        length: number("length").unwrap_or(0) as usize,
        external_id: metadata
            .get("externalId")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        unique: metadata
            .get("unique")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        visible_lines: number("visibleLines").map(|n| n as u32),
    }
}

/// Reads the seven fields' metadata through the Tooling API.
async fn read_tooling(client: &SalesforceClient) -> ToolingView {
    let names: Vec<&str> = CUSTOM_FIELDS
        .iter()
        .map(|f| f.api_name.trim_end_matches("__c"))
        .collect();
    let query = format!(
        "SELECT Id, DeveloperName FROM CustomField WHERE TableEnumOrId = 'Case' AND DeveloperName IN {}",
        soql::quote_list(names.iter().copied())
    );
    let rows = match client.tooling_query(&query).await {
        Ok(result) => result.records,
        Err(err) => return ToolingView::Unavailable(err.to_string()),
    };
    let mut fields = HashMap::new();
    for row in rows {
        let (Some(id), Some(name)) = (
            row.get("Id").and_then(Value::as_str),
            row.get("DeveloperName").and_then(Value::as_str),
        ) else {
            continue;
        };
        // Metadata can only be read one field at a time.
        let metadata = match client
            .get_json(&format!("tooling/sobjects/CustomField/{id}"))
            .await
        {
            Ok(record) => record.get("Metadata").cloned().unwrap_or(Value::Null),
            Err(err) => return ToolingView::Unavailable(err.to_string()),
        };
        fields.insert(api_name_of(name), tooling_field(id, &metadata));
    }
    ToolingView::Available(fields)
}

/// Describe as the integration user, then the Tooling API where the user may read it.
pub async fn inspect(client: &SalesforceClient) -> Result<SetupReport, SfError> {
    let case = client.describe_case_object().await?;
    let tooling = read_tooling(client).await;
    let checks = CUSTOM_FIELDS
        .iter()
        .map(|spec| {
            let existence = match &tooling {
                ToolingView::Available(fields) => match fields.get(spec.api_name) {
                    Some(field) => Existence::Exists(field),
                    None => Existence::Absent,
                },
                ToolingView::Unavailable(_) => Existence::Unknown,
            };
            check_field_with(spec, &case.fields, existence)
        })
        .collect();
    Ok(SetupReport {
        checks,
        tooling,
        case_createable: case.createable,
        case_deletable: case.deletable,
    })
}

/// One change the repair makes, in the order it makes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepairStep {
    CreateField(CustomFieldSpec),
    WidenField {
        spec: CustomFieldSpec,
        id: String,
        from: usize,
    },
    MarkExternalId {
        spec: CustomFieldSpec,
        id: String,
    },
    CreatePermissionSet,
    AssignPermissionSet,
    /// Read and Edit on these fields in the permission set.
    GrantAccess(Vec<CustomFieldSpec>),
}

impl RepairStep {
    pub fn describe(&self) -> String {
        match self {
            RepairStep::CreateField(spec) => format!(
                "create {} as {}({}){}{}",
                spec.api_name,
                spec.kind.setup_name(),
                spec.length,
                if spec.external_id {
                    ", External ID, Unique"
                } else {
                    ""
                },
                spec.visible_lines
                    .map(|l| format!(", {l} visible lines"))
                    .unwrap_or_default()
            ),
            RepairStep::WidenField { spec, from, .. } => format!(
                "widen {} from {from} to {} characters",
                spec.api_name, spec.length
            ),
            RepairStep::MarkExternalId { spec, .. } => {
                format!("mark {} as External ID", spec.api_name)
            }
            RepairStep::CreatePermissionSet => {
                format!("create the permission set {PERMISSION_SET_NAME}")
            }
            RepairStep::AssignPermissionSet => {
                format!("assign {PERMISSION_SET_NAME} to the integration user")
            }
            RepairStep::GrantAccess(specs) => format!(
                "grant Read and Edit on {} through {PERMISSION_SET_NAME}",
                specs
                    .iter()
                    .map(|s| s.api_name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// What a repair would do, and what only a person can do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepairPlan {
    pub steps: Vec<RepairStep>,
    /// Steps moveforce cannot take through the API, each with where to do it by hand.
    pub manual: Vec<String>,
    /// Known before any step: the permission set's Id, if it exists.
    permission_set: Option<String>,
}

impl RepairPlan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// The permission set moveforce uses, and whether the user holds it.
struct PermissionState {
    set_id: Option<String>,
    assigned: bool,
    /// Fields already granted Read and Edit in it.
    granted: Vec<String>,
}

async fn permission_state(
    client: &SalesforceClient,
    user_id: &str,
) -> Result<PermissionState, SfError> {
    let sets = client
        .query(&format!(
            "SELECT Id FROM PermissionSet WHERE Name = {}",
            soql::quote(PERMISSION_SET_NAME)
        ))
        .await?
        .records;
    let Some(set_id) = sets
        .first()
        .and_then(|r| r.get("Id"))
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return Ok(PermissionState {
            set_id: None,
            assigned: false,
            granted: Vec::new(),
        });
    };
    let assigned = !client
        .query(&format!(
            "SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = {} AND PermissionSetId = {}",
            soql::quote(user_id),
            soql::quote(&set_id)
        ))
        .await?
        .records
        .is_empty();
    let granted = client
        .query(&format!(
            "SELECT Id, Field, PermissionsRead, PermissionsEdit FROM FieldPermissions WHERE ParentId = {} AND SobjectType = 'Case'",
            soql::quote(&set_id)
        ))
        .await?
        .records
        .iter()
        .filter(|r| {
            r.get("PermissionsRead").and_then(Value::as_bool) == Some(true)
                && r.get("PermissionsEdit").and_then(Value::as_bool) == Some(true)
        })
        .filter_map(|r| r.get("Field").and_then(Value::as_str))
        .map(|f| f.trim_start_matches("Case.").to_owned())
        .collect();
    Ok(PermissionState {
        set_id: Some(set_id),
        assigned,
        granted,
    })
}

/// Works out what a repair would change. Reads the org (permission sets) but writes nothing.
pub async fn plan_repair(
    client: &SalesforceClient,
    report: &SetupReport,
    user_id: &str,
) -> Result<RepairPlan, SfError> {
    let mut plan = RepairPlan::default();
    let tooling = match &report.tooling {
        ToolingView::Available(fields) => fields,
        ToolingView::Unavailable(reason) => {
            if !report.fields_ok() {
                plan.manual.push(format!(
                    "The integration user may not change setup ({reason}). Run `moveforce fields fix` with an administrator's credentials (a user with Customize Application and Manage Users), or create the fields and grant access by hand in Setup > Object Manager > Case > Fields & Relationships."
                ));
            }
            return Ok(plan);
        }
    };
    let mut to_grant = Vec::new();
    for check in &report.checks {
        let spec = check.spec;
        let existing = tooling.get(spec.api_name);
        match check.status {
            FieldStatus::Ok => {}
            FieldStatus::Missing => {
                plan.steps.push(RepairStep::CreateField(spec));
                to_grant.push(spec);
            }
            FieldStatus::Hidden | FieldStatus::ReadOnly => to_grant.push(spec),
            FieldStatus::WrongType => plan.manual.push(format!(
                "{} is {} but must be {}; Salesforce cannot change a field's type safely through the API and moveforce never deletes a field: in Setup > Object Manager > Case > Fields & Relationships, delete it (its data goes with it) and run `moveforce fields fix` again",
                spec.api_name,
                check.found.as_deref().unwrap_or("another type"),
                check.expected()
            )),
            FieldStatus::WrongLength => {
                if let Some(field) = existing {
                    plan.steps.push(RepairStep::WidenField {
                        spec,
                        id: field.id.clone(),
                        from: field.length,
                    });
                }
            }
            FieldStatus::NotExternalId => {
                if let Some(field) = existing {
                    plan.steps.push(RepairStep::MarkExternalId {
                        spec,
                        id: field.id.clone(),
                    });
                }
            }
        }
    }
    if to_grant.is_empty() {
        return Ok(plan);
    }
    let state = permission_state(client, user_id).await?;
    if state.set_id.is_none() {
        plan.steps.push(RepairStep::CreatePermissionSet);
    }
    if !state.assigned {
        plan.steps.push(RepairStep::AssignPermissionSet);
    }
    let needed: Vec<CustomFieldSpec> = to_grant
        .into_iter()
        .filter(|spec| !state.granted.iter().any(|g| g == spec.api_name))
        .collect();
    if !needed.is_empty() {
        plan.steps.push(RepairStep::GrantAccess(needed));
    } else if state.assigned {
        plan.manual.push(
            "The fields are granted through the moveforce permission set, yet the user still cannot see or edit them: check for a muting permission set group or a restricted profile in Setup > Users".to_owned(),
        );
    }
    plan.permission_set = state.set_id;
    Ok(plan)
}

/// The metadata moveforce creates a field with.
fn field_metadata(spec: &CustomFieldSpec) -> Value {
    match spec.kind {
        FieldKind::Text => {
            let mut metadata = json!({
                "label": spec.label,
                "type": "Text",
                "length": spec.length,
                "required": false,
                "description": "Written by moveforce from workplace move plans",
            });
            if spec.external_id {
                metadata["externalId"] = json!(true);
                metadata["unique"] = json!(true);
                metadata["caseSensitive"] = json!(false);
            }
            metadata
        }
        FieldKind::LongTextArea => json!({
            "label": spec.label,
            "type": "LongTextArea",
            "length": spec.length,
            "visibleLines": spec.visible_lines.unwrap_or(2),
            "required": false,
            "description": "Written by moveforce from workplace move plans",
        }),
    }
}

/// Changes a field's metadata: read it whole, change what must change, write it back whole
/// (Salesforce expects the full metadata).
async fn amend_field(
    client: &SalesforceClient,
    id: &str,
    change: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> Result<(), SfError> {
    let path = format!("tooling/sobjects/CustomField/{id}");
    let record = client.get_json(&path).await?;
    let mut metadata = record
        .get("Metadata")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // Keys Salesforce reports but refuses back.
    metadata.retain(|_, v| !v.is_null());
    change(&mut metadata);
    client
        .update_record(&path, &json!({ "Metadata": metadata }))
        .await
}

/// The outcome of each step, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepOutcome {
    pub step: String,
    pub result: Result<(), String>,
}

/// Makes the plan's changes, in order. A failed step is reported and the rest go on where
/// they do not depend on it.
pub async fn repair(
    client: &SalesforceClient,
    plan: &RepairPlan,
    user_id: &str,
) -> Vec<StepOutcome> {
    let mut outcomes = Vec::new();
    let mut set_id = plan.permission_set.clone();
    for step in &plan.steps {
        let result: Result<(), SfError> = match step {
            RepairStep::CreateField(spec) => client
                .create_record(
                    "tooling/sobjects/CustomField",
                    &json!({
                        "FullName": format!("Case.{}", spec.api_name),
                        "Metadata": field_metadata(spec),
                    }),
                )
                .await
                .map(|_| ()),
            RepairStep::WidenField { spec, id, .. } => {
                let length = spec.length;
                amend_field(client, id, |m| {
                    m.insert("length".to_owned(), json!(length));
                })
                .await
            }
            RepairStep::MarkExternalId { id, .. } => {
                amend_field(client, id, |m| {
                    m.insert("externalId".to_owned(), json!(true));
                })
                .await
            }
            RepairStep::CreatePermissionSet => client
                .create_record(
                    "sobjects/PermissionSet",
                    &json!({
                        "Name": PERMISSION_SET_NAME,
                        "Label": PERMISSION_SET_LABEL,
                        "Description": "Read and edit on the Case fields moveforce writes",
                    }),
                )
                .await
                .map(|id| set_id = Some(id)),
            RepairStep::AssignPermissionSet => match &set_id {
                Some(id) => client
                    .create_record(
                        "sobjects/PermissionSetAssignment",
                        &json!({"PermissionSetId": id, "AssigneeId": user_id}),
                    )
                    .await
                    .map(|_| ()),
                None => Err(SfError::Config(
                    "the permission set was not created".to_owned(),
                )),
            },
            RepairStep::GrantAccess(specs) => match &set_id {
                Some(id) => grant(client, id, specs).await,
                None => Err(SfError::Config(
                    "the permission set was not created".to_owned(),
                )),
            },
        };
        outcomes.push(StepOutcome {
            step: step.describe(),
            result: result.map_err(|e| super::advice::explain(&e)),
        });
    }
    outcomes
}

/// Read and Edit on each field in the permission set: updates a row that exists, creates
/// one that does not.
async fn grant(
    client: &SalesforceClient,
    set_id: &str,
    specs: &[CustomFieldSpec],
) -> Result<(), SfError> {
    let rows = client
        .query(&format!(
            "SELECT Id, Field FROM FieldPermissions WHERE ParentId = {} AND SobjectType = 'Case'",
            soql::quote(set_id)
        ))
        .await?
        .records;
    for spec in specs {
        let field = format!("Case.{}", spec.api_name);
        let existing = rows.iter().find(|r| {
            r.get("Field")
                .and_then(Value::as_str)
                .is_some_and(|f| f.eq_ignore_ascii_case(&field))
        });
        let access = json!({"PermissionsRead": true, "PermissionsEdit": true});
        match existing.and_then(|r| r.get("Id")).and_then(Value::as_str) {
            Some(id) => {
                client
                    .update_record(&format!("sobjects/FieldPermissions/{id}"), &access)
                    .await?
            }
            None => {
                client
                    .create_record(
                        "sobjects/FieldPermissions",
                        &json!({
                            "ParentId": set_id,
                            "SobjectType": "Case",
                            "Field": field,
                            "PermissionsRead": true,
                            "PermissionsEdit": true,
                        }),
                    )
                    .await?;
            }
        }
    }
    Ok(())
}
