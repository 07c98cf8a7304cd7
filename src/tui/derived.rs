//! What the console derives from the plan and the ledger, computed once when they are
//! loaded (never per frame), plus the small pieces a list of 100,000 rows needs: a
//! bitset of marks, a text filter's matches and the window of rows a frame draws.

use std::collections::HashMap;

use tui_input::Input;

use crate::ledger::{CaseState, LedgerCase};
use crate::plan::{Disposition, Move, Plan, PlanCounts, Seat};

/// Marks on the rows of a list, by index: one bit each, with the count kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    words: Vec<u64>,
    count: usize,
}

impl Marks {
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn contains(&self, index: usize) -> bool {
        self.words
            .get(index / 64)
            .is_some_and(|word| word & (1 << (index % 64)) != 0)
    }

    /// Marks `index`; true when it was not marked before.
    pub fn insert(&mut self, index: usize) -> bool {
        let word = index / 64;
        if self.words.len() <= word {
            self.words.resize(word + 1, 0);
        }
        let bit = 1u64 << (index % 64);
        let Some(slot) = self.words.get_mut(word) else {
            return false;
        };
        if *slot & bit != 0 {
            return false;
        }
        *slot |= bit;
        self.count += 1;
        true
    }

    /// Unmarks `index`; true when it was marked.
    pub fn remove(&mut self, index: usize) -> bool {
        let bit = 1u64 << (index % 64);
        match self.words.get_mut(index / 64) {
            Some(slot) if *slot & bit != 0 => {
                *slot &= !bit;
                self.count -= 1;
                true
            }
            _ => false,
        }
    }

    pub fn clear(&mut self) {
        self.words.clear();
        self.count = 0;
    }

    /// The marked indexes, ascending.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let bit = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                Some(w * 64 + bit)
            })
        })
    }
}

impl FromIterator<usize> for Marks {
    fn from_iter<T: IntoIterator<Item = usize>>(iter: T) -> Marks {
        let mut marks = Marks::default();
        for index in iter {
            marks.insert(index);
        }
        marks
    }
}

/// Derived once from the plan: counts by disposition and where the now-moves are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanIndex {
    pub counts: PlanCounts,
    /// Indexes into `plan.moves` of the now-moves, ascending.
    pub now: Vec<usize>,
    /// Each move's disposition, by index.
    pub dispositions: Vec<Disposition>,
}

impl PlanIndex {
    pub fn of(plan: Option<&Plan>) -> PlanIndex {
        let Some(plan) = plan else {
            return PlanIndex::default();
        };
        let dispositions: Vec<Disposition> = plan.moves.iter().map(Move::disposition).collect();
        let now = dispositions
            .iter()
            .enumerate()
            .filter(|(_, d)| **d == Disposition::Now)
            .map(|(i, _)| i)
            .collect();
        PlanIndex {
            counts: plan.counts(),
            now,
            dispositions,
        }
    }

    /// The disposition of move `index` (invalid when out of range).
    pub fn disposition(&self, index: usize) -> Disposition {
        self.dispositions
            .get(index)
            .copied()
            .unwrap_or(Disposition::Invalid)
    }
}

/// Derived once from each ledger read: which Case belongs to which move, and counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerIndex {
    /// By move index: the index in `cases.cases` of its Case.
    pub case_of_move: Vec<Option<usize>>,
    /// By Case index: the index in `plan.moves` of its move.
    pub move_of_case: Vec<Option<usize>>,
    pub pushed: usize,
    pub deleted: usize,
}

impl LedgerIndex {
    pub fn of(plan: Option<&Plan>, cases: &[LedgerCase]) -> LedgerIndex {
        let moves = plan.map_or(&[][..], |p| p.moves.as_slice());
        let by_id: HashMap<&str, usize> = moves
            .iter()
            .enumerate()
            .map(|(i, mv)| (mv.move_id.as_str(), i))
            .collect();
        let mut case_of_move = vec![None; moves.len()];
        let mut move_of_case = Vec::with_capacity(cases.len());
        let mut pushed = 0;
        for (ci, case) in cases.iter().enumerate() {
            if case.state == CaseState::Pushed {
                pushed += 1;
            }
            let mi = by_id.get(case.move_id.as_str()).copied();
            if let Some(slot) = mi.and_then(|mi| case_of_move.get_mut(mi))
                && slot.is_none()
            {
                *slot = Some(ci);
            }
            move_of_case.push(mi);
        }
        LedgerIndex {
            case_of_move,
            move_of_case,
            pushed,
            deleted: cases.len() - pushed,
        }
    }
}

