//! Render snapshots of the console at 80x24 (the design floor) and 120x40, stored in the
//! top-level `snapshots/` folder, plus a no-panic sweep at tiny sizes.

#[path = "tui_fixtures.rs"]
mod fixtures;

use crossterm::event::KeyCode;
use fixtures::*;
use moveforce::engine::{EngineEvent, PushOutcome};
use moveforce::salesforce::SfError;
use moveforce::salesforce::advice::explain;
use moveforce::tui::{App, Msg, Theme};

/// Asserts a snapshot of `app` drawn at `width` x `height`.
fn snap(name: &str, app: &App, width: u16, height: u16) {
    let terminal = draw(app, width, height);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    // Nothing on these screens depends on the clock; the spinner's glyph depends on
    // how many ticks passed, so it is masked wherever it shows.
    settings.add_filter(
        r"(connecting|checking|reading|planning|repairing) [|/\\-]",
        "$1 *",
    );
    settings.add_filter(r"[|/\\-] (Checking the org|Repairing the org)", "* $1");
    settings.add_filter(r"[|/\\-] (Pushing|Undoing)", "* $1");
    settings.bind(|| insta::assert_snapshot!(name, terminal.backend()));
}

/// Connected, fields checked, ledger read.
fn busy_app() -> App {
    let mut app = app();
    connect_and_check(&mut app);
    load_ledger(&mut app);
    app
}

#[test]
fn connection_tab() {
    let mut app = app();
    feed(&mut app, [ch('1')]);
    snap("connection_80x24", &app, 80, 24);
    connect_and_check(&mut app);
    snap("connection_connected_80x24", &app, 80, 24);
    app.connection.focus = 5;
    feed(&mut app, [key(KeyCode::Enter), ch('x')]);
    snap("connection_editing_secret_80x24", &app, 80, 24);
}

#[test]
fn connection_tab_failed_and_client_credentials() {
    let mut app = app();
    feed(&mut app, [ch('1')]);
    app.connection.focus = 1;
    feed(&mut app, [key(KeyCode::Enter)]);
    let effects = feed(&mut app, [ch('c')]);
    let id = sent(&effects)[0].id;
    feed(
        &mut app,
        [Msg::Engine(EngineEvent::Connected {
            id,
            result: Err("invalid_client: the client id or secret is wrong (HTTP 400)".to_owned()),
        })],
    );
    snap("connection_failed_80x24", &app, 80, 24);
}

#[test]
fn connection_failure_is_explained_in_full() {
    let mut app = app();
    feed(&mut app, [ch('1')]);
    let effects = feed(&mut app, [ch('c')]);
    let id = sent(&effects)[0].id;
    let refused = SfError::Auth {
        status: 400,
        error: "invalid_grant".to_owned(),
        description: "authentication failure".to_owned(),
    };
    let reason = explain(&refused);
    feed(
        &mut app,
        [Msg::Engine(EngineEvent::Connected {
            id,
            result: Err(reason.clone()),
        })],
    );
    snap("connection_failed_invalid_grant_80x24", &app, 80, 24);
    // Every word of the explanation is on screen.
    let screen = screen_text(&draw(&app, 80, 24));
    let shown: Vec<&str> = screen
        .lines()
        .flat_map(|l| l.trim_matches('|').split_whitespace())
        .collect();
    let shown = shown.join(" ");
    let wanted = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(shown.contains(&wanted), "{screen}");
}

/// Every word of `reason`, shown as the outcome of a connection test, is on an 80x24
/// screen.
fn failure_fits(settings_flow_key: bool, reason: &str) {
    let mut app = app();
    feed(&mut app, [ch('1')]);
    if settings_flow_key {
        app.connection.focus = 1;
        feed(&mut app, [key(KeyCode::Enter)]);
    }
    let id = sent(&feed(&mut app, [ch('c')]))[0].id;
    feed(
        &mut app,
        [Msg::Engine(EngineEvent::Connected {
            id,
            result: Err(reason.to_owned()),
        })],
    );
    let screen = screen_text(&draw(&app, 80, 24));
    let shown = screen
        .lines()
        .flat_map(|l| l.trim_matches('|').split_whitespace())
        .collect::<Vec<_>>()
        .join(" ");
    let wanted = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(shown.contains(&wanted), "{screen}");
}

