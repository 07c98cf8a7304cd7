//! Reading a plan from JSON (format doc: `schema_version` "1.0").
//!
//! The document is parsed into a `serde_json::Value` first so that every problem can be
//! named by its JSON path; a wrong value inside one move makes that move invalid instead
//! of refusing the whole plan.

use serde_json::{Map, Value};

use super::error::{PlanError, require_utf8};
use super::model::{Employee, Move, MoveStatus, MoveType, Person, Plan, Seat};

pub const SCHEMA_VERSION: &str = "1.0";

/// The document as streamed: the top-level keys other than `moves` (small), and the moves
/// already turned into [`Move`]s one at a time, so a 100,000-move plan never exists as one
/// JSON tree in memory.
enum Document {
    Object {
        top: Map<String, Value>,
        /// `None` when there was no `moves` key; `Err(kind)` when it was not an array.
        moves: Option<Result<Vec<Move>, &'static str>>,
    },
    /// The top level was not an object: which kind it was.
    NotObject(&'static str),
}

struct DocumentVisitor;

impl<'de> serde::de::Visitor<'de> for DocumentVisitor {
    type Value = Document;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a move plan object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Document, A::Error> {
        let mut top = Map::new();
        let mut moves = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "moves" {
                moves = Some(map.next_value_seed(MovesSeed)?);
            } else {
                let value: Value = map.next_value()?;
                top.insert(key, value);
            }
        }
        Ok(Document::Object { top, moves })
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Document, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Document::NotObject("an array"))
    }

    fn visit_str<E>(self, _: &str) -> Result<Document, E> {
        Ok(Document::NotObject("a string"))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Document, E> {
        Ok(Document::NotObject("a boolean"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Document, E> {
        Ok(Document::NotObject("a number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Document, E> {
        Ok(Document::NotObject("a number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Document, E> {
        Ok(Document::NotObject("a number"))
    }

    fn visit_unit<E>(self) -> Result<Document, E> {
        Ok(Document::NotObject("null"))
    }
}

/// Reads the `moves` array element by element: each move is a small JSON tree, turned into a
/// [`Move`] and dropped before the next is read.
struct MovesSeed;

impl<'de> serde::de::DeserializeSeed<'de> for MovesSeed {
    type Value = Result<Vec<Move>, &'static str>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(MovesVisitor)
    }
}

struct MovesVisitor;

impl<'de> serde::de::Visitor<'de> for MovesVisitor {
    type Value = Result<Vec<Move>, &'static str>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of moves")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut moves = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(value) = seq.next_element::<Value>()? {
            moves.push(read_move(moves.len(), &value));
        }
        Ok(Ok(moves))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(Err("an object"))
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Err("a string"))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Err("a boolean"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Err("a number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Err("a number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Err("a number"))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Err("null"))
    }
}

pub fn read(file: &str, bytes: &[u8]) -> Result<Plan, PlanError> {
    let text = require_utf8(file, bytes)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let syntax = |err: serde_json::Error| {
        PlanError::new(file, format!("not valid JSON: {}", json_reason(&err))).at(format!(
            "line {}, column {}",
            err.line(),
            err.column()
        ))
    };
    let mut stream = serde_json::Deserializer::from_str(text);
    let document =
        serde::Deserializer::deserialize_any(&mut stream, DocumentVisitor).map_err(syntax)?;
    stream.end().map_err(syntax)?;
    let (root, moves) = match document {
        Document::Object { top, moves } => (top, moves),
        Document::NotObject(found) => {
            return Err(PlanError::new(
                file,
                format!("expected a JSON object at the top level, found {found}"),
            )
            .at("$"));
        }
    };

    match root.get("schema_version") {
        Some(Value::String(v)) if v == SCHEMA_VERSION => {}
        Some(Value::String(v)) => {
            return Err(PlanError::new(
                file,
                format!(
                    "schema version \"{v}\" is not supported; this moveforce reads \"{SCHEMA_VERSION}\""
                ),
            )
            .at("$.schema_version"));
        }
        Some(other) => {
            return Err(PlanError::new(
                file,
                format!(
                    "expected a string like \"{SCHEMA_VERSION}\", found {}",
                    kind(other)
                ),
            )
            .at("$.schema_version"));
        }
        None => {
            return Err(PlanError::new(file, "missing; expected \"1.0\"").at("$.schema_version"));
        }
    }

    let plan_id = required_top_string(file, &root, "plan_id")?;
    let plan_name = required_top_string(file, &root, "plan_name")?;
    let moves = match moves {
        Some(Ok(moves)) => moves,
        Some(Err(found)) => {
            return Err(
                PlanError::new(file, format!("expected an array of moves, found {found}"))
                    .at("$.moves"),
            );
        }
        None => {
            return Err(PlanError::new(file, "missing; expected an array of moves").at("$.moves"));
        }
    };

    let exported_by = match root.get("exported_by") {
        Some(Value::Object(person)) => Some(Person {
            name: person
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned),
            email: person
                .get("email")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }),
        _ => None,
    };

    Ok(Plan {
        plan_id,
        plan_name,
        source_system: optional_top_string(&root, "source_system"),
        plan_timezone: optional_top_string(&root, "plan_timezone"),
        plan_effective_date: optional_top_string(&root, "plan_effective_date"),
        exported_at: optional_top_string(&root, "exported_at"),
        exported_by,
        moves,
    })
}

fn json_reason(err: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; the location is reported separately.
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

fn required_top_string(
    file: &str,
    root: &Map<String, Value>,
    key: &str,
) -> Result<String, PlanError> {
    match root.get(key) {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(text.clone()),
        Some(Value::String(_)) => Err(PlanError::new(file, "is empty").at(format!("$.{key}"))),
        Some(other) => Err(PlanError::new(
            file,
            format!("expected a string, found {}", kind(other)),
        )
        .at(format!("$.{key}"))),
        None => Err(PlanError::new(file, "missing; every plan needs one").at(format!("$.{key}"))),
    }
}

fn optional_top_string(root: &Map<String, Value>, key: &str) -> Option<String> {
    root.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads fields of one JSON object, recording problems on the move as it goes.
struct Fields<'a> {
    object: Option<&'a Map<String, Value>>,
    path: String,
}

impl<'a> Fields<'a> {
    fn path_of(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.object.and_then(|object| object.get(key))
    }

    /// A string that must be present and non-empty.
    fn required(&self, mv: &mut Move, key: &str) -> String {
        match self.get(key) {
            Some(Value::String(text)) if !text.trim().is_empty() => text.clone(),
            Some(Value::String(_)) => {
                mv.problem(self.path_of(key), "is empty");
                String::new()
            }
            Some(Value::Null) | None => {
                mv.problem(self.path_of(key), "missing (required)");
                String::new()
            }
            Some(other) => {
                mv.problem(
                    self.path_of(key),
                    format!("expected a string, found {}", kind(other)),
                );
                String::new()
            }
        }
    }

    /// A string that may be absent, null or empty.
    fn optional(&self, mv: &mut Move, key: &str) -> Option<String> {
        match self.get(key) {
            Some(Value::String(text)) if !text.is_empty() => Some(text.clone()),
            Some(Value::String(_)) | Some(Value::Null) | None => None,
            Some(other) => {
                mv.problem(
                    self.path_of(key),
                    format!("expected a string or null, found {}", kind(other)),
                );
                None
            }
        }
    }
}

fn read_move(index: usize, value: &Value) -> Move {
    let path = format!("moves[{index}]");
    let mut mv = Move::blank(path.clone());
    let Value::Object(object) = value else {
        mv.problem(
            &path,
            format!("expected a move object, found {}", kind(value)),
        );
        return mv;
    };
    let fields = Fields {
        object: Some(object),
        path: path.clone(),
    };

    // move_id is kept byte for byte: it becomes ExternalID__c.
    mv.move_id = match fields.get("move_id") {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => {
            mv.problem(
                fields.path_of("move_id"),
                format!(
                    "expected a string, found the number {number}; quote it so no digit is lost"
                ),
            );
            number.to_string()
        }
        Some(other) => {
            mv.problem(
                fields.path_of("move_id"),
                format!("expected a string, found {}", kind(other)),
            );
            String::new()
        }
        None => {
            mv.problem(fields.path_of("move_id"), "missing (required)");
            String::new()
        }
    };

    let move_type = fields.required(&mut mv, "move_type");
    if !move_type.is_empty() {
        mv.move_type = MoveType::parse(&move_type);
        if mv.move_type.is_none() {
            mv.problem(
                fields.path_of("move_type"),
                format!("\"{move_type}\" is not one of move, seat, unseat"),
            );
        }
    }

    mv.now = match fields.get("now") {
        Some(Value::Bool(now)) => Some(*now),
        Some(Value::Null) | None => {
            mv.problem(fields.path_of("now"), "missing (required): true or false");
            None
        }
        Some(other) => {
            mv.problem(
                fields.path_of("now"),
                format!("expected true or false, found {}", kind(other)),
            );
            None
        }
    };

    mv.move_date = fields.optional(&mut mv, "move_date");
    if let Some(status) = fields.optional(&mut mv, "status") {
        match MoveStatus::parse(&status) {
            Some(parsed) => mv.status = parsed,
            None => mv.problem(
                fields.path_of("status"),
                format!("\"{status}\" is not one of scheduled, completed, cancelled"),
            ),
        }
    }
    mv.updated_at = fields.optional(&mut mv, "updated_at");

    let employee_path = fields.path_of("employee");
    match object.get("employee") {
        Some(Value::Object(employee)) => {
            let employee_fields = Fields {
                object: Some(employee),
                path: employee_path,
            };
            let employee_id = match employee.get("employee_id") {
                // Numbers are accepted but flagged: leading zeros may already be gone.
                Some(Value::Number(number)) => {
                    mv.problem(
                        employee_fields.path_of("employee_id"),
                        format!("expected a string, found the number {number}; leading zeros may have been lost"),
                    );
                    number.to_string()
                }
                _ => employee_fields.required(&mut mv, "employee_id"),
            };
            mv.employee = Employee {
                employee_id,
                name: employee_fields.required(&mut mv, "name"),
                email: employee_fields.optional(&mut mv, "email"),
            };
        }
        Some(Value::Null) | None => mv.problem(employee_path, "missing (required)"),
        Some(other) => mv.problem(
            employee_path,
            format!("expected an object, found {}", kind(other)),
        ),
    }

    mv.department = fields.required(&mut mv, "department");
    mv.team = fields.optional(&mut mv, "team");
    mv.current_seat = read_seat(&mut mv, &fields, "current_seat");
    mv.new_seat = read_seat(&mut mv, &fields, "new_seat");

    match object.get("assets") {
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(text) => mv.assets.push(text.clone()),
                    other => mv.problem(
                        format!("{path}.assets[{i}]"),
                        format!("expected a string, found {}", kind(other)),
                    ),
                }
            }
        }
        Some(Value::Null) | None => {}
        Some(other) => mv.problem(
            fields.path_of("assets"),
            format!("expected an array of strings, found {}", kind(other)),
        ),
    }
    mv.notes = fields.optional(&mut mv, "notes").unwrap_or_default();
    mv
}

fn read_seat(mv: &mut Move, fields: &Fields<'_>, key: &str) -> Option<Seat> {
    let path = fields.path_of(key);
    match fields.get(key) {
        Some(Value::Null) | None => None,
        Some(Value::Object(seat)) => {
            let seat_fields = Fields {
                object: Some(seat),
                path,
            };
            Some(Seat {
                building_code: seat_fields.required(mv, "building_code"),
                building_name: seat_fields.optional(mv, "building_name"),
                floor_code: seat_fields.required(mv, "floor_code"),
                seat_code: seat_fields.required(mv, "seat_code"),
            })
        }
        Some(other) => {
            mv.problem(
                path,
                format!("expected a seat object or null, found {}", kind(other)),
            );
            None
        }
    }
}
