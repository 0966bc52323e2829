//! Strict dotenv parsing, and dotenv / POSIX shell rendering, for `vault import` and
//! `vault export`.
//!
//! This module owns the text formats only: it turns dotenv text into [`Entry`] values and
//! turns name/value pairs back into dotenv or shell text. It must not touch the filesystem,
//! print anything, or know about the vault store; callers do that. Values are secrets: no
//! error, `Debug` output or panic message produced here may contain a value or any part of
//! one. Names are not secret and may appear in errors.
//!
//! # Grammar
//!
//! The parser is deliberately stricter than shells and other dotenv loaders, so that a file
//! either means one obvious thing or is rejected with a line number.
//!
//! - Input is at most [`MAX_INPUT_BYTES`]; a leading byte-order mark is skipped; a NUL
//!   anywhere (even in a comment) is an error. Lines end in `\n` or `\r\n`; the `\r` of a
//!   `\r\n` is never part of a value, not even inside quotes.
//! - Blank lines, and lines whose first non-blank character is `#`, are ignored.
//!   "Blank" always means space or tab.
//! - An assignment is `[blanks][export<blanks>]NAME[blanks]=[blanks]VALUE`, where `NAME`
//!   matches `[A-Za-z_][A-Za-z0-9_]*`. `export` is only a prefix when a name follows it, so
//!   `export=1` assigns a variable called `export`. Any other line is an error.
//! - Unquoted value: the rest of the line, with blanks trimmed. A `#` preceded by a blank
//!   (including the blanks after `=`) starts a comment, so `A=a#b` is `a#b`, `A=#b` is `#b`
//!   and `A= #b` is empty. The value must not contain `"`, `'`, a backtick, `$(` or a
//!   control character other than tab; quote it instead. `$VAR` and `${VAR}` stay literal.
//! - Single-quoted value `'...'`: everything up to the next `'` is literal, newlines
//!   included. There are no escapes.
//! - Double-quoted value `"..."`: escapes are `\n \r \t \\ \" \$` and `` \` `` (the last
//!   one is an addition: without it a value holding both `'` and a backtick could not be
//!   written at all). Any other backslash sequence, including a backslash before a line
//!   break, is an error. Literal newlines are kept. A `$` followed by `(` or `{`, or an
//!   unescaped backtick, is an error because it looks like expansion or command
//!   substitution; any other `$` is literal.
//! - After a closing quote only blanks and an optional comment may follow on that line
//!   (the `#` needs no blank before it there: `A='x'#note` is fine).
//! - A name may be assigned only once. An unterminated quote is reported on the line where
//!   it opened; other errors on the line where they occur, and [`Entry::line`] is the line
//!   where the assignment starts.

use std::collections::HashMap;
use std::fmt;

use zeroize::Zeroizing;

/// Largest input [`parse`] accepts, in bytes (64 MiB). Real dotenv files are tiny; the cap
/// keeps a mistaken `vault import prod /dev/zero`-style input from exhausting memory.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

/// One parsed assignment. `value` is zeroized on drop.
pub struct Entry {
    /// The variable name; always matches `[A-Za-z_][A-Za-z0-9_]*`.
    pub name: String,
    /// The decoded value (quotes removed, escapes applied).
    pub value: Zeroizing<String>,
    /// The 1-based line on which the assignment starts.
    pub line: usize,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("name", &self.name)
            .field("value", &"[redacted]")
            .field("line", &self.line)
            .finish()
    }
}

/// Why a dotenv file was rejected. Every variant carries the 1-based `line` it refers to
/// (0 when the problem is the input as a whole), and no variant carries any part of a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DotenvError {
    /// A problem confined to one line (or to the whole input, for size).
    #[error("line {line}: {reason}")]
    Invalid {
        /// Where the problem is; for an unterminated quote, where the quote opened.
        line: usize,
        /// What the problem is.
        reason: Reason,
    },
    /// A name was assigned twice. Names are not secret, so the error shows it.
    #[error("line {line}: duplicate name {name} (first assigned on line {first})")]
    Duplicate {
        /// Line of the second assignment.
        line: usize,
        /// The repeated name.
        name: String,
        /// Line of the first assignment.
        first: usize,
    },
}

