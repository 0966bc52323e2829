//! Template parsing and validation tests.
use super::*;
use proptest::prelude::*;

const STRIPE: &str = r#"
[DATABASE_URL]
description = "Postgres connection string"
required = ["dev", "staging", "prod"]
format = "url"
rotate_days = 90

[STRIPE_SECRET_KEY]
pattern = { prod = "^sk_live_", "*" = "^sk_test_" }
min_length = 20
"#;

fn parse(text: &str) -> Template {
    Template::parse(text).expect("template parses")
}

fn err(text: &str) -> TemplateError {
    Template::parse(text).expect_err("template is rejected")
}

/// `Display` of every violation, which also shows each kind and the order.
fn shown(template: &Template, env: &str, values: &[(&str, &str)]) -> Vec<String> {
    let violations = template.validate(env, values.iter().copied());
    violations.iter().map(ToString::to_string).collect()
}

// One row per format and verdict: name, `+` (accepted) or `-` (rejected), a space, then
// the values separated by `|`; a leading `|` makes the empty string one of them.
const FORMAT_CASES: [&str; 17] = [
    "url+ postgres://u@h:5432/db|redis://localhost|git+ssh://h|file:///x|HTTP://x",
    "url- |localhost:5432|://x|1http://x|http://|http://a b|h_t://x|http:// x",
    "int+ 0|-5|+7|9223372036854775807|-9223372036854775808|007",
    "int- |+|-|1.5| 1|1\n|9223372036854775808|1e3|0x10|1_000",
    "bool+ true|FALSE|Yes|no|1|0",
    "bool- |y|on|2| true|truee",
    "port+ 1|80|0080|65535",
    "port- |0|65536|-1|+80|http|80 |1.0|99999999999",
    "email+ a@b.co|first.last+tag@mail.example.com",
    "email- |ab.co|a@@b.co|a@b@c.co|@b.co|a@bco|a@.co|a@b.|a b@c.co|a@b..co",
    "pem+ -----BEGIN A B-----\nMIIB\n-----END A B-----\n|x\n-----BEGIN K-----\n-----END K-----",
    "pem- |MIIB|-----BEGIN K-----\n|-----BEGIN K-----\n-----END KEY-----|-----BEGIN K\n-----END K-----",
    "json+ {\"a\":[1,2.5,null,true]}|\"s\"|42| [] ",
    "json- |{|{'a':1}|[1,]|{} x|\"\\q\"|NaN",
    "base64+ aGVsbG8=|aGVsbG8|aGk=|aGk|-_8=|+/8=|AAAA|AA==",
    "base64- |====|a|aGVsbG8==|+_8=|aG k=|a=bc|aGk===|AAAAA|aGVsbG8=\n",
    "string+ | |anything\n\0|{}",
];

#[test]
fn every_format_accepts_and_rejects() {
    for row in FORMAT_CASES {
        let (head, values) = row.split_once(' ').expect("row has a space");
        let (name, verdict) = head.split_at(head.len() - 1);
        let format = Format::from_name(name).expect("known format");
        for value in values.split('|') {
            let result = format.check(value);
            let message = format!("{format} {value:?}: {result:?}");
            assert_eq!(result.is_ok(), verdict == "+", "{message}");
            // Whatever made it fail, the reason is the format's one fixed requirement.
            if let Err(reason) = result {
                assert_eq!(reason, format.requirement(), "{message}");
            }
        }
    }
    let pem = "-----END K-----\n-----BEGIN K-----\n-----END J-----";
    assert!(Format::Pem.check(pem).is_err(), "END must follow BEGIN");
    let too_big = Format::Int.check("99999999999999999999");
    assert_eq!(too_big, Err(Format::Int.requirement()));
    for format in Format::ALL {
        assert_eq!(Format::from_name(&format.to_string()), Some(format));
    }
    assert_eq!(Format::from_name("URL"), None);
}

#[test]
fn fields_are_parsed_in_file_order() {
    let template = parse("[Z_1]\n[A_2]\n[M_3]\n");
    let names: Vec<_> = template.secrets().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Z_1", "A_2", "M_3"]);
    let template = parse(STRIPE);
    let db = template.get("DATABASE_URL").expect("declared");
    let description = db.description.as_deref();
    assert_eq!(description, Some("Postgres connection string"));
    let facts = (db.format, db.rotate_days, db.min_length);
    assert_eq!(facts, (Format::Url, Some(90), None));
    let stripe = template.get("STRIPE_SECRET_KEY").expect("declared");
    let facts = (stripe.format, stripe.min_length, &stripe.required);
    assert_eq!(
        facts,
        (Format::String, Some(20), &Required::AllEnvironments)
    );
    assert!(template.get("NOPE").is_none());
}

