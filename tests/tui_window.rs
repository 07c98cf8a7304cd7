//! The console at 100,000 moves: only the rows in view are drawn, the cursor scrolls
//! smoothly from top to bottom, the filter narrows and clears, select-all under a filter
//! marks only what it shows, and a long push redraws at most about 30 times a second.

#[path = "tui_fixtures.rs"]
mod fixtures;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crossterm::event::{Event, KeyCode};
use fixtures::*;
use futures::{Stream, StreamExt, stream};
use moveforce::engine::{Command, EngineEvent, PushCounts, PushOutcome, Request};
use moveforce::plan::Disposition;
use moveforce::tui::{Action, App, Msg, Screen, Theme, render, run_loop, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;
use tokio::sync::{mpsc, oneshot};

const BIG: usize = 100_000;

fn big_app() -> App {
    let mut app = app_with(Some(big_plan(BIG)));
    app.theme = Theme::mono();
    app
}

/// The move id shown on the row in reverse video (the cursor), if any.
fn cursor_row(terminal: &Terminal<TestBackend>) -> Option<String> {
    let buffer = terminal.backend().buffer();
    let text = screen_text(terminal);
    let lines: Vec<&str> = text.lines().collect();
    (0..buffer.area.height).find_map(|y| {
        let reversed = buffer
            .cell((10, y))
            .is_some_and(|c| c.modifier.contains(Modifier::REVERSED));
        let line = lines.get(usize::from(y))?;
        let start = line.find("mv-")?;
        reversed.then(|| line[start..start + 9].to_owned())
    })
}

/// The move ids in the table, top to bottom.
fn ids_on_screen(terminal: &Terminal<TestBackend>) -> Vec<String> {
    screen_text(terminal)
        .lines()
        .filter(|line| line.starts_with('|') && line.get(5..8) == Some("mv-"))
        .filter_map(|line| line.get(5..14).map(str::to_owned))
        .collect()
}

fn ids(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("mv-{i:06}")).collect()
}

#[test]
fn the_cursor_at_the_top_middle_and_bottom_of_100k_moves() {
    let mut app = big_app();
    // Top: eight rows fit in the table at 80x24.
    let terminal = draw(&app, 80, 24);
    assert_eq!(ids_on_screen(&terminal), ids(0..8));
    assert_eq!(cursor_row(&terminal).as_deref(), Some("mv-000000"));

    // Middle: a jump puts the cursor on the last row in view, with the seven before it.
    app.moves.cursor = 50_000;
    let terminal = draw(&app, 80, 24);
    assert_eq!(ids_on_screen(&terminal), ids(49_993..50_001));
    assert_eq!(cursor_row(&terminal).as_deref(), Some("mv-050000"));
    let text = screen_text(&terminal);
    assert!(text.contains("mv-050000 Employee 050000"), "{text}");

    // Up inside the view: the rows stay where they are, the cursor moves.
    feed(
        &mut app,
        [key(KeyCode::Up), key(KeyCode::Up), key(KeyCode::Up)],
    );
    let terminal = draw(&app, 80, 24);
    assert_eq!(ids_on_screen(&terminal), ids(49_993..50_001));
    assert_eq!(cursor_row(&terminal).as_deref(), Some("mv-049997"));

    // A page up past the top of the view: the cursor becomes the top row.
    feed(&mut app, [key(KeyCode::PageUp)]);
    let terminal = draw(&app, 80, 24);
    assert_eq!(ids_on_screen(&terminal), ids(49_987..49_995));
    assert_eq!(cursor_row(&terminal).as_deref(), Some("mv-049987"));

    // Bottom.
    feed(&mut app, [key(KeyCode::End)]);
    assert_eq!(app.moves.cursor, BIG - 1);
    let terminal = draw(&app, 80, 24);
    assert_eq!(ids_on_screen(&terminal), ids(99_992..100_000));
    assert_eq!(cursor_row(&terminal).as_deref(), Some("mv-099999"));

    // And back to the top.
    feed(&mut app, [key(KeyCode::Home)]);
    let terminal = draw(&app, 80, 24);
    assert_eq!(ids_on_screen(&terminal), ids(0..8));
}

#[test]
fn summary_counts_come_from_the_plan_once() {
    let app = big_app();
    let counts = app.index.counts;
    assert_eq!(counts.now, 62_500);
    assert_eq!(counts.future, 37_500);
    assert_eq!(app.now_indexes().len(), 62_500);
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains(" 62500 now, 37500 future"), "{text}");
}

