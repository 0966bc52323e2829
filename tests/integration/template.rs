//! `vault template export` / `import` and the validators they generate, run for real:
//! Pydantic (from PyPI, in target/ci-venv) and zod / joi (from npm, in
//! tests/interop/validators), all installed by `.ci/run`.
//!
//! The equivalence tests generate templates and values, ask vault's own checks
//! (`Template::validate`, `Format::check`) for a verdict, and run every generated validator
//! on the same values in one process per language per batch. Outside CI a missing tool
//! skips those tests with a notice; under `CI` it fails them.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use vault::codegen::{self, Options, Target};
use vault::schema::{Format, Template};

use crate::support::{TestRepo, stderr, stdout};

fn validators_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/validators")
}

fn venv_bin(tool: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/ci-venv/bin")
        .join(tool)
}

/// Fails under CI (where `.ci/run` installs everything), else prints why the test skips.
fn unavailable(what: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must install {what} (.ci/run does)"
    );
    eprintln!("skipped: {what} is not installed (run .ci/run once to install it)");
}

/// The project venv's Python with pydantic-settings, and ruff.
fn python() -> Option<PathBuf> {
    let python = venv_bin("python3");
    let ready = Command::new(&python)
        .args(["-c", "import pydantic_settings"])
        .output()
        .is_ok_and(|o| o.status.success())
        && venv_bin("ruff").is_file();
    if ready {
        return Some(python);
    }
    unavailable("pydantic, pydantic-settings and ruff (PyPI, in target/ci-venv)");
    None
}

/// Whether node and the npm packages in tests/interop/validators are there.
fn node() -> bool {
    let modules = validators_dir().join("node_modules");
    let ready = ["zod", "joi", "typescript", "@types/node"]
        .iter()
        .all(|m| modules.join(m).is_dir())
        && Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !ready {
        unavailable("node with zod, joi and typescript (npm ci in tests/interop/validators)");
    }
    ready
}

/// Runs `program args` with `input` on stdin and returns its stdout as JSON.
fn run_json(mut command: Command, input: &serde_json::Value) -> serde_json::Value {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let body = serde_json::to_vec(input).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&body));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        output.status.success(),
        "{:?} failed: {}",
        command.get_program(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn node_command() -> Command {
    let mut command = Command::new("node");
    command
        .arg(validators_dir().join("harness.cjs"))
        .env("NODE_PATH", validators_dir().join("node_modules"));
    command
}

// ---------------------------------------------------------------------------------------
// Values: per format, near the edges of what vault accepts, and arbitrary text.

/// Characters where engines disagree: case folding (K, ſ, ß, İ), Unicode digits and
/// whitespace that `\s`/`isspace` treat differently (U+001F, U+0085, U+FEFF), newlines.
const ALPHABET: &[char] = &[
    'a', 'b', 'c', 'k', 'K', '\u{212A}', 's', 'S', 'ſ', 'ß', 'é', 'É', 'İ', 'ı', '0', '1', '9',
    '٣', '_', '-', '.', ' ', '\n', '\r', '\t', '\u{a0}', '\u{2028}', '\u{1f}', '\u{85}',
    '\u{feff}', '\u{3000}', '@', ':', '/', '=', '+', '"', '\\', '{', '}', '[', ']', 'α', 'Ω', '😀',
    'x', 'z', 'Z', '$', '^',
];

fn text(max: usize) -> BoxedStrategy<String> {
    proptest::collection::vec(proptest::sample::select(ALPHABET), 0..=max)
        .prop_map(|chars| chars.into_iter().collect())
        .boxed()
}

fn pick(options: &'static [&'static str]) -> BoxedStrategy<String> {
    proptest::sample::select(options)
        .prop_map(str::to_owned)
        .boxed()
}

fn digits(max: usize) -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[0-9]{0,6}",
        1 => proptest::string::string_regex(&format!("0{{0,30}}[0-9]{{0,{max}}}")).unwrap(),
        1 => "[0-9٣]{1,4}",
    ]
    .boxed()
}

fn url_value() -> BoxedStrategy<String> {
    let scheme = pick(&[
        "http", "postgres", "git+ssh", "a.b-c", "H", "1http", "", "h_t", "é", "ht tp",
    ]);
    let sep = pick(&["://", "://", ":/", "", ":///"]);
    (scheme, sep, text(6))
        .prop_map(|(a, b, c)| a + &b + &c)
        .boxed()
}

fn int_value() -> BoxedStrategy<String> {
    let sign = pick(&["", "", "+", "-", "++", "-+"]);
    let edge = pick(&[
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "00009223372036854775807",
        "-0",
        "1_000",
        " 1",
        "1\n",
        "0x10",
    ]);
    prop_oneof![(sign, digits(22)).prop_map(|(s, d)| s + &d), edge].boxed()
}

