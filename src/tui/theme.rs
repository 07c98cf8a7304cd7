//! Styles by meaning. The default uses the 16 named ANSI colours, so it follows the
//! operator's terminal palette and never paints a background; under `NO_COLOR` a
//! monochrome theme shows state with modifiers only (reverse video for the cursor row).

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub mono: bool,
    pub text: Style,
    pub dim: Style,
    pub title: Style,
    pub tab_active: Style,
    /// The row the cursor is on.
    pub cursor: Style,
    /// Rows marked for a push or undo.
    pub marked: Style,
    pub good: Style,
    pub warn: Style,
    pub bad: Style,
    pub key: Style,
    pub border: Style,
    pub focus_border: Style,
}

impl Theme {
    pub fn ansi() -> Theme {
        Theme {
            mono: false,
            text: Style::new(),
            dim: Style::new().fg(Color::DarkGray),
            title: Style::new().add_modifier(Modifier::BOLD),
            tab_active: Style::new()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            cursor: Style::new().add_modifier(Modifier::REVERSED),
            marked: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            good: Style::new().fg(Color::Green),
            warn: Style::new().fg(Color::Yellow),
            bad: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            border: Style::new(),
            focus_border: Style::new().fg(Color::Cyan),
        }
    }

    pub fn mono() -> Theme {
        Theme {
            mono: true,
            text: Style::new(),
            dim: Style::new().add_modifier(Modifier::DIM),
            title: Style::new().add_modifier(Modifier::BOLD),
            tab_active: Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            cursor: Style::new().add_modifier(Modifier::REVERSED),
            marked: Style::new().add_modifier(Modifier::BOLD),
            good: Style::new(),
            warn: Style::new().add_modifier(Modifier::UNDERLINED),
            bad: Style::new().add_modifier(Modifier::BOLD),
            key: Style::new().add_modifier(Modifier::BOLD),
            border: Style::new(),
            focus_border: Style::new().add_modifier(Modifier::BOLD),
        }
    }

    /// Mono when `NO_COLOR` is set to anything non-empty (no-color.org).
    pub fn from_env(no_color: Option<std::ffi::OsString>) -> Theme {
        match no_color {
            Some(value) if !value.is_empty() => Theme::mono(),
            _ => Theme::ansi(),
        }
    }
}

impl Default for Theme {
    fn default() -> Theme {
        Theme::ansi()
    }
}
