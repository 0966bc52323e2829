//! `vault render`: filling `{{ NAME }}` placeholders of a configuration file with secret
//! values. Pure functions over bytes: no filesystem access, no other template language,
//! nothing evaluated.
//!
//! The syntax, all of it:
//! - `{{ NAME }}` is replaced by the value of the secret `NAME`; the spaces (or tabs)
//!   inside the braces are optional, so `{{NAME}}` works too. `NAME` follows the rules
//!   for secret names.
//! - `{{{{` is a literal `{{`. Nothing else needs escaping: a lone `}}` is kept as is.
//! - A brace right before a placeholder is kept (`{{{ NAME }}}` gives `{value}`), so
//!   JSON-like text works without escapes.
//! - Any other `{{` is an error, so a typo (`{{ DATABASE-URL }}`, `{{ DB }`) is reported
//!   instead of reaching the file unfilled.
//!
//! Values are inserted byte for byte, without quoting: the template decides where a value
//! goes and how it is quoted.

use zeroize::Zeroizing;

/// What is wrong with one placeholder. Never holds a value, nor template text beyond a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// `{{` that does not start a placeholder.
    Malformed,
    /// A name that is not a secret of the environment.
    Unknown(String),
}

/// One bad placeholder and where it is (1-based line and column, in bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The line.
    pub line: usize,
    /// The column of its `{{`.
    pub column: usize,
    /// What is wrong.
    pub kind: ProblemKind,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, column {}: ", self.line, self.column)?;
        match &self.kind {
            ProblemKind::Malformed => f.write_str(
                "`{{` does not start a placeholder `{{ NAME }}` (write `{{{{` for a literal `{{`)",
            ),
            ProblemKind::Unknown(name) => write!(f, "`{name}` is not a secret of this environment"),
        }
    }
}

/// A piece of a parsed template.
enum Piece<'t> {
    Text(&'t [u8]),
    /// A name and the index of its `{{`.
    Name(&'t str, usize),
}

/// Splits `template` into text and placeholders, or reports every malformed `{{`.
fn parse(template: &[u8]) -> Result<Vec<Piece<'_>>, Vec<Problem>> {
    let mut pieces = Vec::new();
    let mut problems = Vec::new();
    let (mut i, mut text_start) = (0, 0);
    while i < template.len() {
        if !template[i..].starts_with(b"{{") {
            i += 1;
            continue;
        }
        if template[i..].starts_with(b"{{{{") {
            pieces.push(Piece::Text(&template[text_start..i]));
            pieces.push(Piece::Text(b"{{"));
            i += 4;
            text_start = i;
            continue;
        }
        if template.get(i + 2) == Some(&b'{') {
            // `{{{ NAME }}}`: the first brace is text, the placeholder starts at the next.
            i += 1;
            continue;
        }
        if let Some((name, end)) = placeholder(template, i) {
            pieces.push(Piece::Text(&template[text_start..i]));
            pieces.push(Piece::Name(name, i));
            i = end;
            text_start = i;
        } else {
            problems.push(position(template, i, ProblemKind::Malformed));
            i += 2;
        }
    }
    pieces.push(Piece::Text(&template[text_start..]));
    if problems.is_empty() {
        Ok(pieces)
    } else {
        Err(problems)
    }
}

/// The placeholder whose `{{` is at `start`: its name and the index after its `}}`.
fn placeholder(template: &[u8], start: usize) -> Option<(&str, usize)> {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let mut i = start + 2;
    while template.get(i).is_some_and(blank) {
        i += 1;
    }
    let name_start = i;
    while template
        .get(i)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
    {
        i += 1;
    }
    let name = std::str::from_utf8(&template[name_start..i]).ok()?;
    if !crate::names::is_secret_name(name) {
        return None;
    }
    while template.get(i).is_some_and(blank) {
        i += 1;
    }
    template[i..].starts_with(b"}}").then_some((name, i + 2))
}

fn position(template: &[u8], index: usize, kind: ProblemKind) -> Problem {
    let before = &template[..index];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    Problem {
        line,
        column: index - line_start + 1,
        kind,
    }
}

/// The names `template` uses, in order of first use (for `--check`-style listings and
/// tests).
///
/// # Errors
/// Every malformed `{{`.
pub fn names(template: &[u8]) -> Result<Vec<String>, Vec<Problem>> {
    let mut names: Vec<String> = Vec::new();
    for piece in parse(template)? {
        if let Piece::Name(name, _) = piece
            && !names.iter().any(|n| n == name)
        {
            names.push(name.to_owned());
        }
    }
    Ok(names)
}

