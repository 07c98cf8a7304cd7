//! Move plans: reading JSON and CSV exports, validating them, and mapping each now-move
//! to the Case that represents it. Pure: no network, no terminal.

pub mod case;
mod csv;
mod error;
mod json;
mod model;
pub mod synthetic;
pub mod text;
mod validate;

use std::path::Path;

pub use case::{CaseDraft, MapOptions, map_move};
pub use error::PlanError;
pub use model::{
    Disposition, Employee, Move, MoveStatus, MoveType, Person, Plan, PlanCounts, Problem, Seat,
};

/// The two formats a planning system exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    /// By extension, else by the first non-blank byte (`{` means JSON).
    pub fn detect(path: &Path, bytes: &[u8]) -> Format {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("json") => Format::Json,
            Some("csv") => Format::Csv,
            _ => {
                let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
                match body.iter().find(|b| !b.is_ascii_whitespace()) {
                    Some(b'{') | Some(b'[') => Format::Json,
                    _ => Format::Csv,
                }
            }
        }
    }
}

/// Plans larger than this are refused before parsing: no planning export comes near it,
/// and reading it would only exhaust memory.
pub const MAX_PLAN_BYTES: u64 = 512 * 1024 * 1024;

/// Reads, parses and validates a plan from bytes already in memory.
pub fn parse(
    file: &str,
    format: Format,
    bytes: &[u8],
    options: MapOptions,
) -> Result<Plan, PlanError> {
    let mut plan = match format {
        Format::Json => json::read(file, bytes)?,
        Format::Csv => csv::read(file, bytes)?,
    };
    validate::validate(&mut plan, options);
    Ok(plan)
}

/// Reads, parses and validates a plan file.
pub fn load(path: &Path, options: MapOptions) -> Result<Plan, PlanError> {
    let file = path.display().to_string();
    let meta = std::fs::metadata(path)
        .map_err(|err| PlanError::new(&file, format!("cannot open the file: {err}")))?;
    if meta.is_dir() {
        return Err(PlanError::new(&file, "is a directory, not a plan file"));
    }
    if meta.len() > MAX_PLAN_BYTES {
        return Err(PlanError::new(
            &file,
            format!(
                "is {} MiB; moveforce reads plans up to {} MiB",
                meta.len() / (1024 * 1024),
                MAX_PLAN_BYTES / (1024 * 1024)
            ),
        ));
    }
    let bytes = std::fs::read(path)
        .map_err(|err| PlanError::new(&file, format!("cannot read the file: {err}")))?;
    parse(&file, Format::detect(path, &bytes), &bytes, options)
}
