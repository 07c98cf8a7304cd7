//! The one place state changes: `update(&mut App, Msg) -> Vec<Effect>`. Pure: no I/O, no
//! clock, no terminal; what must happen outside comes back as an [`Effect`].

use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};
use tui_input::{Input, InputRequest};

use crate::config::{Flow, SettingsLayer};
use crate::engine::RepairPreview;
use crate::engine::{Command, EngineEvent, Request, RequestId};
use crate::ledger::CaseState;
use crate::plan::{Disposition, map_move};
use crate::salesforce::setup::StepOutcome;
use crate::salesforce::{FieldCheck, FieldStatus};

use super::derived::{case_matches, move_matches};
use super::keymap::{self, Action, Context};
use super::state::{
    App, CasesState, Confirmed, ConnState, Effect, FieldsState, FormField, Msg, Popup, Progress,
    RepairReport, RepairState, RowOutcome, Section, Tab, Tone,
};

/// Rows a page key moves.
const PAGE: usize = 10;

/// The effects the console starts with: read the ledger for the plan, and connect when
/// asked to (the demo does).
pub fn start(app: &mut App, connect: bool) -> Vec<Effect> {
    let mut effects = load_cases(app);
    if connect {
        effects.extend(connect_now(app));
    }
    effects
}

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(event) => {
            if event.kind == KeyEventKind::Release {
                return Vec::new();
            }
            // Behind the "too small" screen nothing is visible: only quitting works, so
            // no key can push or delete unseen.
            if app.too_small.get() {
                let quit = matches!(event.code, KeyCode::Char('q'))
                    || (event.code == KeyCode::Char('c')
                        && event.modifiers.contains(KeyModifiers::CONTROL));
                return if quit {
                    on_action(app, Action::Quit)
                } else {
                    Vec::new()
                };
            }
            let contexts = contexts(app);
            if let Some(action) = keymap::resolve(&contexts, &event) {
                return on_action(app, action);
            }
            let ctrl_c =
                event.code == KeyCode::Char('c') && event.modifiers.contains(KeyModifiers::CONTROL);
            if ctrl_c {
                return on_action(app, Action::Quit);
            }
            if (app.is_editing() || app.is_filtering()) && app.popups.is_empty() {
                let mods = event.modifiers - KeyModifiers::SHIFT;
                if let KeyCode::Char(c) = event.code
                    && mods.is_empty()
                {
                    edit_input(app, InputRequest::InsertChar(c));
                }
            }
            Vec::new()
        }
        Msg::Paste(text) => {
            if !app.too_small.get() {
                on_paste(app, &text);
            }
            Vec::new()
        }
        Msg::Action(action) => on_action(app, action),
        Msg::Engine(event) => on_engine(app, event),
        Msg::Tick => {
            app.spinner = app.spinner.wrapping_add(1);
            Vec::new()
        }
        Msg::Resize => vec![Effect::Redraw],
        Msg::Saved(result) => {
            match &result {
                Ok(path) => app.notify(Tone::Good, format!("Settings saved to {}", path.display())),
                Err(reason) => {
                    app.notify(Tone::Bad, "Settings not saved");
                    app.popups.push(Popup::Error {
                        title: "Could not save the settings".to_owned(),
                        message: reason.clone(),
                    });
                }
            }
            app.connection.saved = Some(result);
            Vec::new()
        }
        Msg::SendFailed { id, reason } => {
            on_send_failed(app, id, &reason);
            Vec::new()
        }
    }
}

/// Where keys go now, first match wins.
pub fn contexts(app: &App) -> Vec<Context> {
    match app.popups.last() {
        Some(Popup::Confirm { .. }) => vec![Context::Confirm],
        Some(Popup::Review {
            on_yes: Some(_), ..
        }) => vec![Context::Review],
        Some(Popup::Review { on_yes: None, .. }) => vec![Context::Report],
        Some(Popup::Help { .. }) => vec![Context::Help],
        Some(Popup::Error { .. }) => vec![Context::Message],
        None if app.is_editing() => vec![Context::Editing],
        None if app.is_filtering() => vec![Context::Filter],
        None => vec![Context::of_tab(app.tab), Context::Global],
    }
}

