//! Translating a template `pattern` (Rust `regex` syntax) into an equivalent Python `re` or
//! JavaScript `RegExp` (with the `u` flag), for the generated validators.
//!
//! Copying the pattern text would be wrong in subtle ways: Python's `$` also matches before
//! a trailing newline, `\d`, `\w`, `\s` and case folding differ in every engine, and each has
//! its own escapes. So the pattern is parsed with `regex_syntax`, the parser the `regex`
//! crate itself uses, with the same (default) flags `schema` compiles with, and the target
//! is written from the parsed form (HIR), in which case folding, `.`, `\d`, `\w` and friends
//! are already explicit sets of code points. Only constructs whose meaning the target can
//! express exactly are emitted; anything else is an error, never an approximation.
//!
//! Both targets are used for an unanchored search (`re.search`, `RegExp.test`), like
//! `Regex::is_match`. Whether a match exists does not depend on greediness or on which
//! engine backtracks, so the translation keeps the language of the pattern, which is all
//! a check needs.

use std::fmt::Write as _;
use std::sync::LazyLock;

use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// Which regex dialect to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Python's `re`, for a raw string literal `r"..."`.
    Python,
    /// ECMAScript `RegExp` with the `u` flag, for a literal `/.../u`.
    JavaScript,
}

/// Why a pattern cannot be translated exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Untranslatable {
    /// The pattern does not parse (the template parser would have refused it first).
    #[error("it does not parse: {0}")]
    Syntax(String),
    /// A construct with no exact equivalent in the target.
    #[error(
        "{0} has no exact equivalent in the generated validator; rewrite the pattern without it"
    )]
    Construct(&'static str),
}

/// The pattern `pattern`, as `dialect` source text (without delimiters or flags).
///
/// # Errors
/// [`Untranslatable`] when the pattern uses something the target cannot express exactly.
pub fn translate(pattern: &str, dialect: Dialect) -> Result<String, Untranslatable> {
    // The same flags `regex::RegexBuilder::new` uses: Unicode on, UTF-8 only, no case
    // folding, `^`/`$` at the ends of the value, `.` not matching `\n`.
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .map_err(|e| {
            // The error spans several lines (pattern, caret, message); keep the message.
            let text = e.to_string();
            let message = text.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
            Untranslatable::Syntax(message.trim_start_matches("error: ").to_owned())
        })?;
    let mut out = String::new();
    emit(&hir, dialect, &mut out)?;
    Ok(out)
}

/// Rust's Unicode `\w`, the class `\b` looks at.
static UNICODE_WORD: LazyLock<Vec<(u32, u32)>> = LazyLock::new(|| {
    let hir = regex_syntax::Parser::new()
        .parse(r"\w")
        .expect("\\w is a valid pattern");
    match hir.kind() {
        HirKind::Class(Class::Unicode(class)) => class
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
        _ => unreachable!("\\w parses to a Unicode class"),
    }
});

const ASCII_WORD: [(u32, u32); 4] = [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)];