/// A text filter over a list: what is typed, and the indexes it lets through, computed
/// when the text changes.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub input: Input,
    /// The input line is open and takes the keys.
    pub editing: bool,
    /// The lowercased text `matches` was computed for.
    needle: String,
    /// Matching indexes, ascending; `None` when no filter applies.
    matches: Option<Vec<usize>>,
}

impl Filter {
    /// A filter narrows the list now.
    pub fn is_active(&self) -> bool {
        self.matches.is_some()
    }

    pub fn text(&self) -> &str {
        self.input.value()
    }

    /// Rows shown out of a list of `total`.
    pub fn len(&self, total: usize) -> usize {
        self.matches.as_ref().map_or(total, Vec::len)
    }

    /// The list index shown at row `position`.
    pub fn index_at(&self, position: usize, total: usize) -> Option<usize> {
        match &self.matches {
            Some(matches) => matches.get(position).copied(),
            None => (position < total).then_some(position),
        }
    }

    /// The row at which list index `index` is shown, if it is.
    pub fn position_of(&self, index: usize, total: usize) -> Option<usize> {
        match &self.matches {
            Some(matches) => matches.binary_search(&index).ok(),
            None => (index < total).then_some(index),
        }
    }

    /// The list indexes shown in rows `range` (clamped).
    pub fn indexes(&self, range: std::ops::Range<usize>, total: usize) -> Vec<usize> {
        match &self.matches {
            Some(matches) => {
                let end = range.end.min(matches.len());
                let start = range.start.min(end);
                matches
                    .get(start..end)
                    .map(<[usize]>::to_vec)
                    .unwrap_or_default()
            }
            None => (range.start.min(total)..range.end.min(total)).collect(),
        }
    }

    /// The shown indexes, all of them, ascending.
    pub fn shown(&self, total: usize) -> Box<dyn Iterator<Item = usize> + '_> {
        match &self.matches {
            Some(matches) => Box::new(matches.iter().copied()),
            None => Box::new(0..total),
        }
    }

    /// Recomputes the matches after the text changed. When the new text contains the
    /// old one, only the old matches are searched again.
    pub fn refresh(&mut self, total: usize, mut matches: impl FnMut(usize, &str) -> bool) {
        let needle = self.input.value().to_lowercase();
        if needle.is_empty() {
            self.needle.clear();
            self.matches = None;
            return;
        }
        if needle == self.needle && self.matches.is_some() {
            return;
        }
        let narrowed = match self.matches.take() {
            Some(old) if !self.needle.is_empty() && needle.contains(&self.needle) => {
                old.into_iter().filter(|&i| matches(i, &needle)).collect()
            }
            _ => (0..total).filter(|&i| matches(i, &needle)).collect(),
        };
        self.matches = Some(narrowed);
        self.needle = needle;
    }

    /// Forgets the matches' basis, so the next [`Filter::refresh`] searches the whole
    /// list again (the list itself changed).
    pub fn invalidate(&mut self) {
        self.needle.clear();
    }

    /// Clears the text and the matches, and closes the input.
    pub fn clear(&mut self) {
        *self = Filter::default();
    }
}

/// `haystack` contains `needle`, ignoring case; `needle` is already lowercase.
pub fn contains_folded(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if haystack.is_ascii() && needle.is_ascii() {
        let needle = needle.as_bytes();
        return haystack
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle));
    }
    haystack.to_lowercase().contains(needle)
}

fn seat_matches(seat: Option<&Seat>, needle: &str) -> bool {
    seat.is_some_and(|s| {
        contains_folded(&s.seat_code, needle)
            || contains_folded(&s.building_code, needle)
            || contains_folded(&s.floor_code, needle)
            || s.building_name
                .as_deref()
                .is_some_and(|n| contains_folded(n, needle))
    })
}

/// The filter's test for a move: its id, the employee's name or id, the department,
/// the team or either seat contains the text.
pub fn move_matches(mv: &Move, needle: &str) -> bool {
    contains_folded(&mv.move_id, needle)
        || contains_folded(&mv.employee.name, needle)
        || contains_folded(&mv.employee.employee_id, needle)
        || contains_folded(&mv.department, needle)
        || mv
            .team
            .as_deref()
            .is_some_and(|t| contains_folded(t, needle))
        || seat_matches(mv.current_seat.as_ref(), needle)
        || seat_matches(mv.new_seat.as_ref(), needle)
}

/// The filter's test for a Case: its Id, number or move id, or its move's fields.
pub fn case_matches(case: &LedgerCase, mv: Option<&Move>, needle: &str) -> bool {
    contains_folded(&case.case_id, needle)
        || contains_folded(&case.move_id, needle)
        || case
            .case_number
            .as_deref()
            .is_some_and(|n| contains_folded(n, needle))
        || mv.is_some_and(|mv| move_matches(mv, needle))
}

