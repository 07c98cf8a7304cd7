//! The popup stack: confirmations, the help overlay (drawn from the keymap) and error
//! messages. Drawn bottom to top over the tab.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::{block, centered, tone_style, wrap};
use crate::tui::keymap::{self, Context};
use crate::tui::state::{App, Popup, Section, Tab};
use crate::tui::theme::Theme;

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    for popup in &app.popups {
        match popup {
            Popup::Confirm { title, body, .. } => {
                message(frame, &app.theme, area, title, body, Context::Confirm);
            }
            Popup::Error {
                title,
                message: text,
            } => {
                message(frame, &app.theme, area, title, text, Context::Message);
            }
            Popup::Help { scroll } => help(frame, app, area, *scroll),
            Popup::Review { .. } => review(frame, &app.theme, area, popup),
        }
    }
}

fn key_line(theme: &Theme, context: Context) -> Line<'static> {
    key_line_without(theme, context, &[])
}

/// The popup's key hints, less those whose action does nothing here.
fn key_line_without(theme: &Theme, context: Context, idle: &[keymap::Action]) -> Line<'static> {
    let mut spans = Vec::new();
    let hints = keymap::bindings_of(context)
        .filter(|b| b.hint && !idle.contains(&b.action))
        .filter_map(|b| b.keys.first().map(|k| (k.label(), b.short)));
    for (key, short) in hints {
        spans.push(Span::styled(format!("[{key}]"), theme.key));
        spans.push(Span::raw(format!(" {short}   ")));
    }
    Line::from(spans)
}

fn message(
    frame: &mut Frame,
    theme: &Theme,
    area: Rect,
    title: &str,
    body: &str,
    context: Context,
) {
    let width = 60.min(area.width);
    let inner_width = usize::from(width.saturating_sub(4)).max(1);
    // A rough line count for the wrapped body; the paragraph wraps for real.
    let body_lines = body
        .split('\n')
        .map(|l| l.chars().count().div_ceil(inner_width).max(1))
        .sum::<usize>() as u16;
    let rect = centered(area, width, body_lines + 4);
    frame.render_widget(Clear, rect);
    let outer = block(format!(" {title} "), theme).border_style(theme.focus_border);
    let inner = outer.inner(rect);
    frame.render_widget(outer, rect);
    let [text_area, keys_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
    frame.render_widget(
        Paragraph::new(body.to_owned()).wrap(Wrap { trim: true }),
        Rect {
            x: text_area.x + 1,
            width: text_area.width.saturating_sub(2),
            ..text_area
        },
    );
    frame.render_widget(
        Paragraph::new(key_line(theme, context)).centered(),
        keys_area,
    );
}

/// The contexts the help lists: the tab under the overlay, field editing (on the
/// Connection tab), then the keys that work everywhere.
fn help_contexts(tab: Tab) -> Vec<Context> {
    let mut contexts = vec![Context::of_tab(tab)];
    match tab {
        Tab::Connection => contexts.push(Context::Editing),
        Tab::Moves | Tab::Cases => contexts.push(Context::Filter),
        Tab::Fields => contexts.push(Context::Review),
    }
    contexts.push(Context::Global);
    contexts
}

/// How many lines the help has for a tab (the scroll never goes past the last).
pub fn help_line_count(tab: Tab) -> usize {
    help_lines(&Theme::mono(), tab).len()
}

/// Every line of the help text, for a tab.
pub fn help_lines(theme: &Theme, tab: Tab) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for context in help_contexts(tab) {
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(context.title().to_owned(), theme.title));
        for (keys, desc) in keymap::help_rows(context) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<18}"), theme.key),
                Span::raw(desc),
            ]));
        }
        if context == Context::Editing {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<18}", "any character"), theme.key),
                Span::raw("Typed into the field; a paste goes into it too"),
            ]));
        }
        if context == Context::Filter {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<18}", "any character"), theme.key),
                Span::raw("Typed into the filter; the list narrows as you type"),
            ]));
        }
    }
    lines
}

