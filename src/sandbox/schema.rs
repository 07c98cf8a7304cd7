//! The Case schema: standard subset plus the seven custom fields, and its describe JSON.

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
}

pub struct FieldDef {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    /// Max length in UTF-16 code units (0 for non-text types).
    pub length: usize,
    pub custom: bool,
    pub external_id: bool,
    pub id_lookup: bool,
    pub unique: bool,
    pub nillable: bool,
    pub defaulted: bool,
    /// createable and updateable (this sandbox has no FLS, so both or neither).
    pub writable: bool,
    pub auto_number: bool,
    /// (value, is default)
    pub picklist: &'static [(&'static str, bool)],
}

impl FieldDef {
    /// Long text areas cannot be filtered, sorted or grouped in SOQL.
    pub fn filterable(&self) -> bool {
        !(self.kind == Kind::Textarea && self.length > 255)
    }

    pub fn sortable(&self) -> bool {
        self.filterable()
    }

    fn groupable(&self) -> bool {
        self.filterable() && self.kind != Kind::DateTime
    }

    /// Text-like fields hold JSON strings; the rest hold booleans or datetimes.
    pub fn is_text(&self) -> bool {
        matches!(
            self.kind,
            Kind::Id | Kind::String | Kind::Textarea | Kind::Picklist | Kind::Reference
        )
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
        }
    }

    fn soap_type(&self) -> &'static str {
        match self.kind {
            Kind::Id | Kind::Reference => "tns:ID",
            Kind::Boolean => "xsd:boolean",
            Kind::DateTime => "xsd:dateTime",
            _ => "xsd:string",
        }
    }

    fn byte_length(&self) -> usize {
        match self.kind {
            Kind::Id | Kind::Reference => 18,
            Kind::String | Kind::Textarea | Kind::Picklist => self.length * 3,
            Kind::Boolean | Kind::DateTime => 0,
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
            Kind::Boolean => json!(false),
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
            "precision": 0,
            "scale": 0,
            "digits": 0,
            "custom": self.custom,
            "externalId": self.external_id,
            "idLookup": self.id_lookup,
            "unique": self.unique,
            "caseSensitive": false,
            "nillable": self.nillable,
            "defaultedOnCreate": self.defaulted,
            "createable": self.writable,
            "updateable": self.writable,
            "filterable": self.filterable(),
            "sortable": self.sortable(),
            "groupable": self.groupable(),
            "aggregatable": self.groupable(),
            "extraTypeInfo": if self.kind == Kind::Textarea { json!("plaintextarea") } else { Value::Null },
            "htmlFormatted": false,
            "calculated": false,
            "calculatedFormula": null,
            "autoNumber": self.auto_number,
            "defaultValue": default_value,
            "defaultValueFormula": null,
            "picklistValues": picklist,
            "restrictedPicklist": false,
            "dependentPicklist": false,
            "soapType": self.soap_type(),
            "permissionable": self.writable && self.nillable && !self.defaulted,
            "referenceTo": reference_to,
            "relationshipName": relationship,
            "nameField": false,
            "encrypted": false,
            "inlineHelpText": null,
        })
    }
}

const fn text(name: &'static str, label: &'static str, length: usize) -> FieldDef {
    FieldDef {
        name,
        label,
        kind: Kind::String,
        length,
        custom: false,
        external_id: false,
        id_lookup: false,
        unique: false,
        nillable: true,
        defaulted: false,
        writable: true,
        auto_number: false,
        picklist: &[],
    }
}

const fn custom(name: &'static str, label: &'static str, kind: Kind, length: usize) -> FieldDef {
    FieldDef {
        custom: true,
        kind,
        ..text(name, label, length)
    }
}

const fn system(name: &'static str, label: &'static str, kind: Kind) -> FieldDef {
    FieldDef {
        kind,
        nillable: false,
        defaulted: true,
        writable: false,
        ..text(name, label, 0)
    }
}

