//! Everything the console shows, in plain structs: one owner, changed only by
//! [`crate::tui::update`], read by the views.

use std::cell::Cell;
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use tui_input::Input;

use crate::config::{ConnectionSettings, Flow};
use crate::engine::{Command, EngineEvent, PushOutcome, RequestId, UndoOutcome};
use crate::ledger::{CaseState, LedgerCase};
use crate::plan::Plan;
use crate::salesforce::setup::StepOutcome;
use crate::salesforce::{ConnectionInfo, FieldCheck};
use crate::secret::Secret;

use super::derived::{Filter, LedgerIndex, Marks, PlanIndex};
use super::keymap::Action;
use super::theme::Theme;

/// The four tabs, in the order of their number keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tab {
    Connection,
    Fields,
    Moves,
    Cases,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Connection, Tab::Fields, Tab::Moves, Tab::Cases];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Connection => "Connection",
            Tab::Fields => "Fields",
            Tab::Moves => "Moves",
            Tab::Cases => "Cases",
        }
    }

    pub fn index(self) -> usize {
        match self {
            Tab::Connection => 0,
            Tab::Fields => 1,
            Tab::Moves => 2,
            Tab::Cases => 3,
        }
    }

    pub fn next(self) -> Tab {
        Tab::ALL[(self.index() + 1) % Tab::ALL.len()]
    }

    pub fn prev(self) -> Tab {
        Tab::ALL[(self.index() + Tab::ALL.len() - 1) % Tab::ALL.len()]
    }
}

/// What comes into `update`: keys, pastes, engine replies and loop notices.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(crossterm::event::KeyEvent),
    /// A bracketed paste, as the terminal delivered it.
    Paste(String),
    /// An action already resolved (tests, and the keymap's output).
    Action(Action),
    Engine(EngineEvent),
    /// The spinner advances; sent only while something runs.
    Tick,
    /// The terminal changed size: repaint everything.
    Resize,
    /// The config file was written (its path), or why not.
    Saved(Result<PathBuf, String>),
    /// A command could not be handed to the engine (queue full or engine gone).
    SendFailed {
        id: RequestId,
        reason: String,
    },
}

/// What `update` asks the event loop to do. The loop does the I/O; `update` never does.
#[derive(Debug, Clone)]
pub enum Effect {
    /// `try_send` this to the engine.
    Send(Command),
    /// Write the settings to the config file.
    SaveConfig {
        path: PathBuf,
        layer: crate::config::SettingsLayer,
    },
    /// Clear the screen and repaint every cell.
    Redraw,
    Quit,
}

/// The rows of the connection form, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormField {
    LoginUrl,
    Flow,
    ClientId,
    ClientSecret,
    Username,
    Password,
    SecurityToken,
    ApiVersion,
}

impl FormField {
    pub const ALL: [FormField; 8] = [
        FormField::LoginUrl,
        FormField::Flow,
        FormField::ClientId,
        FormField::ClientSecret,
        FormField::Username,
        FormField::Password,
        FormField::SecurityToken,
        FormField::ApiVersion,
    ];

    pub fn label(self) -> &'static str {
        match self {
            FormField::LoginUrl => "Login URL",
            FormField::Flow => "Flow",
            FormField::ClientId => "Client id",
            FormField::ClientSecret => "Client secret",
            FormField::Username => "Username",
            FormField::Password => "Password",
            FormField::SecurityToken => "Security token",
            FormField::ApiVersion => "API version",
        }
    }

    /// Shown as `*` per character, never in clear.
    pub fn is_secret(self) -> bool {
        matches!(
            self,
            FormField::ClientSecret | FormField::Password | FormField::SecurityToken
        )
    }

    /// Everything but the flow is typed text.
    pub fn is_text(self) -> bool {
        self != FormField::Flow
    }

    /// Only the password flow uses a username, password and token.
    pub fn used_by(self, flow: Flow) -> bool {
        match self {
            FormField::Username | FormField::Password | FormField::SecurityToken => {
                flow == Flow::Password
            }
            _ => true,
        }
    }
}

/// Where the connection stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnState {
    NotConnected,
    Connecting { id: RequestId },
    Connected(ConnectionInfo),
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct ConnectionTab {
    pub flow: Flow,
    /// One input per text field, in [`FormField::ALL`] order (the flow's slot stays empty).
    pub inputs: Vec<Input>,
    pub focus: usize,
    /// The value before editing began, restored by Esc; `Some` while editing.
    pub editing: Option<String>,
    pub state: ConnState,
    /// Where the settings were last saved, or why saving failed.
    pub saved: Option<Result<PathBuf, String>>,
}