#[test]
fn every_explained_login_failure_fits_the_connection_tab() {
    let auth = |error: &str, description: &str| SfError::Auth {
        status: 400,
        error: error.to_owned(),
        description: description.to_owned(),
    };
    let api = |status: u16, code: &str| SfError::Api {
        status,
        errors: vec![moveforce::salesforce::ApiError {
            code: code.to_owned(),
            message: "The REST API is not enabled for this Organization.".to_owned(),
            fields: Vec::new(),
        }],
    };
    let failures = [
        auth("invalid_grant", "authentication failure"),
        auth("invalid_grant", "request not supported on this domain"),
        auth("invalid_grant", "no client credentials user enabled"),
        auth("invalid_client_id", "client identifier invalid"),
        auth("invalid_client", "invalid client credentials"),
        auth("unsupported_grant_type", "grant type not supported"),
        auth("inactive_user", "user is inactive"),
        api(403, "API_DISABLED_FOR_ORG"),
        api(410, "GONE"),
        SfError::Transport {
            url: "https://acme.my.salesforce.com/services/oauth2/token".to_owned(),
            reason: "error trying to connect: dns error: failed to lookup address".to_owned(),
        },
    ];
    for failure in &failures {
        for client_credentials in [false, true] {
            failure_fits(client_credentials, &explain(failure));
        }
    }
}

#[test]
fn fields_tab() {
    let mut app = app();
    feed(&mut app, [ch('2')]);
    snap("fields_not_connected_80x24", &app, 80, 24);
    connect_and_check(&mut app);
    app.fields.cursor = 2;
    snap("fields_checked_80x24", &app, 80, 24);
}

#[test]
fn fields_tab_blank_org() {
    let mut app = app();
    fields_checked(&mut app, blank_org_checks());
    snap("fields_blank_org_80x24", &app, 80, 24);
}

#[test]
fn fields_tab_broken_org() {
    let mut app = app();
    fields_checked(&mut app, broken_org_checks());
    // The hidden field.
    app.fields.cursor = 2;
    snap("fields_broken_org_80x24", &app, 80, 24);
    // The field that is not an External ID.
    app.fields.cursor = 0;
    snap("fields_broken_org_external_id_80x24", &app, 80, 24);
}

#[test]
fn fields_tab_all_ok() {
    let mut app = app();
    fields_checked(&mut app, ok_checks());
    snap("fields_all_ok_80x24", &app, 80, 24);
}

#[test]
fn fields_tab_no_customize() {
    let mut app = app();
    fields_checked(&mut app, no_customize_checks());
    snap("fields_no_customize_80x24", &app, 80, 24);
    let plan = press_repair(&mut app);
    answer_plan(
        &mut app,
        plan,
        Vec::new(),
        no_customize_manual(),
        no_customize_checks(),
    );
    snap("fields_no_customize_manual_80x24", &app, 80, 24);
}

#[test]
fn fields_tab_case_access() {
    let mut app = app();
    fields_checked(&mut app, ok_checks());
    let id = app.fields.answered.expect("a check is shown");
    feed(
        &mut app,
        [Msg::Engine(EngineEvent::CaseAccess {
            id,
            problems: vec![
                "the integration user cannot delete Cases, so undo would fail: give its profile or a permission set Delete on Cases".to_owned(),
            ],
        })],
    );
    snap("fields_case_access_80x24", &app, 80, 24);
}

