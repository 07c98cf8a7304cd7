//! Reading plans: the two example exports agree, bad files are refused with where and why,
//! bad moves are kept and explained.

use std::path::Path;

use moveforce::plan::{
    self, Disposition, Format, MapOptions, Move, Plan, map_move, text::CUT_MARKER, text::utf16_len,
};

fn sample(name: &str) -> Plan {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name);
    plan::load(&path, MapOptions::default()).expect("sample plan reads")
}

fn parse_json(text: &str) -> Result<Plan, plan::PlanError> {
    plan::parse(
        "test.json",
        Format::Json,
        text.as_bytes(),
        MapOptions::default(),
    )
}

fn parse_csv(text: &str) -> Result<Plan, plan::PlanError> {
    plan::parse(
        "test.csv",
        Format::Csv,
        text.as_bytes(),
        MapOptions::default(),
    )
}

/// A move with what CSV cannot carry (building names) taken out.
fn comparable(mv: &Move) -> Move {
    let mut mv = mv.clone();
    mv.origin.clear();
    for seat in [&mut mv.current_seat, &mut mv.new_seat]
        .into_iter()
        .flatten()
    {
        seat.building_name = None;
    }
    mv
}

#[test]
fn both_examples_give_the_same_moves() {
    let json = sample("q3-platform-eng.json");
    let csv = sample("q3-platform-eng.csv");
    assert_eq!(json.plan_id, "MP-2025-014");
    assert_eq!(csv.plan_id, json.plan_id);
    assert_eq!(csv.plan_name, json.plan_name);
    assert_eq!(json.moves.len(), 8);
    assert_eq!(csv.moves.len(), 8);
    for (a, b) in json.moves.iter().zip(&csv.moves) {
        assert_eq!(comparable(a), comparable(b), "move {}", a.move_id);
    }
    let counts = json.counts();
    assert_eq!((counts.now, counts.future, counts.invalid), (5, 3, 0));
    // The 1,244-character note is over EmployeeNotes__c's 1,024 and will be cut.
    assert_eq!(counts.truncated, 1);
}

#[test]
fn the_example_cases_are_identical_from_either_format() {
    let json = sample("q3-platform-eng.json");
    let csv = sample("q3-platform-eng.csv");
    for (a, b) in json.now_moves().zip(csv.now_moves()) {
        let (ca, cb) = (map_move(&json, a), map_move(&csv, b));
        assert_eq!(ca.external_id, cb.external_id);
        assert_eq!(ca.subject, cb.subject);
        assert_eq!(ca.current_seat, cb.current_seat);
        assert_eq!(ca.new_seat, cb.new_seat);
        assert_eq!(ca.employee_assets, cb.employee_assets);
        assert_eq!(ca.employee_notes, cb.employee_notes);
    }
}

#[test]
fn mapping_follows_the_format_doc() {
    let plan = sample("q3-platform-eng.json");
    let first = &plan.moves[0];
    let case = map_move(&plan, first);
    assert_eq!(case.external_id, "mv-000101");
    assert_eq!(
        case.subject,
        "Seat move: Zoë Ångström — SFO-HQ · 03 · 3.041 → SFO-HQ · 04 · 4.112"
    );
    assert_eq!(case.department.as_deref(), Some("Engineering"));
    assert_eq!(case.team.as_deref(), Some("Platform Infrastructure"));
    assert_eq!(case.current_seat.as_deref(), Some("SFO-HQ · 03 · 3.041"));
    assert_eq!(
        case.employee_assets.as_deref(),
        Some("Dual 27\" monitors\nStanding desk (electric)\nUSB-C docking station")
    );
    assert!(case.description.contains("MP-2025-014"));
    assert!(case.description.contains(&plan.plan_name));
    assert!(case.truncated.is_empty());

    // The seat move (new hire) and the unseat (going remote).
    let seat = plan
        .moves
        .iter()
        .find(|m| m.move_id == "mv-000106")
        .expect("mv-000106");
    let case = map_move(&plan, seat);
    assert!(
        case.subject.contains("(new seat) → SFO-HQ · 04 · 4.119"),
        "{}",
        case.subject
    );
    assert_eq!(case.current_seat, None);
    let unseat = plan
        .moves
        .iter()
        .find(|m| m.move_id == "mv-000108")
        .expect("mv-000108");
    assert!(map_move(&plan, unseat).subject.ends_with("→ (unseat)"));
}

