//! HTTP handlers for setup: the Tooling API (`CustomField` create, read, update, delete,
//! query) and the REST sObjects PermissionSet, FieldPermissions, PermissionSetAssignment,
//! User and Profile.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Value};

use super::http::{
    RecordJson, bad_request, error_with_fields, json_response, object_body, parse_json, query_text,
    resource_missing,
};
use super::setup::{FieldMetadata, Principal, SetupError};
use super::soql::{self, Outcome};
use super::store::{RecordError, RowType, SaveResult};
use super::{Shared, ids};

type St = State<Arc<Shared>>;

const METADATA_ONE_ROW: &str = "When retrieving results with Metadata or FullName fields, the query qualifications must specify no more than one row for retrieval. Result size: ";

fn setup_error(e: &SetupError) -> Response {
    if e.status == 404 {
        return resource_missing();
    }
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    error_with_fields(status, e.code, &e.message, e.fields.clone())
}

/// The Tooling refusal for a user without "View Setup and Configuration".
fn no_view_setup() -> Response {
    bad_request(
        "INSUFFICIENT_ACCESS",
        "insufficient access rights on cross-reference id: the user needs the \"View Setup and Configuration\" and \"Customize Application\" permissions to use the Tooling API",
    )
}

fn created(id: &str) -> Response {
    let result = SaveResult {
        id: Some(id.to_string()),
        success: true,
        errors: vec![],
        created: None,
    };
    json_response(StatusCode::CREATED, &result)
}

fn is_custom_field(sobject: &str) -> bool {
    sobject.eq_ignore_ascii_case("CustomField")
}

/// A CustomField create/update body: `FullName` and `Metadata`.
fn custom_field_body(body: &Bytes) -> Result<(Option<String>, Value), SetupError> {
    let map = parse_json(body).and_then(object_body).map_err(|r| {
        let mut e = SetupError::bad(r.code, r.message);
        e.status = r.status.as_u16();
        e
    })?;
    let mut full_name = None;
    let mut metadata = None;
    for (key, value) in map {
        if key.eq_ignore_ascii_case("FullName") {
            match value {
                Value::String(s) => full_name = Some(s),
                Value::Null => {}
                other => {
                    return Err(SetupError::bad(
                        "JSON_PARSER_ERROR",
                        format!(
                            "Cannot deserialize instance of string from {other} value for CustomField.FullName"
                        ),
                    ));
                }
            }
        } else if key.eq_ignore_ascii_case("Metadata") {
            metadata = Some(value).filter(|v| !v.is_null());
        } else if key == "attributes" {
        } else if super::setup::CUSTOM_FIELD_COLUMNS
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case(&key))
        {
            return Err(SetupError::bad(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                format!(
                    "Unable to create/update fields: {key}. Please check the security settings of this field and verify that it is read/write for your profile or permission set."
                ),
            )
            .on(&key));
        } else {
            return Err(SetupError::bad(
                "INVALID_FIELD",
                format!("No such column '{key}' on sobject of type CustomField"),
            ));
        }
    }
    let Some(metadata) = metadata else {
        return Err(SetupError::bad(
            "REQUIRED_FIELD_MISSING",
            "Required fields are missing: [Metadata]",
        )
        .on("Metadata"));
    };
    Ok((full_name, metadata))
}