impl ConnectionTab {
    pub fn new(settings: &ConnectionSettings) -> ConnectionTab {
        let inputs = FormField::ALL
            .iter()
            .map(|field| {
                let value = match field {
                    FormField::LoginUrl => settings.login_url.clone(),
                    FormField::Flow => String::new(),
                    FormField::ClientId => settings.client_id.clone(),
                    FormField::ClientSecret => settings.client_secret.expose().to_owned(),
                    FormField::Username => settings.username.clone(),
                    FormField::Password => settings.password.expose().to_owned(),
                    FormField::SecurityToken => settings.security_token.expose().to_owned(),
                    FormField::ApiVersion => settings.api_version.clone(),
                };
                Input::new(value)
            })
            .collect();
        ConnectionTab {
            flow: settings.flow,
            inputs,
            focus: 0,
            editing: None,
            state: ConnState::NotConnected,
            saved: None,
        }
    }

    pub fn focused(&self) -> FormField {
        FormField::ALL
            .get(self.focus)
            .copied()
            .unwrap_or(FormField::LoginUrl)
    }

    pub fn input(&self, field: FormField) -> Option<&Input> {
        FormField::ALL
            .iter()
            .position(|f| *f == field)
            .and_then(|i| self.inputs.get(i))
    }

    pub fn input_mut(&mut self, field: FormField) -> Option<&mut Input> {
        FormField::ALL
            .iter()
            .position(|f| *f == field)
            .and_then(move |i| self.inputs.get_mut(i))
    }

    fn value(&self, field: FormField) -> String {
        self.input(field)
            .map(|i| i.value().to_owned())
            .unwrap_or_default()
    }

    /// The settings as the form holds them now.
    pub fn settings(&self) -> ConnectionSettings {
        ConnectionSettings {
            login_url: self.value(FormField::LoginUrl).trim().to_owned(),
            flow: self.flow,
            client_id: self.value(FormField::ClientId).trim().to_owned(),
            client_secret: Secret::new(self.value(FormField::ClientSecret)),
            username: self.value(FormField::Username).trim().to_owned(),
            password: Secret::new(self.value(FormField::Password)),
            security_token: Secret::new(self.value(FormField::SecurityToken)),
            api_version: self.value(FormField::ApiVersion).trim().to_owned(),
        }
    }

    pub fn is_editing(&self) -> bool {
        self.editing.is_some()
    }

    pub fn connected(&self) -> Option<&ConnectionInfo> {
        match &self.state {
            ConnState::Connected(info) => Some(info),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldsState {
    NotChecked,
    Checking { id: RequestId },
    Checked(Vec<FieldCheck>),
    Failed(String),
}

/// Where a repair of the org stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepairState {
    Idle,
    /// Asked the engine what a repair would change (nothing is written yet).
    Planning {
        id: RequestId,
    },
    /// The operator said yes: the engine is making `steps` changes.
    Repairing {
        id: RequestId,
        steps: usize,
    },
}

/// What the last repair did (or, when nothing could be repaired, what is left by hand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairReport {
    pub outcomes: Vec<StepOutcome>,
    pub manual: Vec<String>,
}

impl RepairReport {
    pub fn failed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.result.is_err()).count()
    }

    pub fn done(&self) -> usize {
        self.outcomes.len() - self.failed()
    }
}

#[derive(Debug, Clone)]
pub struct FieldsTab {
    pub state: FieldsState,
    /// The last good check, kept on screen while a re-check runs.
    pub last: Vec<FieldCheck>,
    pub cursor: usize,
    /// The request whose answer `last` shows (a [`EngineEvent::CaseAccess`] of the same
    /// id belongs with it).
    pub answered: Option<RequestId>,
    /// What the integration user may not do with Cases, as sentences.
    pub case_access: Vec<String>,
    pub repair: RepairState,
    pub report: Option<RepairReport>,
}

impl FieldsTab {
    pub fn new() -> FieldsTab {
        FieldsTab {
            state: FieldsState::NotChecked,
            last: Vec::new(),
            cursor: 0,
            answered: None,
            case_access: Vec::new(),
            repair: RepairState::Idle,
            report: None,
        }
    }
}

impl Default for FieldsTab {
    fn default() -> FieldsTab {
        FieldsTab::new()
    }
}

/// What happened to one move in this session's pushes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    /// Sent and not yet answered.
    Pending,
    Done(PushOutcome),
}

