//! The org's setup state: custom fields as Tooling `CustomField` records, permission sets,
//! field permissions (FLS) and permission set assignments, and who may change them.
//!
//! Everything here is plain data plus validation; `store::Org` owns it and applies the
//! consequences to Case rows (columns, indexes, values).

use std::borrow::Cow;

use serde_json::{Map, Value, json};

use super::schema::{self, FieldDef, Kind};

/// Longest developer name (without `__c`) and label Salesforce accepts.
const MAX_NAME: usize = 40;
const MAX_LABEL: usize = 40;
const TEXT_MAX: u64 = 255;
const LONG_MIN: u64 = 256;
const LONG_MAX: u64 = 131_072;
/// Declared long/rich text length an object may hold in total.
const LONG_TEXT_BUDGET: u64 = 1_638_400;
const LINES_MIN: u64 = 2;
const HTML_LINES_MIN: u64 = 10;
const LINES_MAX: u64 = 50;
const NUMBER_MAX_PRECISION: u64 = 18;

/// Who is calling: the integration user (FLS and user permissions apply) or the admin
/// session handed out by `Sandbox::admin_token` (sees and may change everything).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Principal {
    Integration,
    Admin,
}

/// The org's setup when the sandbox starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Setup {
    /// Today's org: the seven Case fields exist, and the integration user's profile grants
    /// read and edit on all of them.
    #[default]
    Complete,
    /// A new org: none of the seven fields, no field permissions.
    Blank,
}

/// The integration user's object permissions on Case (Read and Edit are always there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseAccess {
    pub create: bool,
    pub delete: bool,
}

impl Default for CaseAccess {
    fn default() -> Self {
        Self {
            create: true,
            delete: true,
        }
    }
}

/// A refused setup operation: HTTP status, error code, message, fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetupError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<String>,
}

impl SetupError {
    pub fn bad(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: 400,
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub fn on(mut self, field: &str) -> Self {
        self.fields.push(field.to_string());
        self
    }

    pub fn not_found() -> Self {
        Self {
            status: 404,
            code: "NOT_FOUND",
            message: "The requested resource does not exist".into(),
            fields: Vec::new(),
        }
    }

    fn integrity(message: impl Into<String>) -> Self {
        Self::bad("FIELD_INTEGRITY_EXCEPTION", message)
    }
}

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for SetupError {}

/// The refusal for a user without "Customize Application" (and "Manage Profiles and
/// Permission Sets") trying to change setup.
pub fn insufficient_access() -> SetupError {
    SetupError::bad(
        "INSUFFICIENT_ACCESS_OR_READONLY",
        "insufficient access rights on object id",
    )
}

/// The custom field types this org knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    Text,
    TextArea,
    LongTextArea,
    Html,
    Number,
    Email,
    Checkbox,
}

impl FieldType {
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Text => "Text",
            FieldType::TextArea => "TextArea",
            FieldType::LongTextArea => "LongTextArea",
            FieldType::Html => "Html",
            FieldType::Number => "Number",
            FieldType::Email => "Email",
            FieldType::Checkbox => "Checkbox",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [
            FieldType::Text,
            FieldType::TextArea,
            FieldType::LongTextArea,
            FieldType::Html,
            FieldType::Number,
            FieldType::Email,
            FieldType::Checkbox,
        ]
        .into_iter()
        .find(|t| t.name().eq_ignore_ascii_case(text))
    }

    fn is_long(self) -> bool {
        matches!(self, FieldType::LongTextArea | FieldType::Html)
    }
}

/// `CustomField.Metadata`: the keys this org understands. Others are accepted and ignored
/// (a client may send back the whole object it read, nulls included).
#[derive(Clone, Debug, PartialEq)]
pub struct FieldMetadata {
    pub label: String,
    pub field_type: FieldType,
    pub length: Option<u64>,
    pub precision: Option<u64>,
    pub scale: Option<u64>,
    pub visible_lines: Option<u64>,
    pub external_id: bool,
    pub unique: bool,
    pub case_sensitive: bool,
    pub required: bool,
    pub default_value: Option<String>,
    pub description: Option<String>,
    pub inline_help_text: Option<String>,
}

fn parse_error(key: &str, want: &str, got: &Value) -> SetupError {
    SetupError::bad(
        "JSON_PARSER_ERROR",
        format!("Cannot deserialize value of type `{want}` from {got} (Metadata.{key})"),
    )
}

