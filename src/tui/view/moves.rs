//! Moves tab: every move of the plan with its disposition, marks for a push, this
//! session's push outcomes, and the selected move's details and reasons.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{block, filter_line, list_title};
use crate::engine::PushOutcome;
use crate::ledger::LedgerCase;
use crate::plan::{Disposition, Move, Seat};
use crate::tui::derived::{scroll, window};
use crate::tui::state::{App, RowOutcome};
use crate::tui::theme::Theme;

const DETAIL_HEIGHT: u16 = 8;
/// Rows of the table area that are not moves: the borders and the header.
const TABLE_CHROME: u16 = 3;

fn seat_short(seat: Option<&Seat>, none: &str) -> String {
    seat.map_or_else(|| none.to_owned(), |s| s.seat_code.clone())
}

/// A seat in full, ASCII separators.
fn seat_long(seat: Option<&Seat>, none: &str) -> String {
    match seat {
        None => none.to_owned(),
        Some(s) => {
            let mut text = format!(
                "{} fl {} seat {}",
                s.building_code, s.floor_code, s.seat_code
            );
            if let Some(name) = &s.building_name {
                text.push_str(&format!(" ({name})"));
            }
            text
        }
    }
}

fn disposition_style(theme: &Theme, disposition: Disposition) -> Style {
    match disposition {
        Disposition::Now => theme.text,
        Disposition::Future | Disposition::Cancelled => theme.dim,
        Disposition::Invalid => theme.bad,
    }
}

/// The short result column.
fn outcome_words(outcome: Option<&RowOutcome>) -> (String, Option<bool>) {
    match outcome {
        None => (String::new(), None),
        Some(RowOutcome::Pending) => ("sending".to_owned(), None),
        Some(RowOutcome::Done(PushOutcome::Created { .. })) => ("created".to_owned(), Some(true)),
        Some(RowOutcome::Done(PushOutcome::Updated { .. })) => ("updated".to_owned(), Some(true)),
        Some(RowOutcome::Done(PushOutcome::Failed { code, .. })) => {
            (format!("failed {code}"), Some(false))
        }
    }
}

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let Some(plan) = &app.plan else {
        let lines = vec![
            Line::raw("No plan loaded."),
            Line::raw(""),
            Line::raw("Start the console with a plan file to see and push its moves:"),
            Line::styled("  moveforce PLAN.json   (or PLAN.csv)", theme.key),
        ];
        frame.render_widget(Paragraph::new(lines).block(block(" Moves ", theme)), area);
        return;
    };
    let [summary_area, table_area, detail_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(DETAIL_HEIGHT),
    ])
    .areas(area);

    let counts = app.index.counts;
    let mut summary = vec![Span::raw(format!(
        " {} now, {} future, {} cancelled, {} invalid",
        counts.now, counts.future, counts.cancelled, counts.invalid
    ))];
    if counts.truncated > 0 {
        summary.push(Span::styled(
            format!(", {} cut", counts.truncated),
            theme.warn,
        ));
    }
    let marked = app.moves.selected.len();
    summary.push(Span::styled(
        if marked == 0 {
            "; none marked: p pushes all".to_owned()
        } else {
            format!("; {marked} marked")
        },
        if marked == 0 { theme.dim } else { theme.marked },
    ));
    let total = plan.moves.len();
    let shown = app.moves.filter.len(total);
    if app.moves.filter.editing {
        filter_line(
            frame,
            theme,
            &app.moves.filter,
            shown,
            total,
            "moves",
            summary_area,
        );
    } else {
        frame.render_widget(Paragraph::new(Line::from(summary)), summary_area);
    }

    // Only the rows in view (and a small margin) are built: the cost of a frame does
    // not grow with the plan.
    let height = usize::from(table_area.height.saturating_sub(TABLE_CHROME));
    let offset = scroll(app.moves.offset.get(), app.moves.cursor, height, shown);
    app.moves.offset.set(offset);
    let rows_in_view = window(offset, height, shown);
    let first = rows_in_view.start;
    let rows = app
        .moves
        .filter
        .indexes(rows_in_view, total)
        .into_iter()
        .filter_map(|index| plan.moves.get(index).map(|mv| (index, mv)))
        .map(|(index, mv)| move_row(app, index, mv));
    let widths = [
        Constraint::Length(3),
        Constraint::Length(9),
        Constraint::Fill(1),
        Constraint::Length(16),
        Constraint::Length(9),
        Constraint::Length(3),
        Constraint::Length(14),
    ];
    let table = Table::new(rows, widths)
        .header(
            Row::new(vec![
                "",
                "Move",
                "Employee",
                "From -> To",
                "Disp.",
                "",
                "Result",
            ])
            .style(theme.title),
        )
        .row_highlight_style(theme.cursor)
        .block(block(
            list_title("Moves", &app.moves.filter, shown, total, table_area.width),
            theme,
        ));
    let mut state = TableState::default()
        .with_offset(offset - first)
        .with_selected((shown > 0).then(|| app.moves.cursor.min(shown - 1) - first));
    frame.render_stateful_widget(table, table_area, &mut state);

    let lines = app
        .moves
        .current(total)
        .and_then(|index| plan.moves.get(index).map(|mv| detail_lines(app, index, mv)))
        .unwrap_or_default();
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(" Selected move ", theme))
            .wrap(Wrap { trim: false }),
        detail_area,
    );
}

