//! A small SOQL subset: tokenizer, recursive-descent parser and evaluator, over Case or any
//! table of setup records (permission sets, Tooling `CustomField`, …).
//!
//! SELECT f1, f2 | COUNT() FROM Object [WHERE cond [AND cond]*]
//!   [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], …] [LIMIT n]
//! cond := f = lit | f != lit | f <> lit | f IN (lit, …)

use std::cmp::Ordering;
use std::collections::HashSet;

use serde_json::Value;

use super::ids;
use super::schema::Kind;
use super::store::{Rendered, cell};

#[derive(Debug, PartialEq)]
pub struct QueryError {
    pub code: &'static str,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(String),
    LParen,
    RParen,
    Comma,
    Eq,
    Ne,
    /// Valid SOQL we do not support (<, >, …): kept so errors can name it.
    Other(String),
    Eof,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    /// Char offset into the query, for error messages.
    pos: usize,
}

impl Tok {
    fn display(&self) -> String {
        match self {
            Tok::Ident(s) | Tok::Num(s) | Tok::Other(s) => s.clone(),
            Tok::Str(s) => format!("'{s}'"),
            Tok::LParen => "(".into(),
            Tok::RParen => ")".into(),
            Tok::Comma => ",".into(),
            Tok::Eq => "=".into(),
            Tok::Ne => "!=".into(),
            Tok::Eof => "<EOF>".into(),
        }
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
    }
}

const RESERVED: &[&str] = &[
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "ORDER", "BY", "LIMIT", "ASC", "DESC",
    "NULLS", "NULL", "TRUE", "FALSE", "LIKE", "GROUP", "HAVING", "OFFSET",
];

fn malformed(query: &str, pos: usize, detail: &str) -> QueryError {
    // Mimic Salesforce: the offending line, a caret under the column, then row/column.
    let before: Vec<char> = query.chars().take(pos).collect();
    let row = before.iter().filter(|&&c| c == '\n').count() + 1;
    let col = before.iter().rev().take_while(|&&c| c != '\n').count() + 1;
    let line = query.lines().nth(row - 1).unwrap_or("");
    QueryError {
        code: "MALFORMED_QUERY",
        message: format!(
            "\n{line}\n{}^\nERROR at Row:{row}:Column:{col}\n{detail}",
            " ".repeat(col - 1)
        ),
    }
}

fn tokenize(query: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = query.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let tok = match c {
            '(' => {
                i += 1;
                Tok::LParen
            }
            ')' => {
                i += 1;
                Tok::RParen
            }
            ',' => {
                i += 1;
                Tok::Comma
            }
            '=' => {
                i += 1;
                Tok::Eq
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                i += 2;
                Tok::Ne
            }
            '<' if chars.get(i + 1) == Some(&'>') => {
                i += 2;
                Tok::Ne
            }
            '<' | '>' => {
                i += 1;
                if chars.get(i) == Some(&'=') {
                    i += 1;
                }
                Tok::Other(chars[start..i].iter().collect())
            }
            '\'' => {
                let (s, next) = string_literal(query, &chars, i)?;
                i = next;
                Tok::Str(s)
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                Tok::Num(chars[start..i].iter().collect())
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.')
                {
                    i += 1;
                }
                Tok::Ident(chars[start..i].iter().collect())
            }
            other => {
                return Err(malformed(
                    query,
                    start,
                    &format!("unexpected token: '{other}'"),
                ));
            }
        };
        out.push(Token { tok, pos: start });
    }
    out.push(Token {
        tok: Tok::Eof,
        pos: chars.len(),
    });
    Ok(out)
}

