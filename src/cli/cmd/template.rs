//! `vault template export` and `vault template import`: between `.secrets.example.toml`
//! and the files apps already have (a startup validator, a `.env.example`).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::args::{TemplateCommand, TemplateExportArgs, TemplateFormat, TemplateImportArgs};
use crate::cli::error::Error;
use crate::cli::{Context, Outcome, print_json, render, stdout_error};
use crate::codegen::{self, Options, Target};
use crate::error::Error as VaultError;
use crate::schema::{TEMPLATE_FILE, Template};
use crate::store::{StoreError, Vault};

/// `vault template …`.
pub fn run(
    context: &Context,
    command: TemplateCommand,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    match command {
        TemplateCommand::Export(args) => export(context, &args, out),
        TemplateCommand::Import(args) => import(context, &args, out),
    }
}

/// Where the template lives: the vault's root; before `vault init`, the git work tree's
/// top, or the working directory outside git.
fn template_dir(context: &Context) -> PathBuf {
    if let Ok(vault) = Vault::discover_in(context.cwd(), context.repo().cloned()) {
        return vault.root().to_owned();
    }
    context
        .repo()
        .and_then(crate::git::Repo::work_tree)
        .unwrap_or_else(|| context.cwd().to_owned())
}

fn read_template(path: &Path) -> Result<Option<String>, VaultError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(VaultError::Io {
            action: "read",
            path: path.to_owned(),
            source,
        }),
    }
}

fn export(
    context: &Context,
    args: &TemplateExportArgs,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    let path = template_dir(context).join(TEMPLATE_FILE);
    let text = read_template(&path)?.ok_or_else(|| Error::NoTemplate { path: path.clone() })?;
    let template = Template::parse(&text).map_err(|source| StoreError::Template {
        path: path.clone(),
        source,
    })?;
    let target = match args.format {
        TemplateFormat::Pydantic => Target::Pydantic,
        TemplateFormat::Zod => Target::Zod,
        TemplateFormat::Joi => Target::Joi,
        TemplateFormat::DotenvExample => Target::DotenvExample,
    };
    let options = Options {
        target,
        env_var: args.env_var.clone(),
    };
    let generated = codegen::export(&template, &options)?;
    match &args.output {
        None => out.write_all(generated.as_bytes()).map_err(stdout_error)?,
        Some(file) => {
            let file = context.cwd().join(file);
            crate::store::atomic::write(&file, generated.as_bytes(), 0o644).map_err(|source| {
                VaultError::Io {
                    action: "write",
                    path: file.clone(),
                    source,
                }
            })?;
            render::note(&format!(
                "wrote {} ({} secrets, --format {}); commit it, and `vault check` reports it when it no longer matches the template",
                file.display(),
                template.secrets().count(),
                target.name()
            ));
        }
    }
    Ok(Outcome::Success)
}

fn import(
    context: &Context,
    args: &TemplateImportArgs,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    let source = context.cwd().join(&args.file);
    let dotenv = std::fs::read_to_string(&source).map_err(|e| VaultError::Io {
        action: "read",
        path: source.clone(),
        source: e,
    })?;
    let path = template_dir(context).join(TEMPLATE_FILE);
    let existing = read_template(&path)?;
    let file = args.file.display().to_string();
    let plan = codegen::import::plan(
        existing.as_deref(),
        &file,
        &dotenv,
        &crate::scan::Scanner::new(),
    )?;
    let shown = path
        .strip_prefix(context.cwd())
        .unwrap_or(&path)
        .display()
        .to_string();
    if args.json {
        let doc = serde_json::json!({
            "template": shown,
            "creates": plan.creates,
            "dry_run": args.dry_run,
            "added": plan.added(),
            "secrets": plan.secrets,
        });
        print_json(out, &doc)?;
    } else {
        print_plan(&plan, &shown, &file, out).map_err(stdout_error)?;
    }
    let dropped: Vec<&str> = plan
        .secrets
        .iter()
        .filter(|s| s.example == "dropped")
        .map(|s| s.name.as_str())
        .collect();
    if !dropped.is_empty() {
        render::warn(&format!(
            "the example values of {} look like real secrets and were left out of {TEMPLATE_FILE}; if they are, rotate them, since {file} may already be committed",
            dropped.join(", ")
        ));
    }
    if args.dry_run {
        render::note("dry run: nothing was written");
        return Ok(Outcome::Success);
    }
    if plan.added() == 0 {
        return Ok(Outcome::Success);
    }
    crate::store::atomic::write(&path, plan.text.as_bytes(), 0o644).map_err(|source| {
        VaultError::Io {
            action: "write",
            path: path.clone(),
            source,
        }
    })?;
    render::note(&format!(
        "{} {shown} ({} secret(s) added); next: review it (`required`, `pattern`, `min_length`), then `vault init` if this repository has no vault yet, `vault import <env> .env`, and `vault template export --format pydantic|zod|joi -o FILE`",
        if plan.creates { "created" } else { "extended" },
        plan.added()
    ));
    Ok(Outcome::Success)
}

fn print_plan(
    plan: &codegen::import::ImportPlan,
    template: &str,
    file: &str,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let verb = if plan.creates { "create" } else { "extend" };
    writeln!(out, "Plan: {verb} {template} from {file}")?;
    let width = plan.secrets.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for secret in &plan.secrets {
        if secret.action == "kept" {
            writeln!(
                out,
                "  = {:width$}  already declared; left alone",
                secret.name
            )?;
            continue;
        }
        let mut facts = Vec::new();
        if let Some(format) = secret.format {
            facts.push(format!("format {format}"));
        }
        if secret.description.is_some() {
            facts.push("description from its comment".to_owned());
        }
        match secret.example {
            "kept" => facts.push("example value kept as a comment".to_owned()),
            "dropped" => facts.push(format!(
                "example value DROPPED: looks like a secret ({})",
                secret.rules.join(", ")
            )),
            _ => {}
        }
        let line = format!("  + {:width$}  {}", secret.name, facts.join("; "));
        writeln!(out, "{}", line.trim_end())?;
    }
    if plan.secrets.is_empty() {
        writeln!(out, "  (no variables in {file})")?;
    }
    Ok(())
}
