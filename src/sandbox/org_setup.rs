//! Setup operations on the org: Tooling `CustomField` create/update/delete, permission sets,
//! field permissions and assignments, and the tables SOQL reads for those objects.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::ids;
use super::schema::Kind;
use super::setup::{
    self, Assignment, CustomField, FieldMetadata, FieldPermission, PermissionSet, Principal,
    SetupError,
};
use super::store::{Org, cell, now_string};

/// A table for the SOQL engine: column names and kinds, then rows in that column order.
pub struct SetupTable {
    pub object: &'static str,
    pub columns: Vec<(&'static str, Kind)>,
    pub rows: Vec<Vec<Value>>,
}

/// The objects SOQL reaches through `/query` besides Case.
pub const SETUP_QUERY_OBJECTS: [&str; 5] = [
    "PermissionSet",
    "FieldPermissions",
    "PermissionSetAssignment",
    "User",
    "Profile",
];

const PROFILE_NAME: &str = "Minimum Access - API Only Integrations";

fn same_id(a: &str, b: &str) -> bool {
    ids::key(a).is_some_and(|k| Some(k) == ids::key(b))
}

/// A writable key of a setup object body, found case-insensitively.
struct Body {
    object: &'static str,
    map: Map<String, Value>,
}

impl Body {
    /// Refuses unknown keys (INVALID_FIELD) and keys that cannot be written here
    /// (INVALID_FIELD_FOR_INSERT_UPDATE).
    fn new(
        object: &'static str,
        map: Map<String, Value>,
        known: &[&str],
        writable: &[&str],
    ) -> Result<Self, SetupError> {
        let mut read_only = Vec::new();
        for key in map.keys().filter(|k| k.as_str() != "attributes") {
            let Some(name) = known.iter().find(|k| k.eq_ignore_ascii_case(key)) else {
                return Err(SetupError::bad(
                    "INVALID_FIELD",
                    format!("No such column '{key}' on sobject of type {object}"),
                ));
            };
            if !writable.contains(name) {
                read_only.push(name.to_string());
            }
        }
        if !read_only.is_empty() {
            let mut e = SetupError::bad(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                format!(
                    "Unable to create/update fields: {}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
                    read_only.join(", ")
                ),
            );
            e.fields = read_only;
            return Err(e);
        }
        Ok(Self { object, map })
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }

    fn string(&self, key: &str) -> Result<Option<String>, SetupError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(SetupError::bad(
                "JSON_PARSER_ERROR",
                format!(
                    "Cannot deserialize instance of string from {other} value for {}.{key}",
                    self.object
                ),
            )),
        }
    }

    fn required(&self, key: &str) -> Result<String, SetupError> {
        self.string(key)?.ok_or_else(|| {
            SetupError::bad(
                "REQUIRED_FIELD_MISSING",
                format!("Required fields are missing: [{key}]"),
            )
            .on(key)
        })
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>, SetupError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(other) => Err(SetupError::bad(
                "JSON_PARSER_ERROR",
                format!(
                    "Cannot deserialize instance of boolean from {other} value for {}.{key}",
                    self.object
                ),
            )),
        }
    }
}

fn duplicate(name: &str, id: &str) -> SetupError {
    SetupError::bad(
        "DUPLICATE_VALUE",
        format!("duplicate value found: {name} duplicates value on record with id: {id}"),
    )
}

impl Org {
    /// The integration user's profile owns a permission set, implicitly assigned.
    pub(super) fn add_profile_permission_set(&mut self) {
        let id = self.new_id("0PS");
        let profile_id = self.profile_id.clone();
        self.permission_sets.push(PermissionSet {
            id: id.clone(),
            name: format!("X{profile_id}"),
            label: profile_id.clone(),
            description: None,
            profile_id: Some(profile_id),
            created: now_string(),
        });
        let assignment = self.new_id("0Pa");
        self.assignments.push(Assignment {
            id: assignment,
            permission_set_id: id,
            assignee_id: self.user_id.clone(),
        });
    }

