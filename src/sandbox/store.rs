//! The in-memory org: Cases, sessions, API usage and query cursors.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value};

use super::ids;
use super::schema::{
    self, CASE_NUMBER, CREATED_DATE, EXTERNAL_ID, FIELDS, ID, IS_DELETED, Kind, LAST_MODIFIED_DATE,
    OWNER_ID, PRIORITY, STATUS,
};

/// Fixed 15-char ids: stable for the process (and across runs, which helps snapshots).
const ORG_ID15: &str = "00D5g000004SBox";
const USER_ID15: &str = "0055g00000MFsbx";
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
    Upsert,
    /// Update of one known record (single-record PATCH).
    Update,
}

/// A row snapshot for query results: its id and the selected (field index, value) pairs.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub id: String,
    pub fields: Vec<(usize, Value)>,
}

pub struct Cursor {
    pub rows: Arc<Vec<Rendered>>,
    pub query_all: bool,
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

pub struct Org {
    pub org_id: String,
    pub user_id: String,
    pub username: String,
    rows: Vec<Vec<Value>>,
    by_id: HashMap<String, usize>,
    /// Lower-cased external id → live rows (more than one only when the field is not unique).
    by_ext: HashMap<String, Vec<usize>>,
    next_counter: u64,
    next_case_number: u64,
    /// Session id → when it was issued.
    tokens: HashMap<String, Instant>,
    pub api_usage: u64,
    /// Whether ExternalID__c is a Unique field (duplicates refused on write).
    pub external_id_unique: bool,
    /// Text lengths in Unicode code points instead of UTF-16 code units.
    pub length_in_code_points: bool,
    /// Failed entries of a collections delete carry the id they were given.
    pub delete_failure_id: bool,
    cursors: HashMap<String, Cursor>,
    cursor_order: VecDeque<String>,
}

impl Org {
    pub fn new(username: &str) -> Self {
        Self {
            org_id: ids::to18(ORG_ID15).unwrap_or_default(),
            user_id: ids::to18(USER_ID15).unwrap_or_default(),
            username: username.to_string(),
            rows: Vec::new(),
            by_id: HashMap::new(),
            by_ext: HashMap::new(),
            next_counter: FIRST_RECORD_COUNTER,
            next_case_number: FIRST_CASE_NUMBER,
            tokens: HashMap::new(),
            api_usage: 0,
            external_id_unique: true,
            length_in_code_points: false,
            delete_failure_id: true,
            cursors: HashMap::new(),
            cursor_order: VecDeque::new(),
        }
    }

    pub fn add_session(&mut self, token: String) {
        self.tokens.insert(token, Instant::now());
    }

    /// Revoke: true when the session existed.
    pub fn revoke_session(&mut self, token: &str) -> bool {
        self.tokens.remove(token).is_some()
    }