/// POST tooling/sobjects/CustomField → 201 `{"id","success","errors"}`.
pub async fn tooling_create(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path((_version, sobject)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if !is_custom_field(&sobject) {
        return resource_missing();
    }
    if !st.org().may_view_setup(who) {
        return setup_error(&super::setup::insufficient_access());
    }
    let (full_name, metadata) = match custom_field_body(&body) {
        Ok(parsed) => parsed,
        Err(e) => return setup_error(&e),
    };
    let Some(full_name) = full_name else {
        return error_with_fields(
            StatusCode::BAD_REQUEST,
            "REQUIRED_FIELD_MISSING",
            "Required fields are missing: [FullName]",
            vec!["FullName".into()],
        );
    };
    let metadata = match FieldMetadata::from_json(&metadata) {
        Ok(m) => m,
        Err(e) => return setup_error(&e),
    };
    let result = st.org().create_field(who, &full_name, metadata);
    match result {
        Ok(id) => created(&id),
        Err(e) => setup_error(&e),
    }
}

/// GET tooling/sobjects/CustomField/{id}: the record with FullName and Metadata.
pub async fn tooling_get(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path((version, sobject, id)): Path<(String, String, String)>,
) -> Response {
    if !is_custom_field(&sobject) {
        return resource_missing();
    }
    let org = st.org();
    if !org.may_view_setup(who) {
        return no_view_setup();
    }
    let Some(field) = org.custom_field(&id) else {
        return resource_missing();
    };
    let columns = field.columns();
    let record = RecordJson {
        version: &version,
        object: "CustomField",
        tooling: true,
        id: &field.id,
        fields: columns.iter().map(|(n, v)| (*n, v)).collect(),
    };
    json_response(StatusCode::OK, &record)
}

/// PATCH tooling/sobjects/CustomField/{id} with the full `Metadata` → 204.
pub async fn tooling_update(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path((_version, sobject, id)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    if !is_custom_field(&sobject) {
        return resource_missing();
    }
    if !st.org().may_view_setup(who) {
        return setup_error(&super::setup::insufficient_access());
    }
    if st.org().custom_field(&id).is_none() {
        return resource_missing();
    }
    let (full_name, metadata) = match custom_field_body(&body) {
        Ok(parsed) => parsed,
        Err(e) => return setup_error(&e),
    };
    let metadata = match FieldMetadata::from_json(&metadata) {
        Ok(m) => m,
        Err(e) => return setup_error(&e),
    };
    let result = st
        .org()
        .update_field(who, &id, full_name.as_deref(), metadata);
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => setup_error(&e),
    }
}

/// DELETE tooling/sobjects/CustomField/{id} → 204.
pub async fn tooling_delete(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path((_version, sobject, id)): Path<(String, String, String)>,
) -> Response {
    if !is_custom_field(&sobject) {
        return resource_missing();
    }
    let result = st.org().delete_field(who, &id);
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => setup_error(&e),
    }
}

/// GET tooling/query?q=…: SOQL over `CustomField`. `FullName` and `Metadata` only when
/// the result has at most one row.
pub async fn tooling_query(
    State(st): St,
    Extension(who): Extension<Principal>,
    Path(version): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = match query_text(raw) {
        Ok(q) => q,
        Err(r) => return r.into_response(),
    };
    let raw_query = match soql::parse(&q) {
        Ok(p) => p,
        Err(e) => return bad_request(e.code, &e.message),
    };
    let org = st.org();
    if !org.may_view_setup(who) {
        return no_view_setup();
    }
    if !is_custom_field(raw_query.object()) {
        let e = soql::invalid_type(raw_query.object());
        return bad_request(e.code, &e.message);
    }
    let table = org.custom_field_table();
    drop(org);
    let parsed = match raw_query.bind(&q, &soql::Table::simple(table.object, &table.columns)) {
        Ok(p) => p,
        Err(e) => return bad_request(e.code, &e.message),
    };
    let outcome = parsed.run(&table.rows, false);
    if (parsed.selects("Metadata") || parsed.selects("FullName")) && outcome.total > 1 {
        return bad_request(
            "MALFORMED_QUERY",
            &format!("{METADATA_ONE_ROW}{}", outcome.total),
        );
    }
    let row_type = RowType {
        object: "CustomField".into(),
        tooling: true,
    };
    small_result(&version, &row_type, outcome, Some("CustomField"))
}

/// A whole query result in one page (setup tables are small), keys in Salesforce's order.
/// Tooling results also carry `size`, `queryLocator` and `entityTypeName`.
struct SmallPage<'a> {
    total: usize,
    tooling_entity: Option<&'a str>,
    records: Vec<RecordJson<'a>>,
}

impl Serialize for SmallPage<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if self.tooling_entity.is_some() {
            map.serialize_entry("size", &self.total)?;
        }
        map.serialize_entry("totalSize", &self.total)?;
        map.serialize_entry("done", &true)?;
        if let Some(entity) = self.tooling_entity {
            map.serialize_entry("queryLocator", &Value::Null)?;
            map.serialize_entry("entityTypeName", entity)?;
        }
        map.serialize_entry("records", &self.records)?;
        map.end()
    }
}