impl DotenvError {
    /// The 1-based line the error refers to (0 for whole-input errors).
    #[must_use]
    pub fn line(&self) -> usize {
        match self {
            Self::Invalid { line, .. } | Self::Duplicate { line, .. } => *line,
        }
    }
}

/// What was wrong with a line, worded for the user and never quoting the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    /// The input is larger than [`MAX_INPUT_BYTES`].
    #[error("input is larger than the 64 MiB limit")]
    TooLarge,
    /// A NUL character appeared anywhere in the input.
    #[error("NUL bytes are not allowed")]
    Nul,
    /// A non-blank, non-comment line without `=`.
    #[error("expected NAME=VALUE")]
    Syntax,
    /// The text before `=` is not a valid name.
    #[error("expected NAME=VALUE where NAME matches [A-Za-z_][A-Za-z0-9_]*")]
    InvalidName,
    /// An unquoted value contains `"` or `'`.
    #[error("unquoted value contains a quote character; quote the value")]
    UnquotedQuote,
    /// An unquoted value contains a control character other than tab.
    #[error("unquoted value contains a control character; quote the value")]
    UnquotedControl,
    /// `$(` or a backtick anywhere, or `${` in double quotes: things a shell would run or expand.
    #[error(
        "variable expansion and command substitution are not supported; \
         use single quotes for a literal"
    )]
    Expansion,
    /// A backslash sequence in a double-quoted value that the grammar does not define.
    #[error("unknown escape sequence in double-quoted value")]
    UnknownEscape,
    /// A `'` that is never closed.
    #[error("unterminated single-quoted value")]
    UnterminatedSingle,
    /// A `"` that is never closed.
    #[error("unterminated double-quoted value")]
    UnterminatedDouble,
    /// Something other than blanks or a comment after a closing quote.
    #[error("unexpected text after closing quote")]
    TrailingText,
}

fn invalid(line: usize, reason: Reason) -> DotenvError {
    DotenvError::Invalid { line, reason }
}

/// Whether `name` matches `[A-Za-z_][A-Za-z0-9_]*`, the only names this format (and the
/// shell renderer) accepts.
#[must_use]
pub fn is_valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Parses dotenv text with the strict grammar described in the [module docs](self).
///
/// # Errors
///
/// Returns the first [`DotenvError`] found, in file order (size and NUL checks come first).
pub fn parse(input: &str) -> Result<Vec<Entry>, DotenvError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(invalid(0, Reason::TooLarge));
    }
    if let Some(pos) = input.find('\0') {
        return Err(invalid(1 + input[..pos].matches('\n').count(), Reason::Nul));
    }
    let mut parser = Parser {
        src: input.strip_prefix('\u{feff}').unwrap_or(input),
        pos: 0,
        line: 1,
    };
    let mut entries = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    while let Some(entry) = parser.next_entry()? {
        if let Some(&first) = seen.get(&entry.name) {
            return Err(DotenvError::Duplicate {
                line: entry.line,
                name: entry.name,
                first,
            });
        }
        seen.insert(entry.name.clone(), entry.line);
        entries.push(entry);
    }
    Ok(entries)
}

