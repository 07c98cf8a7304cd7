//! Building SOQL safely: string literals escaped as SOQL requires, so any move id (quotes,
//! backslashes, newlines, any script) reaches Salesforce byte for byte.

/// A single-quoted SOQL string literal.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for ch in value.chars() {
        match ch {
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            other => out.push(other),
        }
    }
    out.push('\'');
    out
}

/// `(a, b, c)` for an `IN` list.
pub fn quote_list<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = values.into_iter().map(quote).collect();
    format!("({})", quoted.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_soql_requires() {
        assert_eq!(quote("plain"), "'plain'");
        assert_eq!(quote("O'Brien"), r"'O\'Brien'");
        assert_eq!(quote(r"a\b"), r"'a\\b'");
        assert_eq!(quote("line\nnext"), r"'line\nnext'");
        assert_eq!(quote("/#?%;. 山田"), "'/#?%;. 山田'");
        assert_eq!(quote_list(["a", "b'"]), r"('a', 'b\'')");
    }
}