fn help(frame: &mut Frame, app: &App, area: Rect, scroll: usize) {
    let theme = &app.theme;
    let rect = centered(area, 76, area.height.saturating_sub(2));
    frame.render_widget(Clear, rect);
    let lines = help_lines(theme, app.tab);
    let outer = block(" Keys ", theme).border_style(theme.focus_border);
    let inner = outer.inner(rect);
    frame.render_widget(outer, rect);
    let [text_area, keys_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
    let visible = usize::from(text_area.height);
    let max_scroll = lines.len().saturating_sub(visible);
    let scroll = scroll.min(max_scroll);
    let more = if scroll < max_scroll {
        format!("{} more lines below", max_scroll - scroll)
    } else {
        String::new()
    };
    frame.render_widget(
        Paragraph::new(lines).scroll((scroll as u16, 0)),
        Rect {
            x: text_area.x + 1,
            width: text_area.width.saturating_sub(1),
            ..text_area
        },
    );
    let mut keys = key_line(theme, Context::Help);
    keys.spans.push(Span::styled(more, theme.dim));
    frame.render_widget(Paragraph::new(keys).centered(), keys_area);
}

/// How wide a review is: as wide as the 80-column floor allows, on any terminal.
const REVIEW_WIDTH: u16 = 76;

/// The columns a review's text wraps at (borders and a space each side off).
fn review_text_width(popup_width: u16) -> usize {
    usize::from(popup_width.saturating_sub(4)).max(1)
}

/// Every line of a review: the intro, then each section's heading and its items as
/// `- ` bullets, wrapped to `width`.
fn review_lines(
    theme: &Theme,
    intro: &str,
    sections: &[Section],
    width: usize,
) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = wrap(intro, width).into_iter().map(Line::raw).collect();
    for section in sections {
        lines.push(Line::raw(""));
        for heading in wrap(&section.heading, width) {
            lines.push(Line::styled(heading, tone_style(theme, section.tone)));
        }
        for item in &section.items {
            for (n, part) in wrap(item, width.saturating_sub(4)).into_iter().enumerate() {
                let bullet = if n == 0 { "  - " } else { "    " };
                lines.push(Line::raw(format!("{bullet}{part}")));
            }
        }
    }
    lines
}

/// How many lines a review popup has, as drawn on any terminal of the 80-column floor or
/// wider (0 for another popup).
pub fn review_line_count(popup: &Popup) -> usize {
    match popup {
        Popup::Review {
            intro, sections, ..
        } => review_lines(
            &Theme::mono(),
            intro,
            sections,
            review_text_width(REVIEW_WIDTH),
        )
        .len(),
        _ => 0,
    }
}

fn review(frame: &mut Frame, theme: &Theme, area: Rect, popup: &Popup) {
    let Popup::Review {
        title,
        intro,
        sections,
        scroll,
        max_scroll,
        on_yes,
    } = popup
    else {
        return;
    };
    let width = REVIEW_WIDTH.min(area.width);
    let lines = review_lines(theme, intro, sections, review_text_width(width));
    let wanted = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(3);
    let rect = centered(area, width, wanted.min(area.height.saturating_sub(2)));
    frame.render_widget(Clear, rect);
    let outer = block(format!(" {title} "), theme).border_style(theme.focus_border);
    let inner = outer.inner(rect);
    frame.render_widget(outer, rect);
    let [text_area, keys_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
    let visible = usize::from(text_area.height);
    let last = lines.len().saturating_sub(visible);
    max_scroll.set(last);
    let scroll = (*scroll).min(last);
    frame.render_widget(
        Paragraph::new(lines).scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
        Rect {
            x: text_area.x + 1,
            width: text_area.width.saturating_sub(2),
            ..text_area
        },
    );
    let context = if on_yes.is_some() {
        Context::Review
    } else {
        Context::Report
    };
    let idle: &[keymap::Action] = if last == 0 {
        &[keymap::Action::Down, keymap::Action::Up]
    } else {
        &[]
    };
    let mut keys = key_line_without(theme, context, idle);
    if scroll < last {
        keys.spans.push(Span::styled(
            format!("{} more below", last - scroll),
            theme.dim,
        ));
    } else if scroll > 0 {
        keys.spans.push(Span::styled("end", theme.dim));
    }
    frame.render_widget(Paragraph::new(keys).centered(), keys_area);
}
