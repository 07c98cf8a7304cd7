//! The move plan as moveforce holds it once read: every move, valid or not, with the
//! reasons that make a move unpushable.

use std::fmt;

/// A whole move plan, read from one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub plan_id: String,
    pub plan_name: String,
    pub source_system: Option<String>,
    pub plan_timezone: Option<String>,
    pub plan_effective_date: Option<String>,
    pub exported_at: Option<String>,
    pub exported_by: Option<Person>,
    pub moves: Vec<Move>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Person {
    pub name: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveType {
    /// From one seat to another.
    Move,
    /// A new hire: no current seat.
    Seat,
    /// Going remote: no new seat.
    Unseat,
}

impl MoveType {
    pub fn parse(text: &str) -> Option<MoveType> {
        match text {
            "move" => Some(MoveType::Move),
            "seat" => Some(MoveType::Seat),
            "unseat" => Some(MoveType::Unseat),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MoveType::Move => "move",
            MoveType::Seat => "seat",
            MoveType::Unseat => "unseat",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MoveStatus {
    #[default]
    Scheduled,
    Completed,
    Cancelled,
}

impl MoveStatus {
    pub fn parse(text: &str) -> Option<MoveStatus> {
        match text {
            "scheduled" => Some(MoveStatus::Scheduled),
            "completed" => Some(MoveStatus::Completed),
            "cancelled" => Some(MoveStatus::Cancelled),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MoveStatus::Scheduled => "scheduled",
            MoveStatus::Completed => "completed",
            MoveStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Employee {
    /// Kept as text: leading zeros matter.
    pub employee_id: String,
    pub name: String,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Seat {
    pub building_code: String,
    /// Only JSON plans carry it; CSV has no column for it.
    pub building_name: Option<String>,
    pub floor_code: String,
    pub seat_code: String,
}

impl Seat {
    /// The label written to Salesforce: building, floor and seat code joined with ` · `
    /// (never `/`, which seat codes themselves use).
    pub fn label(&self) -> String {
        format!(
            "{} · {} · {}",
            self.building_code, self.floor_code, self.seat_code
        )
    }
}

/// Why a move cannot be pushed (or, for moves that are never pushed, what is off about it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where in the file: a JSON path (`moves[2].now`) or a CSV cell (`line 4, column now`).
    pub at: String,
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.reason)
    }
}

/// What moveforce does with a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Disposition {
    /// A valid now-move: pushed as a Case.
    Now,
    /// Scheduled for later: shown, never pushed.
    Future,
    /// Cancelled: shown, never pushed.
    Cancelled,
    /// Has problems: shown with its reasons, never pushed.
    Invalid,
}

impl Disposition {
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Now => "now",
            Disposition::Future => "future",
            Disposition::Cancelled => "cancelled",
            Disposition::Invalid => "invalid",
        }
    }
}

/// One move of the plan. Required fields that were missing are empty here and named in
/// `problems`, so an invalid move can still be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// Where the move starts in the file (`moves[3]` or `line 5`), for messages.
    pub origin: String,
    pub move_id: String,
    pub move_type: Option<MoveType>,
    /// `None` when the file did not say (a problem of the move).
    pub now: Option<bool>,
    pub move_date: Option<String>,
    pub status: MoveStatus,
    pub updated_at: Option<String>,
    pub employee: Employee,
    pub department: String,
    pub team: Option<String>,
    pub current_seat: Option<Seat>,
    pub new_seat: Option<Seat>,
    pub assets: Vec<String>,
    pub notes: String,
    pub problems: Vec<Problem>,
    /// Fields whose value is over Salesforce's limit and will be cut (full text kept in the
    /// Description). Filled in by validation.
    pub truncated: Vec<&'static str>,
}

impl Move {
    /// An empty move at `origin`, to be filled in by a reader.
    pub fn blank(origin: String) -> Move {
        Move {
            origin,
            move_id: String::new(),
            move_type: None,
            now: None,
            move_date: None,
            status: MoveStatus::Scheduled,
            updated_at: None,
            employee: Employee::default(),
            department: String::new(),
            team: None,
            current_seat: None,
            new_seat: None,
            assets: Vec::new(),
            notes: String::new(),
            problems: Vec::new(),
            truncated: Vec::new(),
        }
    }

    /// Where `field` of this move is in the file: `moves[3].now` or `line 5, column now`.
    pub fn at(&self, field: &str) -> String {
        if self.origin.starts_with("line ") {
            format!("{}, column {field}", self.origin)
        } else {
            format!("{}.{field}", self.origin)
        }
    }

    pub fn problem(&mut self, at: impl Into<String>, reason: impl Into<String>) {
        self.problems.push(Problem {
            at: at.into(),
            reason: reason.into(),
        });
    }

    /// Cancelled and future moves are never pushed, whatever else is true of them; a
    /// now-move is pushed only when it has no problem.
    pub fn disposition(&self) -> Disposition {
        if self.status == MoveStatus::Cancelled {
            return Disposition::Cancelled;
        }
        match self.now {
            Some(false) => Disposition::Future,
            Some(true) if self.problems.is_empty() => Disposition::Now,
            _ => Disposition::Invalid,
        }
    }

    /// The employee's name, or a placeholder when the file had none.
    pub fn employee_label(&self) -> &str {
        if self.employee.name.is_empty() {
            "(no name)"
        } else {
            &self.employee.name
        }
    }
}

/// Counts by disposition, for headers and summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanCounts {
    pub now: usize,
    pub future: usize,
    pub cancelled: usize,
    pub invalid: usize,
    /// Now-moves that will be pushed with a value cut to its limit.
    pub truncated: usize,
}

impl Plan {
    pub fn counts(&self) -> PlanCounts {
        let mut counts = PlanCounts::default();
        for mv in &self.moves {
            match mv.disposition() {
                Disposition::Now => {
                    counts.now += 1;
                    if !mv.truncated.is_empty() {
                        counts.truncated += 1;
                    }
                }
                Disposition::Future => counts.future += 1,
                Disposition::Cancelled => counts.cancelled += 1,
                Disposition::Invalid => counts.invalid += 1,
            }
        }
        counts
    }

    /// The moves that will be pushed.
    pub fn now_moves(&self) -> impl Iterator<Item = &Move> {
        self.moves
            .iter()
            .filter(|mv| mv.disposition() == Disposition::Now)
    }
}