fn opt_u64(map: &Map<String, Value>, key: &str) -> Result<Option<u64>, SetupError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(v) => Ok(Some(v)),
            // Salesforce sends lengths as whole numbers; 1024.0 is also fine.
            None => match n.as_f64() {
                Some(f) if f >= 0.0 && f.fract() == 0.0 && f < 1e15 => Ok(Some(f as u64)),
                _ => Err(SetupError::integrity(format!(
                    "{key} must be a whole number of zero or more, not {n}"
                ))),
            },
        },
        Some(other) => Err(parse_error(key, "int", other)),
    }
}

fn opt_bool(map: &Map<String, Value>, key: &str) -> Result<bool, SetupError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(parse_error(key, "boolean", other)),
    }
}

fn opt_string(map: &Map<String, Value>, key: &str) -> Result<Option<String>, SetupError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Bool(b)) if key == "defaultValue" => Ok(Some(b.to_string())),
        Some(other) => Err(parse_error(key, "String", other)),
    }
}

impl FieldMetadata {
    /// Reads `Metadata` from a request body. Shape errors are JSON_PARSER_ERROR; rule
    /// errors come from `validate`.
    pub fn from_json(value: &Value) -> Result<Self, SetupError> {
        let Value::Object(map) = value else {
            return Err(parse_error("", "CustomFieldMetadata", value));
        };
        let label = opt_string(map, "label")?.unwrap_or_default();
        let type_text = opt_string(map, "type")?;
        let field_type = match type_text.as_deref() {
            None | Some("") => {
                return Err(
                    SetupError::integrity("Must specify the type of the CustomField").on("type")
                );
            }
            Some(text) => FieldType::parse(text).ok_or_else(|| {
                SetupError::integrity(format!(
                    "Field type {text} is not supported by this sandbox (supported: Text, TextArea, LongTextArea, Html, Number, Email, Checkbox)"
                ))
                .on("type")
            })?,
        };
        Ok(Self {
            label,
            field_type,
            length: opt_u64(map, "length")?,
            precision: opt_u64(map, "precision")?,
            scale: opt_u64(map, "scale")?,
            visible_lines: opt_u64(map, "visibleLines")?,
            external_id: opt_bool(map, "externalId")?,
            unique: opt_bool(map, "unique")?,
            case_sensitive: opt_bool(map, "caseSensitive")?,
            required: opt_bool(map, "required")?,
            default_value: opt_string(map, "defaultValue")?,
            description: opt_string(map, "description")?,
            inline_help_text: opt_string(map, "inlineHelpText")?,
        })
    }

    /// The Text metadata used by the seven fields and the admin helpers.
    pub fn text(label: &str, length: u64) -> Self {
        Self {
            label: label.to_string(),
            field_type: FieldType::Text,
            length: Some(length),
            precision: None,
            scale: None,
            visible_lines: None,
            external_id: false,
            unique: false,
            case_sensitive: false,
            required: false,
            default_value: None,
            description: None,
            inline_help_text: None,
        }
    }

    pub fn long_text(label: &str, length: u64, visible_lines: u64) -> Self {
        Self {
            field_type: FieldType::LongTextArea,
            visible_lines: Some(visible_lines),
            ..Self::text(label, length)
        }
    }

