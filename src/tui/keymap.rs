//! Every key binding as data: which keys, in which context, do what, described in words.
//! The help overlay and the status-bar hints are drawn from this table, so they cannot
//! drift from what the keys do. Nothing is bound to Ctrl-B or Ctrl-A (tmux prefixes).

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tui_input::InputRequest;

use super::state::Tab;

/// Where a binding applies. Popups come first, then text editing, then the tab, then
/// the global keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    Global,
    Connection,
    Editing,
    /// Typing into the filter line of the Moves or Cases tab.
    Filter,
    Fields,
    Moves,
    Cases,
    Confirm,
    /// A repair plan to approve, scrollable.
    Review,
    /// A list to read (what a repair did), scrollable.
    Report,
    Help,
    Message,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Connection => "Connection tab",
            Context::Editing => "Editing a field",
            Context::Filter => "Typing a filter",
            Context::Fields => "Fields tab",
            Context::Moves => "Moves tab",
            Context::Cases => "Cases tab",
            Context::Confirm => "Confirmation",
            Context::Review => "Repair plan",
            Context::Report => "Repair report",
            Context::Help => "Help",
            Context::Message => "Message",
        }
    }

    pub fn of_tab(tab: Tab) -> Context {
        match tab {
            Tab::Connection => Context::Connection,
            Tab::Fields => Context::Fields,
            Tab::Moves => Context::Moves,
            Tab::Cases => Context::Cases,
        }
    }
}

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    Redraw,
    NextTab,
    PrevTab,
    GoTab(Tab),
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Connection: start editing the focused field (or switch the flow).
    Edit,
    /// Connection: switch between the password and client-credentials flows.
    ToggleFlow,
    Connect,
    Save,
    EditCommit,
    EditCancel,
    EditNext,
    EditPrev,
    Input(InputRequest),
    Recheck,
    /// Fields: ask what a repair of the org would change, then confirm it.
    Repair,
    ToggleSelect,
    SelectAll,
    Push,
    Reload,
    Undo,
    Yes,
    No,
    Close,
    /// One more (or fewer) request in flight for pushes and undos.
    MoreConcurrency,
    LessConcurrency,
    /// Moves and Cases: open the filter line.
    Filter,
    /// Close the filter line and keep the filter.
    FilterKeep,
    /// Clear the filter (and close its line): every row shows again.
    FilterClear,
}

/// One key with its modifiers. Shift is ignored on characters (the character says it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn plain(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

const fn ch(c: char) -> Key {
    plain(KeyCode::Char(c))
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

const fn alt(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::ALT,
    }
}

impl Key {
    /// The key as a terminal reports it, normalised: Shift dropped where the code
    /// already carries it.
    pub fn from_event(event: &KeyEvent) -> Key {
        let mut mods = event.modifiers;
        if matches!(event.code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods.remove(KeyModifiers::SHIFT);
        }
        Key {
            code: event.code,
            mods,
        }
    }

    /// How the key is written in help and hints: ASCII only.
    pub fn label(self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "space".to_owned(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".to_owned(),
            KeyCode::Esc => "Esc".to_owned(),
            KeyCode::Tab => "Tab".to_owned(),
            KeyCode::BackTab => "S-Tab".to_owned(),
            KeyCode::Up => "Up".to_owned(),
            KeyCode::Down => "Down".to_owned(),
            KeyCode::Left => "Left".to_owned(),
            KeyCode::Right => "Right".to_owned(),
            KeyCode::PageUp => "PgUp".to_owned(),
            KeyCode::PageDown => "PgDn".to_owned(),
            KeyCode::Home => "Home".to_owned(),
            KeyCode::End => "End".to_owned(),
            KeyCode::Backspace => "Bksp".to_owned(),
            KeyCode::Delete => "Del".to_owned(),
            other => format!("{other:?}"),
        };
        let mut label = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            label.push_str("C-");
        }
        if self.mods.contains(KeyModifiers::ALT) {
            label.push_str("M-");
        }
        label.push_str(&base);
        label
    }
}

