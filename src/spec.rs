//! The Case fields moveforce writes, with the limits Salesforce enforces on them.
//!
//! One table shared by the plan mapping (length rules), the Salesforce checks and the
//! console's Fields tab, so a limit is written down once.

/// How a custom field is defined in Salesforce Setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Text(length); shows as `string` in describe.
    Text,
    /// Text Area (Long)(length); shows as `textarea` + `plaintextarea` in describe.
    LongTextArea,
}

impl FieldKind {
    /// The `type` value REST describe reports for this kind.
    pub fn describe_type(self) -> &'static str {
        match self {
            FieldKind::Text => "string",
            FieldKind::LongTextArea => "textarea",
        }
    }

    /// The name Salesforce Setup shows for this kind.
    pub fn setup_name(self) -> &'static str {
        match self {
            FieldKind::Text => "Text",
            FieldKind::LongTextArea => "Text Area (Long)",
        }
    }
}

/// One of the seven custom Case fields the integration needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomFieldSpec {
    pub api_name: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    /// Maximum length in UTF-16 code units, as Salesforce counts.
    pub length: usize,
    pub external_id: bool,
    /// Visible lines for long text areas (not visible in REST describe).
    pub visible_lines: Option<u32>,
}

pub const EXTERNAL_ID: &str = "ExternalID__c";

pub const CUSTOM_FIELDS: [CustomFieldSpec; 7] = [
    CustomFieldSpec {
        api_name: EXTERNAL_ID,
        label: "ExternalID",
        kind: FieldKind::Text,
        length: 255,
        external_id: true,
        visible_lines: None,
    },
    text_field("Department__c", "Department"),
    text_field("Team__c", "Team"),
    text_field("CurrentSeat__c", "CurrentSeat"),
    text_field("NewSeat__c", "NewSeat"),
    long_text_field("EmployeeAssets__c", "EmployeeAssets"),
    long_text_field("EmployeeNotes__c", "EmployeeNotes"),
];

const fn text_field(api_name: &'static str, label: &'static str) -> CustomFieldSpec {
    CustomFieldSpec {
        api_name,
        label,
        kind: FieldKind::Text,
        length: 255,
        external_id: false,
        visible_lines: None,
    }
}

const fn long_text_field(api_name: &'static str, label: &'static str) -> CustomFieldSpec {
    CustomFieldSpec {
        api_name,
        label,
        kind: FieldKind::LongTextArea,
        length: 1024,
        external_id: false,
        visible_lines: Some(2),
    }
}

/// Standard Case fields moveforce writes, and their limits.
pub const SUBJECT_LIMIT: usize = 255;
pub const DESCRIPTION_LIMIT: usize = 32_000;

/// The limit of a field moveforce writes, by API name.
pub fn limit_of(api_name: &str) -> Option<usize> {
    match api_name {
        "Subject" => Some(SUBJECT_LIMIT),
        "Description" => Some(DESCRIPTION_LIMIT),
        _ => CUSTOM_FIELDS
            .iter()
            .find(|f| f.api_name == api_name)
            .map(|f| f.length),
    }
}
