//! The event loop without a terminal: a `TestBackend` screen, a scripted input stream and
//! a fake engine on the other end of the channels.

#[path = "tui_fixtures.rs"]
mod fixtures;

use std::io;
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use fixtures::*;
use futures::{Stream, StreamExt, stream};
use moveforce::engine::{
    Command, EngineEvent, PushCounts, PushOutcome, RepairPreview, Request, UndoCounts, UndoOutcome,
};
use moveforce::tui::state::{ConnState, RowOutcome};
use moveforce::tui::{App, Exit, run_loop, start};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

fn press(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

/// The events in order, each after a short pause (so engine replies can arrive between
/// keys), then the stream stays open.
fn script(events: Vec<Event>) -> impl Stream<Item = io::Result<Event>> + Unpin {
    stream::iter(events)
        .then(|event| async move {
            tokio::time::sleep(Duration::from_millis(60)).await;
            Ok(event)
        })
        .chain(stream::pending())
        .boxed()
}

/// A fake engine: connects, finds the fields fine, creates a Case per draft, deletes
/// whatever it is asked to, and holds no Cases in its ledger until a push.
fn fake_engine() -> (mpsc::Sender<Command>, mpsc::Receiver<EngineEvent>) {
    let (command_tx, mut command_rx) = mpsc::channel::<Command>(8);
    let (event_tx, event_rx) = mpsc::channel::<EngineEvent>(64);
    tokio::spawn(async move {
        let mut pushed: Vec<moveforce::ledger::LedgerCase> = Vec::new();
        while let Some(Command { id, request }) = command_rx.recv().await {
            let events = match request {
                Request::Connect(_) => vec![EngineEvent::Connected {
                    id,
                    result: Ok(info()),
                }],
                Request::CheckFields => vec![EngineEvent::FieldsChecked {
                    id,
                    result: Ok(checks()),
                }],
                Request::PlanRepair => vec![EngineEvent::RepairPlanned {
                    id,
                    result: Ok(RepairPreview {
                        checks: checks(),
                        ..RepairPreview::default()
                    }),
                }],
                Request::Repair { .. } => vec![EngineEvent::Repaired {
                    id,
                    result: Ok((Vec::new(), checks())),
                }],
                Request::LoadCases { .. } => vec![EngineEvent::Cases {
                    id,
                    result: Ok(pushed.clone()),
                }],
                Request::Push { drafts, .. } => {
                    let total = drafts.len();
                    let outcomes: Vec<(String, PushOutcome)> = drafts
                        .iter()
                        .enumerate()
                        .map(|(n, d)| {
                            (
                                d.external_id.clone(),
                                PushOutcome::Created {
                                    case_id: format!("5005g00000Qw{n:03}AAA"),
                                    case_number: None,
                                },
                            )
                        })
                        .collect();
                    pushed = ledger_cases();
                    vec![
                        EngineEvent::Pushed {
                            id,
                            outcomes,
                            done: total,
                            total,
                        },
                        EngineEvent::PushFinished {
                            id,
                            result: Ok(PushCounts {
                                created: total,
                                ..PushCounts::default()
                            }),
                        },
                    ]
                }
                Request::Settle { .. } => vec![EngineEvent::Settled {
                    id,
                    result: Ok(Default::default()),
                }],
                Request::Undo { case_ids, .. } => {
                    let ids = case_ids.unwrap_or_default();
                    vec![
                        EngineEvent::Undone {
                            id,
                            outcomes: ids
                                .iter()
                                .map(|c| (c.clone(), UndoOutcome::Deleted))
                                .collect(),
                            done: ids.len(),
                            total: ids.len(),
                        },
                        EngineEvent::UndoFinished {
                            id,
                            result: Ok(UndoCounts {
                                deleted: ids.len(),
                                ..UndoCounts::default()
                            }),
                        },
                    ]
                }
            };
            for event in events {
                if event_tx.send(event).await.is_err() {
                    return;
                }
            }
        }
    });
    (command_tx, event_rx)
}

async fn drive(
    app: &mut App,
    connect: bool,
    events: Vec<Event>,
    engine: (mpsc::Sender<Command>, mpsc::Receiver<EngineEvent>),
) -> (Exit, Terminal<TestBackend>) {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("test terminal");
    let initial = start(app, connect);
    let exit = tokio::time::timeout(
        Duration::from_secs(10),
        run_loop(
            &mut terminal,
            app,
            script(events),
            engine.0,
            engine.1,
            initial,
            std::future::pending(),
        ),
    )
    .await
    .expect("the loop finishes")
    .expect("no error");
    (exit, terminal)
}

#[tokio::test]
async fn connect_push_and_quit_through_the_loop() {
    let mut app = app();
    let (exit, terminal) = drive(
        &mut app,
        true,
        vec![press('a'), press('p'), press('4'), press('q')],
        fake_engine(),
    )
    .await;
    assert_eq!(exit, Exit::Quit);
    assert!(matches!(app.connection.state, ConnState::Connected(_)));
    assert_eq!(app.fields.last.len(), 7);
    assert!(app.moves.push.is_none());
    assert!(matches!(
        app.moves.outcomes.get("mv-000101"),
        Some(RowOutcome::Done(PushOutcome::Created { .. }))
    ));
    // The Cases tab was read again after the push.
    assert_eq!(app.cases.cases.len(), 4);
    let text = screen_text(&terminal);
    assert!(text.contains("5005g00000Qw001AAA"), "{text}");
}

#[tokio::test]
async fn a_closed_input_stream_ends_the_loop() {
    let mut app = app();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("test terminal");
    let (tx, rx) = fake_engine();
    let exit = run_loop(
        &mut terminal,
        &mut app,
        stream::iter(Vec::<io::Result<Event>>::new()),
        tx,
        rx,
        Vec::new(),
        std::future::pending(),
    )
    .await
    .expect("no error");
    assert_eq!(exit, Exit::InputClosed);
}

#[tokio::test]
async fn an_input_error_ends_the_loop_with_the_error() {
    let mut app = app();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("test terminal");
    let (tx, rx) = fake_engine();
    let result = run_loop(
        &mut terminal,
        &mut app,
        stream::iter(vec![Err(io::Error::other("tty gone"))]),
        tx,
        rx,
        Vec::new(),
        std::future::pending(),
    )
    .await;
    assert!(result.is_err());
}

#[tokio::test]
async fn a_signal_ends_the_loop() {
    let mut app = app();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("test terminal");
    let (tx, rx) = fake_engine();
    let exit = run_loop(
        &mut terminal,
        &mut app,
        stream::pending(),
        tx,
        rx,
        Vec::new(),
        async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            "SIGTERM"
        },
    )
    .await
    .expect("no error");
    assert_eq!(exit, Exit::Signal("SIGTERM"));
}