fn on_action(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Quit => quit(app),
        Action::Help => {
            app.popups.push(Popup::Help { scroll: 0 });
            Vec::new()
        }
        Action::Redraw => vec![Effect::Redraw],
        Action::NextTab => {
            app.tab = app.tab.next();
            Vec::new()
        }
        Action::PrevTab => {
            app.tab = app.tab.prev();
            Vec::new()
        }
        Action::GoTab(tab) => {
            app.tab = tab;
            Vec::new()
        }
        Action::Up => move_cursor(app, -1),
        Action::Down => move_cursor(app, 1),
        Action::PageUp => move_cursor(app, -(PAGE as isize)),
        Action::PageDown => move_cursor(app, PAGE as isize),
        Action::Top => move_cursor(app, isize::MIN),
        Action::Bottom => move_cursor(app, isize::MAX),
        Action::Edit => {
            let field = app.connection.focused();
            if field == FormField::Flow {
                toggle_flow(app);
            } else {
                begin_edit(app);
            }
            Vec::new()
        }
        Action::ToggleFlow => {
            if app.connection.focused() == FormField::Flow {
                toggle_flow(app);
            }
            Vec::new()
        }
        Action::Connect => connect_now(app),
        Action::Save => {
            let settings = app.connection.settings();
            vec![Effect::SaveConfig {
                path: app.config_file.clone(),
                layer: SettingsLayer::from_settings(&settings),
            }]
        }
        Action::EditCommit => {
            app.connection.editing = None;
            Vec::new()
        }
        Action::EditCancel => {
            if let Some(old) = app.connection.editing.take() {
                let field = app.connection.focused();
                if let Some(input) = app.connection.input_mut(field) {
                    *input = Input::new(old);
                }
            }
            Vec::new()
        }
        Action::EditNext => {
            edit_step(app, 1);
            Vec::new()
        }
        Action::EditPrev => {
            edit_step(app, FormField::ALL.len() - 1);
            Vec::new()
        }
        Action::Input(request) => {
            edit_input(app, request);
            Vec::new()
        }
        Action::Recheck => check_fields(app),
        Action::Repair => plan_repair(app),
        Action::ToggleSelect => {
            toggle_select(app);
            Vec::new()
        }
        Action::SelectAll => {
            select_all(app);
            Vec::new()
        }
        Action::Push => request_push(app),
        Action::Reload => load_cases(app),
        Action::MoreConcurrency | Action::LessConcurrency => {
            let wanted = if action == Action::MoreConcurrency {
                app.concurrency + 1
            } else {
                app.concurrency.saturating_sub(1)
            };
            app.concurrency = wanted.clamp(1, crate::engine::MAX_CONCURRENCY);
            app.notify(
                Tone::Info,
                format!(
                    "Pushes and undos send {} request(s) at a time (+/- to change)",
                    app.concurrency
                ),
            );
            Vec::new()
        }
        Action::Undo => {
            request_undo(app);
            Vec::new()
        }
        Action::Yes => match app.popups.pop() {
            Some(Popup::Confirm { on_yes, .. })
            | Some(Popup::Review {
                on_yes: Some(on_yes),
                ..
            }) => confirmed(app, on_yes),
            Some(other) => {
                app.popups.push(other);
                Vec::new()
            }
            None => Vec::new(),
        },
        Action::No | Action::Close => {
            if let Some(Popup::Review {
                on_yes: Some(Confirmed::Repair { .. }),
                ..
            }) = app.popups.pop()
            {
                app.notify(Tone::Info, "Repair cancelled: nothing was changed");
            }
            Vec::new()
        }
        Action::Filter => {
            open_filter(app);
            Vec::new()
        }
        Action::FilterKeep => {
            keep_filter(app);
            Vec::new()
        }
        Action::FilterClear => {
            clear_filter(app);
            Vec::new()
        }
    }
}

fn open_filter(app: &mut App) {
    match app.tab {
        Tab::Moves if app.plan.is_some() => app.moves.filter.editing = true,
        Tab::Cases if !app.cases.cases.is_empty() => app.cases.filter.editing = true,
        _ => {}
    }
}

/// Closes the filter line; an empty filter is no filter.
fn keep_filter(app: &mut App) {
    let filter = match app.tab {
        Tab::Moves => &mut app.moves.filter,
        Tab::Cases => &mut app.cases.filter,
        Tab::Connection | Tab::Fields => return,
    };
    filter.editing = false;
    if !filter.is_active() {
        clear_filter(app);
    }
}

/// Drops the filter; the cursor stays on the row it was on.
fn clear_filter(app: &mut App) {
    match app.tab {
        Tab::Moves => {
            let total = app.move_count();
            let current = app.moves.current(total);
            app.moves.filter.clear();
            app.moves.cursor = current.unwrap_or(0);
        }
        Tab::Cases => {
            let current = app.cases.current();
            app.cases.filter.clear();
            app.cases.cursor = current.unwrap_or(0);
        }
        Tab::Connection | Tab::Fields => {}
    }
}

fn quit(app: &mut App) -> Vec<Effect> {
    if app.work_in_flight() {
        let already_asking = app.popups.iter().any(|p| {
            matches!(
                p,
                Popup::Confirm {
                    on_yes: Confirmed::Quit,
                    ..
                }
            )
        });
        if !already_asking {
            let what = match (&app.moves.push, &app.cases.undo) {
                (Some(p), _) => format!("A push is running ({} of {} done).", p.done, p.total),
                (None, Some(p)) => format!("An undo is running ({} of {} done).", p.done, p.total),
                (None, None) => "A repair of the org is running.".to_owned(),
            };
            app.popups.push(Popup::Confirm {
                title: "Quit while work runs?".to_owned(),
                body: format!(
                    "{what} Quitting stops the console before it hears the rest; what \
                     finished is in the ledger. Quit anyway?"
                ),
                on_yes: Confirmed::Quit,
            });
        }
        return Vec::new();
    }
    app.quitting = true;
    vec![Effect::Quit]
}

fn confirmed(app: &mut App, on_yes: Confirmed) -> Vec<Effect> {
    match on_yes {
        Confirmed::Quit => {
            app.quitting = true;
            vec![Effect::Quit]
        }
        Confirmed::PushAll => {
            let all = app.index.now.clone();
            push(app, &all)
        }
        Confirmed::Undo { case_ids } => undo(app, case_ids),
        Confirmed::Repair {
            preview,
            steps,
            manual,
        } => repair(app, preview, steps, manual),
        Confirmed::Settle => {
            let Some(plan_id) = app.plan.as_ref().map(|p| p.plan_id.clone()) else {
                return Vec::new();
            };
            app.notify(
                Tone::Info,
                "Asking Salesforce what became of the interrupted requests...",
            );
            let (_, effect) = send(app, Request::Settle { plan_id });
            vec![effect]
        }
    }
}

