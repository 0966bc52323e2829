//! Facts about a repository-relative path and the file-level decisions made
//! from it alone: which files must never be committed in plaintext
//! (`secrets/` contents, decrypted leftovers, `.env` files) and which files
//! change how content is scanned (lock files, the `.secrets.example.toml`
//! template).
//!
//! Paths are `/`-separated and relative to the repository root. This module
//! must not touch the filesystem or look at content; whether a file is age
//! armor is decided by the caller, which exempts ciphertext from every path
//! rule.

/// What the path rules need to know about one path, computed once per file.
#[derive(Debug, Clone, Copy)]
pub struct PathFacts<'a> {
    /// The path with any leading `./` or `/` removed.
    pub path: &'a str,
    /// The last component.
    pub file_name: &'a str,
    /// Whether some directory above the file is named `secrets` (at any depth,
    /// because a vault may live in a subdirectory of a monorepo).
    pub under_secrets: bool,
}

impl<'a> PathFacts<'a> {
    /// Splits `path` into the facts the rules use.
    #[must_use]
    pub fn new(path: &'a str) -> Self {
        let mut trimmed = path;
        loop {
            if let Some(rest) = trimmed.strip_prefix("./") {
                trimmed = rest;
            } else if let Some(rest) = trimmed.strip_prefix('/') {
                trimmed = rest;
            } else {
                break;
            }
        }
        let (dirs, file_name) = match trimmed.rfind('/') {
            Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
            None => ("", trimmed),
        };
        PathFacts {
            path: trimmed,
            file_name,
            under_secrets: dirs.split('/').any(|c| c == "secrets"),
        }
    }
}