#[test]
fn pattern_per_env_catches_key_swap() {
    let template = parse(STRIPE);
    let (db, key) = (("DATABASE_URL", "postgres://h/db"), "STRIPE_SECRET_KEY");
    let live = [db, (key, "sk_live_0123456789abcdef")];
    let test = [db, (key, "sk_test_0123456789abcdef")];
    assert!(shown(&template, "prod", &live).is_empty());
    assert!(shown(&template, "staging", &test).is_empty());
    assert!(shown(&template, "dev", &test).is_empty());
    let prod = "`STRIPE_SECRET_KEY` does not match the pattern `^sk_live_` required in `prod`";
    assert_eq!(shown(&template, "prod", &test), [prod]);
    let staging = prod.replace("live", "test").replace("prod", "staging");
    assert_eq!(shown(&template, "staging", &live), [staging]);
    let kind = &template.validate("prod", test)[0].kind;
    let pattern = "^sk_live_".to_owned();
    assert_eq!(*kind, ViolationKind::Pattern { pattern });
}

#[test]
fn pattern_lookup_without_default_and_shorthand() {
    let template = parse("[K]\npattern = { prod = \"^live$\" }\n[W]\npattern = \"whsec_\"\n");
    let rule = |name| template.get(name).and_then(|s| s.pattern.clone());
    let rule = |name| rule(name).expect("has a pattern");
    assert!(rule("K").for_env("dev").is_none());
    assert_eq!(rule("W").for_env("dev").map(Regex::as_str), Some("whsec_"));
    assert!(shown(&template, "dev", &[("K", "any"), ("W", "x_whsec_y")]).is_empty());
    let one_each = [("K", "alive"), ("W", "no")];
    assert_eq!(shown(&template, "prod", &one_each).len(), 2);
}

#[test]
fn required_defaults_and_lists() {
    let template = parse(
        "[ALL]\n[SOME]\nrequired = [\"prod\", \"staging\", \"prod\"]\n[NONE]\nrequired = []\n\
         [YES]\nrequired = true\n[NO]\nrequired = false\n",
    );
    let required = |name| template.get(name).map(|s| s.required.clone());
    let some = Required::Only(vec!["prod".into(), "staging".into()]);
    assert_eq!(required("SOME"), Some(some));
    assert_eq!(required("NONE"), Some(Required::None));
    assert_eq!(required("NO"), Some(Required::None));
    let prod: Vec<_> = template.required_in("prod").collect();
    assert_eq!(prod, ["ALL", "SOME", "YES"]);
    let missing = template.validate("dev", []);
    assert!(missing.iter().all(|v| v.kind == ViolationKind::Missing));
    let expected = [
        "`ALL` is required in `dev` but not set",
        "`YES` is required in `dev` but not set",
    ];
    assert_eq!(shown(&template, "dev", &[]), expected);
    // Present but empty counts as set.
    assert!(shown(&template, "dev", &[("ALL", ""), ("YES", "")]).is_empty());
}

#[test]
fn min_length_counts_chars() {
    let template = parse("[S]\nmin_length = 4\n");
    assert!(shown(&template, "dev", &[("S", "éééé")]).is_empty());
    let too_short = ViolationKind::TooShort { min: 4 };
    assert_eq!(template.validate("dev", [("S", "ééé")])[0].kind, too_short);
    let expected = "`S` in `dev` is shorter than the minimum of 4 characters";
    assert_eq!(shown(&template, "dev", &[("S", "ab")]), [expected]);
    assert_eq!(shown(&template, "dev", &[("S", "")]), [expected]);
}

#[test]
fn every_problem_is_reported_in_stable_order() {
    let template = parse(
        "[A]\nformat = \"port\"\npattern = \"^9\"\nmin_length = 3\n[B]\n[C]\nformat = \"int\"\n",
    );
    let values = [("ZED", "1"), ("C", "x"), ("A", "0"), ("EXTRA", "1")];
    let expected = [
        "`A` in `prod` is not a valid port: not a number from 1 to 65535",
        "`A` does not match the pattern `^9` required in `prod`",
        "`A` in `prod` is shorter than the minimum of 3 characters",
        "`B` is required in `prod` but not set",
        "`C` in `prod` is not a valid integer: expected digits with an optional sign, within the 64-bit range",
        "`EXTRA` is set in `prod` but not declared in .secrets.example.toml",
        "`ZED` is set in `prod` but not declared in .secrets.example.toml",
    ];
    assert_eq!(shown(&template, "prod", &values), expected);
    let violations = template.validate("prod", values);
    let (expected, reason) = (Format::Port, "not a number from 1 to 65535");
    assert_eq!(
        violations[0].kind,
        ViolationKind::Format { expected, reason }
    );
    assert!(!violations[3].is_warning() && violations[5].is_warning());
    let extra = (violations[5].secret.as_str(), violations[5].env.as_str());
    assert_eq!(extra, ("EXTRA", "prod"));
    // The last value for a repeated name wins.
    let repeated = [("A", "0"), ("A", "999"), ("B", ""), ("C", "1")];
    assert!(shown(&template, "prod", &repeated).is_empty());
    assert_eq!(shown(&parse(""), "dev", &[("X", "1")]).len(), 1);
}

