//! Moves tab: every move of the plan with its disposition, marks for a push, this
//! session's push outcomes, and the selected move's details and reasons.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use std::collections::HashMap;

use super::block;
use crate::engine::PushOutcome;
use crate::ledger::LedgerCase;
use crate::plan::{Disposition, Move, Seat};
use crate::tui::state::{App, RowOutcome};
use crate::tui::theme::Theme;

const DETAIL_HEIGHT: u16 = 8;

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

    let counts = plan.counts();
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
    frame.render_widget(Paragraph::new(Line::from(summary)), summary_area);

    // What the ledger already holds, by move: shown when this session has no outcome.
    let in_ledger: HashMap<&str, &LedgerCase> = app
        .cases
        .cases
        .iter()
        .map(|c| (c.move_id.as_str(), c))
        .collect();
    let rows = plan.moves.iter().enumerate().map(|(index, mv)| {
        let disposition = mv.disposition();
        let marked = app.moves.selected.contains(&index);
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
        if result.is_empty()
            && let Some(case) = in_ledger.get(mv.move_id.as_str())
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
            Cell::from(mv.move_id.clone()),
            Cell::from(mv.employee_label().to_owned()),
            Cell::from(from_to),
            Cell::from(Span::styled(
                disposition.as_str(),
                disposition_style(theme, disposition),
            )),
            Cell::from(Span::styled(flag, theme.warn)),
            Cell::from(Span::styled(result, result_style)),
        ])
    });
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
        .block(block(" Moves ", theme));
    let mut state = TableState::default().with_selected(Some(app.moves.cursor));
    frame.render_stateful_widget(table, table_area, &mut state);

    let lines = plan
        .moves
        .get(app.moves.cursor)
        .map(|mv| detail_lines(app, mv))
        .unwrap_or_default();
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(" Selected move ", theme))
            .wrap(Wrap { trim: false }),
        detail_area,
    );
}

fn detail_lines<'a>(app: &App, mv: &'a Move) -> Vec<Line<'a>> {
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
            if let Some(case) = app.cases.cases.iter().find(|c| c.move_id == mv.move_id) {
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
