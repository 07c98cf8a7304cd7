//! End to end: the real binary in tmux running `moveforce demo`. Push every now-move, watch
//! the Cases tab fill, undo the plan, watch it empty; then check that a hang-up (SIGHUP)
//! restores the terminal. Skipped, with a message, where tmux is not installed.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    /// A private tmux server, so the test never touches the user's sessions.
    socket: String,
}

impl Tmux {
    fn available() -> bool {
        Command::new("tmux")
            .arg("-V")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    fn start(name: &str, command: &str) -> Tmux {
        let tmux = Tmux {
            socket: format!("moveforce-e2e-{name}-{}", std::process::id()),
        };
        let status = tmux
            .cmd(&[
                "new-session",
                "-d",
                "-s",
                "main",
                "-x",
                "80",
                "-y",
                "24",
                command,
            ])
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut command = Command::new("tmux");
        command
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args);
        command
    }

    fn screen(&self) -> String {
        let output = self
            .cmd(&["capture-pane", "-p", "-t", "main"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            let status = self
                .cmd(&["send-keys", "-t", "main", key])
                .status()
                .expect("send-keys");
            assert!(status.success());
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    /// Waits until `check` holds for the screen; panics with the last screen after 20 s.
    fn wait_for(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if check(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; the screen was:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]).status();
    }
}

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_moveforce"))
}

/// Rows of the Cases table in a given state.
fn rows_in_state(screen: &str, state: &str) -> usize {
    screen
        .lines()
        // Table rows start with the mark box (or its blank); the detail pane does not.
        .filter(|l| l.starts_with("|[") || l.starts_with("|    mv"))
        .filter(|l| l.contains(&format!(" {state} ")))
        .count()
}

#[test]
fn demo_push_fills_cases_and_undo_empties_them() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it)");
        return;
    }
    let home = tempfile::tempdir().expect("temp dir");
    let command = format!(
        "env HOME={} MOVEFORCE_DATA_DIR={} {} demo",
        home.path().display(),
        home.path().join("never-used").display(),
        binary().display()
    );
    let tmux = Tmux::start("demo", &command);
    tmux.wait_for("the plan and a connection", |s| {
        s.contains("mv-000101") && s.contains("connected") && s.contains("fields are ready")
    });

    tmux.keys(&["p"]);
    tmux.wait_for("the push confirmation", |s| s.contains("[y] yes"));
    tmux.keys(&["y"]);
    let moves = tmux.wait_for("five created moves", |s| s.contains("Push done"));
    // Every now-move row in view shows its result; future moves show none.
    for row in moves.lines().filter(|l| l.contains("mv-0001")) {
        assert_eq!(row.contains(" now "), row.contains("created"), "{moves}");
    }
    assert!(moves.contains("5 created, 0 updated, 0 failed"), "{moves}");

    tmux.keys(&["4"]);
    let cases = tmux.wait_for("five pushed Cases", |s| rows_in_state(s, "pushed") == 5);
    assert!(cases.contains("5 pushed, 0 deleted"), "{cases}");

    tmux.keys(&["u"]);
    let confirm = tmux.wait_for("the undo confirmation", |s| s.contains("Delete 5 Cases?"));
    assert!(confirm.contains("[y] yes"), "{confirm}");
    tmux.keys(&["y"]);
    let after = tmux.wait_for("no pushed Case left", |s| {
        s.contains("0 pushed, 5 deleted") && rows_in_state(s, "pushed") == 0
    });
    assert_eq!(rows_in_state(&after, "deleted"), 5, "{after}");

    tmux.keys(&["q"]);
    tmux.wait_for("the console to close", |s| !s.contains("moveforce |"));
    // The demo never touched the operator's data directory.
    assert!(!home.path().join("never-used").exists());
}

/// How the console is made to stop in [`terminal_is_restored_after`].
enum Ending {
    Signal(&'static str),
    /// F12 in a debug build with MOVEFORCE_DEBUG_PANIC set panics on purpose.
    Panic,
}

/// Runs the console under a shell that records `stty -a` before and after, ends it the given
/// way, and checks the terminal modes are exactly as they were.
fn terminal_is_restored_after(name: &str, ending: Ending) {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed (CI installs it)");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let before = dir.path().join("before.txt");
    let after = dir.path().join("after.txt");
    let script = format!(
        "stty -a > {before}; env RUST_BACKTRACE=0 MOVEFORCE_DEBUG_PANIC=1 MOVEFORCE_DATA_DIR={data} {bin} {plan}; echo EXIT=$?; stty -a > {after}; echo DONE; sleep 30",
        before = before.display(),
        after = after.display(),
        data = dir.path().display(),
        bin = binary().display(),
        plan = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/q3-platform-eng.json"),
    );
    let tmux = Tmux::start(name, &format!("sh -c '{script}'"));
    tmux.wait_for("the console", |s| s.contains("mv-000101"));
    match ending {
        Ending::Signal(signal) => {
            let shell = tmux
                .cmd(&["display-message", "-p", "-t", "main", "#{pane_pid}"])
                .output()
                .expect("pane pid");
            let shell = String::from_utf8_lossy(&shell.stdout).trim().to_owned();
            let console = Command::new("pgrep")
                .args(["-P", &shell])
                .output()
                .expect("pgrep");
            let console = String::from_utf8_lossy(&console.stdout).trim().to_owned();
            assert!(
                !console.is_empty(),
                "no console process under the shell {shell}"
            );
            let status = Command::new("kill")
                .args([signal, &console])
                .status()
                .expect("kill");
            assert!(status.success());
        }
        Ending::Panic => tmux.keys(&["F12"]),
    }
    let screen = tmux.wait_for("the shell after the console", |s| s.contains("DONE"));
    if matches!(ending, Ending::Panic) {
        assert!(
            screen.contains("forced panic"),
            "the panic message is shown: {screen}"
        );
        assert!(!screen.contains("EXIT=0"), "{screen}");
    }
    let before = std::fs::read_to_string(&before).expect("stty before");
    let after = std::fs::read_to_string(&after).expect("stty after");
    assert_eq!(
        before, after,
        "terminal modes differ after the console ended"
    );
}

#[test]
fn a_hangup_restores_the_terminal() {
    terminal_is_restored_after("hup", Ending::Signal("-HUP"));
}

#[test]
fn a_termination_signal_restores_the_terminal() {
    terminal_is_restored_after("term", Ending::Signal("-TERM"));
}

#[test]
fn a_panic_restores_the_terminal() {
    terminal_is_restored_after("panic", Ending::Panic);
}