// Each row: a template (after `[S]\n` unless it starts with `!`), ` => `, then the start
// of the error's `Display`.
const ERROR_CASES: [&str; 25] = [
    "!\n[1A]\n => `1A` on line 2 is not a valid secret name (letters, digits and `_`",
    "![MY-KEY]\n => `MY-KEY` on line 1 is not a valid secret name",
    "![\"\"]\n => `` on line 1 is not a valid secret name",
    "![A]\n[[B]]\n => `B` on line 2 must be a table like `[B]`, not an array",
    "!X = \"x\"\n => `X` on line 1 must be a table like `[X]`, not a string",
    "![A]\ndescription = \"ok\"\nformat = \n => .secrets.example.toml is not valid TOML on line 3: ",
    "![A]\n[A]\n => .secrets.example.toml is not valid TOML on line 2: duplicate key",
    "format = \"uri\" => `format` in `[S]` on line 2 is not a known format (expected one of url, int, bool, port, email, pem, json, base64, string)",
    "description = 5 => `description` in `[S]` on line 2 must be a string, not an integer",
    "required = \"prod\" => `required` in `[S]` on line 2 must be an array of environment names, not a string",
    "required = [1] => `required` in `[S]` on line 2 must be an array of environment names, not an integer",
    "format = [\"url\"] => `format` in `[S]` on line 2 must be a string, not an array",
    "pattern = 3 => `pattern` in `[S]` on line 2 must be a regex or a table of regexes by environment, not an integer",
    "pattern = { prod = true } => `pattern.prod` in `[S]` on line 2 must be a string, not a boolean",
    "rotate_days = \"90\" => `rotate_days` in `[S]` on line 2 must be an integer, not a string",
    "min_length = 2.5 => `min_length` in `[S]` on line 2 must be an integer, not a float",
    "required = [\n\"dev\",\n\"Prod\"] => `Prod` in the `required` of `[S]` on line 4 is not a valid environment name",
    "pattern = { \"-x\" = \"a\" } => `-x` in the `pattern` of `[S]` on line 2 is not a valid environment name",
    "\npattern = { prod = \"^sk_(\" } => the pattern for `prod` in `[S]` on line 3 is not a valid regex: unclosed group",
    "pattern = \"[\" => the pattern for `*` in `[S]` on line 2 is not a valid regex: unclosed character class",
    "rotate_days = 0 => `rotate_days` in `[S]` on line 2 must be between 1 and 4294967295",
    "rotate_days = -3 => `rotate_days` in `[S]` on line 2 must be between 1 and 4294967295",
    "rotate_days = 4294967296 => `rotate_days` in `[S]` on line 2 must be between 1 and 4294967295",
    "min_length = -1 => `min_length` in `[S]` on line 2 must be between 0 and 9223372036854775807",
    "rotate_days = 9\nrotate_day = 90 => unknown field `rotate_day` in `[S]` on line 3 (expected one of description, required, format, pattern, rotate_days, min_length, allow_loader)",
];

#[test]
fn every_error_is_one_sentence_with_a_line() {
    for row in ERROR_CASES {
        let (text, expected) = row.split_once(" => ").expect("row has =>");
        let text = text
            .strip_prefix('!')
            .map_or(format!("[S]\n{text}\n"), str::to_owned);
        let shown = err(&text).to_string();
        assert!(
            shown.starts_with(expected) && !shown.contains('\n'),
            "{shown}"
        );
    }
    assert!(Template::parse("[_ok]\n[lower_9]\nrotate_days = 0x10\nmin_length = 0\n").is_ok());
}

