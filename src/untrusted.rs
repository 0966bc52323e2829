//! Text from files anyone with push access can write (`secrets/<env>.recipients`, tree
//! paths in history, a roster line that does not parse), made safe to print.
//!
//! Such text must never reach a terminal raw: an escape sequence could rewrite what the
//! reader sees (hide a line, recolour a warning, retitle the window), and a bidi override
//! could make a key read differently from what it is. Pure functions, no I/O.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every character a terminal could act on written as `\u{…}` (and `\` as
/// `\\`, so the escaped form cannot be forged): C0 and C1 controls, DEL, bidirectional
/// overrides and isolates, zero-width characters and line or paragraph separators.
/// Ordinary text, including non-ASCII letters, comes back borrowed and unchanged.
///
/// ```
/// use vault::untrusted::escape;
/// assert_eq!(escape("age1abc"), "age1abc");
/// assert_eq!(escape("a\x1b[31mb"), "a\\u{1b}[31mb");
/// ```
#[must_use]
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if needs_escape(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Multi-line prose that may quote untrusted text (an error citing a line of `.vault.toml`,
/// a path from history), made safe for a terminal: like [`escape`], but newlines and tabs
/// stay as they are and `\` is not doubled, so messages and regexes read normally.
///
/// ```
/// use vault::untrusted::sanitize;
/// assert_eq!(sanitize("line 1\n  `^a\\d` \x1b[2J"), "line 1\n  `^a\\d` \\u{1b}[2J");
/// ```
#[must_use]
pub fn sanitize(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c != '\\' && c != '\n' && c != '\t' && needs_escape(c);
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// At most `head` characters from the start and `tail` from the end of `text`, joined by
/// `…`, each part escaped. Counts characters, never bytes, so no input can split one (a
/// byte slice through a multi-byte character panics).
///
/// ```
/// use vault::untrusted::shorten;
/// assert_eq!(shorten("abcdefghij", 3, 2), "abc…ij");
/// assert_eq!(shorten("short", 3, 2), "short");
/// ```
#[must_use]
pub fn shorten(text: &str, head: usize, tail: usize) -> String {
    let count = text.chars().count();
    if count <= head + tail + 2 {
        return escape(text).into_owned();
    }
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(count - tail).collect();
    format!("{}…{}", escape(&start), escape(&end))
}

fn needs_escape(c: char) -> bool {
    c == '\\'
        || c.is_control()
        || matches!(
            c,
            // Zero-width space, non-joiner, joiner, word joiner and BOM: invisible text.
            '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}'
            // Left-to-right and right-to-left marks, embeddings, overrides and isolates.
            | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
            // Line and paragraph separators: a line break a terminal may honour.
            | '\u{2028}' | '\u{2029}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn controls_and_bidi_are_escaped() {
        assert_eq!(escape("a\nb\tc\r"), "a\\u{a}b\\u{9}c\\u{d}");
        assert_eq!(
            escape("x\u{202e}y\u{7f}\u{9b}"),
            "x\\u{202e}y\\u{7f}\\u{9b}"
        );
        assert_eq!(escape("back\\slash"), "back\\\\slash");
        assert!(matches!(escape("clé-ålpha"), Cow::Borrowed("clé-ålpha")));
    }

    #[test]
    fn sanitize_keeps_layout_and_backslashes() {
        assert_eq!(sanitize("a\n\tb \\d"), "a\n\tb \\d");
        assert_eq!(sanitize("x\r\u{1b}]0;t\u{7}"), "x\\u{d}\\u{1b}]0;t\\u{7}");
    }

    #[test]
    fn shorten_counts_characters() {
        let key = format!("age1{}", "é".repeat(30));
        let short = shorten(&key, 12, 6);
        assert_eq!(short, format!("age1{}…{}", "é".repeat(8), "é".repeat(6)));
        assert_eq!(shorten("age1qqqq", 12, 6), "age1qqqq");
    }

    proptest! {
        #[test]
        fn escaped_text_holds_no_terminal_controls(text in any::<String>(), head in 0usize..20, tail in 0usize..20) {
            for out in [escape(&text).into_owned(), shorten(&text, head, tail)] {
                prop_assert!(!out.chars().any(|c| c != '\\' && needs_escape(c)), "{out:?}");
            }
            let prose = sanitize(&text);
            prop_assert!(!prose.chars().any(|c| !matches!(c, '\\' | '\n' | '\t') && needs_escape(c)), "{prose:?}");
        }
    }
}
