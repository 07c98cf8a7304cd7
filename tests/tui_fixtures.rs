//! Shared fixtures for the console tests (included by the other `tui_*` tests with
//! `#[path]`; compiled alone it holds no tests).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use moveforce::config::{ConnectionSettings, Flow};
use moveforce::engine::{Command, EngineEvent, Request};
use moveforce::ledger::{CaseState, LedgerCase};
use moveforce::plan::{MapOptions, Plan};
use moveforce::salesforce::fields::{Existence, ToolingField, check_field_with};
use moveforce::salesforce::setup::{RepairStep, StepOutcome};
use moveforce::salesforce::{ConnectionInfo, DescribeField, FieldCheck, check_fields};
use moveforce::secret::Secret;
use moveforce::spec::{CUSTOM_FIELDS, FieldKind};
use moveforce::tui::{App, AppInit, Effect, Msg, Theme, render, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

pub const CLIENT_SECRET: &str = "cs-SECRET-4411";
pub const PASSWORD: &str = "pw-SECRET-8822";
pub const TOKEN: &str = "tok-SECRET-9933";

pub fn plan() -> Plan {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/samples/q3-platform-eng.json"
    ));
    moveforce::plan::load(path, MapOptions::default()).expect("the sample plan loads")
}

pub fn settings() -> ConnectionSettings {
    ConnectionSettings {
        login_url: "https://acme.my.salesforce.com".to_owned(),
        flow: Flow::Password,
        client_id: "3MVG9-demo-client-id".to_owned(),
        client_secret: Secret::new(CLIENT_SECRET),
        username: "integration@acme.example".to_owned(),
        password: Secret::new(PASSWORD),
        security_token: Secret::new(TOKEN),
        api_version: "62.0".to_owned(),
    }
}

pub fn config_file() -> PathBuf {
    PathBuf::from("/home/operator/.config/moveforce/config.toml")
}

pub fn app_with(plan: Option<Plan>) -> App {
    App::new(AppInit {
        plan,
        settings: settings(),
        banner: None,
        config_file: config_file(),
        theme: Theme::ansi(),
    })
}

/// A console opened on the sample plan, not connected.
pub fn app() -> App {
    app_with(Some(plan()))
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

/// Feeds messages in order and collects every effect.
pub fn feed(app: &mut App, msgs: impl IntoIterator<Item = Msg>) -> Vec<Effect> {
    msgs.into_iter().flat_map(|m| update(app, m)).collect()
}

/// The commands among the effects.
pub fn sent(effects: &[Effect]) -> Vec<Command> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(command) => Some(command.clone()),
            _ => None,
        })
        .collect()
}

pub fn info() -> ConnectionInfo {
    ConnectionInfo {
        instance_url: "https://acme.my.salesforce.com".to_owned(),
        org_id: "00D5g000004XyZaEAK".to_owned(),
        user_id: "0055g00000AbCdEAAZ".to_owned(),
        username: "integration@acme.example".to_owned(),
        api_version: "62.0".to_owned(),
        api_usage: Some((1_250, 15_000)),
    }
}

/// Connects through `update`, answering the Connect with [`info`]; returns the effects of
/// the answer (the automatic field check).
pub fn connect(app: &mut App) -> Vec<Effect> {
    let effects = update(app, Msg::Action(moveforce::tui::Action::Connect));
    let id = match sent(&effects).first() {
        Some(Command {
            id,
            request: Request::Connect(_),
        }) => *id,
        other => panic!("expected a Connect, got {other:?}"),
    };
    update(
        app,
        Msg::Engine(EngineEvent::Connected {
            id,
            result: Ok(info()),
        }),
    )
}

fn text(name: &str, length: usize, external_id: bool) -> DescribeField {
    DescribeField {
        name: name.to_owned(),
        label: name.to_owned(),
        field_type: "string".to_owned(),
        length,
        external_id,
        unique: external_id,
        createable: true,
        updateable: true,
        extra_type_info: None,
        html_formatted: false,
    }
}