/// Rows drawn beyond each edge of the viewport.
pub const MARGIN: usize = 2;

/// The first row to show in a viewport of `height` rows so the cursor stays in view,
/// moving as little as possible from the previous `offset`.
pub fn scroll(offset: usize, cursor: usize, height: usize, len: usize) -> usize {
    if len == 0 || height == 0 {
        return 0;
    }
    let cursor = cursor.min(len - 1);
    let mut offset = offset.min(len.saturating_sub(height));
    if cursor < offset {
        offset = cursor;
    } else if cursor >= offset + height {
        offset = cursor + 1 - height;
    }
    offset
}

/// The rows a frame builds: the viewport from `offset` plus [`MARGIN`] rows each side.
pub fn window(offset: usize, height: usize, len: usize) -> std::ops::Range<usize> {
    let start = offset.saturating_sub(MARGIN).min(len);
    let end = offset
        .saturating_add(height)
        .saturating_add(MARGIN)
        .min(len);
    start..end.max(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_count_and_iterate_in_order() {
        let mut marks = Marks::default();
        assert!(marks.insert(130));
        assert!(marks.insert(3));
        assert!(!marks.insert(3));
        assert!(marks.insert(64));
        assert_eq!(marks.len(), 3);
        assert_eq!(marks.iter().collect::<Vec<_>>(), vec![3, 64, 130]);
        assert!(marks.remove(64));
        assert!(!marks.remove(64));
        assert!(!marks.remove(10_000));
        assert!(!marks.contains(10_000));
        assert_eq!(marks.len(), 2);
        marks.clear();
        assert!(marks.is_empty());
    }

    #[test]
    fn scroll_keeps_the_cursor_in_view_and_moves_little() {
        // Down from the top: the view stays until the cursor reaches its bottom.
        assert_eq!(scroll(0, 5, 8, 100_000), 0);
        assert_eq!(scroll(0, 8, 8, 100_000), 1);
        // Up inside the view: the view stays.
        assert_eq!(scroll(40, 42, 8, 100_000), 40);
        // Above the view: the cursor becomes the top row.
        assert_eq!(scroll(40, 39, 8, 100_000), 39);
        // A jump to the middle and to the end.
        assert_eq!(scroll(0, 50_000, 8, 100_000), 49_993);
        assert_eq!(scroll(0, 99_999, 8, 100_000), 99_992);
        // A list shorter than the view never scrolls.
        assert_eq!(scroll(3, 2, 8, 5), 0);
        assert_eq!(scroll(7, 0, 8, 0), 0);
    }

    #[test]
    fn window_is_the_viewport_and_a_margin() {
        assert_eq!(window(0, 8, 100_000), 0..10);
        assert_eq!(window(49_993, 8, 100_000), 49_991..50_003);
        assert_eq!(window(99_992, 8, 100_000), 99_990..100_000);
        assert_eq!(window(0, 8, 3), 0..3);
        assert_eq!(window(0, 8, 0), 0..0);
    }

    #[test]
    fn folded_contains_ignores_case_in_and_out_of_ascii() {
        assert!(contains_folded("Platform Infrastructure", "infra"));
        assert!(contains_folded("Zoë Ångström", "ångs"));
        assert!(contains_folded("ZOË", "zoë"));
        assert!(!contains_folded("Engineering", "sales"));
        assert!(contains_folded("anything", ""));
    }

    #[test]
    fn filter_narrows_from_the_last_matches_and_clears() {
        let words = ["alpha", "alpine", "beta", "alps", "gamma"];
        let mut filter = Filter::default();
        let mut seen = Vec::new();
        let run = |filter: &mut Filter, text: &str, seen: &mut Vec<usize>| {
            filter.input = Input::new(text.to_owned());
            seen.clear();
            filter.refresh(words.len(), |i, n| {
                seen.push(i);
                contains_folded(words[i], n)
            });
        };
        run(&mut filter, "AL", &mut seen);
        assert_eq!(filter.indexes(0..10, 5), vec![0, 1, 3]);
        assert_eq!(seen.len(), 5);
        run(&mut filter, "alp", &mut seen);
        assert_eq!(filter.indexes(0..10, 5), vec![0, 1, 3]);
        // Only the three earlier matches were looked at again.
        assert_eq!(seen, vec![0, 1, 3]);
        assert_eq!(filter.position_of(3, 5), Some(2));
        assert_eq!(filter.position_of(2, 5), None);
        run(&mut filter, "a", &mut seen);
        assert_eq!(filter.len(5), 5);
        run(&mut filter, "", &mut seen);
        assert!(!filter.is_active());
        assert_eq!(filter.len(5), 5);
        filter.clear();
        assert_eq!(filter.text(), "");
    }
}
