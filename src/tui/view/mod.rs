//! Drawing. Reads `&App` only; one file per tab plus the popups. ASCII borders and
//! glyphs throughout, so nothing turns into boxes over SSH.

mod cases;
mod connection;
mod fields;
mod moves;
mod popup;

pub use fields::status_words;
pub use popup::{help_line_count, review_line_count};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::border;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::keymap;
use super::state::{App, ConnState, Tab, Tone};
use super::theme::Theme;
use super::update::contexts;

/// The design floor: below this the console shows only a "too small" screen.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

const ASCII_BORDER: border::Set = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

const SPINNER: [&str; 4] = ["|", "/", "-", "\\"];

/// A bordered block with an ASCII frame and a title.
pub(crate) fn block<'a>(title: impl Into<Line<'a>>, theme: &Theme) -> Block<'a> {
    Block::bordered()
        .border_set(ASCII_BORDER)
        .border_style(theme.border)
        .title(title)
        .title_style(theme.title)
}

/// A rectangle of at most `width` x `height`, centred in `area`.
pub(crate) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// Display columns of `text` (wide characters count two).
pub(crate) fn width_of(text: &str) -> usize {
    Span::raw(text).width()
}

/// `text` cut to `width` display columns, ending in `...` when cut.
pub(crate) fn truncate(text: &str, width: usize) -> String {
    if width_of(text) <= width {
        return text.to_owned();
    }
    let budget = width.saturating_sub(3);
    let mut out = String::new();
    let mut used = 0;
    let mut buf = [0u8; 4];
    for c in text.chars() {
        let w = width_of(c.encode_utf8(&mut buf));
        if used + w > budget {
            break;
        }
        used += w;
        out.push(c);
    }
    if width >= 3 {
        out.push_str("...");
    }
    out
}

/// `text` word-wrapped to `width` display columns: each line of the text (split at `\n`)
/// keeps its own leading spaces as the indent of its continuation lines, and a word
/// longer than a line is cut. Every line returned fits `width` (when `width` > indent).
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for paragraph in text.split('\n') {
        let trimmed = paragraph.trim_start();
        let indent = " ".repeat((paragraph.len() - trimmed.len()).min(width / 2));
        let mut line = indent.clone();
        let mut line_width = width_of(&line);
        let mut empty = true;
        for word in trimmed.split_whitespace() {
            let word_width = width_of(word);
            let gap = usize::from(!empty);
            if !empty && line_width + gap + word_width > width {
                out.push(std::mem::replace(&mut line, indent.clone()));
                line_width = width_of(&line);
                empty = true;
            }
            if !empty {
                line.push(' ');
                line_width += 1;
            }
            if line_width + word_width <= width {
                line.push_str(word);
                line_width += word_width;
            } else {
                // A word wider than the room: cut it across lines.
                let mut buf = [0u8; 4];
                for c in word.chars() {
                    let w = width_of(c.encode_utf8(&mut buf));
                    if line_width + w > width && line_width > width_of(&indent) {
                        out.push(std::mem::replace(&mut line, indent.clone()));
                        line_width = width_of(&line);
                    }
                    line.push(c);
                    line_width += w;
                }
            }
            empty = false;
        }
        out.push(line);
    }
    out
}

/// The filter line of a list: `/text` with the terminal cursor in it, and how many rows
/// it lets through.
pub(crate) fn filter_line(
    frame: &mut Frame,
    theme: &Theme,
    filter: &crate::tui::derived::Filter,
    shown: usize,
    total: usize,
    noun: &str,
    area: Rect,
) {
    let count = format!("  {shown} of {total} {noun}; Enter keeps, Esc clears");
    let room = usize::from(area.width)
        .saturating_sub(width_of(&count))
        .saturating_sub(3)
        .max(8);
    let input = &filter.input;
    let scroll = input.visual_scroll(room);
    let text: String = input.value().chars().skip(scroll).collect();
    let text = truncate(&text, room);
    let line = Line::from(vec![
        Span::styled(" /", theme.key),
        Span::raw(text),
        Span::styled(count, theme.dim),
    ]);
    frame.render_widget(Paragraph::new(line), area);
    let column = input.visual_cursor().saturating_sub(scroll).min(room);
    frame.set_cursor_position(ratatui::layout::Position {
        x: area
            .x
            .saturating_add(2)
            .saturating_add(u16::try_from(column).unwrap_or(u16::MAX))
            .min(area.right().saturating_sub(1)),
        y: area.y,
    });
}

/// A list's title, naming the filter when one applies.
pub(crate) fn list_title(
    name: &str,
    filter: &crate::tui::derived::Filter,
    shown: usize,
    total: usize,
    width: u16,
) -> String {
    if !filter.is_active() {
        return format!(" {name} ");
    }
    let counts = format!(" ({shown} of {total}) ");
    let room = usize::from(width)
        .saturating_sub(width_of(name) + width_of(&counts) + 10)
        .max(3);
    format!(
        " {name} matching \"{}\"{counts}",
        truncate(filter.text(), room)
    )
}

pub(crate) fn spinner(app: &App) -> &'static str {
    SPINNER[app.spinner % SPINNER.len()]
}