/// ASCII case-insensitive `ends_with`.
fn ends_with_ci(name: &str, suffix: &str) -> bool {
    name.len() >= suffix.len()
        && name.as_bytes()[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// Files that may sit in `secrets/` in plaintext: the recipient lists vault
/// writes, and the placeholders and ignore files that keep a directory in git.
fn is_allowed_in_secrets(file_name: &str) -> bool {
    ends_with_ci(file_name, ".recipients")
        || matches!(
            file_name,
            ".gitkeep" | ".keep" | ".gitignore" | ".gitattributes"
        )
}

/// `decrypted-leftover`: what `vault edit`, `age -d` or a careless
/// `vault export` leaves behind. Anywhere: `*.dec`, `*.decrypted`,
/// `*.age.txt`; under `secrets/`: `*.toml`, `*.env`.
#[must_use]
pub fn is_decrypted_leftover(facts: &PathFacts<'_>) -> bool {
    let name = facts.file_name;
    ends_with_ci(name, ".dec")
        || ends_with_ci(name, ".decrypted")
        || ends_with_ci(name, ".age.txt")
        || (facts.under_secrets && (ends_with_ci(name, ".toml") || ends_with_ci(name, ".env")))
}

/// Name segments that mark a `.env` file as a committed template.
const TEMPLATE_SEGMENTS: &[&str] = &["example", "sample", "template", "dist", "tmpl", "tpl"];

/// `dotenv-file`: `.env`, `.env.*` and `*.env`, except templates (any
/// dot-separated part of the name is `example`, `sample`, `template`, `dist`,
/// `tmpl` or `tpl`: `.env.example`, `example.env`, `prod.env.sample`) and
/// `.env.vault`, which dotenv-vault encrypts on purpose to be committed.
///
/// `.envrc` is deliberately not a path finding: direnv files are routinely
/// committed with `use flake` or `layout python` and no secrets, so their
/// content goes through the content rules like any other file instead.
#[must_use]
pub fn is_dotenv_file(facts: &PathFacts<'_>) -> bool {
    let name = without_backup_decorations(facts.file_name);
    let is_env = name.eq_ignore_ascii_case(".env")
        || (name.len() > 5 && name.as_bytes()[..5].eq_ignore_ascii_case(b".env."))
        || ends_with_ci(name, ".env");
    if !is_env || name.eq_ignore_ascii_case(".env.vault") {
        return false;
    }
    !name.split('.').any(|segment| {
        TEMPLATE_SEGMENTS
            .iter()
            .any(|t| segment.eq_ignore_ascii_case(t))
    })
}

/// Suffixes editors and people add to a copy of a file.
const BACKUP_SUFFIXES: &[&str] = &[
    ".bak", ".backup", ".orig", ".old", ".save", ".swp", ".swo", ".tmp",
];

/// The name a backup or editor copy was made from: `.env~` (many editors), `#.env#`
/// (Emacs auto-save), `..env.swp` (Vim swap), `prod.env.bak`. A copy of a `.env` file holds
/// the same secrets.
fn without_backup_decorations(name: &str) -> &str {
    let mut name = name.trim_end_matches('~');
    if let Some(inner) = name.strip_prefix('#').and_then(|n| n.strip_suffix('#')) {
        name = inner;
    }
    for suffix in BACKUP_SUFFIXES {
        if ends_with_ci(name, suffix) && name.len() > suffix.len() {
            name = &name[..name.len() - suffix.len()];
            break;
        }
    }
    if name.starts_with("..") {
        name = &name[1..];
    }
    name
}

/// `secrets-plaintext`: any file under a `secrets/` directory except recipient
/// lists and `.gitkeep`-style files (the caller has already let age armor through).
#[must_use]
pub fn is_in_secrets_dir(facts: &PathFacts<'_>) -> bool {
    facts.under_secrets && !is_allowed_in_secrets(facts.file_name)
}

/// Lock files of package managers: full of integrity hashes and resolved
/// URLs, and never hand-edited, so the heuristic rules are skipped there.
/// Token formats and URL passwords still run (a private registry token in a
/// resolved URL is a real leak).
#[must_use]
pub fn is_lock_file(facts: &PathFacts<'_>) -> bool {
    let name = facts.file_name;
    ends_with_ci(name, ".lock")
        || ends_with_ci(name, ".lockfile")
        || ends_with_ci(name, "-lock.json")
        || ends_with_ci(name, "-lock.yaml")
        || ends_with_ci(name, "-lock.yml")
        || matches!(
            name,
            "go.sum" | "npm-shrinkwrap.json" | "packages.lock.json" | "Package.resolved"
        )
}

/// Extensions of programming-language source files. In these, a secret
/// literal is a quoted string; an unquoted value after `token:` or
/// `password =` is a type, a parameter or an expression.
const SOURCE_EXTENSIONS: &[&str] = &[
    "rs", "go", "java", "kt", "kts", "scala", "swift", "c", "h", "cc", "cpp", "cxx", "hpp", "hh",
    "cs", "fs", "ts", "tsx", "js", "jsx", "mjs", "cjs", "py", "pyi", "rb", "php", "pl", "pm",
    "lua", "dart", "ex", "exs", "erl", "hs", "ml", "clj", "groovy", "m", "mm", "r", "jl", "vue",
    "svelte", "sol", "zig", "nim", "v", "d", "cr", "elm", "purs", "rkt", "hx",
];

/// Whether the file is program source (by extension), where the generic rule
/// only considers quoted values.
#[must_use]
pub fn is_source_code(facts: &PathFacts<'_>) -> bool {
    facts.file_name.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty()
            && SOURCE_EXTENSIONS
                .iter()
                .any(|e| e.eq_ignore_ascii_case(ext))
    })
}

/// The vault template `.secrets.example.toml` documents every secret with
/// example patterns and defaults (`pattern = "^sk_live_"`) and by design holds
/// no values, so only private-key rules and known values run there: a private
/// key is never an example, and an exact copy of a real value is a leak
/// wherever it lands.
#[must_use]
pub fn is_secrets_template(facts: &PathFacts<'_>) -> bool {
    facts.file_name == ".secrets.example.toml"
}

/// Terraform and HCL files (`*.tf`, `*.hcl`), where a quoted `password = "…"`
/// is a resource argument rather than any string.
#[must_use]
pub fn is_terraform(facts: &PathFacts<'_>) -> bool {
    ends_with_ci(facts.file_name, ".tf") || ends_with_ci(facts.file_name, ".hcl")
}

