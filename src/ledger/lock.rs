//! One operator at a time per plan: an OS file lock (flock) held for the length of a push
//! or undo. The kernel drops it when the holder exits or dies, so a crashed process never
//! leaves a stale lock behind; the file's text only names the holder for the message.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "plan {plan_id} is being pushed or undone by {holder}; wait for it to finish (a lock left by a process that died frees itself)"
    )]
    Held { plan_id: String, holder: String },
    #[error("cannot lock {path}: {reason}")]
    Io { path: PathBuf, reason: String },
}

/// Held while a push or undo of one plan runs; released when dropped.
#[derive(Debug)]
pub struct PlanLock {
    _file: File,
}

/// A file name for any plan id: readable part plus a hash, so odd ids cannot escape the
/// folder or collide.
fn lock_name(plan_id: &str) -> String {
    let readable: String = plan_id
        .chars()
        .take(40)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let digest = Sha256::digest(plan_id.as_bytes());
    let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{readable}-{hash}.lock")
}

fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown host".to_owned())
}

fn user_name() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown user".to_owned())
}

impl PlanLock {
    /// Takes the plan's lock in `dir`, or says who holds it.
    pub fn acquire(dir: &Path, plan_id: &str) -> Result<PlanLock, LockError> {
        let path = dir.join(lock_name(plan_id));
        let io = |e: std::io::Error| LockError::Io {
            path: path.clone(),
            reason: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(LockError::Held {
                    plan_id: plan_id.to_owned(),
                    holder: if holder.is_empty() {
                        "another moveforce".to_owned()
                    } else {
                        holder.to_owned()
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        writeln!(
            file,
            "{} on {} (process {}, since {:.0})",
            user_name(),
            host_name(),
            std::process::id(),
            jiff::Timestamp::now()
        )
        .map_err(io)?;
        file.flush().map_err(io)?;
        Ok(PlanLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_who_holds_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = PlanLock::acquire(dir.path(), "MP/1 'x'").expect("first");
        let err = PlanLock::acquire(dir.path(), "MP/1 'x'").expect_err("second");
        let text = err.to_string();
        assert!(
            text.contains(&format!("process {}", std::process::id())),
            "{text}"
        );
        // Another plan is not blocked.
        PlanLock::acquire(dir.path(), "MP-2").expect("other plan");
        drop(first);
        PlanLock::acquire(dir.path(), "MP/1 'x'").expect("free again");
    }

    #[test]
    fn odd_plan_ids_stay_inside_the_folder() {
        let name = lock_name("../../etc/passwd");
        assert!(!name.contains('/'), "{name}");
        assert_ne!(lock_name("a/b"), lock_name("a_b"));
    }
}