/// A cursor over the input. `pos` only ever stops on ASCII bytes or the end, so slicing
/// `src` at it is always on a character boundary.
struct Parser<'a> {
    src: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// The rest of the current physical line, without its line ending.
    fn rest_of_line(&self) -> &'a str {
        let rest = &self.src[self.pos..];
        let line = rest.find('\n').map_or(rest, |end| &rest[..end]);
        line.strip_suffix('\r').unwrap_or(line)
    }

    /// Moves past the current physical line and its line ending.
    fn next_line(&mut self) {
        match self.src[self.pos..].find('\n') {
            Some(end) => {
                self.pos += end + 1;
                self.line += 1;
            }
            None => self.pos = self.src.len(),
        }
    }

    fn next_entry(&mut self) -> Result<Option<Entry>, DotenvError> {
        while self.pos < self.src.len() {
            self.skip_blanks();
            let rest = self.rest_of_line();
            if rest.is_empty() || rest.starts_with('#') {
                self.next_line();
            } else {
                return self.assignment().map(Some);
            }
        }
        Ok(None)
    }

    fn assignment(&mut self) -> Result<Entry, DotenvError> {
        let line = self.line;
        let whole = self.rest_of_line();
        self.skip_export();
        let start = self.pos;
        while matches!(self.peek(), Some(b) if b.is_ascii_alphanumeric() || b == b'_') {
            self.pos += 1;
        }
        let name = &self.src[start..self.pos];
        self.skip_blanks();
        if !is_valid_name(name) || self.peek() != Some(b'=') {
            // With an `=` present the user clearly meant an assignment, so point at the name.
            return Err(if whole.contains('=') {
                invalid(line, Reason::InvalidName)
            } else {
                invalid(line, Reason::Syntax)
            });
        }
        self.pos += 1;
        let after_equals = self.pos;
        self.skip_blanks();
        let value = match self.peek() {
            Some(b'\'') => self.single_quoted()?,
            Some(b'"') => self.double_quoted()?,
            _ => {
                // The blanks after `=` matter: they turn a following `#` into a comment.
                self.pos = after_equals;
                self.unquoted()?
            }
        };
        Ok(Entry {
            name: name.to_owned(),
            value,
            line,
        })
    }

    fn skip_export(&mut self) {
        let Some(rest) = self.src[self.pos..].strip_prefix("export") else {
            return;
        };
        let name_start = rest.trim_start_matches([' ', '\t']);
        let had_blank = name_start.len() < rest.len();
        if had_blank && name_start.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            self.pos += self.src[self.pos..].len() - name_start.len();
        }
    }

    fn unquoted(&mut self) -> Result<Zeroizing<String>, DotenvError> {
        let line = self.line;
        let raw = self.rest_of_line();
        self.next_line();
        let comment = raw
            .as_bytes()
            .windows(2)
            .position(|pair| matches!(pair, [b' ' | b'\t', b'#']))
            .map_or(raw.len(), |blank| blank + 1);
        let value = raw[..comment].trim_matches([' ', '\t']);
        if value.contains(['"', '\'']) {
            return Err(invalid(line, Reason::UnquotedQuote));
        }
        if value.contains('`') || value.contains("$(") {
            return Err(invalid(line, Reason::Expansion));
        }
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(invalid(line, Reason::UnquotedControl));
        }
        Ok(Zeroizing::new(value.to_owned()))
    }

    fn single_quoted(&mut self) -> Result<Zeroizing<String>, DotenvError> {
        let open = self.line;
        self.pos += 1;
        let rest = &self.src[self.pos..];
        let len = rest
            .find('\'')
            .ok_or(invalid(open, Reason::UnterminatedSingle))?;
        let raw = &rest[..len];
        // Sized up front so the buffer never reallocates and leaves an unzeroized copy behind.
        let mut value = Zeroizing::new(String::with_capacity(raw.len()));
        for (i, chunk) in raw.split("\r\n").enumerate() {
            if i > 0 {
                value.push('\n');
            }
            value.push_str(chunk);
        }
        self.line += raw.matches('\n').count();
        self.pos += len + 1;
        self.after_closing_quote()?;
        Ok(value)
    }

    fn double_quoted(&mut self) -> Result<Zeroizing<String>, DotenvError> {
        let open = self.line;
        self.pos += 1;
        let rest = &self.src[self.pos..];
        let len = closing_double_quote(rest).ok_or(invalid(open, Reason::UnterminatedDouble))?;
        let raw = &rest[..len];
        // Escapes only shrink the text, so this capacity is never exceeded (no reallocation).
        let mut value = Zeroizing::new(String::with_capacity(raw.len()));
        let mut chars = raw.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => value.push(match chars.next() {
                    Some('n') => '\n',
                    Some('r') => '\r',
                    Some('t') => '\t',
                    Some(c @ ('\\' | '"' | '$' | '`')) => c,
                    _ => return Err(invalid(self.line, Reason::UnknownEscape)),
                }),
                '$' if matches!(chars.peek(), Some('(' | '{')) => {
                    return Err(invalid(self.line, Reason::Expansion));
                }
                '`' => return Err(invalid(self.line, Reason::Expansion)),
                '\r' if chars.peek() == Some(&'\n') => {}
                '\n' => {
                    self.line += 1;
                    value.push('\n');
                }
                c => value.push(c),
            }
        }
        self.pos += len + 1;
        self.after_closing_quote()?;
        Ok(value)
    }

    fn after_closing_quote(&mut self) -> Result<(), DotenvError> {
        let rest = self.rest_of_line().trim_start_matches([' ', '\t']);
        if !rest.is_empty() && !rest.starts_with('#') {
            return Err(invalid(self.line, Reason::TrailingText));
        }
        self.next_line();
        Ok(())
    }
}