fn long_text(name: &str, length: usize) -> DescribeField {
    DescribeField {
        field_type: "textarea".to_owned(),
        extra_type_info: Some("plaintextarea".to_owned()),
        ..text(name, length, false)
    }
}

/// Field checks of an org with two problems: Team__c missing, CurrentSeat__c too short.
pub fn checks() -> Vec<FieldCheck> {
    check_fields(&[
        text("ExternalID__c", 255, true),
        text("Department__c", 255, false),
        text("CurrentSeat__c", 80, false),
        text("NewSeat__c", 255, false),
        long_text("EmployeeAssets__c", 1024),
        long_text("EmployeeNotes__c", 1024),
    ])
}

/// Connects and answers the automatic field check with [`checks`].
pub fn connect_and_check(app: &mut App) {
    let effects = connect(app);
    let id = match sent(&effects).first() {
        Some(Command {
            id,
            request: Request::CheckFields,
        }) => *id,
        other => panic!("expected a CheckFields, got {other:?}"),
    };
    update(
        app,
        Msg::Engine(EngineEvent::FieldsChecked {
            id,
            result: Ok(checks()),
        }),
    );
    // Connecting also re-reads the ledger; answer it as an empty ledger.
    if let moveforce::tui::state::CasesState::Loading { id } = app.cases.state {
        update(
            app,
            Msg::Engine(EngineEvent::Cases {
                id,
                result: Ok(Vec::new()),
            }),
        );
    }
}

pub fn ledger_cases() -> Vec<LedgerCase> {
    let case = |move_id: &str, n: u32, state: CaseState, action: &str| LedgerCase {
        plan_id: "MP-2025-014".to_owned(),
        move_id: move_id.to_owned(),
        org_id: "00D5g000004XyZaEAK".to_owned(),
        case_id: format!("5005g00000Qw{n:03}AAA"),
        case_number: Some(format!("0000{}", 1020 + n)),
        state,
        last_action: action.to_owned(),
        at: "2025-06-12T17:02:11Z".to_owned(),
        username: "integration@acme.example".to_owned(),
    };
    vec![
        case("mv-000101", 1, CaseState::Pushed, "created"),
        case("mv-000102", 2, CaseState::Pushed, "updated"),
        case("mv-000104", 3, CaseState::Deleted, "deleted"),
        case("mv-000106", 4, CaseState::Pushed, "created"),
    ]
}

/// Answers the ledger read in flight (connecting starts one), or asks for one, with
/// [`ledger_cases`].
pub fn load_ledger(app: &mut App) {
    let id = if let moveforce::tui::state::CasesState::Loading { id } = app.cases.state {
        id
    } else {
        let effects = update(app, Msg::Action(moveforce::tui::Action::Reload));
        match sent(&effects).first() {
            Some(Command {
                id,
                request: Request::LoadCases { .. },
            }) => *id,
            other => panic!("expected a LoadCases, got {other:?}"),
        }
    };
    update(
        app,
        Msg::Engine(EngineEvent::Cases {
            id,
            result: Ok(ledger_cases()),
        }),
    );
}

pub fn draw(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal.draw(|frame| render(frame, app)).expect("drawn");
    terminal
}

/// Every cell's symbol, row by row.
pub fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            if let Some(cell) = buffer.cell((x, y)) {
                out.push_str(cell.symbol());
            }
        }
        out.push('\n');
    }
    out
}

/// A plan of `n` moves made from the sample's eight, in turn: move `i` is `mv-{i:06}`
/// for `Employee {i:06}`, with the sample move `i % 8`'s disposition, department, team
/// and seats (so five in eight are now-moves).
pub fn big_plan(n: usize) -> Plan {
    let mut plan = plan();
    let sample = std::mem::take(&mut plan.moves);
    plan.moves = (0..n)
        .map(|i| {
            let mut mv = sample[i % sample.len()].clone();
            mv.origin = format!("moves[{i}]");
            mv.move_id = format!("mv-{i:06}");
            mv.employee.name = format!("Employee {i:06}");
            mv
        })
        .collect();
    plan
}