fn emit(hir: &Hir, dialect: Dialect, out: &mut String) -> Result<(), Untranslatable> {
    match hir.kind() {
        HirKind::Empty => out.push_str("(?:)"),
        HirKind::Literal(literal) => {
            // The parser runs in UTF-8 mode, so a literal is always whole characters.
            let text = std::str::from_utf8(&literal.0)
                .map_err(|_| Untranslatable::Construct("a literal that is not UTF-8"))?;
            for c in text.chars() {
                push_char(u32::from(c), dialect, out);
            }
        }
        HirKind::Class(Class::Unicode(class)) => {
            let ranges: Vec<(u32, u32)> = class
                .ranges()
                .iter()
                .map(|r| (u32::from(r.start()), u32::from(r.end())))
                .collect();
            push_class(&ranges, dialect, out);
        }
        HirKind::Class(Class::Bytes(class)) => {
            // In UTF-8 mode the parser only allows byte classes within ASCII (`(?-u:\w)`),
            // where a byte and a character are the same thing.
            if class.ranges().iter().any(|r| r.end() > 0x7F) {
                return Err(Untranslatable::Construct("a class of non-ASCII bytes"));
            }
            let ranges: Vec<(u32, u32)> = class
                .ranges()
                .iter()
                .map(|r| (u32::from(r.start()), u32::from(r.end())))
                .collect();
            push_class(&ranges, dialect, out);
        }
        HirKind::Look(look) => push_look(*look, dialect, out)?,
        HirKind::Repetition(rep) => {
            out.push_str("(?:");
            emit(&rep.sub, dialect, out)?;
            out.push(')');
            match (rep.min, rep.max) {
                (0, None) => out.push('*'),
                (1, None) => out.push('+'),
                (0, Some(1)) => out.push('?'),
                (min, None) => {
                    let _ = write!(out, "{{{min},}}");
                }
                (min, Some(max)) if min == max => {
                    let _ = write!(out, "{{{min}}}");
                }
                (min, Some(max)) => {
                    let _ = write!(out, "{{{min},{max}}}");
                }
            }
            if !rep.greedy {
                out.push('?');
            }
        }
        // Capture groups would only number the matches; a check needs none.
        HirKind::Capture(capture) => {
            out.push_str("(?:");
            emit(&capture.sub, dialect, out)?;
            out.push(')');
        }
        HirKind::Concat(parts) => {
            for part in parts {
                emit(part, dialect, out)?;
            }
        }
        HirKind::Alternation(parts) => {
            out.push_str("(?:");
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                emit(part, dialect, out)?;
            }
            out.push(')');
        }
    }
    Ok(())
}

fn push_look(look: Look, dialect: Dialect, out: &mut String) -> Result<(), Untranslatable> {
    let python = dialect == Dialect::Python;
    // Python's `$` and `\Z` differ from Rust's `$`; `\Z` is Python's true end of input.
    // JavaScript has no such assertion outside multiline mode, so it is spelled as
    // "no character before / after".
    let text: String = match look {
        Look::Start if python => r"\A".into(),
        Look::End if python => r"\Z".into(),
        Look::Start => r"(?<![\s\S])".into(),
        Look::End => r"(?![\s\S])".into(),
        Look::StartLF => r"(?<![^\n])".into(),
        Look::EndLF => r"(?![^\n])".into(),
        Look::StartCRLF | Look::EndCRLF => {
            return Err(Untranslatable::Construct(
                "`^` or `$` in CRLF mode (`(?R)`)",
            ));
        }
        Look::WordAscii => boundary(&ASCII_WORD, dialect),
        Look::WordAsciiNegate => not_boundary(&ASCII_WORD, dialect),
        Look::WordUnicode => boundary(&UNICODE_WORD, dialect),
        Look::WordUnicodeNegate => not_boundary(&UNICODE_WORD, dialect),
        Look::WordStartAscii => format!(
            "{}{}",
            behind(&ASCII_WORD, false, dialect),
            ahead(&ASCII_WORD, true, dialect)
        ),
        Look::WordEndAscii => format!(
            "{}{}",
            behind(&ASCII_WORD, true, dialect),
            ahead(&ASCII_WORD, false, dialect)
        ),
        Look::WordStartUnicode => format!(
            "{}{}",
            behind(&UNICODE_WORD, false, dialect),
            ahead(&UNICODE_WORD, true, dialect)
        ),
        Look::WordEndUnicode => format!(
            "{}{}",
            behind(&UNICODE_WORD, true, dialect),
            ahead(&UNICODE_WORD, false, dialect)
        ),
        Look::WordStartHalfAscii => behind(&ASCII_WORD, false, dialect),
        Look::WordEndHalfAscii => ahead(&ASCII_WORD, false, dialect),
        Look::WordStartHalfUnicode => behind(&UNICODE_WORD, false, dialect),
        Look::WordEndHalfUnicode => ahead(&UNICODE_WORD, false, dialect),
    };
    out.push_str(&text);
    Ok(())
}