/// Fills `template` with values from `lookup` (a secret's value by name, `None` for a
/// name the environment does not have). Nothing is produced unless every placeholder is
/// well formed and known.
///
/// # Errors
/// Every problem in the template, in order: malformed placeholders first (the template
/// cannot be read further), else every unknown name at each place it is used.
pub fn fill<'v>(
    template: &[u8],
    lookup: impl Fn(&str) -> Option<&'v str>,
) -> Result<Zeroizing<Vec<u8>>, Vec<Problem>> {
    let pieces = parse(template)?;
    let mut problems = Vec::new();
    let mut size = 0;
    for piece in &pieces {
        match piece {
            Piece::Text(text) => size += text.len(),
            Piece::Name(name, at) => match lookup(name) {
                Some(value) => size += value.len(),
                None => problems.push(position(
                    template,
                    *at,
                    ProblemKind::Unknown((*name).to_owned()),
                )),
            },
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // Sized up front: a reallocation would leave an unzeroized copy of values behind.
    let mut out = Zeroizing::new(Vec::with_capacity(size));
    for piece in &pieces {
        match piece {
            Piece::Text(text) => out.extend_from_slice(text),
            Piece::Name(name, _) => {
                out.extend_from_slice(lookup(name).unwrap_or_default().as_bytes());
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values(name: &str) -> Option<&'static str> {
        match name {
            "A" => Some("alpha"),
            "DB_URL" => Some("postgres://u:p@h/db"),
            "EMPTY" => Some(""),
            "BRACES" => Some("{{ A }}"),
            _ => None,
        }
    }

    fn render(template: &str) -> Result<String, Vec<Problem>> {
        fill(template.as_bytes(), values).map(|out| String::from_utf8(out.to_vec()).unwrap())
    }

    #[test]
    fn placeholders_with_and_without_spaces() {
        assert_eq!(
            render("url = \"{{ DB_URL }}\"\na={{A}} b={{\tA  }}\n").unwrap(),
            "url = \"postgres://u:p@h/db\"\na=alpha b=alpha\n"
        );
        assert_eq!(render("[{{EMPTY}}]").unwrap(), "[]");
        assert_eq!(
            render("no placeholders } {} }}").unwrap(),
            "no placeholders } {} }}"
        );
    }

    #[test]
    fn values_are_not_rendered_again() {
        assert_eq!(render("{{ BRACES }}").unwrap(), "{{ A }}");
    }

    #[test]
    fn literal_braces() {
        assert_eq!(render("{{{{ A }}").unwrap(), "{{ A }}");
        assert_eq!(render("{\"a\": {{{ A }}}}").unwrap(), "{\"a\": {alpha}}");
        assert_eq!(render("x{{{{").unwrap(), "x{{");
    }

    #[test]
    fn every_malformed_placeholder_is_reported() {
        let problems = render("ok {{ A }}\n  {{ DATABASE-URL }} {{ A }\n{{").unwrap_err();
        assert_eq!(
            problems
                .iter()
                .map(|p| (p.line, p.column, p.kind.clone()))
                .collect::<Vec<_>>(),
            [
                (2, 3, ProblemKind::Malformed),
                (2, 22, ProblemKind::Malformed),
                (3, 1, ProblemKind::Malformed),
            ]
        );
        assert!(
            problems[0]
                .to_string()
                .contains("write `{{{{` for a literal `{{`")
        );
    }

    #[test]
    fn every_unknown_name_is_reported_where_it_is_used() {
        let problems = render("{{ NOPE }} {{ A }}\n{{ ALSO_NOPE }} {{NOPE}}").unwrap_err();
        assert_eq!(
            problems
                .iter()
                .map(|p| (p.line, p.column, p.kind.clone()))
                .collect::<Vec<_>>(),
            [
                (1, 1, ProblemKind::Unknown("NOPE".into())),
                (2, 1, ProblemKind::Unknown("ALSO_NOPE".into())),
                (2, 17, ProblemKind::Unknown("NOPE".into())),
            ]
        );
        assert_eq!(
            problems[0].to_string(),
            "line 1, column 1: `NOPE` is not a secret of this environment"
        );
    }

    #[test]
    fn names_in_order_of_use() {
        assert_eq!(names(b"{{ B }}{{A}}{{ B }}").unwrap(), ["B", "A"]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Text without `{{` passes through unchanged, and a placeholder between two such
        /// texts becomes exactly the value.
        #[test]
        fn text_around_placeholders_is_kept(
            before in "[^{]*(\\{[^{]+)*",
            after in "[^{]*",
            value in any::<String>(),
        ) {
            let template = format!("{before}{{{{ V }}}}{after}");
            let out = fill(template.as_bytes(), |n| (n == "V").then_some(value.as_str())).unwrap();
            let expected = format!("{before}{value}{after}");
            prop_assert_eq!(&out[..], expected.as_bytes());
        }
    }
}