/// The Tooling API's view of a field made to `spec`, with `length` and External ID as
/// given.
pub fn tooling_field(
    spec: &moveforce::spec::CustomFieldSpec,
    length: usize,
    external_id: bool,
) -> ToolingField {
    let n = CUSTOM_FIELDS
        .iter()
        .position(|s| s.api_name == spec.api_name)
        .unwrap_or(0);
    ToolingField {
        id: format!("00N5g00000Fd{n:03}AAA"),
        type_name: match spec.kind {
            FieldKind::Text => "Text".to_owned(),
            FieldKind::LongTextArea => "LongTextArea".to_owned(),
        },
        length,
        external_id,
        unique: external_id,
        visible_lines: spec.visible_lines,
    }
}

/// What describe shows of a field made to `spec`, with `length` and External ID as given.
pub fn described_field(
    spec: &moveforce::spec::CustomFieldSpec,
    length: usize,
    external_id: bool,
) -> DescribeField {
    match spec.kind {
        FieldKind::Text => text(spec.api_name, length, external_id),
        FieldKind::LongTextArea => long_text(spec.api_name, length),
    }
}

/// A new org: the Tooling API shows none of the seven fields, so all are missing.
pub fn blank_org_checks() -> Vec<FieldCheck> {
    CUSTOM_FIELDS
        .iter()
        .map(|spec| check_field_with(spec, &[], Existence::Absent))
        .collect()
}

/// The integration user may not read setup: nothing visible, and no telling missing from
/// hidden.
pub fn no_customize_checks() -> Vec<FieldCheck> {
    CUSTOM_FIELDS
        .iter()
        .map(|spec| check_field_with(spec, &[], Existence::Unknown))
        .collect()
}

/// Every field made to the spec and visible.
pub fn ok_checks() -> Vec<FieldCheck> {
    let described: Vec<DescribeField> = CUSTOM_FIELDS
        .iter()
        .map(|spec| described_field(spec, spec.length, spec.external_id))
        .collect();
    CUSTOM_FIELDS
        .iter()
        .map(|spec| {
            let tooling = tooling_field(spec, spec.length, spec.external_id);
            check_field_with(spec, &described, Existence::Exists(&tooling))
        })
        .collect()
}

/// An org an admin broke: Team__c hidden by field-level security, CurrentSeat__c made
/// 80 long, External ID unticked on ExternalID__c; the rest ok.
pub fn broken_org_checks() -> Vec<FieldCheck> {
    let shape = |spec: &moveforce::spec::CustomFieldSpec| match spec.api_name {
        "CurrentSeat__c" => (80, false),
        "ExternalID__c" => (spec.length, false),
        _ => (spec.length, spec.external_id),
    };
    let described: Vec<DescribeField> = CUSTOM_FIELDS
        .iter()
        .filter(|spec| spec.api_name != "Team__c")
        .map(|spec| {
            let (length, external_id) = shape(spec);
            described_field(spec, length, external_id)
        })
        .collect();
    CUSTOM_FIELDS
        .iter()
        .map(|spec| {
            let (length, external_id) = shape(spec);
            let tooling = tooling_field(spec, length, external_id);
            check_field_with(spec, &described, Existence::Exists(&tooling))
        })
        .collect()
}

/// What `moveforce fields fix` would do in a blank org, in the engine's words.
pub fn blank_org_steps() -> Vec<String> {
    let mut steps: Vec<RepairStep> = CUSTOM_FIELDS
        .iter()
        .map(|spec| RepairStep::CreateField(*spec))
        .collect();
    steps.push(RepairStep::CreatePermissionSet);
    steps.push(RepairStep::AssignPermissionSet);
    steps.push(RepairStep::GrantAccess(CUSTOM_FIELDS.to_vec()));
    steps.iter().map(RepairStep::describe).collect()
}