/// Reads a quoted literal starting at the opening quote; returns the value and the index
/// after the closing quote.
fn string_literal(query: &str, chars: &[char], open: usize) -> Result<(String, usize), QueryError> {
    let mut s = String::new();
    let mut i = open + 1;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err(malformed(query, open, "unterminated string literal"));
        };
        match c {
            '\'' => return Ok((s, i + 1)),
            '\\' => {
                let Some(&e) = chars.get(i + 1) else {
                    return Err(malformed(query, i, "unterminated string literal"));
                };
                match e {
                    '\'' | '"' | '\\' => s.push(e),
                    'n' => s.push('\n'),
                    'r' => s.push('\r'),
                    't' => s.push('\t'),
                    'b' => s.push('\u{8}'),
                    'f' => s.push('\u{c}'),
                    'u' => {
                        let hex: String = chars.iter().skip(i + 2).take(4).collect();
                        let code = (hex.len() == 4 && hex.chars().all(|h| h.is_ascii_hexdigit()))
                            .then(|| u32::from_str_radix(&hex, 16).ok())
                            .flatten()
                            .and_then(char::from_u32);
                        let Some(ch) = code else {
                            return Err(malformed(query, i, "Invalid unicode escape sequence"));
                        };
                        s.push(ch);
                        i += 4;
                    }
                    _ => {
                        return Err(malformed(
                            query,
                            i,
                            &format!(
                                "Invalid string literal '\\{e}'. Illegal character sequence '\\{e}' in string literal."
                            ),
                        ));
                    }
                }
                i += 2;
            }
            _ => {
                s.push(c);
                i += 1;
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Str(String),
    Num(String),
    Bool(bool),
    Null,
}

#[derive(Debug)]
struct Name {
    text: String,
    pos: usize,
}

#[derive(Debug)]
enum RawCond {
    Cmp {
        field: Name,
        negate: bool,
        value: Literal,
    },
    In {
        field: Name,
        values: Vec<Literal>,
    },
}

#[derive(Debug)]
struct RawOrder {
    field: Name,
    desc: bool,
    nulls_first: Option<bool>,
}

#[derive(Debug)]
pub struct RawQuery {
    count: bool,
    fields: Vec<Name>,
    object: Name,
    conds: Vec<RawCond>,
    order: Vec<RawOrder>,
    limit: Option<usize>,
}

struct Parser<'q> {
    query: &'q str,
    tokens: Vec<Token>,
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        // tokenize always ends with Eof, and we never advance past it.
        &self.tokens[self.at.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if t.tok != Tok::Eof {
            self.at += 1;
        }
        t
    }

    fn unexpected(&self, t: &Token) -> QueryError {
        malformed(
            self.query,
            t.pos,
            &format!("unexpected token: '{}'", t.tok.display()),
        )
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), QueryError> {
        let t = self.next();
        if t.tok.is_kw(kw) {
            Ok(())
        } else {
            Err(self.unexpected(&t))
        }
    }

    fn expect(&mut self, tok: Tok) -> Result<(), QueryError> {
        let t = self.next();
        if t.tok == tok {
            Ok(())
        } else {
            Err(self.unexpected(&t))
        }
    }

    fn name(&mut self) -> Result<Name, QueryError> {
        let t = self.next();
        match &t.tok {
            Tok::Ident(s) if !RESERVED.iter().any(|k| k.eq_ignore_ascii_case(s)) => Ok(Name {
                text: s.clone(),
                pos: t.pos,
            }),
            _ => Err(self.unexpected(&t)),
        }
    }

    fn literal(&mut self) -> Result<Literal, QueryError> {
        let t = self.next();
        match &t.tok {
            Tok::Str(s) => Ok(Literal::Str(s.clone())),
            Tok::Num(n) => Ok(Literal::Num(n.clone())),
            tok if tok.is_kw("true") => Ok(Literal::Bool(true)),
            tok if tok.is_kw("false") => Ok(Literal::Bool(false)),
            tok if tok.is_kw("null") => Ok(Literal::Null),
            _ => Err(self.unexpected(&t)),
        }
    }

    fn parse(mut self) -> Result<RawQuery, QueryError> {
        self.expect_kw("SELECT")?;
        let mut count = false;
        let mut fields = Vec::new();
        let is_count = self.peek().tok.is_kw("COUNT")
            && self.tokens.get(self.at + 1).map(|t| &t.tok) == Some(&Tok::LParen);
        if is_count {
            self.next();
            self.next();
            self.expect(Tok::RParen)?;
            count = true;
        } else {
            loop {
                fields.push(self.name()?);
                if self.peek().tok != Tok::Comma {
                    break;
                }
                self.next();
            }
        }
        self.expect_kw("FROM")?;
        let object = self.name()?;
        let mut conds = Vec::new();
        if self.peek().tok.is_kw("WHERE") {
            self.next();
            loop {
                conds.push(self.condition()?);
                if !self.peek().tok.is_kw("AND") {
                    break;
                }
                self.next();
            }
        }
        let mut order = Vec::new();
        if self.peek().tok.is_kw("ORDER") {
            self.next();
            self.expect_kw("BY")?;
            loop {
                order.push(self.order_item()?);
                if self.peek().tok != Tok::Comma {
                    break;
                }
                self.next();
            }
        }
        let mut limit = None;
        if self.peek().tok.is_kw("LIMIT") {
            self.next();
            let t = self.next();
            match &t.tok {
                Tok::Num(n) => match n.parse::<usize>() {
                    Ok(v) => limit = Some(v),
                    Err(_) => return Err(self.unexpected(&t)),
                },
                _ => return Err(self.unexpected(&t)),
            }
        }
        let t = self.next();
        if t.tok != Tok::Eof {
            return Err(self.unexpected(&t));
        }
        Ok(RawQuery {
            count,
            fields,
            object,
            conds,
            order,
            limit,
        })
    }

    fn condition(&mut self) -> Result<RawCond, QueryError> {
        let field = self.name()?;
        let t = self.next();
        match &t.tok {
            Tok::Eq | Tok::Ne => Ok(RawCond::Cmp {
                field,
                negate: t.tok == Tok::Ne,
                value: self.literal()?,
            }),
            tok if tok.is_kw("IN") => {
                self.expect(Tok::LParen)?;
                let mut values = vec![self.literal()?];
                while self.peek().tok == Tok::Comma {
                    self.next();
                    values.push(self.literal()?);
                }
                self.expect(Tok::RParen)?;
                Ok(RawCond::In { field, values })
            }
            _ => Err(self.unexpected(&t)),
        }
    }

    fn order_item(&mut self) -> Result<RawOrder, QueryError> {
        let field = self.name()?;
        let mut desc = false;
        if self.peek().tok.is_kw("ASC") {
            self.next();
        } else if self.peek().tok.is_kw("DESC") {
            self.next();
            desc = true;
        }
        let mut nulls_first = None;
        if self.peek().tok.is_kw("NULLS") {
            self.next();
            let t = self.next();
            if t.tok.is_kw("FIRST") {
                nulls_first = Some(true);
            } else if t.tok.is_kw("LAST") {
                nulls_first = Some(false);
            } else {
                return Err(self.unexpected(&t));
            }
        }
        Ok(RawOrder {
            field,
            desc,
            nulls_first,
        })
    }
}

