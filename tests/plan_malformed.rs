//! Bad input never crashes the plan readers: truncated, binary, non-UTF-8, oversized, other
//! schema versions, broken CSV quoting, wrong types. Each gets a message naming the file,
//! the place and the reason; property tests throw arbitrary input at both readers.

use std::path::Path;

use moveforce::plan::{self, Format, MapOptions};
use proptest::prelude::*;

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples")
            .join(name),
    )
    .expect("sample")
}

fn parse(format: Format, bytes: &[u8]) -> Result<plan::Plan, plan::PlanError> {
    let file = match format {
        Format::Json => "plan.json",
        Format::Csv => "plan.csv",
    };
    plan::parse(file, format, bytes, MapOptions::default())
}

#[test]
fn every_truncation_of_the_samples_is_read_or_refused_with_a_place() {
    for (name, format) in [
        ("q3-platform-eng.json", Format::Json),
        ("q3-platform-eng.csv", Format::Csv),
    ] {
        let bytes = sample(name);
        for cut in 0..bytes.len() {
            match parse(format, &bytes[..cut]) {
                Ok(plan) => assert!(plan.moves.len() <= 8),
                Err(err) => {
                    assert!(!err.reason.is_empty());
                    assert_eq!(
                        err.file,
                        if format == Format::Json {
                            "plan.json"
                        } else {
                            "plan.csv"
                        }
                    );
                    // Cutting inside a multi-byte character is caught as bad UTF-8 with
                    // its offset; anything else names a line, path or field.
                    assert!(
                        err.at.is_some() || err.field.is_some(),
                        "{name} cut at {cut}: {err}"
                    );
                }
            }
        }
    }
}

#[test]
fn binary_and_non_utf8_files_are_refused_with_the_byte_offset() {
    let mut bytes = sample("q3-platform-eng.csv");
    bytes.insert(300, 0xff);
    let err = parse(Format::Csv, &bytes).expect_err("not UTF-8");
    assert!(err.reason.contains("UTF-8"), "{err}");
    assert!(
        err.at.as_deref().unwrap_or("").contains("byte offset 300"),
        "{err}"
    );

    let err = parse(Format::Json, &[0x00, 0x01, 0xfe, 0x7f, 0x80]).expect_err("binary");
    assert!(err.at.is_some(), "{err}");
    // Latin-1 text, a common wrong export.
    let err = parse(Format::Csv, b"plan_id,plan_name\nP,Caf\xe9\n").expect_err("latin-1");
    assert!(err.reason.contains("UTF-8"), "{err}");
}

#[test]
fn oversized_files_are_refused_before_reading() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("huge.json");
    let file = std::fs::File::create(&path).expect("create");
    file.set_len(plan::MAX_PLAN_BYTES + 1).expect("sparse file");
    let err = plan::load(&path, MapOptions::default()).expect_err("too big");
    assert!(err.reason.contains("MiB"), "{err}");

    let err = plan::load(dir.path(), MapOptions::default()).expect_err("a directory");
    assert!(err.reason.contains("directory"), "{err}");
    let err =
        plan::load(&dir.path().join("missing.csv"), MapOptions::default()).expect_err("missing");
    assert!(err.reason.contains("cannot open"), "{err}");
}

#[test]
fn wrong_types_make_the_move_invalid_not_the_plan() {
    let text = br#"{"schema_version":"1.0","plan_id":"P","plan_name":"N","moves":[
        {"move_id":7,"move_type":["move"],"now":1,"employee":"Ann","department":{},"assets":"one","notes":5,
         "current_seat":"3.041","new_seat":[]},
        "not a move",
        null
    ]}"#;
    let plan = parse(Format::Json, text).expect("the plan opens");
    assert_eq!(plan.moves.len(), 3);
    assert!(plan.moves.iter().all(|m| !m.problems.is_empty()));
    let at: Vec<&str> = plan.moves[0]
        .problems
        .iter()
        .map(|p| p.at.as_str())
        .collect();
    for path in [
        "moves[0].move_id",
        "moves[0].move_type",
        "moves[0].now",
        "moves[0].employee",
        "moves[0].department",
        "moves[0].assets",
        "moves[0].notes",
        "moves[0].current_seat",
        "moves[0].new_seat",
    ] {
        assert!(at.contains(&path), "{path} not named in {at:?}");
    }
    assert_eq!(plan.now_moves().count(), 0);
}

#[test]
fn broken_csv_quoting_names_the_line() {
    let text = "plan_id,plan_name,move_id,move_type,now,employee_id,employee_name,department\n\
                P,N,m1,move,true,1,\"Ann,Ops\nP,N,m2,move,true,2,Bo,Ops\n";
    let err = parse(Format::Csv, text.as_bytes()).expect_err("broken quoting");
    assert!(err.at.as_deref().unwrap_or("").starts_with("line"), "{err}");
    assert!(err.reason.contains("cells"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse(Format::Json, &bytes);
        let _ = parse(Format::Csv, &bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,600}") {
        let _ = parse(Format::Json, text.as_bytes());
        let _ = parse(Format::Csv, text.as_bytes());
    }

    #[test]
    fn csv_with_arbitrary_cells_never_panics(
        cells in prop::collection::vec(prop::collection::vec("[^\u{0}]{0,12}", 8), 0..12)
    ) {
        let mut text = String::from("plan_id,plan_name,move_id,move_type,now,employee_id,employee_name,department\n");
        for row in &cells {
            let quoted: Vec<String> = row.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect();
            text.push_str(&quoted.join(","));
            text.push('\n');
        }
        if let Ok(plan) = parse(Format::Csv, text.as_bytes()) {
            for mv in &plan.moves {
                let _ = plan::map_move(&plan, mv);
            }
        }
    }

    #[test]
    fn moves_with_arbitrary_values_never_panic(
        id in ".{0,300}", name in ".{0,40}", notes in ".{0,1500}", now in any::<bool>(),
        kind in prop_oneof![Just("move"), Just("seat"), Just("unseat"), Just("other")],
    ) {
        let plan = serde_json::json!({"schema_version": "1.0", "plan_id": "P", "plan_name": "N", "moves": [{
            "move_id": id, "move_type": kind, "now": now, "move_date": "2030-01-01",
            "employee": {"employee_id": "1", "name": name}, "department": "D", "notes": notes,
            "current_seat": {"building_code": "B", "floor_code": "1", "seat_code": "1"},
            "new_seat": null
        }]});
        let plan = parse(Format::Json, plan.to_string().as_bytes()).expect("well-formed JSON reads");
        let case = plan::map_move(&plan, &plan.moves[0]);
        prop_assert!(plan::text::utf16_len(&case.subject) <= 255);
        prop_assert!(case.employee_notes.as_deref().map_or(0, plan::text::utf16_len) <= 1024);
    }
}