const fn picklist(
    name: &'static str,
    label: &'static str,
    values: &'static [(&'static str, bool)],
    defaulted: bool,
) -> FieldDef {
    FieldDef {
        kind: Kind::Picklist,
        defaulted,
        picklist: values,
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
pub const EXTERNAL_ID: usize = 11;

/// Field order is also the order of a record's JSON.
pub static FIELDS: [FieldDef; 18] = [
    FieldDef {
        id_lookup: true,
        ..system("Id", "Case ID", Kind::Id)
    },
    FieldDef {
        id_lookup: true,
        auto_number: true,
        length: 30,
        ..system("CaseNumber", "Case Number", Kind::String)
    },
    text("Subject", "Subject", 255),
    FieldDef {
        kind: Kind::Textarea,
        ..text("Description", "Description", 32000)
    },
    picklist(
        "Status",
        "Status",
        &[
            ("New", true),
            ("Working", false),
            ("Escalated", false),
            ("Closed", false),
        ],
        true,
    ),
    picklist(
        "Priority",
        "Priority",
        &[("High", false), ("Medium", true), ("Low", false)],
        true,
    ),
    picklist(
        "Origin",
        "Case Origin",
        &[("Phone", false), ("Email", false), ("Web", false)],
        false,
    ),
    FieldDef {
        writable: true,
        ..system("OwnerId", "Owner ID", Kind::Reference)
    },
    system("IsDeleted", "Deleted", Kind::Boolean),
    system("CreatedDate", "Created Date", Kind::DateTime),
    system("LastModifiedDate", "Last Modified Date", Kind::DateTime),
    FieldDef {
        external_id: true,
        id_lookup: true,
        unique: true,
        ..custom("ExternalID__c", "ExternalID", Kind::String, 255)
    },
    custom("Department__c", "Department", Kind::String, 255),
    custom("Team__c", "Team", Kind::String, 255),
    custom("CurrentSeat__c", "CurrentSeat", Kind::String, 255),
    custom("NewSeat__c", "NewSeat", Kind::String, 255),
    custom("EmployeeAssets__c", "EmployeeAssets", Kind::Textarea, 1024),
    custom("EmployeeNotes__c", "EmployeeNotes", Kind::Textarea, 1024),
];

/// Field names are case-insensitive in the API.
pub fn field_index(name: &str) -> Option<usize> {
    FIELDS
        .iter()
        .position(|f| f.name.eq_ignore_ascii_case(name))
}

pub fn is_case(object: &str) -> bool {
    object.eq_ignore_ascii_case("Case")
}

fn urls(version: &str) -> Value {
    let base = format!("/services/data/{version}/sobjects/Case");
    json!({
        "sobject": base,
        "describe": format!("{base}/describe"),
        "rowTemplate": format!("{base}/{{ID}}"),
    })
}

/// The object-level keys shared by describe global, basic info and full describe.
fn object_info(version: &str) -> serde_json::Map<String, Value> {
    let info = json!({
        "name": "Case",
        "label": "Case",
        "labelPlural": "Cases",
        "keyPrefix": "500",
        "custom": false,
        "createable": true,
        "updateable": true,
        "deletable": true,
        "undeletable": true,
        "queryable": true,
        "retrieveable": true,
        "searchable": true,
        "layoutable": true,
        "mergeable": false,
        "replicateable": true,
        "triggerable": true,
        "urls": urls(version),
    });
    match info {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

pub fn describe(version: &str) -> Value {
    let mut map = object_info(version);
    map.insert(
        "fields".into(),
        Value::Array(FIELDS.iter().map(FieldDef::describe).collect()),
    );
    map.insert("recordTypeInfos".into(), json!([]));
    map.insert("childRelationships".into(), json!([]));
    Value::Object(map)
}

pub fn basic_info(version: &str) -> Value {
    json!({"objectDescribe": Value::Object(object_info(version)), "recentItems": []})
}

pub fn describe_global(version: &str) -> Value {
    json!({
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [Value::Object(object_info(version))],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_match_names() {
        assert_eq!(FIELDS[ID].name, "Id");
        assert_eq!(FIELDS[CASE_NUMBER].name, "CaseNumber");
        assert_eq!(FIELDS[STATUS].name, "Status");
        assert_eq!(FIELDS[PRIORITY].name, "Priority");
        assert_eq!(FIELDS[OWNER_ID].name, "OwnerId");
        assert_eq!(FIELDS[IS_DELETED].name, "IsDeleted");
        assert_eq!(FIELDS[CREATED_DATE].name, "CreatedDate");
        assert_eq!(FIELDS[LAST_MODIFIED_DATE].name, "LastModifiedDate");
        assert_eq!(FIELDS[EXTERNAL_ID].name, "ExternalID__c");
        assert_eq!(field_index("externalid__C"), Some(EXTERNAL_ID));
        assert_eq!(field_index("Nope"), None);
    }
}
