//! Pure tests of the console's `update`: message sequences in, state and effects out.

#[path = "tui_fixtures.rs"]
mod fixtures;

use crossterm::event::KeyCode;
use fixtures::*;
use moveforce::engine::{EngineEvent, PushCounts, PushOutcome, Request, UndoCounts, UndoOutcome};
use moveforce::plan::Disposition;
use moveforce::tui::state::{ConnState, FormField, Popup, RowOutcome};
use moveforce::tui::{Action, Effect, Msg, Tab, start, update};

fn index_of(app: &moveforce::tui::App, move_id: &str) -> usize {
    app.plan
        .as_ref()
        .and_then(|p| p.moves.iter().position(|m| m.move_id == move_id))
        .expect("move in the sample plan")
}

fn now_ids(app: &moveforce::tui::App) -> Vec<String> {
    app.plan
        .as_ref()
        .map(|p| {
            p.moves
                .iter()
                .filter(|m| m.disposition() == Disposition::Now)
                .map(|m| m.move_id.clone())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn opens_on_moves_and_reads_the_ledger_without_connecting() {
    let mut app = app();
    assert_eq!(app.tab, Tab::Moves);
    let effects = start(&mut app, false);
    let commands = sent(&effects);
    assert_eq!(commands.len(), 1);
    assert!(matches!(commands[0].request, Request::LoadCases { .. }));

    let mut demo = app_with(Some(plan()));
    let commands = sent(&start(&mut demo, true));
    assert!(matches!(commands[1].request, Request::Connect(_)));

    let no_plan = app_with(None);
    assert_eq!(no_plan.tab, Tab::Connection);
}

#[test]
fn only_now_moves_can_be_selected() {
    let mut app = app();
    // mv-000103 is a future move.
    app.moves.cursor = index_of(&app, "mv-000103");
    feed(&mut app, [ch(' ')]);
    assert!(app.moves.selected.is_empty());
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("future"))
    );

    app.moves.cursor = index_of(&app, "mv-000102");
    feed(&mut app, [ch(' ')]);
    assert_eq!(app.moves.selected.len(), 1);
    // The cursor moves on; space on the same row again unmarks it.
    assert_eq!(app.moves.cursor, index_of(&app, "mv-000102") + 1);
    feed(&mut app, [key(KeyCode::Up), ch(' ')]);
    assert!(app.moves.selected.is_empty());

    feed(&mut app, [ch('a')]);
    assert_eq!(app.moves.selected.len(), now_ids(&app).len());
    feed(&mut app, [ch('a')]);
    assert!(app.moves.selected.is_empty());
}

#[test]
fn push_sends_one_push_with_only_the_marked_now_moves() {
    let mut app = app();
    connect_and_check(&mut app);
    for id in ["mv-000101", "mv-000103", "mv-000104"] {
        app.moves.cursor = index_of(&app, id);
        feed(&mut app, [ch(' ')]);
    }
    let effects = feed(&mut app, [ch('p')]);
    let commands = sent(&effects);
    assert_eq!(commands.len(), 1, "{effects:?}");
    match &commands[0].request {
        Request::Push {
            plan_id, drafts, ..
        } => {
            assert_eq!(plan_id, "MP-2025-014");
            let ids: Vec<&str> = drafts.iter().map(|d| d.external_id.as_str()).collect();
            assert_eq!(ids, ["mv-000101", "mv-000104"]);
        }
        other => panic!("expected a Push, got {other:?}"),
    }
    assert!(app.popups.is_empty(), "marked moves push without asking");
    assert_eq!(
        app.moves.outcomes.get("mv-000101"),
        Some(&RowOutcome::Pending)
    );
    // A second press while it runs sends nothing.
    assert!(sent(&feed(&mut app, [ch('p')])).is_empty());
}

#[test]
fn push_with_nothing_marked_asks_first_and_sends_every_now_move() {
    let mut app = app();
    connect_and_check(&mut app);
    let effects = feed(&mut app, [ch('p')]);
    assert!(sent(&effects).is_empty());
    let now = now_ids(&app);
    match app.popups.last() {
        Some(Popup::Confirm { body, .. }) => {
            assert!(
                body.contains(&format!("all {} now-moves", now.len())),
                "{body}"
            );
        }
        other => panic!("expected a confirmation, got {other:?}"),
    }
    let commands = sent(&feed(&mut app, [ch('y')]));
    assert_eq!(commands.len(), 1);
    match &commands[0].request {
        Request::Push { drafts, .. } => {
            let ids: Vec<String> = drafts.iter().map(|d| d.external_id.clone()).collect();
            assert_eq!(ids, now);
        }
        other => panic!("expected a Push, got {other:?}"),
    }
}

#[test]
fn push_needs_a_connection() {
    let mut app = app();
    let effects = feed(&mut app, [ch('a'), ch('p')]);
    assert!(sent(&effects).is_empty());
    assert!(app.popups.is_empty());
    assert!(app.moves.push.is_none());
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("Connect first"))
    );
}

