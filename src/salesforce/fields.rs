//! Checking the seven custom Case fields against what the org reports. Pure: takes the
//! describe's field list (what this user sees) and, when the user may read it, what the
//! Tooling API knows of each field (what exists), and returns one verdict per field.

use super::types::DescribeField;
use crate::spec::{CUSTOM_FIELDS, CustomFieldSpec, FieldKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldStatus {
    Ok,
    /// Not in the org (or not visible, when the Tooling API could not tell).
    Missing,
    /// In the org, but this user cannot see it: field-level security.
    Hidden,
    WrongType,
    WrongLength,
    NotExternalId,
    /// Visible but not createable/updateable by this user.
    ReadOnly,
}

impl FieldStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldStatus::Ok => "ok",
            FieldStatus::Missing => "missing",
            FieldStatus::Hidden => "hidden",
            FieldStatus::WrongType => "wrong_type",
            FieldStatus::WrongLength => "wrong_length",
            FieldStatus::NotExternalId => "not_external_id",
            FieldStatus::ReadOnly => "read_only",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldCheck {
    pub spec: CustomFieldSpec,
    pub status: FieldStatus,
    /// One sentence: what is wrong and where to fix it (empty when ok).
    pub detail: String,
    /// What describe showed, in Setup's words (`Text(255), External ID`).
    pub found: Option<String>,
    /// Non-blocking remarks (e.g. External ID not Unique).
    pub warnings: Vec<String>,
}

impl FieldCheck {
    pub fn expected(&self) -> String {
        setup_words(self.spec.kind, self.spec.length, self.spec.external_id)
    }
}

fn setup_words(kind: FieldKind, length: usize, external_id: bool) -> String {
    let mut words = format!("{}({length})", kind.setup_name());
    if external_id {
        words.push_str(", External ID");
    }
    words
}

const FIELDS_PAGE: &str = "Setup > Object Manager > Case > Fields & Relationships";

fn kind_of(field: &DescribeField) -> Option<FieldKind> {
    match (field.field_type.as_str(), field.extra_type_info.as_deref()) {
        ("string", _) => Some(FieldKind::Text),
        ("textarea", Some("plaintextarea")) | ("textarea", None)
            if field.length > 255 && !field.html_formatted =>
        {
            Some(FieldKind::LongTextArea)
        }
        _ => None,
    }
}

fn describe_words(field: &DescribeField) -> String {
    let kind = match kind_of(field) {
        Some(kind) => kind.setup_name().to_owned(),
        None if field.field_type == "textarea" && field.html_formatted => {
            "Rich Text Area".to_owned()
        }
        None if field.field_type == "textarea" => "Text Area".to_owned(),
        None => field.field_type.clone(),
    };
    let mut words = format!("{kind}({})", field.length);
    if field.external_id {
        words.push_str(", External ID");
    }
    if !(field.createable && field.updateable) {
        words.push_str(", read-only for this user");
    }
    words
}

/// A custom field as the Tooling API describes it: it exists, whatever this user may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolingField {
    pub id: String,
    /// Metadata type: `Text`, `LongTextArea`, `TextArea`, `Html`, …
    pub type_name: String,
    pub length: usize,
    pub external_id: bool,
    pub unique: bool,
    pub visible_lines: Option<u32>,
}

impl ToolingField {
    fn kind(&self) -> Option<FieldKind> {
        match self.type_name.as_str() {
            "Text" => Some(FieldKind::Text),
            "LongTextArea" => Some(FieldKind::LongTextArea),
            _ => None,
        }
    }

    fn words(&self) -> String {
        let kind = match self.kind() {
            Some(kind) => kind.setup_name().to_owned(),
            None => self.type_name.clone(),
        };
        let mut words = format!("{kind}({})", self.length);
        if self.external_id {
            words.push_str(", External ID");
        }
        words
    }
}

/// What the Tooling API says about one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existence<'a> {
    Exists(&'a ToolingField),
    Absent,
    /// The user may not read setup (no View Setup / Customize Application).
    Unknown,
}

/// A verdict from describe alone: a field it does not show is reported missing.
pub fn check_field(spec: &CustomFieldSpec, described: &[DescribeField]) -> FieldCheck {
    check_field_with(spec, described, Existence::Unknown)
}