/// Moves a list cursor (or scrolls the help) by `delta`, clamped to the list.
fn move_cursor(app: &mut App, delta: isize) -> Vec<Effect> {
    fn step(cursor: usize, len: usize, delta: isize) -> usize {
        if len == 0 {
            return 0;
        }
        let moved = if delta < 0 {
            cursor.saturating_sub(delta.unsigned_abs())
        } else {
            cursor.saturating_add(delta.unsigned_abs())
        };
        moved.min(len - 1)
    }
    let help_len = super::view::help_line_count(app.tab);
    match app.popups.last_mut() {
        Some(Popup::Help { scroll }) => {
            // The view also stops at the last screenful.
            *scroll = step(*scroll, help_len, delta);
            return Vec::new();
        }
        Some(popup @ Popup::Review { .. }) => {
            let len = super::view::review_line_count(popup);
            if let Popup::Review {
                scroll, max_scroll, ..
            } = popup
            {
                // Past the last screenful (as last drawn) the view would not move.
                let len = len.min(max_scroll.get().saturating_add(1));
                *scroll = step((*scroll).min(len.saturating_sub(1)), len, delta);
            }
            return Vec::new();
        }
        _ => {}
    }
    match app.tab {
        Tab::Connection => {
            let len = FormField::ALL.len();
            app.connection.focus = step(app.connection.focus, len, delta);
        }
        Tab::Fields => {
            let len = app.fields.last.len();
            app.fields.cursor = step(app.fields.cursor, len, delta);
        }
        Tab::Moves => {
            let len = app.moves.filter.len(app.move_count());
            app.moves.cursor = step(app.moves.cursor, len, delta);
        }
        Tab::Cases => {
            let len = app.cases.filter.len(app.cases.cases.len());
            app.cases.cursor = step(app.cases.cursor, len, delta);
        }
    }
    Vec::new()
}

fn toggle_flow(app: &mut App) {
    app.connection.flow = match app.connection.flow {
        Flow::Password => Flow::ClientCredentials,
        Flow::ClientCredentials => Flow::Password,
    };
}

fn begin_edit(app: &mut App) {
    let field = app.connection.focused();
    if !field.is_text() {
        return;
    }
    let old = app
        .connection
        .input(field)
        .map(|i| i.value().to_owned())
        .unwrap_or_default();
    app.connection.editing = Some(old);
}

/// Keeps the value being edited and moves to the field `by` rows on (wrapping), editing
/// it when it is text.
fn edit_step(app: &mut App, by: usize) {
    let len = FormField::ALL.len();
    app.connection.editing = None;
    app.connection.focus = (app.connection.focus + by) % len;
    begin_edit(app);
}

fn edit_input(app: &mut App, request: InputRequest) {
    if app.is_filtering() {
        let (filter, tab) = match app.tab {
            Tab::Cases => (&mut app.cases.filter, Tab::Cases),
            _ => (&mut app.moves.filter, Tab::Moves),
        };
        let changed = filter.input.handle(request).is_some_and(|r| r.value);
        if changed {
            match tab {
                Tab::Cases => refilter_cases(app),
                _ => refilter_moves(app),
            }
        }
        return;
    }
    if !app.is_editing() {
        return;
    }
    let field = app.connection.focused();
    if let Some(input) = app.connection.input_mut(field) {
        input.handle(request);
    }
}

/// Pasted text goes into the focused connection field, and nowhere else; line breaks and
/// other control characters are dropped (every field is one line).
fn on_paste(app: &mut App, text: &str) {
    if app.popups.is_empty() && app.is_filtering() {
        let filter = match app.tab {
            Tab::Cases => &mut app.cases.filter,
            _ => &mut app.moves.filter,
        };
        for c in text.chars().filter(|c| !c.is_control()) {
            filter.input.handle(InputRequest::InsertChar(c));
        }
        match app.tab {
            Tab::Cases => refilter_cases(app),
            _ => refilter_moves(app),
        }
        return;
    }
    let field = app.connection.focused();
    let pastable = app.popups.is_empty() && app.tab == Tab::Connection && field.is_text();
    if !pastable {
        app.notify(
            Tone::Info,
            "Paste ignored: pasting works in a Connection field only",
        );
        return;
    }
    if !app.connection.is_editing() {
        begin_edit(app);
    }
    for c in text.chars().filter(|c| !c.is_control()) {
        edit_input(app, InputRequest::InsertChar(c));
    }
}

fn send(app: &mut App, request: Request) -> (RequestId, Effect) {
    let id = app.take_id();
    (id, Effect::Send(Command { id, request }))
}

fn connect_now(app: &mut App) -> Vec<Effect> {
    app.connection.editing = None;
    if app.work_in_flight() {
        // A new login replaces the session the running push or undo uses.
        app.notify(
            Tone::Warn,
            "A push or undo is running: connect again when it has finished",
        );
        return Vec::new();
    }
    let settings = app.connection.settings();
    let missing = settings.missing();
    if !missing.is_empty() {
        let text = format!("Fill in first: {}", missing.join(", "));
        app.connection.state = ConnState::Failed(text.clone());
        app.notify(Tone::Warn, text);
        return Vec::new();
    }
    let (id, effect) = send(app, Request::Connect(settings));
    app.connection.state = ConnState::Connecting { id };
    app.notify(Tone::Info, "Connecting...");
    vec![effect]
}

fn check_fields(app: &mut App) -> Vec<Effect> {
    if app.connection.connected().is_none() {
        app.notify(
            Tone::Warn,
            "Connect first: Connection tab (1), then c to test the connection",
        );
        return Vec::new();
    }
    if matches!(app.fields.state, FieldsState::Checking { .. }) {
        return Vec::new();
    }
    if matches!(app.fields.repair, RepairState::Repairing { .. }) {
        app.notify(
            Tone::Info,
            "A repair is running: the fields are checked again when it ends",
        );
        return Vec::new();
    }
    let (id, effect) = send(app, Request::CheckFields);
    app.fields.state = FieldsState::Checking { id };
    vec![effect]
}

