//! `--format dotenv-example`: a `.env.example` with a comment per secret and an empty
//! `NAME=` line, for tools and people that expect one.

use std::fmt::Write as _;

use super::{Options, required_text};
use crate::schema::{Format, Template};

pub(super) fn write(template: &Template, options: &Options, out: &mut String) {
    let _ = writeln!(
        out,
        "#\n# Every variable the application reads from its environment, without values. vault\n\
         # checks them (`vault check`); {} names the environment.",
        options.env_var
    );
    for spec in template.secrets() {
        out.push('\n');
        if let Some(description) = &spec.description {
            for line in description.lines() {
                let _ = writeln!(out, "# {}", line.replace('\r', " "));
            }
        }
        let mut facts = vec![format!("required in: {}", required_text(&spec.required))];
        if spec.format != Format::String {
            facts.push(format!("format: {}", spec.format));
        }
        if let Some(rule) = &spec.pattern {
            for (env, regex) in rule.per_env() {
                facts.push(format!("pattern in {env}: {}", regex.as_str()));
            }
            if let Some(regex) = rule.default_regex() {
                facts.push(format!("pattern: {}", regex.as_str()));
            }
        }
        if let Some(min) = spec.min_length {
            facts.push(format!("min length: {min}"));
        }
        // A pattern may hold a line break; a comment must stay one line for every parser.
        let facts = facts.join("; ").replace('\n', "\\n").replace('\r', "\\r");
        let _ = writeln!(out, "# {facts}");
        let _ = writeln!(out, "{}=", spec.name);
    }
}
