//! Checks across fields and moves that the readers cannot make alone: identity, type
//! against seats, dates, duplicates, and lengths against Salesforce's limits.

use std::collections::HashMap;

use super::case::{MapOptions, map_move};
use super::model::{MoveType, Plan};
use super::text::utf16_len;
use crate::spec;

pub fn validate(plan: &mut Plan, options: MapOptions) {
    for mv in &mut plan.moves {
        if !mv.move_id.is_empty() && utf16_len(&mv.move_id) > spec::CUSTOM_FIELDS[0].length {
            let at = mv.at("move_id");
            mv.problem(
                at,
                format!(
                    "is {} UTF-16 units long; ExternalID__c holds at most 255 and a key cannot be cut",
                    utf16_len(&mv.move_id)
                ),
            );
        }

        match mv.move_type {
            Some(MoveType::Move) => {
                if mv.current_seat.is_none() {
                    let at = mv.at("current_seat");
                    mv.problem(
                        at,
                        "a `move` needs a current seat (use `seat` for a new hire)",
                    );
                }
                if mv.new_seat.is_none() {
                    let at = mv.at("new_seat");
                    mv.problem(
                        at,
                        "a `move` needs a new seat (use `unseat` for going remote)",
                    );
                }
            }
            Some(MoveType::Seat) => {
                if mv.current_seat.is_some() {
                    let at = mv.at("current_seat");
                    mv.problem(at, "a `seat` move (new hire) must have no current seat");
                }
                if mv.new_seat.is_none() {
                    let at = mv.at("new_seat");
                    mv.problem(at, "a `seat` move needs a new seat");
                }
            }
            Some(MoveType::Unseat) => {
                if mv.new_seat.is_some() {
                    let at = mv.at("new_seat");
                    mv.problem(at, "an `unseat` move (going remote) must have no new seat");
                }
                if mv.current_seat.is_none() {
                    let at = mv.at("current_seat");
                    mv.problem(at, "an `unseat` move needs a current seat");
                }
            }
            None => {}
        }

        if let Some(date) = &mv.move_date
            && date.parse::<jiff::civil::Date>().is_err()
        {
            let reason = format!("\"{date}\" is not a date like 2025-07-21");
            let at = mv.at("move_date");
            mv.problem(at, reason);
        }
        if mv.now == Some(false) && mv.move_date.is_none() {
            let at = mv.at("move_date");
            mv.problem(at, "a future move (now = false) needs a move date");
        }
        if let Some(stamp) = &mv.updated_at
            && stamp.parse::<jiff::Timestamp>().is_err()
        {
            let reason = format!("\"{stamp}\" is not an RFC 3339 time like 2025-06-12T16:30:11Z");
            let at = mv.at("updated_at");
            mv.problem(at, reason);
        }
    }

    mark_duplicates(plan);

    for index in 0..plan.moves.len() {
        let truncated = map_move(plan, &plan.moves[index]).truncated;
        let mv = &mut plan.moves[index];
        if !truncated.is_empty() && options.strict {
            let at = mv.origin.clone();
            mv.problem(
                at,
                format!(
                    "strict mode: {} over the Salesforce limit and would be cut",
                    truncated.join(", ")
                ),
            );
        }
        mv.truncated = truncated;
    }
}

/// Every move sharing a `move_id` is invalid: pushing one of them would be a guess.
fn mark_duplicates(plan: &mut Plan) {
    let mut seen: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, mv) in plan.moves.iter().enumerate() {
        if !mv.move_id.is_empty() {
            seen.entry(mv.move_id.as_str()).or_default().push(index);
        }
    }
    let mut duplicates: Vec<(usize, String)> = Vec::new();
    for indexes in seen.values().filter(|i| i.len() > 1) {
        let places: Vec<&str> = indexes
            .iter()
            .map(|i| plan.moves[*i].origin.as_str())
            .collect();
        let reason = format!(
            "move_id is shared by {} moves ({}); each must be unique",
            indexes.len(),
            places.join(", ")
        );
        duplicates.extend(indexes.iter().map(|i| (*i, reason.clone())));
    }
    for (index, reason) in duplicates {
        let mv = &mut plan.moves[index];
        let at = mv.at("move_id");
        mv.problem(at, reason);
    }
}