#[test]
fn fields_tab_repair() {
    let mut app = app();
    fields_checked(&mut app, blank_org_checks());
    let plan = press_repair(&mut app);
    snap("fields_repair_planning_80x24", &app, 80, 24);
    answer_plan(
        &mut app,
        plan,
        blank_org_steps(),
        Vec::new(),
        blank_org_checks(),
    );
    snap("fields_repair_confirm_80x24", &app, 80, 24);
    let repair = sent(&feed(&mut app, [ch('y')]))[0].id;
    snap("fields_repairing_80x24", &app, 80, 24);
    feed(
        &mut app,
        [Msg::Engine(EngineEvent::Repaired {
            id: repair,
            result: Ok((all_done(&blank_org_steps()), ok_checks())),
        })],
    );
    snap("fields_repaired_80x24", &app, 80, 24);
    feed(&mut app, [key(KeyCode::Esc)]);
    snap("fields_repaired_closed_80x24", &app, 80, 24);
}

#[test]
fn fields_tab_repair_plan_with_manual_steps_scrolls() {
    let mut app = app();
    fields_checked(&mut app, wrong_type_org_checks());
    let plan = press_repair(&mut app);
    let (steps, manual) = wrong_type_org_plan();
    answer_plan(&mut app, plan, steps, manual, wrong_type_org_checks());
    snap("fields_repair_confirm_manual_80x24", &app, 80, 24);
    // Drawing tells the popup how far it scrolls; past that a key does nothing.
    feed(&mut app, [key(KeyCode::PageDown)]);
    snap("fields_repair_confirm_scrolled_80x24", &app, 80, 24);
    let scrolled = match app.popups.last() {
        Some(moveforce::tui::state::Popup::Review { scroll, .. }) => *scroll,
        other => panic!("expected the review, got {other:?}"),
    };
    feed(&mut app, [key(KeyCode::PageDown), ch('k')]);
    assert!(matches!(
        app.popups.last(),
        Some(moveforce::tui::state::Popup::Review { scroll, .. }) if *scroll + 1 == scrolled
    ));
}

#[test]
fn moves_tab() {
    let app = app();
    snap("moves_80x24", &app, 80, 24);
    snap("moves_120x40", &app, 120, 40);
}

#[test]
fn moves_tab_during_a_push() {
    let mut app = busy_app();
    feed(&mut app, [ch(' '), ch(' '), ch(' ')]);
    let commands = sent(&feed(&mut app, [ch('p')]));
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
                        message: "Employee Notes: data value too large: max length=255".to_owned(),
                    },
                ),
            ],
            done: 2,
            total: 2,
        })],
    );
    app.moves.cursor = 1;
    // The rate and time left depend on the clock; a start "in the future" keeps them out
    // of the snapshot however slow the machine is.
    if let Some(progress) = app.moves.push.as_mut() {
        progress.started = std::time::Instant::now() + std::time::Duration::from_secs(3600);
    }
    snap("moves_pushing_80x24", &app, 80, 24);
}

#[test]
fn moves_tab_push_confirmation() {
    let mut app = busy_app();
    feed(&mut app, [ch('p')]);
    snap("moves_push_confirm_80x24", &app, 80, 24);
}

#[test]
fn cases_tab() {
    let mut app = busy_app();
    feed(&mut app, [ch('4'), ch(' ')]);
    snap("cases_80x24", &app, 80, 24);
}

#[test]
fn undo_confirmation() {
    let mut app = busy_app();
    feed(&mut app, [ch('4'), ch('u')]);
    snap("cases_undo_confirm_80x24", &app, 80, 24);
}

#[test]
fn help_overlay() {
    let mut app = app();
    feed(&mut app, [ch('?')]);
    snap("help_moves_80x24", &app, 80, 24);
    let mut app = app_with(None);
    feed(&mut app, [ch('?')]);
    snap("help_connection_80x24", &app, 80, 24);
}

#[test]
fn no_plan() {
    let mut app = app_with(None);
    feed(&mut app, [ch('3')]);
    snap("moves_no_plan_80x24", &app, 80, 24);
}

#[test]
fn wide_terminal() {
    let mut app = busy_app();
    for (tab, name) in [
        ('1', "connection_120x40"),
        ('2', "fields_120x40"),
        ('4', "cases_120x40"),
    ] {
        feed(&mut app, [ch(tab)]);
        snap(name, &app, 120, 40);
    }
}

