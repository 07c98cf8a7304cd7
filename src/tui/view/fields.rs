//! Fields tab: the seven custom Case fields, each with its verdict, what was expected and
//! found, and the selected field's one-sentence detail.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{block, spinner, wrap};
use crate::salesforce::FieldStatus;
use crate::spec::CUSTOM_FIELDS;
use crate::tui::state::{App, FieldsState, RepairState};
use crate::tui::theme::Theme;

pub fn status_words(status: FieldStatus) -> &'static str {
    match status {
        FieldStatus::Ok => "ok",
        FieldStatus::Missing => "missing",
        FieldStatus::Hidden => "hidden (FLS)",
        FieldStatus::WrongType => "wrong type",
        FieldStatus::WrongLength => "wrong length",
        FieldStatus::NotExternalId => "not external id",
        FieldStatus::ReadOnly => "read-only",
    }
}

fn status_style(theme: &Theme, status: FieldStatus) -> Style {
    match status {
        FieldStatus::Ok => theme.good,
        _ => theme.bad,
    }
}

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let fields = &app.fields;
    let title = match (&fields.repair, &fields.state) {
        (RepairState::Planning { .. }, _) => format!(" Case fields (planning {}) ", spinner(app)),
        (RepairState::Repairing { .. }, _) => {
            format!(" Case fields (repairing {}) ", spinner(app))
        }
        (_, FieldsState::Checking { .. }) => format!(" Case fields (checking {}) ", spinner(app)),
        _ => " Case fields ".to_owned(),
    };
    if fields.last.is_empty() {
        let lines = match &fields.state {
            FieldsState::Failed(reason) => vec![
                Line::styled("The check failed:", theme.bad),
                Line::raw(reason.clone()),
                Line::raw(""),
                Line::raw("Press r to check again."),
            ],
            _ if fields.repair != RepairState::Idle => {
                vec![Line::raw(
                    "Checking the org and working out what a repair would change...",
                )]
            }
            FieldsState::Checking { .. } => {
                vec![Line::raw("Reading the Case description from the org...")]
            }
            _ if app.connection.connected().is_none() => vec![
                Line::raw("Connect first: the check reads the org's Case fields."),
                Line::raw("Press 1 for the Connection tab, then c to connect."),
                Line::raw(""),
                Line::styled("The seven fields moveforce writes:", theme.dim),
            ]
            .into_iter()
            .chain(CUSTOM_FIELDS.iter().map(|spec| {
                Line::raw(format!(
                    "  {:<20} {}({}){}",
                    spec.api_name,
                    spec.kind.setup_name(),
                    spec.length,
                    if spec.external_id {
                        ", External ID"
                    } else {
                        ""
                    }
                ))
            }))
            .collect(),
            _ => vec![Line::raw("Not checked yet. Press r to check the fields.")],
        };
        frame.render_widget(
            Paragraph::new(lines)
                .block(block(title, theme))
                .wrap(Wrap { trim: false }),
            area,
        );
        return;
    }
    let table_height = fields.last.len() as u16 + 3;
    let [table_area, detail_area] =
        Layout::vertical([Constraint::Length(table_height), Constraint::Fill(1)]).areas(area);
    let rows = fields.last.iter().map(|check| {
        Row::new(vec![
            Cell::from(check.spec.api_name),
            Cell::from(Span::styled(
                status_words(check.status),
                status_style(theme, check.status),
            )),
            Cell::from(check.expected()),
            Cell::from(match check.found.as_deref() {
                None => "-".to_owned(),
                Some(found) if found == check.expected() => "as expected".to_owned(),
                Some(found) => found.to_owned(),
            }),
        ])
    });
    let widths = [
        Constraint::Length(17),
        Constraint::Length(15),
        Constraint::Length(22),
        Constraint::Fill(1),
    ];
    let table = Table::new(rows, widths)
        .header(Row::new(vec!["Field", "Status", "Expected", "Found"]).style(theme.title))
        .row_highlight_style(theme.cursor)
        .block(block(title, theme));
    let mut state = TableState::default().with_selected(Some(fields.cursor));
    frame.render_stateful_widget(table, table_area, &mut state);

    let mut lines = Vec::new();
    match fields.repair {
        RepairState::Planning { .. } => lines.push(Line::styled(
            format!(
                "{} Checking the org and working out what a repair would change...",
                spinner(app)
            ),
            theme.warn,
        )),
        RepairState::Repairing { steps, .. } => lines.push(Line::styled(
            format!(
                "{} Repairing the org: making {steps} change(s), then checking again...",
                spinner(app)
            ),
            theme.warn,
        )),
        RepairState::Idle => {}
    }
    if !fields.case_access.is_empty() {
        lines.push(Line::styled(
            "Case access (not a field, but a push or undo needs it):",
            theme.bad,
        ));
        let width = usize::from(detail_area.width.saturating_sub(2)).saturating_sub(2);
        for problem in &fields.case_access {
            for (n, part) in wrap(problem, width).into_iter().enumerate() {
                let bullet = if n == 0 { "- " } else { "  " };
                lines.push(Line::styled(format!("{bullet}{part}"), theme.bad));
            }
        }
        lines.push(Line::raw(""));
    }
    if let FieldsState::Failed(reason) = &fields.state {
        lines.push(Line::styled(
            format!("Last re-check failed: {reason}"),
            theme.bad,
        ));
    }
    if let Some(check) = fields.last.get(fields.cursor) {
        lines.push(Line::from(vec![
            Span::styled(check.spec.api_name, theme.title),
            Span::raw(format!(" ({}): ", check.spec.label)),
            Span::styled(
                status_words(check.status),
                status_style(theme, check.status),
            ),
        ]));
        lines.push(Line::from(vec![
            Span::styled("Expected ", theme.dim),
            Span::raw(check.expected()),
            Span::styled("   found ", theme.dim),
            Span::raw(check.found.clone().unwrap_or_else(|| "nothing".to_owned())),
        ]));
        if check.detail.is_empty() {
            lines.push(Line::raw("Ready: moveforce can write this field."));
        } else {
            lines.push(Line::raw(check.detail.clone()));
        }
        for warning in &check.warnings {
            lines.push(Line::styled(format!("Note: {warning}"), theme.warn));
        }
    }
    if let Some(report) = fields
        .report
        .as_ref()
        .filter(|_| fields.repair == RepairState::Idle)
    {
        let mut text = if report.outcomes.is_empty() {
            "Last repair: nothing to change through the API".to_owned()
        } else {
            format!(
                "Last repair: {} change(s) made, {} failed",
                report.done(),
                report.failed()
            )
        };
        if !report.manual.is_empty() {
            text.push_str(&format!(
                "; {} step(s) left to do by hand (f lists them)",
                report.manual.len()
            ));
        }
        let style = if report.failed() > 0 || !report.manual.is_empty() {
            theme.warn
        } else {
            theme.dim
        };
        lines.push(Line::styled(text, style));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(" Detail ", theme))
            .wrap(Wrap { trim: false }),
        detail_area,
    );
}
