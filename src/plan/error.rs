use std::fmt;

/// A plan file that cannot be read at all: nothing from it is shown or sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PlanError {
    /// The file, as the operator named it.
    pub file: String,
    /// Line (CSV, JSON syntax), JSON path, or byte offset.
    pub at: Option<String>,
    /// The field concerned, when there is one.
    pub field: Option<String>,
    pub reason: String,
}

impl PlanError {
    pub fn new(file: &str, reason: impl Into<String>) -> PlanError {
        PlanError {
            file: file.to_owned(),
            at: None,
            field: None,
            reason: reason.into(),
        }
    }

    pub fn at(mut self, at: impl Into<String>) -> PlanError {
        self.at = Some(at.into());
        self
    }

    pub fn field(mut self, field: impl Into<String>) -> PlanError {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(at) = &self.at {
            write!(f, ": {at}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Checks that the bytes are UTF-8, naming the byte offset and line of the first bad byte.
pub(crate) fn require_utf8<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, PlanError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(err) => {
            let offset = err.valid_up_to();
            let line = 1 + bytes[..offset].iter().filter(|b| **b == b'\n').count();
            Err(PlanError::new(
                file,
                "the file is not valid UTF-8 text; re-export it as UTF-8",
            )
            .at(format!("line {line}, byte offset {offset}")))
        }
    }
}