/// A literal made ready for comparison against one field.
#[derive(Debug)]
enum Needle {
    Null,
    /// Lower-cased text (or upper-cased 18-char key for id fields).
    Text(String),
    Bool(bool),
    Num(f64),
    /// An id literal that cannot match anything.
    Never,
}

/// One queryable column of a table: its name, kind, whether WHERE/ORDER BY may use it,
/// and where rows keep its value.
#[derive(Clone, Debug)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
    pub filterable: bool,
    pub col: usize,
}

/// What a query runs over: the object, the columns the caller may see, the id column, and
/// the soft-delete flag column (Case only).
#[derive(Clone, Debug)]
pub struct Table {
    pub object: String,
    pub columns: Vec<Column>,
    pub id_col: usize,
    pub deleted_col: Option<usize>,
}

impl Table {
    /// A table whose rows hold the columns in order (setup records).
    pub fn simple(object: &str, columns: &[(&str, Kind)]) -> Self {
        Self {
            object: object.to_string(),
            columns: columns
                .iter()
                .enumerate()
                .map(|(col, (name, kind))| Column {
                    name: name.to_string(),
                    kind: *kind,
                    filterable: *kind != Kind::Complex,
                    col,
                })
                .collect(),
            id_col: 0,
            deleted_col: None,
        }
    }