    /// Salesforce's rules for the metadata of one field, in the order it checks them.
    /// Fixed-size types get their size filled in.
    pub fn validate(&mut self) -> Result<(), SetupError> {
        let label = self.label.trim();
        if label.is_empty() {
            return Err(SetupError::integrity(
                "Must specify a non-empty label for the CustomField",
            )
            .on("label"));
        }
        if label.chars().count() > MAX_LABEL {
            return Err(SetupError::integrity(format!(
                "The label can be at most {MAX_LABEL} characters long"
            ))
            .on("label"));
        }
        let t = self.field_type;
        match t {
            FieldType::Text => {
                let Some(length) = self.length else {
                    return Err(SetupError::integrity(
                        "Must specify 'length' for a CustomField of type Text",
                    )
                    .on("length"));
                };
                if !(1..=TEXT_MAX).contains(&length) {
                    return Err(SetupError::integrity(format!(
                        "Length must be between 1 and {TEXT_MAX} for a CustomField of type Text (got {length})"
                    ))
                    .on("length"));
                }
                self.visible_lines = None;
            }
            FieldType::LongTextArea | FieldType::Html => {
                let Some(length) = self.length else {
                    return Err(SetupError::integrity(format!(
                        "Must specify 'length' for a CustomField of type {}",
                        t.name()
                    ))
                    .on("length"));
                };
                if !(LONG_MIN..=LONG_MAX).contains(&length) {
                    return Err(SetupError::integrity(format!(
                        "Length must be between {LONG_MIN} and {LONG_MAX} for a CustomField of type {} (got {length})",
                        t.name()
                    ))
                    .on("length"));
                }
                let min_lines = if t == FieldType::Html {
                    HTML_LINES_MIN
                } else {
                    LINES_MIN
                };
                let Some(lines) = self.visible_lines else {
                    return Err(SetupError::integrity(format!(
                        "Must specify 'visibleLines' for a CustomField of type {}",
                        t.name()
                    ))
                    .on("visibleLines"));
                };
                if !(min_lines..=LINES_MAX).contains(&lines) {
                    return Err(SetupError::integrity(format!(
                        "visibleLines must be between {min_lines} and {LINES_MAX} for a CustomField of type {} (got {lines})",
                        t.name()
                    ))
                    .on("visibleLines"));
                }
            }
            FieldType::TextArea => {
                self.length = Some(TEXT_MAX);
                self.visible_lines = None;
            }
            FieldType::Email => {
                self.length = Some(80);
                self.visible_lines = None;
            }
            FieldType::Number => {
                let (Some(precision), Some(scale)) = (self.precision, self.scale) else {
                    return Err(SetupError::integrity(
                        "Must specify 'precision' and 'scale' for a CustomField of type Number",
                    )
                    .on("precision"));
                };
                if !(1..=NUMBER_MAX_PRECISION).contains(&precision) || scale > precision {
                    return Err(SetupError::integrity(format!(
                        "precision must be 1 to {NUMBER_MAX_PRECISION} and scale at most precision (got {precision}, {scale})"
                    ))
                    .on("precision"));
                }
                self.length = None;
                self.visible_lines = None;
            }
            FieldType::Checkbox => {
                match self.default_value.as_deref() {
                    Some(v)
                        if v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false") =>
                    {
                        self.default_value = Some(v.to_ascii_lowercase());
                    }
                    _ => {
                        return Err(SetupError::integrity(
                            "Must specify 'defaultValue' (true or false) for a CustomField of type Checkbox",
                        )
                        .on("defaultValue"));
                    }
                }
                self.length = None;
                self.visible_lines = None;
            }
        }
        if t != FieldType::Checkbox {
            self.default_value = None;
        }
        if !matches!(t, FieldType::Number) {
            self.precision = None;
            self.scale = None;
        }
        let keyable = matches!(t, FieldType::Text | FieldType::Number | FieldType::Email);
        if self.external_id && !keyable {
            return Err(SetupError::integrity(format!(
                "External ID can only be set on Text, Number and Email fields, not on {}",
                t.name()
            ))
            .on("externalId"));
        }
        if self.unique && !keyable {
            return Err(SetupError::integrity(format!(
                "Unique can only be set on Text, Number and Email fields, not on {}",
                t.name()
            ))
            .on("unique"));
        }
        if self.case_sensitive && !(self.unique && t == FieldType::Text) {
            return Err(SetupError::integrity(
                "caseSensitive can only be set on a unique Text field",
            )
            .on("caseSensitive"));
        }
        if self.required && (t.is_long() || t == FieldType::Checkbox) {
            return Err(SetupError::integrity(format!(
                "A CustomField of type {} cannot be required",
                t.name()
            ))
            .on("required"));
        }
        Ok(())
    }