    /// The permission set owned by the integration user's profile.
    pub fn profile_permission_set_id(&self) -> String {
        self.permission_sets
            .iter()
            .find(|p| p.owned_by_profile())
            .map(|p| p.id.clone())
            .unwrap_or_default()
    }

    /// The seven fields, read and edit granted through the profile's permission set.
    pub fn apply_complete_setup(&mut self, external_id_unique: bool) {
        let profile_set = self.profile_permission_set_id();
        for (name, metadata) in setup::standard_seven(external_id_unique) {
            let full_name = format!("Case.{name}__c");
            if self
                .create_field(Principal::Admin, &full_name, metadata)
                .is_ok()
            {
                let id = self.new_id("01k");
                self.field_permissions.push(FieldPermission {
                    id,
                    parent_id: profile_set.clone(),
                    sobject_type: "Case",
                    field: full_name,
                    read: true,
                    edit: true,
                });
            }
        }
    }

    /// The permission sets assigned to the integration user (the profile's one included).
    fn user_sets(&self) -> HashSet<String> {
        self.assignments
            .iter()
            .filter(|a| same_id(&a.assignee_id, &self.user_id))
            .filter_map(|a| ids::key(&a.permission_set_id))
            .collect()
    }

    /// Lower-cased "case.x__c" → (read, edit), the union over the user's permission sets.
    pub(super) fn field_access(&self, who: Principal) -> HashMap<String, (bool, bool)> {
        let mut out: HashMap<String, (bool, bool)> = HashMap::new();
        if who == Principal::Admin {
            return out;
        }
        let sets = self.user_sets();
        for fp in &self.field_permissions {
            if ids::key(&fp.parent_id).is_some_and(|k| sets.contains(&k)) {
                let entry = out.entry(fp.field.to_ascii_lowercase()).or_default();
                entry.0 |= fp.read;
                entry.1 |= fp.edit;
            }
        }
        out
    }

    fn may_customize(&self, who: Principal) -> Result<(), SetupError> {
        if who == Principal::Admin || self.user_can_customize {
            Ok(())
        } else {
            Err(setup::insufficient_access())
        }
    }

    /// Whether `who` may read setup through the Tooling API ("View Setup").
    pub fn may_view_setup(&self, who: Principal) -> bool {
        who == Principal::Admin || self.user_can_customize
    }

    // ------------------------------------------------------------ custom fields

    pub fn custom_field(&self, id: &str) -> Option<&CustomField> {
        self.fields.iter().find(|f| same_id(&f.id, id))
    }

    /// A custom field by API name ("X__c", case-insensitive).
    pub fn custom_field_named(&self, api_name: &str) -> Option<&CustomField> {
        self.fields
            .iter()
            .find(|f| f.api_name().eq_ignore_ascii_case(api_name))
    }

    /// POST tooling/sobjects/CustomField. The new field has no field permissions.
    pub fn create_field(
        &mut self,
        who: Principal,
        full_name: &str,
        mut metadata: FieldMetadata,
    ) -> Result<String, SetupError> {
        self.may_customize(who)?;
        let (table, name) = setup::split_full_name(full_name)?;
        metadata.validate()?;
        if let Some(existing) = self
            .fields
            .iter()
            .find(|f| f.developer_name.eq_ignore_ascii_case(&name))
        {
            return Err(SetupError::bad(
                "DUPLICATE_DEVELOPER_NAME",
                format!(
                    "There is already a field named {} on Case ({}).",
                    existing.api_name(),
                    existing.id
                ),
            )
            .on("FullName"));
        }
        setup::check_long_text_budget(setup::long_text_total(self.fields.iter(), None), &metadata)?;
        let id = self.new_id("00N");
        let now = now_string();
        let col = self.next_col;
        self.next_col += 1;
        self.fields.push(CustomField {
            id: id.clone(),
            developer_name: name,
            table,
            metadata,
            col,
            created: now.clone(),
            modified: now,
        });
        self.rebuild_index();
        Ok(id)
    }