/// A push or undo that is running: its request and how far it got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub id: RequestId,
    pub done: usize,
    pub total: usize,
    pub failed: usize,
    /// When it started, for the rate and the time left.
    pub started: std::time::Instant,
}

impl Progress {
    pub fn new(id: RequestId, total: usize) -> Progress {
        Progress {
            id,
            done: 0,
            total,
            failed: 0,
            started: std::time::Instant::now(),
        }
    }

    /// Items a second and seconds left, once a second has passed (earlier figures mislead).
    pub fn pace(&self) -> Option<(f64, f64)> {
        let elapsed = self.started.elapsed().as_secs_f64();
        if elapsed < 1.0 || self.done == 0 {
            return None;
        }
        let rate = self.done as f64 / elapsed;
        Some((rate, self.total.saturating_sub(self.done) as f64 / rate))
    }
}

#[derive(Debug, Clone, Default)]
pub struct MovesTab {
    /// The row of the cursor among the moves shown (all of them, or the filter's).
    pub cursor: usize,
    /// The first row in view; the view keeps it so the cursor moves smoothly.
    pub offset: Cell<usize>,
    /// Indexes into `plan.moves` of the moves marked for a push (now-moves only).
    pub selected: Marks,
    /// By move id.
    pub outcomes: BTreeMap<String, RowOutcome>,
    pub push: Option<Progress>,
    pub filter: Filter,
}

impl MovesTab {
    /// The index into `plan.moves` of the move under the cursor.
    pub fn current(&self, total: usize) -> Option<usize> {
        self.filter.index_at(self.cursor, total)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CasesState {
    /// No plan: nothing to look up.
    NoPlan,
    Loading {
        id: RequestId,
    },
    Loaded,
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct CasesTab {
    pub state: CasesState,
    /// What the ledger last said, kept while a reload runs.
    pub cases: Vec<LedgerCase>,
    /// The row of the cursor among the Cases shown (all of them, or the filter's).
    pub cursor: usize,
    /// The first row in view; the view keeps it so the cursor moves smoothly.
    pub offset: Cell<usize>,
    /// Case Ids marked for an undo.
    pub selected: HashSet<String>,
    /// By Case Id, from this session's undos.
    pub outcomes: BTreeMap<String, UndoOutcome>,
    pub undo: Option<Progress>,
    pub filter: Filter,
}

impl CasesTab {
    /// Cases an undo may still delete.
    pub fn pushed(&self) -> impl Iterator<Item = &LedgerCase> {
        self.cases.iter().filter(|c| c.state == CaseState::Pushed)
    }

    /// The index into `cases` of the Case under the cursor.
    pub fn current(&self) -> Option<usize> {
        self.filter.index_at(self.cursor, self.cases.len())
    }
}

/// What a confirmation does when the operator says yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    PushAll,
    /// Ask Salesforce about the plan's interrupted pushes or undos.
    Settle,
    Undo {
        case_ids: Option<Vec<String>>,
    },
    /// Make the changes of the repair plan the engine keeps under `preview`.
    Repair {
        preview: RequestId,
        steps: usize,
        /// What the plan leaves to a person, shown again with the outcome.
        manual: Vec<String>,
    },
    Quit,
}

/// One part of a [`Popup::Review`]: a heading and its items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub heading: String,
    pub tone: Tone,
    pub items: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    Confirm {
        title: String,
        body: String,
        on_yes: Confirmed,
    },
    Help {
        scroll: usize,
    },
    /// A list to read, scrollable: a repair plan to approve (`on_yes` set) or what a
    /// repair did (closed when read).
    Review {
        title: String,
        intro: String,
        sections: Vec<Section>,
        scroll: usize,
        /// The last scroll that still fills the popup, as last drawn (`usize::MAX`
        /// before the first draw).
        max_scroll: Cell<usize>,
        on_yes: Option<Confirmed>,
    },
    Error {
        title: String,
        message: String,
    },
}

/// How a status-line notice reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Good,
    Warn,
    Bad,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub tone: Tone,
    pub text: String,
}

