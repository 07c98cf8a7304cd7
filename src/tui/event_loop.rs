//! The event loop: terminal input, engine replies, a stop signal and (only while
//! something runs) a spinner tick go into `update`; the effects it returns are carried
//! out here. Nothing here waits on the network: commands leave with `try_send`.
//!
//! Generic over the screen, the input stream and the channel ends, so it runs against
//! a `TestBackend` and a scripted stream in tests.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::time::Duration;

use crossterm::event::{Event, KeyEventKind};
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::time::{Instant, MissedTickBehavior};

use super::state::{App, Effect, Msg, Tone};
use super::update::update;
use super::view::render;
use crate::engine::{Command, EngineEvent};

/// How often the spinner turns while something runs.
const TICK: Duration = Duration::from_millis(120);
/// The shortest time between two frames (about 30 per second).
const FRAME: Duration = Duration::from_millis(33);

/// Somewhere to draw the console.
pub trait Screen {
    fn draw(&mut self, app: &App) -> anyhow::Result<()>;
    /// Forget what is on screen so the next draw repaints every cell.
    fn clear(&mut self) -> anyhow::Result<()>;
}

impl<B> Screen for Terminal<B>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
{
    fn draw(&mut self, app: &App) -> anyhow::Result<()> {
        Terminal::draw(self, |frame| render(frame, app))?;
        Ok(())
    }

    fn clear(&mut self) -> anyhow::Result<()> {
        Terminal::clear(self)?;
        Ok(())
    }
}

/// Why the loop ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// The operator quit.
    Quit,
    /// The input stream ended (the terminal went away).
    InputClosed,
    /// A signal such as SIGHUP or SIGTERM.
    Signal(&'static str),
}

/// Turns a terminal event into a message; releases, focus and mouse events are dropped.
pub fn message_of(event: Event) -> Option<Msg> {
    debug_panic_key(&event);
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => Some(Msg::Key(key)),
        Event::Paste(text) => Some(Msg::Paste(text)),
        Event::Resize(_, _) => Some(Msg::Resize),
        _ => None,
    }
}

/// Debug builds only: with `MOVEFORCE_DEBUG_PANIC=1`, F12 panics on purpose, so the tests
/// can prove that a panic gives the terminal back. Release builds have no such key.
fn debug_panic_key(event: &Event) {
    #[cfg(debug_assertions)]
    if let Event::Key(key) = event
        && key.code == crossterm::event::KeyCode::F(12)
        && std::env::var_os("MOVEFORCE_DEBUG_PANIC").is_some()
    {
        panic!("forced panic (debug build, MOVEFORCE_DEBUG_PANIC set)");
    }
    #[cfg(not(debug_assertions))]
    let _ = event;
}

/// Runs the console until the operator quits, the input closes or `stop` fires.
pub async fn run_loop<S, I, F>(
    screen: &mut S,
    app: &mut App,
    mut input: I,
    commands: mpsc::Sender<Command>,
    mut events: mpsc::Receiver<EngineEvent>,
    initial: Vec<Effect>,
    stop: F,
) -> anyhow::Result<Exit>
where
    S: Screen,
    I: Stream<Item = io::Result<Event>> + Unpin,
    F: Future<Output = &'static str>,
{
    tokio::pin!(stop);
    let mut queue: VecDeque<Msg> = VecDeque::new();
    let mut engine_open = true;
    let mut quit = false;
    // Frames are drawn when something changed, at most one per FRAME: a burst of
    // engine replies costs one frame, not one each.
    let mut dirty = false;
    let mut last_draw = Instant::now();
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    apply(screen, initial, &commands, &mut queue, &mut quit)?;
    screen.draw(app)?;
    loop {
        let ticking = app.busy();
        let first = tokio::select! {
            reason = &mut stop => {
                tracing::info!(signal = reason, "console stopping on a signal");
                return Ok(Exit::Signal(reason));
            }
            next = input.next() => match next {
                None => return Ok(Exit::InputClosed),
                Some(Err(err)) => return Err(err.into()),
                Some(Ok(event)) => match message_of(event) {
                    Some(msg) => msg,
                    None => continue,
                },
            },
            reply = events.recv(), if engine_open => match reply {
                Some(event) => Msg::Engine(event),
                None => {
                    engine_open = false;
                    app.notify(Tone::Bad, "The engine stopped; quit and start moveforce again");
                    dirty = true;
                    continue;
                }
            },
            _ = ticker.tick(), if ticking => Msg::Tick,
            () = tokio::time::sleep_until(last_draw + FRAME), if dirty => {
                screen.draw(app)?;
                dirty = false;
                last_draw = Instant::now();
                continue;
            }
        };
        queue.push_back(first);
        // Drain whatever else is ready, then draw once.
        loop {
            while let Some(msg) = queue.pop_front() {
                let effects = update(app, msg);
                apply(screen, effects, &commands, &mut queue, &mut quit)?;
            }
            match events.try_recv() {
                Ok(event) => queue.push_back(Msg::Engine(event)),
                Err(_) => break,
            }
        }
        if quit {
            return Ok(Exit::Quit);
        }
        if last_draw.elapsed() >= FRAME {
            screen.draw(app)?;
            dirty = false;
            last_draw = Instant::now();
        } else {
            dirty = true;
        }
    }
}

/// Carries out effects; what they report back is queued as messages.
fn apply<S: Screen>(
    screen: &mut S,
    effects: Vec<Effect>,
    commands: &mpsc::Sender<Command>,
    queue: &mut VecDeque<Msg>,
    quit: &mut bool,
) -> anyhow::Result<()> {
    for effect in effects {
        match effect {
            Effect::Send(command) => {
                let id = command.id;
                match commands.try_send(command) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => queue.push_back(Msg::SendFailed {
                        id,
                        reason: "the engine is busy; try again in a moment".to_owned(),
                    }),
                    Err(TrySendError::Closed(_)) => queue.push_back(Msg::SendFailed {
                        id,
                        reason: "the engine has stopped".to_owned(),
                    }),
                }
            }
            Effect::SaveConfig { path, layer } => {
                let result = crate::config::save_file(&path, &layer)
                    .map(|()| path)
                    .map_err(|err| err.to_string());
                queue.push_back(Msg::Saved(result));
            }
            Effect::Redraw => screen.clear()?,
            Effect::Quit => *quit = true,
        }
    }
    Ok(())
}
