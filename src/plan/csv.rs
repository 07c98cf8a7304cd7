//! Reading a plan from CSV: UTF-8 (BOM allowed), RFC 4180 quoting, a header row, one row
//! per move with the plan columns repeated on every row.

use std::collections::HashMap;

use super::error::{PlanError, require_utf8};
use super::model::{Employee, Move, MoveStatus, MoveType, Plan, Seat};

/// Columns without which no move could be valid: a file lacking one is refused outright.
const REQUIRED_COLUMNS: [&str; 8] = [
    "plan_id",
    "plan_name",
    "move_id",
    "move_type",
    "now",
    "employee_id",
    "employee_name",
    "department",
];

/// Every column the format defines, plus `status` as JSON has it (others are ignored).
const KNOWN_COLUMNS: [&str; 21] = [
    "status",
    "plan_id",
    "plan_name",
    "move_id",
    "move_type",
    "now",
    "move_date",
    "employee_id",
    "employee_name",
    "employee_email",
    "department",
    "team",
    "current_building",
    "current_floor",
    "current_seat",
    "new_building",
    "new_floor",
    "new_seat",
    "assets",
    "notes",
    "updated_at",
];

/// Items inside the `assets` cell are separated by this.
const ASSET_SEPARATOR: &str = " | ";

pub fn read(file: &str, bytes: &[u8]) -> Result<Plan, PlanError> {
    let text = require_utf8(file, bytes)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());

    let headers = reader
        .headers()
        .map_err(|err| csv_error(file, &err))?
        .clone();
    let mut columns: HashMap<&str, usize> = HashMap::new();
    for (index, name) in headers.iter().enumerate() {
        let name = name.trim();
        if let Some(known) = KNOWN_COLUMNS.iter().find(|k| **k == name)
            && columns.insert(known, index).is_some()
        {
            return Err(
                PlanError::new(file, "this column appears twice in the header")
                    .at("line 1")
                    .field(name),
            );
        }
    }
    let missing: Vec<&str> = REQUIRED_COLUMNS
        .iter()
        .copied()
        .filter(|c| !columns.contains_key(c))
        .collect();
    if !missing.is_empty() {
        return Err(PlanError::new(
            file,
            format!(
                "the header lacks required column(s): {}",
                missing.join(", ")
            ),
        )
        .at("line 1"));
    }

    let mut plan_id: Option<(String, u64)> = None;
    let mut plan_name: Option<String> = None;
    let mut moves = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(err) => return Err(csv_error(file, &err)),
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let row = Row {
            record: &record,
            columns: &columns,
            line,
        };
        if row.is_blank() {
            continue;
        }

        let row_plan_id = row.cell("plan_id");
        if row_plan_id.trim().is_empty() {
            return Err(
                PlanError::new(file, "is empty; every row carries the plan id")
                    .at(format!("line {line}"))
                    .field("plan_id"),
            );
        }
        match &plan_id {
            None => plan_id = Some((row_plan_id.to_owned(), line)),
            Some((first, first_line)) if first != row_plan_id => {
                return Err(PlanError::new(
                    file,
                    format!(
                        "\"{row_plan_id}\" differs from \"{first}\" on line {first_line}; one file holds one plan"
                    ),
                )
                .at(format!("line {line}"))
                .field("plan_id"));
            }
            Some(_) => {}
        }
        let row_plan_name = row.cell("plan_name");
        match &plan_name {
            None => plan_name = Some(row_plan_name.to_owned()),
            Some(first) if first != row_plan_name => {
                return Err(PlanError::new(
                    file,
                    format!("\"{row_plan_name}\" differs from \"{first}\" on earlier rows"),
                )
                .at(format!("line {line}"))
                .field("plan_name"));
            }
            Some(_) => {}
        }
        moves.push(read_move(&row));
    }

    let Some((plan_id, _)) = plan_id else {
        return Err(PlanError::new(
            file,
            "the file has a header but no rows, so it names no plan",
        )
        .at("line 2"));
    };
    let plan_name = plan_name.unwrap_or_default();
    if plan_name.trim().is_empty() {
        return Err(PlanError::new(file, "is empty")
            .at("line 2")
            .field("plan_name"));
    }
    Ok(Plan {
        plan_id,
        plan_name,
        source_system: None,
        plan_timezone: None,
        plan_effective_date: None,
        exported_at: None,
        exported_by: None,
        moves,
    })
}

