//! Text rules Salesforce applies: lengths in UTF-16 code units, and how moveforce cuts a
//! value that is over its limit.

/// Appended to a value that was cut; the full text is kept in the Case Description.
pub const CUT_MARKER: &str = "…[cut]";

/// Length as Salesforce counts it: UTF-16 code units (an emoji outside the BMP counts 2).
pub fn utf16_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// Cut `text` to at most `limit` UTF-16 units, on a character boundary, ending with
/// [`CUT_MARKER`]. Returns `None` when the text already fits.
pub fn cut_to_limit(text: &str, limit: usize) -> Option<String> {
    // UTF-16 never needs more units than UTF-8 needs bytes, so short text fits for sure.
    if text.len() <= limit || utf16_len(text) <= limit {
        return None;
    }
    let marker_len = utf16_len(CUT_MARKER);
    let budget = limit.saturating_sub(marker_len);
    let mut used = 0;
    let mut end = 0;
    for (index, ch) in text.char_indices() {
        let width = ch.len_utf16();
        if used + width > budget {
            break;
        }
        used += width;
        end = index + ch.len_utf8();
    }
    let mut cut = String::with_capacity(end + CUT_MARKER.len());
    cut.push_str(&text[..end]);
    cut.push_str(CUT_MARKER);
    Some(cut)
}

/// Line breaks become `\n` (CRLF and lone CR included), as text areas store them.
pub fn normalize_newlines(text: &str) -> String {
    if !text.contains('\r') {
        return text.to_owned();
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Single-line fields (Text, Subject) get line breaks folded into single spaces.
pub fn single_line(text: &str) -> String {
    if !text.contains(['\r', '\n']) {
        return text.to_owned();
    }
    text.replace("\r\n", " ").replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_counts_two_units() {
        assert_eq!(utf16_len("a🙂"), 3);
        assert_eq!(utf16_len("Zoë"), 3);
        assert_eq!(utf16_len("山田"), 2);
    }

    #[test]
    fn fitting_text_is_not_cut() {
        assert_eq!(cut_to_limit("hello", 5), None);
        let exactly = "🙂".repeat(5);
        assert_eq!(cut_to_limit(&exactly, 10), None);
    }

    #[test]
    fn cut_never_splits_a_surrogate_pair() {
        let text = "🙂".repeat(10); // 20 units
        let cut = cut_to_limit(&text, 12).expect("over the limit");
        assert!(utf16_len(&cut) <= 12, "{cut}");
        assert!(cut.ends_with(CUT_MARKER));
        // 12 - 6 (marker) = 6 units → three whole emoji.
        assert_eq!(cut, format!("{}{}", "🙂".repeat(3), CUT_MARKER));
        // An odd budget leaves the half-fitting emoji out entirely.
        let cut = cut_to_limit(&text, 13).expect("over the limit");
        assert_eq!(cut, format!("{}{}", "🙂".repeat(3), CUT_MARKER));
    }

    #[test]
    fn newlines_are_normalized() {
        assert_eq!(normalize_newlines("a\r\nb\rc\nd"), "a\nb\nc\nd");
        assert_eq!(single_line("a\r\nb\nc"), "a b c");
    }
}