/// `(?<=W)` or `(?<!W)` for a word class `W`.
fn behind(word: &[(u32, u32)], positive: bool, dialect: Dialect) -> String {
    let mut out = String::from(if positive { "(?<=" } else { "(?<!" });
    push_class(word, dialect, &mut out);
    out.push(')');
    out
}

/// `(?=W)` or `(?!W)` for a word class `W`.
fn ahead(word: &[(u32, u32)], positive: bool, dialect: Dialect) -> String {
    let mut out = String::from(if positive { "(?=" } else { "(?!" });
    push_class(word, dialect, &mut out);
    out.push(')');
    out
}

/// `\b`: a word character on exactly one side.
fn boundary(word: &[(u32, u32)], dialect: Dialect) -> String {
    format!(
        "(?:{}{}|{}{})",
        behind(word, true, dialect),
        ahead(word, false, dialect),
        behind(word, false, dialect),
        ahead(word, true, dialect)
    )
}

/// `\B`: word characters on both sides or on neither.
fn not_boundary(word: &[(u32, u32)], dialect: Dialect) -> String {
    format!(
        "(?:{}{}|{}{})",
        behind(word, true, dialect),
        ahead(word, true, dialect),
        behind(word, false, dialect),
        ahead(word, false, dialect)
    )
}

/// A class of code-point ranges. An empty class matches nothing: `(?!)`.
fn push_class(ranges: &[(u32, u32)], dialect: Dialect, out: &mut String) {
    if ranges.is_empty() {
        out.push_str("(?!)");
        return;
    }
    out.push('[');
    for &(start, end) in ranges {
        push_char(start, dialect, out);
        if end != start {
            out.push('-');
            push_char(end, dialect, out);
        }
    }
    out.push(']');
}

/// One code point: ASCII letters and digits as they are, everything else escaped, so no
/// character is ever special to the target's regex syntax or to its string literal.
fn push_char(c: u32, dialect: Dialect, out: &mut String) {
    let plain = char::from_u32(c).filter(char::is_ascii_alphanumeric);
    if let Some(plain) = plain {
        out.push(plain);
        return;
    }
    let _ = match dialect {
        Dialect::Python if c <= 0xFF => write!(out, "\\x{c:02x}"),
        Dialect::Python if c <= 0xFFFF => write!(out, "\\u{c:04x}"),
        Dialect::Python => write!(out, "\\U{c:08x}"),
        Dialect::JavaScript => write!(out, "\\u{{{c:x}}}"),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_and_literals() {
        let py = |p| translate(p, Dialect::Python).expect("translates");
        let js = |p| translate(p, Dialect::JavaScript).expect("translates");
        assert_eq!(py("^sk_live_"), r"\Ask\x5flive\x5f");
        assert_eq!(js("^sk_live_"), r"(?<![\s\S])sk\u{5f}live\u{5f}");
        assert_eq!(py("a$"), r"a\Z");
        assert_eq!(py("(?m)^a$"), r"(?<![^\n])a(?![^\n])");
        assert_eq!(py("(?i)k"), r"[Kk\u212a]");
        assert_eq!(js("é+?"), r"(?:\u{e9})+?");
        assert_eq!(py("a{2,5}|b{3}|c{4,}"), "(?:(?:a){2,5}|(?:b){3}|(?:c){4,})");
        assert_eq!(py("(x)"), "(?:x)");
        assert!(py(r"\bx").starts_with("(?:(?<=["));
        assert!(matches!(
            translate("(?Rm)^a", Dialect::Python),
            Err(Untranslatable::Construct(_))
        ));
        assert!(matches!(
            translate("(", Dialect::Python),
            Err(Untranslatable::Syntax(_))
        ));
    }
}