/// One row of the table, for move `index`.
fn move_row<'a>(app: &'a App, index: usize, mv: &'a Move) -> Row<'a> {
    let theme = &app.theme;
    let disposition = app.index.disposition(index);
    let marked = app.moves.selected.contains(index);
    let mark = match (marked, disposition) {
        (true, _) => "[x]",
        (false, Disposition::Now) => "[ ]",
        (false, _) => "   ",
    };
    let flag = match disposition {
        Disposition::Invalid => "!",
        Disposition::Now if !mv.truncated.is_empty() => "cut",
        _ => "",
    };
    let (mut result, ok) = outcome_words(app.moves.outcomes.get(&mv.move_id));
    let mut result_style = match ok {
        Some(true) => theme.good,
        Some(false) => theme.bad,
        None => theme.warn,
    };
    // What the ledger already holds, shown when this session has no outcome.
    if result.is_empty()
        && let Some(case) = ledger_case(app, index)
    {
        result = format!("{} before", case.state.as_str());
        result_style = theme.dim;
    }
    let from_to = format!(
        "{} -> {}",
        seat_short(mv.current_seat.as_ref(), "(new)"),
        seat_short(mv.new_seat.as_ref(), "(out)")
    );
    Row::new(vec![
        Cell::from(Span::styled(
            mark,
            if marked { theme.marked } else { theme.text },
        )),
        Cell::from(mv.move_id.as_str()),
        Cell::from(mv.employee_label()),
        Cell::from(from_to),
        Cell::from(Span::styled(
            disposition.as_str(),
            disposition_style(theme, disposition),
        )),
        Cell::from(Span::styled(flag, theme.warn)),
        Cell::from(Span::styled(result, result_style)),
    ])
}

/// The ledger's Case for move `index`, from the index built when the ledger was read.
fn ledger_case(app: &App, index: usize) -> Option<&LedgerCase> {
    app.ledger
        .case_of_move
        .get(index)
        .copied()
        .flatten()
        .and_then(|ci| app.cases.cases.get(ci))
}

fn detail_lines<'a>(app: &App, index: usize, mv: &'a Move) -> Vec<Line<'a>> {
    let theme = &app.theme;
    let mut lines = Vec::new();
    let mut who = format!("{} {}", mv.move_id, mv.employee_label());
    if !mv.employee.employee_id.is_empty() {
        who.push_str(&format!(" ({})", mv.employee.employee_id));
    }
    if !mv.department.is_empty() {
        who.push_str(&format!(", {}", mv.department));
    }
    if let Some(team) = &mv.team {
        who.push_str(&format!(" / {team}"));
    }
    lines.push(Line::styled(who, theme.title));
    lines.push(Line::raw(format!(
        "{} -> {}",
        seat_long(mv.current_seat.as_ref(), "(new seat)"),
        seat_long(mv.new_seat.as_ref(), "(no new seat)")
    )));
    match mv.disposition() {
        Disposition::Now => lines.push(Line::raw("now: pushed as a Case")),
        Disposition::Future => lines.push(Line::styled(
            format!(
                "future{}: shown, never pushed",
                mv.move_date
                    .as_ref()
                    .map(|d| format!(" (move date {d})"))
                    .unwrap_or_default()
            ),
            theme.dim,
        )),
        Disposition::Cancelled => {
            lines.push(Line::styled("cancelled: shown, never pushed", theme.dim));
        }
        Disposition::Invalid => {
            lines.push(Line::styled("invalid: never pushed, because", theme.bad));
        }
    }
    for problem in &mv.problems {
        lines.push(Line::styled(
            format!("  {}: {}", problem.at, problem.reason),
            theme.bad,
        ));
    }
    if !mv.truncated.is_empty() {
        lines.push(Line::styled(
            format!(
                "cut to fit: {} (the full text stays in the Description)",
                mv.truncated.join(", ")
            ),
            theme.warn,
        ));
    }
    match app.moves.outcomes.get(&mv.move_id) {
        Some(RowOutcome::Pending) => {
            lines.push(Line::styled("sent, waiting for Salesforce", theme.warn))
        }
        Some(RowOutcome::Done(PushOutcome::Created {
            case_id,
            case_number,
        })) => {
            lines.push(Line::styled(
                format!("created Case {case_id}{}", number(case_number)),
                theme.good,
            ));
        }
        Some(RowOutcome::Done(PushOutcome::Updated {
            case_id,
            case_number,
        })) => {
            lines.push(Line::styled(
                format!("updated Case {case_id}{}", number(case_number)),
                theme.good,
            ));
        }
        Some(RowOutcome::Done(PushOutcome::Failed { code, message })) => {
            lines.push(Line::styled(format!("failed {code}: {message}"), theme.bad));
        }
        None => {
            if let Some(case) = ledger_case(app, index) {
                lines.push(Line::styled(
                    format!(
                        "in the ledger: Case {}{}, {} ({})",
                        case.case_id,
                        number(&case.case_number),
                        case.state.as_str(),
                        case.last_action
                    ),
                    theme.dim,
                ));
            }
        }
    }
    lines
}

fn number(case_number: &Option<String>) -> String {
    case_number
        .as_ref()
        .map(|n| format!(" (#{n})"))
        .unwrap_or_default()
}
