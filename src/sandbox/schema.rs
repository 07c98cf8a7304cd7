//! The Case schema: the standard subset, the field shape custom fields are turned into, and
//! the describe JSON. Custom fields live as Tooling `CustomField` records in the org
//! (`setup.rs`); what one user sees of Case is a list of `FieldDef`s built per request.

use std::borrow::Cow;
use std::sync::LazyLock;

use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Id,
    String,
    Textarea,
    Picklist,
    Reference,
    Boolean,
    DateTime,
    /// Number custom fields (JSON numbers).
    Double,
    Email,
    /// Structured values (Tooling `Metadata`): selectable, never filterable.
    Complex,
}

#[derive(Clone, Debug)]
pub struct FieldDef {
    pub name: Cow<'static, str>,
    pub label: Cow<'static, str>,
    pub kind: Kind,
    /// Max length in UTF-16 code units (0 for non-text types).
    pub length: usize,
    pub custom: bool,
    pub external_id: bool,
    pub id_lookup: bool,
    pub unique: bool,
    pub case_sensitive: bool,
    pub nillable: bool,
    pub defaulted: bool,
    /// createable and updateable for the calling user (intrinsic writability and FLS edit).
    pub writable: bool,
    pub auto_number: bool,
    /// (value, is default)
    pub picklist: &'static [(&'static str, bool)],
    /// Rich text (`Html`): `richtextarea`, htmlFormatted.
    pub html: bool,
    /// Number fields: total digits and decimal places.
    pub precision: usize,
    pub scale: usize,
    /// Whether field-level security can be set on it.
    pub permissionable: bool,
    /// A required custom field (REQUIRED_FIELD_MISSING when left empty).
    pub required: bool,
    /// Literal default (Checkbox fields).
    pub default_value: Option<bool>,
    /// Where a Case row keeps this field's value.
    pub col: usize,
}

impl FieldDef {
    /// Long text areas cannot be filtered, sorted or grouped in SOQL.
    pub fn filterable(&self) -> bool {
        !(self.kind == Kind::Textarea && (self.length > 255 || self.html))
            && self.kind != Kind::Complex
    }

    pub fn sortable(&self) -> bool {
        self.filterable()
    }

    fn groupable(&self) -> bool {
        self.filterable() && self.kind != Kind::DateTime
    }

    fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Id => "id",
            Kind::String => "string",
            Kind::Textarea => "textarea",
            Kind::Picklist => "picklist",
            Kind::Reference => "reference",
            Kind::Boolean => "boolean",
            Kind::DateTime => "datetime",
            Kind::Double => "double",
            Kind::Email => "email",
            Kind::Complex => "anyType",
        }
    }

    fn soap_type(&self) -> &'static str {
        match self.kind {
            Kind::Id | Kind::Reference => "tns:ID",
            Kind::Boolean => "xsd:boolean",
            Kind::DateTime => "xsd:dateTime",
            Kind::Double => "xsd:double",
            Kind::Complex => "xsd:anyType",
            _ => "xsd:string",
        }
    }

    fn byte_length(&self) -> usize {
        match self.kind {
            Kind::Id | Kind::Reference => 18,
            Kind::String | Kind::Textarea | Kind::Picklist | Kind::Email => self.length * 3,
            Kind::Boolean | Kind::DateTime | Kind::Double | Kind::Complex => 0,
        }
    }

    pub fn describe(&self) -> Value {
        let picklist: Vec<Value> = self
            .picklist
            .iter()
            .map(|(value, default)| {
                json!({"active": true, "defaultValue": default, "label": value,
                       "validFor": null, "value": value})
            })
            .collect();
        let default_value = match self.kind {
            Kind::Boolean => json!(self.default_value.unwrap_or(false)),
            _ => Value::Null,
        };
        let (reference_to, relationship) = match self.kind {
            Kind::Reference => (json!(["Group", "User"]), json!("Owner")),
            _ => (json!([]), Value::Null),
        };
        let length = match self.kind {
            Kind::Id | Kind::Reference => 18,
            _ => self.length,
        };
        json!({
            "name": self.name,
            "label": self.label,
            "type": self.type_name(),
            "length": length,
            "byteLength": self.byte_length(),
            "precision": self.precision,
            "scale": self.scale,
            "digits": 0,
            "custom": self.custom,
            "externalId": self.external_id,
            "idLookup": self.id_lookup,
            "unique": self.unique,
            "caseSensitive": self.case_sensitive,
            "nillable": self.nillable,
            "defaultedOnCreate": self.defaulted,
            "createable": self.writable,
            "updateable": self.writable,
            "filterable": self.filterable(),
            "sortable": self.sortable(),
            "groupable": self.groupable(),
            "aggregatable": self.groupable(),
            "extraTypeInfo": match (self.kind, self.html) {
                (Kind::Textarea, true) => json!("richtextarea"),
                (Kind::Textarea, false) => json!("plaintextarea"),
                _ => Value::Null,
            },
            "htmlFormatted": self.html,
            "calculated": false,
            "calculatedFormula": null,
            "autoNumber": self.auto_number,
            "defaultValue": default_value,
            "defaultValueFormula": null,
            "picklistValues": picklist,
            "restrictedPicklist": false,
            "dependentPicklist": false,
            "soapType": self.soap_type(),
            "permissionable": self.permissionable,
            "referenceTo": reference_to,
            "relationshipName": relationship,
            "nameField": false,
            "encrypted": false,
            "inlineHelpText": null,
        })
    }
}