pub fn small_result(
    version: &str,
    row_type: &RowType,
    outcome: Outcome,
    tooling_entity: Option<&str>,
) -> Response {
    let page = SmallPage {
        total: outcome.total,
        tooling_entity,
        records: outcome
            .rows
            .iter()
            .map(|r| RecordJson {
                version,
                object: &row_type.object,
                tooling: row_type.tooling,
                id: &r.id,
                fields: r.fields.iter().map(|(n, v)| (n.as_str(), v)).collect(),
            })
            .collect(),
    };
    json_response(StatusCode::OK, &page)
}

// ---------------------------------------------------------------- REST setup sObjects

/// The canonical name of a setup object the REST API writes (None for others).
pub fn writable_setup_object(name: &str) -> Option<&'static str> {
    [
        "PermissionSet",
        "FieldPermissions",
        "PermissionSetAssignment",
    ]
    .into_iter()
    .find(|o| o.eq_ignore_ascii_case(name))
}

/// Whether an id belongs to a setup record (by key prefix).
pub fn is_setup_id(id: &str) -> bool {
    ["0PS", "01k", "0Pa"].iter().any(|p| id.starts_with(p))
}

fn create_setup(
    st: &Shared,
    who: Principal,
    object: &str,
    record: Map<String, Value>,
) -> Result<String, SetupError> {
    let mut org = st.org();
    match writable_setup_object(object) {
        Some("PermissionSet") => org.create_permission_set(who, record),
        Some("FieldPermissions") => org.create_field_permission(who, record),
        Some("PermissionSetAssignment") => org.create_assignment(who, record),
        _ => Err(SetupError::not_found()),
    }
}

/// POST sobjects/{PermissionSet|FieldPermissions|PermissionSetAssignment} → 201.
pub fn create_setup_record(
    st: &Shared,
    who: Principal,
    _version: &str,
    object: &str,
    record: Map<String, Value>,
) -> Response {
    if writable_setup_object(object).is_none() {
        let known = super::schema::SETUP_OBJECTS
            .iter()
            .any(|(name, ..)| name.eq_ignore_ascii_case(object));
        // User and Profile exist but are not created through this API here.
        return if known {
            bad_request(
                "INSUFFICIENT_ACCESS_OR_READONLY",
                "insufficient access rights on object id",
            )
        } else {
            resource_missing()
        };
    }
    match create_setup(st, who, object, without_attributes(record)) {
        Ok(id) => created(&id),
        Err(e) => setup_error(&e),
    }
}

fn without_attributes(mut record: Map<String, Value>) -> Map<String, Value> {
    record.remove("attributes");
    record
}

/// PATCH sobjects/{PermissionSet|FieldPermissions}/{id} → 204.
pub fn update_setup_record(
    st: &Shared,
    who: Principal,
    object: &str,
    id: &str,
    record: Map<String, Value>,
) -> Response {
    let record = without_attributes(record);
    let result = {
        let mut org = st.org();
        match writable_setup_object(object) {
            Some("PermissionSet") => org.update_permission_set(who, id, record),
            Some("FieldPermissions") => org.update_field_permission(who, id, record),
            Some(_) => Err(SetupError::bad(
                "INSUFFICIENT_ACCESS_OR_READONLY",
                "insufficient access rights on object id",
            )),
            None => Err(SetupError::not_found()),
        }
    };
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => setup_error(&e),
    }
}

fn delete_setup(
    st: &Shared,
    who: Principal,
    object: Option<&str>,
    id: &str,
) -> Result<(), SetupError> {
    let mut org = st.org();
    let object = object.or_else(|| {
        [
            ("0PS", "PermissionSet"),
            ("01k", "FieldPermissions"),
            ("0Pa", "PermissionSetAssignment"),
        ]
        .into_iter()
        .find(|(p, _)| id.starts_with(p))
        .map(|(_, o)| o)
    });
    match object {
        Some("PermissionSet") => org.delete_permission_set(who, id),
        Some("FieldPermissions") => org.delete_field_permission(who, id),
        Some("PermissionSetAssignment") => org.delete_assignment(who, id),
        _ => Err(SetupError::not_found()),
    }
}