/// NuGet's configuration file (`nuget.config`, any case).
#[must_use]
pub fn is_nuget_config(facts: &PathFacts<'_>) -> bool {
    facts.file_name.eq_ignore_ascii_case("nuget.config")
}

/// PHP source (`*.php`).
#[must_use]
pub fn is_php(facts: &PathFacts<'_>) -> bool {
    ends_with_ci(facts.file_name, ".php")
}

/// PKCS#12 keystores (`*.p12`, `*.pfx`); the scanner also checks that the
/// content is one (`validate::is_pkcs12`).
#[must_use]
pub fn is_pkcs12_file(facts: &PathFacts<'_>) -> bool {
    ends_with_ci(facts.file_name, ".p12") || ends_with_ci(facts.file_name, ".pfx")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(path: &str) -> PathFacts<'_> {
        PathFacts::new(path)
    }

    #[test]
    fn splits_paths() {
        let f = facts("./app/secrets/prod.age");
        assert_eq!(f.path, "app/secrets/prod.age");
        assert_eq!(f.file_name, "prod.age");
        assert!(f.under_secrets);
        assert!(!facts("secrets").under_secrets);
        assert!(!facts("my-secrets/x").under_secrets);
    }

    #[test]
    fn leftovers() {
        for p in [
            "secrets/prod.dec",
            "x/y.decrypted",
            "prod.age.txt",
            "secrets/prod.toml",
            "a/secrets/b/dev.env",
            "PROD.DEC",
        ] {
            assert!(is_decrypted_leftover(&facts(p)), "{p}");
        }
        for p in [
            "config.toml",
            "secrets/prod.age",
            "decimal.rs",
            "prod.env.example",
        ] {
            assert!(!is_decrypted_leftover(&facts(p)), "{p}");
        }
    }

    #[test]
    fn dotenv_files() {
        for p in [
            ".env",
            ".env.local",
            ".env.production",
            "prod.env",
            "deploy/.env",
            ".ENV",
        ] {
            assert!(is_dotenv_file(&facts(p)), "{p}");
        }
        for p in [
            ".env.example",
            ".env.sample",
            ".env.template",
            ".env.dist",
            "prod.env.example",
            "example.env",
            ".envrc",
            ".env.vault",
            "environment.ts",
            ".env/bin/activate",
            "dotenv.rs",
        ] {
            assert!(!is_dotenv_file(&facts(p)), "{p}");
        }
    }

    #[test]
    fn secrets_dir() {
        assert!(is_in_secrets_dir(&facts("secrets/notes.txt")));
        assert!(is_in_secrets_dir(&facts("svc/secrets/deep/x.json")));
        assert!(!is_in_secrets_dir(&facts("secrets/prod.recipients")));
        assert!(!is_in_secrets_dir(&facts("secrets/.gitkeep")));
        assert!(!is_in_secrets_dir(&facts("src/secret.rs")));
    }

    #[test]
    fn lock_files_and_template() {
        for p in [
            "Cargo.lock",
            "web/package-lock.json",
            "yarn.lock",
            "go.sum",
            "pnpm-lock.yaml",
            "poetry.lock",
        ] {
            assert!(is_lock_file(&facts(p)), "{p}");
        }
        assert!(!is_lock_file(&facts("package.json")));
        assert!(is_secrets_template(&facts("svc/.secrets.example.toml")));
        assert!(!is_secrets_template(&facts(".secrets.toml")));
    }

    #[test]
    fn source_code_by_extension() {
        for p in ["src/main.rs", "a/b.PY", "web/app.tsx", "x.go"] {
            assert!(is_source_code(&facts(p)), "{p}");
        }
        for p in [
            "config.yml",
            ".env",
            "run.sh",
            "README.md",
            ".rs",
            "Makefile",
        ] {
            assert!(!is_source_code(&facts(p)), "{p}");
        }
    }
}