/// The widest description the help overlay shows unwrapped at 80 columns.
pub const HELP_DESC_WIDTH: usize = 52;

/// One row of the keymap.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    pub action: Action,
    /// One or two words for the status bar.
    pub short: &'static str,
    /// A sentence for the help overlay.
    pub desc: &'static str,
    /// Shown in the status bar.
    pub hint: bool,
}

const fn bind(
    context: Context,
    keys: &'static [Key],
    action: Action,
    short: &'static str,
    desc: &'static str,
    hint: bool,
) -> Binding {
    Binding {
        context,
        keys,
        action,
        short,
        desc,
        hint,
    }
}

use Context as C;
use KeyCode as K;

/// The default keymap.
pub static BINDINGS: &[Binding] = &[
    // Popups.
    bind(
        C::Confirm,
        &[ch('y'), plain(K::Enter)],
        Action::Yes,
        "yes",
        "Go ahead",
        true,
    ),
    bind(
        C::Confirm,
        &[ch('n'), plain(K::Esc), ch('q')],
        Action::No,
        "no",
        "Cancel, do nothing",
        true,
    ),
    bind(
        C::Review,
        &[ch('y')],
        Action::Yes,
        "apply",
        "Make these changes to the org",
        true,
    ),
    bind(
        C::Review,
        &[ch('n'), plain(K::Esc), ch('q')],
        Action::No,
        "cancel",
        "Cancel: change nothing",
        true,
    ),
    bind(
        C::Review,
        &[plain(K::Down), ch('j')],
        Action::Down,
        "scroll",
        "Scroll down",
        true,
    ),
    bind(
        C::Review,
        &[plain(K::Up), ch('k')],
        Action::Up,
        "up",
        "Scroll up",
        false,
    ),
    bind(
        C::Review,
        &[plain(K::PageDown)],
        Action::PageDown,
        "page down",
        "Scroll ten lines down",
        false,
    ),
    bind(
        C::Review,
        &[plain(K::PageUp)],
        Action::PageUp,
        "page up",
        "Scroll ten lines up",
        false,
    ),
    bind(
        C::Report,
        &[plain(K::Esc), plain(K::Enter), ch('q')],
        Action::Close,
        "close",
        "Close the report",
        true,
    ),
    bind(
        C::Report,
        &[plain(K::Down), ch('j')],
        Action::Down,
        "scroll",
        "Scroll down",
        true,
    ),
    bind(
        C::Report,
        &[plain(K::Up), ch('k')],
        Action::Up,
        "up",
        "Scroll up",
        false,
    ),
    bind(
        C::Report,
        &[plain(K::PageDown)],
        Action::PageDown,
        "page down",
        "Scroll ten lines down",
        false,
    ),
    bind(
        C::Report,
        &[plain(K::PageUp)],
        Action::PageUp,
        "page up",
        "Scroll ten lines up",
        false,
    ),
    bind(
        C::Help,
        &[plain(K::Esc), ch('?'), ch('q')],
        Action::Close,
        "close",
        "Close the help",
        true,
    ),
    bind(
        C::Help,
        &[plain(K::Down), ch('j')],
        Action::Down,
        "down",
        "Scroll down",
        true,
    ),
    bind(
        C::Help,
        &[plain(K::Up), ch('k')],
        Action::Up,
        "up",
        "Scroll up",
        true,
    ),
    bind(
        C::Message,
        &[plain(K::Esc), plain(K::Enter), ch('q')],
        Action::Close,
        "close",
        "Close the message",
        true,
    ),
    // Typing into a connection field.
    bind(
        C::Editing,
        &[plain(K::Enter)],
        Action::EditCommit,
        "keep",
        "Keep the value and stop editing",
        true,
    ),
    bind(
        C::Editing,
        &[plain(K::Esc)],
        Action::EditCancel,
        "undo edit",
        "Put the old value back and stop editing",
        true,
    ),
    bind(
        C::Editing,
        &[plain(K::Tab), plain(K::Down)],
        Action::EditNext,
        "next",
        "Keep the value and edit the next field",
        true,
    ),
    bind(
        C::Editing,
        &[plain(K::BackTab), plain(K::Up)],
        Action::EditPrev,
        "prev",
        "Keep the value and edit the previous field",
        false,
    ),
    bind(
        C::Editing,
        &[plain(K::Left)],
        Action::Input(InputRequest::GoToPrevChar),
        "left",
        "Cursor one character left",
        false,
    ),
    bind(
        C::Editing,
        &[plain(K::Right)],
        Action::Input(InputRequest::GoToNextChar),
        "right",
        "Cursor one character right",
        false,
    ),
    bind(
        C::Editing,
        &[
            Key {
                code: K::Left,
                mods: KeyModifiers::CONTROL,
            },
            alt(K::Char('b')),
        ],
        Action::Input(InputRequest::GoToPrevWord),
        "word left",
        "Cursor one word left",
        false,
    ),
    bind(
        C::Editing,
        &[
            Key {
                code: K::Right,
                mods: KeyModifiers::CONTROL,
            },
            alt(K::Char('f')),
        ],
        Action::Input(InputRequest::GoToNextWord),
        "word right",
        "Cursor one word right",
        false,
    ),
    bind(
        C::Editing,
        &[plain(K::Home)],
        Action::Input(InputRequest::GoToStart),
        "start",
        "Cursor to the start (no C-a: tmux prefix)",
        false,
    ),
    bind(
        C::Editing,
        &[plain(K::End), ctrl('e')],
        Action::Input(InputRequest::GoToEnd),
        "end",
        "Cursor to the end",
        false,
    ),
    bind(
        C::Editing,
        &[plain(K::Backspace), ctrl('h')],
        Action::Input(InputRequest::DeletePrevChar),
        "delete",
        "Delete the character before the cursor",
        false,
    ),
    bind(
        C::Editing,
        &[plain(K::Delete)],
        Action::Input(InputRequest::DeleteNextChar),
        "delete",
        "Delete the character under the cursor",
        false,
    ),
    bind(
        C::Editing,
        &[ctrl('w'), alt(K::Backspace)],
        Action::Input(InputRequest::DeletePrevWord),
        "delete word",
        "Delete the word before the cursor",
        false,
    ),
    bind(
        C::Editing,
        &[ctrl('u')],
        Action::Input(InputRequest::DeleteLine),
        "clear",
        "Clear the field",
        false,
    ),
    bind(
        C::Editing,
        &[ctrl('k')],
        Action::Input(InputRequest::DeleteTillEnd),
        "cut to end",
        "Delete from the cursor to the end",
        false,
    ),
    // Typing a filter (Moves and Cases).
    bind(
        C::Filter,
        &[plain(K::Enter)],
        Action::FilterKeep,
        "keep",
        "Keep the filter and close the filter line",
        true,
    ),
    bind(
        C::Filter,
        &[plain(K::Esc)],
        Action::FilterClear,
        "clear",
        "Clear the filter: every row shows again",
        true,
    ),
    bind(
        C::Filter,
        &[plain(K::Down)],
        Action::Down,
        "down",
        "Next row of what the filter shows",
        true,
    ),
    bind(
        C::Filter,
        &[plain(K::Up)],
        Action::Up,
        "up",
        "Previous row of what the filter shows",
        false,
    ),
    bind(
        C::Filter,
        &[plain(K::PageDown)],
        Action::PageDown,
        "page down",
        "Ten rows down",
        false,
    ),
    bind(
        C::Filter,
        &[plain(K::PageUp)],
        Action::PageUp,
        "page up",
        "Ten rows up",
        false,
    ),
    bind(
        C::Filter,
        &[plain(K::Left)],
        Action::Input(InputRequest::GoToPrevChar),
        "left",
        "Cursor one character left",
        false,
    ),
    bind(
        C::Filter,
        &[plain(K::Right)],
        Action::Input(InputRequest::GoToNextChar),
        "right",
        "Cursor one character right",
        false,
    ),
    bind(
        C::Filter,
        &[plain(K::Home)],
        Action::Input(InputRequest::GoToStart),
        "start",
        "Cursor to the start",
        false,
    ),
    bind(
        C::Filter,
        &[plain(K::End), ctrl('e')],
        Action::Input(InputRequest::GoToEnd),
        "end",
        "Cursor to the end",
        false,
    ),
    bind(
        C::Filter,
        &[plain(K::Backspace), ctrl('h')],
        Action::Input(InputRequest::DeletePrevChar),
        "delete",
        "Delete the character before the cursor",
        false,
    ),
    bind(
        C::Filter,
        &[plain(K::Delete)],
        Action::Input(InputRequest::DeleteNextChar),
        "delete",
        "Delete the character under the cursor",
        false,
    ),
    bind(
        C::Filter,
        &[ctrl('w'), alt(K::Backspace)],
        Action::Input(InputRequest::DeletePrevWord),
        "delete word",
        "Delete the word before the cursor",
        false,
    ),
    bind(
        C::Filter,
        &[ctrl('u')],
        Action::Input(InputRequest::DeleteLine),
        "clear text",
        "Delete the whole text (the filter stays open)",
        false,
    ),
    // Connection tab.
    bind(
        C::Connection,
        &[plain(K::Down), ch('j')],
        Action::Down,
        "down",
        "Next field",
        false,
    ),
    bind(
        C::Connection,
        &[plain(K::Up), ch('k')],
        Action::Up,
        "up",
        "Previous field",
        false,
    ),
    bind(
        C::Connection,
        &[plain(K::Enter), ch('e')],
        Action::Edit,
        "edit",
        "Edit the field (on Flow: switch the flow)",
        true,
    ),
    bind(
        C::Connection,
        &[plain(K::Left), plain(K::Right)],
        Action::ToggleFlow,
        "flow",
        "Switch the flow: password / client_credentials",
        false,
    ),
    bind(
        C::Connection,
        &[ch('c')],
        Action::Connect,
        "test",
        "Connect with these settings and show who we are",
        true,
    ),
    bind(
        C::Connection,
        &[ch('s')],
        Action::Save,
        "save",
        "Save the settings to the config file (owner-only)",
        true,
    ),
    // Fields tab.
    bind(
        C::Fields,
        &[plain(K::Down), ch('j')],
        Action::Down,
        "down",
        "Next field",
        false,
    ),
    bind(
        C::Fields,
        &[plain(K::Up), ch('k')],
        Action::Up,
        "up",
        "Previous field",
        false,
    ),
    bind(
        C::Fields,
        &[ch('r')],
        Action::Recheck,
        "re-check",
        "Check the seven Case fields again",
        true,
    ),
    bind(
        C::Fields,
        &[ch('f')],
        Action::Repair,
        "repair",
        "Fix the org: shows every change and asks first",
        true,
    ),
    // Moves tab.
    bind(
        C::Moves,
        &[plain(K::Down), ch('j')],
        Action::Down,
        "down",
        "Next move",
        false,
    ),
    bind(
        C::Moves,
        &[plain(K::Up), ch('k')],
        Action::Up,
        "up",
        "Previous move",
        false,
    ),
    bind(
        C::Moves,
        &[plain(K::PageDown)],
        Action::PageDown,
        "page down",
        "Ten moves down",
        false,
    ),
    bind(
        C::Moves,
        &[plain(K::PageUp)],
        Action::PageUp,
        "page up",
        "Ten moves up",
        false,
    ),
    bind(
        C::Moves,
        &[plain(K::Home), ch('g')],
        Action::Top,
        "top",
        "First move",
        false,
    ),
    bind(
        C::Moves,
        &[plain(K::End), ch('G')],
        Action::Bottom,
        "bottom",
        "Last move",
        false,
    ),
    bind(
        C::Moves,
        &[ch(' ')],
        Action::ToggleSelect,
        "select",
        "Mark or unmark this now-move for the push",
        true,
    ),
    bind(
        C::Moves,
        &[ch('a')],
        Action::SelectAll,
        "all now",
        "Mark every now-move (again: unmark all)",
        true,
    ),
    bind(
        C::Moves,
        &[ch('p')],
        Action::Push,
        "push",
        "Push the marked now-moves (none: all, after asking)",
        true,
    ),
    bind(
        C::Moves,
        &[ch('/')],
        Action::Filter,
        "filter",
        "Filter by id, name, department, team or seat",
        true,
    ),
    bind(
        C::Moves,
        &[plain(K::Esc)],
        Action::FilterClear,
        "clear filter",
        "Clear the filter: every move shows again",
        false,
    ),
    // Cases tab.
    bind(
        C::Cases,
        &[plain(K::Down), ch('j')],
        Action::Down,
        "down",
        "Next Case",
        false,
    ),
    bind(
        C::Cases,
        &[plain(K::Up), ch('k')],
        Action::Up,
        "up",
        "Previous Case",
        false,
    ),
    bind(
        C::Cases,
        &[plain(K::PageDown)],
        Action::PageDown,
        "page down",
        "Ten Cases down",
        false,
    ),
    bind(
        C::Cases,
        &[plain(K::PageUp)],
        Action::PageUp,
        "page up",
        "Ten Cases up",
        false,
    ),
    bind(
        C::Cases,
        &[plain(K::Home), ch('g')],
        Action::Top,
        "top",
        "First Case",
        false,
    ),
    bind(
        C::Cases,
        &[plain(K::End), ch('G')],
        Action::Bottom,
        "bottom",
        "Last Case",
        false,
    ),
    bind(
        C::Cases,
        &[ch(' ')],
        Action::ToggleSelect,
        "select",
        "Mark or unmark this Case for the undo",
        true,
    ),
    bind(
        C::Cases,
        &[ch('a')],
        Action::SelectAll,
        "all",
        "Mark every pushed Case (again: unmark all)",
        false,
    ),
    bind(
        C::Cases,
        &[ch('u')],
        Action::Undo,
        "undo",
        "Delete the marked Cases (none: the whole plan); asks",
        true,
    ),
    bind(
        C::Cases,
        &[ch('r')],
        Action::Reload,
        "reload",
        "Read the ledger again",
        true,
    ),
    bind(
        C::Cases,
        &[ch('/')],
        Action::Filter,
        "filter",
        "Filter by Case, number, move or the move's people",
        true,
    ),
    bind(
        C::Cases,
        &[plain(K::Esc)],
        Action::FilterClear,
        "clear filter",
        "Clear the filter: every Case shows again",
        false,
    ),
    // Everywhere (when not typing).
    bind(
        C::Global,
        &[ch('1')],
        Action::GoTab(Tab::Connection),
        "",
        "Connection tab",
        false,
    ),
    bind(
        C::Global,
        &[ch('2')],
        Action::GoTab(Tab::Fields),
        "",
        "Fields tab",
        false,
    ),
    bind(
        C::Global,
        &[ch('3')],
        Action::GoTab(Tab::Moves),
        "",
        "Moves tab",
        false,
    ),
    bind(
        C::Global,
        &[ch('4')],
        Action::GoTab(Tab::Cases),
        "",
        "Cases tab",
        false,
    ),
    bind(
        C::Global,
        &[plain(K::Tab)],
        Action::NextTab,
        "tab",
        "Next tab",
        false,
    ),
    bind(
        C::Global,
        &[plain(K::BackTab)],
        Action::PrevTab,
        "S-Tab",
        "Previous tab",
        false,
    ),
    bind(
        C::Global,
        &[ch('+')],
        Action::MoreConcurrency,
        "",
        "Send one more request at a time in pushes and undos",
        false,
    ),
    bind(
        C::Global,
        &[ch('-')],
        Action::LessConcurrency,
        "",
        "Send one request fewer at a time in pushes and undos",
        false,
    ),
    bind(
        C::Global,
        &[ctrl('l')],
        Action::Redraw,
        "redraw",
        "Repaint the whole screen",
        false,
    ),
    bind(
        C::Global,
        &[ch('?')],
        Action::Help,
        "help",
        "Show every key",
        true,
    ),
    bind(
        C::Global,
        &[ch('q'), ctrl('c')],
        Action::Quit,
        "quit",
        "Quit (asks first while a push or undo runs)",
        true,
    ),
];