/// Asks the engine what a repair would change; its answer opens the confirmation.
fn plan_repair(app: &mut App) -> Vec<Effect> {
    if app.connection.connected().is_none() {
        app.notify(
            Tone::Warn,
            "Connect first: Connection tab (1), then c; then f repairs the fields",
        );
        return Vec::new();
    }
    match app.fields.repair {
        RepairState::Planning { .. } => {
            app.notify(
                Tone::Info,
                "Already working out what a repair would change...",
            );
            return Vec::new();
        }
        RepairState::Repairing { .. } => {
            app.notify(Tone::Warn, "A repair is running: wait for it to finish");
            return Vec::new();
        }
        RepairState::Idle => {}
    }
    if app.work_in_flight() {
        app.notify(
            Tone::Warn,
            "A push or undo is running: repair the fields when it has finished",
        );
        return Vec::new();
    }
    let (id, effect) = send(app, Request::PlanRepair);
    app.fields.repair = RepairState::Planning { id };
    app.notify(
        Tone::Info,
        "Checking the org and working out what a repair would change...",
    );
    vec![effect]
}

/// The operator approved the plan: the engine makes the changes.
fn repair(app: &mut App, preview: RequestId, steps: usize, manual: Vec<String>) -> Vec<Effect> {
    if app.connection.connected().is_none() {
        app.notify(Tone::Warn, "Not connected any more: nothing was changed");
        return Vec::new();
    }
    if app.work_in_flight() {
        app.notify(
            Tone::Warn,
            "A push, undo or repair is running: nothing was changed; press f when it has finished",
        );
        return Vec::new();
    }
    let (id, effect) = send(app, Request::Repair { preview });
    app.fields.repair = RepairState::Repairing { id, steps };
    app.fields.report = Some(RepairReport {
        outcomes: Vec::new(),
        manual,
    });
    app.notify(
        Tone::Info,
        format!("Repairing the org: {steps} change(s)..."),
    );
    vec![effect]
}

/// Shows a check's result: the list, the cursor kept on it, and which request it was.
fn show_checks(app: &mut App, id: RequestId, checks: Vec<FieldCheck>) {
    app.fields.cursor = app.fields.cursor.min(checks.len().saturating_sub(1));
    app.fields.last = checks.clone();
    app.fields.state = FieldsState::Checked(checks);
    app.fields.answered = Some(id);
}

fn not_ok(checks: &[FieldCheck]) -> Vec<&FieldCheck> {
    checks
        .iter()
        .filter(|c| c.status != FieldStatus::Ok)
        .collect()
}

fn on_repair_planned(app: &mut App, id: RequestId, result: Result<RepairPreview, String>) {
    let preview = match result {
        Ok(preview) => preview,
        Err(reason) => {
            app.notify(Tone::Bad, "Could not work out the repair");
            app.popups.push(Popup::Error {
                title: "Could not plan the repair".to_owned(),
                message: reason,
            });
            return;
        }
    };
    show_checks(app, id, preview.checks);
    app.fields.case_access = preview.case_access;
    let manual = preview.manual;
    let by_hand = Section {
        heading: "To do by hand (moveforce cannot, through the API)".to_owned(),
        tone: Tone::Warn,
        items: manual.clone(),
    };
    if preview.steps.is_empty() {
        let bad = not_ok(&app.fields.last).len();
        if manual.is_empty() {
            let text = if bad == 0 {
                format!(
                    "Nothing to repair: all {} Case fields are ok",
                    app.fields.last.len()
                )
            } else {
                "Nothing moveforce can repair through the API: see each field's detail".to_owned()
            };
            app.notify(if bad == 0 { Tone::Good } else { Tone::Warn }, text);
            return;
        }
        app.notify(
            Tone::Warn,
            format!(
                "Nothing to repair through the API; {} step(s) must be done by hand",
                manual.len()
            ),
        );
        app.fields.report = Some(RepairReport {
            outcomes: Vec::new(),
            manual,
        });
        app.popups.push(Popup::Review {
            title: "Nothing moveforce can repair".to_owned(),
            intro: "moveforce has no change to make through the API. What is left must be done \
                    in Salesforce Setup:"
                .to_owned(),
            sections: vec![by_hand],
            scroll: 0,
            max_scroll: std::cell::Cell::new(usize::MAX),
            on_yes: None,
        });
        return;
    }
    let org = app
        .connection
        .connected()
        .map(|info| format!("org {} ({})", info.org_id, info.instance_url))
        .unwrap_or_else(|| "the org".to_owned());
    let steps = preview.steps.len();
    let mut sections = vec![Section {
        heading: format!("moveforce will create or change ({steps})"),
        tone: Tone::Info,
        items: preview.steps,
    }];
    if !manual.is_empty() {
        sections.push(by_hand);
    }
    app.popups.push(Popup::Review {
        title: format!("Repair the org? {steps} change(s)"),
        intro: format!(
            "In {org}, in this order. Nothing is deleted or narrowed. The fields are checked \
             again afterwards."
        ),
        sections,
        scroll: 0,
        max_scroll: std::cell::Cell::new(usize::MAX),
        on_yes: Some(Confirmed::Repair {
            preview: id,
            steps,
            manual,
        }),
    });
    app.notify(Tone::Info, "Read the plan: y makes the changes, n cancels");
}