/// A blank definition: a nillable, writable Text field with no flags.
pub fn blank(
    name: Cow<'static, str>,
    label: Cow<'static, str>,
    kind: Kind,
    length: usize,
) -> FieldDef {
    FieldDef {
        name,
        label,
        kind,
        length,
        custom: false,
        external_id: false,
        id_lookup: false,
        unique: false,
        case_sensitive: false,
        nillable: true,
        defaulted: false,
        writable: true,
        auto_number: false,
        picklist: &[],
        html: false,
        precision: 0,
        scale: 0,
        permissionable: false,
        required: false,
        default_value: None,
        col: 0,
    }
}

fn text(name: &'static str, label: &'static str, length: usize) -> FieldDef {
    FieldDef {
        permissionable: true,
        ..blank(
            Cow::Borrowed(name),
            Cow::Borrowed(label),
            Kind::String,
            length,
        )
    }
}

fn system(name: &'static str, label: &'static str, kind: Kind) -> FieldDef {
    FieldDef {
        kind,
        nillable: false,
        defaulted: true,
        writable: false,
        permissionable: false,
        ..text(name, label, 0)
    }
}

fn picklist(
    name: &'static str,
    label: &'static str,
    values: &'static [(&'static str, bool)],
    defaulted: bool,
) -> FieldDef {
    FieldDef {
        kind: Kind::Picklist,
        defaulted,
        picklist: values,
        // Status and Priority are defaulted on create and so not permissionable.
        permissionable: !defaulted,
        ..text(name, label, 255)
    }
}

pub const ID: usize = 0;
pub const CASE_NUMBER: usize = 1;
pub const STATUS: usize = 4;
pub const PRIORITY: usize = 5;
pub const OWNER_ID: usize = 7;
pub const IS_DELETED: usize = 8;
pub const CREATED_DATE: usize = 9;
pub const LAST_MODIFIED_DATE: usize = 10;
/// Custom fields get row columns from here on.
pub const FIRST_CUSTOM_COL: usize = 11;

/// Field order is also the order of a record's JSON; `col` is each field's position.
pub static STANDARD: LazyLock<[FieldDef; FIRST_CUSTOM_COL]> = LazyLock::new(|| {
    [
        FieldDef {
            id_lookup: true,
            col: ID,
            ..system("Id", "Case ID", Kind::Id)
        },
        FieldDef {
            id_lookup: true,
            auto_number: true,
            length: 30,
            col: CASE_NUMBER,
            ..system("CaseNumber", "Case Number", Kind::String)
        },
        FieldDef {
            col: 2,
            ..text("Subject", "Subject", 255)
        },
        FieldDef {
            kind: Kind::Textarea,
            col: 3,
            ..text("Description", "Description", 32000)
        },
        FieldDef {
            col: STATUS,
            ..picklist(
                "Status",
                "Status",
                &[
                    ("New", true),
                    ("Working", false),
                    ("Escalated", false),
                    ("Closed", false),
                ],
                true,
            )
        },
        FieldDef {
            col: PRIORITY,
            ..picklist(
                "Priority",
                "Priority",
                &[("High", false), ("Medium", true), ("Low", false)],
                true,
            )
        },
        FieldDef {
            col: 6,
            ..picklist(
                "Origin",
                "Case Origin",
                &[("Phone", false), ("Email", false), ("Web", false)],
                false,
            )
        },
        FieldDef {
            writable: true,
            col: OWNER_ID,
            ..system("OwnerId", "Owner ID", Kind::Reference)
        },
        FieldDef {
            col: IS_DELETED,
            ..system("IsDeleted", "Deleted", Kind::Boolean)
        },
        FieldDef {
            col: CREATED_DATE,
            ..system("CreatedDate", "Created Date", Kind::DateTime)
        },
        FieldDef {
            col: LAST_MODIFIED_DATE,
            ..system("LastModifiedDate", "Last Modified Date", Kind::DateTime)
        },
    ]
});

/// A field by name (case-insensitive, as in the API) among those a user sees.
pub fn find<'a>(fields: &'a [FieldDef], name: &str) -> Option<&'a FieldDef> {
    fields.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

