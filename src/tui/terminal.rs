//! The terminal guard: raw mode, the alternate screen, bracketed paste and a hidden
//! cursor go on together and come off on every path — drop (normal exit, error, early
//! return), and a panic, whose hook restores the terminal before the message is printed.
//! Each mode is undone on its own, so one failure does not leave the others on. Mouse
//! capture is never turned on: operators select and copy Case ids over SSH.

use std::io::{self, IsTerminal, Stdout, Write};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// Whether the terminal is in the console's modes now. The panic hook and `Drop` both
/// restore; whichever comes first does the work.
static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// Why the console cannot start: it needs a terminal on both ends.
#[derive(Debug, thiserror::Error)]
#[error(
    "the moveforce console needs a terminal, and {which}. For scripts and pipes use the \
     headless commands: moveforce push | undo | status | check (see moveforce --help)"
)]
pub struct NoTerminal {
    /// Which end is missing, in words.
    pub which: &'static str,
}

/// Refuses to start without a TTY on stdin and stdout.
pub fn require_tty() -> Result<(), NoTerminal> {
    let which = match (io::stdin().is_terminal(), io::stdout().is_terminal()) {
        (true, true) => return Ok(()),
        (false, false) => "neither stdin nor stdout is one",
        (false, true) => "stdin is not one",
        (true, false) => "stdout is not one",
    };
    Err(NoTerminal { which })
}

/// Whether the terminal is still in the console's modes. False after a panic anywhere in
/// the process restored it: the console must then stop drawing.
pub fn is_active() -> bool {
    ACTIVE.load(Ordering::SeqCst)
}

/// Undoes every mode the guard turned on, each step on its own, ignoring failures (a
/// hung-up terminal refuses writes; there is nothing better to do than carry on).
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    let _ = execute!(out, DisableBracketedPaste);
    let _ = execute!(out, DisableMouseCapture);
    let _ = execute!(out, LeaveAlternateScreen);
    let _ = execute!(out, cursor::Show);
    let _ = disable_raw_mode();
    let _ = out.flush();
}

/// Chains a hook that restores the terminal before the previous hook prints the panic.
fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

/// Owns the terminal while the console runs.
pub struct TerminalGuard {
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        ACTIVE.store(true, Ordering::SeqCst);
        let entered = (|| {
            enable_raw_mode()?;
            let mut out = io::stdout();
            execute!(
                out,
                EnterAlternateScreen,
                EnableBracketedPaste,
                cursor::Hide
            )?;
            let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
            terminal.clear()?;
            Ok(terminal)
        })();
        match entered {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(err) => {
                restore();
                Err(err)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}
