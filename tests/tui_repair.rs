//! Pure tests of the Fields tab's repair flow through `update`: plan, confirm, repair,
//! results, re-check; nothing to repair; refusals.

#[path = "tui_fixtures.rs"]
mod fixtures;

use crossterm::event::KeyCode;
use fixtures::*;
use moveforce::engine::{EngineEvent, Request};
use moveforce::salesforce::FieldStatus;
use moveforce::salesforce::setup::StepOutcome;
use moveforce::tui::keymap::Context;
use moveforce::tui::state::{Confirmed, Popup, RepairState, Tone};
use moveforce::tui::update::contexts;
use moveforce::tui::{Msg, Tab, update};

fn review_items(popup: Option<&Popup>) -> Vec<(String, Vec<String>)> {
    match popup {
        Some(Popup::Review { sections, .. }) => sections
            .iter()
            .map(|s| (s.heading.clone(), s.items.clone()))
            .collect(),
        other => panic!("expected a review, got {other:?}"),
    }
}

fn notice(app: &moveforce::tui::App) -> String {
    app.notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

#[test]
fn plan_confirm_repair_results_recheck() {
    let mut app = app();
    fields_checked(&mut app, blank_org_checks());
    assert_eq!(app.tab, Tab::Fields);
    assert!(
        app.fields
            .last
            .iter()
            .all(|c| c.status == FieldStatus::Missing)
    );

    // f asks the engine what a repair would change; nothing is changed yet.
    let plan = press_repair(&mut app);
    assert_eq!(app.fields.repair, RepairState::Planning { id: plan });
    assert!(app.busy());
    assert!(!app.work_in_flight());
    let steps = blank_org_steps();
    let effects = answer_plan(
        &mut app,
        plan,
        steps.clone(),
        Vec::new(),
        blank_org_checks(),
    );
    assert!(sent(&effects).is_empty());
    assert_eq!(app.fields.repair, RepairState::Idle);

    // The confirmation lists exactly the engine's steps, in order.
    assert_eq!(contexts(&app), vec![Context::Review]);
    let sections = review_items(app.popups.last());
    assert_eq!(sections.len(), 1);
    assert_eq!(sections[0].1, steps);
    match app.popups.last() {
        Some(Popup::Review {
            on_yes: Some(Confirmed::Repair {
                preview, steps: n, ..
            }),
            ..
        }) => {
            assert_eq!(*preview, plan);
            assert_eq!(*n, 10);
        }
        other => panic!("expected a repair confirmation, got {other:?}"),
    }

    // It scrolls, and Enter does not approve a change to the org: only y does.
    feed(&mut app, [ch('j'), ch('j'), ch('k')]);
    assert!(matches!(
        app.popups.last(),
        Some(Popup::Review { scroll: 1, .. })
    ));
    let effects = feed(&mut app, [key(KeyCode::Enter)]);
    assert!(sent(&effects).is_empty());
    assert_eq!(app.popups.len(), 1);

    let effects = feed(&mut app, [ch('y')]);
    let commands = sent(&effects);
    assert_eq!(commands.len(), 1);
    assert!(matches!(commands[0].request, Request::Repair { preview } if preview == plan));
    let repair = commands[0].id;
    assert!(app.popups.is_empty());
    assert_eq!(
        app.fields.repair,
        RepairState::Repairing {
            id: repair,
            steps: 10
        }
    );
    assert!(app.work_in_flight());
    // While it runs: no second repair, no re-check, no push, and quitting asks first.
    assert!(sent(&feed(&mut app, [ch('f'), ch('r')])).is_empty());
    assert!(feed(&mut app, [ch('q')]).is_empty());
    assert!(matches!(
        app.popups.last(),
        Some(Popup::Confirm {
            on_yes: Confirmed::Quit,
            ..
        })
    ));
    feed(&mut app, [ch('n')]);

    // An answer to another request changes nothing.
    update(
        &mut app,
        Msg::Engine(EngineEvent::Repaired {
            id: repair + 100,
            result: Ok((Vec::new(), ok_checks())),
        }),
    );
    assert!(matches!(app.fields.repair, RepairState::Repairing { .. }));

    let outcomes = all_done(&steps);
    let effects = update(
        &mut app,
        Msg::Engine(EngineEvent::Repaired {
            id: repair,
            result: Ok((outcomes.clone(), ok_checks())),
        }),
    );
    assert!(sent(&effects).is_empty());
    assert_eq!(app.fields.repair, RepairState::Idle);
    assert!(!app.busy());
    // The re-checked list replaces the old one.
    assert!(app.fields.last.iter().all(|c| c.status == FieldStatus::Ok));
    assert_eq!(app.fields.answered, Some(repair));
    // Each step's outcome, then the re-check.
    assert_eq!(contexts(&app), vec![Context::Report]);
    let sections = review_items(app.popups.last());
    assert_eq!(sections[0].0, "Done (10)");
    assert_eq!(sections[0].1, steps);
    assert!(sections[1].0.contains("every field is ok"), "{sections:?}");
    assert!(
        notice(&app).contains("10 change(s) made, 0 failed"),
        "{}",
        notice(&app)
    );
    let report = app.fields.report.clone().expect("the report is kept");
    assert_eq!(report.outcomes, outcomes);

    // Case access comes with the re-check.
    update(
        &mut app,
        Msg::Engine(EngineEvent::CaseAccess {
            id: repair,
            problems: vec!["the integration user cannot delete Cases".to_owned()],
        }),
    );
    assert_eq!(app.fields.case_access.len(), 1);

    // Closing the report shows the tab; r checks again.
    feed(&mut app, [key(KeyCode::Esc)]);
    assert!(app.popups.is_empty());
    let effects = feed(&mut app, [ch('r')]);
    assert!(matches!(
        sent(&effects).first().map(|c| &c.request),
        Some(Request::CheckFields)
    ));
}

#[test]
fn failed_steps_and_fields_still_wrong_are_said() {
    let mut app = app();
    fields_checked(&mut app, broken_org_checks());
    let plan = press_repair(&mut app);
    let steps = vec![
        "widen CurrentSeat__c from 80 to 255 characters".to_owned(),
        "mark ExternalID__c as External ID".to_owned(),
    ];
    answer_plan(
        &mut app,
        plan,
        steps.clone(),
        Vec::new(),
        broken_org_checks(),
    );
    let repair = sent(&feed(&mut app, [ch('y')]))[0].id;
    let outcomes = vec![
        StepOutcome {
            step: steps[0].clone(),
            result: Ok(()),
        },
        StepOutcome {
            step: steps[1].clone(),
            result: Err("Salesforce answered 400: DUPLICATE_VALUE".to_owned()),
        },
    ];
    let mut after = broken_org_checks();
    after[3] = ok_checks()[3].clone();
    update(
        &mut app,
        Msg::Engine(EngineEvent::Repaired {
            id: repair,
            result: Ok((outcomes, after)),
        }),
    );
    let sections = review_items(app.popups.last());
    let headings: Vec<&str> = sections.iter().map(|(h, _)| h.as_str()).collect();
    assert_eq!(
        headings,
        vec![
            "Done (1)",
            "Failed (1)",
            "Checked again: 2 of 7 still need fixing"
        ]
    );
    assert!(sections[1].1[0].contains("DUPLICATE_VALUE"));
    assert_eq!(
        sections[2].1,
        vec![
            "ExternalID__c: not external id".to_owned(),
            "Team__c: hidden (FLS)".to_owned()
        ]
    );
    assert_eq!(app.notice.as_ref().map(|n| n.tone), Some(Tone::Warn));
}

#[test]
fn nothing_to_repair_is_a_notice() {
    let mut app = app();
    fields_checked(&mut app, ok_checks());
    let plan = press_repair(&mut app);
    answer_plan(&mut app, plan, Vec::new(), Vec::new(), ok_checks());
    assert!(app.popups.is_empty());
    assert!(
        notice(&app).starts_with("Nothing to repair"),
        "{}",
        notice(&app)
    );
    assert_eq!(app.notice.as_ref().map(|n| n.tone), Some(Tone::Good));
    assert_eq!(app.fields.repair, RepairState::Idle);
}

#[test]
fn nothing_to_repair_shows_the_manual_steps() {
    let mut app = app();
    fields_checked(&mut app, no_customize_checks());
    let plan = press_repair(&mut app);
    answer_plan(
        &mut app,
        plan,
        Vec::new(),
        no_customize_manual(),
        no_customize_checks(),
    );
    assert!(
        notice(&app).contains("1 step(s) must be done by hand"),
        "{}",
        notice(&app)
    );
    // A report to read, with nothing to approve.
    assert_eq!(contexts(&app), vec![Context::Report]);
    let sections = review_items(app.popups.last());
    assert_eq!(sections[0].1, no_customize_manual());
    assert!(sent(&feed(&mut app, [ch('y')])).is_empty());
    feed(&mut app, [key(KeyCode::Enter)]);
    assert!(app.popups.is_empty());
    assert_eq!(
        app.fields.report.as_ref().map(|r| r.manual.clone()),
        Some(no_customize_manual())
    );
}

#[test]
fn manual_steps_come_with_the_plan_and_the_results() {
    let mut app = app();
    fields_checked(&mut app, blank_org_checks());
    let plan = press_repair(&mut app);
    let manual = vec!["NewSeat__c is Text Area (Long)(1024) but must be Text(255)".to_owned()];
    answer_plan(
        &mut app,
        plan,
        blank_org_steps(),
        manual.clone(),
        blank_org_checks(),
    );
    let sections = review_items(app.popups.last());
    assert_eq!(sections.len(), 2);
    assert_eq!(sections[1].1, manual);
    let repair = sent(&feed(&mut app, [ch('y')]))[0].id;
    update(
        &mut app,
        Msg::Engine(EngineEvent::Repaired {
            id: repair,
            result: Ok((all_done(&blank_org_steps()), ok_checks())),
        }),
    );
    let sections = review_items(app.popups.last());
    assert!(
        sections
            .iter()
            .any(|(h, items)| h == "Still to do by hand" && *items == manual)
    );
}

#[test]
fn no_cancels_and_changes_nothing() {
    let mut app = app();
    fields_checked(&mut app, blank_org_checks());
    let plan = press_repair(&mut app);
    answer_plan(
        &mut app,
        plan,
        blank_org_steps(),
        Vec::new(),
        blank_org_checks(),
    );
    let effects = feed(&mut app, [ch('n')]);
    assert!(effects.is_empty());
    assert!(app.popups.is_empty());
    assert!(notice(&app).contains("nothing was changed"));
    assert_eq!(app.fields.repair, RepairState::Idle);
}

#[test]
fn repair_is_refused_when_not_connected() {
    let mut app = app();
    let effects = feed(&mut app, [ch('2'), ch('f')]);
    assert!(sent(&effects).is_empty());
    assert_eq!(app.fields.repair, RepairState::Idle);
    assert!(
        notice(&app).starts_with("Connect first"),
        "{}",
        notice(&app)
    );
}

#[test]
fn a_failed_plan_or_repair_is_shown_and_the_fields_checked_again() {
    let mut app = app();
    fields_checked(&mut app, blank_org_checks());
    let plan = press_repair(&mut app);
    update(
        &mut app,
        Msg::Engine(EngineEvent::RepairPlanned {
            id: plan,
            result: Err("cannot read the permission sets: HTTP 500".to_owned()),
        }),
    );
    assert!(
        matches!(app.popups.last(), Some(Popup::Error { message, .. }) if message.contains("permission sets"))
    );
    assert_eq!(app.fields.repair, RepairState::Idle);
    feed(&mut app, [key(KeyCode::Esc)]);

    let plan = press_repair(&mut app);
    answer_plan(
        &mut app,
        plan,
        blank_org_steps(),
        Vec::new(),
        blank_org_checks(),
    );
    let repair = sent(&feed(&mut app, [ch('y')]))[0].id;
    let effects = update(
        &mut app,
        Msg::Engine(EngineEvent::Repaired {
            id: repair,
            result: Err("the connection changed since this repair was planned".to_owned()),
        }),
    );
    assert!(matches!(app.popups.last(), Some(Popup::Error { .. })));
    assert!(matches!(
        sent(&effects).first().map(|c| &c.request),
        Some(Request::CheckFields)
    ));
}

#[test]
fn a_lost_request_stops_the_wait() {
    let mut app = app();
    fields_checked(&mut app, blank_org_checks());
    let plan = press_repair(&mut app);
    update(
        &mut app,
        Msg::SendFailed {
            id: plan,
            reason: "queue full".to_owned(),
        },
    );
    assert_eq!(app.fields.repair, RepairState::Idle);
    // And a late answer to it is ignored.
    answer_plan(
        &mut app,
        plan,
        blank_org_steps(),
        Vec::new(),
        blank_org_checks(),
    );
    assert!(app.popups.is_empty());
}

#[test]
fn case_access_of_a_check_is_kept_and_a_reconnect_clears_it() {
    let mut app = app();
    let effects = connect(&mut app);
    let id = sent(&effects)[0].id;
    // Case access for a check that is not the one shown is ignored.
    update(
        &mut app,
        Msg::Engine(EngineEvent::CaseAccess {
            id,
            problems: vec!["early".to_owned()],
        }),
    );
    assert!(app.fields.case_access.is_empty());
    update(
        &mut app,
        Msg::Engine(EngineEvent::FieldsChecked {
            id,
            result: Ok(ok_checks()),
        }),
    );
    update(
        &mut app,
        Msg::Engine(EngineEvent::CaseAccess {
            id,
            problems: vec!["the integration user cannot create Cases".to_owned()],
        }),
    );
    assert_eq!(app.fields.case_access.len(), 1);
    connect(&mut app);
    assert!(app.fields.case_access.is_empty());
    assert!(!matches!(app.popups.last(), Some(Popup::Review { .. })));
}