#[test]
fn push_results_update_rows_and_progress() {
    let mut app = app();
    connect_and_check(&mut app);
    let commands = sent(&feed(&mut app, [ch('a'), ch('p')]));
    let id = commands[0].id;
    feed(
        &mut app,
        [Msg::Engine(EngineEvent::Pushed {
            id,
            outcomes: vec![
                (
                    "mv-000101".to_owned(),
                    PushOutcome::Created {
                        case_id: "5005g00000Qw001AAA".to_owned(),
                        case_number: Some("00001021".to_owned()),
                    },
                ),
                (
                    "mv-000102".to_owned(),
                    PushOutcome::Failed {
                        code: "STRING_TOO_LONG".to_owned(),
                        message: "Employee Notes: data value too large".to_owned(),
                    },
                ),
            ],
            done: 2,
            total: 5,
        })],
    );
    let progress = app.moves.push.expect("still running");
    assert_eq!((progress.done, progress.total), (2, 5));
    assert!(matches!(
        app.moves.outcomes.get("mv-000101"),
        Some(RowOutcome::Done(PushOutcome::Created { .. }))
    ));
    assert!(matches!(
        app.moves.outcomes.get("mv-000102"),
        Some(RowOutcome::Done(PushOutcome::Failed { code, .. })) if code == "STRING_TOO_LONG"
    ));
    assert_eq!(
        app.moves.outcomes.get("mv-000104"),
        Some(&RowOutcome::Pending)
    );

    // A reply for another request changes nothing.
    feed(
        &mut app,
        [Msg::Engine(EngineEvent::Pushed {
            id: id + 100,
            outcomes: vec![],
            done: 5,
            total: 5,
        })],
    );
    assert_eq!(app.moves.push.map(|p| p.done), Some(2));

    let effects = feed(
        &mut app,
        [Msg::Engine(EngineEvent::PushFinished {
            id,
            result: Ok(PushCounts {
                created: 1,
                updated: 0,
                failed: 1,
                skipped: 0,
            }),
        })],
    );
    assert!(app.moves.push.is_none());
    assert!(app.moves.selected.is_empty());
    // Rows never answered are no longer shown as pending.
    assert_eq!(app.moves.outcomes.get("mv-000104"), None);
    // The ledger is read again after a push.
    assert!(matches!(
        sent(&effects).first().map(|c| &c.request),
        Some(Request::LoadCases { .. })
    ));
}

#[test]
fn undo_needs_a_confirmation_that_says_how_many() {
    let mut app = app();
    connect_and_check(&mut app);
    load_ledger(&mut app);
    feed(&mut app, [ch('4')]);
    assert_eq!(app.tab, Tab::Cases);

    let effects = feed(&mut app, [ch('u')]);
    assert!(sent(&effects).is_empty());
    match app.popups.last() {
        Some(Popup::Confirm { title, .. }) => assert_eq!(title, "Delete 3 Cases?"),
        other => panic!("expected a confirmation, got {other:?}"),
    }
    // No cancels without a command.
    let effects = feed(&mut app, [ch('n')]);
    assert!(effects.is_empty());
    assert!(app.popups.is_empty());
    assert!(app.cases.undo.is_none());

    // Whole plan: yes sends one Undo for all.
    let commands = sent(&feed(&mut app, [ch('u'), ch('y')]));
    assert_eq!(commands.len(), 1);
    match &commands[0].request {
        Request::Undo {
            plan_id, case_ids, ..
        } => {
            assert_eq!(plan_id, "MP-2025-014");
            assert_eq!(case_ids, &None);
        }
        other => panic!("expected an Undo, got {other:?}"),
    }
    let id = commands[0].id;
    feed(
        &mut app,
        [Msg::Engine(EngineEvent::Undone {
            id,
            outcomes: vec![("5005g00000Qw001AAA".to_owned(), UndoOutcome::Deleted)],
            done: 1,
            total: 3,
        })],
    );
    assert_eq!(app.cases.undo.map(|p| p.done), Some(1));
    let effects = feed(
        &mut app,
        [Msg::Engine(EngineEvent::UndoFinished {
            id,
            result: Ok(UndoCounts {
                deleted: 3,
                already_gone: 0,
                failed: 0,
            }),
        })],
    );
    assert!(app.cases.undo.is_none());
    assert!(matches!(
        sent(&effects).first().map(|c| &c.request),
        Some(Request::LoadCases { .. })
    ));
}