fn csv_error(file: &str, err: &csv::Error) -> PlanError {
    let at = err
        .position()
        .map(|p| format!("line {}", p.line()))
        .unwrap_or_else(|| "the file".to_owned());
    let reason = match err.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "this row has {len} cells but the header has {expected_len}; check the quoting of the row above or this one"
        ),
        csv::ErrorKind::Utf8 { .. } => "a cell is not valid UTF-8".to_owned(),
        _ => format!("cannot read the CSV: {err}"),
    };
    PlanError::new(file, reason).at(at)
}

struct Row<'a> {
    record: &'a csv::StringRecord,
    columns: &'a HashMap<&'static str, usize>,
    line: u64,
}

impl Row<'_> {
    fn cell(&self, column: &str) -> &str {
        self.columns
            .get(column)
            .and_then(|index| self.record.get(*index))
            .unwrap_or("")
    }

    /// An empty cell is null.
    fn optional(&self, column: &str) -> Option<String> {
        let value = self.cell(column);
        (!value.is_empty()).then(|| value.to_owned())
    }

    fn at(&self, column: &str) -> String {
        format!("line {}, column {column}", self.line)
    }

    fn required(&self, mv: &mut Move, column: &str) -> String {
        let value = self.cell(column);
        if value.trim().is_empty() {
            mv.problem(self.at(column), "is empty (required)");
        }
        value.to_owned()
    }

    fn is_blank(&self) -> bool {
        self.record.iter().all(|cell| cell.trim().is_empty())
    }
}

fn read_move(row: &Row<'_>) -> Move {
    let mut mv = Move::blank(format!("line {}", row.line));
    mv.move_id = row.cell("move_id").to_owned();
    if mv.move_id.is_empty() {
        mv.problem(row.at("move_id"), "is empty (required)");
    }

    let move_type = row.required(&mut mv, "move_type");
    if !move_type.is_empty() {
        mv.move_type = MoveType::parse(move_type.trim());
        if mv.move_type.is_none() {
            mv.problem(
                row.at("move_type"),
                format!("\"{move_type}\" is not one of move, seat, unseat"),
            );
        }
    }

    let now = row.cell("now").trim();
    mv.now = if now.eq_ignore_ascii_case("true") {
        Some(true)
    } else if now.eq_ignore_ascii_case("false") {
        Some(false)
    } else if now.is_empty() {
        mv.problem(row.at("now"), "is empty (required): true or false");
        None
    } else {
        mv.problem(row.at("now"), format!("\"{now}\" is not true or false"));
        None
    };

    mv.move_date = row.optional("move_date");
    if let Some(status) = row.optional("status") {
        match MoveStatus::parse(status.trim()) {
            Some(parsed) => mv.status = parsed,
            None => mv.problem(
                row.at("status"),
                format!("\"{status}\" is not one of scheduled, completed, cancelled"),
            ),
        }
    }
    mv.updated_at = row.optional("updated_at");
    mv.employee = Employee {
        employee_id: row.required(&mut mv, "employee_id"),
        name: row.required(&mut mv, "employee_name"),
        email: row.optional("employee_email"),
    };
    mv.department = row.required(&mut mv, "department");
    mv.team = row.optional("team");
    mv.current_seat = read_seat(row, &mut mv, "current");
    mv.new_seat = read_seat(row, &mut mv, "new");
    if let Some(assets) = row.optional("assets") {
        mv.assets = assets
            .split(ASSET_SEPARATOR)
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect();
    }
    mv.notes = row.cell("notes").to_owned();
    mv
}

/// A seat is three cells; all empty means no seat, some empty is a problem.
fn read_seat(row: &Row<'_>, mv: &mut Move, prefix: &str) -> Option<Seat> {
    let building = format!("{prefix}_building");
    let floor = format!("{prefix}_floor");
    let seat = format!("{prefix}_seat");
    let cells = [row.cell(&building), row.cell(&floor), row.cell(&seat)];
    if cells.iter().all(|c| c.trim().is_empty()) {
        return None;
    }
    for (column, value) in [&building, &floor, &seat].into_iter().zip(cells) {
        if value.trim().is_empty() {
            mv.problem(
                row.at(column),
                format!("is empty while other {prefix}_ seat cells are filled"),
            );
        }
    }
    Some(Seat {
        building_code: cells[0].to_owned(),
        building_name: None,
        floor_code: cells[1].to_owned(),
        seat_code: cells[2].to_owned(),
    })
}
