//! Connection tab: the settings form (secrets shown as `*` only) and what a test of the
//! connection found.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{block, spinner, wrap};
use crate::tui::state::{App, ConnState, FormField};

const LABEL_WIDTH: u16 = 16;

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let form_height = FormField::ALL.len() as u16 + 2;
    let [form, status] =
        Layout::vertical([Constraint::Length(form_height), Constraint::Fill(1)]).areas(area);
    render_form(frame, app, form);
    render_status(frame, app, status);
}

/// What a field shows: secrets as one `*` per character, never the text.
fn shown(app: &App, field: FormField) -> String {
    let conn = &app.connection;
    if field == FormField::Flow {
        return format!("{}   (Enter or Left/Right switches)", conn.flow.as_str());
    }
    let value = conn.input(field).map(|i| i.value()).unwrap_or("");
    if field.is_secret() {
        "*".repeat(value.chars().count())
    } else {
        value.to_owned()
    }
}

fn render_form(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let conn = &app.connection;
    let title = if conn.is_editing() {
        " Settings (editing: Enter keeps, Esc undoes) "
    } else {
        " Settings "
    };
    let outer = block(title, theme).border_style(if conn.is_editing() {
        theme.focus_border
    } else {
        theme.border
    });
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    for (row, field) in FormField::ALL.iter().enumerate() {
        let y = inner.y + row as u16;
        if y >= inner.y + inner.height {
            break;
        }
        let line_area = Rect {
            x: inner.x,
            y,
            width: inner.width,
            height: 1,
        };
        let focused = row == conn.focus;
        let used = field.used_by(conn.flow);
        let label_style = if !used { theme.dim } else { theme.text };
        let marker = if focused { ">" } else { " " };
        let [label_area, value_area] =
            Layout::horizontal([Constraint::Length(LABEL_WIDTH + 2), Constraint::Fill(1)])
                .areas(line_area);
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(marker, theme.key),
                Span::raw(" "),
                Span::styled(field.label(), label_style),
            ])),
            label_area,
        );
        let mut text = shown(app, *field);
        if !used {
            let note = format!("(not used by {})", conn.flow.as_str());
            text = if text.is_empty() {
                note
            } else {
                format!("{text}  {note}")
            };
        }
        let editing_here = focused && conn.is_editing() && field.is_text();
        let width = usize::from(value_area.width.max(1));
        let (scroll, cursor_col) = match conn.input(*field) {
            Some(input) if editing_here => {
                if field.is_secret() {
                    let cursor = input.cursor();
                    let scroll = (cursor + 1).saturating_sub(width);
                    (scroll, cursor - scroll)
                } else {
                    let scroll = input.visual_scroll(width);
                    (scroll, input.visual_cursor().saturating_sub(scroll))
                }
            }
            _ => (0, 0),
        };
        let style = if focused && !conn.is_editing() {
            theme.cursor
        } else if !used {
            theme.dim
        } else {
            theme.text
        };
        frame.render_widget(
            Paragraph::new(Line::styled(text, style)).scroll((0, scroll as u16)),
            value_area,
        );
        if editing_here {
            frame.set_cursor_position(Position {
                x: value_area.x + (cursor_col as u16).min(value_area.width.saturating_sub(1)),
                y,
            });
        }
    }
}

fn render_status(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let conn = &app.connection;
    let mut lines: Vec<Line> = Vec::new();
    let pair = |label: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{label:<14}"), theme.dim),
            Span::raw(value),
        ])
    };
    match &conn.state {
        ConnState::NotConnected => {
            lines.push(Line::raw("Not connected. Press c to test these settings."));
        }
        ConnState::Connecting { .. } => {
            lines.push(Line::styled(
                format!(
                    "{} Connecting to {} ...",
                    spinner(app),
                    conn.settings().login_url
                ),
                theme.warn,
            ));
        }
        ConnState::Connected(info) => {
            lines.push(Line::styled("Connected.", theme.good));
            lines.push(pair("Org id", info.org_id.clone()));
            lines.push(pair(
                "User",
                format!("{} ({})", info.username, info.user_id),
            ));
            lines.push(pair("Instance URL", info.instance_url.clone()));
            lines.push(pair("API version", info.api_version.clone()));
            let usage = match info.api_usage {
                Some((used, max)) if max > 0 => {
                    format!("{used} of {max} requests in 24 h ({}%)", used * 100 / max)
                }
                Some((used, max)) => format!("{used} of {max} requests in 24 h"),
                None => "not reported".to_owned(),
            };
            lines.push(pair("API usage", usage));
        }
        ConnState::Failed(reason) => {
            // The whole explanation (cause, then the fix, on lines of their own) comes
            // first; the config file only where room is left.
            let width = usize::from(area.width.saturating_sub(2));
            let room = usize::from(area.height.saturating_sub(2));
            let mut wrapped = wrap(reason, width);
            if wrapped.len() > room {
                // Indents cost lines: drop them before anything is cut.
                let flat: Vec<&str> = reason.lines().map(str::trim_start).collect();
                wrapped = wrap(&flat.join("\n"), width);
            }
            for (n, line) in wrapped.into_iter().enumerate() {
                let style = if n == 0 { theme.bad } else { theme.text };
                lines.push(Line::styled(line, style));
            }
        }
    }
    let saved = match &conn.saved {
        Some(Ok(path)) => format!("saved to {}", path.display()),
        Some(Err(_)) => "not saved (see the message)".to_owned(),
        None => "s saves the settings here".to_owned(),
    };
    let failed = matches!(conn.state, ConnState::Failed(_));
    let room = usize::from(area.height.saturating_sub(2));
    if !failed || lines.len() + 3 <= room {
        lines.push(Line::raw(""));
        lines.push(pair("Config file", app.config_file.display().to_string()));
        lines.push(pair("", saved));
    }
    let title = if failed {
        Line::styled(" Not connected: the test failed ", theme.bad)
    } else {
        Line::raw(" Connection ")
    };
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(title, theme))
            .wrap(Wrap { trim: false }),
        area,
    );
}
