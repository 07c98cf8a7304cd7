//! The ledger: a durable record, in SQLite, of every Case moveforce created or updated and
//! every undo, per plan, org and user. Undo works from here, never from the plan file.
//!
//! Each batch's results are written in one transaction with `synchronous=FULL`, so once a
//! batch is acknowledged the Ids of the Cases it created survive a crash or power loss.

mod lock;

use std::path::Path;

pub use lock::{LockError, PlanLock};
use rusqlite::{Connection, OptionalExtension, params};

/// Where a Case the ledger knows stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseState {
    /// Created or updated by a push and not undone since.
    Pushed,
    /// Removed by an undo (or found already gone).
    Deleted,
}

impl CaseState {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Pushed => "pushed",
            CaseState::Deleted => "deleted",
        }
    }

    fn parse(text: &str) -> CaseState {
        if text == "deleted" {
            CaseState::Deleted
        } else {
            CaseState::Pushed
        }
    }
}

/// One Case as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerCase {
    pub plan_id: String,
    pub move_id: String,
    pub org_id: String,
    pub case_id: String,
    pub case_number: Option<String>,
    pub state: CaseState,
    /// What the last action did: created, updated, deleted, already_gone.
    pub last_action: String,
    /// When the last action was recorded (RFC 3339, UTC).
    pub at: String,
    pub username: String,
}

/// Who did it and where: stamped on every entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub org_id: String,
    pub username: String,
    pub instance_url: String,
}

/// One push outcome to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushEntry {
    pub move_id: String,
    pub case_id: String,
    pub created: bool,
}

/// What was about to be sent when an intent was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntentAction {
    /// An upsert of the move (key = move id).
    Push,
    /// A delete of the Case (key = Case Id).
    Undo,
}

impl IntentAction {
    pub fn as_str(self) -> &'static str {
        match self {
            IntentAction::Push => "push",
            IntentAction::Undo => "undo",
        }
    }
}

/// A request that was sent, or about to be, whose outcome was never recorded: the process
/// died, the machine was lost or the network cut in between. Settled by asking Salesforce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    pub org_id: String,
    pub action: IntentAction,
    /// Move id (push) or Case Id (undo).
    pub key: String,
    pub at: String,
}

/// A summary of one plan in the ledger, for `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanSummary {
    pub plan_id: String,
    pub plan_name: String,
    pub org_id: String,
    pub pushed: usize,
    pub deleted: usize,
    pub last_at: String,
}

#[derive(Debug, thiserror::Error)]
#[error("ledger {path}: {reason}")]
pub struct LedgerError {
    pub path: String,
    pub reason: String,
}

pub struct Ledger {
    conn: Connection,
    path: String,
    /// Where plan locks live: beside the ledger file.
    lock_dir: std::path::PathBuf,
}

fn now() -> String {
    format!("{:.3}", jiff::Timestamp::now())
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS plans (
    plan_id   TEXT NOT NULL,
    org_id    TEXT NOT NULL,
    plan_name TEXT NOT NULL,
    first_at  TEXT NOT NULL,
    PRIMARY KEY (plan_id, org_id)
);
CREATE TABLE IF NOT EXISTS cases (
    plan_id      TEXT NOT NULL,
    move_id      TEXT NOT NULL,
    org_id       TEXT NOT NULL,
    case_id      TEXT NOT NULL,
    case_number  TEXT,
    state        TEXT NOT NULL,
    last_action  TEXT NOT NULL,
    at           TEXT NOT NULL,
    username     TEXT NOT NULL,
    instance_url TEXT NOT NULL,
    PRIMARY KEY (plan_id, move_id, org_id)
);
CREATE INDEX IF NOT EXISTS cases_by_id ON cases (org_id, case_id);
CREATE TABLE IF NOT EXISTS intents (
    plan_id TEXT NOT NULL,
    org_id  TEXT NOT NULL,
    action  TEXT NOT NULL,
    key     TEXT NOT NULL,
    at      TEXT NOT NULL,
    PRIMARY KEY (plan_id, org_id, action, key)
);
CREATE TABLE IF NOT EXISTS events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    plan_id    TEXT NOT NULL,
    move_id    TEXT NOT NULL,
    org_id     TEXT NOT NULL,
    username   TEXT NOT NULL,
    action     TEXT NOT NULL,
    case_id    TEXT,
    error      TEXT
);
";