fn bool_value() -> BoxedStrategy<String> {
    let word = pick(&["true", "false", "yes", "no", "1", "0", "on", "y", ""]);
    let variant = (word, proptest::collection::vec(any::<bool>(), 5)).prop_map(|(w, upper)| {
        w.chars()
            .zip(upper.iter().cycle())
            .map(|(c, &u)| if u { c.to_ascii_uppercase() } else { c })
            .collect::<String>()
    });
    let lookalike = pick(&["yeſ", "\u{212A}", "TRUE ", "tRuE", "İ", "nO", "fal\u{17f}e"]);
    prop_oneof![3 => variant, 1 => lookalike].boxed()
}

fn port_value() -> BoxedStrategy<String> {
    let edge = pick(&[
        "0",
        "1",
        "65535",
        "65536",
        "0065535",
        "00000000000000000000080",
        "+80",
        "-1",
        "80 ",
        "٣",
    ]);
    prop_oneof![digits(7), edge].boxed()
}

fn email_value() -> BoxedStrategy<String> {
    let local = pick(&["a", "first.last+tag", "", "a b", "é", "a@b"]);
    let at = pick(&["@", "@", "", "@@"]);
    let domain = pick(&[
        "b.co",
        "example.com",
        "bco",
        ".co",
        "b.",
        "b..co",
        "b.c\u{a0}",
        "b.c\u{1f}",
        "x.y.z",
    ]);
    prop_oneof![
        3 => (local, at, domain).prop_map(|(a, b, c)| a + &b + &c),
        1 => text(8),
    ]
    .boxed()
}

fn pem_value() -> BoxedStrategy<String> {
    let label = pick(&["K", "A B", "", "K\n", "KEY", "é"]);
    // `=`: the BEGIN line's label again, the usual case.
    let end_label = pick(&["=", "=", "=", "K", "KEY", "", "K-"]);
    let filler = text(4);
    (filler, label, end_label, any::<bool>())
        .prop_map(|(f, l, e, end)| {
            let e = if e == "=" { l.clone() } else { e };
            let end = if end {
                format!("\n-----END {e}-----")
            } else {
                String::new()
            };
            format!("{f}-----BEGIN {l}-----\nMIIB{end}")
        })
        .boxed()
}

/// JSON from tokens, so that most values are near-misses: bad escapes, lone
/// surrogates, NaN, trailing commas, control characters, numbers of every shape.
fn json_value() -> BoxedStrategy<String> {
    const TOKENS: &[&str] = &[
        "[",
        "]",
        "{",
        "}",
        "\"",
        "\"a\"",
        ":",
        ",",
        "1",
        "0",
        "-",
        ".",
        "e",
        "E",
        "+",
        "01",
        "1.5e3",
        "-0.0",
        "1e400",
        "true",
        "nul",
        "null",
        "false",
        " ",
        "\n",
        "\t",
        "\u{1f}",
        "\u{feff}",
        "\"\\ud800\"",
        "\"\\u12\"",
        "\"\\uD83D\\uDE00\"",
        "\"\\q\"",
        "\"\\/\"",
        "NaN",
        "Infinity",
        "\"é\"",
        "\u{a0}",
    ];
    let tokens =
        proptest::collection::vec(proptest::sample::select(TOKENS), 0..10).prop_map(|t| t.concat());
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        text(4).prop_map(serde_json::Value::from),
    ];
    let structured = leaf
        .prop_recursive(4, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                proptest::collection::btree_map(text(3), inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
        .prop_map(|v| v.to_string());
    let deep = (1usize..300).prop_map(|n| format!("{}{}", "[".repeat(n), "]".repeat(n)));
    prop_oneof![4 => tokens, 2 => structured, 1 => deep].boxed()
}

fn base64_value() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[A-Za-z0-9+/_=-]{0,9}",
        2 => "[A-Za-z0-9+/]{0,8}={0,3}",
        1 => text(6),
    ]
    .boxed()
}

fn value_for(format: Format) -> BoxedStrategy<String> {
    let shaped = match format {
        Format::Url => url_value(),
        Format::Int => int_value(),
        Format::Bool => bool_value(),
        Format::Port => port_value(),
        Format::Email => email_value(),
        Format::Pem => pem_value(),
        Format::Json => json_value(),
        Format::Base64 => base64_value(),
        Format::String => text(8),
    };
    prop_oneof![3 => shaped, 1 => text(8)].boxed()
}

// ---------------------------------------------------------------------------------------
// Templates: formats, requiredness, patterns (anchors, classes, case folding, word
// boundaries, repetitions), lengths.

