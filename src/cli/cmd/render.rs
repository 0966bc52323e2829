//! `vault render <env> TEMPLATE [-o OUT]`: fill a configuration file's `{{ NAME }}`
//! placeholders. The syntax and the filling are `crate::placeholders`'; this reads the
//! template, applies `exec`'s gate and writes the result.

use std::io::{Read, Write};
use std::path::Path;

use crate::cli::args::RenderArgs;
use crate::cli::error::Error;
use crate::cli::{Context, Outcome, stdout_error};
use crate::error::Error as VaultError;

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
        Some(path) => crate::store::atomic::write(path, &rendered, 0o600).map_err(|source| {
            VaultError::Io {
                action: "write",
                path: path.clone(),
                source,
            }
        })?,
        None => out.write_all(&rendered).map_err(stdout_error)?,
    }
    Ok(Outcome::Success)
}

fn read_template(path: &Path) -> Result<Vec<u8>, Error> {
    let io_error = |source| VaultError::Io {
        action: "read",
        path: path.to_owned(),
        source,
    };
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(io_error)?;
        return Ok(bytes);
    }
    // The template is usually a file in the repository, which anyone who can push may
    // replace with a symlink to the identity file or /proc/self/environ: the key would end
    // up in the rendered file or the log. Only a regular file, opened without following a
    // final symlink, is a template.
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
        .map_err(|source| match source.raw_os_error() {
            Some(code) if code == rustix::io::Errno::LOOP.raw_os_error() => io_error(
                std::io::Error::other("it is a symbolic link; a template must be a regular file"),
            ),
            _ => io_error(source),
        })?;
    let metadata = file.metadata().map_err(io_error)?;
    if !metadata.is_file() {
        return Err(io_error(std::io::Error::other(
            "it is not a regular file; a template must be one",
        ))
        .into());
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(io_error)?;
    Ok(bytes)
}