fn on_repaired(
    app: &mut App,
    id: RequestId,
    result: Result<(Vec<StepOutcome>, Vec<FieldCheck>), String>,
) -> Vec<Effect> {
    let manual = app
        .fields
        .report
        .take()
        .map(|r| r.manual)
        .unwrap_or_default();
    let (outcomes, checks) = match result {
        Ok(answer) => answer,
        Err(reason) => {
            app.notify(Tone::Bad, "The repair stopped");
            app.popups.push(Popup::Error {
                title: "The repair stopped".to_owned(),
                message: reason,
            });
            // Show what the org holds now, whatever was made of the plan.
            return check_fields(app);
        }
    };
    show_checks(app, id, checks);
    let report = RepairReport { outcomes, manual };
    let (done, failed) = (report.done(), report.failed());
    let bad = not_ok(&app.fields.last);
    let total = app.fields.last.len();
    let mut sections = Vec::new();
    let done_items: Vec<String> = report
        .outcomes
        .iter()
        .filter(|o| o.result.is_ok())
        .map(|o| o.step.clone())
        .collect();
    if !done_items.is_empty() {
        sections.push(Section {
            heading: format!("Done ({done})"),
            tone: Tone::Good,
            items: done_items,
        });
    }
    let failed_items: Vec<String> = report
        .outcomes
        .iter()
        .filter_map(|o| match &o.result {
            Err(e) => Some(format!("{}: {e}", o.step)),
            Ok(()) => None,
        })
        .collect();
    if !failed_items.is_empty() {
        sections.push(Section {
            heading: format!("Failed ({failed})"),
            tone: Tone::Bad,
            items: failed_items,
        });
    }
    if !report.manual.is_empty() {
        sections.push(Section {
            heading: "Still to do by hand".to_owned(),
            tone: Tone::Warn,
            items: report.manual.clone(),
        });
    }
    let recheck = if bad.is_empty() {
        Section {
            heading: "Checked again: every field is ok".to_owned(),
            tone: Tone::Good,
            items: vec![format!("all {total} Case fields are ready for a push")],
        }
    } else {
        Section {
            heading: format!("Checked again: {} of {total} still need fixing", bad.len()),
            tone: Tone::Warn,
            items: bad
                .iter()
                .map(|c| {
                    format!(
                        "{}: {}",
                        c.spec.api_name,
                        super::view::status_words(c.status)
                    )
                })
                .collect(),
        }
    };
    sections.push(recheck);
    let ok = failed == 0 && bad.is_empty();
    app.notify(
        if ok { Tone::Good } else { Tone::Warn },
        format!(
            "Repair done: {done} change(s) made, {failed} failed; {} of {total} fields ok",
            total - bad.len()
        ),
    );
    app.popups.push(Popup::Review {
        title: if ok {
            "Repair finished".to_owned()
        } else {
            "Repair finished: not everything is fixed".to_owned()
        },
        intro: "What moveforce did, in order, and the fields as checked afterwards:".to_owned(),
        sections,
        scroll: 0,
        max_scroll: std::cell::Cell::new(usize::MAX),
        on_yes: None,
    });
    app.fields.report = Some(report);
    Vec::new()
}

fn load_cases(app: &mut App) -> Vec<Effect> {
    let Some(plan_id) = app.plan.as_ref().map(|p| p.plan_id.clone()) else {
        app.cases.state = CasesState::NoPlan;
        return Vec::new();
    };
    if matches!(app.cases.state, CasesState::Loading { .. }) {
        return Vec::new();
    }
    let (id, effect) = send(app, Request::LoadCases { plan_id });
    app.cases.state = CasesState::Loading { id };
    vec![effect]
}

fn toggle_select(app: &mut App) {
    match app.tab {
        Tab::Moves => {
            let total = app.move_count();
            let Some(index) = app.moves.current(total) else {
                return;
            };
            let Some(mv) = app.plan.as_ref().and_then(|p| p.moves.get(index)) else {
                return;
            };
            let disposition = app.index.disposition(index);
            if disposition != Disposition::Now {
                let text = format!(
                    "{} is {}: only now-moves are pushed",
                    mv.move_id,
                    disposition.as_str()
                );
                app.notify(Tone::Warn, text);
                return;
            }
            if !app.moves.selected.remove(index) {
                app.moves.selected.insert(index);
            }
            let shown = app.moves.filter.len(total);
            app.moves.cursor = (app.moves.cursor + 1).min(shown.saturating_sub(1));
        }
        Tab::Cases => {
            let Some(case) = app.cases.current().and_then(|i| app.cases.cases.get(i)) else {
                return;
            };
            if case.state != CaseState::Pushed {
                let text = format!("{} is already deleted", case.case_id);
                app.notify(Tone::Warn, text);
                return;
            }
            let id = case.case_id.clone();
            if !app.cases.selected.remove(&id) {
                app.cases.selected.insert(id);
            }
            let shown = app.cases.filter.len(app.cases.cases.len());
            app.cases.cursor = (app.cases.cursor + 1).min(shown.saturating_sub(1));
        }
        Tab::Connection | Tab::Fields => {}
    }
}

/// Marks every now-move (or pushed Case) shown, or unmarks them when all already are.
/// Under a filter only the rows it shows change, and the notice says so. Linear in the
/// rows shown: marks are a bitset (moves) or a hash set (Cases).
fn select_all(app: &mut App) {
    match app.tab {
        Tab::Moves => {
            let filtered = app.moves.filter.is_active();
            let now: Vec<usize> = if filtered {
                let total = app.move_count();
                app.moves
                    .filter
                    .shown(total)
                    .filter(|&i| app.index.disposition(i) == Disposition::Now)
                    .collect()
            } else {
                app.index.now.clone()
            };
            let all_marked = !now.is_empty() && now.iter().all(|&i| app.moves.selected.contains(i));
            if all_marked {
                for &i in &now {
                    app.moves.selected.remove(i);
                }
            } else {
                for &i in &now {
                    app.moves.selected.insert(i);
                }
            }
            if filtered {
                let verb = if all_marked { "Unmarked" } else { "Marked" };
                let text = format!(
                    "{verb} the {} now-moves the filter \"{}\" shows; {} marked in all",
                    now.len(),
                    app.moves.filter.text(),
                    app.moves.selected.len()
                );
                app.notify(Tone::Info, text);
            }
        }
        Tab::Cases => {
            let filtered = app.cases.filter.is_active();
            let cases = &app.cases.cases;
            let pushed: Vec<usize> = app
                .cases
                .filter
                .shown(cases.len())
                .filter(|&i| cases.get(i).is_some_and(|c| c.state == CaseState::Pushed))
                .collect();
            let all_marked = !pushed.is_empty()
                && pushed
                    .iter()
                    .filter_map(|&i| cases.get(i))
                    .all(|c| app.cases.selected.contains(&c.case_id));
            for case in pushed.iter().filter_map(|&i| app.cases.cases.get(i)) {
                if all_marked {
                    app.cases.selected.remove(&case.case_id);
                } else {
                    app.cases.selected.insert(case.case_id.clone());
                }
            }
            if filtered {
                let verb = if all_marked { "Unmarked" } else { "Marked" };
                let text = format!(
                    "{verb} the {} pushed Cases the filter \"{}\" shows; {} marked in all",
                    pushed.len(),
                    app.cases.filter.text(),
                    app.cases.selected.len()
                );
                app.notify(Tone::Info, text);
            }
        }
        Tab::Connection | Tab::Fields => {}
    }
}