fn pattern() -> BoxedStrategy<String> {
    let atom = pick(&[
        "a",
        "k",
        "s",
        "é",
        "0",
        "_",
        "-",
        "\\.",
        "\\$",
        "\\n",
        " ",
        "😀",
        ".",
        "\\d",
        "\\w",
        "\\s",
        "\\D",
        "\\W",
        "\\S",
        "[a-z]",
        "[^a-z0-9]",
        "[[:alpha:]]",
        "\\pL",
        "\\p{Greek}",
        "[é-ü]",
        "(?i:k)",
        "(?i:ss)",
        "(?i:[a-c])",
        "(?i:é)",
        "(?-u:\\w)",
        "(?-u:\\s)",
        "\\x{212A}",
        "[\\d_]",
        "(?s:.)",
        "[^\\n]",
        "[^\\s\\S]",
        "[a-c&&b-d]",
        "[[:^digit:]]",
        "(?i:ǅ)",
    ]);
    let assertion = pick(&[
        "^",
        "$",
        "(?m:^)",
        "(?m:$)",
        "\\b",
        "\\B",
        "\\b{start}",
        "\\b{end}",
        "(?-u:\\b)",
        "\\A",
        "\\z",
        "\\<",
        "\\>",
    ]);
    let piece = prop_oneof![3 => atom, 1 => assertion];
    piece
        .prop_recursive(3, 12, 4, |inner| {
            let suffix = pick(&["*", "+", "?", "{2}", "{1,3}", "{2,}", "*?", "??", "{0,2}?"]);
            prop_oneof![
                proptest::collection::vec(inner.clone(), 1..4).prop_map(|p| p.concat()),
                proptest::collection::vec(inner.clone(), 2..4)
                    .prop_map(|p| format!("(?:{})", p.join("|"))),
                (inner.clone(), suffix).prop_map(|(p, s)| format!("(?:{p}){s}")),
                inner.prop_map(|p| format!("({p})")),
            ]
        })
        .boxed()
}

