//! The example application's template, `.secrets.example.toml` at the repository's root
//! (issue 14, item 13): it parses, `vault init` starts every vault with it, and the
//! templates the docs show and `vault demo` uses agree with it, secret by secret.

use std::path::{Path, PathBuf};

use vault::schema::{SecretSpec, Template};

use crate::support::*;

/// The environments whose patterns are compared (`qa` stands for any other).
const ENVS: [&str; 4] = ["dev", "staging", "prod", "qa"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shipped() -> (String, Template) {
    let text = std::fs::read_to_string(root().join(".secrets.example.toml")).unwrap();
    let template = Template::parse(&text)
        .unwrap_or_else(|e| panic!("the shipped .secrets.example.toml does not parse: {e}"));
    (text, template)
}

/// Everything a secret's declaration says, patterns resolved per environment.
fn rules(spec: &SecretSpec) -> String {
    let patterns: Vec<String> = ENVS
        .iter()
        .map(|env| {
            let pattern = spec.pattern.as_ref().and_then(|p| p.for_env(env));
            format!("{env}={:?}", pattern.map(regex::Regex::as_str))
        })
        .collect();
    format!(
        "description={:?} required={:?} format={} pattern=[{}] rotate_days={:?} min_length={:?}",
        spec.description,
        spec.required,
        spec.format,
        patterns.join(" "),
        spec.rotate_days,
        spec.min_length
    )
}

/// Asserts every secret of `shown` is declared in the shipped template with the same rules.
fn assert_agrees(shown: &Template, shipped: &Template, place: &str) {
    for spec in shown.secrets() {
        let Some(declared) = shipped.get(&spec.name) else {
            panic!(
                "{place} shows `{}`, which .secrets.example.toml does not declare",
                spec.name
            );
        };
        assert_eq!(
            rules(spec),
            rules(declared),
            "{place}: `{}` differs from .secrets.example.toml",
            spec.name
        );
    }
}

/// The ```toml blocks of a Markdown file that hold a template (a `[SECRET_NAME]` table).
fn template_blocks(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (n, line) in text.lines().enumerate() {
        match &mut current {
            None if line.trim_start() == "```toml" => current = Some((n + 2, String::new())),
            Some(_) if line.trim_start() == "```" => {
                let (start, block) = current.take().unwrap();
                let is_template = block.lines().any(|l| {
                    l.strip_prefix('[')
                        .and_then(|l| l.strip_suffix(']'))
                        .is_some_and(|name| {
                            !name.is_empty()
                                && name.chars().all(|c| {
                                    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'
                                })
                        })
                });
                if is_template {
                    blocks.push((start, block));
                }
            }
            Some((_, block)) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

#[test]
fn issue_14_the_shipped_template_parses_and_is_what_init_writes() {
    let (text, template) = shipped();
    assert!(template.secrets().count() >= 8);
    for spec in template.secrets() {
        assert!(
            spec.description.is_some(),
            "`{}` has no description",
            spec.name
        );
    }
    assert!(
        template
            .secrets()
            .any(|s| s.format != vault::schema::Format::String)
    );
    assert!(template.secrets().any(|s| s.rotate_days.is_some()));
    assert!(
        template.secrets().any(|s| s
            .pattern
            .as_ref()
            .is_some_and(|p| p.for_env("prod").map(regex::Regex::as_str)
                != p.for_env("dev").map(regex::Regex::as_str))),
        "no per-environment pattern"
    );
    assert_eq!(Template::example(), text);

    let repo = TestRepo::new();
    let alice = repo.key("alice");
    repo.vault(&alice)
        .args(["init", "--name", "alice", "--env", "dev,staging,prod"])
        .assert()
        .success();
    assert_eq!(repo.read_text(".secrets.example.toml"), text);
}

#[test]
fn issue_14_the_docs_templates_agree_with_the_shipped_one() {
    let (_, shipped) = shipped();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.push(root().join("README.md"));
    pages.sort();
    let mut checked = 0;
    for page in &pages {
        for (line, block) in template_blocks(page) {
            let place = format!("{}:{line}", page.strip_prefix(root()).unwrap().display());
            let shown = Template::parse(&block)
                .unwrap_or_else(|e| panic!("{place}: the template does not parse: {e}"));
            assert_agrees(&shown, &shipped, &place);
            checked += shown.secrets().count();
        }
    }
    assert!(
        checked >= 8,
        "only {checked} secrets found in the docs' templates"
    );
}

#[test]
fn issue_14_the_demo_uses_the_shipped_template() {
    let (_, shipped) = shipped();
    let repo = TestRepo::new();
    let out = repo
        .bare_vault()
        .args(["demo", "--keep"])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    let kept = text
        .lines()
        .find_map(|l| l.strip_prefix("The demo repository was kept at "))
        .unwrap_or_else(|| panic!("{text}"))
        .trim()
        .to_owned();
    let app = PathBuf::from(&kept);
    let demo = std::fs::read_to_string(app.join(".secrets.example.toml")).unwrap();
    std::fs::remove_dir_all(app.parent().unwrap()).unwrap();
    let demo = Template::parse(&demo).unwrap();
    let names: Vec<&str> = demo.secrets().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["DATABASE_URL", "STRIPE_SECRET_KEY"]);
    assert_agrees(&demo, &shipped, "vault demo");
    // The demo shows the per-environment pattern at work.
    assert!(
        text.contains("does not match the pattern `^sk_live_` required in `prod`"),
        "{text}"
    );
}
