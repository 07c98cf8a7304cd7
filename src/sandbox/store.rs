//! The in-memory org: Cases, sessions, API usage and query cursors. Its setup state
//! (custom fields, permission sets) is changed through `org_setup.rs`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value};

use super::ids;
use super::schema::{
    self, CASE_NUMBER, CREATED_DATE, FieldDef, ID, IS_DELETED, Kind, LAST_MODIFIED_DATE, OWNER_ID,
    ObjectAccess, PRIORITY, STANDARD, STATUS,
};
use super::setup::{
    Assignment, CaseAccess, CustomField, FieldPermission, FieldType, PermissionSet, Principal,
};
use super::soql;

/// Fixed 15-char ids: stable for the process (and across runs, which helps snapshots).
const ORG_ID15: &str = "00D5g000004SBox";
const USER_ID15: &str = "0055g00000MFsbx";
const PROFILE_ID15: &str = "00e5g000002Intg";
/// Counters start high enough that generated ids mix digits and letters like real ones.
const FIRST_RECORD_COUNTER: u64 = 62u64.pow(6) * 7 + 123_456;
const FIRST_CASE_NUMBER: u64 = 1001;
/// Cursors are snapshots; keep only the most recent ones.
const MAX_CURSORS: usize = 64;
pub const COLLECTION_LIMIT: usize = 200;
const ROLLED_BACK: &str = "Record rolled back because not all records were valid and the request was using AllOrNone header";

/// Salesforce datetime format, always UTC.
pub fn now_string() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S.%3f+0000")
        .to_string()
}

#[derive(Clone, Debug, Serialize)]
pub struct RecordError {
    #[serde(rename = "statusCode")]
    pub status_code: &'static str,
    pub message: String,
    pub fields: Vec<String>,
}

impl RecordError {
    fn new(status_code: &'static str, message: impl Into<String>, fields: Vec<String>) -> Self {
        Self {
            status_code,
            message: message.into(),
            fields,
        }
    }
}

/// One entry of a collections response (SaveResult / DeleteResult shape).
#[derive(Debug, Serialize)]
pub struct SaveResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub success: bool,
    pub errors: Vec<RecordError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<bool>,
}

impl SaveResult {
    fn failed(id: Option<String>, error: RecordError) -> Self {
        Self {
            id,
            success: false,
            errors: vec![error],
            created: None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SaveMode {
    Create,
    /// Upsert keyed on the external-id field in this row column.
    Upsert(usize),
    /// Update of one known record (single-record PATCH).
    Update,
}

/// A row snapshot for query results: its id and the selected (field name, value) pairs.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub id: String,
    pub fields: Vec<(String, Value)>,
}

/// What query result rows are, for their `attributes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowType {
    pub object: String,
    pub tooling: bool,
}

pub struct Cursor {
    pub rows: Arc<Vec<Rendered>>,
    pub query_all: bool,
    pub row_type: RowType,
}

pub enum Lookup<'a> {
    Malformed,
    Unknown,
    Deleted,
    Live(&'a [Value]),
}

enum Op {
    Insert(Vec<(usize, Value)>),
    Update(usize, Vec<(usize, Value)>),
}

static NULL: Value = Value::Null;

/// A row's value in column `col` (null past the row's end: a field added after it).
pub fn cell(row: &[Value], col: usize) -> &Value {
    row.get(col).unwrap_or(&NULL)
}

pub struct Org {
    pub org_id: String,
    pub user_id: String,
    pub username: String,
    pub profile_id: String,
    pub(super) rows: Vec<Vec<Value>>,
    by_id: HashMap<String, usize>,
    /// Indexed custom field column → index key → live rows (more than one only when the
    /// field is not unique). Indexed fields: external ids and unique fields.
    pub(super) index: HashMap<usize, HashMap<String, Vec<usize>>>,
    pub(super) next_counter: u64,
    next_case_number: u64,
    /// Session id → when it was issued, and whose it is.
    tokens: HashMap<String, (Instant, Principal)>,
    pub api_usage: u64,
    /// Text lengths in Unicode code points instead of UTF-16 code units.
    pub length_in_code_points: bool,
    /// Failed entries of a collections delete carry the id they were given.
    pub delete_failure_id: bool,
    cursors: HashMap<String, Cursor>,
    cursor_order: VecDeque<String>,
    /// Custom fields on Case (Tooling `CustomField` records), in creation order.
    pub(super) fields: Vec<CustomField>,
    /// The next free row column for a new custom field.
    pub(super) next_col: usize,
    pub(super) permission_sets: Vec<PermissionSet>,
    pub(super) field_permissions: Vec<FieldPermission>,
    pub(super) assignments: Vec<Assignment>,
    /// The integration user has "Customize Application" and "View Setup".
    pub user_can_customize: bool,
    /// The integration user's Create and Delete permissions on Case.
    pub case_access: CaseAccess,
}

impl Org {
    pub fn new(username: &str) -> Self {
        let mut org = Self {
            org_id: ids::to18(ORG_ID15).unwrap_or_default(),
            user_id: ids::to18(USER_ID15).unwrap_or_default(),
            username: username.to_string(),
            profile_id: ids::to18(PROFILE_ID15).unwrap_or_default(),
            rows: Vec::new(),
            by_id: HashMap::new(),
            index: HashMap::new(),
            next_counter: FIRST_RECORD_COUNTER,
            next_case_number: FIRST_CASE_NUMBER,
            tokens: HashMap::new(),
            api_usage: 0,
            length_in_code_points: false,
            delete_failure_id: true,
            cursors: HashMap::new(),
            cursor_order: VecDeque::new(),
            fields: Vec::new(),
            next_col: schema::FIRST_CUSTOM_COL,
            permission_sets: Vec::new(),
            field_permissions: Vec::new(),
            assignments: Vec::new(),
            user_can_customize: true,
            case_access: CaseAccess::default(),
        };
        org.add_profile_permission_set();
        org
    }