#[test]
fn a_long_note_is_cut_with_a_marker_and_kept_whole_in_the_description() {
    let plan = sample("q3-platform-eng.json");
    let mv = plan
        .moves
        .iter()
        .find(|m| m.move_id == "mv-000102")
        .expect("mv-000102");
    assert_eq!(mv.truncated, vec!["EmployeeNotes__c"]);
    let case = map_move(&plan, mv);
    let notes = case.employee_notes.expect("notes");
    assert!(utf16_len(&notes) <= 1024);
    assert!(notes.ends_with(CUT_MARKER));
    assert!(
        case.description.contains(&mv.notes),
        "the full note is in the Description"
    );
}

fn one_move_json(extra: &str) -> String {
    format!(
        r#"{{"schema_version":"1.0","plan_id":"P1","plan_name":"Plan one","moves":[{{
            "move_id":"m1","move_type":"move","now":true,"move_date":null,
            "employee":{{"employee_id":"007","name":"Ann"}},"department":"Ops",
            "current_seat":{{"building_code":"B","floor_code":"1","seat_code":"1.01"}},
            "new_seat":{{"building_code":"B","floor_code":"2","seat_code":"2/01"}}{extra}}}]}}"#
    )
}

#[test]
fn lengths_count_utf16_units_so_emoji_count_two() {
    // 126 emoji = 252 units + "x" = 253 fits Team__c's 255; 128 emoji = 256 does not.
    let fits = one_move_json(&format!(r#","team":"{}x""#, "🙂".repeat(126)));
    let plan = parse_json(&fits).expect("reads");
    assert!(plan.moves[0].truncated.is_empty());
    let over = one_move_json(&format!(r#","team":"{}""#, "🙂".repeat(128)));
    let plan = parse_json(&over).expect("reads");
    assert_eq!(plan.moves[0].truncated, vec!["Team__c"]);
    let team = map_move(&plan, &plan.moves[0]).team.expect("team");
    assert!(utf16_len(&team) <= 255);
    assert!(team.ends_with(CUT_MARKER));
    // Still a valid now-move: cut, flagged, pushed.
    assert_eq!(plan.moves[0].disposition(), Disposition::Now);
}

#[test]
fn strict_mode_refuses_moves_that_would_be_cut() {
    let over = one_move_json(&format!(r#","notes":"{}""#, "n".repeat(2000)));
    let plan = plan::parse(
        "t.json",
        Format::Json,
        over.as_bytes(),
        MapOptions { strict: true },
    )
    .expect("reads");
    assert_eq!(plan.moves[0].disposition(), Disposition::Invalid);
    assert!(plan.moves[0].problems[0].reason.contains("strict"));
}

#[test]
fn crlf_in_notes_becomes_lf_and_single_line_fields_fold_breaks() {
    let plan = parse_json(&one_move_json(
        r#","notes":"line one\r\nline two\rthree","team":"A\r\nB""#,
    ))
    .expect("reads");
    let case = map_move(&plan, &plan.moves[0]);
    assert_eq!(
        case.employee_notes.as_deref(),
        Some("line one\nline two\nthree")
    );
    assert_eq!(case.team.as_deref(), Some("A B"));

    // A CSV file with CRLF line endings and a CRLF inside a quoted cell.
    let csv = "plan_id,plan_name,move_id,move_type,now,employee_id,employee_name,department,current_building,current_floor,current_seat,new_building,new_floor,new_seat,notes\r\n\
               P1,Plan,m1,move,true,007,Ann,Ops,B,1,1.01,B,2,2.01,\"a\r\nb\"\r\n";
    let plan = parse_csv(csv).expect("reads");
    assert_eq!(plan.moves[0].employee.employee_id, "007");
    assert_eq!(
        map_move(&plan, &plan.moves[0]).employee_notes.as_deref(),
        Some("a\nb")
    );
}

#[test]
fn odd_move_ids_are_kept_byte_for_byte() {
    let id = r#"a/b #c?d%e'f;g h.i 山田-\\"#;
    let plan = parse_json(
        &one_move_json("").replace(r#""move_id":"m1""#, &format!(r#""move_id":"{id}""#)),
    )
    .expect("reads");
    let expected = id.replace("\\\\", "\\");
    assert_eq!(plan.moves[0].move_id, expected);
    assert_eq!(map_move(&plan, &plan.moves[0]).external_id, expected);
}

#[test]
fn unreadable_plans_name_file_place_and_reason() {
    let err = parse_json("{\"schema_version\":\"1.0\",\n\"plan_id\": }").unwrap_err();
    assert_eq!(err.file, "test.json");
    assert!(
        err.at.as_deref().unwrap_or("").starts_with("line 2"),
        "{err}"
    );

    let err = parse_json(r#"{"schema_version":"2.0","plan_id":"P","plan_name":"N","moves":[]}"#)
        .unwrap_err();
    assert_eq!(err.at.as_deref(), Some("$.schema_version"));
    assert!(err.reason.contains("2.0"), "{err}");

    let err = parse_json(r#"{"schema_version":"1.0","plan_name":"N","moves":[]}"#).unwrap_err();
    assert_eq!(err.at.as_deref(), Some("$.plan_id"));

    let err = parse_json(r#"{"schema_version":"1.0","plan_id":"P","plan_name":"N","moves":{}}"#)
        .unwrap_err();
    assert_eq!(err.at.as_deref(), Some("$.moves"));

    let mut bytes = b"plan_id,plan_name\nP,N\xff\n".to_vec();
    bytes.extend_from_slice(b"more");
    let err = plan::parse("bad.csv", Format::Csv, &bytes, MapOptions::default()).unwrap_err();
    assert!(err.reason.contains("UTF-8"), "{err}");
    assert_eq!(err.at.as_deref(), Some("line 2, byte offset 21"));

    let err = parse_csv("plan_id,plan_name,move_id\nP,N,m1\n").unwrap_err();
    assert!(err.reason.contains("move_type"), "{err}");

    let header = "plan_id,plan_name,move_id,move_type,now,employee_id,employee_name,department\n";
    let err = parse_csv(&format!(
        "{header}P,N,m1,move,true,1,Ann,Ops\nP,N,\"m2,move,true,1,Bo,Ops\n"
    ))
    .unwrap_err();
    assert!(err.at.is_some(), "{err}");

    let err = parse_csv(&format!(
        "{header}P,N,m1,move,true,1,Ann,Ops\nQ,N,m2,move,true,1,Bo,Ops\n"
    ))
    .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("plan_id"));
    assert_eq!(err.at.as_deref(), Some("line 3"));
}

#[test]
fn invalid_moves_are_kept_with_reasons_and_never_pushed() {
    let text = r#"{"schema_version":"1.0","plan_id":"P","plan_name":"N","moves":[
        {"move_id":"a","move_type":"seat","now":true,"employee":{"employee_id":"1","name":"A"},"department":"D",
         "current_seat":{"building_code":"B","floor_code":"1","seat_code":"1"},"new_seat":{"building_code":"B","floor_code":"1","seat_code":"2"}},
        {"move_id":"b","move_type":"move","now":"yes","employee":{"employee_id":"2","name":"B"},"department":"D"},
        {"move_id":"c","move_type":"unseat","now":true,"employee":{"employee_id":"3","name":"C"},
         "current_seat":{"building_code":"B","floor_code":"1","seat_code":"3"},"new_seat":null},
        {"move_id":"d","move_type":"unseat","now":true,"employee":{"employee_id":"4","name":"D"},"department":"D",
         "current_seat":{"building_code":"B","floor_code":"1","seat_code":"4"},"new_seat":null},
        {"move_id":"d","move_type":"unseat","now":true,"employee":{"employee_id":"5","name":"E"},"department":"D",
         "current_seat":{"building_code":"B","floor_code":"1","seat_code":"5"},"new_seat":null},
        {"move_id":"f","move_type":"unseat","now":true,"status":"cancelled","employee":{"employee_id":"6","name":"F"},"department":"D",
         "current_seat":{"building_code":"B","floor_code":"1","seat_code":"6"},"new_seat":null},
        {"move_id":"g","move_type":"unseat","now":false,"move_date":"2030-01-01","employee":{"employee_id":"7","name":"G"},"department":"D",
         "current_seat":{"building_code":"B","floor_code":"1","seat_code":"7"},"new_seat":null}
    ]}"#;
    let plan = parse_json(text).expect("the plan still opens");
    let by_id = |id: &'static str| plan.moves.iter().filter(move |m| m.move_id == id);
    let a = by_id("a").next().expect("a");
    assert_eq!(a.disposition(), Disposition::Invalid);
    assert!(
        a.problems.iter().any(|p| p.at == "moves[0].current_seat"),
        "{:?}",
        a.problems
    );
    let b = by_id("b").next().expect("b");
    assert!(
        b.problems.iter().any(|p| p.at == "moves[1].now"),
        "{:?}",
        b.problems
    );
    let c = by_id("c").next().expect("c");
    assert!(
        c.problems.iter().any(|p| p.at == "moves[2].department"),
        "{:?}",
        c.problems
    );
    assert!(by_id("d").all(|m| m.disposition() == Disposition::Invalid));
    assert_eq!(
        by_id("f").next().map(Move::disposition),
        Some(Disposition::Cancelled)
    );
    assert_eq!(
        by_id("g").next().map(Move::disposition),
        Some(Disposition::Future)
    );
    assert_eq!(plan.now_moves().count(), 0);
}
