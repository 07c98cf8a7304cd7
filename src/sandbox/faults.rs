//! Fault injection: seeded random faults on data requests and a queue of forced ones.
//!
//! Random faults are a pure function of (seed, n) where n counts the data requests that
//! reached the fault check, so one seed always gives the same sequence of faults.

use std::collections::VecDeque;

use serde::Deserialize;

/// How a request fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// An HTTP status with a REST error array `[{"message","errorCode"}]`.
    Status {
        status: u16,
        error_code: String,
        message: String,
    },
    /// The server closes the connection without answering.
    Drop,
    /// Inside an sObject Collections upsert or delete, one record fails with
    /// `UNABLE_TO_LOCK_ROW` while the others go through. Other requests are not affected.
    RowLock,
}

impl Fault {
    /// 503 `SERVER_UNAVAILABLE`, as Salesforce answers when overloaded or in maintenance.
    pub fn unavailable() -> Fault {
        Fault::Status {
            status: 503,
            error_code: "SERVER_UNAVAILABLE".into(),
            message: "Server is unavailable. Please try again later.".into(),
        }
    }

    /// Any status and error code, e.g. 401 `INVALID_SESSION_ID` or 500 `UNKNOWN_EXCEPTION`.
    pub fn status(status: u16, error_code: &str, message: &str) -> Fault {
        Fault::Status {
            status,
            error_code: error_code.into(),
            message: message.into(),
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Fault::Status { .. } => "status",
            Fault::Drop => "drop",
            Fault::RowLock => "row_lock",
        }
    }
}

/// Which endpoint a forced fault waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultTarget {
    /// `/services/data/vNN.N/…` calls (the default).
    Data,
    /// `/services/oauth2/token`.
    Token,
}

/// The body of `POST /__sandbox/fault`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRequest {
    pub status: Option<u16>,
    pub error_code: Option<String>,
    pub message: Option<String>,
    pub times: Option<u32>,
    #[serde(default)]
    pub drop: bool,
    #[serde(default)]
    pub row_lock: bool,
    /// "data" (default) or "token".
    pub target: Option<String>,
}

impl FaultRequest {
    /// The fault, how many times, and where; or why the request makes no sense.
    pub fn into_fault(self) -> Result<(Fault, u32, FaultTarget), String> {
        let target = match self.target.as_deref() {
            None | Some("data") => FaultTarget::Data,
            Some("token") => FaultTarget::Token,
            Some(other) => {
                return Err(format!(
                    "target must be \"data\" or \"token\", not {other:?}"
                ));
            }
        };
        let times = self.times.unwrap_or(1);
        let fault = match (self.drop, self.row_lock, self.status) {
            (true, false, None) => Fault::Drop,
            (false, true, None) if target == FaultTarget::Data => Fault::RowLock,
            (false, false, Some(status)) if (400..=599).contains(&status) => {
                let default_code = match status {
                    401 => "INVALID_SESSION_ID",
                    403 => "REQUEST_LIMIT_EXCEEDED",
                    404 => "NOT_FOUND",
                    503 => "SERVER_UNAVAILABLE",
                    500 => "UNKNOWN_EXCEPTION",
                    _ => "UNKNOWN_EXCEPTION",
                };
                let code = self.error_code.unwrap_or_else(|| default_code.to_string());
                let message = self
                    .message
                    .unwrap_or_else(|| format!("Injected fault: {code}"));
                Fault::Status {
                    status,
                    error_code: code,
                    message,
                }
            }
            (false, false, Some(status)) => {
                return Err(format!("status must be 400..=599, not {status}"));
            }
            _ => {
                return Err(
                    "give exactly one of \"status\", \"drop\": true or \"rowLock\": true (rowLock only for data requests)"
                        .into(),
                );
            }
        };
        Ok((fault, times, target))
    }
}

/// What the fault check decided for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Pass,
    Fail(Fault),
    /// Fail one record of the collection; the number picks which.
    LockRow(u64),
}

struct Forced {
    fault: Fault,
    remaining: u32,
    target: FaultTarget,
}

pub struct Faults {
    rate: f64,
    seed: u64,
    draws: u64,
    forced: VecDeque<Forced>,
    injected: u64,
    log: Vec<(u64, &'static str)>,
}

/// Keeps the log bounded in long-running sandboxes.
const LOG_LIMIT: usize = 10_000;

impl Faults {
    pub fn new(rate: f64, seed: u64) -> Faults {
        let rate = if rate.is_finite() {
            rate.clamp(0.0, 1.0)
        } else {
            0.0
        };
        Faults {
            rate,
            seed,
            draws: 0,
            forced: VecDeque::new(),
            injected: 0,
            log: Vec::new(),
        }
    }

    pub fn force(&mut self, fault: Fault, times: u32, target: FaultTarget) {
        if times > 0 {
            self.forced.push_back(Forced {
                fault,
                remaining: times,
                target,
            });
        }
    }

    pub fn clear(&mut self) {
        self.forced.clear();
    }