    /// A fresh record id with this key prefix.
    pub(super) fn new_id(&mut self, prefix: &str) -> String {
        let id = ids::make_id(prefix, self.next_counter);
        self.next_counter += 1;
        id
    }

    pub fn add_session(&mut self, token: String, who: Principal) {
        self.tokens.insert(token, (Instant::now(), who));
    }

    /// Revoke: true when the session existed.
    pub fn revoke_session(&mut self, token: &str) -> bool {
        self.tokens.remove(token).is_some()
    }

    /// Whose session this is, when it is known and younger than `ttl` (when there is one).
    /// Expired sessions are forgotten.
    pub fn session(&mut self, token: &str, ttl: Option<Duration>) -> Option<Principal> {
        match self.tokens.get(token) {
            None => None,
            Some((issued, _)) if ttl.is_some_and(|ttl| issued.elapsed() >= ttl) => {
                self.tokens.remove(token);
                None
            }
            Some((_, who)) => Some(*who),
        }
    }

    /// A known session younger than `ttl` (when there is one). Expired sessions are forgotten.
    pub fn session_valid(&mut self, token: &str, ttl: Option<Duration>) -> bool {
        self.session(token, ttl).is_some()
    }

    pub fn session_count(&self) -> usize {
        self.tokens.len()
    }

    /// Every session ends, as when an admin clears them or the org times them out.
    pub fn expire_sessions(&mut self) {
        self.tokens.clear();
    }

    pub fn org_id15(&self) -> &str {
        &self.org_id[..15]
    }

    #[cfg(test)]
    pub fn rows(&self) -> &[Vec<Value>] {
        &self.rows
    }

    pub fn live_count(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r[IS_DELETED] != Value::Bool(true))
            .count()
    }

    /// Case as `who` sees it: the standard fields, then the custom fields they can read
    /// (writable only with edit access). Admin sessions see and may edit every field.
    pub fn case_fields(&self, who: Principal) -> Vec<FieldDef> {
        let access = self.field_access(who);
        let mut out: Vec<FieldDef> = STANDARD.to_vec();
        for field in &self.fields {
            let mut def = field.def();
            let (read, edit) = if who == Principal::Admin || field.metadata.required {
                (true, true)
            } else {
                access
                    .get(&field.full_name().to_ascii_lowercase())
                    .copied()
                    .unwrap_or((false, false))
            };
            if read {
                def.writable = edit;
                out.push(def);
            }
        }
        out
    }

    /// Create/Delete on Case for `who` (an admin may do everything).
    pub fn case_rights(&self, who: Principal) -> CaseAccess {
        match who {
            Principal::Admin => CaseAccess {
                create: true,
                delete: true,
            },
            Principal::Integration => self.case_access,
        }
    }

    pub fn object_access(&self, who: Principal) -> ObjectAccess {
        let rights = self.case_rights(who);
        ObjectAccess {
            createable: rights.create,
            updateable: true,
            deletable: rights.delete,
        }
    }

    fn row_index(&self, id: &str) -> Option<Result<usize, ()>> {
        let key = ids::key(id)?;
        Some(self.by_id.get(&key).copied().ok_or(()))
    }