    /// `Metadata` as Tooling returns it: every key, unused ones null.
    pub fn to_json(&self) -> Value {
        let t = self.field_type;
        let text = t == FieldType::Text;
        let keyable = matches!(t, FieldType::Text | FieldType::Number | FieldType::Email);
        let entries: [(&str, Value); 59] = [
            ("businessOwnerGroup", Value::Null),
            ("businessOwnerUser", Value::Null),
            ("businessStatus", Value::Null),
            (
                "caseSensitive",
                if text {
                    json!(self.case_sensitive)
                } else {
                    Value::Null
                },
            ),
            ("complianceGroup", Value::Null),
            ("customDataType", Value::Null),
            ("defaultValue", json!(self.default_value)),
            ("deleteConstraint", Value::Null),
            ("deprecated", Value::Null),
            ("description", json!(self.description)),
            ("displayFormat", Value::Null),
            ("encryptionScheme", Value::Null),
            ("escapeMarkup", Value::Null),
            ("externalDeveloperName", Value::Null),
            ("externalId", json!(self.external_id)),
            ("fieldManageability", Value::Null),
            ("formula", Value::Null),
            ("formulaTreatBlanksAs", Value::Null),
            ("inlineHelpText", json!(self.inline_help_text)),
            ("isAIPredictionField", Value::Null),
            ("isConvertLeadDisabled", Value::Null),
            ("isFilteringDisabled", Value::Null),
            ("isNameField", Value::Null),
            ("isSortingDisabled", Value::Null),
            ("label", json!(self.label)),
            ("length", json!(self.length)),
            ("lookupFilter", Value::Null),
            ("maskChar", Value::Null),
            ("maskType", Value::Null),
            ("metadataRelationshipControllingField", Value::Null),
            ("populateExistingRows", Value::Null),
            ("precision", json!(self.precision)),
            ("readOnlyProxy", Value::Null),
            ("referenceTargetField", Value::Null),
            ("referenceTo", Value::Null),
            ("relationshipLabel", Value::Null),
            ("relationshipName", Value::Null),
            ("relationshipOrder", Value::Null),
            ("reparentableMasterDetail", Value::Null),
            ("required", json!(self.required)),
            ("restrictedAdminField", Value::Null),
            ("scale", json!(self.scale)),
            ("securityClassification", Value::Null),
            ("startingNumber", Value::Null),
            ("stripMarkup", Value::Null),
            ("summarizedField", Value::Null),
            ("summaryFilterItems", Value::Null),
            ("summaryForeignKey", Value::Null),
            ("summaryOperation", Value::Null),
            ("trackFeedHistory", json!(false)),
            ("trackHistory", json!(false)),
            ("trackTrending", json!(false)),
            ("translateData", Value::Null),
            ("type", json!(t.name())),
            (
                "unique",
                if keyable {
                    json!(self.unique)
                } else {
                    Value::Null
                },
            ),
            ("valueSet", Value::Null),
            ("visibleLines", json!(self.visible_lines)),
            ("writeRequiresMasterRead", Value::Null),
            ("urls", Value::Null),
        ];
        Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    /// Declared length that counts against the object's long text budget.
    fn long_length(&self) -> u64 {
        if self.field_type.is_long() {
            self.length.unwrap_or(0)
        } else {
            0
        }
    }
}

/// Letters, digits and single underscores, starting with a letter, no trailing underscore.
fn valid_api_chars(name: &str) -> bool {
    let starts_with_letter = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    starts_with_letter
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.contains("__")
        && !name.ends_with('_')
}

/// Whether `name` (the part before `__c`) is a valid custom field API name.
fn valid_api_name(name: &str) -> bool {
    valid_api_chars(name) && name.chars().count() <= MAX_NAME
}

const API_NAME_RULE: &str = "can only contain underscores and alphanumeric characters. It must be unique, begin with a letter, not include spaces, not end with an underscore, and not contain two consecutive underscores.";

/// "Case.X__c" → ("Case", "X"): the object (canonical) and the developer name.
pub fn split_full_name(full_name: &str) -> Result<(&'static str, String), SetupError> {
    let Some((object, field)) = full_name.split_once('.') else {
        return Err(SetupError::integrity(format!(
            "FullName must be Object.Field__c, not '{full_name}'"
        ))
        .on("FullName"));
    };
    if !schema::is_case(object) {
        return Err(SetupError::integrity(format!(
            "Cannot create a custom field on {object}: this org has only Case"
        ))
        .on("FullName"));
    }
    let Some(name) = field
        .strip_suffix("__c")
        .or_else(|| field.strip_suffix("__C"))
    else {
        return Err(SetupError::bad(
            "INVALID_FIELD",
            format!("The name of a custom field must end with __c, not '{field}'"),
        )
        .on("FullName"));
    };
    if !valid_api_name(name) {
        return Err(
            SetupError::integrity(format!("The Field Name '{name}' {API_NAME_RULE}"))
                .on("FullName"),
        );
    }
    Ok(("Case", name.to_string()))
}

/// One Tooling `CustomField` record.
#[derive(Clone, Debug)]
pub struct CustomField {
    pub id: String,
    pub developer_name: String,
    pub table: &'static str,
    pub metadata: FieldMetadata,
    /// The Case row column that holds this field's values.
    pub col: usize,
    pub created: String,
    pub modified: String,
}

impl CustomField {
    pub fn api_name(&self) -> String {
        format!("{}__c", self.developer_name)
    }