#[test]
fn errors_are_structured() {
    let text = "[DATABASE_URL]\nformat = \"url\"\n\n[SMTP_PASSWORD]\nrotate_day = 90\n";
    let (secret, field) = ("SMTP_PASSWORD".into(), "rotate_day".into());
    assert_eq!(
        err(text),
        TemplateError::UnknownField {
            secret,
            field,
            line: 5
        }
    );
    let e = err("[S]\nrequired = [\n  \"dev\",\n  \"Prod\",\n]\n");
    let (secret, env) = ("S".into(), "Prod".into());
    assert_eq!(
        e,
        TemplateError::InvalidEnvName {
            secret,
            field: "required",
            env,
            line: 4
        }
    );
    let e = err("[S]\npattern = { staging = \"(\" }");
    assert!(matches!(e, TemplateError::InvalidPattern { env, line: 2, .. } if env == "staging"));
    let e = err("[S]\nrotate_days = 0\n");
    let (secret, max) = ("S".into(), u64::from(u32::MAX));
    assert_eq!(
        e,
        TemplateError::OutOfRange {
            secret,
            field: "rotate_days",
            line: 2,
            min: 1,
            max
        }
    );
    let (secret, line) = ("S".into(), 2);
    assert_eq!(
        err("[S]\nformat = \"x\"\n"),
        TemplateError::UnknownFormat { secret, line }
    );
    assert!(matches!(
        err("[A]\n[A]\n"),
        TemplateError::Toml { line: Some(2), .. }
    ));
}

#[test]
fn example_parses_and_covers_the_web_app() {
    let template = parse(Template::example());
    let names: Vec<_> = template.secrets().map(|s| s.name.as_str()).collect();
    let expected = "DATABASE_URL REDIS_URL STRIPE_SECRET_KEY STRIPE_WEBHOOK_SECRET \
                    SESSION_SECRET SMTP_HOST SMTP_PORT SMTP_USERNAME SMTP_PASSWORD";
    assert_eq!(names.join(" "), expected);
    assert!(template.secrets().all(|s| s.description.is_some()));
    let spec = |name| template.get(name).expect("declared");
    let facts = |name| {
        (
            spec(name).format,
            spec(name).rotate_days,
            spec(name).min_length,
        )
    };
    assert_eq!(facts("DATABASE_URL"), (Format::Url, Some(90), None));
    assert_eq!(
        facts("SESSION_SECRET"),
        (Format::String, Some(180), Some(32))
    );
    assert_eq!(facts("SMTP_PORT"), (Format::Port, None, None));
    assert_eq!(facts("SMTP_PASSWORD"), (Format::String, Some(90), None));
    let stripe = spec("STRIPE_SECRET_KEY").pattern.as_ref().expect("pattern");
    assert_eq!(stripe.for_env("prod").map(Regex::as_str), Some("^sk_live_"));
    assert_eq!(stripe.for_env("dev").map(Regex::as_str), Some("^sk_test_"));
    assert_eq!(template.required_in("dev").count(), 5);
    assert_eq!(template.required_in("prod").count(), 9);
}

/// Issue 14, item 11: a rule must not become an oracle. Two values that break a rule in
/// different ways get the same message, and no message carries a length.
#[test]
fn violations_reveal_nothing_beyond_does_not_match() {
    let rules = [
        ("U", "format = \"url\""),
        ("E", "format = \"email\""),
        ("B", "format = \"base64\""),
        ("P", "format = \"pem\""),
        ("I", "format = \"int\""),
        ("S", "min_length = 9999"),
    ];
    let text: String = rules
        .iter()
        .map(|(name, rule)| format!("[{name}]\nrequired = []\n{rule}\n"))
        .collect();
    let template = parse(&text);
    let pairs = [
        ("U", "no-scheme-here", "https://a b"),
        ("U", "postgres://", "1x://host"),
        ("E", "no-at-sign", "a@b@c.example"),
        ("E", "@example.com", "a@localhost"),
        ("B", "aGVsbG8==", "+_8="),
        ("P", "MIIB", "-----BEGIN K-----\n-----END J-----"),
        ("I", "12x", "99999999999999999999"),
        ("S", "short", &"x".repeat(9998)),
    ];
    for (name, one, other) in pairs {
        let a = shown(&template, "prod", &[(name, one)]);
        let b = shown(&template, "prod", &[(name, other)]);
        assert_eq!(a.len(), 1, "{a:?}");
        assert_eq!(a, b, "{name}: the message depends on the value");
    }
    let text = shown(&template, "prod", &[("S", "short")]).join("");
    assert!(!text.contains('5') && !text.contains("long,"), "{text}");
}