impl Ledger {
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        let shown = path.display().to_string();
        let fail = |reason: String| LedgerError {
            path: shown.clone(),
            reason,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| fail(format!("cannot create its folder: {e}")))?;
        }
        let conn = Connection::open(path).map_err(|e| fail(e.to_string()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| fail(e.to_string()))?;
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")
            .map_err(|e| fail(e.to_string()))?;
        conn.execute_batch(SCHEMA)
            .map_err(|e| fail(e.to_string()))?;
        let lock_dir = path.parent().unwrap_or(Path::new(".")).join("locks");
        Ok(Ledger {
            conn,
            path: shown,
            lock_dir,
        })
    }

    fn err(&self, e: rusqlite::Error) -> LedgerError {
        LedgerError {
            path: self.path.clone(),
            reason: e.to_string(),
        }
    }

    /// Runs `work` in one transaction, committed (fsynced) only if all of it succeeded.
    fn write<T>(
        &mut self,
        work: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, LedgerError> {
        let path = &self.path;
        let fail = |e: rusqlite::Error| LedgerError {
            path: path.clone(),
            reason: e.to_string(),
        };
        let tx = self.conn.transaction().map_err(fail)?;
        let value = work(&tx).map_err(fail)?;
        tx.commit().map_err(fail)?;
        Ok(value)
    }

    /// Records one batch of push outcomes (successes and failures) in one transaction.
    pub fn record_push(
        &mut self,
        plan_id: &str,
        plan_name: &str,
        actor: &Actor,
        pushed: &[PushEntry],
        failed: &[(String, String)],
    ) -> Result<(), LedgerError> {
        let at = now();
        self.write(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO plans (plan_id, org_id, plan_name, first_at) VALUES (?1, ?2, ?3, ?4)",
                params![plan_id, actor.org_id, plan_name, at],
            )?;
            {
                let mut upsert = tx.prepare_cached(
                    "INSERT INTO cases (plan_id, move_id, org_id, case_id, case_number, state, last_action, at, username, instance_url)
                     VALUES (?1, ?2, ?3, ?4, NULL, 'pushed', ?5, ?6, ?7, ?8)
                     ON CONFLICT (plan_id, move_id, org_id) DO UPDATE SET
                        case_number = CASE WHEN cases.case_id = excluded.case_id THEN cases.case_number ELSE NULL END,
                        case_id = excluded.case_id, state = 'pushed', last_action = excluded.last_action,
                        at = excluded.at, username = excluded.username, instance_url = excluded.instance_url",
                )?;
                let mut event = tx.prepare_cached(
                    "INSERT INTO events (at, plan_id, move_id, org_id, username, action, case_id, error)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?;
                for entry in pushed {
                    let action = if entry.created { "created" } else { "updated" };
                    upsert.execute(params![
                        plan_id,
                        entry.move_id,
                        actor.org_id,
                        entry.case_id,
                        action,
                        at,
                        actor.username,
                        actor.instance_url
                    ])?;
                    event.execute(params![
                        at,
                        plan_id,
                        entry.move_id,
                        actor.org_id,
                        actor.username,
                        action,
                        entry.case_id,
                        Option::<String>::None
                    ])?;
                }
                let mut clear = tx.prepare_cached(
                    "DELETE FROM intents WHERE plan_id = ?1 AND org_id = ?2 AND action = 'push' AND key = ?3",
                )?;
                for move_id in pushed
                    .iter()
                    .map(|e| &e.move_id)
                    .chain(failed.iter().map(|f| &f.0))
                {
                    clear.execute(params![plan_id, actor.org_id, move_id])?;
                }
                for (move_id, error) in failed {
                    event.execute(params![
                        at,
                        plan_id,
                        move_id,
                        actor.org_id,
                        actor.username,
                        "push_failed",
                        Option::<String>::None,
                        error
                    ])?;
                }
            }
            Ok(())
        })
    }

    /// Fills in CaseNumbers learned after the push (the upsert answer does not carry them).
    pub fn record_case_numbers(
        &mut self,
        org_id: &str,
        numbers: &[(String, String)],
    ) -> Result<(), LedgerError> {
        self.write(|tx| {
            {
                let mut update = tx.prepare_cached(
                    "UPDATE cases SET case_number = ?1 WHERE org_id = ?2 AND case_id = ?3",
                )?;
                for (case_id, number) in numbers {
                    update.execute(params![number, org_id, case_id])?;
                }
            }
            Ok(())
        })
    }

    /// Records one batch of undo outcomes: `(case_id, action)` where action is `deleted`,
    /// `already_gone`, or `undo_failed` with an error.
    pub fn record_undo(
        &mut self,
        plan_id: &str,
        actor: &Actor,
        outcomes: &[(String, &str, Option<String>)],
    ) -> Result<(), LedgerError> {
        let at = now();
        self.write(|tx| {
            {
                let mut mark = tx
                    .prepare_cached(
                        "UPDATE cases SET state = 'deleted', last_action = ?1, at = ?2, username = ?3
                         WHERE plan_id = ?4 AND org_id = ?5 AND case_id = ?6",
                    )?;
                let mut find = tx
                    .prepare_cached(
                        "SELECT move_id FROM cases WHERE plan_id = ?1 AND org_id = ?2 AND case_id = ?3",
                    )?;
                let mut event = tx
                    .prepare_cached(
                        "INSERT INTO events (at, plan_id, move_id, org_id, username, action, case_id, error)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    )?;
                let mut clear = tx
                    .prepare_cached(
                        "DELETE FROM intents WHERE plan_id = ?1 AND org_id = ?2 AND action = 'undo' AND key = ?3",
                    )?;
                for (case_id, action, error) in outcomes {
                    clear
                        .execute(params![plan_id, actor.org_id, case_id])?;
                    let move_id: String = find
                        .query_row(params![plan_id, actor.org_id, case_id], |row| row.get(0))
                        .optional()?
                        .unwrap_or_default();
                    if error.is_none() {
                        mark.execute(params![
                            action,
                            at,
                            actor.username,
                            plan_id,
                            actor.org_id,
                            case_id
                        ])?;
                    }
                    event
                        .execute(params![
                            at,
                            plan_id,
                            move_id,
                            actor.org_id,
                            actor.username,
                            action,
                            case_id,
                            error
                        ])?;
                }
            }
            Ok(())
        })
    }

    /// Writes, before a batch is sent, which moves (or Cases) it carries. Cleared in the
    /// same transaction that records the batch's results; what is left after a crash is
    /// exactly what must be settled.
    pub fn record_intent(
        &mut self,
        plan_id: &str,
        plan_name: &str,
        org_id: &str,
        action: IntentAction,
        keys: &[String],
    ) -> Result<(), LedgerError> {
        let at = now();
        self.write(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO plans (plan_id, org_id, plan_name, first_at) VALUES (?1, ?2, ?3, ?4)",
                params![plan_id, org_id, plan_name, at],
            )?;
            {
                let mut insert = tx
                    .prepare_cached(
                        "INSERT OR REPLACE INTO intents (plan_id, org_id, action, key, at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?;
                for key in keys {
                    insert
                        .execute(params![plan_id, org_id, action.as_str(), key, at])?;
                }
            }
            Ok(())
        })
    }

    /// Drops intents of requests that were certainly never sent.
    pub fn clear_intents(
        &mut self,
        plan_id: &str,
        org_id: &str,
        action: IntentAction,
        keys: &[String],
    ) -> Result<(), LedgerError> {
        self.write(|tx| {
            {
                let mut clear = tx
                    .prepare_cached(
                        "DELETE FROM intents WHERE plan_id = ?1 AND org_id = ?2 AND action = ?3 AND key = ?4",
                    )?;
                for key in keys {
                    clear
                        .execute(params![plan_id, org_id, action.as_str(), key])?;
                }
            }
            Ok(())
        })
    }

    /// Requests of the plan whose outcome is unknown, in any org.
    pub fn pending_intents(&self, plan_id: &str) -> Result<Vec<Intent>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT org_id, action, key, at FROM intents WHERE plan_id = ?1 ORDER BY action, key",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![plan_id], |row| {
                let action: String = row.get(1)?;
                Ok(Intent {
                    org_id: row.get(0)?,
                    action: if action == "undo" {
                        IntentAction::Undo
                    } else {
                        IntentAction::Push
                    },
                    key: row.get(2)?,
                    at: row.get(3)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Settles push intents with what Salesforce holds: `found` moves have a Case (recorded
    /// as pushed, action `found`); `absent` moves were never created. Both intents cleared.
    pub fn settle_push(
        &mut self,
        plan_id: &str,
        actor: &Actor,
        found: &[(String, String, Option<String>)],
        absent: &[String],
    ) -> Result<(), LedgerError> {
        let at = now();
        self.write(|tx| {
            {
                let mut upsert = tx
                    .prepare_cached(
                        "INSERT INTO cases (plan_id, move_id, org_id, case_id, case_number, state, last_action, at, username, instance_url)
                         VALUES (?1, ?2, ?3, ?4, ?5, 'pushed', 'found', ?6, ?7, ?8)
                         ON CONFLICT (plan_id, move_id, org_id) DO UPDATE SET
                            case_id = excluded.case_id, case_number = excluded.case_number, state = 'pushed',
                            last_action = 'found', at = excluded.at, username = excluded.username,
                            instance_url = excluded.instance_url",
                    )?;
                let mut clear = tx
                    .prepare_cached(
                        "DELETE FROM intents WHERE plan_id = ?1 AND org_id = ?2 AND action = 'push' AND key = ?3",
                    )?;
                let mut event = tx
                    .prepare_cached(
                        "INSERT INTO events (at, plan_id, move_id, org_id, username, action, case_id, error)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL)",
                    )?;
                for (move_id, case_id, number) in found {
                    upsert
                        .execute(params![
                            plan_id,
                            move_id,
                            actor.org_id,
                            case_id,
                            number,
                            at,
                            actor.username,
                            actor.instance_url
                        ])?;
                    clear
                        .execute(params![plan_id, actor.org_id, move_id])?;
                    event
                        .execute(params![
                            at,
                            plan_id,
                            move_id,
                            actor.org_id,
                            actor.username,
                            "settled_found",
                            case_id
                        ])?;
                }
                for move_id in absent {
                    clear
                        .execute(params![plan_id, actor.org_id, move_id])?;
                    event
                        .execute(params![
                            at,
                            plan_id,
                            move_id,
                            actor.org_id,
                            actor.username,
                            "settled_absent",
                            Option::<String>::None
                        ])?;
                }
            }
            Ok(())
        })
    }

    /// Settles undo intents: `gone` Cases are recorded deleted; `present` ones stay pushed.
    pub fn settle_undo(
        &mut self,
        plan_id: &str,
        actor: &Actor,
        gone: &[String],
        present: &[String],
    ) -> Result<(), LedgerError> {
        let outcomes: Vec<(String, &str, Option<String>)> = gone
            .iter()
            .map(|id| (id.clone(), "deleted", None))
            .collect();
        self.record_undo(plan_id, actor, &outcomes)?;
        self.write(|tx| {
            {
                let mut clear = tx
                    .prepare_cached(
                        "DELETE FROM intents WHERE plan_id = ?1 AND org_id = ?2 AND action = 'undo' AND key = ?3",
                    )?;
                for case_id in present {
                    clear
                        .execute(params![plan_id, actor.org_id, case_id])?;
                }
            }
            Ok(())
        })
    }

    /// Every Case of the plan the ledger knows, in any org, ordered by move id.
    pub fn cases(&self, plan_id: &str) -> Result<Vec<LedgerCase>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT plan_id, move_id, org_id, case_id, case_number, state, last_action, at, username
                 FROM cases WHERE plan_id = ?1 ORDER BY move_id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![plan_id], |row| {
                Ok(LedgerCase {
                    plan_id: row.get(0)?,
                    move_id: row.get(1)?,
                    org_id: row.get(2)?,
                    case_id: row.get(3)?,
                    case_number: row.get(4)?,
                    state: CaseState::parse(&row.get::<_, String>(5)?),
                    last_action: row.get(6)?,
                    at: row.get(7)?,
                    username: row.get(8)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// The Cases still pushed for the plan in one org: what an undo would delete.
    pub fn pushed_cases(
        &self,
        plan_id: &str,
        org_id: &str,
    ) -> Result<Vec<LedgerCase>, LedgerError> {
        Ok(self
            .cases(plan_id)?
            .into_iter()
            .filter(|c| c.org_id == org_id && c.state == CaseState::Pushed)
            .collect())
    }

    /// Takes the plan's operator lock (one push or undo at a time per plan and ledger).
    pub fn lock_plan(&self, plan_id: &str) -> Result<PlanLock, LockError> {
        PlanLock::acquire(&self.lock_dir, plan_id)
    }

    /// Every plan the ledger has seen, newest activity first.
    pub fn plans(&self) -> Result<Vec<PlanSummary>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT p.plan_id, p.plan_name, p.org_id,
                        COALESCE(SUM(c.state = 'pushed'), 0), COALESCE(SUM(c.state = 'deleted'), 0),
                        COALESCE(MAX(c.at), p.first_at)
                 FROM plans p LEFT JOIN cases c ON c.plan_id = p.plan_id AND c.org_id = p.org_id
                 GROUP BY p.plan_id, p.org_id ORDER BY 6 DESC",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |row| {
                Ok(PlanSummary {
                    plan_id: row.get(0)?,
                    plan_name: row.get(1)?,
                    org_id: row.get(2)?,
                    pushed: row.get::<_, i64>(3)? as usize,
                    deleted: row.get::<_, i64>(4)? as usize,
                    last_at: row.get(5)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// How many history entries exist (for tests and status).
    pub fn event_count(&self) -> Result<u64, LedgerError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM events", [], |row| {
                row.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(org: &str) -> Actor {
        Actor {
            org_id: org.to_owned(),
            username: "u@example.com".to_owned(),
            instance_url: "https://acme.my.salesforce.com".to_owned(),
        }
    }

    fn entry(move_id: &str, case_id: &str, created: bool) -> PushEntry {
        PushEntry {
            move_id: move_id.to_owned(),
            case_id: case_id.to_owned(),
            created,
        }
    }

    #[test]
    fn a_committed_batch_is_there_for_the_next_process() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("ledger.sqlite3");
        {
            let mut ledger = Ledger::open(&path).expect("open");
            ledger
                .record_push(
                    "P1",
                    "Plan one",
                    &actor("00D1"),
                    &[entry("m1", "500A", true), entry("m/2 'odd'", "500B", true)],
                    &[("m3".to_owned(), "STRING_TOO_LONG: x".to_owned())],
                )
                .expect("record");
            ledger
                .record_case_numbers("00D1", &[("500A".to_owned(), "00001001".to_owned())])
                .expect("numbers");
            // Dropped without any shutdown step, as a crash would.
        }
        let ledger = Ledger::open(&path).expect("reopen");
        let cases = ledger.cases("P1").expect("cases");
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].move_id, "m/2 'odd'");
        assert_eq!(cases[1].case_number.as_deref(), Some("00001001"));
        assert!(
            cases
                .iter()
                .all(|c| c.state == CaseState::Pushed && c.last_action == "created")
        );
        assert_eq!(ledger.event_count().expect("events"), 3);
    }

    #[test]
    fn undo_marks_only_this_orgs_cases_and_repush_revives_them() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut ledger = Ledger::open(&dir.path().join("l.sqlite3")).expect("open");
        ledger
            .record_push(
                "P1",
                "Plan",
                &actor("00D1"),
                &[entry("m1", "500A", true)],
                &[],
            )
            .expect("org 1");
        ledger
            .record_push(
                "P1",
                "Plan",
                &actor("00D2"),
                &[entry("m1", "500Z", true)],
                &[],
            )
            .expect("org 2");
        assert_eq!(ledger.pushed_cases("P1", "00D1").expect("pushed").len(), 1);
        ledger
            .record_undo(
                "P1",
                &actor("00D1"),
                &[("500A".to_owned(), "deleted", None)],
            )
            .expect("undo");
        assert!(
            ledger
                .pushed_cases("P1", "00D1")
                .expect("pushed")
                .is_empty()
        );
        assert_eq!(ledger.pushed_cases("P1", "00D2").expect("pushed").len(), 1);

        // Pushing again after an undo creates a new Case: the ledger follows the new Id.
        ledger
            .record_push(
                "P1",
                "Plan",
                &actor("00D1"),
                &[entry("m1", "500C", true)],
                &[],
            )
            .expect("repush");
        let pushed = ledger.pushed_cases("P1", "00D1").expect("pushed");
        assert_eq!(pushed[0].case_id, "500C");

        let plans = ledger.plans().expect("plans");
        assert_eq!(plans.len(), 2);
        assert!(plans.iter().all(|p| p.pushed == 1));
    }

    #[test]
    fn a_failed_undo_keeps_the_case_pushed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut ledger = Ledger::open(&dir.path().join("l.sqlite3")).expect("open");
        ledger
            .record_push(
                "P1",
                "Plan",
                &actor("00D1"),
                &[entry("m1", "500A", true)],
                &[],
            )
            .expect("push");
        ledger
            .record_undo(
                "P1",
                &actor("00D1"),
                &[(
                    "500A".to_owned(),
                    "undo_failed",
                    Some("ENTITY_IS_LOCKED: locked".to_owned()),
                )],
            )
            .expect("undo");
        assert_eq!(ledger.pushed_cases("P1", "00D1").expect("pushed").len(), 1);
    }
}
