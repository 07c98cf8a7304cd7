//! The operator console (ratatui): Connection, Fields, Moves and Cases tabs over the
//! engine task.
//!
//! Shape: [`state`] holds everything shown; [`update()`] is the one pure function that
//! changes it and returns [`Effect`]s; [`keymap`] is the key table (help and hints are
//! drawn from it); [`view`] draws `&App` only; [`terminal`] guards the terminal modes;
//! [`event_loop`] feeds input, engine replies and signals into `update` and carries out
//! the effects.

pub mod derived;
pub mod event_loop;
pub mod keymap;
pub mod state;
pub mod terminal;
pub mod theme;
pub mod update;
pub mod view;

use std::future::Future;

use tokio::sync::mpsc;

use crate::engine::{Command, EngineEvent};

pub use event_loop::{Exit, Screen, run_loop};
pub use keymap::Action;
pub use state::{App, AppInit, Effect, Msg, Tab};
pub use terminal::{NoTerminal, require_tty};
pub use theme::Theme;
pub use update::{start, update};
pub use view::render;

/// What the CLI hands the console.
#[derive(Debug, Clone)]
pub struct ConsoleOptions {
    pub plan: Option<crate::plan::Plan>,
    pub settings: crate::config::ConnectionSettings,
    /// Connect as soon as the console opens (the demo does).
    pub connect_on_start: bool,
    pub paths: crate::config::Paths,
    /// A line shown under the header, e.g. "demo: sandbox at http://127.0.0.1:PORT".
    pub banner: Option<String>,
}

/// Opens the console and runs it until the operator quits, the terminal goes away or a
/// SIGHUP/SIGTERM arrives; the terminal is restored on every path. Without a TTY on
/// stdin and stdout it returns [`NoTerminal`] (which names the headless commands) before
/// touching the terminal. Must be called inside a tokio runtime.
pub async fn run(options: ConsoleOptions) -> anyhow::Result<()> {
    terminal::require_tty()?;
    let (commands, events) = crate::engine::spawn(options.paths.ledger_file());
    run_with_engine(options, commands, events).await
}

/// [`run`] over engine channels the caller provides.
pub async fn run_with_engine(
    options: ConsoleOptions,
    commands: mpsc::Sender<Command>,
    events: mpsc::Receiver<EngineEvent>,
) -> anyhow::Result<()> {
    terminal::require_tty()?;
    let mut app = App::new(AppInit {
        plan: options.plan,
        settings: options.settings,
        banner: options.banner,
        config_file: options.paths.config_file.clone(),
        theme: Theme::from_env(std::env::var_os("NO_COLOR")),
    });
    let initial = update::start(&mut app, options.connect_on_start);
    let stop = stop_signal();
    let mut guard = terminal::TerminalGuard::enter()?;
    let input = crossterm::event::EventStream::new();
    let result = run_loop(&mut guard, &mut app, input, commands, events, initial, stop).await;
    drop(guard);
    match result? {
        Exit::Quit => tracing::info!("console closed by the operator"),
        Exit::InputClosed => tracing::info!("console closed: the input stream ended"),
        Exit::Signal(name) => tracing::info!(signal = name, "console closed by a signal"),
    }
    Ok(())
}

/// Resolves when SIGHUP, SIGTERM, SIGINT or SIGQUIT arrives. The handlers are installed
/// now, before the terminal changes mode.
fn stop_signal() -> impl Future<Output = &'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let hangup = signal(SignalKind::hangup()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        let interrupt = signal(SignalKind::interrupt()).ok();
        let quit = signal(SignalKind::quit()).ok();
        async move {
            async fn wait(signal: Option<tokio::signal::unix::Signal>) {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                () = wait(hangup) => "SIGHUP",
                () = wait(terminate) => "SIGTERM",
                () = wait(interrupt) => "SIGINT",
                () = wait(quit) => "SIGQUIT",
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

impl Screen for terminal::TerminalGuard {
    /// Each frame inside a synchronized update, so a slow link never shows half a frame.
    fn draw(&mut self, app: &App) -> anyhow::Result<()> {
        use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
        if !terminal::is_active() {
            anyhow::bail!(
                "a panic elsewhere in moveforce restored the terminal; the console stops"
            );
        }
        crossterm::queue!(self.terminal.backend_mut(), BeginSynchronizedUpdate)?;
        self.terminal.draw(|frame| render(frame, app))?;
        crossterm::execute!(self.terminal.backend_mut(), EndSynchronizedUpdate)?;
        Ok(())
    }

    fn clear(&mut self) -> anyhow::Result<()> {
        self.terminal.clear()?;
        Ok(())
    }
}