/// DELETE sobjects/{PermissionSet|FieldPermissions|PermissionSetAssignment}/{id} → 204.
pub fn delete_setup_record(st: &Shared, who: Principal, object: &str, id: &str) -> Response {
    let Some(object) = writable_setup_object(object) else {
        return resource_missing();
    };
    match delete_setup(st, who, Some(object), id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => setup_error(&e),
    }
}

/// GET sobjects/{PermissionSet|FieldPermissions|PermissionSetAssignment|User|Profile}/{id}.
pub fn get_setup_record(st: &Shared, version: &str, object: &str, id: &str) -> Response {
    let org = st.org();
    let Some((object, fields)) = org.setup_record(object, id) else {
        return resource_missing();
    };
    drop(org);
    let canonical = fields
        .first()
        .and_then(|(_, v)| v.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| id.to_string());
    let record = RecordJson {
        version,
        object,
        tooling: false,
        id: &canonical,
        fields: fields.iter().map(|(n, v)| (n.as_str(), v)).collect(),
    };
    json_response(StatusCode::OK, &record)
}

fn failed(id: Option<String>, e: &SetupError) -> SaveResult {
    SaveResult {
        id,
        success: false,
        errors: vec![RecordError {
            status_code: e.code,
            message: e.message.clone(),
            fields: e.fields.clone(),
        }],
        created: None,
    }
}

fn rolled_back() -> SetupError {
    SetupError::bad(
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "Record rolled back because not all records were valid and the request was using AllOrNone header",
    )
}

/// sObject Collections create of setup records (e.g. seven FieldPermissions at once).
/// With allOrNone, a failure undoes the records this request created.
pub fn create_many_setup(
    st: &Shared,
    who: Principal,
    records: Vec<(&'static str, Map<String, Value>)>,
    all_or_none: bool,
) -> Vec<SaveResult> {
    let mut results: Vec<Result<String, SetupError>> = Vec::new();
    for (object, record) in records {
        let result = if object == "Case" {
            Err(SetupError::bad(
                "INVALID_TYPE",
                "This sandbox does not mix Case and setup records in one request",
            ))
        } else {
            create_setup(st, who, object, without_attributes(record))
        };
        results.push(result);
    }
    if all_or_none && results.iter().any(Result::is_err) {
        for id in results.iter().flatten() {
            let _ = delete_setup(st, Principal::Admin, None, id);
        }
        return results
            .into_iter()
            .map(|r| match r {
                Ok(_) => failed(None, &rolled_back()),
                Err(e) => failed(None, &e),
            })
            .collect();
    }
    results
        .into_iter()
        .map(|r| match r {
            Ok(id) => SaveResult {
                id: Some(id),
                success: true,
                errors: vec![],
                created: None,
            },
            Err(e) => failed(None, &e),
        })
        .collect()
}

/// sObject Collections delete of setup records by id (no rollback for allOrNone: the
/// request is refused up front when any id is unknown).
pub fn delete_many_setup(
    st: &Shared,
    who: Principal,
    input: &[String],
    all_or_none: bool,
) -> Vec<SaveResult> {
    if all_or_none {
        let org = st.org();
        let unknown = input.iter().any(|id| {
            ids::key(id).is_none()
                || ![
                    "PermissionSet",
                    "FieldPermissions",
                    "PermissionSetAssignment",
                ]
                .iter()
                .any(|o| org.setup_record(o, id).is_some())
        });
        drop(org);
        if unknown {
            return input
                .iter()
                .map(|id| failed(Some(id.clone()), &rolled_back()))
                .collect();
        }
    }
    input
        .iter()
        .map(|id| match delete_setup(st, who, None, id) {
            Ok(()) => SaveResult {
                id: Some(id.clone()),
                success: true,
                errors: vec![],
                created: None,
            },
            Err(e) if e.status == 404 => failed(
                Some(id.clone()),
                &SetupError::bad("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id"),
            ),
            Err(e) => failed(Some(id.clone()), &e),
        })
        .collect()
}