#[test]
fn moves_filter() {
    let mut app = app();
    feed(&mut app, [ch('/')]);
    feed(&mut app, "reliab".chars().map(ch));
    snap("moves_filter_typing_80x24", &app, 80, 24);
    feed(&mut app, [key(KeyCode::Enter), ch('a')]);
    snap("moves_filter_kept_80x24", &app, 80, 24);
}

#[test]
fn cases_filter() {
    let mut app = busy_app();
    feed(&mut app, [ch('4'), ch('/')]);
    feed(&mut app, "qw002".chars().map(ch));
    snap("cases_filter_typing_80x24", &app, 80, 24);
}

#[test]
fn moves_after_a_push_in_an_earlier_session() {
    let app = busy_app();
    snap("moves_ledger_80x24", &app, 80, 24);
}

#[test]
fn too_small() {
    let app = app();
    snap("too_small_79x23", &app, 79, 23);
}

#[test]
fn mono_theme_keeps_the_cursor_row_visible() {
    let mut app = app();
    app.theme = Theme::mono();
    let terminal = draw(&app, 80, 24);
    let buffer = terminal.backend().buffer();
    // The cursor row (first move) is drawn in reverse video, with no colour anywhere.
    let row = (0..buffer.area.height)
        .find(|y| {
            (0..buffer.area.width)
                .filter_map(|x| buffer.cell((x, *y)))
                .map(|c| c.symbol())
                .collect::<String>()
                .contains("mv-000101")
        })
        .expect("first move on screen");
    let cell = buffer.cell((10, row)).expect("cell");
    assert!(
        cell.modifier.contains(ratatui::style::Modifier::REVERSED),
        "{cell:?}"
    );
    for cell in &buffer.content {
        assert_eq!(cell.fg, ratatui::style::Color::Reset);
        assert_eq!(cell.bg, ratatui::style::Color::Reset);
    }
}

#[test]
fn tiny_sizes_do_not_panic() {
    let mut apps = Vec::new();
    for tab in ['1', '2', '3', '4'] {
        let mut app = busy_app();
        feed(&mut app, [ch(tab)]);
        apps.push(app.clone());
        feed(&mut app, [ch('?')]);
        apps.push(app);
    }
    let mut confirm = busy_app();
    feed(&mut confirm, [ch('4'), ch('u')]);
    apps.push(confirm);
    let mut editing = app();
    feed(&mut editing, [ch('1'), key(KeyCode::Enter), ch('x')]);
    apps.push(editing);
    for tab in ['3', '4'] {
        let mut filtering = busy_app();
        feed(&mut filtering, [ch(tab), ch('/'), ch('e'), ch('n')]);
        apps.push(filtering.clone());
        feed(&mut filtering, [key(KeyCode::Enter)]);
        apps.push(filtering);
    }
    apps.push(app_with(None));
    // The repair's review and report, long enough to scroll.
    let mut review = app();
    fields_checked(&mut review, wrong_type_org_checks());
    let plan = press_repair(&mut review);
    let (steps, manual) = wrong_type_org_plan();
    answer_plan(
        &mut review,
        plan,
        steps.clone(),
        manual,
        wrong_type_org_checks(),
    );
    apps.push(review.clone());
    let repair = sent(&feed(&mut review, [ch('y')]))[0].id;
    apps.push(review.clone());
    feed(
        &mut review,
        [Msg::Engine(EngineEvent::Repaired {
            id: repair,
            result: Ok((all_done(&steps), wrong_type_org_checks())),
        })],
    );
    apps.push(review);
    for app in &apps {
        for (w, h) in [
            (0, 0),
            (1, 1),
            (20, 6),
            (40, 10),
            (79, 23),
            (80, 24),
            (81, 25),
        ] {
            let text = screen_text(&draw(app, w, h));
            if w < 80 || h < 24 {
                assert!(
                    w < 20 || text.contains("too small") || text.contains("Terminal"),
                    "{w}x{h}:\n{text}"
                );
            }
        }
    }
}