    fn column(&self, name: &Name) -> Result<&Column, QueryError> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(&name.text))
            .ok_or_else(|| QueryError {
                code: "INVALID_FIELD",
                message: format!(
                    "No such column '{}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
                    name.text, self.object
                ),
            })
    }
}

#[derive(Debug)]
enum Cond {
    Cmp {
        col: usize,
        kind: Kind,
        negate: bool,
        needle: Needle,
    },
    /// `col IN (…)`: the text and id values in a hash set, the rest (null, numbers,
    /// booleans) in a list.
    In {
        col: usize,
        kind: Kind,
        texts: HashSet<String>,
        others: Vec<Needle>,
    },
}

#[derive(Debug)]
struct Order {
    col: usize,
    desc: bool,
    nulls_first: bool,
}

#[derive(Debug)]
pub struct Query {
    count: bool,
    /// (canonical name, row column)
    fields: Vec<(String, usize)>,
    conds: Vec<Cond>,
    order: Vec<Order>,
    limit: Option<usize>,
    id_col: usize,
    deleted_col: Option<usize>,
}

fn needle(column: &Column, lit: &Literal) -> Result<Needle, QueryError> {
    let wrong = |want: &str| QueryError {
        code: "INVALID_QUERY_FILTER_OPERATOR",
        message: format!(
            "value of filter criterion for field '{}' must be of type {want}",
            column.name
        ),
    };
    let textual = matches!(
        column.kind,
        Kind::String | Kind::Textarea | Kind::Picklist | Kind::Email
    );
    match (column.kind, lit) {
        (_, Literal::Null) => Ok(Needle::Null),
        (Kind::Id | Kind::Reference, Literal::Str(s)) => {
            Ok(ids::key(s).map_or(Needle::Never, Needle::Text))
        }
        (_, Literal::Str(s)) if textual => Ok(Needle::Text(s.to_lowercase())),
        (Kind::Boolean, Literal::Bool(b)) => Ok(Needle::Bool(*b)),
        (Kind::Boolean, _) => Err(wrong("boolean")),
        (Kind::Double, Literal::Num(n)) => n
            .parse::<f64>()
            .map(Needle::Num)
            .map_err(|_| wrong("double")),
        (Kind::Double, _) => Err(wrong("double and should not be enclosed in quotes")),
        (Kind::DateTime, _) => Err(wrong("dateTime and should not be enclosed in quotes")),
        _ => Err(wrong("string and should be enclosed in quotes")),
    }
}

/// Parses a query; `RawQuery::bind` then checks it against the table of its object.
pub fn parse(query: &str) -> Result<RawQuery, QueryError> {
    let tokens = tokenize(query)?;
    Parser {
        query,
        tokens,
        at: 0,
    }
    .parse()
}

/// The error for a FROM object that is not there (or not for this caller).
pub fn invalid_type(object: &str) -> QueryError {
    QueryError {
        code: "INVALID_TYPE",
        message: format!(
            "sObject type '{object}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
        ),
    }
}

impl RawQuery {
    /// The FROM object as written.
    pub fn object(&self) -> &str {
        &self.object.text
    }