pub fn check_field_with(
    spec: &CustomFieldSpec,
    described: &[DescribeField],
    existence: Existence<'_>,
) -> FieldCheck {
    let found = described
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(spec.api_name));
    let tooling = match existence {
        Existence::Exists(field) => Some(field),
        _ => None,
    };
    let mut check = FieldCheck {
        spec: *spec,
        status: FieldStatus::Ok,
        detail: String::new(),
        found: found
            .map(describe_words)
            .or_else(|| tooling.map(ToolingField::words)),
        warnings: Vec::new(),
    };
    let Some(field) = found else {
        match existence {
            Existence::Exists(_) => {
                check.status = FieldStatus::Hidden;
                check.detail = format!(
                    "{} exists but the integration user cannot see it: grant Read and Edit in {FIELDS_PAGE} > {} > Set Field-Level Security (or a permission set), or run `moveforce fields fix`",
                    spec.api_name, spec.label
                );
            }
            Existence::Absent => {
                check.status = FieldStatus::Missing;
                check.detail = format!(
                    "{} is not in the org: create it in {FIELDS_PAGE} > New as {} (API name {}), or run `moveforce fields fix`",
                    spec.api_name,
                    check.expected(),
                    spec.api_name.trim_end_matches("__c")
                );
            }
            Existence::Unknown => {
                check.status = FieldStatus::Missing;
                check.detail = format!(
                    "{} is not visible to this user, and without View Setup moveforce cannot tell whether it is absent or hidden: create it in {FIELDS_PAGE} as {}, or grant the integration user Read and Edit in its field-level security",
                    spec.api_name,
                    check.expected()
                );
            }
        }
        return check;
    };
    if kind_of(field) != Some(spec.kind) {
        check.status = FieldStatus::WrongType;
        check.detail = format!(
            "{} is {} but must be {}; Salesforce cannot convert it safely: delete and recreate it in {FIELDS_PAGE}",
            spec.api_name,
            check.found.as_deref().unwrap_or("?"),
            check.expected()
        );
    } else if field.length < spec.length {
        check.status = FieldStatus::WrongLength;
        check.detail = format!(
            "{} holds {} characters but moveforce writes up to {}; edit the field in {FIELDS_PAGE} and set Length to {}",
            spec.api_name, field.length, spec.length, spec.length
        );
    } else if spec.external_id && !field.external_id {
        check.status = FieldStatus::NotExternalId;
        check.detail = format!(
            "{} is not marked External ID, so Cases cannot be upserted by it; edit the field in {FIELDS_PAGE} and tick External ID (and Unique)",
            spec.api_name
        );
    } else if !(field.createable && field.updateable) {
        check.status = FieldStatus::ReadOnly;
        check.detail = format!(
            "{} is read-only for this user; in {FIELDS_PAGE} > {} > Set Field-Level Security, give the integration user's profile Edit access",
            spec.api_name, spec.label
        );
    }
    if spec.external_id && field.external_id && !field.unique {
        check.warnings.push(format!(
            "{} is not Unique: two Cases could share an id and an upsert would then fail with several matches; tick Unique in {FIELDS_PAGE}",
            spec.api_name
        ));
    }
    if let (Some(want), Some(tooling)) = (spec.visible_lines, tooling)
        && tooling.visible_lines.is_some_and(|lines| lines != want)
    {
        check.warnings.push(format!(
            "{} shows {} visible lines; the setup guide says {want} (only the page layout is affected)",
            spec.api_name,
            tooling.visible_lines.unwrap_or_default()
        ));
    }
    if field.length > spec.length && check.status == FieldStatus::Ok {
        check.warnings.push(format!(
            "{} is longer ({}) than moveforce needs ({}); that is fine",
            spec.api_name, field.length, spec.length
        ));
    }
    check
}

/// One verdict per custom field, in the spec's order.
pub fn check_fields(described: &[DescribeField]) -> Vec<FieldCheck> {
    CUSTOM_FIELDS
        .iter()
        .map(|spec| check_field(spec, described))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(name: &str, length: usize, external_id: bool) -> DescribeField {
        DescribeField {
            name: name.to_owned(),
            label: name.to_owned(),
            field_type: "string".to_owned(),
            length,
            external_id,
            unique: external_id,
            createable: true,
            updateable: true,
            extra_type_info: None,
            html_formatted: false,
        }
    }

    fn long_text(name: &str, length: usize) -> DescribeField {
        DescribeField {
            field_type: "textarea".to_owned(),
            extra_type_info: Some("plaintextarea".to_owned()),
            ..text(name, length, false)
        }
    }

    fn good_org() -> Vec<DescribeField> {
        vec![
            text("ExternalID__c", 255, true),
            text("Department__c", 255, false),
            text("Team__c", 255, false),
            text("CurrentSeat__c", 255, false),
            text("NewSeat__c", 255, false),
            long_text("EmployeeAssets__c", 1024),
            long_text("EmployeeNotes__c", 1024),
        ]
    }

    #[test]
    fn a_correct_org_is_all_ok() {
        let checks = check_fields(&good_org());
        assert!(
            checks.iter().all(|c| c.status == FieldStatus::Ok),
            "{checks:#?}"
        );
    }

    #[test]
    fn each_problem_is_named() {
        let mut org = good_org();
        org.retain(|f| f.name != "Team__c");
        org[0].external_id = false;
        org[2].length = 80; // CurrentSeat__c
        org[3] = long_text("NewSeat__c", 1024); // wrong type
        org[5].updateable = false; // EmployeeNotes__c
        let statuses: Vec<(&str, FieldStatus)> = check_fields(&org)
            .iter()
            .map(|c| (c.spec.api_name, c.status))
            .collect();
        assert_eq!(
            statuses,
            vec![
                ("ExternalID__c", FieldStatus::NotExternalId),
                ("Department__c", FieldStatus::Ok),
                ("Team__c", FieldStatus::Missing),
                ("CurrentSeat__c", FieldStatus::WrongLength),
                ("NewSeat__c", FieldStatus::WrongType),
                ("EmployeeAssets__c", FieldStatus::Ok),
                ("EmployeeNotes__c", FieldStatus::ReadOnly),
            ]
        );
    }

    #[test]
    fn external_id_without_unique_is_a_warning_only() {
        let mut org = good_org();
        org[0].unique = false;
        let check = &check_fields(&org)[0];
        assert_eq!(check.status, FieldStatus::Ok);
        assert_eq!(check.warnings.len(), 1);
    }
}