#[derive(Debug, Clone)]
struct SecretGen {
    name: &'static str,
    description: Option<String>,
    required: Option<Vec<&'static str>>,
    format: Format,
    patterns: Vec<(&'static str, String)>,
    min_length: Option<u8>,
}

const ENVS: [&str; 3] = ["dev", "staging", "prod"];

fn secret(name: &'static str) -> impl Strategy<Value = SecretGen> {
    let required = prop_oneof![
        2 => Just(None),
        1 => proptest::sample::subsequence(ENVS.to_vec(), 0..=2).prop_map(Some),
    ];
    let patterns = proptest::collection::vec(
        (
            proptest::sample::select(vec!["*", "dev", "prod"]),
            pattern(),
        ),
        0..=2,
    );
    let min_length = proptest::option::weighted(0.3, 0u8..6);
    let description = proptest::option::of(text(12));
    (
        description,
        required,
        proptest::sample::select(Format::ALL.to_vec()),
        patterns,
        min_length,
    )
        .prop_map(
            move |(description, required, format, mut patterns, min_length)| {
                patterns.sort_by_key(|(env, _)| *env);
                patterns.dedup_by_key(|(env, _)| *env);
                SecretGen {
                    name,
                    description,
                    required,
                    format,
                    patterns,
                    min_length,
                }
            },
        )
}

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn render(secrets: &[SecretGen]) -> String {
    let mut text = String::new();
    for s in secrets {
        text.push_str(&format!("[{}]\n", s.name));
        if let Some(d) = &s.description {
            text.push_str(&format!("description = {}\n", toml_string(d)));
        }
        if let Some(envs) = &s.required {
            let envs: Vec<String> = envs.iter().map(|e| toml_string(e)).collect();
            text.push_str(&format!("required = [{}]\n", envs.join(", ")));
        }
        text.push_str(&format!("format = \"{}\"\n", s.format));
        if !s.patterns.is_empty() {
            let items: Vec<String> = s
                .patterns
                .iter()
                .map(|(env, p)| format!("\"{env}\" = {}", toml_string(p)))
                .collect();
            text.push_str(&format!("pattern = {{ {} }}\n", items.join(", ")));
        }
        if let Some(min) = s.min_length {
            text.push_str(&format!("min_length = {min}\n"));
        }
    }
    text
}

/// Secret names chosen to collide with Python keywords, pydantic's attributes and
/// JavaScript's object members.
const NAMES: [&str; 6] = [
    "S_ONE",
    "class",
    "json",
    "constructor",
    "_private",
    "model_config",
];

/// One generated template that vault accepts, with cases: an environment (or none) and
/// values for some of its secrets.
struct CaseSet {
    text: String,
    template: Template,
    cases: Vec<(Option<String>, BTreeMap<String, String>)>,
}

fn case_sets(count: usize, cases_each: usize) -> Vec<CaseSet> {
    let mut runner = TestRunner::new(Config::default());
    let secrets = (1usize..=4).prop_flat_map(|n| {
        NAMES[..n]
            .iter()
            .map(|name| secret(name).boxed())
            .collect::<Vec<_>>()
    });
    let mut sets = Vec::new();
    while sets.len() < count {
        let generated = secrets.new_tree(&mut runner).unwrap().current();
        let text = render(&generated);
        // Patterns over vault's size bounds are refused by vault itself: not a case.
        let Ok(template) = Template::parse(&text) else {
            continue;
        };
        let env = prop_oneof![
            Just(None),
            proptest::sample::select(vec!["dev", "staging", "prod", "qa"])
                .prop_map(|e| Some(e.to_owned())),
        ];
        // Eight candidates per secret: half the cases take the first that vault accepts
        // (so that whole cases pass often), the others the first, whatever it is.
        let values: Vec<_> = generated
            .iter()
            .map(|s| {
                let name = s.name.to_owned();
                proptest::option::weighted(0.85, proptest::collection::vec(value_for(s.format), 8))
                    .prop_map(move |v| (name.clone(), v))
            })
            .collect();
        let case = (env, any::<bool>(), values).prop_map(|(env, prefer_valid, values)| {
            let values = values
                .into_iter()
                .filter_map(|(name, candidates)| {
                    let candidates: Vec<String> = candidates?
                        .into_iter()
                        .filter(|v| !v.contains('\0'))
                        .collect();
                    let spec = template.get(&name).expect("generated from the template");
                    let check_env = env.as_deref().unwrap_or("unnamed-environment");
                    let valid = candidates
                        .iter()
                        .find(|v| spec.check(check_env, v).is_empty());
                    let chosen = if prefer_valid { valid } else { None };
                    chosen.or(candidates.first()).map(|v| (name, v.clone()))
                })
                .collect();
            (env, values)
        });
        let cases = (0..cases_each)
            .map(|_| case.new_tree(&mut runner).unwrap().current())
            .collect();
        sets.push(CaseSet {
            text,
            template,
            cases,
        });
    }
    sets
}

/// vault's verdict: the values pass the template in `env`. Without an environment the
/// validators apply only what every environment requires and the `"*"` patterns, which
/// is what vault does for an environment the template never names.
fn vault_accepts(
    template: &Template,
    env: Option<&str>,
    values: &BTreeMap<String, String>,
) -> bool {
    let env = env.unwrap_or("unnamed-environment");
    template
        .validate(env, values.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        .iter()
        .all(|v| v.is_warning())
}

/// Generates each case set's validator for `target` in `dir` and runs all of them in one
/// process; panics on the first case where the validator and vault disagree.
fn assert_equivalent(sets: &[CaseSet], target: Target, dir: &Path, command: Command) -> usize {
    let ext = match target {
        Target::Pydantic => "py",
        Target::Zod => "ts",
        _ => "cjs",
    };
    let mut modules = Vec::new();
    for (i, set) in sets.iter().enumerate() {
        // Half the modules read another variable, to show `--env-var` is honoured.
        let env_var = if i % 2 == 0 { "APP_ENV" } else { "DEPLOY_ENV" };
        let options = Options {
            target,
            env_var: env_var.into(),
        };
        let code = codegen::export(&set.template, &options)
            .unwrap_or_else(|e| panic!("{e}\ntemplate:\n{}", set.text));
        let path = dir.join(format!("generated_{}_{i}.{ext}", target.name()));
        std::fs::write(&path, code).unwrap();
        let cases: Vec<_> = set
            .cases
            .iter()
            .map(|(env, values)| serde_json::json!({ "env": env, "values": values }))
            .collect();
        modules.push(serde_json::json!({ "path": path, "cases": cases }));
    }
    let request = serde_json::json!({ "kind": target.name(), "modules": modules });
    let response = run_json(command, &request);
    let (mut checked, mut accepted) = (0, 0);
    for (set, verdicts) in sets.iter().zip(response["modules"].as_array().unwrap()) {
        for ((env, values), verdict) in set.cases.iter().zip(verdicts.as_array().unwrap()) {
            let expected = vault_accepts(&set.template, env.as_deref(), values);
            assert_eq!(
                verdict.as_bool().unwrap(),
                expected,
                "{}: the validator {} what vault {}\ntemplate:\n{}\nenv: {env:?}\nvalues: {values:?}\nvault: {:?}",
                target.name(),
                if expected { "refuses" } else { "accepts" },
                if expected { "accepts" } else { "refuses" },
                set.text,
                set.template
                    .validate(
                        env.as_deref().unwrap_or("unnamed-environment"),
                        values.iter().map(|(n, v)| (n.as_str(), v.as_str()))
                    )
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            );
            checked += 1;
            accepted += usize::from(expected);
        }
    }
    // Both verdicts must be common, or agreeing would prove little.
    assert!(
        accepted * 10 > checked && accepted * 10 < checked * 9,
        "{accepted} of {checked} accepted"
    );
    checked
}

/// For every format, many values near its edges: the generated check function agrees
/// with `Format::check` on each.
fn format_checks(per_format: usize) -> Vec<(Format, String)> {
    let mut runner = TestRunner::new(Config::default());
    let mut checks = Vec::new();
    for format in Format::ALL {
        let strategy = value_for(format);
        for _ in 0..per_format {
            let value = strategy.new_tree(&mut runner).unwrap().current();
            if !value.contains('\0') {
                checks.push((format, value));
            }
        }
    }
    // Fixed edges of serde_json's grammar and of the integer ranges.
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    for value in [
        deep.as_str(),
        "{\"a\":[1,{\"b\":null}]}",
        "\"\\uDC00\"",
        "1E+2",
        "[1,]",
        "{}x",
    ] {
        checks.push((Format::Json, value.to_owned()));
    }
    checks
}

fn assert_formats_agree(checks: &[(Format, String)], path: &Path, kind: &str, command: Command) {
    let list: Vec<_> = checks
        .iter()
        .map(|(f, v)| serde_json::json!([f.name(), v]))
        .collect();
    let request = serde_json::json!({
        "kind": kind,
        "modules": [],
        "formats": { "path": path, "checks": list },
    });
    let response = run_json(command, &request);
    let verdicts = response["formats"].as_array().unwrap();
    assert_eq!(verdicts.len(), checks.len());
    for format in Format::ALL.into_iter().filter(|f| *f != Format::String) {
        let values: Vec<_> = checks.iter().filter(|(f, _)| *f == format).collect();
        let valid = values
            .iter()
            .filter(|(_, v)| format.check(v).is_ok())
            .count();
        assert!(
            valid * 20 > values.len() && valid * 20 < values.len() * 19,
            "{format}: {valid} of {} valid",
            values.len()
        );
    }
    for ((format, value), verdict) in checks.iter().zip(verdicts) {
        assert_eq!(
            verdict.as_bool().unwrap(),
            format.check(value).is_ok(),
            "{kind}: {format} disagrees with vault on {value:?}"
        );
    }
}

#[test]
fn pydantic_validators_accept_and_refuse_what_vault_does() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sets = case_sets(120, 40);
    let mut command = Command::new(&python);
    command.arg(validators_dir().join("harness.py"));
    let checked = assert_equivalent(&sets, Target::Pydantic, dir.path(), command);
    assert!(checked >= 4000, "{checked}");

    let checks = format_checks(2000);
    let module = dir.path().join("formats.py");
    let all = Template::parse(&all_formats_template()).unwrap();
    let options = Options {
        target: Target::Pydantic,
        env_var: "APP_ENV".into(),
    };
    std::fs::write(&module, codegen::export(&all, &options).unwrap()).unwrap();
    let mut command = Command::new(&python);
    command.arg(validators_dir().join("harness.py"));
    assert_formats_agree(&checks, &module, "pydantic", command);
}

#[test]
fn zod_and_joi_validators_accept_and_refuse_what_vault_does() {
    if !node() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sets = case_sets(80, 40);
    let checked = assert_equivalent(&sets, Target::Zod, dir.path(), node_command())
        + assert_equivalent(&sets, Target::Joi, dir.path(), node_command());
    assert!(checked >= 6000, "{checked}");

    let checks = format_checks(2000);
    let all = Template::parse(&all_formats_template()).unwrap();
    for (target, file) in [(Target::Zod, "formats.ts"), (Target::Joi, "formats.cjs")] {
        let options = Options {
            target,
            env_var: "APP_ENV".into(),
        };
        let module = dir.path().join(file);
        std::fs::write(&module, codegen::export(&all, &options).unwrap()).unwrap();
        assert_formats_agree(&checks, &module, target.name(), node_command());
    }
}

fn all_formats_template() -> String {
    Format::ALL
        .iter()
        .map(|f| format!("[F_{f}]\nformat = \"{f}\"\n"))
        .collect()
}

// ---------------------------------------------------------------------------------------
// The generated files themselves: linters, determinism, header, errors.

/// Every feature a generator has to write: each format, patterns per environment with
/// quotes, backslashes and word boundaries, descriptions with quotes and non-ASCII text,
/// names that are keywords or reserved, every kind of `required`.
const RICH: &str = r#"
[DATABASE_URL]
description = "Postgres \"primary\" — it's the one"
format = "url"
required = ["staging", "prod"]

[class]
description = ""
format = "json"
required = []

[json]
format = "int"
pattern = { prod = '^\d+$', "*" = '\b(?i:k)\B' }

[_private]
description = "back\\slash and 'quotes' and a\nnewline"
format = "base64"
min_length = 4

[PORT]
format = "port"
required = ["dev"]

[ADMIN_EMAIL]
format = "email"
pattern = '(?m)^[^@]+@example\.com$'

[TLS_KEY]
format = "pem"

[DEBUG]
format = "bool"
pattern = { dev = "(?i)true|1" }

[SESSION_SECRET]
min_length = 32
pattern = '\A\w{32,}\z|\p{Greek}'
"#;

fn rich_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(".secrets.example.toml", RICH);
    repo
}