    pub fn lookup(&self, id: &str) -> Lookup<'_> {
        match self.row_index(id) {
            None => Lookup::Malformed,
            Some(Err(())) => Lookup::Unknown,
            Some(Ok(i)) if self.rows[i][IS_DELETED] == Value::Bool(true) => Lookup::Deleted,
            Some(Ok(i)) => Lookup::Live(&self.rows[i]),
        }
    }

    /// Runs a bound Case query. A condition on Id, or (outside queryAll, whose deleted rows
    /// are not indexed) on an indexed text field that ignores case, picks its rows through
    /// the index; the query then checks them as a scan would. Otherwise it scans.
    pub fn query_cases(&self, query: &soql::Query, query_all: bool) -> soql::Outcome {
        let mut best: Option<Vec<usize>> = None;
        for (col, kind, keys) in query.key_lists() {
            let picked: Option<Vec<usize>> = if col == ID && kind == Kind::Id {
                Some(
                    keys.iter()
                        .filter_map(|k| self.by_id.get(*k).copied())
                        .collect(),
                )
            } else if !query_all && self.index_ignores_case(col) {
                self.index.get(&col).map(|index| {
                    keys.iter()
                        .filter_map(|k| index.get(*k))
                        .flatten()
                        .copied()
                        .collect()
                })
            } else {
                None
            };
            if let Some(picked) = picked
                && best.as_ref().is_none_or(|b| picked.len() < b.len())
            {
                best = Some(picked);
            }
        }
        match best {
            Some(mut picked) => {
                picked.sort_unstable();
                picked.dedup();
                query.run_rows(&self.rows, &picked, query_all)
            }
            None => query.run(&self.rows, query_all),
        }
    }

    /// Whether column `col` is indexed under its values lower-cased, as SOQL compares text.
    fn index_ignores_case(&self, col: usize) -> bool {
        self.index.contains_key(&col)
            && self.field_at(col).is_some_and(|f| {
                !f.metadata.case_sensitive && f.metadata.field_type != FieldType::Number
            })
    }

    /// The custom field whose values live in row column `col`.
    pub(super) fn field_at(&self, col: usize) -> Option<&CustomField> {
        self.fields.iter().find(|f| f.col == col)
    }

    /// The index key of a value of an indexed field: text lower-cased unless the field is
    /// case-sensitive, numbers in one canonical form. None for null.
    pub(super) fn index_key(&self, col: usize, value: &Value) -> Option<String> {
        let case_sensitive = self
            .field_at(col)
            .is_some_and(|f| f.metadata.case_sensitive);
        match value {
            Value::Null => None,
            Value::String(s) => {
                let number = self
                    .field_at(col)
                    .is_some_and(|f| f.metadata.field_type == FieldType::Number);
                match s.parse::<f64>() {
                    Ok(n) if number => Some(n.to_string()),
                    _ if case_sensitive => Some(s.clone()),
                    _ => Some(s.to_lowercase()),
                }
            }
            Value::Number(n) => Some(n.as_f64().map_or_else(|| n.to_string(), |f| f.to_string())),
            other => Some(other.to_string()),
        }
    }

    /// The live rows whose value in column `col` (an indexed field) matches `value`; more
    /// than one only when the field is not unique.
    pub fn by_key(&self, col: usize, value: &str) -> Vec<&[Value]> {
        let Some(key) = self.index_key(col, &Value::String(value.to_string())) else {
            return Vec::new();
        };
        self.index
            .get(&col)
            .and_then(|keys| keys.get(&key))
            .map(|rows| rows.iter().map(|&i| self.rows[i].as_slice()).collect())
            .unwrap_or_default()
    }

    fn index_row(&mut self, i: usize) {
        let cols: Vec<usize> = self.index.keys().copied().collect();
        for col in cols {
            if let Some(key) = self.index_key(col, cell(&self.rows[i], col)) {
                self.index
                    .entry(col)
                    .or_default()
                    .entry(key)
                    .or_default()
                    .push(i);
            }
        }
    }

    fn unindex_row(&mut self, i: usize) {
        let cols: Vec<usize> = self.index.keys().copied().collect();
        for col in cols {
            if let Some(key) = self.index_key(col, cell(&self.rows[i], col))
                && let Some(keys) = self.index.get_mut(&col)
                && let Some(rows) = keys.get_mut(&key)
            {
                rows.retain(|&r| r != i);
                if rows.is_empty() {
                    keys.remove(&key);
                }
            }
        }
    }

    /// Rebuilds the indexes after a field was created, changed or deleted.
    pub(super) fn rebuild_index(&mut self) {
        self.index = self
            .fields
            .iter()
            .filter(|f| f.indexed())
            .map(|f| (f.col, HashMap::new()))
            .collect();
        for i in 0..self.rows.len() {
            if self.rows[i][IS_DELETED] != Value::Bool(true) {
                self.index_row(i);
            }
        }
    }

    /// Soft delete of one live record by row index, at time `now`.
    fn soft_delete(&mut self, i: usize, now: &str) {
        self.unindex_row(i);
        let row = &mut self.rows[i];
        row[IS_DELETED] = Value::Bool(true);
        row[LAST_MODIFIED_DATE] = Value::String(now.to_string());
    }

    /// DELETE /sobjects/Case/{id}: Ok on success, else the error code.
    pub fn delete_one(&mut self, id: &str, who: Principal) -> Result<(), &'static str> {
        match self.row_index(id) {
            None | Some(Err(())) => Err("NOT_FOUND"),
            Some(Ok(i)) if self.rows[i][IS_DELETED] == Value::Bool(true) => {
                Err("ENTITY_IS_DELETED")
            }
            Some(Ok(_)) if !self.case_rights(who).delete => Err(INSUFFICIENT),
            Some(Ok(i)) => {
                self.soft_delete(i, &now_string());
                Ok(())
            }
        }
    }

    /// sObject Collections delete. Ids are processed in order, so a repeated id finds the
    /// record already deleted. `locked` is the position of a record that fails with
    /// UNABLE_TO_LOCK_ROW (fault injection).
    pub fn delete_many(
        &mut self,
        input: &[String],
        all_or_none: bool,
        locked: Option<usize>,
        who: Principal,
    ) -> Vec<SaveResult> {
        let can_delete = self.case_rights(who).delete;
        let mut planned: HashSet<usize> = HashSet::new();
        let mut outcome: Vec<Result<usize, (Option<String>, RecordError)>> = Vec::new();
        for id in input {
            let result = match self.row_index(id) {
                None => Err((
                    None,
                    RecordError::new("MALFORMED_ID", format!("malformed id {id}"), vec![]),
                )),
                Some(Err(())) => Err((
                    None,
                    RecordError::new(
                        "INVALID_CROSS_REFERENCE_KEY",
                        "invalid cross reference id",
                        vec![],
                    ),
                )),
                Some(Ok(i))
                    if self.rows[i][IS_DELETED] == Value::Bool(true) || planned.contains(&i) =>
                {
                    Err((
                        Some(self.id_of(i)),
                        RecordError::new("ENTITY_IS_DELETED", "entity is deleted", vec![]),
                    ))
                }
                Some(Ok(i)) if !can_delete => Err((Some(self.id_of(i)), insufficient_access())),
                Some(Ok(i)) => {
                    planned.insert(i);
                    Ok(i)
                }
            };
            let result = match result {
                Ok(i) if locked == Some(outcome.len()) => {
                    planned.remove(&i);
                    Err((Some(self.id_of(i)), row_lock(Some(&self.id_of(i)))))
                }
                other => other,
            };
            // Which failures name their id is not documented; it is a switch here.
            let result = match result {
                Err((_, e)) if self.delete_failure_id => Err((Some(id.clone()), e)),
                Err((_, e)) => Err((None, e)),
                ok => ok,
            };
            outcome.push(result);
        }
        let any_failed = outcome.iter().any(Result::is_err);
        if all_or_none && any_failed {
            return outcome
                .into_iter()
                .map(|r| match r {
                    Ok(i) => SaveResult::failed(Some(self.id_of(i)), rolled_back()),
                    Err((id, e)) => SaveResult::failed(id, e),
                })
                .collect();
        }
        let now = now_string();
        outcome
            .into_iter()
            .map(|r| match r {
                Ok(i) => {
                    self.soft_delete(i, &now);
                    SaveResult {
                        id: Some(self.id_of(i)),
                        success: true,
                        errors: vec![],
                        created: None,
                    }
                }
                Err((id, e)) => SaveResult::failed(id, e),
            })
            .collect()
    }

    fn id_of(&self, i: usize) -> String {
        self.rows[i][ID].as_str().unwrap_or_default().to_string()
    }

    fn text_length(&self, s: &str) -> usize {
        if self.length_in_code_points {
            s.chars().count()
        } else {
            s.encode_utf16().count()
        }
    }

    /// The longest stored value (live or deleted) in column `col`, in this org's length unit.
    pub(super) fn longest_value(&self, col: usize) -> usize {
        self.rows
            .iter()
            .filter_map(|r| cell(r, col).as_str())
            .map(|s| self.text_length(s))
            .max()
            .unwrap_or(0)
    }

    /// Checks one record body in Salesforce's order: unknown or unreadable field, read-only
    /// field, value type, length, owner. Returns the (row column, value) pairs to write.
    fn validate_fields(
        &self,
        view: &[FieldDef],
        record: &Map<String, Value>,
    ) -> Result<Vec<(usize, Value)>, RecordError> {
        let mut resolved: Vec<(&FieldDef, &Value)> = Vec::new();
        for (name, value) in record {
            if name == "attributes" {
                continue;
            }
            let Some(def) = schema::find(view, name) else {
                return Err(RecordError::new(
                    "INVALID_FIELD",
                    format!("No such column '{name}' on sobject of type Case"),
                    vec![],
                ));
            };
            resolved.push((def, value));
        }
        let read_only: Vec<String> = resolved
            .iter()
            .filter(|(def, _)| !def.writable)
            .map(|(def, _)| def.name.to_string())
            .collect();
        if !read_only.is_empty() {
            return Err(RecordError::new(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                format!(
                    "Unable to create/update fields: {}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
                    read_only.join(", ")
                ),
                read_only,
            ));
        }
        let mut out: Vec<(&FieldDef, Value)> = Vec::with_capacity(resolved.len());
        for (def, value) in resolved {
            let wrong_type = || {
                RecordError::new(
                    "INVALID_TYPE_ON_FIELD_IN_RECORD",
                    format!("{}: value not of required type: {value}", def.label),
                    vec![def.name.to_string()],
                )
            };
            let converted = match def.kind {
                Kind::Double => match value {
                    Value::Null => Value::Null,
                    Value::Number(_) => value.clone(),
                    Value::String(s) if s.trim().is_empty() => Value::Null,
                    Value::String(s) => s
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map(Value::Number)
                        .ok_or_else(wrong_type)?,
                    _ => return Err(wrong_type()),
                },
                Kind::Boolean => match value {
                    // A checkbox is never null: null stores false.
                    Value::Null => Value::Bool(false),
                    Value::Bool(_) => value.clone(),
                    Value::String(s) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
                    Value::String(s) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
                    _ => return Err(wrong_type()),
                },
                _ => {
                    let text = match value {
                        Value::Null => None,
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        Value::Bool(b) => Some(b.to_string()),
                        Value::Array(_) | Value::Object(_) => return Err(wrong_type()),
                    };
                    // Salesforce stores an empty string as null.
                    text.filter(|s| !s.is_empty())
                        .map_or(Value::Null, Value::String)
                }
            };
            out.push((def, converted));
        }
        for (def, value) in &out {
            let Some(s) = value.as_str() else {
                if let (Kind::Double, Some(n)) = (def.kind, value.as_f64()) {
                    let int_digits = format!("{:.0}", n.abs().trunc())
                        .trim_start_matches('0')
                        .len();
                    if int_digits > def.precision.saturating_sub(def.scale) {
                        return Err(RecordError::new(
                            "NUMBER_OUTSIDE_VALID_RANGE",
                            format!(
                                "{}: value outside of valid range on numeric field: {n}",
                                def.label
                            ),
                            vec![def.name.to_string()],
                        ));
                    }
                }
                continue;
            };
            if def.kind != Kind::Reference && self.text_length(s) > def.length {
                return Err(RecordError::new(
                    "STRING_TOO_LONG",
                    format!(
                        "{}: data value too large: {s} (max length={})",
                        def.label, def.length
                    ),
                    vec![def.name.to_string()],
                ));
            }
            if def.kind == Kind::Email && !valid_email(s) {
                return Err(RecordError::new(
                    "INVALID_EMAIL_ADDRESS",
                    format!("{}: invalid email address: {s}", def.label),
                    vec![def.name.to_string()],
                ));
            }
        }
        let mut values = Vec::with_capacity(out.len());
        for (def, value) in out {
            if def.col == OWNER_ID {
                // The only owner this org knows is the integration user.
                let ok = value.as_str().and_then(ids::key) == ids::key(&self.user_id);
                if !ok {
                    return Err(RecordError::new(
                        "INVALID_CROSS_REFERENCE_KEY",
                        "invalid cross reference id",
                        vec![STANDARD[OWNER_ID].name.to_string()],
                    ));
                }
                values.push((def.col, Value::String(self.user_id.clone())));
                continue;
            }
            values.push((def.col, value));
        }
        Ok(values)
    }

    /// Create, upsert (keyed on an external-id field) or update records as `who`. `target`
    /// is the row of a single-record update; `locked` the position of a record that fails
    /// with UNABLE_TO_LOCK_ROW (fault injection). Failures never write; allOrNone turns any
    /// failure into a full rollback.
    pub fn save(
        &mut self,
        mode: SaveMode,
        records: &[Map<String, Value>],
        all_or_none: bool,
        target: Option<&str>,
        locked: Option<usize>,
        who: Principal,
    ) -> Vec<SaveResult> {
        let view = self.case_fields(who);
        let can_create = self.case_rights(who).create;
        let mut seen: HashSet<(usize, String)> = HashSet::new();
        let mut plan: Vec<Result<Op, RecordError>> = Vec::with_capacity(records.len());
        for (position, record) in records.iter().enumerate() {
            let planned = match self.plan_one(mode, &view, record, &mut seen, target) {
                Ok(Op::Insert(_)) if !can_create => Err(insufficient_access()),
                Ok(Op::Update(i, _)) if locked == Some(position) => {
                    Err(row_lock(Some(&self.id_of(i))))
                }
                Ok(Op::Insert(_)) if locked == Some(position) => Err(row_lock(None)),
                other => other,
            };
            plan.push(planned);
        }
        let any_failed = plan.iter().any(Result::is_err);
        if all_or_none && any_failed {
            return plan
                .into_iter()
                .map(|p| SaveResult::failed(None, p.err().unwrap_or_else(rolled_back)))
                .collect();
        }
        let now = now_string();
        let upsert = matches!(mode, SaveMode::Upsert(_));
        plan.into_iter()
            .map(|p| match p {
                Err(e) => SaveResult::failed(None, e),
                Ok(Op::Insert(values)) => {
                    let id = self.insert(values, &now);
                    SaveResult {
                        id: Some(id),
                        success: true,
                        errors: vec![],
                        created: upsert.then_some(true),
                    }
                }
                Ok(Op::Update(i, values)) => {
                    self.update(i, values, &now);
                    SaveResult {
                        id: Some(self.id_of(i)),
                        success: true,
                        errors: vec![],
                        created: upsert.then_some(false),
                    }
                }
            })
            .collect()
    }

    fn plan_one(
        &self,
        mode: SaveMode,
        view: &[FieldDef],
        record: &Map<String, Value>,
        seen: &mut HashSet<(usize, String)>,
        target: Option<&str>,
    ) -> Result<Op, RecordError> {
        let values = self.validate_fields(view, record)?;
        let op = match mode {
            SaveMode::Upsert(key_col) => {
                let key_name = view
                    .iter()
                    .find(|d| d.col == key_col)
                    .map(|d| d.name.to_string())
                    .unwrap_or_default();
                let key_value = values
                    .iter()
                    .find(|(col, _)| *col == key_col)
                    .map(|(_, v)| v);
                let Some((key, shown)) = key_value.and_then(|v| {
                    self.index_key(key_col, v)
                        .map(|k| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                }) else {
                    return Err(RecordError::new(
                        "MISSING_ARGUMENT",
                        format!("{key_name} not specified"),
                        vec![],
                    ));
                };
                if !seen.insert((key_col, key.clone())) {
                    return Err(RecordError::new(
                        "DUPLICATE_EXTERNAL_ID",
                        format!("Duplicate external id specified: {shown}"),
                        vec![key_name],
                    ));
                }
                match self
                    .index
                    .get(&key_col)
                    .and_then(|keys| keys.get(&key))
                    .map(Vec::as_slice)
                {
                    None | Some([]) => Op::Insert(values),
                    Some([i]) => Op::Update(*i, values),
                    Some(_) => {
                        return Err(RecordError::new(
                            "DUPLICATE_EXTERNAL_ID",
                            "A user-specified external ID matches more than one record during an upsert",
                            vec![key_name],
                        ));
                    }
                }
            }
            SaveMode::Create | SaveMode::Update => match target {
                Some(id) => match self.row_index(id) {
                    Some(Ok(i)) => Op::Update(i, values),
                    _ => {
                        return Err(RecordError::new(
                            "NOT_FOUND",
                            "The requested resource does not exist",
                            vec![],
                        ));
                    }
                },
                None => Op::Insert(values),
            },
        };
        let (own_row, values) = match &op {
            Op::Insert(values) => (None, values),
            Op::Update(i, values) => (Some(*i), values),
        };
        // Required custom fields: present and not null on insert, not cleared on update.
        for def in view.iter().filter(|d| d.required) {
            let given = values
                .iter()
                .find(|(col, _)| *col == def.col)
                .map(|(_, v)| v);
            let missing = match (own_row, given) {
                (None, None) => true,
                (_, Some(v)) => v.is_null(),
                (Some(_), None) => false,
            };
            if missing {
                return Err(RecordError::new(
                    "REQUIRED_FIELD_MISSING",
                    format!("Required fields are missing: [{}]", def.name),
                    vec![def.name.to_string()],
                ));
            }
        }
        // Unique fields: no other live record, and no other record of this request.
        for (col, value) in values {
            let Some(field) = self.field_at(*col).filter(|f| f.metadata.unique) else {
                continue;
            };
            let Some(key) = self.index_key(*col, value) else {
                continue;
            };
            let name = field.api_name();
            let clash = self
                .index
                .get(col)
                .and_then(|keys| keys.get(&key))
                .and_then(|rows| rows.iter().copied().find(|&i| Some(i) != own_row));
            if let Some(i) = clash {
                return Err(duplicate_value(&name, &self.id_of(i)));
            }
            let upsert_key = matches!(mode, SaveMode::Upsert(k) if k == *col);
            if !upsert_key && !seen.insert((*col, key)) {
                return Err(duplicate_value(&name, "a record in this request"));
            }
        }
        Ok(op)
    }

    fn insert(&mut self, values: Vec<(usize, Value)>, now: &str) -> String {
        let id = self.new_id("500");
        let mut row = vec![Value::Null; self.next_col];
        row[ID] = Value::String(id.clone());
        row[CASE_NUMBER] = Value::String(format!("{:08}", self.next_case_number));
        self.next_case_number += 1;
        row[IS_DELETED] = Value::Bool(false);
        row[CREATED_DATE] = Value::String(now.to_string());
        row[LAST_MODIFIED_DATE] = Value::String(now.to_string());
        for (i, v) in values {
            if let Some(slot) = row.get_mut(i) {
                *slot = v;
            }
        }
        // Defaults apply when the caller sent nothing (or null) for these fields.
        for (field, default) in [(STATUS, "New"), (PRIORITY, "Medium")] {
            if row[field].is_null() {
                row[field] = Value::String(default.to_string());
            }
        }
        if row[OWNER_ID].is_null() {
            row[OWNER_ID] = Value::String(self.user_id.clone());
        }
        for field in &self.fields {
            if field.metadata.field_type == FieldType::Checkbox
                && let Some(slot) = row.get_mut(field.col)
                && slot.is_null()
            {
                *slot = Value::Bool(field.metadata.default_value.as_deref() == Some("true"));
            }
        }
        let index = self.rows.len();
        self.by_id.insert(id.to_ascii_uppercase(), index);
        self.rows.push(row);
        self.index_row(index);
        id
    }

    fn update(&mut self, i: usize, values: Vec<(usize, Value)>, now: &str) {
        self.unindex_row(i);
        let width = self.next_col;
        let row = &mut self.rows[i];
        if row.len() < width {
            row.resize(width, Value::Null);
        }
        for (col, value) in values {
            if let Some(slot) = row.get_mut(col) {
                *slot = value;
            }
        }
        row[LAST_MODIFIED_DATE] = Value::String(now.to_string());
        self.index_row(i);
    }

    /// Stores a result snapshot and returns its locator id.
    pub fn open_cursor(
        &mut self,
        rows: Arc<Vec<Rendered>>,
        query_all: bool,
        row_type: RowType,
    ) -> String {
        let locator = self.new_id("01g");
        self.cursors.insert(
            locator.clone(),
            Cursor {
                rows,
                query_all,
                row_type,
            },
        );
        self.cursor_order.push_back(locator.clone());
        while self.cursor_order.len() > MAX_CURSORS {
            if let Some(old) = self.cursor_order.pop_front() {
                self.cursors.remove(&old);
            }
        }
        locator
    }

    pub fn cursor(&self, locator: &str) -> Option<&Cursor> {
        self.cursors.get(locator)
    }
}