/// The manual step the engine gives when the user may not change setup.
pub fn no_customize_manual() -> Vec<String> {
    vec![
        "The integration user may not change setup (Salesforce answered 403: INSUFFICIENT_ACCESS_OR_READONLY: insufficient access rights on object id). Run `moveforce fields fix` with an administrator's credentials (a user with Customize Application and Manage Users), or create the fields and grant access by hand in Setup > Object Manager > Case > Fields & Relationships.".to_owned(),
    ]
}

/// Each step done, in order.
pub fn all_done(steps: &[String]) -> Vec<StepOutcome> {
    steps
        .iter()
        .map(|step| StepOutcome {
            step: step.clone(),
            result: Ok(()),
        })
        .collect()
}

/// Connects, answers the automatic check with `checks`, and opens the Fields tab.
pub fn fields_checked(app: &mut App, checks: Vec<FieldCheck>) {
    let effects = connect(app);
    let id = match sent(&effects).first() {
        Some(Command {
            id,
            request: Request::CheckFields,
        }) => *id,
        other => panic!("expected a CheckFields, got {other:?}"),
    };
    update(
        app,
        Msg::Engine(EngineEvent::FieldsChecked {
            id,
            result: Ok(checks),
        }),
    );
    if let moveforce::tui::state::CasesState::Loading { id } = app.cases.state {
        update(
            app,
            Msg::Engine(EngineEvent::Cases {
                id,
                result: Ok(Vec::new()),
            }),
        );
    }
    update(app, ch('2'));
}

/// Presses f and returns the id of the PlanRepair it sent.
pub fn press_repair(app: &mut App) -> moveforce::engine::RequestId {
    let effects = update(app, ch('f'));
    match sent(&effects).first() {
        Some(Command {
            id,
            request: Request::PlanRepair,
        }) => *id,
        other => panic!("expected a PlanRepair, got {other:?}"),
    }
}

/// Answers a PlanRepair.
pub fn answer_plan(
    app: &mut App,
    id: moveforce::engine::RequestId,
    steps: Vec<String>,
    manual: Vec<String>,
    checks: Vec<FieldCheck>,
) -> Vec<Effect> {
    update(
        app,
        Msg::Engine(EngineEvent::RepairPlanned {
            id,
            result: Ok(moveforce::engine::RepairPreview {
                steps,
                manual,
                checks,
                case_access: Vec::new(),
            }),
        }),
    )
}

/// A new org where someone made NewSeat__c a Long Text Area: six fields missing, one of
/// the wrong type.
pub fn wrong_type_org_checks() -> Vec<FieldCheck> {
    let described = vec![long_text("NewSeat__c", 1024)];
    let tooling = ToolingField {
        type_name: "LongTextArea".to_owned(),
        length: 1024,
        ..tooling_field(&CUSTOM_FIELDS[4], 1024, false)
    };
    CUSTOM_FIELDS
        .iter()
        .map(|spec| {
            let existence = if spec.api_name == "NewSeat__c" {
                Existence::Exists(&tooling)
            } else {
                Existence::Absent
            };
            check_field_with(spec, &described, existence)
        })
        .collect()
}

/// What a repair of [`wrong_type_org_checks`] would do, and what it leaves by hand.
pub fn wrong_type_org_plan() -> (Vec<String>, Vec<String>) {
    let others: Vec<moveforce::spec::CustomFieldSpec> = CUSTOM_FIELDS
        .iter()
        .filter(|spec| spec.api_name != "NewSeat__c")
        .copied()
        .collect();
    let mut steps: Vec<RepairStep> = others.iter().map(|s| RepairStep::CreateField(*s)).collect();
    steps.push(RepairStep::CreatePermissionSet);
    steps.push(RepairStep::AssignPermissionSet);
    steps.push(RepairStep::GrantAccess(others));
    let manual = vec![
        "NewSeat__c is Text Area (Long)(1024) but must be Text(255); Salesforce cannot change a field's type safely through the API and moveforce never deletes a field: in Setup > Object Manager > Case > Fields & Relationships, delete it (its data goes with it) and run `moveforce fields fix` again".to_owned(),
    ];
    (steps.iter().map(RepairStep::describe).collect(), manual)
}