pub(crate) fn tone_style(theme: &Theme, tone: Tone) -> Style {
    match tone {
        Tone::Info => theme.text,
        Tone::Good => theme.good,
        Tone::Warn => theme.warn,
        Tone::Bad => theme.bad,
    }
}

/// Draws the whole console for `app` into the frame.
pub fn render(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let too_small = area.width < MIN_WIDTH || area.height < MIN_HEIGHT;
    app.too_small.set(too_small);
    if too_small {
        render_too_small(frame, app, area);
        return;
    }
    let banner_rows = u16::from(app.banner.is_some());
    let [header, banner, tabs, body, notice, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(banner_rows),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    render_header(frame, app, header);
    if let Some(text) = &app.banner {
        frame.render_widget(
            Paragraph::new(Line::styled(format!(" {text}"), app.theme.warn)),
            banner,
        );
    }
    render_tabs(frame, app, tabs);
    match app.tab {
        Tab::Connection => connection::render(frame, app, body),
        Tab::Fields => fields::render(frame, app, body),
        Tab::Moves => moves::render(frame, app, body),
        Tab::Cases => cases::render(frame, app, body),
    }
    render_notice(frame, app, notice);
    render_hints(frame, app, hints);
    popup::render(frame, app, area);
}

fn render_too_small(frame: &mut Frame, app: &App, area: Rect) {
    let text = vec![
        Line::styled("Terminal too small", app.theme.bad),
        Line::raw(format!(
            "{}x{} here; moveforce needs {MIN_WIDTH}x{MIN_HEIGHT}.",
            area.width, area.height
        )),
        Line::raw("Resize the window, or press q (or C-c) to quit."),
    ];
    let height = (text.len() as u16).min(area.height);
    let top = area.height.saturating_sub(height) / 2;
    let rect = Rect {
        x: area.x,
        y: area.y + top,
        width: area.width,
        height,
    };
    frame.render_widget(
        Paragraph::new(text)
            .alignment(ratatui::layout::Alignment::Center)
            .wrap(Wrap { trim: true }),
        rect,
    );
}

fn render_header(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let status = match &app.connection.state {
        ConnState::NotConnected => Span::styled("not connected", theme.dim),
        ConnState::Connecting { .. } => {
            Span::styled(format!("connecting {}", spinner(app)), theme.warn)
        }
        ConnState::Connected(info) => {
            Span::styled(format!("connected: {}", info.username), theme.good)
        }
        ConnState::Failed(_) => Span::styled("connection failed", theme.bad),
    };
    let status_width = status.width() as u16 + 1;
    let [left, right] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(status_width)]).areas(area);
    let mut spans = vec![Span::styled(" moveforce ", theme.title)];
    if let Some(plan) = &app.plan {
        spans.push(Span::styled("| ", theme.dim));
        let room = usize::from(left.width).saturating_sub(14);
        let text = format!("{}: {}", plan.plan_id, plan.plan_name);
        spans.push(Span::raw(truncate(&text, room)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), left);
    frame.render_widget(
        Paragraph::new(Line::from(vec![status, Span::raw(" ")])),
        right,
    );
}

fn render_tabs(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let mut spans = vec![Span::raw(" ")];
    for tab in Tab::ALL {
        let label = format!("{} {}", tab.index() + 1, tab.title());
        if tab == app.tab {
            spans.push(Span::styled(format!("[{label}]"), theme.tab_active));
        } else {
            spans.push(Span::styled(format!(" {label} "), theme.dim));
        }
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The progress of a running push or undo, else the last notice.
fn render_notice(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let progress = |verb: &str, noun: &str, p: &crate::tui::state::Progress| {
        let mut text = format!(
            " {} {verb}: {} of {} {noun} done, {} failed",
            spinner(app),
            p.done,
            p.total,
            p.failed
        );
        if let Some((rate, left)) = p.pace() {
            text.push_str(&format!(", {rate:.0}/s, {left:.0} s left"));
        }
        Line::styled(text, theme.warn)
    };
    let line = if let Some(p) = &app.moves.push {
        progress("Pushing", "moves", p)
    } else if let Some(p) = &app.cases.undo {
        progress("Undoing", "Cases", p)
    } else if let Some(notice) = &app.notice {
        Line::styled(format!(" {}", notice.text), tone_style(theme, notice.tone))
    } else {
        Line::raw("")
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn render_hints(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let mut spans = vec![Span::raw(" ")];
    for (key, short) in keymap::hints(&contexts(app)) {
        spans.push(Span::styled(key, theme.key));
        spans.push(Span::raw(format!(" {short}  ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_words_whole_and_indents_continuations() {
        let lines = wrap("cause here\n  the fix is longer than one line", 16);
        assert_eq!(
            lines,
            vec!["cause here", "  the fix is", "  longer than", "  one line"]
        );
        for line in &lines {
            assert!(width_of(line) <= 16, "{line:?}");
        }
    }

    #[test]
    fn wrap_cuts_a_word_wider_than_the_line() {
        let lines = wrap("a 0123456789abcdef", 8);
        assert_eq!(lines, vec!["a", "01234567", "89abcdef"]);
        assert_eq!(wrap("", 8), vec![""]);
        // Width 0 is treated as 1 and still ends.
        assert_eq!(wrap("ab", 0), vec!["a", "b"]);
    }
}
