//! Cases tab: what the ledger holds for this plan, marks for an undo, and this session's
//! undo outcomes.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{block, filter_line, list_title, spinner};
use crate::engine::UndoOutcome;
use crate::ledger::{CaseState, LedgerCase};
use crate::tui::derived::{scroll, window};
use crate::tui::state::{App, CasesState};

const DETAIL_HEIGHT: u16 = 4;
/// Rows of the table area that are not Cases: the borders and the header.
const TABLE_CHROME: u16 = 3;

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let cases = &app.cases;
    let Some(plan) = &app.plan else {
        let lines = vec![
            Line::raw("No plan loaded."),
            Line::raw(""),
            Line::raw("This tab lists the Cases a plan created, from the ledger."),
            Line::raw("Start the console with the plan file to see and undo them."),
        ];
        frame.render_widget(Paragraph::new(lines).block(block(" Cases ", theme)), area);
        return;
    };
    let title = match &cases.state {
        CasesState::Loading { .. } => format!(" Cases in the ledger (reading {}) ", spinner(app)),
        _ => " Cases in the ledger ".to_owned(),
    };
    if cases.cases.is_empty() {
        let lines = match &cases.state {
            CasesState::Failed(reason) => vec![
                Line::styled("Could not read the ledger:", theme.bad),
                Line::raw(reason.clone()),
                Line::raw("Press r to try again."),
            ],
            CasesState::Loading { .. } => vec![Line::raw("Reading the ledger...")],
            _ => vec![
                Line::raw(format!(
                    "The ledger holds no Cases for {} yet.",
                    plan.plan_id
                )),
                Line::raw("Push from the Moves tab (3); created Cases show up here."),
            ],
        };
        frame.render_widget(
            Paragraph::new(lines)
                .block(block(title, theme))
                .wrap(Wrap { trim: false }),
            area,
        );
        return;
    }
    let [summary_area, table_area, detail_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(DETAIL_HEIGHT),
    ])
    .areas(area);

    let pushed = app.ledger.pushed;
    let deleted = app.ledger.deleted;
    let marked = cases.selected.len();
    let mut summary = vec![Span::raw(format!(
        " {} Cases: {pushed} pushed, {deleted} deleted",
        cases.cases.len()
    ))];
    summary.push(Span::styled(
        if marked == 0 {
            "; none marked (u undoes the whole plan)".to_owned()
        } else {
            format!("; {marked} marked")
        },
        if marked == 0 { theme.dim } else { theme.marked },
    ));
    let total = cases.cases.len();
    let shown = cases.filter.len(total);
    if cases.filter.editing {
        filter_line(
            frame,
            theme,
            &cases.filter,
            shown,
            total,
            "Cases",
            summary_area,
        );
    } else {
        frame.render_widget(Paragraph::new(Line::from(summary)), summary_area);
    }

    // Only the rows in view (and a small margin) are built.
    let height = usize::from(table_area.height.saturating_sub(TABLE_CHROME));
    let offset = scroll(cases.offset.get(), cases.cursor, height, shown);
    cases.offset.set(offset);
    let rows_in_view = window(offset, height, shown);
    let first = rows_in_view.start;
    let rows = cases
        .filter
        .indexes(rows_in_view, total)
        .into_iter()
        .filter_map(|index| cases.cases.get(index))
        .map(|case| case_row(app, case));
    let widths = [
        Constraint::Length(3),
        Constraint::Length(10),
        Constraint::Length(18),
        Constraint::Length(10),
        Constraint::Length(8),
        Constraint::Fill(1),
    ];
    let table = Table::new(rows, widths)
        .header(
            Row::new(vec![
                "",
                "Move",
                "Case Id",
                "Number",
                "State",
                "Last action",
            ])
            .style(theme.title),
        )
        .row_highlight_style(theme.cursor)
        .block(block(
            if cases.filter.is_active() {
                list_title(
                    "Cases in the ledger",
                    &cases.filter,
                    shown,
                    total,
                    table_area.width,
                )
            } else {
                title
            },
            theme,
        ));
    let mut state = TableState::default()
        .with_offset(offset - first)
        .with_selected((shown > 0).then(|| cases.cursor.min(shown - 1) - first));
    frame.render_stateful_widget(table, table_area, &mut state);

    let mut lines = Vec::new();
    if let CasesState::Failed(reason) = &cases.state {
        lines.push(Line::styled(format!("Reload failed: {reason}"), theme.bad));
    }
    if let Some(case) = cases.current().and_then(|i| cases.cases.get(i)) {
        lines.push(Line::raw(format!(
            "{} for {}: {} ({} at {}) by {} in org {}",
            case.case_id,
            case.move_id,
            case.state.as_str(),
            case.last_action,
            case.at,
            case.username,
            case.org_id
        )));
        if let Some(UndoOutcome::Failed { code, message }) = cases.outcomes.get(&case.case_id) {
            lines.push(Line::styled(
                format!("undo failed {code}: {message}"),
                theme.bad,
            ));
        }
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(" Selected Case ", theme))
            .wrap(Wrap { trim: false }),
        detail_area,
    );
}

fn case_row<'a>(app: &'a App, case: &'a LedgerCase) -> Row<'a> {
    let theme = &app.theme;
    let cases = &app.cases;
    let marked = cases.selected.contains(&case.case_id);
    let mark = match (marked, case.state) {
        (true, _) => "[x]",
        (false, CaseState::Pushed) => "[ ]",
        (false, CaseState::Deleted) => "   ",
    };
    let (result, style) = match cases.outcomes.get(&case.case_id) {
        Some(UndoOutcome::Deleted) => ("deleted now".to_owned(), theme.good),
        Some(UndoOutcome::AlreadyGone) => ("already gone".to_owned(), theme.good),
        Some(UndoOutcome::Failed { code, .. }) => (format!("failed {code}"), theme.bad),
        None => (case.last_action.clone(), theme.dim),
    };
    let state_style = match case.state {
        CaseState::Pushed => theme.text,
        CaseState::Deleted => theme.dim,
    };
    Row::new(vec![
        Cell::from(Span::styled(
            mark,
            if marked { theme.marked } else { theme.text },
        )),
        Cell::from(case.move_id.as_str()),
        Cell::from(case.case_id.as_str()),
        Cell::from(case.case_number.as_deref().unwrap_or("-")),
        Cell::from(Span::styled(case.state.as_str(), state_style)),
        Cell::from(Span::styled(result, style)),
    ])
}