pub fn is_case(object: &str) -> bool {
    object.eq_ignore_ascii_case("Case")
}

/// What the calling user may do with Case records as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectAccess {
    pub createable: bool,
    pub updateable: bool,
    pub deletable: bool,
}

/// The other sObjects this org serves (setup objects): name, label, plural, key prefix,
/// whether the integration user can create, update, delete them.
pub const SETUP_OBJECTS: [(&str, &str, &str, &str); 5] = [
    ("PermissionSet", "Permission Set", "Permission Sets", "0PS"),
    (
        "FieldPermissions",
        "Field Permissions",
        "Field Permissions",
        "01k",
    ),
    (
        "PermissionSetAssignment",
        "Permission Set Assignment",
        "Permission Set Assignments",
        "0Pa",
    ),
    ("Profile", "Profile", "Profiles", "00e"),
    ("User", "User", "Users", "005"),
];

fn urls(version: &str, object: &str) -> Value {
    let base = format!("/services/data/{version}/sobjects/{object}");
    json!({
        "sobject": base,
        "describe": format!("{base}/describe"),
        "rowTemplate": format!("{base}/{{ID}}"),
    })
}

fn object_map(
    version: &str,
    (name, label, plural, prefix): (&str, &str, &str, &str),
    access: ObjectAccess,
) -> serde_json::Map<String, Value> {
    let info = json!({
        "name": name,
        "label": label,
        "labelPlural": plural,
        "keyPrefix": prefix,
        "custom": false,
        "createable": access.createable,
        "updateable": access.updateable,
        "deletable": access.deletable,
        "undeletable": name == "Case",
        "queryable": true,
        "retrieveable": true,
        "searchable": name == "Case",
        "layoutable": name == "Case",
        "mergeable": false,
        "replicateable": true,
        "triggerable": name == "Case",
        "urls": urls(version, name),
    });
    match info {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

/// The object-level keys shared by describe global, basic info and full describe.
fn object_info(version: &str, access: ObjectAccess) -> serde_json::Map<String, Value> {
    object_map(version, ("Case", "Case", "Cases", "500"), access)
}

/// Full describe of Case as one user sees it: `fields` are the ones that user can read.
pub fn describe(version: &str, fields: &[FieldDef], access: ObjectAccess) -> Value {
    let mut map = object_info(version, access);
    map.insert(
        "fields".into(),
        Value::Array(fields.iter().map(FieldDef::describe).collect()),
    );
    map.insert("recordTypeInfos".into(), json!([]));
    map.insert("childRelationships".into(), json!([]));
    Value::Object(map)
}

pub fn basic_info(version: &str, access: ObjectAccess) -> Value {
    json!({"objectDescribe": Value::Object(object_info(version, access)), "recentItems": []})
}

/// Basic info of a setup object (None when the name is not one).
pub fn setup_basic_info(version: &str, object: &str, can_customize: bool) -> Option<Value> {
    let entry = SETUP_OBJECTS
        .iter()
        .find(|(name, ..)| name.eq_ignore_ascii_case(object))?;
    let access = setup_access(entry.0, can_customize);
    Some(
        json!({"objectDescribe": Value::Object(object_map(version, *entry, access)),
                "recentItems": []}),
    )
}

fn setup_access(object: &str, can_customize: bool) -> ObjectAccess {
    let writable = can_customize && !matches!(object, "Profile" | "User");
    ObjectAccess {
        createable: writable,
        updateable: writable && object != "PermissionSetAssignment",
        deletable: writable,
    }
}

pub fn describe_global(version: &str, access: ObjectAccess, can_customize: bool) -> Value {
    let mut sobjects = vec![Value::Object(object_info(version, access))];
    for entry in SETUP_OBJECTS {
        let access = setup_access(entry.0, can_customize);
        sobjects.push(Value::Object(object_map(version, entry, access)));
    }
    json!({
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": sobjects,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_match_names() {
        for (i, f) in STANDARD.iter().enumerate() {
            assert_eq!(f.col, i, "{}", f.name);
        }
        assert_eq!(STANDARD[ID].name, "Id");
        assert_eq!(STANDARD[CASE_NUMBER].name, "CaseNumber");
        assert_eq!(STANDARD[STATUS].name, "Status");
        assert_eq!(STANDARD[PRIORITY].name, "Priority");
        assert_eq!(STANDARD[OWNER_ID].name, "OwnerId");
        assert_eq!(STANDARD[IS_DELETED].name, "IsDeleted");
        assert_eq!(STANDARD[CREATED_DATE].name, "CreatedDate");
        assert_eq!(STANDARD[LAST_MODIFIED_DATE].name, "LastModifiedDate");
        assert_eq!(find(&*STANDARD, "casenumBER").map(|f| f.col), Some(1));
        assert!(find(&*STANDARD, "Nope").is_none());
    }
}