/// Why a push or undo cannot start now, if it cannot.
fn blocked(app: &App, what: &str) -> Option<String> {
    if app.plan.is_none() {
        return Some(format!(
            "No plan: start the console with a plan file to {what}"
        ));
    }
    if app.moves.push.is_some() {
        return Some("A push is running: wait for it to finish".to_owned());
    }
    if app.cases.undo.is_some() {
        return Some("An undo is running: wait for it to finish".to_owned());
    }
    if matches!(app.fields.repair, RepairState::Repairing { .. }) {
        return Some("A repair of the org is running: wait for it to finish".to_owned());
    }
    if app.connection.connected().is_none() {
        return Some(format!(
            "Connect first: Connection tab (1), then c; then {what}"
        ));
    }
    None
}

fn request_push(app: &mut App) -> Vec<Effect> {
    if let Some(reason) = blocked(app, "push") {
        app.notify(Tone::Warn, reason);
        return Vec::new();
    }
    if !app.moves.selected.is_empty() {
        let chosen: Vec<usize> = app.moves.selected.iter().collect();
        return push(app, &chosen);
    }
    let count = app.index.now.len();
    if count == 0 {
        app.notify(Tone::Warn, "This plan has no now-moves to push");
        return Vec::new();
    }
    let plan_id = app
        .plan
        .as_ref()
        .map(|p| p.plan_id.clone())
        .unwrap_or_default();
    let noun = if count == 1 { "now-move" } else { "now-moves" };
    app.popups.push(Popup::Confirm {
        title: "Push the whole plan?".to_owned(),
        body: format!(
            "No moves are marked. Push all {count} {noun} of {plan_id} to Salesforce as \
             Cases, {} request(s) at a time?{} Future, cancelled and invalid moves are never \
             pushed.",
            app.concurrency,
            if app.moves.filter.is_active() {
                " The filter does not narrow this: mark the rows it shows with a to push \
                 only those."
            } else {
                ""
            }
        ),
        on_yes: Confirmed::PushAll,
    });
    Vec::new()
}

/// Sends one Push with the drafts of the now-moves among `indexes`.
fn push(app: &mut App, indexes: &[usize]) -> Vec<Effect> {
    let Some(plan) = app.plan.as_ref() else {
        return Vec::new();
    };
    let moves: Vec<&crate::plan::Move> = indexes
        .iter()
        .filter(|i| app.index.disposition(**i) == Disposition::Now)
        .filter_map(|i| plan.moves.get(*i))
        .collect();
    if moves.is_empty() {
        app.notify(Tone::Warn, "Nothing to push: no now-move is marked");
        return Vec::new();
    }
    let drafts: Vec<_> = moves.iter().map(|mv| map_move(plan, mv)).collect();
    let ids: Vec<String> = moves.iter().map(|mv| mv.move_id.clone()).collect();
    let request = Request::Push {
        plan_id: plan.plan_id.clone(),
        plan_name: plan.plan_name.clone(),
        drafts,
        concurrency: app.concurrency,
    };
    let total = ids.len();
    let (id, effect) = send(app, request);
    for move_id in ids {
        app.moves.outcomes.insert(move_id, RowOutcome::Pending);
    }
    app.moves.push = Some(Progress::new(id, total));
    app.notify(Tone::Info, format!("Pushing {total} moves..."));
    vec![effect]
}

fn request_undo(app: &mut App) {
    if let Some(reason) = blocked(app, "undo") {
        app.notify(Tone::Warn, reason);
        return;
    }
    let plan_id = app
        .plan
        .as_ref()
        .map(|p| p.plan_id.clone())
        .unwrap_or_default();
    let (count, case_ids, scope) = if app.cases.selected.is_empty() {
        let count = app.cases.pushed().count();
        (count, None, format!("every Case plan {plan_id} created"))
    } else {
        // In ledger order, so the request does not depend on the set's order.
        let ids: Vec<String> = app
            .cases
            .cases
            .iter()
            .filter(|c| app.cases.selected.contains(&c.case_id))
            .map(|c| c.case_id.clone())
            .collect();
        let scope = match ids.as_slice() {
            [one] => format!("the marked Case {one}"),
            _ => format!("the {} marked Cases", ids.len()),
        };
        (ids.len(), Some(ids), scope)
    };
    if count == 0 {
        app.notify(
            Tone::Warn,
            "Nothing to undo: the ledger holds no pushed Case for this plan",
        );
        return;
    }
    let noun = if count == 1 { "Case" } else { "Cases" };
    app.popups.push(Popup::Confirm {
        title: format!("Delete {count} {noun}?"),
        body: format!(
            "This deletes {count} {noun} from Salesforce: {scope}. They go to the org's \
             Recycle Bin. Go ahead?"
        ),
        on_yes: Confirmed::Undo { case_ids },
    });
}