/// Byte offset of the first `"` in `raw` that is not escaped by a backslash.
fn closing_double_quote(raw: &str) -> Option<usize> {
    let mut escaped = false;
    raw.bytes().position(|b| {
        let closes = b == b'"' && !escaped;
        escaped = b == b'\\' && !escaped;
        closes
    })
}

/// Characters that need no quoting in either dotenv or a shell that `source`s the file.
fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-.,/:@%+=".contains(c)
}

fn assert_valid_name(name: &str) {
    // A bad name would make the output unparsable, or injectable when eval'd; names are not
    // secret, so naming it in the panic is fine.
    assert!(is_valid_name(name), "invalid variable name {name:?}");
}

/// Renders `(name, value)` pairs as dotenv text, one assignment per line, that [`parse`]
/// reads back as exactly the same pairs in the same order.
///
/// Values made only of ASCII letters, digits and `_-.,/:@%+=` (or empty) are written
/// unquoted; values without `'` or control characters go in single quotes; anything else
/// goes in double quotes, with newlines, tabs and CRs escaped so each entry stays on one line.
/// Values must not contain NUL (the format cannot hold it); names must be unique.
///
/// # Panics
///
/// If a name does not satisfy [`is_valid_name`].
#[must_use]
pub fn render_dotenv(entries: &[(&str, &str)]) -> String {
    // Worst case every value byte doubles when escaped; reserving that up front means the
    // buffer never reallocates and leaves fragments of secrets in freed memory.
    let capacity = entries.iter().map(|(n, v)| n.len() + 2 * v.len() + 4).sum();
    let mut out = String::with_capacity(capacity);
    for &(name, value) in entries {
        assert_valid_name(name);
        out.push_str(name);
        out.push('=');
        if value.chars().all(is_plain) {
            out.push_str(value);
        } else if !value.contains('\'') && !value.chars().any(char::is_control) {
            out.push('\'');
            out.push_str(value);
            out.push('\'');
        } else {
            out.push('"');
            for c in value.chars() {
                match c {
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    '\\' | '"' | '$' | '`' => {
                        out.push('\\');
                        out.push(c);
                    }
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        out.push('\n');
    }
    out
}

/// `text` as one POSIX shell word in single quotes (a `'` becomes `'\''`), for paths and
/// commands vault writes into scripts and shows to users. Not for secret values:
/// [`render_shell`] quotes those in place, without a copy.
#[must_use]
pub fn single_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Renders `(name, value)` pairs as `export NAME='value'` lines for `eval` in a POSIX shell.
///
/// Every value is single-quoted, with each `'` written as `'\''`, so the shell expands and
/// executes nothing. Values must not contain NUL, which no shell variable can hold.
///
/// # Panics
///
/// If a name does not satisfy [`is_valid_name`]: emitting it could inject shell code.
#[must_use]
pub fn render_shell(entries: &[(&str, &str)]) -> String {
    // Worst case every byte is a `'` and becomes four; see `render_dotenv` for why we reserve.
    let capacity = entries
        .iter()
        .map(|(n, v)| n.len() + 4 * v.len() + 11)
        .sum();
    let mut out = String::with_capacity(capacity);
    for &(name, value) in entries {
        assert_valid_name(name);
        out.push_str("export ");
        out.push_str(name);
        out.push_str("='");
        for (i, chunk) in value.split('\'').enumerate() {
            if i > 0 {
                out.push_str("'\\''");
            }
            out.push_str(chunk);
        }
        out.push_str("'\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Parses and returns `(name, value, line)` triples, for compact assertions.
    fn ok(input: &str) -> Vec<(String, String, usize)> {
        parse(input)
            .unwrap()
            .into_iter()
            .map(|e| (e.name.clone(), e.value.to_string(), e.line))
            .collect()
    }

    fn value(input: &str) -> String {
        let entries = ok(input);
        assert_eq!(entries.len(), 1, "expected exactly one entry");
        entries[0].1.clone()
    }

    fn err(input: &str) -> DotenvError {
        match parse(input) {
            Ok(_) => panic!("input unexpectedly parsed"),
            Err(e) => e,
        }
    }

    #[test]
    fn blank_lines_and_comments_are_ignored() {
        let input =
            "\n   \n\t\n# comment\n   # indented = comment 'with' \"quotes\"\nA=1\n\n#B=2\n";
        assert_eq!(ok(input), [("A".into(), "1".into(), 6)]);
        assert!(ok("").is_empty());
        assert!(ok("# only\n").is_empty());
    }

    #[test]
    fn export_prefix_is_optional() {
        let input = "export A=1\nexport\t B=2\n  export C=3\nexportD=4\n";
        let names: Vec<_> = ok(input).into_iter().map(|(n, ..)| n).collect();
        assert_eq!(names, ["A", "B", "C", "exportD"]);
        // `export` is only a prefix when a name follows, so it is also a valid name itself.
        assert_eq!(ok("export=4")[0].0, "export");
        assert_eq!(ok("export = 5")[0].0, "export");
        assert_eq!(err("export A"), invalid(1, Reason::Syntax));
        assert_eq!(err("export 1A=x"), invalid(1, Reason::InvalidName));
    }

    #[test]
    fn whitespace_around_equals_is_allowed() {
        assert_eq!(value("A = 1"), "1");
        assert_eq!(value("A\t=\t1\t"), "1");
        assert_eq!(value("  A=1"), "1");
        assert_eq!(value("A = 'x'"), "x");
        assert_eq!(value("A =\t\"x\"  "), "x");
    }

    #[test]
    fn malformed_lines_are_errors_with_line_numbers() {
        assert_eq!(err("A=1\njust text\n"), invalid(2, Reason::Syntax));
        assert_eq!(err("A=1\nB=2\nC\n"), invalid(3, Reason::Syntax));
        for bad in ["1A=x", "A-B=x", "=x", "A B=x", "A.B=x", "ÄB=x", "$A=x"] {
            assert_eq!(err(&format!("# c\n{bad}")), invalid(2, Reason::InvalidName));
        }
        assert_eq!(err("\n\n\nX Y").to_string(), "line 4: expected NAME=VALUE");
        assert!(ok("_=1\n_a9=2\nz_Z_0=3").len() == 3);
    }

    #[test]
    fn unquoted_values_are_trimmed_and_may_end_in_a_comment() {
        assert_eq!(value("A=  b c  "), "b c");
        assert_eq!(value("A=b # c"), "b");
        assert_eq!(value("A=b\t#c 'quoted' `x` $(y)"), "b");
        assert_eq!(value("A=a#b"), "a#b");
        assert_eq!(value("A=#b"), "#b");
        assert_eq!(value("A= #b"), "");
        assert_eq!(value("A="), "");
        assert_eq!(value("A=a\tb"), "a\tb");
        assert_eq!(value("A=é🔑\u{a0}"), "é🔑\u{a0}");
    }

    #[test]
    fn unquoted_dollar_is_literal_but_command_substitution_is_rejected() {
        assert_eq!(value("A=$HOME"), "$HOME");
        assert_eq!(value("A=${HOME}/x"), "${HOME}/x");
        assert_eq!(value("A=cost$"), "cost$");
        assert_eq!(err("\nA=$(id)"), invalid(2, Reason::Expansion));
        assert_eq!(err("A=a`id`"), invalid(1, Reason::Expansion));
    }

    #[test]
    fn unquoted_quotes_and_control_characters_are_rejected() {
        assert_eq!(err("A=1\nB=it's"), invalid(2, Reason::UnquotedQuote));
        assert_eq!(err("B=a\"b"), invalid(1, Reason::UnquotedQuote));
        assert!(err("B=a\"b").to_string().contains("quote the value"));
        assert_eq!(err("A=a\u{1}b"), invalid(1, Reason::UnquotedControl));
        // A lone CR is not a line ending, so it would silently glue lines together.
        assert_eq!(err("A=a\rB=b\n"), invalid(1, Reason::UnquotedControl));
    }

    #[test]
    fn single_quotes_are_literal_and_may_span_lines() {
        assert_eq!(
            value(r#"A='a\nb $X ${Y} $(z) `w` "q" #h'"#),
            r#"a\nb $X ${Y} $(z) `w` "q" #h"#
        );
        assert_eq!(value("A=''"), "");
        assert_eq!(value("A='  padded  '"), "  padded  ");
        let entries = ok("A='l1\nl2\n'\nB=2");
        assert_eq!(entries[0], ("A".into(), "l1\nl2\n".into(), 1));
        assert_eq!(entries[1], ("B".into(), "2".into(), 4));
    }

    #[test]
    fn double_quotes_support_exactly_the_listed_escapes() {
        assert_eq!(
            value(r#"A="a\nb\tc\\d\"e\$f\rg\`h""#),
            "a\nb\tc\\d\"e$f\rg`h"
        );
        assert_eq!(value(r#"A="""#), "");
        assert_eq!(value(r#"A="it's # not a comment""#), "it's # not a comment");
        for bad in [r"\q", r"\'", r"\0", r"\x41", r"\u0041", r"\ "] {
            let input = format!("A=1\nB=\"x{bad}\"");
            assert_eq!(err(&input), invalid(2, Reason::UnknownEscape));
        }
        // A backslash before a line break is not a continuation here.
        assert_eq!(err("A=\"x\\\ny\""), invalid(1, Reason::UnknownEscape));
    }

    #[test]
    fn double_quotes_may_span_lines_and_errors_report_the_inner_line() {
        let entries = ok("A=\"x\ny\n\"\nB=\"z\"");
        assert_eq!(entries[0], ("A".into(), "x\ny\n".into(), 1));
        assert_eq!(entries[1], ("B".into(), "z".into(), 4));
        assert_eq!(err("A=\"x\ny\\q\""), invalid(2, Reason::UnknownEscape));
        assert_eq!(err("A=\"x\n\ny$(id)\""), invalid(3, Reason::Expansion));
    }

    #[test]
    fn double_quotes_reject_expansion_but_keep_other_dollars() {
        for bad in ["$(id)", "${HOME}", "`id`", "a$(", "${"] {
            let input = format!("A=\"{bad}\"");
            assert_eq!(err(&input), invalid(1, Reason::Expansion), "{bad}");
        }
        let shown = err("A=\"$(x)\"").to_string();
        assert!(shown.ends_with("not supported; use single quotes for a literal"));
        assert_eq!(value(r#"A="$HOME""#), "$HOME");
        assert_eq!(value(r#"A="a$ b$""#), "a$ b$");
        assert_eq!(value(r#"A="\$(x) \${y}""#), "$(x) ${y}");
    }

    #[test]
    fn only_blanks_and_comments_may_follow_a_closing_quote() {
        assert_eq!(value("A='x'   # note"), "x");
        assert_eq!(value("A='x'#note"), "x");
        assert_eq!(value("A=\"x\"\t"), "x");
        assert_eq!(err("A='x' y"), invalid(1, Reason::TrailingText));
        assert_eq!(err("A=\"x\"y"), invalid(1, Reason::TrailingText));
        assert_eq!(err("A='x''y'"), invalid(1, Reason::TrailingText));
        assert_eq!(err("A='x\ny' z"), invalid(2, Reason::TrailingText));
    }

    #[test]
    fn duplicate_names_report_both_lines() {
        let e = err("A=1\nB=2\n\nexport A='3'");
        assert_eq!(e.line(), 4);
        let shown = e.to_string();
        assert_eq!(shown, "line 4: duplicate name A (first assigned on line 1)");
        // Names are case-sensitive, as in the environment itself.
        assert_eq!(ok("a=1\nA=2").len(), 2);
    }

    #[test]
    fn nul_bytes_are_rejected_anywhere() {
        assert_eq!(err("A=1\nB=a\0b"), invalid(2, Reason::Nul));
        assert_eq!(err("A=1\n\n# \0 comment"), invalid(3, Reason::Nul));
        assert_eq!(err("A='x\ny\0'"), invalid(2, Reason::Nul));
    }

    #[test]
    fn leading_bom_is_skipped() {
        assert_eq!(ok("\u{feff}A=1\nB=2").len(), 2);
        assert_eq!(ok("\u{feff}# c\nA=1")[0].2, 2);
        assert_eq!(err("\n\u{feff}B=2"), invalid(2, Reason::InvalidName));
    }

    #[test]
    fn crlf_line_endings_are_accepted_and_never_part_of_values() {
        let entries = ok("# c\r\nA=1\r\nB='x\r\ny'\r\nC=\"p\r\nq\" # c\r\n\r\nD= v \r\n");
        let got: Vec<_> = entries.iter().map(|(_, v, l)| (v.as_str(), *l)).collect();
        assert_eq!(got, [("1", 2), ("x\ny", 3), ("p\nq", 5), ("v", 8)]);
        assert_eq!(value("A=1\r"), "1");
        // Inside quotes a lone CR is deliberate content, not a line ending.
        assert_eq!(value("A='a\rb'"), "a\rb");
        assert_eq!(value("A=\"a\rb\""), "a\rb");
    }

    #[test]
    fn unterminated_quotes_point_at_the_opening_line() {
        let single = err("A=1\nB='abc\nC=2\n").to_string();
        assert_eq!(single, "line 2: unterminated single-quoted value");
        let double = err("A=1\n\nB=\"abc\nC=2\n").to_string();
        assert_eq!(double, "line 3: unterminated double-quoted value");
        assert_eq!(err(r#"A="abc\""#).line(), 1);
        assert_eq!(value(r#"A="abc\\""#), "abc\\");
    }

    #[test]
    fn oversized_input_is_rejected() {
        let e = err(&"#".repeat(MAX_INPUT_BYTES + 1));
        assert_eq!(e, invalid(0, Reason::TooLarge));
        assert_eq!(
            e.to_string(),
            "line 0: input is larger than the 64 MiB limit"
        );
    }

    #[test]
    fn debug_output_redacts_values() {
        let entries = parse("TOKEN=CANARY_9f3k").unwrap();
        let debug = format!("{entries:?}");
        assert!(debug.contains("TOKEN") && debug.contains("[redacted]"));
        assert!(!debug.contains("CANARY") && !debug.contains("9f3k"));
    }

    #[test]
    fn errors_never_contain_the_value() {
        // `|`-separated templates that each fail differently; `V` stands for the secret.
        let templates = "A=V\"|A=V'|A=V$(x)|A=V`x`|A=V\u{7}|A=\"V\\q\"|A=\"V${\"|A=\"V`\"|A=\"V|\
                         A='V|A='V' V|A=V\0|A=V\nA=V|V|B C=V|-V=V";
        for template in templates.split('|') {
            let e = err(&template.replace('V', "CANARY_9f3k"));
            for shown in [e.to_string(), format!("{e:?}")] {
                let leaked = shown.contains("CANARY") || shown.contains("9f3k");
                assert!(!leaked, "{shown}");
            }
        }
    }

    #[test]
    fn render_dotenv_picks_the_lightest_quoting() {
        let rendered = render_dotenv(&[
            ("A", "simple-1.2/x:y@z%+,="),
            ("B", ""),
            ("C", "has space $HOME \"q\" `x`"),
            ("D", "it's"),
            ("E", "line1\nline2\t$(x)\\"),
        ]);
        let expected = "A=simple-1.2/x:y@z%+,=\nB=\nC='has space $HOME \"q\" `x`'\n\
                        D=\"it's\"\nE=\"line1\\nline2\\t\\$(x)\\\\\"\n";
        assert_eq!(rendered, expected);
    }

    #[test]
    fn render_shell_single_quotes_everything() {
        let shell = render_shell(&[("A", "it's"), ("B", ""), ("C", "$x")]);
        assert_eq!(shell, "export A='it'\\''s'\nexport B=''\nexport C='$x'\n");
    }

    #[test]
    #[should_panic(expected = "invalid variable name")]
    fn render_shell_refuses_names_that_could_inject_code() {
        let _ = render_shell(&[("A;rm -rf ~;B", "x")]);
    }

    #[test]
    #[should_panic(expected = "invalid variable name")]
    fn render_dotenv_refuses_invalid_names() {
        let _ = render_dotenv(&[("1A", "x")]);
    }

    #[test]
    fn render_shell_output_survives_eval_in_sh() {
        let values = [
            "it's",
            "'",
            "''\\''",
            "$(touch /tmp/vault-dotenv-pwned) `id` ${HOME} $HOME",
            "line1\nline2\n",
            "\n\n",
            "back\\slash\\",
            "\"double\" !bang %s -n",
            "  lead and trail  \t",
            "ünï 🔑 \u{feff}",
            "cr\r\nlf\r",
            "",
        ];
        let names: Vec<String> = (0..values.len()).map(|i| format!("V_{i}")).collect();
        let pairs: Vec<(&str, &str)> = names.iter().map(String::as_str).zip(values).collect();
        let path = std::env::temp_dir().join(format!("vault-dotenv-{}.sh", std::process::id()));
        std::fs::write(&path, render_shell(&pairs)).unwrap();
        // Mirrors `eval "$(vault export ...)"`, including command substitution's newline trimming.
        let printed: Vec<String> = names.iter().map(|n| format!("\"${n}\"")).collect();
        let script = format!(
            "eval \"$(cat \"$1\")\"; printf '%s\\0' {}",
            printed.join(" ")
        );
        let output = std::process::Command::new("sh")
            .args(["-c", &script, "sh"])
            .arg(&path)
            .output()
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(output.status.success());
        let expected: String = values.iter().flat_map(|v| [v, "\0"]).collect();
        assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
        assert!(!std::path::Path::new("/tmp/vault-dotenv-pwned").exists());
    }

    /// Characters that stress the grammar, mixed with arbitrary Unicode.
    fn nasty_char() -> impl Strategy<Value = char> {
        prop_oneof![
            any::<char>(),
            prop::sample::select(vec![
                '\'', '"', '`', '$', '(', '{', '#', '\\', '\n', '\r', ' ', '\t', '=', '\u{feff}',
                'n', 'é',
            ]),
        ]
    }

    fn value_strategy() -> impl Strategy<Value = String> {
        prop::collection::vec(nasty_char(), 0..24)
            .prop_map(|chars| chars.into_iter().filter(|&c| c != '\0').collect())
    }

    fn entries_strategy() -> impl Strategy<Value = Vec<(String, String)>> {
        prop::collection::vec(("[A-Za-z_][A-Za-z0-9_]{0,12}", value_strategy()), 0..8).prop_map(
            |mut pairs| {
                let mut seen = std::collections::HashSet::new();
                pairs.retain(|(name, _)| seen.insert(name.clone()));
                pairs
            },
        )
    }

    proptest! {
        #[test]
        fn render_dotenv_round_trips(pairs in entries_strategy()) {
            let borrowed: Vec<(&str, &str)> =
                pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            let parsed = parse(&render_dotenv(&borrowed)).unwrap();
            let got: Vec<(String, String)> =
                parsed.iter().map(|e| (e.name.clone(), e.value.to_string())).collect();
            prop_assert_eq!(got, pairs);
        }

        #[test]
        fn parse_never_panics_on_arbitrary_strings(input in any::<String>()) {
            let _ = parse(&input);
        }

        #[test]
        fn dotenv_like_soup_never_panics_and_round_trips(
            tokens in prop::collection::vec(prop::sample::select(vec![
                "A", "b1", "=", " ", "\t", "'", "\"", "\\", "\n", "\r\n", "\r", "#", "$", "(",
                "{", "`", "export ", "\u{feff}", "é", "\0",
            ]), 0..40)
        ) {
            // Whatever parses must also survive a render/parse round trip.
            if let Ok(entries) = parse(&tokens.concat()) {
                let pairs: Vec<(&str, &str)> =
                    entries.iter().map(|e| (e.name.as_str(), e.value.as_str())).collect();
                let again = parse(&render_dotenv(&pairs)).unwrap();
                prop_assert!(again.iter().map(|e| (e.name.as_str(), e.value.as_str())).eq(pairs));
            }
        }
    }
}