/// The whole console.
#[derive(Debug, Clone)]
pub struct App {
    pub tab: Tab,
    /// The plan, held once. Change it only through [`App::set_plan`], which keeps
    /// `index` in step.
    pub plan: Option<Plan>,
    /// Derived from the plan when it is set.
    pub index: PlanIndex,
    /// Derived from the plan and the ledger's Cases when either is set.
    pub ledger: LedgerIndex,
    pub banner: Option<String>,
    pub config_file: PathBuf,
    pub theme: Theme,
    pub connection: ConnectionTab,
    pub fields: FieldsTab,
    pub moves: MovesTab,
    pub cases: CasesTab,
    /// Top of the stack is drawn last and gets the keys.
    pub popups: Vec<Popup>,
    pub notice: Option<Notice>,
    pub spinner: usize,
    pub next_id: RequestId,
    pub quitting: bool,
    /// Requests in flight at once for pushes and undos (`+`/`-` change it).
    pub concurrency: usize,
    /// Set by the last draw: the terminal is below 80x24 and only the "too small" screen
    /// shows, so keys other than quit are ignored.
    pub too_small: std::cell::Cell<bool>,
}

/// What the console starts from.
#[derive(Debug, Clone)]
pub struct AppInit {
    pub plan: Option<Plan>,
    pub settings: ConnectionSettings,
    pub banner: Option<String>,
    pub config_file: PathBuf,
    pub theme: Theme,
}

impl App {
    pub fn new(init: AppInit) -> App {
        let tab = if init.plan.is_some() {
            Tab::Moves
        } else {
            Tab::Connection
        };
        let cases_state = if init.plan.is_some() {
            CasesState::Loaded
        } else {
            CasesState::NoPlan
        };
        let index = PlanIndex::of(init.plan.as_ref());
        let ledger = LedgerIndex::of(init.plan.as_ref(), &[]);
        App {
            tab,
            connection: ConnectionTab::new(&init.settings),
            plan: init.plan,
            index,
            ledger,
            banner: init.banner,
            config_file: init.config_file,
            theme: init.theme,
            fields: FieldsTab::new(),
            moves: MovesTab::default(),
            cases: CasesTab {
                state: cases_state,
                cases: Vec::new(),
                cursor: 0,
                offset: Cell::new(0),
                selected: HashSet::new(),
                outcomes: BTreeMap::new(),
                undo: None,
                filter: Filter::default(),
            },
            popups: Vec::new(),
            notice: None,
            spinner: 0,
            next_id: 1,
            quitting: false,
            concurrency: crate::engine::DEFAULT_CONCURRENCY,
            too_small: std::cell::Cell::new(false),
        }
    }

    /// Something is running that the operator should see move (and that a quit would cut).
    pub fn busy(&self) -> bool {
        self.work_in_flight()
            || matches!(self.connection.state, ConnState::Connecting { .. })
            || matches!(self.fields.state, FieldsState::Checking { .. })
            || self.fields.repair != RepairState::Idle
            || matches!(self.cases.state, CasesState::Loading { .. })
    }

    /// A push, undo or repair is running: quitting now leaves it half done.
    pub fn work_in_flight(&self) -> bool {
        self.moves.push.is_some()
            || self.cases.undo.is_some()
            || matches!(self.fields.repair, RepairState::Repairing { .. })
    }

    pub fn is_editing(&self) -> bool {
        self.tab == Tab::Connection && self.connection.is_editing()
    }

    /// The filter line of the tab in view is open and takes the keys.
    pub fn is_filtering(&self) -> bool {
        match self.tab {
            Tab::Moves => self.moves.filter.editing,
            Tab::Cases => self.cases.filter.editing,
            Tab::Connection | Tab::Fields => false,
        }
    }

    /// Now-moves of the plan, by index (computed when the plan was set).
    pub fn now_indexes(&self) -> &[usize] {
        &self.index.now
    }

    /// Replaces the plan and everything derived from it; marks, outcomes, filters and
    /// cursors of the old plan are dropped.
    pub fn set_plan(&mut self, plan: Option<Plan>) {
        self.index = PlanIndex::of(plan.as_ref());
        self.ledger = LedgerIndex::of(plan.as_ref(), &self.cases.cases);
        self.plan = plan;
        self.moves = MovesTab::default();
        self.cases.filter.clear();
        self.cases.cursor = 0;
        self.cases.offset.set(0);
    }

    /// Replaces the ledger's Cases and what is derived from them.
    pub fn set_cases(&mut self, cases: Vec<LedgerCase>) {
        self.ledger = LedgerIndex::of(self.plan.as_ref(), &cases);
        self.cases.cases = cases;
    }

    /// Moves in the plan (0 without one).
    pub fn move_count(&self) -> usize {
        self.plan.as_ref().map_or(0, |p| p.moves.len())
    }

    pub fn take_id(&mut self) -> RequestId {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub fn notify(&mut self, tone: Tone, text: impl Into<String>) {
        self.notice = Some(Notice {
            tone,
            text: text.into(),
        });
    }
}