fn undo(app: &mut App, case_ids: Option<Vec<String>>) -> Vec<Effect> {
    if let Some(reason) = blocked(app, "undo") {
        app.notify(Tone::Warn, reason);
        return Vec::new();
    }
    let Some(plan_id) = app.plan.as_ref().map(|p| p.plan_id.clone()) else {
        return Vec::new();
    };
    let total = match &case_ids {
        Some(ids) => ids.len(),
        None => app.cases.pushed().count(),
    };
    let concurrency = app.concurrency;
    let (id, effect) = send(
        app,
        Request::Undo {
            plan_id,
            case_ids,
            concurrency,
        },
    );
    app.cases.undo = Some(Progress::new(id, total));
    app.notify(Tone::Info, format!("Deleting {total} Cases..."));
    vec![effect]
}

fn on_engine(app: &mut App, event: EngineEvent) -> Vec<Effect> {
    match event {
        EngineEvent::Connected { id, result } => {
            if app.connection.state != (ConnState::Connecting { id }) {
                return Vec::new();
            }
            match result {
                Ok(info) => {
                    app.notify(
                        Tone::Good,
                        format!("Connected to org {} as {}", info.org_id, info.username),
                    );
                    app.connection.state = ConnState::Connected(info);
                    // What was found or planned on the last connection no longer holds.
                    app.fields.state = FieldsState::NotChecked;
                    app.fields.answered = None;
                    app.fields.case_access.clear();
                    app.fields.repair = RepairState::Idle;
                    app.fields.report = None;
                    let mut effects = check_fields(app);
                    // Reloading the ledger now also offers to settle interrupted work,
                    // which needs the connection that just came up.
                    effects.extend(load_cases(app));
                    effects
                }
                Err(reason) => {
                    app.notify(Tone::Bad, format!("Connection failed: {reason}"));
                    app.connection.state = ConnState::Failed(reason);
                    Vec::new()
                }
            }
        }
        EngineEvent::FieldsChecked { id, result } => {
            if app.fields.state != (FieldsState::Checking { id }) {
                return Vec::new();
            }
            match result {
                Ok(checks) => {
                    let bad = checks
                        .iter()
                        .filter(|c| c.status != FieldStatus::Ok)
                        .count();
                    if bad == 0 {
                        app.notify(
                            Tone::Good,
                            format!("All {} Case fields are ready", checks.len()),
                        );
                    } else {
                        app.notify(
                            Tone::Warn,
                            format!(
                                "{bad} of {} Case fields need fixing (Fields tab)",
                                checks.len()
                            ),
                        );
                    }
                    show_checks(app, id, checks);
                }
                Err(reason) => {
                    app.notify(Tone::Bad, format!("Field check failed: {reason}"));
                    app.fields.state = FieldsState::Failed(reason);
                }
            }
            Vec::new()
        }
        EngineEvent::CaseAccess { id, problems } => {
            if app.fields.answered == Some(id) {
                if !problems.is_empty() {
                    app.notify(
                        Tone::Warn,
                        "The integration user lacks rights on Case: see the Fields tab",
                    );
                }
                app.fields.case_access = problems;
            }
            Vec::new()
        }
        EngineEvent::RepairPlanned { id, result } => {
            if app.fields.repair != (RepairState::Planning { id }) {
                return Vec::new();
            }
            app.fields.repair = RepairState::Idle;
            on_repair_planned(app, id, result);
            Vec::new()
        }
        EngineEvent::Repaired { id, result } => {
            if !matches!(app.fields.repair, RepairState::Repairing { id: running, .. } if running == id)
            {
                return Vec::new();
            }
            app.fields.repair = RepairState::Idle;
            on_repaired(app, id, result)
        }
        EngineEvent::Pushed {
            id,
            outcomes,
            done,
            total,
        } => {
            let Some(progress) = app.moves.push.as_mut().filter(|p| p.id == id) else {
                return Vec::new();
            };
            progress.done = done;
            progress.total = total;
            progress.failed += outcomes
                .iter()
                .filter(|(_, o)| matches!(o, crate::engine::PushOutcome::Failed { .. }))
                .count();
            for (move_id, outcome) in outcomes {
                app.moves
                    .outcomes
                    .insert(move_id, RowOutcome::Done(outcome));
            }
            Vec::new()
        }
        EngineEvent::PushFinished { id, result } => {
            if app.moves.push.is_none_or(|p| p.id != id) {
                return Vec::new();
            }
            app.moves.push = None;
            app.moves
                .outcomes
                .retain(|_, outcome| *outcome != RowOutcome::Pending);
            let summary = result.map(|counts| {
                let text = format!(
                    "Push done: {} created, {} updated, {} failed",
                    counts.created, counts.updated, counts.failed
                );
                (text, counts.failed > 0)
            });
            if report_end(app, "Push", summary) {
                app.moves.selected.clear();
            }
            load_cases(app)
        }
        EngineEvent::Undone {
            id,
            outcomes,
            done,
            total,
        } => {
            let Some(progress) = app.cases.undo.as_mut().filter(|p| p.id == id) else {
                return Vec::new();
            };
            progress.done = done;
            progress.total = total;
            progress.failed += outcomes
                .iter()
                .filter(|(_, o)| matches!(o, crate::engine::UndoOutcome::Failed { .. }))
                .count();
            for (case_id, outcome) in outcomes {
                // The Moves tab must not keep showing a push result for a Case now gone.
                if !matches!(outcome, crate::engine::UndoOutcome::Failed { .. })
                    && let Some(case) = app.cases.cases.iter().find(|c| c.case_id == case_id)
                {
                    app.moves.outcomes.remove(&case.move_id);
                }
                app.cases.outcomes.insert(case_id, outcome);
            }
            Vec::new()
        }
        EngineEvent::UndoFinished { id, result } => {
            if app.cases.undo.is_none_or(|p| p.id != id) {
                return Vec::new();
            }
            app.cases.undo = None;
            let summary = result.map(|counts| {
                let text = format!(
                    "Undo done: {} deleted, {} already gone, {} failed",
                    counts.deleted, counts.already_gone, counts.failed
                );
                (text, counts.failed > 0)
            });
            if report_end(app, "Undo", summary) {
                app.cases.selected.clear();
            }
            load_cases(app)
        }
        EngineEvent::Cases { id, result } => {
            if app.cases.state != (CasesState::Loading { id }) {
                return Vec::new();
            }
            match result {
                Ok(cases) => {
                    let still_pushed: std::collections::HashSet<&str> = cases
                        .iter()
                        .filter(|c| c.state == CaseState::Pushed)
                        .map(|c| c.case_id.as_str())
                        .collect();
                    app.cases
                        .selected
                        .retain(|id| still_pushed.contains(id.as_str()));
                    let cursor = app.cases.cursor;
                    app.set_cases(cases);
                    app.cases.filter.invalidate();
                    refilter_cases(app);
                    let shown = app.cases.filter.len(app.cases.cases.len());
                    app.cases.cursor = cursor.min(shown.saturating_sub(1));
                    app.cases.state = CasesState::Loaded;
                }
                Err(reason) => app.cases.state = CasesState::Failed(reason),
            }
            Vec::new()
        }
        EngineEvent::Unsettled { count, .. } => {
            let what = format!(
                "{count} push or undo request(s) of this plan were interrupted before their outcome was recorded"
            );
            if matches!(app.connection.state, ConnState::Connected(_)) && !app.work_in_flight() {
                app.popups.push(Popup::Confirm {
                    title: "Unfinished work".to_owned(),
                    body: format!(
                        "{what}. Ask Salesforce now and record what it holds? Nothing is sent again until this is settled."
                    ),
                    on_yes: Confirmed::Settle,
                });
            } else {
                app.notify(
                    Tone::Warn,
                    format!("{what}: connect, and they are settled before the next push or undo"),
                );
            }
            Vec::new()
        }
        EngineEvent::Settled { result, .. } => {
            match result {
                Ok(s) => app.notify(
                    Tone::Good,
                    format!(
                        "Settled: {} Case(s) found, {} never created, {} deleted, {} still there",
                        s.found, s.absent, s.gone, s.present
                    ),
                ),
                Err(reason) => app.notify(Tone::Bad, format!("Could not settle: {reason}")),
            }
            load_cases(app)
        }
    }
}