    pub fn rate(&self) -> f64 {
        self.rate
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn injected(&self) -> u64 {
        self.injected
    }

    /// (data request number, fault kind) for every random or forced fault so far.
    pub fn log(&self) -> &[(u64, &'static str)] {
        &self.log
    }

    fn record(&mut self, n: u64, fault: &Fault) {
        self.injected += 1;
        if self.log.len() < LOG_LIMIT {
            self.log.push((n, fault.label()));
        }
    }

    /// A forced fault for this target, if one is queued and applies.
    fn take_forced(&mut self, target: FaultTarget, collection_write: bool) -> Option<Fault> {
        let position = self
            .forced
            .iter()
            .position(|f| f.target == target && (f.fault != Fault::RowLock || collection_write))?;
        let entry = self.forced.get_mut(position)?;
        let fault = entry.fault.clone();
        entry.remaining -= 1;
        if entry.remaining == 0 {
            self.forced.remove(position);
        }
        Some(fault)
    }

    /// The token endpoint fails only when a fault was forced for it.
    pub fn check_token(&mut self) -> Option<Fault> {
        let fault = self.take_forced(FaultTarget::Token, false)?;
        self.record(u64::MAX, &fault);
        Some(fault)
    }

    /// One data request. `collection_write` is an sObject Collections upsert or delete,
    /// the only place a row-lock failure can show up.
    pub fn check_data(&mut self, collection_write: bool) -> Decision {
        let n = self.draws;
        self.draws += 1;
        let pick = splitmix64(self.seed ^ splitmix64(n));
        let forced = self.take_forced(FaultTarget::Data, collection_write);
        let fault = match forced {
            Some(f) => f,
            None => {
                let uniform = (pick >> 11) as f64 / (1u64 << 53) as f64;
                if uniform >= self.rate {
                    return Decision::Pass;
                }
                let kind = splitmix64(pick);
                let kinds = if collection_write { 3 } else { 2 };
                match kind % kinds {
                    0 => Fault::unavailable(),
                    1 => Fault::Drop,
                    _ => Fault::RowLock,
                }
            }
        };
        self.record(n, &fault);
        match fault {
            Fault::RowLock => Decision::LockRow(splitmix64(pick ^ 0x9e37_79b9)),
            other => Decision::Fail(other),
        }
    }
}

/// SplitMix64: small, fast and well mixed; enough for reproducible fault sequences.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seed: u64, rate: f64) -> Vec<Decision> {
        let mut f = Faults::new(rate, seed);
        (0..500).map(|i| f.check_data(i % 2 == 0)).collect()
    }

    #[test]
    fn same_seed_same_sequence() {
        assert_eq!(run(7, 0.3), run(7, 0.3));
        assert_ne!(run(7, 0.3), run(8, 0.3));
        let faults = run(7, 0.3).iter().filter(|d| **d != Decision::Pass).count();
        assert!((100..200).contains(&faults), "{faults}");
        assert!(run(1, 0.0).iter().all(|d| *d == Decision::Pass));
        assert!(run(1, 1.0).iter().all(|d| *d != Decision::Pass));
    }

    #[test]
    fn row_locks_only_on_collection_writes() {
        let mut f = Faults::new(1.0, 3);
        for _ in 0..200 {
            assert!(!matches!(f.check_data(false), Decision::LockRow(_)));
        }
        let locks = (0..300)
            .filter(|_| matches!(f.check_data(true), Decision::LockRow(_)))
            .count();
        assert!(locks > 50, "{locks}");
    }

    #[test]
    fn forced_faults_come_first_and_run_out() {
        let mut f = Faults::new(0.0, 0);
        f.force(Fault::RowLock, 1, FaultTarget::Data);
        f.force(Fault::unavailable(), 2, FaultTarget::Data);
        assert_eq!(f.check_data(false), Decision::Fail(Fault::unavailable()));
        assert!(matches!(f.check_data(true), Decision::LockRow(_)));
        assert_eq!(f.check_data(true), Decision::Fail(Fault::unavailable()));
        assert_eq!(f.check_data(true), Decision::Pass);
        assert_eq!(f.check_token(), None);
        f.force(Fault::Drop, 1, FaultTarget::Token);
        assert_eq!(f.check_data(false), Decision::Pass);
        assert_eq!(f.check_token(), Some(Fault::Drop));
        assert_eq!(f.injected(), 4);
    }

    #[test]
    fn fault_requests_parse() {
        let parse = |s: &str| {
            serde_json::from_str::<FaultRequest>(s)
                .map_err(|e| e.to_string())
                .and_then(FaultRequest::into_fault)
        };
        assert_eq!(
            parse(r#"{"status":503,"times":3}"#),
            Ok((Fault::unavailable_injected(), 3, FaultTarget::Data))
        );
        assert_eq!(
            parse(r#"{"drop":true,"target":"token"}"#),
            Ok((Fault::Drop, 1, FaultTarget::Token))
        );
        assert!(parse(r#"{"rowLock":true,"target":"token"}"#).is_err());
        assert!(parse(r#"{"status":200}"#).is_err());
        assert!(parse(r#"{"status":503,"drop":true}"#).is_err());
        assert!(parse(r#"{"bogus":1}"#).is_err());
    }

    impl Fault {
        fn unavailable_injected() -> Fault {
            Fault::status(
                503,
                "SERVER_UNAVAILABLE",
                "Injected fault: SERVER_UNAVAILABLE",
            )
        }
    }
}