    /// Resolves names against `table`: INVALID_FIELD for a column the caller cannot see.
    pub fn bind(&self, query: &str, table: &Table) -> Result<Query, QueryError> {
        let mut fields: Vec<(String, usize)> = Vec::new();
        for name in &self.fields {
            let c = table.column(name)?;
            if fields.iter().any(|(n, _)| *n == c.name) {
                return Err(malformed(
                    query,
                    name.pos,
                    &format!("duplicate field selected: {}", c.name),
                ));
            }
            fields.push((c.name.clone(), c.col));
        }
        let mut conds = Vec::new();
        for cond in &self.conds {
            let name = match cond {
                RawCond::Cmp { field, .. } | RawCond::In { field, .. } => field,
            };
            let c = table.column(name)?;
            if !c.filterable {
                return Err(QueryError {
                    code: "INVALID_FIELD",
                    message: format!("field '{}' can not be filtered in a query call", c.name),
                });
            }
            conds.push(match cond {
                RawCond::Cmp { negate, value, .. } => Cond::Cmp {
                    col: c.col,
                    kind: c.kind,
                    negate: *negate,
                    needle: needle(c, value)?,
                },
                RawCond::In { values, .. } => {
                    let mut texts = HashSet::new();
                    let mut others = Vec::new();
                    for value in values {
                        match needle(c, value)? {
                            Needle::Text(t) => {
                                texts.insert(t);
                            }
                            Needle::Never => {}
                            other => others.push(other),
                        }
                    }
                    Cond::In {
                        col: c.col,
                        kind: c.kind,
                        texts,
                        others,
                    }
                }
            });
        }
        let mut order = Vec::new();
        for item in &self.order {
            let c = table.column(&item.field)?;
            if !c.filterable {
                return Err(QueryError {
                    code: "INVALID_FIELD",
                    message: format!("field '{}' can not be sorted in a query call", c.name),
                });
            }
            order.push(Order {
                col: c.col,
                desc: item.desc,
                // Salesforce: ascending puts nulls first, descending puts them last.
                nulls_first: item.nulls_first.unwrap_or(!item.desc),
            });
        }
        Ok(Query {
            count: self.count,
            fields,
            conds,
            order,
            limit: self.limit,
            id_col: table.id_col,
            deleted_col: table.deleted_col,
        })
    }
}

fn matches(kind: Kind, value: &Value, needle: &Needle) -> bool {
    match (needle, value) {
        (Needle::Null, v) => v.is_null(),
        (Needle::Never, _) => false,
        (Needle::Bool(b), Value::Bool(v)) => b == v,
        (Needle::Num(n), Value::Number(v)) => v.as_f64() == Some(*n),
        (Needle::Text(t), Value::String(s)) => match kind {
            Kind::Id | Kind::Reference => s.eq_ignore_ascii_case(t),
            _ => same_lowercase(s, t),
        },
        _ => false,
    }
}

/// Whether a row value is one of the text (or id) needles of an IN list.
fn in_texts(kind: Kind, value: &Value, texts: &HashSet<String>) -> bool {
    let Value::String(s) = value else {
        return false;
    };
    if texts.is_empty() {
        return false;
    }
    match kind {
        // Needles are upper-cased 18-char keys; only an 18-char value can equal one.
        Kind::Id | Kind::Reference => {
            let mut key = [0u8; 18];
            if s.len() != key.len() || !s.is_ascii() {
                return false;
            }
            key.copy_from_slice(s.as_bytes());
            key.make_ascii_uppercase();
            std::str::from_utf8(&key).is_ok_and(|k| texts.contains(k))
        }
        _ if !s.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) => texts.contains(s),
        _ => texts.contains(&s.to_lowercase()),
    }
}

/// Whether `s` lower-cased equals `lower` (already lower-cased), without allocating when
/// both are ASCII (lower-casing never changes an ASCII string's length).
fn same_lowercase(s: &str, lower: &str) -> bool {
    if s.is_ascii() && lower.is_ascii() {
        s.len() == lower.len() && s.eq_ignore_ascii_case(lower)
    } else {
        s.to_lowercase() == lower
    }
}

fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x
            .to_lowercase()
            .cmp(&y.to_lowercase())
            .then_with(|| x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        _ => Ordering::Equal,
    }
}

pub struct Outcome {
    /// COUNT() queries return only a size.
    pub count_only: bool,
    pub total: usize,
    pub rows: Vec<Rendered>,
}