/// Issue 14, item 11: patterns are bounded in length, in positions (counted repetitions
/// multiplied out) and in compiled size, each refusal saying why and what to do instead,
/// and refused before anything slow happens.
#[test]
fn oversized_patterns_are_refused_quickly_with_the_reason() {
    let start = std::time::Instant::now();
    let refused = |pattern: &str| match err(&format!("[S]\npattern = '{pattern}'\n")) {
        TemplateError::PatternRefused {
            reason, line: 2, ..
        } => reason,
        other => panic!("{pattern}: {other}"),
    };
    let reason = refused("a{100000}");
    assert!(reason.contains("100000 positions"), "{reason}");
    assert!(reason.contains("2048 allowed"), "{reason}");
    assert!(refused("(?:a{1000}){3}").contains("3000 positions"));
    assert!(refused("(?:(?:a{1000}){1000}){1000}").contains("positions"));
    assert!(refused(&"x".repeat(1025)).contains("1025 bytes long"));
    let reason = refused(r"^\w{100}$");
    assert!(reason.contains("compiles to more than 4 MiB"), "{reason}");
    assert!(reason.contains("(?-u:\\w)"), "{reason}");
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    let shown = err("[S]\npattern = 'a{100000}'\n").to_string();
    assert!(shown.starts_with("the pattern for `*` in `[S]` on line 2 is refused: "));

    // Realistic patterns, Unicode classes included, still compile.
    for ok in [
        r"^sk_live_[A-Za-z0-9]{24,99}$",
        r"^[\w-]{20,64}$",
        r"^[0-9a-f]{1024}$",
        r"^postgres://[^:]+:[^@]+@[\w.-]+(:\d+)?/\w+$",
        r"^(?-u:\w){2000}$",
        "a+b*c{3,}",
    ] {
        assert!(
            Template::parse(&format!("[S]\npattern = '{ok}'\n")).is_ok(),
            "{ok}"
        );
    }
}

fn every_format() -> Template {
    let formats = Format::ALL
        .iter()
        .map(|f| format!("[F_{f}]\nformat = \"{f}\"\n"));
    parse(&formats.collect::<String>())
}

#[test]
fn no_output_contains_a_value() {
    const CANARY: &str = "sk_live_CANARY7Qx9";
    let template = every_format();
    let mut names: Vec<_> = template.secrets().map(|s| s.name.as_str()).collect();
    names.extend(["KEY", "UNDECLARED"]);
    let with_key = parse(&format!(
        "{}[KEY]\npattern = \"^x\"\nmin_length = 99\n",
        Template::example()
    ));
    let values = ["", "-----BEGIN ", "@x", "a "].map(|prefix| format!("{prefix}{CANARY}-----"));
    for value in &values {
        for template in [&template, &with_key] {
            let violations = template.validate("prod", names.iter().map(|n| (*n, value.as_str())));
            assert!(violations.len() >= 3);
            for text in violations
                .iter()
                .flat_map(|v| [v.to_string(), format!("{v:?}")])
            {
                assert!(!text.contains("CANARY"), "{text}");
            }
        }
    }
    let bad_templates = [
        "[S]\nvalue = \"$\"\n",
        "[S]\nrotate_days = \"$\"\n",
        "[S]\nformat = \"$\"\n",
        "[S]\nrequired = [{ v = \"$\" }]\n",
        "[S]\ndescription = \"$\nformat = 1\n",
        "[S]\ndescription = '$' x\n",
        "S = \"$\"\n",
    ];
    for text in bad_templates {
        let e = err(&text.replace('$', CANARY));
        for shown in [e.to_string(), format!("{e:?}")] {
            assert!(!shown.contains("CANARY"), "{shown}");
        }
    }
}

fn name() -> impl Strategy<Value = String> {
    let known = vec!["DATABASE_URL", "SMTP_PORT", "STRIPE_SECRET_KEY"];
    prop_oneof![
        proptest::sample::select(known).prop_map(String::from),
        any::<String>()
    ]
}

proptest! {
    #[test]
    fn validate_never_panics(
        env in prop_oneof![Just("prod".to_owned()), any::<String>()],
        values in proptest::collection::vec((name(), any::<String>()), 0..8),
        value in any::<String>(),
    ) {
        let example = parse(Template::example());
        let _ = example.validate(&env, values.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let formats = every_format();
        let all = formats.validate(&env, formats.secrets().map(|s| (s.name.as_str(), value.as_str())));
        prop_assert!(all.iter().all(|v| !v.to_string().is_empty()));
    }

    #[test]
    fn string_format_accepts_anything(value in any::<String>(), env in "[a-z0-9][a-z0-9_-]{0,8}") {
        let template = parse("[S]\nformat = \"string\"\nrequired = [\"prod\"]\n");
        prop_assert!(template.validate(&env, [("S", value.as_str())]).is_empty());
    }

    #[test]
    fn parse_never_panics(text in any::<String>()) {
        let _ = Template::parse(&text).map_err(|e| e.to_string());
    }
}