#[test]
fn undo_of_marked_cases_names_only_those() {
    let mut app = app();
    connect_and_check(&mut app);
    load_ledger(&mut app);
    feed(&mut app, [ch('4'), ch(' ')]);
    // The deleted Case (third row) cannot be marked.
    feed(&mut app, [key(KeyCode::Down), ch(' ')]);
    assert_eq!(app.cases.selected.len(), 1);
    feed(&mut app, [ch('u')]);
    match app.popups.last() {
        Some(Popup::Confirm { title, .. }) => assert_eq!(title, "Delete 1 Case?"),
        other => panic!("expected a confirmation, got {other:?}"),
    }
    let commands = sent(&feed(&mut app, [key(KeyCode::Enter)]));
    match &commands[0].request {
        Request::Undo { case_ids, .. } => {
            assert_eq!(case_ids, &Some(vec!["5005g00000Qw001AAA".to_owned()]));
        }
        other => panic!("expected an Undo, got {other:?}"),
    }
}

#[test]
fn secrets_never_appear_in_rendered_text() {
    let mut app = app();
    feed(&mut app, [ch('1')]);
    let secrets = [CLIENT_SECRET, PASSWORD, TOKEN];
    let check = |app: &moveforce::tui::App| {
        let text = screen_text(&draw(app, 80, 24));
        for secret in secrets {
            assert!(!text.contains(secret), "{secret} shown:\n{text}");
        }
        let wide = screen_text(&draw(app, 200, 50));
        for secret in secrets {
            assert!(!wide.contains(secret), "{secret} shown:\n{wide}");
        }
        text
    };
    check(&app);
    // While typing into the password field, and after.
    app.connection.focus = 5;
    assert_eq!(app.connection.focused(), FormField::Password);
    feed(&mut app, [key(KeyCode::Enter)]);
    assert!(app.connection.is_editing());
    feed(&mut app, "hunter2".chars().map(ch));
    let text = check(&app);
    assert!(!text.contains("hunter2"), "{text}");
    feed(&mut app, [key(KeyCode::Enter)]);
    let text = check(&app);
    assert!(!text.contains("hunter2"), "{text}");
    assert_eq!(
        app.connection.settings().password.expose(),
        format!("{PASSWORD}hunter2")
    );
    // Nor in the connection's error, the status line or a save request's Debug.
    let effects = feed(&mut app, [ch('s')]);
    let shown = format!("{effects:?}");
    for secret in secrets {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[test]
fn paste_goes_only_to_the_focused_field() {
    let mut app = app();
    feed(&mut app, [ch('1')]);
    app.connection.focus = 2;
    assert_eq!(app.connection.focused(), FormField::ClientId);
    let before = app.connection.settings();
    // Select all then paste: the paste replaces nothing else and loses its newlines.
    feed(
        &mut app,
        [
            key(KeyCode::Enter),
            Msg::Action(Action::Input(tui_input::InputRequest::DeleteLine)),
            Msg::Paste("3MVG9-new\r\n-id\n".to_owned()),
        ],
    );
    let after = app.connection.settings();
    assert_eq!(after.client_id, "3MVG9-new-id");
    assert_eq!(after.login_url, before.login_url);
    assert_eq!(after.username, before.username);
    assert_eq!(after.client_secret, before.client_secret);

    // On the Moves tab a paste does nothing at all (it does not run keys).
    feed(&mut app, [key(KeyCode::Enter), ch('3')]);
    let effects = feed(&mut app, [Msg::Paste("p a y".to_owned())]);
    assert!(effects.is_empty());
    assert!(app.moves.selected.is_empty());
    assert!(app.popups.is_empty());
    assert_eq!(app.connection.settings(), after);
}

#[test]
fn typing_digits_while_editing_does_not_switch_tabs() {
    let mut app = app();
    feed(&mut app, [ch('1')]);
    app.connection.focus = FormField::ALL
        .iter()
        .position(|f| *f == FormField::ApiVersion)
        .expect("api version row");
    feed(
        &mut app,
        [
            key(KeyCode::Enter),
            Msg::Action(Action::Input(tui_input::InputRequest::DeleteLine)),
            ch('6'),
            ch('3'),
            ch('.'),
            ch('0'),
            ch('q'),
        ],
    );
    assert_eq!(app.tab, Tab::Connection);
    assert!(!app.quitting);
    assert_eq!(app.connection.settings().api_version, "63.0q");
    // Esc puts the old value back.
    feed(&mut app, [key(KeyCode::Esc)]);
    assert_eq!(app.connection.settings().api_version, "62.0");
    assert!(!app.connection.is_editing());
}

#[test]
fn connect_with_missing_settings_says_what_is_missing() {
    let mut app = app();
    feed(&mut app, [ch('1')]);
    app.connection.focus = 2;
    feed(
        &mut app,
        [
            key(KeyCode::Enter),
            Msg::Action(Action::Input(tui_input::InputRequest::DeleteLine)),
            key(KeyCode::Enter),
        ],
    );
    let effects = feed(&mut app, [ch('c')]);
    assert!(sent(&effects).is_empty());
    assert!(matches!(&app.connection.state, ConnState::Failed(t) if t.contains("client id")));
}

#[test]
fn connect_then_check_fields_automatically() {
    let mut app = app();
    let effects = connect(&mut app);
    assert!(matches!(app.connection.state, ConnState::Connected(_)));
    assert!(matches!(
        sent(&effects).first().map(|c| &c.request),
        Some(Request::CheckFields)
    ));
}

#[test]
fn fields_need_a_connection_first() {
    let mut app = app();
    let effects = feed(&mut app, [ch('2'), ch('r')]);
    assert!(sent(&effects).is_empty());
    connect_and_check(&mut app);
    assert_eq!(app.fields.last.len(), 7);
    let effects = feed(&mut app, [ch('r')]);
    assert!(matches!(
        sent(&effects).first().map(|c| &c.request),
        Some(Request::CheckFields)
    ));
}

#[test]
fn quit_asks_while_a_push_runs() {
    let mut app = app();
    assert!(matches!(
        feed(&mut app, [ch('q')]).as_slice(),
        [Effect::Quit]
    ));

    let mut app = fixtures::app();
    connect_and_check(&mut app);
    feed(&mut app, [ch('a'), ch('p')]);
    assert!(feed(&mut app, [ch('q')]).is_empty());
    assert!(matches!(app.popups.last(), Some(Popup::Confirm { .. })));
    assert!(feed(&mut app, [ch('n')]).is_empty());
    assert!(app.popups.is_empty());
    let effects = feed(&mut app, [ch('q'), ch('y')]);
    assert!(matches!(effects.as_slice(), [Effect::Quit]));
}

#[test]
fn a_command_the_engine_did_not_take_stops_the_wait() {
    let mut app = app();
    connect_and_check(&mut app);
    let commands = sent(&feed(&mut app, [ch('a'), ch('p')]));
    let id = commands[0].id;
    feed(
        &mut app,
        [Msg::SendFailed {
            id,
            reason: "the engine is busy".to_owned(),
        }],
    );
    assert!(app.moves.push.is_none());
    assert!(app.moves.outcomes.is_empty());
    assert!(!app.busy());
}

#[test]
fn help_opens_and_closes() {
    let mut app = app();
    feed(&mut app, [ch('?')]);
    assert!(matches!(app.popups.last(), Some(Popup::Help { .. })));
    // Keys meant for the tab do nothing under the help.
    assert!(feed(&mut app, [ch('p')]).is_empty());
    feed(&mut app, [key(KeyCode::Esc)]);
    assert!(app.popups.is_empty());
}

#[test]
fn tabs_cycle_with_tab_and_number_keys() {
    let mut app = app();
    feed(&mut app, [key(KeyCode::Tab)]);
    assert_eq!(app.tab, Tab::Cases);
    feed(&mut app, [key(KeyCode::Tab)]);
    assert_eq!(app.tab, Tab::Connection);
    feed(&mut app, [key(KeyCode::BackTab)]);
    assert_eq!(app.tab, Tab::Cases);
    feed(&mut app, [ch('2')]);
    assert_eq!(app.tab, Tab::Fields);
}

#[test]
fn key_releases_are_ignored() {
    let mut app = app();
    let release = crossterm::event::KeyEvent {
        kind: crossterm::event::KeyEventKind::Release,
        ..crossterm::event::KeyEvent::new(KeyCode::Char('q'), crossterm::event::KeyModifiers::NONE)
    };
    assert!(update(&mut app, Msg::Key(release)).is_empty());
    assert!(!app.quitting);
}

#[test]
fn interrupted_work_is_offered_for_settling_once_connected() {
    let mut app = app();
    // Before a connection there is nothing to ask: a warning only.
    feed(
        &mut app,
        [Msg::Engine(EngineEvent::Unsettled { id: 99, count: 3 })],
    );
    assert!(app.popups.is_empty());
    connect_and_check(&mut app);
    feed(
        &mut app,
        [Msg::Engine(EngineEvent::Unsettled { id: 100, count: 3 })],
    );
    match app.popups.last() {
        Some(Popup::Confirm { body, .. }) => assert!(body.contains("3 push or undo"), "{body}"),
        other => panic!("expected a confirmation, got {other:?}"),
    }
    let commands = sent(&feed(&mut app, [ch('y')]));
    assert!(
        matches!(commands.first().map(|c| &c.request), Some(Request::Settle { plan_id }) if plan_id == "MP-2025-014"),
        "{commands:?}"
    );
    let id = commands[0].id;
    let effects = feed(
        &mut app,
        [Msg::Engine(EngineEvent::Settled {
            id,
            result: Ok(moveforce::engine::Settled {
                found: 2,
                absent: 1,
                ..Default::default()
            }),
        })],
    );
    // The ledger is read again to show what was settled.
    assert!(matches!(
        sent(&effects).first().map(|c| &c.request),
        Some(Request::LoadCases { .. })
    ));
}

#[test]
fn behind_the_too_small_screen_only_quit_works() {
    let mut app = app();
    connect_and_check(&mut app);
    load_ledger(&mut app);
    feed(&mut app, [ch('4')]);
    let _ = draw(&app, 60, 20);
    assert!(app.too_small.get());
    // `u` then `y` would delete every Case unseen: nothing happens.
    let effects = feed(&mut app, [ch('u'), ch('y'), ch('p'), ch('1')]);
    assert!(sent(&effects).is_empty(), "{effects:?}");
    assert!(app.popups.is_empty());
    assert_eq!(app.tab, Tab::Cases);
    // Back at 80x24 the keys work again.
    let _ = draw(&app, 80, 24);
    assert!(!app.too_small.get());
    feed(&mut app, [ch('u')]);
    assert!(!app.popups.is_empty(), "the undo asks again");
    let _ = draw(&app, 60, 20);
    let effects = feed(&mut app, [ch('q')]);
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Quit)),
        "{effects:?}"
    );
}

