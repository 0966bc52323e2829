//! `vault render <env> TEMPLATE [-o OUT]`: fill a configuration file's `{{ NAME }}`
//! placeholders. The syntax and the filling are `crate::placeholders`'; this reads the
//! template, applies `exec`'s gate and writes the result.

use std::io::{Read, Write};
use std::path::Path;

use crate::cli::args::RenderArgs;
use crate::cli::{Context, Outcome, stdout_error};
use crate::error::Error;

/// Runs `vault render`.
pub fn run(context: &Context, args: &RenderArgs, out: &mut dyn Write) -> Result<Outcome, Error> {
    let template = read_template(&args.template)?;
    let render_error = |problems| Error::Render {
        template: args.template.clone(),
        env: args.env.clone(),
        problems,
    };
    // A malformed template fails before any key is touched.
    crate::placeholders::names(&template).map_err(render_error)?;
    let vault = context.vault()?;
    vault.require_env(&args.env)?;
    let schema = vault.template()?;
    let identities = context.identities()?;
    let payload = vault.decrypt(&args.env, &identities)?;
    drop(identities);
    // The rendered file feeds a running program, so the environment must pass the same
    // gate as for `exec`.
    crate::exec::ready_for_runtime(schema.as_ref(), &args.env, &payload)?;
    let variables = payload.variables(jiff::Timestamp::now());
    let rendered = crate::placeholders::fill(&template, |name| {
        variables
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.expose())
    })
    .map_err(render_error)?;
    match &args.output {
        Some(path) => {
            crate::store::atomic::write(path, &rendered, 0o600).map_err(|source| Error::Io {
                action: "write",
                path: path.clone(),
                source,
            })?
        }
        None => out.write_all(&rendered).map_err(stdout_error)?,
    }
    Ok(Outcome::Success)
}

fn read_template(path: &Path) -> Result<Vec<u8>, Error> {
    let io_error = |source| Error::Io {
        action: "read",
        path: path.to_owned(),
        source,
    };
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(io_error)?;
        return Ok(bytes);
    }
    std::fs::read(path).map_err(io_error)
}
