//! Made-up plans of any size, for benchmarks and load tests: realistic field lengths, a mix
//! of now, future and cancelled moves, names in several scripts.

use std::fmt::Write;

const NAMES: [&str; 6] = [
    "Zoë Ångström",
    "José Núñez-García",
    "山田 花子",
    "Łukasz Wiśniewski",
    "Αθηνά Παπαδοπούλου",
    "Nguyễn Thị Minh Khai",
];
const DEPARTMENTS: [&str; 4] = [
    "Engineering",
    "Finance",
    "Product Design",
    "People Operations",
];

/// The kind of move `i` is: mostly now, some future, a few cancelled.
fn now_and_status(i: usize) -> (bool, &'static str) {
    match i % 10 {
        0..=6 => (true, "scheduled"),
        7 | 8 => (false, "scheduled"),
        _ => (true, "cancelled"),
    }
}

/// A JSON plan of `moves` moves.
pub fn json(plan_id: &str, moves: usize) -> String {
    let mut out = String::with_capacity(moves * 700);
    let _ = write!(
        out,
        r#"{{"schema_version":"1.0","source_system":"synthetic","plan_id":"{plan_id}","plan_name":"Synthetic plan of {moves} moves","moves":["#
    );
    for i in 0..moves {
        if i > 0 {
            out.push(',');
        }
        let (now, status) = now_and_status(i);
        let date = if now {
            "null".to_owned()
        } else {
            "\"2030-07-21\"".to_owned()
        };
        let _ = write!(
            out,
            r#"{{"move_id":"mv-{i:07}","move_type":"move","now":{now},"move_date":{date},"status":"{status}","updated_at":"2025-06-12T16:30:11Z","employee":{{"employee_id":"E{i:07}","name":"{name} {i}","email":"person{i}@example.com"}},"department":"{dept}","team":"Team {team}","current_seat":{{"building_code":"SFO-HQ","building_name":"San Francisco HQ","floor_code":"03","seat_code":"3.{seat:04}"}},"new_seat":{{"building_code":"SFO-ANX","building_name":"Annex","floor_code":"02","seat_code":"2/B-{seat:04}"}},"assets":["Dual 27\" monitors","Standing desk (electric)","USB-C docking station"],"notes":"Move after 4pm; on call until then. Keep the desk plant and the footrest with them."}}"#,
            name = NAMES[i % NAMES.len()],
            dept = DEPARTMENTS[i % DEPARTMENTS.len()],
            team = i % 37,
            seat = i % 10_000,
        );
    }
    out.push_str("]}");
    out
}

/// The same plan as CSV.
pub fn csv(plan_id: &str, moves: usize) -> String {
    let mut out = String::with_capacity(moves * 500);
    out.push_str("plan_id,plan_name,move_id,move_type,now,move_date,employee_id,employee_name,employee_email,department,team,current_building,current_floor,current_seat,new_building,new_floor,new_seat,assets,notes,updated_at,status\n");
    for i in 0..moves {
        let (now, status) = now_and_status(i);
        let date = if now { "" } else { "2030-07-21" };
        let _ = writeln!(
            out,
            "{plan_id},Synthetic plan of {moves} moves,mv-{i:07},move,{now},{date},E{i:07},{name} {i},person{i}@example.com,{dept},Team {team},SFO-HQ,03,3.{seat:04},SFO-ANX,02,2/B-{seat:04},\"Dual 27\"\" monitors | Standing desk (electric) | USB-C docking station\",\"Move after 4pm; on call until then. Keep the desk plant and the footrest with them.\",2025-06-12T16:30:11Z,{status}",
            name = NAMES[i % NAMES.len()],
            dept = DEPARTMENTS[i % DEPARTMENTS.len()],
            team = i % 37,
            seat = i % 10_000,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Format, MapOptions, parse};

    #[test]
    fn both_forms_read_to_the_same_valid_moves() {
        let a = parse(
            "s.json",
            Format::Json,
            json("S", 50).as_bytes(),
            MapOptions::default(),
        )
        .expect("json");
        let b = parse(
            "s.csv",
            Format::Csv,
            csv("S", 50).as_bytes(),
            MapOptions::default(),
        )
        .expect("csv");
        assert_eq!(a.counts(), b.counts());
        let counts = a.counts();
        assert_eq!(
            (counts.now, counts.future, counts.cancelled, counts.invalid),
            (35, 10, 5, 0)
        );
        assert_eq!(a.moves[7].move_id, b.moves[7].move_id);
    }
}