    pub fn full_name(&self) -> String {
        format!("{}.{}__c", self.table, self.developer_name)
    }

    /// The field as describe and the data API see it, before FLS decides `writable`.
    pub fn def(&self) -> FieldDef {
        let m = &self.metadata;
        let (kind, length) = match m.field_type {
            FieldType::Text => (Kind::String, m.length.unwrap_or(TEXT_MAX)),
            FieldType::TextArea => (Kind::Textarea, TEXT_MAX),
            FieldType::LongTextArea | FieldType::Html => {
                (Kind::Textarea, m.length.unwrap_or(LONG_MIN))
            }
            FieldType::Number => (Kind::Double, 0),
            FieldType::Email => (Kind::Email, 80),
            FieldType::Checkbox => (Kind::Boolean, 0),
        };
        let checkbox = m.field_type == FieldType::Checkbox;
        FieldDef {
            custom: true,
            external_id: m.external_id,
            id_lookup: m.external_id,
            unique: m.unique,
            case_sensitive: m.case_sensitive,
            nillable: !m.required && !checkbox,
            defaulted: checkbox,
            html: m.field_type == FieldType::Html,
            precision: usize::try_from(m.precision.unwrap_or(0)).unwrap_or(0),
            scale: usize::try_from(m.scale.unwrap_or(0)).unwrap_or(0),
            permissionable: !m.required,
            required: m.required,
            default_value: checkbox.then(|| m.default_value.as_deref() == Some("true")),
            col: self.col,
            ..schema::blank(
                Cow::Owned(self.api_name()),
                Cow::Owned(m.label.clone()),
                kind,
                usize::try_from(length).unwrap_or(usize::MAX),
            )
        }
    }

    /// Whether values of this field are indexed for upsert matching and uniqueness.
    pub fn indexed(&self) -> bool {
        self.metadata.external_id || self.metadata.unique
    }

    /// Tooling query columns, in the order a full record lists them.
    pub fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("Id", json!(self.id)),
            ("TableEnumOrId", json!(self.table)),
            ("DeveloperName", json!(self.developer_name)),
            ("NamespacePrefix", Value::Null),
            ("ManageableState", json!("unmanaged")),
            ("Description", json!(self.metadata.description)),
            ("Length", json!(self.metadata.length)),
            ("CreatedDate", json!(self.created)),
            ("LastModifiedDate", json!(self.modified)),
            ("FullName", json!(self.full_name())),
            ("Metadata", self.metadata.to_json()),
        ]
    }
}

/// The column kinds of the Tooling `CustomField` query table, in `columns()` order.
pub const CUSTOM_FIELD_COLUMNS: [(&str, Kind); 11] = [
    ("Id", Kind::Id),
    ("TableEnumOrId", Kind::String),
    ("DeveloperName", Kind::String),
    ("NamespacePrefix", Kind::String),
    ("ManageableState", Kind::String),
    ("Description", Kind::String),
    ("Length", Kind::Double),
    ("CreatedDate", Kind::DateTime),
    ("LastModifiedDate", Kind::DateTime),
    ("FullName", Kind::Complex),
    ("Metadata", Kind::Complex),
];

/// The total declared long text length on Case, less the field `except`.
pub fn long_text_total<'a>(
    fields: impl Iterator<Item = &'a CustomField>,
    except: Option<&str>,
) -> u64 {
    fields
        .filter(|f| Some(f.id.as_str()) != except)
        .map(|f| f.metadata.long_length())
        .sum()
}

pub fn check_long_text_budget(
    total_without: u64,
    metadata: &FieldMetadata,
) -> Result<(), SetupError> {
    let total = total_without + metadata.long_length();
    if total > LONG_TEXT_BUDGET {
        return Err(SetupError::integrity(format!(
            "Case would hold {total} characters of long text fields; the limit is {LONG_TEXT_BUDGET}"
        ))
        .on("length"));
    }
    Ok(())
}

#[derive(Clone, Debug)]
pub struct PermissionSet {
    pub id: String,
    pub name: String,
    pub label: String,
    pub description: Option<String>,
    pub profile_id: Option<String>,
    pub created: String,
}

impl PermissionSet {
    pub fn owned_by_profile(&self) -> bool {
        self.profile_id.is_some()
    }
}