    /// PATCH tooling/sobjects/CustomField/{id} with the full metadata. Refuses type changes,
    /// a length below the longest stored value, and Unique over duplicate values.
    pub fn update_field(
        &mut self,
        who: Principal,
        id: &str,
        full_name: Option<&str>,
        mut metadata: FieldMetadata,
    ) -> Result<(), SetupError> {
        self.may_customize(who)?;
        let Some(position) = self.fields.iter().position(|f| same_id(&f.id, id)) else {
            return Err(SetupError::not_found());
        };
        let current = self.fields[position].clone();
        if let Some(full_name) = full_name {
            let (_, name) = setup::split_full_name(full_name)?;
            if !name.eq_ignore_ascii_case(&current.developer_name) {
                return Err(SetupError::bad(
                    "FIELD_INTEGRITY_EXCEPTION",
                    format!(
                        "FullName {full_name} does not match the field {}; renaming a field is not supported through the API",
                        current.full_name()
                    ),
                )
                .on("FullName"));
            }
        }
        metadata.validate()?;
        if metadata.field_type != current.metadata.field_type {
            return Err(SetupError::bad(
                "FIELD_INTEGRITY_EXCEPTION",
                format!(
                    "Cannot change the type of {} from {} to {}: cannot change the type through the API",
                    current.api_name(),
                    current.metadata.field_type.name(),
                    metadata.field_type.name()
                ),
            )
            .on("type"));
        }
        if let Some(length) = metadata.length {
            let longest = self.longest_value(current.col);
            if (longest as u64) > length {
                return Err(SetupError::bad(
                    "FIELD_INTEGRITY_EXCEPTION",
                    format!(
                        "Cannot shorten {} to {length} characters: a stored value is {longest} characters long",
                        current.api_name()
                    ),
                )
                .on("length"));
            }
        }
        if metadata.unique && !current.metadata.unique {
            let mut seen = HashSet::new();
            let clash = self
                .rows
                .iter()
                .filter(|r| r[super::schema::IS_DELETED] != Value::Bool(true))
                .filter_map(|r| {
                    let v = cell(r, current.col);
                    match v {
                        Value::Null => None,
                        Value::String(s) if metadata.case_sensitive => Some(s.clone()),
                        Value::String(s) => Some(s.to_lowercase()),
                        other => Some(other.to_string()),
                    }
                })
                .any(|k| !seen.insert(k));
            if clash {
                return Err(SetupError::bad(
                    "FIELD_INTEGRITY_EXCEPTION",
                    format!(
                        "Cannot make {} unique: some records share a value",
                        current.api_name()
                    ),
                )
                .on("unique"));
            }
        }
        let others = setup::long_text_total(self.fields.iter(), Some(&current.id));
        setup::check_long_text_budget(others, &metadata)?;
        let field = &mut self.fields[position];
        field.metadata = metadata;
        field.modified = now_string();
        self.rebuild_index();
        Ok(())
    }

    /// DELETE tooling/sobjects/CustomField/{id}: the field, its values and its field
    /// permissions go.
    pub fn delete_field(&mut self, who: Principal, id: &str) -> Result<(), SetupError> {
        self.may_customize(who)?;
        let Some(position) = self.fields.iter().position(|f| same_id(&f.id, id)) else {
            return Err(SetupError::not_found());
        };
        let field = self.fields.remove(position);
        let full_name = field.full_name();
        self.field_permissions
            .retain(|fp| !fp.field.eq_ignore_ascii_case(&full_name));
        for row in &mut self.rows {
            if let Some(slot) = row.get_mut(field.col) {
                *slot = Value::Null;
            }
        }
        self.rebuild_index();
        Ok(())
    }

