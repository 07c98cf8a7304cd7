//! Mapping a move to the Case that represents it in Salesforce.
//!
//! Pure: the same move always gives the same Case. Values over their limit are cut at a
//! character boundary with a visible marker, and the full text always stays in the
//! Description, so nothing is lost silently.

use super::model::{Move, Plan};
use super::text::{cut_to_limit, normalize_newlines, single_line};
use crate::spec::{self, DESCRIPTION_LIMIT, SUBJECT_LIMIT};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapOptions {
    /// Refuse (mark invalid) moves whose values would be cut, instead of cutting them.
    pub strict: bool,
}

/// The Case written for one move. Field values are exactly what is sent; `None` clears the
/// field in Salesforce (so a re-push removes a value the plan no longer has).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseDraft {
    pub external_id: String,
    pub subject: String,
    pub description: String,
    pub department: Option<String>,
    pub team: Option<String>,
    pub current_seat: Option<String>,
    pub new_seat: Option<String>,
    pub employee_assets: Option<String>,
    pub employee_notes: Option<String>,
    /// API names of the fields that were cut to fit.
    pub truncated: Vec<&'static str>,
}

impl CaseDraft {
    /// The fields in the order they are sent, by API name.
    pub fn fields(&self) -> [(&'static str, Option<&str>); 9] {
        [
            (spec::EXTERNAL_ID, Some(self.external_id.as_str())),
            ("Subject", Some(self.subject.as_str())),
            ("Description", Some(self.description.as_str())),
            ("Department__c", self.department.as_deref()),
            ("Team__c", self.team.as_deref()),
            ("CurrentSeat__c", self.current_seat.as_deref()),
            ("NewSeat__c", self.new_seat.as_deref()),
            ("EmployeeAssets__c", self.employee_assets.as_deref()),
            ("EmployeeNotes__c", self.employee_notes.as_deref()),
        ]
    }
}

/// Fits `value` to the named field's limit, noting a cut.
fn fit(field: &'static str, value: String, truncated: &mut Vec<&'static str>) -> String {
    let limit = spec::limit_of(field).unwrap_or(usize::MAX);
    match cut_to_limit(&value, limit) {
        Some(cut) => {
            truncated.push(field);
            cut
        }
        None => value,
    }
}

fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

pub fn subject(mv: &Move) -> String {
    let from = mv
        .current_seat
        .as_ref()
        .map(|s| s.label())
        .unwrap_or_else(|| "(new seat)".to_owned());
    let to = mv
        .new_seat
        .as_ref()
        .map(|s| s.label())
        .unwrap_or_else(|| "(unseat)".to_owned());
    format!("Seat move: {} — {from} → {to}", mv.employee_label())
}

fn seat_line(seat: Option<&super::model::Seat>) -> String {
    match seat {
        None => "none".to_owned(),
        Some(seat) => {
            let mut line = seat.label();
            if let Some(name) = &seat.building_name {
                line.push_str(&format!(" ({name})"));
            }
            line
        }
    }
}

/// Everything about the move in plain text; the place where no value is ever cut short
/// (unless it alone exceeds the Description's 32,000 units).
pub fn description(plan: &Plan, mv: &Move) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: &str| {
        out.push_str(label);
        out.push_str(": ");
        out.push_str(value);
        out.push('\n');
    };
    line("Plan", &format!("{} ({})", plan.plan_name, plan.plan_id));
    if let Some(source) = &plan.source_system {
        line("Source system", source);
    }
    line("Move id", &mv.move_id);
    line(
        "Move type",
        mv.move_type.map(|t| t.as_str()).unwrap_or("(unknown)"),
    );
    line("Status", mv.status.as_str());
    if let Some(date) = &mv.move_date {
        line("Move date", date);
    }
    let mut employee = format!("{} ({})", mv.employee_label(), mv.employee.employee_id);
    if let Some(email) = &mv.employee.email {
        employee.push_str(&format!(", {email}"));
    }
    line("Employee", &employee);
    line("Department", &mv.department);
    if let Some(team) = &mv.team {
        line("Team", team);
    }
    line("Current seat", &seat_line(mv.current_seat.as_ref()));
    line("New seat", &seat_line(mv.new_seat.as_ref()));
    if let Some(updated) = &mv.updated_at {
        line("Updated at", updated);
    }
    if !mv.assets.is_empty() {
        out.push_str("Assets:\n");
        for asset in &mv.assets {
            out.push_str("- ");
            out.push_str(&normalize_newlines(asset));
            out.push('\n');
        }
    }
    if !mv.notes.is_empty() {
        out.push_str("Notes:\n");
        out.push_str(&normalize_newlines(&mv.notes));
        out.push('\n');
    }
    out
}

pub fn map_move(plan: &Plan, mv: &Move) -> CaseDraft {
    let mut truncated = Vec::new();
    let subject = fit("Subject", single_line(&subject(mv)), &mut truncated);
    let department = fit("Department__c", single_line(&mv.department), &mut truncated);
    let team = mv
        .team
        .as_deref()
        .map(|t| fit("Team__c", single_line(t), &mut truncated));
    let current_seat = mv
        .current_seat
        .as_ref()
        .map(|s| fit("CurrentSeat__c", single_line(&s.label()), &mut truncated));
    let new_seat = mv
        .new_seat
        .as_ref()
        .map(|s| fit("NewSeat__c", single_line(&s.label()), &mut truncated));
    let assets = mv
        .assets
        .iter()
        .map(|a| single_line(a))
        .collect::<Vec<_>>()
        .join("\n");
    let employee_assets = fit("EmployeeAssets__c", assets, &mut truncated);
    let employee_notes = fit(
        "EmployeeNotes__c",
        normalize_newlines(&mv.notes),
        &mut truncated,
    );
    let description = fit("Description", description(plan, mv), &mut truncated);
    debug_assert!(super::text::utf16_len(&description) <= DESCRIPTION_LIMIT);
    debug_assert!(super::text::utf16_len(&subject) <= SUBJECT_LIMIT);
    CaseDraft {
        // The key travels byte for byte; its length is checked by validation, never cut.
        external_id: mv.move_id.clone(),
        subject,
        description,
        department: non_empty(department),
        team: team.and_then(non_empty),
        current_seat,
        new_seat,
        employee_assets: non_empty(employee_assets),
        employee_notes: non_empty(employee_notes),
        truncated,
    }
}