#[tokio::test]
async fn a_full_engine_queue_is_reported_not_waited_on() {
    let mut app = app();
    // Nobody reads this queue: after the first command, it is full.
    let (tx, _commands) = mpsc::channel::<Command>(1);
    let (_events_tx, rx) = mpsc::channel::<EngineEvent>(1);
    let (exit, terminal) = drive(
        &mut app,
        false,
        vec![press('1'), press('c'), press('q')],
        (tx, rx),
    )
    .await;
    assert_eq!(exit, Exit::Quit);
    assert!(
        matches!(&app.connection.state, ConnState::Failed(t) if t.contains("busy")),
        "{:?}",
        app.connection.state
    );
    assert!(screen_text(&terminal).contains("busy"));
}

#[tokio::test]
async fn save_writes_the_config_file_for_the_owner_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = app();
    app.config_file = dir.path().join("moveforce/config.toml");
    let (exit, terminal) = drive(
        &mut app,
        false,
        vec![press('1'), press('s'), press('q')],
        fake_engine(),
    )
    .await;
    assert_eq!(exit, Exit::Quit);
    let written = moveforce::config::load_file(&app.config_file).expect("readable config");
    assert_eq!(written.client_id.as_deref(), Some("3MVG9-demo-client-id"));
    assert_eq!(
        written.password.as_ref().map(|p| p.expose().to_owned()),
        Some(PASSWORD.to_owned())
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&app.config_file)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let text = screen_text(&terminal);
    assert!(text.contains("saved to"), "{text}");
    assert!(!text.contains(PASSWORD), "{text}");
}