const INSUFFICIENT: &str = "INSUFFICIENT_ACCESS_OR_READONLY";

fn insufficient_access() -> RecordError {
    RecordError::new(
        INSUFFICIENT,
        "insufficient access rights on object id",
        vec![],
    )
}

/// Something@something.tld, no spaces: enough to refuse what Salesforce refuses.
fn valid_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}

fn duplicate_value(name: &str, other: &str) -> RecordError {
    RecordError::new(
        "DUPLICATE_VALUE",
        format!("duplicate value found: {name} duplicates value on record with id: {other}"),
        vec![name.to_string()],
    )
}

fn row_lock(id: Option<&str>) -> RecordError {
    let message = match id {
        Some(id) => format!("unable to obtain exclusive access to this record or 1 records: {id}"),
        None => "unable to obtain exclusive access to this record".to_string(),
    };
    RecordError::new("UNABLE_TO_LOCK_ROW", message, vec![])
}

fn rolled_back() -> RecordError {
    RecordError::new("ALL_OR_NONE_OPERATION_ROLLED_BACK", ROLLED_BACK, vec![])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn datetime_format() {
        let s = now_string();
        assert_eq!(s.len(), "2026-12-03T15:42:14.000+0000".len(), "{s}");
        assert!(s.ends_with("+0000"));
        assert_eq!(&s[19..20], ".");
    }

    /// Queries answered through the indexes give what a scan of every row gives.
    #[test]
    fn indexed_queries_match_a_scan() {
        let mut org = Org::new("u");
        org.apply_complete_setup(false);
        let who = Principal::Integration;
        let records: Vec<Map<String, Value>> = (0..40)
            .map(|i| {
                let key = if i % 3 == 0 {
                    format!("MV-{i}")
                } else {
                    format!("mv-{i}")
                };
                rec(json!({"ExternalID__c": key, "Subject": format!("s{}", i % 4)}))
            })
            .chain([rec(json!({"ExternalID__c": "mv-1", "Subject": "twin"}))])
            .collect();
        let saved = org.save(SaveMode::Create, &records, false, None, None, who);
        let ids: Vec<String> = saved.iter().filter_map(|r| r.id.clone()).collect();
        assert_eq!(ids.len(), 41);
        org.delete_many(&ids[..5], false, None, who);
        let quoted = |list: &[String]| {
            list.iter()
                .map(|v| format!("'{v}'"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let mixed: Vec<String> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| match i % 3 {
                0 => id[..15].to_string(),
                1 => id.to_ascii_lowercase(),
                _ => id.clone(),
            })
            .collect();
        let queries = [
            format!("SELECT Id, CaseNumber FROM Case WHERE Id IN ({})", quoted(&mixed)),
            format!("SELECT Id FROM Case WHERE Id = '{}'", ids[7].to_ascii_lowercase()),
            format!("SELECT Id FROM Case WHERE Id = '{}'", ids[2]),
            "SELECT Id FROM Case WHERE Id IN ('nonsense', '500000000000000AAA')".to_string(),
            "SELECT Id, ExternalID__c FROM Case WHERE ExternalID__c IN ('MV-1','mv-3','Mv-4','mv-9','x')"
                .to_string(),
            "SELECT Id FROM Case WHERE ExternalID__c = 'mv-1' AND Subject = 'twin'".to_string(),
            "SELECT Id FROM Case WHERE ExternalID__c IN ('mv-12', null)".to_string(),
            "SELECT Id FROM Case WHERE ExternalID__c != 'mv-12' AND Subject IN ('s1','S2')"
                .to_string(),
            format!(
                "SELECT Id FROM Case WHERE Id IN ({}) AND ExternalID__c IN ('mv-10','MV-11','mv-30') ORDER BY ExternalID__c DESC",
                quoted(&ids)
            ),
            "SELECT COUNT() FROM Case WHERE ExternalID__c IN ('mv-1','mv-2')".to_string(),
        ];
        let table = crate::sandbox::http::case_table(&org.case_fields(who));
        for q in &queries {
            let parsed = soql::parse(q)
                .and_then(|raw| raw.bind(q, &table))
                .unwrap_or_else(|e| panic!("{q}: {}", e.message));
            for query_all in [false, true] {
                let indexed = org.query_cases(&parsed, query_all);
                let scanned = parsed.run(&org.rows, query_all);
                let show = |o: &soql::Outcome| {
                    (
                        o.total,
                        o.rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
                    )
                };
                assert_eq!(show(&indexed), show(&scanned), "{q} (queryAll {query_all})");
            }
        }
        let total = |q: &str, query_all: bool| {
            let parsed = soql::parse(q).and_then(|raw| raw.bind(q, &table));
            parsed.map_or(usize::MAX, |p| org.query_cases(&p, query_all).total)
        };
        assert_eq!(total(&queries[0], false), 36);
        assert_eq!(total(&queries[0], true), 41);
        assert_eq!(total(&queries[4], false), 2);
        assert_eq!(total(&queries[4], true), 5);
    }

    #[test]
    fn upsert_then_update_keeps_id() {
        let mut org = Org::new("u");
        org.apply_complete_setup(true);
        let who = Principal::Integration;
        let key = org
            .case_fields(who)
            .iter()
            .find(|f| f.name == "ExternalID__c")
            .map(|f| f.col)
            .unwrap_or_default();
        let r = org.save(
            SaveMode::Upsert(key),
            &[rec(json!({"ExternalID__c": "MV-1", "subject": "a"}))],
            false,
            None,
            None,
            who,
        );
        assert_eq!(r[0].created, Some(true));
        let r2 = org.save(
            SaveMode::Upsert(key),
            &[rec(json!({"externalid__c": "mv-1", "Subject": null}))],
            false,
            None,
            None,
            who,
        );
        assert_eq!(r2[0].created, Some(false));
        assert_eq!(r[0].id, r2[0].id);
        assert_eq!(org.live_count(), 1);
        assert_eq!(org.rows()[0][2], Value::Null);
        assert_eq!(org.rows()[0][CASE_NUMBER], json!("00001001"));
    }
}