#[test]
fn the_filter_narrows_as_you_type_and_esc_clears_it() {
    let mut app = big_app();
    feed(&mut app, [ch('/')]);
    assert!(app.is_filtering());
    feed(&mut app, "MV-0499".chars().map(ch));
    assert_eq!(app.moves.filter.len(BIG), 100);
    feed(&mut app, [ch('9')]);
    assert_eq!(app.moves.filter.len(BIG), 10);
    let terminal = draw(&app, 80, 24);
    assert_eq!(ids_on_screen(&terminal), ids(49_990..49_998));
    let text = screen_text(&terminal);
    assert!(text.contains(" /MV-04999  10 of 100000 moves"), "{text}");

    // Typed characters are filter text, not keys: q does not quit, 3 does not switch.
    feed(&mut app, [ch('q'), ch('3')]);
    assert_eq!(app.moves.filter.text(), "MV-04999q3");
    assert_eq!(app.moves.filter.len(BIG), 0);
    assert!(!app.quitting);
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("0 of 100000 moves"), "{text}");
    feed(&mut app, [key(KeyCode::Backspace), key(KeyCode::Backspace)]);
    assert_eq!(app.moves.filter.len(BIG), 10);

    // Enter keeps the filter; the cursor walks the ten rows it shows.
    feed(&mut app, [key(KeyCode::Enter)]);
    assert!(!app.is_filtering());
    feed(
        &mut app,
        [key(KeyCode::Down), key(KeyCode::Down), key(KeyCode::Down)],
    );
    assert_eq!(app.moves.current(BIG), Some(49_993));
    let terminal = draw(&app, 80, 24);
    assert_eq!(cursor_row(&terminal).as_deref(), Some("mv-049993"));
    let text = screen_text(&terminal);
    assert!(
        text.contains("Moves matching \"MV-04999\" (10 of 100000)"),
        "{text}"
    );

    // Esc clears it; the cursor stays on the same move.
    feed(&mut app, [key(KeyCode::Esc)]);
    assert!(!app.moves.filter.is_active());
    assert_eq!(app.moves.cursor, 49_993);
    let terminal = draw(&app, 80, 24);
    assert_eq!(cursor_row(&terminal).as_deref(), Some("mv-049993"));
    assert_eq!(ids_on_screen(&terminal).len(), 8);

    // Fields other than the id, ignoring case: team, department, seat.
    feed(&mut app, [ch('/')]);
    feed(&mut app, "SITE reliab".chars().map(ch));
    assert_eq!(app.moves.filter.len(BIG), 25_000);
    feed(&mut app, [key(KeyCode::Esc)]);
    feed(&mut app, [ch('/')]);
    feed(&mut app, "b-07".chars().map(ch));
    assert_eq!(app.moves.filter.len(BIG), 12_500);
    // Esc while typing clears too, and an empty filter kept is no filter.
    feed(&mut app, [key(KeyCode::Esc), ch('/'), key(KeyCode::Enter)]);
    assert!(!app.moves.filter.is_active());
    assert_eq!(app.moves.filter.len(BIG), BIG);
}

#[test]
fn a_paste_goes_into_an_open_filter() {
    let mut app = big_app();
    feed(&mut app, [ch('/'), Msg::Paste("mv-00000\n".to_owned())]);
    assert_eq!(app.moves.filter.text(), "mv-00000");
    assert_eq!(app.moves.filter.len(BIG), 10);
}

#[test]
fn select_all_under_a_filter_marks_only_the_now_moves_it_shows() {
    let mut app = big_app();
    feed(&mut app, [ch('/')]);
    feed(&mut app, "mv-04999".chars().map(ch));
    feed(&mut app, [key(KeyCode::Enter), ch('a')]);
    let shown_now: Vec<usize> = (49_990..50_000)
        .filter(|&i| app.index.disposition(i) == Disposition::Now)
        .collect();
    assert_eq!(shown_now.len(), 6);
    assert_eq!(app.moves.selected.iter().collect::<Vec<_>>(), shown_now);
    let notice = app
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(
        notice.contains("6 now-moves the filter \"mv-04999\" shows"),
        "{notice}"
    );
    let text = screen_text(&draw(&app, 80, 24));
    assert!(text.contains("6 marked"), "{text}");

    // Again: unmarks them.
    feed(&mut app, [ch('a')]);
    assert!(app.moves.selected.is_empty());

    // Marks made under a filter stay when it is cleared; select-all without a filter
    // marks every now-move, and again unmarks them all.
    feed(&mut app, [ch('a'), key(KeyCode::Esc)]);
    assert_eq!(app.moves.selected.len(), 6);
    feed(&mut app, [ch('a')]);
    assert_eq!(app.moves.selected.len(), 62_500);
    feed(&mut app, [ch('a')]);
    assert!(app.moves.selected.is_empty());
}

#[test]
fn a_push_while_filtered_says_the_filter_does_not_narrow_it() {
    let mut app = big_app();
    connect_and_check(&mut app);
    feed(&mut app, [ch('/'), ch('x'), key(KeyCode::Enter), ch('p')]);
    let body = match app.popups.last() {
        Some(moveforce::tui::state::Popup::Confirm { body, .. }) => body.clone(),
        other => panic!("expected a confirmation, got {other:?}"),
    };
    assert!(body.contains("all 62500 now-moves"), "{body}");
    assert!(body.contains("The filter does not narrow this"), "{body}");
}