/// Says how a push or undo ended: its summary (a warning when some failed), or why it
/// stopped, in a popup. True when it ran to the end.
fn report_end(app: &mut App, what: &str, result: Result<(String, bool), String>) -> bool {
    match result {
        Ok((summary, some_failed)) => {
            let tone = if some_failed { Tone::Warn } else { Tone::Good };
            app.notify(tone, summary);
            true
        }
        Err(reason) => {
            app.notify(Tone::Bad, format!("{what} stopped"));
            app.popups.push(Popup::Error {
                title: format!("The {} stopped", what.to_lowercase()),
                message: reason,
            });
            false
        }
    }
}

/// A command never reached the engine: whatever waited on it stops waiting.
fn on_send_failed(app: &mut App, id: RequestId, reason: &str) {
    let text = format!("The engine did not take the request: {reason}");
    if app.connection.state == (ConnState::Connecting { id }) {
        app.connection.state = ConnState::Failed(text.clone());
    }
    if app.fields.state == (FieldsState::Checking { id }) {
        app.fields.state = FieldsState::Failed(text.clone());
    }
    if app.cases.state == (CasesState::Loading { id }) {
        app.cases.state = CasesState::Failed(text.clone());
    }
    match app.fields.repair {
        RepairState::Planning { id: waiting } | RepairState::Repairing { id: waiting, .. }
            if waiting == id =>
        {
            app.fields.repair = RepairState::Idle;
        }
        _ => {}
    }
    if app.moves.push.is_some_and(|p| p.id == id) {
        app.moves.push = None;
        app.moves
            .outcomes
            .retain(|_, outcome| *outcome != RowOutcome::Pending);
    }
    if app.cases.undo.is_some_and(|p| p.id == id) {
        app.cases.undo = None;
    }
    app.notify(Tone::Bad, text);
}

/// Recomputes the Moves filter's matches (after its text changed), keeping the cursor on
/// the same move when the filter still shows it.
pub(crate) fn refilter_moves(app: &mut App) {
    let total = app.move_count();
    let current = app.moves.current(total);
    let Some(plan) = app.plan.as_ref() else {
        app.moves.filter.clear();
        return;
    };
    app.moves.filter.refresh(total, |i, needle| {
        plan.moves.get(i).is_some_and(|mv| move_matches(mv, needle))
    });
    app.moves.cursor = current
        .and_then(|i| app.moves.filter.position_of(i, total))
        .unwrap_or(0);
}

/// Recomputes the Cases filter's matches (after its text or the ledger changed), keeping
/// the cursor on the same Case when the filter still shows it.
pub(crate) fn refilter_cases(app: &mut App) {
    let current = app.cases.current();
    let cases = &app.cases.cases;
    let moves = app.plan.as_ref().map_or(&[][..], |p| p.moves.as_slice());
    let ledger = &app.ledger;
    app.cases.filter.refresh(cases.len(), |i, needle| {
        let mv = ledger
            .move_of_case
            .get(i)
            .copied()
            .flatten()
            .and_then(|m| moves.get(m));
        cases.get(i).is_some_and(|c| case_matches(c, mv, needle))
    });
    let total = app.cases.cases.len();
    app.cases.cursor = current
        .and_then(|i| app.cases.filter.position_of(i, total))
        .unwrap_or(0);
}