    /// Sets Unique on a field without the checks (the old `external_id_unique` switch).
    pub fn force_unique(&mut self, api_name: &str, unique: bool) {
        if let Some(field) = self
            .fields
            .iter_mut()
            .find(|f| f.api_name().eq_ignore_ascii_case(api_name))
        {
            field.metadata.unique = unique;
        }
        self.rebuild_index();
    }

    // ------------------------------------------------------------ permission sets

    pub fn create_permission_set(
        &mut self,
        who: Principal,
        body: Map<String, Value>,
    ) -> Result<String, SetupError> {
        self.may_customize(who)?;
        let body = Body::new(
            "PermissionSet",
            body,
            &PERMISSION_SET_FIELDS,
            &["Name", "Label", "Description"],
        )?;
        let label = body.required("Label")?;
        let name = body.required("Name")?;
        setup::check_permission_set_name(&name)?;
        if let Some(existing) = self
            .permission_sets
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(&name))
        {
            return Err(duplicate("Name", &existing.id).on("Name"));
        }
        let id = self.new_id("0PS");
        self.permission_sets.push(PermissionSet {
            id: id.clone(),
            name,
            label,
            description: body.string("Description")?,
            profile_id: None,
            created: now_string(),
        });
        Ok(id)
    }

    pub fn update_permission_set(
        &mut self,
        who: Principal,
        id: &str,
        body: Map<String, Value>,
    ) -> Result<(), SetupError> {
        self.may_customize(who)?;
        let Some(position) = self.permission_sets.iter().position(|p| same_id(&p.id, id)) else {
            return Err(SetupError::not_found());
        };
        let body = Body::new(
            "PermissionSet",
            body,
            &PERMISSION_SET_FIELDS,
            &["Name", "Label", "Description"],
        )?;
        if self.permission_sets[position].owned_by_profile() {
            return Err(setup::insufficient_access());
        }
        if let Some(name) = body.string("Name")? {
            setup::check_permission_set_name(&name)?;
            if let Some(other) = self
                .permission_sets
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(&name) && !same_id(&p.id, id))
            {
                return Err(duplicate("Name", &other.id).on("Name"));
            }
            self.permission_sets[position].name = name;
        }
        if let Some(label) = body.string("Label")? {
            self.permission_sets[position].label = label;
        }
        if let Some(description) = body.string("Description")? {
            self.permission_sets[position].description = Some(description);
        }
        Ok(())
    }

    /// Deletes a permission set that is not owned by a profile and not assigned.
    pub fn delete_permission_set(&mut self, who: Principal, id: &str) -> Result<(), SetupError> {
        self.may_customize(who)?;
        let Some(position) = self.permission_sets.iter().position(|p| same_id(&p.id, id)) else {
            return Err(SetupError::not_found());
        };
        if self.permission_sets[position].owned_by_profile() {
            return Err(setup::insufficient_access());
        }
        if self
            .assignments
            .iter()
            .any(|a| same_id(&a.permission_set_id, id))
        {
            return Err(SetupError::bad(
                "DELETE_FAILED",
                "This permission set is assigned to users; remove the assignments first",
            ));
        }
        let set = self.permission_sets.remove(position);
        self.field_permissions
            .retain(|fp| !same_id(&fp.parent_id, &set.id));
        Ok(())
    }

    // ------------------------------------------------------------ field permissions

    pub fn create_field_permission(
        &mut self,
        who: Principal,
        body: Map<String, Value>,
    ) -> Result<String, SetupError> {
        self.may_customize(who)?;
        let body = Body::new(
            "FieldPermissions",
            body,
            &FIELD_PERMISSION_FIELDS,
            &[
                "ParentId",
                "SobjectType",
                "Field",
                "PermissionsRead",
                "PermissionsEdit",
            ],
        )?;
        let parent = body.required("ParentId")?;
        let sobject_type = body.required("SobjectType")?;
        let field = body.required("Field")?;
        let read = body.boolean("PermissionsRead")?.unwrap_or(false);
        let edit = body.boolean("PermissionsEdit")?.unwrap_or(false);
        let parent = self.permission_set_for(&parent)?;
        if !sobject_type.eq_ignore_ascii_case("Case") {
            return Err(restricted_picklist("SobjectType", &sobject_type));
        }
        let (object, _) = field.split_once('.').unwrap_or(("", ""));
        if !object.eq_ignore_ascii_case(&sobject_type) {
            return Err(SetupError::bad(
                "FIELD_INTEGRITY_EXCEPTION",
                format!("Field {field} is not a field of {sobject_type}"),
            )
            .on("Field"));
        }
        let canonical = self.permissionable_field(&field)?;
        check_edit_needs_read(read, edit)?;
        if let Some(existing) = self
            .field_permissions
            .iter()
            .find(|fp| same_id(&fp.parent_id, &parent) && fp.field.eq_ignore_ascii_case(&canonical))
        {
            return Err(duplicate("<unknown>", &existing.id));
        }
        let id = self.new_id("01k");
        // A row granting nothing is not kept (Salesforce deletes it).
        if read || edit {
            self.field_permissions.push(FieldPermission {
                id: id.clone(),
                parent_id: parent,
                sobject_type: "Case",
                field: canonical,
                read,
                edit,
            });
        }
        Ok(id)
    }

    pub fn update_field_permission(
        &mut self,
        who: Principal,
        id: &str,
        body: Map<String, Value>,
    ) -> Result<(), SetupError> {
        self.may_customize(who)?;
        let Some(position) = self
            .field_permissions
            .iter()
            .position(|fp| same_id(&fp.id, id))
        else {
            return Err(SetupError::not_found());
        };
        let body = Body::new(
            "FieldPermissions",
            body,
            &FIELD_PERMISSION_FIELDS,
            &["PermissionsRead", "PermissionsEdit"],
        )?;
        let current = &self.field_permissions[position];
        let read = body.boolean("PermissionsRead")?.unwrap_or(current.read);
        let edit = body.boolean("PermissionsEdit")?.unwrap_or(current.edit);
        check_edit_needs_read(read, edit)?;
        if !read && !edit {
            self.field_permissions.remove(position);
        } else {
            let fp = &mut self.field_permissions[position];
            fp.read = read;
            fp.edit = edit;
        }
        Ok(())
    }

    pub fn delete_field_permission(&mut self, who: Principal, id: &str) -> Result<(), SetupError> {
        self.may_customize(who)?;
        let before = self.field_permissions.len();
        self.field_permissions.retain(|fp| !same_id(&fp.id, id));
        if self.field_permissions.len() == before {
            return Err(SetupError::not_found());
        }
        Ok(())
    }

    fn permission_set_for(&self, id: &str) -> Result<String, SetupError> {
        if ids::key(id).is_none() || !id.starts_with("0PS") {
            return Err(SetupError::bad(
                "FIELD_INTEGRITY_EXCEPTION",
                format!("Parent ID: id value of incorrect type: {id}"),
            )
            .on("ParentId"));
        }
        self.permission_sets
            .iter()
            .find(|p| same_id(&p.id, id))
            .map(|p| p.id.clone())
            .ok_or_else(|| {
                SetupError::bad("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
                    .on("ParentId")
            })
    }

    /// "Case.X__c" of an existing, permissionable custom field, in canonical case.
    fn permissionable_field(&self, field: &str) -> Result<String, SetupError> {
        self.fields
            .iter()
            .find(|f| f.full_name().eq_ignore_ascii_case(field) && !f.metadata.required)
            .map(CustomField::full_name)
            .ok_or_else(|| restricted_picklist("Field", field))
    }

    /// Admin action: remove every field permission of one field (by API name).
    pub fn revoke_field_access(&mut self, api_name: &str) -> usize {
        let full_name = format!("Case.{api_name}");
        let before = self.field_permissions.len();
        self.field_permissions
            .retain(|fp| !fp.field.eq_ignore_ascii_case(&full_name));
        before - self.field_permissions.len()
    }

    /// Admin action: set read/edit on one field in the profile's permission set.
    pub fn grant_profile_field_access(
        &mut self,
        api_name: &str,
        read: bool,
        edit: bool,
    ) -> Result<(), SetupError> {
        let field = self.permissionable_field(&format!("Case.{api_name}"))?;
        check_edit_needs_read(read, edit)?;
        let parent = self.profile_permission_set_id();
        self.field_permissions
            .retain(|fp| !(same_id(&fp.parent_id, &parent) && fp.field == field));
        if read || edit {
            let id = self.new_id("01k");
            self.field_permissions.push(FieldPermission {
                id,
                parent_id: parent,
                sobject_type: "Case",
                field,
                read,
                edit,
            });
        }
        Ok(())
    }

    // ------------------------------------------------------------ assignments

    pub fn create_assignment(
        &mut self,
        who: Principal,
        body: Map<String, Value>,
    ) -> Result<String, SetupError> {
        self.may_customize(who)?;
        let body = Body::new(
            "PermissionSetAssignment",
            body,
            &ASSIGNMENT_FIELDS,
            &["PermissionSetId", "AssigneeId"],
        )?;
        let set_id = body.required("PermissionSetId")?;
        let assignee = body.required("AssigneeId")?;
        let Some(set) = self
            .permission_sets
            .iter()
            .find(|p| same_id(&p.id, &set_id))
        else {
            return Err(SetupError::bad(
                "INVALID_CROSS_REFERENCE_KEY",
                "invalid cross reference id",
            )
            .on("PermissionSetId"));
        };
        if set.owned_by_profile() {
            return Err(SetupError::bad(
                "FIELD_INTEGRITY_EXCEPTION",
                "You can't assign or unassign this permission set because it's associated with a profile.",
            )
            .on("PermissionSetId"));
        }
        if !same_id(&assignee, &self.user_id) {
            return Err(SetupError::bad(
                "INVALID_CROSS_REFERENCE_KEY",
                "invalid cross reference id",
            )
            .on("AssigneeId"));
        }
        let set_id = set.id.clone();
        if let Some(existing) = self
            .assignments
            .iter()
            .find(|a| same_id(&a.permission_set_id, &set_id) && same_id(&a.assignee_id, &assignee))
        {
            return Err(duplicate("<unknown>", &existing.id));
        }
        let id = self.new_id("0Pa");
        self.assignments.push(Assignment {
            id: id.clone(),
            permission_set_id: set_id,
            assignee_id: self.user_id.clone(),
        });
        Ok(id)
    }

    pub fn delete_assignment(&mut self, who: Principal, id: &str) -> Result<(), SetupError> {
        self.may_customize(who)?;
        let Some(position) = self.assignments.iter().position(|a| same_id(&a.id, id)) else {
            return Err(SetupError::not_found());
        };
        let profile_set = self.profile_permission_set_id();
        if same_id(&self.assignments[position].permission_set_id, &profile_set) {
            return Err(SetupError::bad(
                "FIELD_INTEGRITY_EXCEPTION",
                "You can't assign or unassign this permission set because it's associated with a profile.",
            ));
        }
        self.assignments.remove(position);
        Ok(())
    }

    // ------------------------------------------------------------ records and tables

    /// A setup table for SOQL: PermissionSet, FieldPermissions, PermissionSetAssignment,
    /// User or Profile (None for any other name).
    pub fn setup_table(&self, object: &str) -> Option<SetupTable> {
        let object = SETUP_QUERY_OBJECTS
            .into_iter()
            .find(|o| o.eq_ignore_ascii_case(object))?;
        let set_by_id = |id: &str| self.permission_sets.iter().find(|p| same_id(&p.id, id));
        let set_columns = |prefix: &'static str| -> Vec<(&'static str, Kind)> {
            match prefix {
                "Parent" => vec![
                    ("Parent.Name", Kind::String),
                    ("Parent.Label", Kind::String),
                    ("Parent.IsOwnedByProfile", Kind::Boolean),
                    ("Parent.ProfileId", Kind::Reference),
                ],
                _ => vec![
                    ("PermissionSet.Name", Kind::String),
                    ("PermissionSet.Label", Kind::String),
                    ("PermissionSet.IsOwnedByProfile", Kind::Boolean),
                    ("PermissionSet.ProfileId", Kind::Reference),
                ],
            }
        };
        let set_values = |set: Option<&PermissionSet>| -> Vec<Value> {
            match set {
                Some(p) => vec![
                    json!(p.name),
                    json!(p.label),
                    json!(p.owned_by_profile()),
                    json!(p.profile_id),
                ],
                None => vec![Value::Null; 4],
            }
        };
        let table = match object {
            "PermissionSet" => SetupTable {
                object,
                columns: PERMISSION_SET_FIELDS
                    .iter()
                    .zip(PERMISSION_SET_KINDS)
                    .map(|(n, k)| (*n, k))
                    .collect(),
                rows: self
                    .permission_sets
                    .iter()
                    .map(|p| self.permission_set_values(p))
                    .collect(),
            },
            "FieldPermissions" => {
                let mut columns: Vec<(&'static str, Kind)> = FIELD_PERMISSION_FIELDS
                    .iter()
                    .zip(FIELD_PERMISSION_KINDS)
                    .map(|(n, k)| (*n, k))
                    .collect();
                columns.extend(set_columns("Parent"));
                let rows = self
                    .field_permissions
                    .iter()
                    .map(|fp| {
                        let mut row = field_permission_values(fp);
                        row.extend(set_values(set_by_id(&fp.parent_id)));
                        row
                    })
                    .collect();
                SetupTable {
                    object,
                    columns,
                    rows,
                }
            }
            "PermissionSetAssignment" => {
                let mut columns: Vec<(&'static str, Kind)> = ASSIGNMENT_FIELDS
                    .iter()
                    .zip(ASSIGNMENT_KINDS)
                    .map(|(n, k)| (*n, k))
                    .collect();
                columns.extend(set_columns("PermissionSet"));
                let rows = self
                    .assignments
                    .iter()
                    .map(|a| {
                        let mut row = assignment_values(a);
                        row.extend(set_values(set_by_id(&a.permission_set_id)));
                        row
                    })
                    .collect();
                SetupTable {
                    object,
                    columns,
                    rows,
                }
            }
            "User" => SetupTable {
                object,
                columns: USER_FIELDS.to_vec(),
                rows: vec![self.user_values()],
            },
            _ => SetupTable {
                object,
                columns: PROFILE_FIELDS.to_vec(),
                rows: vec![vec![
                    json!(self.profile_id),
                    json!(PROFILE_NAME),
                    json!("Standard"),
                ]],
            },
        };
        Some(table)
    }

    fn permission_set_values(&self, p: &PermissionSet) -> Vec<Value> {
        vec![
            json!(p.id),
            json!(p.name),
            json!(p.label),
            json!(p.description),
            json!(p.owned_by_profile()),
            json!(p.profile_id),
            Value::Null,
            json!(!p.owned_by_profile()),
            json!(p.created),
        ]
    }

    fn user_values(&self) -> Vec<Value> {
        vec![
            json!(self.user_id),
            json!(self.username),
            json!("Integration User"),
            json!(self.username),
            json!(self.profile_id),
            json!(true),
            json!("Standard"),
        ]
    }

    /// One setup record by id, as `GET sobjects/{object}/{id}` answers it (every column).
    pub fn setup_record(
        &self,
        object: &str,
        id: &str,
    ) -> Option<(&'static str, Vec<(String, Value)>)> {
        let table = self.setup_table(object)?;
        let id_key = ids::key(id)?;
        let row = table
            .rows
            .iter()
            .find(|r| cell(r, 0).as_str().and_then(ids::key) == Some(id_key.clone()))?;
        let fields = table
            .columns
            .iter()
            .zip(row.iter())
            .filter(|((name, _), _)| !name.contains('.'))
            .map(|((name, _), v)| (name.to_string(), v.clone()))
            .collect();
        Some((table.object, fields))
    }

    /// The Tooling `CustomField` table, columns as `setup::CUSTOM_FIELD_COLUMNS`.
    pub fn custom_field_table(&self) -> SetupTable {
        SetupTable {
            object: "CustomField",
            columns: setup::CUSTOM_FIELD_COLUMNS.to_vec(),
            rows: self
                .fields
                .iter()
                .map(|f| f.columns().into_iter().map(|(_, v)| v).collect())
                .collect(),
        }
    }
}

fn field_permission_values(fp: &FieldPermission) -> Vec<Value> {
    vec![
        json!(fp.id),
        json!(fp.parent_id),
        json!(fp.sobject_type),
        json!(fp.field),
        json!(fp.read),
        json!(fp.edit),
    ]
}

fn assignment_values(a: &Assignment) -> Vec<Value> {
    vec![
        json!(a.id),
        json!(a.permission_set_id),
        json!(a.assignee_id),
        json!(true),
    ]
}

fn restricted_picklist(field: &str, value: &str) -> SetupError {
    SetupError::bad(
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        format!("{field}: bad value for restricted picklist field: {value}"),
    )
    .on(field)
}

fn check_edit_needs_read(read: bool, edit: bool) -> Result<(), SetupError> {
    if edit && !read {
        return Err(SetupError::bad(
            "FIELD_INTEGRITY_EXCEPTION",
            "Permission Edit depends on permission(s): Read",
        )
        .on("PermissionsEdit"));
    }
    Ok(())
}

const PERMISSION_SET_FIELDS: [&str; 9] = [
    "Id",
    "Name",
    "Label",
    "Description",
    "IsOwnedByProfile",
    "ProfileId",
    "NamespacePrefix",
    "IsCustom",
    "CreatedDate",
];
const PERMISSION_SET_KINDS: [Kind; 9] = [
    Kind::Id,
    Kind::String,
    Kind::String,
    Kind::String,
    Kind::Boolean,
    Kind::Reference,
    Kind::String,
    Kind::Boolean,
    Kind::DateTime,
];
const FIELD_PERMISSION_FIELDS: [&str; 6] = [
    "Id",
    "ParentId",
    "SobjectType",
    "Field",
    "PermissionsRead",
    "PermissionsEdit",
];
const FIELD_PERMISSION_KINDS: [Kind; 6] = [
    Kind::Id,
    Kind::Reference,
    Kind::String,
    Kind::String,
    Kind::Boolean,
    Kind::Boolean,
];
const ASSIGNMENT_FIELDS: [&str; 4] = ["Id", "PermissionSetId", "AssigneeId", "IsActive"];
const ASSIGNMENT_KINDS: [Kind; 4] = [Kind::Id, Kind::Reference, Kind::Reference, Kind::Boolean];
const USER_FIELDS: [(&str, Kind); 7] = [
    ("Id", Kind::Id),
    ("Username", Kind::String),
    ("Name", Kind::String),
    ("Email", Kind::Email),
    ("ProfileId", Kind::Reference),
    ("IsActive", Kind::Boolean),
    ("UserType", Kind::String),
];
const PROFILE_FIELDS: [(&str, Kind); 3] = [
    ("Id", Kind::Id),
    ("Name", Kind::String),
    ("UserType", Kind::String),
];