/// The binding for `key` in `context` alone.
pub fn lookup(context: Context, key: Key) -> Option<&'static Binding> {
    BINDINGS
        .iter()
        .find(|b| b.context == context && b.keys.contains(&key))
}

/// Resolves a key press in a stack of contexts, first match wins. Releases are ignored.
pub fn resolve(contexts: &[Context], event: &KeyEvent) -> Option<Action> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    let key = Key::from_event(event);
    contexts
        .iter()
        .find_map(|context| lookup(*context, key))
        .map(|binding| binding.action)
}

/// The bindings of one context, in table order.
pub fn bindings_of(context: Context) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| b.context == context)
}

/// Status-bar hints for a stack of contexts: `key short` pairs, first context first.
pub fn hints(contexts: &[Context]) -> Vec<(String, &'static str)> {
    contexts
        .iter()
        .flat_map(|c| bindings_of(*c))
        .filter(|b| b.hint)
        .filter_map(|b| b.keys.first().map(|k| (k.label(), b.short)))
        .collect()
}

/// Help text lines for a context: the keys joined with `/`, then the sentence.
pub fn help_rows(context: Context) -> Vec<(String, &'static str)> {
    bindings_of(context)
        .map(|b| {
            let keys = b
                .keys
                .iter()
                .map(|k| k.label())
                .collect::<Vec<_>>()
                .join("/");
            (keys, b.desc)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_binding_uses_the_tmux_prefixes() {
        for binding in BINDINGS {
            for key in binding.keys {
                assert!(
                    !(key.mods.contains(KeyModifiers::CONTROL)
                        && matches!(key.code, KeyCode::Char('a' | 'b' | 'A' | 'B'))),
                    "{binding:?} uses a tmux prefix"
                );
            }
        }
    }

    #[test]
    fn no_key_is_bound_twice_in_a_context() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                if a.context != b.context {
                    continue;
                }
                for key in a.keys {
                    assert!(
                        !b.keys.contains(key),
                        "{} bound twice in {:?}",
                        key.label(),
                        a.context
                    );
                }
            }
        }
    }

    #[test]
    fn every_binding_has_a_description_that_fits_the_help() {
        for binding in BINDINGS {
            assert!(!binding.desc.is_empty(), "{binding:?}");
            // The help overlay at 80 columns leaves 52 for the sentence.
            assert!(
                binding.desc.chars().count() <= HELP_DESC_WIDTH,
                "{binding:?}"
            );
            assert!(!binding.keys.is_empty(), "{binding:?}");
            assert!(!binding.hint || !binding.short.is_empty(), "{binding:?}");
        }
    }

    #[test]
    fn tab_keys_shadow_global_ones() {
        let event = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(
            resolve(&[Context::Moves, Context::Global], &event),
            Some(Action::Quit)
        );
        let event = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(
            resolve(&[Context::Moves, Context::Global], &event),
            Some(Action::Bottom)
        );
        let event = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(
            resolve(&[Context::Moves, Context::Global], &event),
            Some(Action::PrevTab)
        );
    }
}