impl Query {
    /// Whether the query selects this column (case-insensitive).
    pub fn selects(&self, name: &str) -> bool {
        self.fields
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// The key lists of the conditions that only a row holding one of their keys can meet:
    /// `col = 'x'` and `col IN ('x', …)` on text or id columns, as (row column, keys).
    /// Keys are lower-cased text, or upper-cased 18-char ids for id columns. A caller that
    /// indexes one of these columns can hand `run_rows` the rows with those keys instead of
    /// letting the query scan every row.
    pub fn key_lists(&self) -> Vec<(usize, Kind, Vec<&str>)> {
        self.conds
            .iter()
            .filter_map(|c| match c {
                Cond::Cmp {
                    col,
                    kind,
                    negate: false,
                    needle: Needle::Text(t),
                } => Some((*col, *kind, vec![t.as_str()])),
                Cond::Cmp {
                    col,
                    kind,
                    negate: false,
                    needle: Needle::Never,
                } => Some((*col, *kind, Vec::new())),
                Cond::In {
                    col,
                    kind,
                    texts,
                    others,
                } if others.is_empty() => {
                    Some((*col, *kind, texts.iter().map(String::as_str).collect()))
                }
                _ => None,
            })
            .collect()
    }

    /// Runs over a snapshot of rows; `query_all` includes soft-deleted rows.
    pub fn run(&self, rows: &[Vec<Value>], query_all: bool) -> Outcome {
        self.run_over(rows.iter(), query_all)
    }

    /// Runs over the rows at `picked` (ascending positions in `rows`), which must hold every
    /// row the conditions can match: a superset found through an index, checked here as a
    /// scan would check it.
    pub fn run_rows(&self, rows: &[Vec<Value>], picked: &[usize], query_all: bool) -> Outcome {
        self.run_over(picked.iter().filter_map(|&i| rows.get(i)), query_all)
    }

    fn run_over<'r>(&self, rows: impl Iterator<Item = &'r Vec<Value>>, query_all: bool) -> Outcome {
        let deleted = |r: &[Value]| {
            self.deleted_col
                .is_some_and(|col| *cell(r, col) == Value::Bool(true))
        };
        let mut hits: Vec<&Vec<Value>> = rows
            .filter(|r| query_all || !deleted(r))
            .filter(|r| {
                self.conds.iter().all(|c| match c {
                    Cond::Cmp {
                        col,
                        kind,
                        negate,
                        needle,
                    } => matches(*kind, cell(r, *col), needle) != *negate,
                    Cond::In {
                        col,
                        kind,
                        texts,
                        others,
                    } => {
                        let value = cell(r, *col);
                        in_texts(*kind, value, texts)
                            || others.iter().any(|n| matches(*kind, value, n))
                    }
                })
            })
            .collect();
        if !self.order.is_empty() {
            hits.sort_by(|a, b| {
                self.order
                    .iter()
                    .map(|o| {
                        let (x, y) = (cell(a, o.col), cell(b, o.col));
                        match (x.is_null(), y.is_null()) {
                            (true, true) => Ordering::Equal,
                            (true, false) if o.nulls_first => Ordering::Less,
                            (true, false) => Ordering::Greater,
                            (false, true) if o.nulls_first => Ordering::Greater,
                            (false, true) => Ordering::Less,
                            (false, false) if o.desc => compare(y, x),
                            (false, false) => compare(x, y),
                        }
                    })
                    .find(|ord| *ord != Ordering::Equal)
                    .unwrap_or(Ordering::Equal)
            });
        }
        if let Some(limit) = self.limit {
            hits.truncate(limit);
        }
        if self.count {
            return Outcome {
                count_only: true,
                total: hits.len(),
                rows: Vec::new(),
            };
        }
        let rendered: Vec<Rendered> = hits
            .into_iter()
            .map(|r| Rendered {
                id: cell(r, self.id_col)
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                fields: self
                    .fields
                    .iter()
                    .map(|(name, col)| (name.clone(), cell(r, *col).clone()))
                    .collect(),
            })
            .collect();
        Outcome {
            count_only: false,
            total: rendered.len(),
            rows: rendered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::sandbox::schema::STANDARD;

    fn case_table() -> Table {
        let mut columns: Vec<Column> = STANDARD
            .iter()
            .map(|f| Column {
                name: f.name.to_string(),
                kind: f.kind,
                filterable: f.filterable(),
                col: f.col,
            })
            .collect();
        columns.push(Column {
            name: "ExternalID__c".into(),
            kind: Kind::String,
            filterable: true,
            col: 11,
        });
        columns.push(Column {
            name: "EmployeeNotes__c".into(),
            kind: Kind::Textarea,
            filterable: false,
            col: 12,
        });
        Table {
            object: "Case".into(),
            columns,
            id_col: 0,
            deleted_col: Some(8),
        }
    }

    fn parse_case(q: &str) -> Result<Query, QueryError> {
        let raw = parse(q)?;
        if !raw.object().eq_ignore_ascii_case("Case") {
            return Err(invalid_type(raw.object()));
        }
        raw.bind(q, &case_table())
    }

    fn err(q: &str) -> QueryError {
        match parse_case(q) {
            Err(e) => e,
            Ok(parsed) => panic!("expected an error for {q}: {parsed:?}"),
        }
    }

    #[test]
    fn parses_the_subset() {
        let q = parse_case(
            "select id, ExternalID__c from CASE where status != null and Origin IN ('Web','Phone') \
             AND IsDeleted = false order by CaseNumber desc nulls last, Subject limit 10",
        );
        let q = q.map_err(|e| e.message).unwrap_or_else(|m| panic!("{m}"));
        assert_eq!(
            q.fields,
            vec![("Id".to_string(), 0), ("ExternalID__c".to_string(), 11)]
        );
        assert_eq!(q.conds.len(), 3);
        assert_eq!(q.order.len(), 2);
        assert_eq!(q.limit, Some(10));
        assert!(parse_case("SELECT COUNT() FROM Case").is_ok_and(|q| q.count));
    }

    #[test]
    fn string_escapes() {
        let toks = tokenize(r#"'a\'b\\c\n\u00e9\t\b\f\r\"'"#).unwrap_or_default();
        assert_eq!(
            toks[0].tok,
            Tok::Str("a'b\\c\n\u{e9}\t\u{8}\u{c}\r\"".into())
        );
        assert_eq!(
            err(r"SELECT Id FROM Case WHERE Subject = 'a\x'").code,
            "MALFORMED_QUERY"
        );
        assert_eq!(
            err(r"SELECT Id FROM Case WHERE Subject = '\u00g1'").code,
            "MALFORMED_QUERY"
        );
        assert_eq!(
            err("SELECT Id FROM Case WHERE Subject = 'open").code,
            "MALFORMED_QUERY"
        );
    }

    #[test]
    fn errors() {
        assert_eq!(err("SELECT Id FROM Account").code, "INVALID_TYPE");
        assert_eq!(err("SELECT Nope FROM Case").code, "INVALID_FIELD");
        assert_eq!(
            err("SELECT Id FROM Case WHERE Nope = 'x'").code,
            "INVALID_FIELD"
        );
        assert_eq!(err("SELECT Id FRM Case").code, "MALFORMED_QUERY");
        assert_eq!(
            err("SELECT Id FROM Case WHERE Subject LIKE 'x'").code,
            "MALFORMED_QUERY"
        );
        assert_eq!(
            err("SELECT Id FROM Case WHERE Subject = 'x' OR Subject = 'y'").code,
            "MALFORMED_QUERY"
        );
        assert_eq!(err("SELECT Id FROM Case LIMIT x").code, "MALFORMED_QUERY");
        assert_eq!(err("SELECT Id, id FROM Case").code, "MALFORMED_QUERY");
        assert_eq!(
            err("SELECT Id FROM Case WHERE Subject IN ()").code,
            "MALFORMED_QUERY"
        );
        assert_eq!(
            err("SELECT Id FROM Case WHERE Subject = 5").code,
            "INVALID_QUERY_FILTER_OPERATOR"
        );
        assert_eq!(
            err("SELECT Id FROM Case WHERE EmployeeNotes__c = 'x'").code,
            "INVALID_FIELD"
        );
        assert_eq!(err("SELECT Id FROM Case #").code, "MALFORMED_QUERY");
        let e = err("SELECT Id FRM Case");
        assert!(e.message.contains("Row:1:Column:11"), "{}", e.message);
    }
}