fn export_cmd(repo: &TestRepo, args: &[&str]) -> std::process::Output {
    repo.bare_vault()
        .args(["template", "export"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn export_is_deterministic_and_says_how_it_was_made() {
    let repo = rich_repo();
    for format in ["pydantic", "zod", "joi", "dotenv-example"] {
        let first = export_cmd(&repo, &["--format", format, "--env-var", "DEPLOY_ENV"]);
        assert!(first.status.success(), "{}", stderr(&first));
        let second = export_cmd(&repo, &["--format", format, "--env-var", "DEPLOY_ENV"]);
        assert_eq!(first.stdout, second.stdout, "{format} differs between runs");
        let text = stdout(&first);
        let comment = if matches!(format, "zod" | "joi") {
            "//"
        } else {
            "#"
        };
        let header = format!(
            "{comment} Generated by `vault template export --format {format} --env-var DEPLOY_ENV`\n\
             {comment} from .secrets.example.toml. Do not edit:"
        );
        assert!(text.starts_with(&header), "{format}: {text:.300}");
        assert!(!text.contains("2026") && !text.contains(repo.root.to_str().unwrap()));
        // -o writes the same bytes, atomically, and says where on stderr.
        let out = export_cmd(&repo, &["--format", format, "-o", "missing/out.txt"]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "a missing directory is an error"
        );
        assert!(
            stderr(&out).contains("error: cannot write"),
            "{}",
            stderr(&out)
        );
        std::fs::create_dir_all(repo.path("gen")).unwrap();
        let out = export_cmd(
            &repo,
            &[
                "--format",
                format,
                "--env-var",
                "DEPLOY_ENV",
                "-o",
                "gen/out.txt",
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(out.stdout.is_empty());
        assert!(stderr(&out).contains("gen/out.txt"), "{}", stderr(&out));
        assert_eq!(repo.read("gen/out.txt"), first.stdout);
    }
}

#[test]
fn dotenv_example_lists_every_secret_with_its_rules() {
    let repo = TestRepo::new();
    repo.write(
        ".secrets.example.toml",
        "[DATABASE_URL]\ndescription = \"Primary database\"\nformat = \"url\"\n\n\
         [STRIPE_KEY]\nrequired = [\"prod\"]\npattern = { prod = \"^sk_live_\", \"*\" = \"^sk_test_\" }\nmin_length = 20\n",
    );
    let out = export_cmd(&repo, &["--format", "dotenv-example"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let expected = "\
# Generated by `vault template export --format dotenv-example --env-var APP_ENV`
# from .secrets.example.toml. Do not edit: change the template and run that
# command again (`vault check` reports a file that differs).
#
# Every variable the application reads from its environment, without values. vault
# checks them (`vault check`); APP_ENV names the environment.

# Primary database
# required in: every environment; format: url
DATABASE_URL=

# required in: prod; pattern in prod: ^sk_live_; pattern: ^sk_test_; min length: 20
STRIPE_KEY=
";
    assert_eq!(stdout(&out), expected);
}

#[test]
fn generated_python_passes_ruff() {
    let Some(_) = python() else { return };
    let repo = rich_repo();
    let out = export_cmd(&repo, &["--format", "pydantic", "-o", "settings.py"]);
    assert!(out.status.success(), "{}", stderr(&out));
    for args in [
        &["check", "--isolated", "--no-cache"][..],
        &["format", "--check", "--isolated", "--no-cache"],
    ] {
        let lint = Command::new(venv_bin("ruff"))
            .args(args)
            .arg("settings.py")
            .current_dir(&repo.root)
            .output()
            .unwrap();
        assert!(
            lint.status.success(),
            "ruff {args:?}: {}{}",
            stdout(&lint),
            stderr(&lint)
        );
    }
}

#[test]
fn generated_zod_passes_tsc_strict() {
    if !node() {
        return;
    }
    let repo = rich_repo();
    let out = export_cmd(&repo, &["--format", "zod", "-o", "env.ts"]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::os::unix::fs::symlink(
        validators_dir().join("node_modules"),
        repo.path("node_modules"),
    )
    .unwrap();
    let tsc = Command::new("node")
        .arg(validators_dir().join("node_modules/typescript/bin/tsc"))
        .args([
            "--strict",
            "--noEmit",
            "--target",
            "ES2022",
            "--module",
            "NodeNext",
            "--moduleResolution",
            "NodeNext",
            "--types",
            "node",
            "env.ts",
        ])
        .current_dir(&repo.root)
        .output()
        .unwrap();
    assert!(
        tsc.status.success(),
        "tsc: {}{}",
        stdout(&tsc),
        stderr(&tsc)
    );
}

#[test]
fn export_refuses_what_it_cannot_translate_exactly() {
    let repo = TestRepo::new();
    repo.write(
        ".secrets.example.toml",
        "[LINE]\npattern = { prod = '(?Rm)^a$' }\n",
    );
    let out = export_cmd(&repo, &["--format", "pydantic"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(
        err.starts_with("error: the pattern for `prod` of `LINE` cannot be exported to pydantic"),
        "{err}"
    );
    assert!(
        err.contains("CRLF mode") && err.contains("hint: rewrite"),
        "{err}"
    );

    let out = export_cmd(&repo, &["--format", "zod", "--env-var", "1BAD"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`1BAD` is not a valid environment-variable name"));

    repo.write(".secrets.example.toml", "[__proto__]\n");
    let out = export_cmd(&repo, &["--format", "zod"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: a secret named `__proto__` cannot be exported to zod"),
        "{}",
        stderr(&out)
    );
    assert!(
        export_cmd(&repo, &["--format", "pydantic"])
            .status
            .success()
    );

    std::fs::remove_file(repo.path(".secrets.example.toml")).unwrap();
    let out = export_cmd(&repo, &["--format", "joi"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("there is no template to export"), "{err}");
    assert!(
        err.contains("hint: create it with `vault template import .env.example`"),
        "{err}"
    );
}

fn check_drift(repo: &TestRepo, key: &crate::support::Key) -> (Option<i32>, Vec<String>) {
    let out = repo.vault(key).args(["check", "--json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let drift = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "template-drift")
        .map(|f| {
            assert_eq!(f["severity"], "error");
            f["message"].as_str().unwrap().to_owned()
        })
        .collect();
    (out.status.code(), drift)
}

#[test]
fn check_reports_a_generated_validator_that_no_longer_matches() {
    let (repo, key) = TestRepo::with_vault("dev");
    repo.write_template("[DATABASE_URL]\nformat = \"url\"\nrequired = []\n");
    std::fs::create_dir_all(repo.path("app")).unwrap();
    let export = |args: &[&str]| {
        let out = repo
            .vault(&key)
            .args(["template", "export"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    };
    export(&[
        "--format",
        "pydantic",
        "--env-var",
        "DEPLOY_ENV",
        "-o",
        "app/settings.py",
    ]);
    export(&["--format", "zod", "-o", "app/env.ts"]);
    // Not tracked: not the repository's business.
    export(&["--format", "joi", "-o", "app/untracked.js"]);
    repo.git([
        "add",
        ".secrets.example.toml",
        "app/settings.py",
        "app/env.ts",
    ]);
    assert_eq!(check_drift(&repo, &key), (Some(0), vec![]));

    // The template changes and nobody regenerates.
    repo.write_template("[DATABASE_URL]\nformat = \"url\"\nrequired = []\n[PORT]\nformat = \"port\"\nrequired = []\n");
    let (code, drift) = check_drift(&repo, &key);
    assert_eq!(code, Some(1));
    assert_eq!(drift.len(), 2, "{drift:?}");
    assert!(
        drift[0].starts_with("app/env.ts differs from what `vault template export` generates"),
        "{drift:?}"
    );
    assert!(
        drift[1].contains(
            "run `vault template export --format pydantic --env-var DEPLOY_ENV -o app/settings.py`"
        ),
        "{drift:?}"
    );
    export(&[
        "--format",
        "pydantic",
        "--env-var",
        "DEPLOY_ENV",
        "-o",
        "app/settings.py",
    ]);
    export(&["--format", "zod", "-o", "app/env.ts"]);
    assert_eq!(check_drift(&repo, &key), (Some(0), vec![]));

    // A hand edit, however small.
    let mut text = repo.read_text("app/env.ts");
    text.push_str("// tweak\n");
    repo.write("app/env.ts", text);
    let (code, drift) = check_drift(&repo, &key);
    assert_eq!((code, drift.len()), (Some(1), 1), "{drift:?}");
    assert!(drift[0].contains("--format zod --env-var APP_ENV -o app/env.ts"));
    let human = repo.vault(&key).arg("check").output().unwrap();
    assert!(
        stdout(&human)
            .contains("across environments:\n  error [template-drift]: app/env.ts differs"),
        "{}",
        stdout(&human)
    );
}

// ---------------------------------------------------------------------------------------
// `vault template import`.

const DOTENV_EXAMPLE: &str = "\
# Postgres connection string
# (the primary database)
DATABASE_URL=postgres://localhost:5432/app

DEBUG=false
SMTP_PORT=587
ADMIN_EMAIL=ops@example.com
WORKERS=4
FLAG=1
# Live Stripe key
STRIPE_KEY=sk_live_51HxQzKLm3Nq8VbR2TcYw9XaPj
SESSION_SECRET=
";

fn template_import(repo: &TestRepo, args: &[&str]) -> std::process::Output {
    repo.bare_vault()
        .args(["template", "import"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn import_creates_a_template_from_a_dotenv_example() {
    let repo = TestRepo::new();
    repo.write(".env.example", DOTENV_EXAMPLE);
    let dry = template_import(&repo, &[".env.example", "--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        !repo.path(".secrets.example.toml").exists(),
        "a dry run writes nothing"
    );
    let expected_plan = "\
Plan: create .secrets.example.toml from .env.example
  + DATABASE_URL    format url; description from its comment; example value kept as a comment
  + DEBUG           format bool; example value kept as a comment
  + SMTP_PORT       format port; example value kept as a comment
  + ADMIN_EMAIL     format email; example value kept as a comment
  + WORKERS         format int; example value kept as a comment
  + FLAG            example value kept as a comment
  + STRIPE_KEY      description from its comment; example value DROPPED: looks like a secret (stripe-live-key)
  + SESSION_SECRET
";
    assert_eq!(stdout(&dry), expected_plan);
    let err = stderr(&dry);
    assert!(
        err.contains("warning: the example values of STRIPE_KEY look like real secrets"),
        "{err}"
    );
    assert!(err.contains("note: dry run: nothing was written"), "{err}");
    assert!(!err.contains("sk_live_51") && !stdout(&dry).contains("sk_live_51"));

    let out = template_import(&repo, &[".env.example"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), expected_plan);
    let template = repo.read_text(".secrets.example.toml");
    assert!(!template.contains("sk_live_"), "{template}");
    assert!(template.contains(
        "# example: postgres://localhost:5432/app\n[DATABASE_URL]\ndescription = \"Postgres connection string (the primary database)\"\nformat = \"url\"\n"
    ), "{template}");
    assert!(
        template.contains("\n[STRIPE_KEY]\ndescription = \"Live Stripe key\"\n"),
        "{template}"
    );
    let parsed = Template::parse(&template).unwrap();
    let names: Vec<_> = parsed.secrets().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "DATABASE_URL",
            "DEBUG",
            "SMTP_PORT",
            "ADMIN_EMAIL",
            "WORKERS",
            "FLAG",
            "STRIPE_KEY",
            "SESSION_SECRET"
        ]
    );
    // Every example value that was kept passes the format guessed from it.
    let formats: Vec<_> = parsed.secrets().map(|s| s.format.name()).collect();
    assert_eq!(
        formats,
        [
            "url", "bool", "port", "email", "int", "string", "string", "string"
        ]
    );
}

#[test]
fn import_extends_a_template_and_leaves_declared_names_alone() {
    let repo = TestRepo::new();
    let existing = "# ours\n[DATABASE_URL]\nformat = \"url\"\nrequired = [\"prod\"]\n";
    repo.write(".secrets.example.toml", existing);
    repo.write(
        ".env.sample",
        "DATABASE_URL=x\n# Mail host\nSMTP_HOST=localhost\n",
    );
    let out = template_import(&repo, &[".env.sample", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["creates"], false);
    assert_eq!(plan["added"], 1);
    assert_eq!(plan["secrets"][0]["name"], "DATABASE_URL");
    assert_eq!(plan["secrets"][0]["action"], "kept");
    assert_eq!(plan["secrets"][1]["action"], "added");
    assert_eq!(plan["secrets"][1]["description"], "Mail host");
    let text = repo.read_text(".secrets.example.toml");
    assert!(text.starts_with(existing), "{text}");
    assert!(text.ends_with("\n# Imported from .env.sample by `vault template import`.\n# example: localhost\n[SMTP_HOST]\ndescription = \"Mail host\"\n"), "{text}");
    // Again: nothing left to add, nothing changes.
    let again = template_import(&repo, &[".env.sample"]);
    assert!(again.status.success());
    assert_eq!(repo.read_text(".secrets.example.toml"), text);
}

#[test]
fn import_refuses_a_real_env_file_and_bad_syntax() {
    let repo = TestRepo::new();
    repo.write(".env", "API_KEY=abc\n");
    let out = template_import(&repo, &[".env"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: .env looks like a real environment file, not a template of one"),
        "{err}"
    );
    assert!(err.contains("hint: "), "{err}");
    repo.write(".env.template", "OK=1\nNOT VALID\n");
    let out = template_import(&repo, &[".env.template"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("caused by: line 2"),
        "{}",
        stderr(&out)
    );
    assert!(!repo.path(".secrets.example.toml").exists());
}

/// Issue 22's promise: from `.env.example` and `.env` to a vault and a generated startup
/// validator in three commands (plus `init`).
#[test]
fn from_dotenv_files_to_a_vault_and_a_validator() {
    let repo = TestRepo::new();
    let key = repo.key("alice");
    repo.write(
        ".env.example",
        "# Database\nDATABASE_URL=postgres://localhost/app\nPORT=8080\n",
    );
    repo.write(
        ".env",
        "DATABASE_URL=postgres://db.internal/app\nPORT=8080\n",
    );
    let out = repo
        .vault(&key)
        .args(["template", "import", ".env.example"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = repo
        .vault(&key)
        .args(["init", "--name", "alice", "--env", "dev"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        repo.read_text(".secrets.example.toml")
            .contains("[PORT]\nformat = \"port\"")
    );
    let out = repo
        .vault(&key)
        .args(["import", "dev", ".env"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = repo
        .vault(&key)
        .args(["template", "export", "--format", "dotenv-example"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("# Database\n# required in: every environment; format: url\nDATABASE_URL=\n"),
        "{text}"
    );
    let check = repo.vault(&key).arg("check").output().unwrap();
    // At most the advisory about classic keys, no error: the imported values satisfy the
    // imported template.
    let report = stdout(&check);
    assert!(check.status.success(), "{report}{}", stderr(&check));
    assert!(
        report.contains("2 secrets checked\n") && report.contains("\n0 error(s)"),
        "{report}"
    );
}