    /// A known session younger than `ttl` (when there is one). Expired sessions are forgotten.
    pub fn session_valid(&mut self, token: &str, ttl: Option<Duration>) -> bool {
        match self.tokens.get(token) {
            None => false,
            Some(issued) if ttl.is_some_and(|ttl| issued.elapsed() >= ttl) => {
                self.tokens.remove(token);
                false
            }
            Some(_) => true,
        }
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

    pub fn rows(&self) -> &[Vec<Value>] {
        &self.rows
    }

    pub fn live_count(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r[IS_DELETED] != Value::Bool(true))
            .count()
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

    /// The live rows whose external id matches (case-insensitively); more than one only when
    /// the field is not unique.
    pub fn by_external_id(&self, value: &str) -> Vec<&[Value]> {
        self.by_ext
            .get(&value.to_lowercase())
            .map(|rows| rows.iter().map(|&i| self.rows[i].as_slice()).collect())
            .unwrap_or_default()
    }

    fn index_ext(&mut self, ext: &str, i: usize) {
        self.by_ext.entry(ext.to_lowercase()).or_default().push(i);
    }

    fn unindex_ext(&mut self, ext: &str, i: usize) {
        let key = ext.to_lowercase();
        if let Some(rows) = self.by_ext.get_mut(&key) {
            rows.retain(|&r| r != i);
            if rows.is_empty() {
                self.by_ext.remove(&key);
            }
        }
    }

    /// Soft delete of one live record by row index.
    fn soft_delete(&mut self, i: usize) {
        let row = &mut self.rows[i];
        row[IS_DELETED] = Value::Bool(true);
        row[LAST_MODIFIED_DATE] = Value::String(now_string());
        if let Some(ext) = row[EXTERNAL_ID].as_str().map(str::to_string) {
            self.unindex_ext(&ext, i);
        }
    }

    /// DELETE /sobjects/Case/{id}: Ok on success, else the lookup failure.
    pub fn delete_one(&mut self, id: &str) -> Result<(), &'static str> {
        match self.row_index(id) {
            None | Some(Err(())) => Err("NOT_FOUND"),
            Some(Ok(i)) if self.rows[i][IS_DELETED] == Value::Bool(true) => {
                Err("ENTITY_IS_DELETED")
            }
            Some(Ok(i)) => {
                self.soft_delete(i);
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
    ) -> Vec<SaveResult> {
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
        outcome
            .into_iter()
            .map(|r| match r {
                Ok(i) => {
                    self.soft_delete(i);
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

    /// Checks one record body in Salesforce's order: unknown field, read-only field, value
    /// type, length, owner. Returns the (field, value) pairs to write.
    fn validate_fields(
        &self,
        record: &Map<String, Value>,
    ) -> Result<Vec<(usize, Value)>, RecordError> {
        let mut resolved = Vec::new();
        for (name, value) in record {
            if name == "attributes" {
                continue;
            }
            let Some(index) = schema::field_index(name) else {
                return Err(RecordError::new(
                    "INVALID_FIELD",
                    format!("No such column '{name}' on sobject of type Case"),
                    vec![],
                ));
            };
            resolved.push((index, value));
        }
        let read_only: Vec<String> = resolved
            .iter()
            .filter(|(i, _)| !FIELDS[*i].writable)
            .map(|(i, _)| FIELDS[*i].name.to_string())
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
        let mut out = Vec::with_capacity(resolved.len());
        for (index, value) in resolved {
            let field = &FIELDS[index];
            let text = match value {
                Value::Null => None,
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                Value::Array(_) | Value::Object(_) => {
                    return Err(RecordError::new(
                        "INVALID_TYPE_ON_FIELD_IN_RECORD",
                        format!("{}: value not of required type: {value}", field.label),
                        vec![field.name.to_string()],
                    ));
                }
            };
            // Salesforce stores an empty string as null.
            out.push((index, text.filter(|s| !s.is_empty())));
        }
        for (index, text) in &out {
            let field = &FIELDS[*index];
            let length = |s: &str| {
                if self.length_in_code_points {
                    s.chars().count()
                } else {
                    s.encode_utf16().count()
                }
            };
            if let Some(s) = text
                && field.kind != Kind::Reference
                && length(s) > field.length
            {
                return Err(RecordError::new(
                    "STRING_TOO_LONG",
                    format!(
                        "{}: data value too large: {s} (max length={})",
                        field.label, field.length
                    ),
                    vec![field.name.to_string()],
                ));
            }
        }
        let mut values = Vec::with_capacity(out.len());
        for (index, text) in out {
            if index == OWNER_ID {
                // The only owner this org knows is the integration user.
                let ok = text.as_deref().and_then(ids::key) == ids::key(&self.user_id);
                if !ok {
                    return Err(RecordError::new(
                        "INVALID_CROSS_REFERENCE_KEY",
                        "invalid cross reference id",
                        vec![FIELDS[OWNER_ID].name.to_string()],
                    ));
                }
                values.push((index, Value::String(self.user_id.clone())));
                continue;
            }
            values.push((index, text.map_or(Value::Null, Value::String)));
        }
        Ok(values)
    }

    /// Create, upsert (keyed on ExternalID__c) or update records. `target` is the row of a
    /// single-record update; `locked` the position of a record that fails with
    /// UNABLE_TO_LOCK_ROW (fault injection). Failures never write; allOrNone turns any
    /// failure into a full rollback.
    pub fn save(
        &mut self,
        mode: SaveMode,
        records: &[Map<String, Value>],
        all_or_none: bool,
        target: Option<&str>,
        locked: Option<usize>,
    ) -> Vec<SaveResult> {
        let mut seen_ext: HashSet<String> = HashSet::new();
        let mut plan: Vec<Result<Op, RecordError>> = Vec::with_capacity(records.len());
        for (position, record) in records.iter().enumerate() {
            let planned = match self.plan_one(mode, record, &mut seen_ext, target) {
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
        plan.into_iter()
            .map(|p| match p {
                Err(e) => SaveResult::failed(None, e),
                Ok(Op::Insert(values)) => {
                    let id = self.insert(values, &now);
                    SaveResult {
                        id: Some(id),
                        success: true,
                        errors: vec![],
                        created: (mode == SaveMode::Upsert).then_some(true),
                    }
                }
                Ok(Op::Update(i, values)) => {
                    self.update(i, values, &now);
                    SaveResult {
                        id: Some(self.id_of(i)),
                        success: true,
                        errors: vec![],
                        created: (mode == SaveMode::Upsert).then_some(false),
                    }
                }
            })
            .collect()
    }

    fn plan_one(
        &self,
        mode: SaveMode,
        record: &Map<String, Value>,
        seen_ext: &mut HashSet<String>,
        target: Option<&str>,
    ) -> Result<Op, RecordError> {
        let values = self.validate_fields(record)?;
        let ext = values
            .iter()
            .find(|(i, _)| *i == EXTERNAL_ID)
            .and_then(|(_, v)| v.as_str())
            .map(str::to_string);
        let ext_name = FIELDS[EXTERNAL_ID].name;
        match mode {
            SaveMode::Upsert => {
                let Some(ext) = ext else {
                    return Err(RecordError::new(
                        "MISSING_ARGUMENT",
                        format!("{ext_name} not specified"),
                        vec![],
                    ));
                };
                let key = ext.to_lowercase();
                if !seen_ext.insert(key.clone()) {
                    return Err(RecordError::new(
                        "DUPLICATE_EXTERNAL_ID",
                        format!("Duplicate external id specified: {ext}"),
                        vec![ext_name.to_string()],
                    ));
                }
                match self.by_ext.get(&key).map(Vec::as_slice) {
                    None | Some([]) => Ok(Op::Insert(values)),
                    Some([i]) => Ok(Op::Update(*i, values)),
                    Some(_) => Err(RecordError::new(
                        "DUPLICATE_EXTERNAL_ID",
                        "A user-specified external ID matches more than one record during an upsert",
                        vec![ext_name.to_string()],
                    )),
                }
            }
            SaveMode::Create | SaveMode::Update => {
                let own_row = match target {
                    Some(id) => match self.row_index(id) {
                        Some(Ok(i)) => Some(i),
                        _ => {
                            return Err(RecordError::new(
                                "NOT_FOUND",
                                "The requested resource does not exist",
                                vec![],
                            ));
                        }
                    },
                    None => None,
                };
                if let Some(ext) = ext.filter(|_| self.external_id_unique) {
                    let key = ext.to_lowercase();
                    let clash = self
                        .by_ext
                        .get(&key)
                        .and_then(|rows| rows.iter().copied().find(|&i| Some(i) != own_row));
                    if let Some(i) = clash {
                        return Err(duplicate_value(&self.id_of(i)));
                    }
                    if !seen_ext.insert(key) {
                        return Err(duplicate_value("a record in this request"));
                    }
                }
                Ok(match own_row {
                    Some(i) => Op::Update(i, values),
                    None => Op::Insert(values),
                })
            }
        }
    }

    fn insert(&mut self, values: Vec<(usize, Value)>, now: &str) -> String {
        let id = ids::make_id("500", self.next_counter);
        self.next_counter += 1;
        let mut row = vec![Value::Null; FIELDS.len()];
        row[ID] = Value::String(id.clone());
        row[CASE_NUMBER] = Value::String(format!("{:08}", self.next_case_number));
        self.next_case_number += 1;
        row[IS_DELETED] = Value::Bool(false);
        row[CREATED_DATE] = Value::String(now.to_string());
        row[LAST_MODIFIED_DATE] = Value::String(now.to_string());
        for (i, v) in values {
            row[i] = v;
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
        let index = self.rows.len();
        let ext = row[EXTERNAL_ID].as_str().map(str::to_string);
        self.by_id.insert(id.to_ascii_uppercase(), index);
        self.rows.push(row);
        if let Some(ext) = ext {
            self.index_ext(&ext, index);
        }
        id
    }

    fn update(&mut self, i: usize, values: Vec<(usize, Value)>, now: &str) {
        for (field, value) in values {
            if field == EXTERNAL_ID {
                if let Some(old) = self.rows[i][EXTERNAL_ID].as_str().map(str::to_string) {
                    self.unindex_ext(&old, i);
                }
                if let Some(new) = value.as_str() {
                    self.index_ext(new, i);
                }
            }
            self.rows[i][field] = value;
        }
        self.rows[i][LAST_MODIFIED_DATE] = Value::String(now.to_string());
    }

    /// Stores a result snapshot and returns its locator id.
    pub fn open_cursor(&mut self, rows: Arc<Vec<Rendered>>, query_all: bool) -> String {
        let locator = ids::make_id("01g", self.next_counter);
        self.next_counter += 1;
        self.cursors
            .insert(locator.clone(), Cursor { rows, query_all });
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

fn duplicate_value(other: &str) -> RecordError {
    let name = FIELDS[EXTERNAL_ID].name;
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

    #[test]
    fn upsert_then_update_keeps_id() {
        let mut org = Org::new("u");
        let r = org.save(
            SaveMode::Upsert,
            &[rec(json!({"ExternalID__c": "MV-1", "subject": "a"}))],
            false,
            None,
            None,
        );
        assert_eq!(r[0].created, Some(true));
        let r2 = org.save(
            SaveMode::Upsert,
            &[rec(json!({"externalid__c": "mv-1", "Subject": null}))],
            false,
            None,
            None,
        );
        assert_eq!(r2[0].created, Some(false));
        assert_eq!(r[0].id, r2[0].id);
        assert_eq!(org.live_count(), 1);
        assert_eq!(org.rows()[0][2], Value::Null);
        assert_eq!(org.rows()[0][CASE_NUMBER], json!("00001001"));
    }
}