#[test]
fn an_undone_case_clears_its_moves_push_result() {
    let mut app = app();
    connect_and_check(&mut app);
    let commands = sent(&feed(&mut app, [ch('a'), ch('p')]));
    let push_id = commands[0].id;
    feed(
        &mut app,
        [Msg::Engine(EngineEvent::Pushed {
            id: push_id,
            outcomes: vec![(
                "mv-000101".to_owned(),
                PushOutcome::Created {
                    case_id: "5005g00000Qw001AAA".to_owned(),
                    case_number: None,
                },
            )],
            done: 1,
            total: 1,
        })],
    );
    feed(
        &mut app,
        [Msg::Engine(EngineEvent::PushFinished {
            id: push_id,
            result: Ok(PushCounts {
                created: 1,
                ..PushCounts::default()
            }),
        })],
    );
    assert!(app.moves.outcomes.contains_key("mv-000101"));
    // The ledger knows the Case; the whole plan is undone.
    load_ledger(&mut app);
    let commands = sent(&feed(&mut app, [ch('4'), ch('u'), ch('y')]));
    let undo_id = commands[0].id;
    feed(
        &mut app,
        [Msg::Engine(EngineEvent::Undone {
            id: undo_id,
            outcomes: vec![("5005g00000Qw001AAA".to_owned(), UndoOutcome::Deleted)],
            done: 1,
            total: 1,
        })],
    );
    assert!(
        !app.moves.outcomes.contains_key("mv-000101"),
        "the Moves tab no longer says created"
    );
}

#[test]
fn progress_reports_rate_and_time_left_once_a_second_has_passed() {
    let mut progress = moveforce::tui::state::Progress::new(1, 300);
    progress.done = 100;
    assert_eq!(progress.pace(), None, "too early to say");
    if let Some(earlier) = std::time::Instant::now().checked_sub(std::time::Duration::from_secs(2))
    {
        progress.started = earlier;
        let (rate, left) = progress.pace().expect("a pace");
        assert!((40.0..=50.0).contains(&rate), "{rate}");
        assert!((3.9..=5.1).contains(&left), "{left}");
    }
}