#[test]
fn the_cases_filter_narrows_by_case_and_by_the_moves_people() {
    let mut app = app();
    connect_and_check(&mut app);
    load_ledger(&mut app);
    feed(&mut app, [ch('4'), ch('/')]);
    // Ravi's move has no Case; Łukasz's (mv-000104) has a deleted one.
    feed(&mut app, "łukasz".chars().map(ch));
    assert_eq!(app.cases.filter.len(4), 1);
    assert_eq!(app.cases.current(), Some(2));
    feed(&mut app, [key(KeyCode::Enter), ch('a')]);
    // The only Case shown is deleted: nothing to mark.
    assert!(app.cases.selected.is_empty());
    feed(&mut app, [key(KeyCode::Esc), ch('/')]);
    feed(&mut app, "platform infra".chars().map(ch));
    assert_eq!(app.cases.filter.len(4), 3);
    feed(&mut app, [key(KeyCode::Enter), ch('a')]);
    let mut marked: Vec<String> = app.cases.selected.iter().cloned().collect();
    marked.sort();
    assert_eq!(
        marked,
        [
            "5005g00000Qw001AAA",
            "5005g00000Qw002AAA",
            "5005g00000Qw004AAA"
        ]
    );
    let notice = app
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(notice.contains("3 pushed Cases the filter"), "{notice}");
}

#[test]
fn help_lists_the_filter_keys() {
    let lines = moveforce::tui::view::help_line_count(moveforce::tui::Tab::Moves);
    let mut app = app();
    feed(&mut app, [ch('?')]);
    let mut seen = String::new();
    for _ in 0..lines {
        seen.push_str(&screen_text(&draw(&app, 80, 24)));
        feed(&mut app, [key(KeyCode::Down)]);
    }
    assert!(seen.contains("Typing a filter"), "{seen}");
    assert!(seen.contains("Typed into the filter"), "{seen}");
    assert!(seen.contains("Filter by id, name, department, team or seat"));
}

/// A screen that counts its frames.
struct Counting {
    terminal: Terminal<TestBackend>,
    frames: Arc<AtomicUsize>,
}

impl Screen for Counting {
    fn draw(&mut self, app: &App) -> anyhow::Result<()> {
        self.frames.fetch_add(1, Ordering::SeqCst);
        self.terminal.draw(|frame| render(frame, app))?;
        Ok(())
    }

    fn clear(&mut self) -> anyhow::Result<()> {
        self.terminal.clear()?;
        Ok(())
    }
}

fn no_input() -> impl Stream<Item = io::Result<Event>> + Unpin {
    stream::pending().boxed()
}

#[tokio::test]
async fn a_push_of_10000_moves_redraws_at_most_about_30_times_a_second() {
    // 16,000 moves: 10,000 now-moves.
    let mut app = app_with(Some(big_plan(16_000)));
    connect_and_check(&mut app);
    update(&mut app, Msg::Action(Action::SelectAll));
    let initial = update(&mut app, Msg::Action(Action::Push));
    assert_eq!(app.moves.push.map(|p| p.total), Some(10_000));

    // The engine answers in 500 batches of 20, one every 2 ms.
    let (command_tx, mut command_rx) = mpsc::channel::<Command>(8);
    let (event_tx, event_rx) = mpsc::channel::<EngineEvent>(1024);
    let (done_tx, done_rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let Some(Command {
            id,
            request: Request::Push { drafts, .. },
        }) = command_rx.recv().await
        else {
            return;
        };
        let total = drafts.len();
        for (n, batch) in drafts.chunks(20).enumerate() {
            let outcomes = batch
                .iter()
                .map(|d| {
                    (
                        d.external_id.clone(),
                        PushOutcome::Created {
                            case_id: format!("500{:015}", n),
                            case_number: None,
                        },
                    )
                })
                .collect();
            let done = ((n + 1) * 20).min(total);
            if event_tx
                .send(EngineEvent::Pushed {
                    id,
                    outcomes,
                    done,
                    total,
                })
                .await
                .is_err()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let _ = event_tx
            .send(EngineEvent::PushFinished {
                id,
                result: Ok(PushCounts {
                    created: total,
                    ..PushCounts::default()
                }),
            })
            .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let _ = done_tx.send(());
        // Keep the channels open until the loop has stopped (the ledger read the push
        // asks for goes unanswered).
        while command_rx.recv().await.is_some() {}
        drop(event_tx);
    });

    let frames = Arc::new(AtomicUsize::new(0));
    let mut screen = Counting {
        terminal: Terminal::new(TestBackend::new(80, 24)).expect("test terminal"),
        frames: frames.clone(),
    };
    let started = std::time::Instant::now();
    let stop = async move {
        let _ = done_rx.await;
        "done"
    };
    let exit = tokio::time::timeout(
        Duration::from_secs(30),
        run_loop(
            &mut screen,
            &mut app,
            no_input(),
            command_tx,
            event_rx,
            initial,
            stop,
        ),
    )
    .await
    .expect("the loop finishes")
    .expect("no error");
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(exit, moveforce::tui::Exit::Signal("done"));
    assert!(app.moves.push.is_none(), "the push finished");
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("10000 created"))
    );
    let frames = frames.load(Ordering::SeqCst);
    // 500 progress events; one frame per 33 ms at most (plus the first).
    assert!(
        (frames as f64) <= elapsed * 30.5 + 2.0,
        "{frames} frames in {elapsed:.2} s"
    );
    assert!(frames >= 2, "{frames} frames");
}