#[derive(Clone, Debug)]
pub struct FieldPermission {
    pub id: String,
    pub parent_id: String,
    pub sobject_type: &'static str,
    /// Canonical "Case.X__c".
    pub field: String,
    pub read: bool,
    pub edit: bool,
}

#[derive(Clone, Debug)]
pub struct Assignment {
    pub id: String,
    pub permission_set_id: String,
    pub assignee_id: String,
}

/// Whether a permission set name is a valid API name.
pub fn check_permission_set_name(name: &str) -> Result<(), SetupError> {
    if name.is_empty() {
        return Err(SetupError::bad(
            "REQUIRED_FIELD_MISSING",
            "Required fields are missing: [Name]",
        )
        .on("Name"));
    }
    if !valid_api_chars(name) || name.chars().count() > 80 {
        return Err(
            SetupError::integrity(format!("The API Name '{name}' {API_NAME_RULE}")).on("Name"),
        );
    }
    Ok(())
}

/// The seven fields of the move console's Case integration, as the complete org has them.
pub fn standard_seven(external_id_unique: bool) -> Vec<(&'static str, FieldMetadata)> {
    let text = |label: &str| FieldMetadata::text(label, 255);
    vec![
        (
            "ExternalID",
            FieldMetadata {
                external_id: true,
                unique: external_id_unique,
                description: Some("Move console key".into()),
                ..FieldMetadata::text("ExternalID", 255)
            },
        ),
        ("Department", text("Department")),
        ("Team", text("Team")),
        ("CurrentSeat", text("CurrentSeat")),
        ("NewSeat", text("NewSeat")),
        (
            "EmployeeAssets",
            FieldMetadata::long_text("EmployeeAssets", 1024, 2),
        ),
        (
            "EmployeeNotes",
            FieldMetadata::long_text("EmployeeNotes", 1024, 2),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(v: Value) -> Result<FieldMetadata, SetupError> {
        let mut m = FieldMetadata::from_json(&v)?;
        m.validate()?;
        Ok(m)
    }

    #[test]
    fn text_and_long_text_rules() {
        assert!(meta(json!({"label": "A", "type": "Text", "length": 255})).is_ok());
        let e = meta(json!({"label": "A", "type": "Text", "length": 256})).err();
        assert_eq!(e.map(|e| e.code), Some("FIELD_INTEGRITY_EXCEPTION"));
        let e = meta(json!({"label": "A", "type": "Text"})).err();
        assert_eq!(e.map(|e| e.fields), Some(vec!["length".to_string()]));
        assert!(
            meta(json!({"label": "A", "type": "LongTextArea", "length": 1024, "visibleLines": 2}))
                .is_ok()
        );
        let e = meta(json!({"label": "A", "type": "LongTextArea", "length": 1024})).err();
        assert_eq!(e.map(|e| e.fields), Some(vec!["visibleLines".to_string()]));
        let e =
            meta(json!({"label": "A", "type": "LongTextArea", "length": 255, "visibleLines": 2}))
                .err();
        assert_eq!(e.map(|e| e.fields), Some(vec!["length".to_string()]));
        let e = meta(
            json!({"label": "A", "type": "LongTextArea", "length": 1024, "visibleLines": 2, "externalId": true}),
        )
        .err();
        assert_eq!(e.map(|e| e.fields), Some(vec!["externalId".to_string()]));
        let e = meta(json!({"label": "", "type": "Text", "length": 5})).err();
        assert_eq!(e.map(|e| e.fields), Some(vec!["label".to_string()]));
        let e = meta(json!({"label": "A", "type": "Text", "length": "x"})).err();
        assert_eq!(e.map(|e| e.code), Some("JSON_PARSER_ERROR"));
        let e = meta(json!({"label": "A", "type": "Picklist"})).err();
        assert_eq!(e.map(|e| e.code), Some("FIELD_INTEGRITY_EXCEPTION"));
    }

    #[test]
    fn full_names() {
        assert_eq!(
            split_full_name("case.ExternalID__c").ok(),
            Some(("Case", "ExternalID".to_string()))
        );
        for bad in [
            "ExternalID__c",
            "Account.X__c",
            "Case.X",
            "Case.1X__c",
            "Case.A__B__c",
            "Case.A___c",
            "Case.A B__c",
        ] {
            assert!(split_full_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn metadata_round_trips() {
        for (_, m) in standard_seven(true) {
            let mut back = FieldMetadata::from_json(&m.to_json()).unwrap_or_else(|e| panic!("{e}"));
            back.validate().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(back, m);
        }
    }
}
