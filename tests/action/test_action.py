"""Tests action.yml and the workflows (tests/action/run runs this from .ci/run).

    python3 tests/action/test_action.py --wheel-dir DIR --vault PATH

DIR holds the built wheel (the action's `install: pip` step installs it from there, through
PIP_FIND_LINKS and PIP_NO_INDEX, exactly as it would from PyPI); PATH is a vault binary for
making the fixture repository and for `install: none`. Needs PyYAML.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
try:
    import tomllib
except ModuleNotFoundError:  # Python before 3.11: pip carries the same parser
    from pip._vendor import tomli as tomllib

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simulate  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# Values chosen to be hard to mask and to fence: several lines, a workflow command's escape
# character, a heredoc-looking line, leading spaces, and one that looks like a command.
SECRETS = {
    "TLS_KEY": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n  c2VjcmV0LWxpbmUtdHdv\n-----END PRIVATE KEY-----",
    "DB_PASSWORD": "p%40ss%25word-Zq81x",
    "API_TOKEN": "tok_live_9d8f7a6b5c4e3d2f1a0b",
    "TRICKY": "EOF\nGITHUB_TOKEN=injected\n::warning::not-a-command-Xy7",
    # The runner's log reader ends a line at a lone carriage return.
    "CARRIAGE": "before-the-return-Qz1\rafter-the-return-Qz2",
}

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def hermetic_env(home, vault_dir):
    return {
        "PATH": f"{vault_dir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "XDG_CONFIG_HOME": os.path.join(home, ".config"),
        "NO_COLOR": "1",
        "LANG": "C.UTF-8",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.path.join(home, ".gitconfig"),
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }


def make_fixture(base, vault):
    """A repository with dev and prod; ci-dev reads dev only. Returns (repo, env, keys)."""
    home = os.path.join(base, "home")
    repo = os.path.join(base, "repo")
    os.makedirs(home)
    os.makedirs(repo)
    env = hermetic_env(home, os.path.dirname(vault))

    def run(*argv, stdin=None, extra=None):
        e = dict(env, **(extra or {}))
        p = subprocess.run(argv, cwd=repo, env=e, input=stdin, capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit(f"fixture: {' '.join(argv[:3])} failed: {p.stderr}")
        return p.stdout

    keys = {}
    for who in ("alice", "ci-dev", "ci-prod"):
        path = os.path.join(home, f"{who}.key")
        public = run(vault, "identity", "new", "--output", path).strip()
        with open(path, encoding="utf-8") as f:
            keys[who] = (path, public, f.read())
    alice = {"VAULT_IDENTITY_FILE": keys["alice"][0]}
    run("git", "init", "-q", "-b", "main")
    run(vault, "init", "--name", "alice", "--env", "dev,prod", extra=alice)
    os.remove(os.path.join(repo, ".secrets.example.toml"))
    run(vault, "member", "add", "ci-dev", "--env", "dev", "--key", keys["ci-dev"][1], "--yes", extra=alice)
    run(vault, "member", "add", "ci-prod", "--env", "prod", "--key", keys["ci-prod"][1], "--yes", extra=alice)
    for name, value in SECRETS.items():
        run(vault, "set", "dev", name, stdin=value, extra=alice)
    run(vault, "set", "prod", "API_TOKEN", stdin="tok_live_prod_only_77aa", extra=alice)
    run("git", "add", "-A")
    run("git", "commit", "-q", "-m", "secrets")
    return repo, env, keys


def lines_of(value):
    return [l.strip() for l in simulate.runner_lines(value) if l.strip()]


def assert_no_identity(result, identity, label):
    secret_lines = lines_of(identity)
    text = result.all_text()
    leaked = [l for l in secret_lines if l.startswith("AGE-SECRET-KEY") and l in text]
    check(not leaked, f"{label}: the identity appears in no log, env file or output")
    check(not result.cmdlines_with_identity, f"{label}: the identity is on no command line")
    check("VAULT_IDENTITY" not in result.env, f"{label}: VAULT_IDENTITY does not outlive its step")


def test_lint():
    action = simulate.load_yaml(os.path.join(ROOT, "action.yml"))
    problems = simulate.lint_action(action)
    check(not problems, "action.yml lint: " + ("; ".join(problems) or "clean"))
    for name in ("ci.yml", "release.yml"):
        path = os.path.join(ROOT, ".github", "workflows", name)
        workflow = simulate.load_yaml(path)
        problems = simulate.lint_workflow(workflow)
        check(not problems, f"{name} lint: " + ("; ".join(problems) or "clean"))
    ci = simulate.load_yaml(os.path.join(ROOT, ".github", "workflows", "ci.yml"))
    runs = [s.get("run", "") for j in ci["jobs"].values() for s in j.get("steps", [])]
    check(any(".ci/run" in r for r in runs), "ci.yml runs .ci/run")
    release = simulate.load_yaml(os.path.join(ROOT, ".github", "workflows", "release.yml"))
    trigger = release.get("on", release.get(True))
    check(trigger.get("push", {}).get("tags") == ["v*"], "release.yml runs on v* tags")
    text = open(os.path.join(ROOT, ".github", "workflows", "release.yml"), encoding="utf-8").read()
    check("pypa/gh-action-pypi-publish" in text and "id-token: write" in text,
          "release.yml publishes to PyPI with trusted publishing")
    check("SHA256SUMS" in text, "release.yml publishes checksums")
    # The workflow docs/ci.md shows parses, passes the same lint, and uses only real inputs.
    doc = open(os.path.join(ROOT, "docs", "ci.md"), encoding="utf-8").read()
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", doc, re.S) if b.startswith("name:")]
    check(len(blocks) == 1, "docs/ci.md shows one workflow")
    declared = set(action.get("inputs") or {})
    for block in blocks:
        workflow = yaml.safe_load(block)
        problems = simulate.lint_workflow(workflow)
        uses = [s for j in workflow["jobs"].values() for s in j.get("steps", [])
                if str(s.get("uses", "")).startswith("<org>/vault@")]
        for step in uses:
            unknown = set(step.get("with") or {}) - declared
            if unknown:
                problems.append(f"uses inputs the action does not declare: {sorted(unknown)}")
        check(uses and not problems, "docs/ci.md workflow lint: " + ("; ".join(problems) or "clean"))


def test_shellcheck():
    """Every run: script of the action and the workflows passes shellcheck."""
    if shutil.which("shellcheck") is None:
        check(False, "shellcheck is installed (.ci/run installs it)")
        return
    sources = [("action.yml", simulate.load_yaml(os.path.join(ROOT, "action.yml"))["runs"]["steps"])]
    for name in ("ci.yml", "release.yml"):
        workflow = simulate.load_yaml(os.path.join(ROOT, ".github", "workflows", name))
        sources.append((name, [s for j in workflow["jobs"].values() for s in j.get("steps", [])]))
    with tempfile.TemporaryDirectory() as tmp:
        for name, steps in sources:
            for index, step in enumerate(steps):
                if "run" not in step:
                    continue
                script = os.path.join(tmp, "step.sh")
                with open(script, "w", encoding="utf-8") as f:
                    f.write("#!/usr/bin/env bash\n" + step["run"])
                p = subprocess.run(["shellcheck", "-s", "bash", script], capture_output=True, text=True)
                label = step.get("id") or step.get("name") or index
                check(p.returncode == 0, f"shellcheck {name} step {label}" + ("" if p.returncode == 0 else "\n" + p.stdout))
    scripts = ["scripts/build-wheel", "scripts/package-release", "tests/action/run"]
    p = subprocess.run(["shellcheck"] + [os.path.join(ROOT, s) for s in scripts], capture_output=True, text=True)
    check(p.returncode == 0, "shellcheck " + ", ".join(scripts) + ("" if p.returncode == 0 else "\n" + p.stdout))


def test_release_archive_matches_binstall(vault):
    """scripts/package-release's archive is where cargo-binstall's metadata looks."""
    with open(os.path.join(ROOT, "Cargo.toml"), "rb") as f:
        cargo = tomllib.load(f)
    meta = cargo["package"]["metadata"]["binstall"]
    version, target = cargo["package"]["version"], "x86_64-unknown-linux-musl"

    def fill(template):
        return re.sub(r"\{\s*(\w[\w-]*)\s*\}", lambda m: {
            "version": version, "target": target, "bin": "vault", "binary-ext": "",
            "archive-format": "tgz", "archive-suffix": ".tar.gz", "repo": "https://github.com/o/r",
            "name": "vault"}[m.group(1)], template)

    url, bin_dir = fill(meta["pkg-url"]), fill(meta["bin-dir"])
    check(meta.get("pkg-fmt") == "tgz", "binstall pkg-fmt is tgz")
    check(url == f"https://github.com/o/r/releases/download/v{version}/vault-{version}-{target}.tar.gz",
          f"binstall pkg-url points at the release asset ({url})")
    for gnu, spec in (meta.get("overrides") or {}).items():
        musl = gnu.replace("-gnu", "-musl")
        want = (url.replace(target, musl), bin_dir.replace(target, musl))
        check((fill(spec["pkg-url"]), fill(spec["bin-dir"])) == want,
              f"binstall on {gnu} fetches the {musl} release archive")
    release = simulate.load_yaml(os.path.join(ROOT, ".github", "workflows", "release.yml"))
    built = {row["target"] for row in release["jobs"]["binaries"]["strategy"]["matrix"]["include"]}
    wanted = {g.replace("-gnu", "-musl") for g in (meta.get("overrides") or {})} | {target}
    check(wanted <= built, f"release.yml builds every archive binstall asks for ({sorted(wanted - built) or 'all'})")
    out = tempfile.mkdtemp(prefix="package-release-")
    try:
        p = subprocess.run(["bash", os.path.join(ROOT, "scripts", "package-release"), target, version, vault, out],
                           capture_output=True, text=True)
        check(p.returncode == 0, "scripts/package-release runs" + ("" if p.returncode == 0 else ": " + p.stderr))
        archive = os.path.join(out, url.rsplit("/", 1)[1])
        check(os.path.exists(archive), f"package-release writes {os.path.basename(archive)}")
        if os.path.exists(archive):
            with tarfile.open(archive) as t:
                member = t.getmember(bin_dir)
                check(member.isfile() and member.mode & 0o111, f"the archive holds an executable {bin_dir}")
            sums = open(archive + ".sha256", encoding="utf-8").read().split()
            import hashlib
            digest = hashlib.sha256(open(archive, "rb").read()).hexdigest()
            check(sums == [digest, os.path.basename(archive)], "the .sha256 file is sha256sum -c format")
    finally:
        shutil.rmtree(out, ignore_errors=True)


def test_action_runs(wheel_dir, vault):
    base = tempfile.mkdtemp(prefix="vault-action-test-")
    try:
        repo, env, keys = make_fixture(base, vault)
        ci_dev_identity = keys["ci-dev"][2]
        # A runner's PATH without vault on it (python3 and git are on it).
        python_dir = os.path.dirname(shutil.which("python3"))
        runner_path = f"{python_dir}:/usr/local/bin:/usr/bin:/bin"
        runner_path = ":".join(d for d in runner_path.split(":") if not os.path.exists(os.path.join(d, "vault")))
        runner = dict(env, PATH=runner_path, PIP_NO_INDEX="1", PIP_FIND_LINKS=wheel_dir,
                      PIP_DISABLE_PIP_VERSION_CHECK="1")

        # 1. install from the wheel, load dev.
        r = simulate.run_action(ROOT, {"command": "load", "environment": "dev",
                                       "identity": ci_dev_identity}, runner, repo, base,
                                watch_for=lines_of(ci_dev_identity)[-1])
        check(r.failed_step is None, "load dev: every step succeeds"
              + ("" if r.failed_step is None else f" (failed: {r.failed_step}: {r.steps[-1]['stderr'][-400:]})"))
        check(re.fullmatch(r"vault \S+", r.outputs.get("version", "")) is not None,
              f"output version is `vault --version` ({r.outputs.get('version')!r})")
        check(len(r.path) == 1 and os.listdir(r.path[0]) == ["vault"],
              "only vault goes on PATH (not the virtualenv's python)")
        for name, value in SECRETS.items():
            check(r.env.get(name) == value, f"load dev: {name} reaches the job's environment exactly")
        check("TRICKY" in r.env and "GITHUB_TOKEN" not in r.env, "load dev: a value cannot inject a variable")
        run_step = next((s for s in r.steps if s["id"] == "run"), None)
        snapshot = (run_step or {}).get("masks_at_first_env_write") or []
        for name, value in SECRETS.items():
            missing = [l for l in lines_of(value) if l not in snapshot]
            check(not missing, f"load dev: every line of {name} was masked before $GITHUB_ENV was written")
        logs = "\n".join(l for s in r.steps for l in simulate.runner_lines(s["stdout"] + s["stderr"])
                          if not l.startswith("::add-mask::"))
        shown = [n for n, v in SECRETS.items() if any(l in logs for l in lines_of(v) if len(l) > 8)]
        check(not shown, f"load dev: no value appears in the log outside mask commands {shown}")
        check("tok_live_prod_only" not in r.all_text(), "load dev: nothing of prod is loaded")
        assert_no_identity(r, ci_dev_identity, "load dev")

        # 1b. a second use in the same job, on the vault the first one installed.
        job = dict(runner, PATH=":".join(r.path + [runner_path]))
        again = simulate.run_action(ROOT, {"install": "none", "environment": "dev",
                                           "identity": ci_dev_identity}, job, repo, base,
                                    runner_temp=r.runner_temp)
        check(again.failed_step is None and again.outputs.get("version") == r.outputs.get("version"),
              "a second use with install: none runs the vault the first one installed"
              + ("" if again.failed_step is None else ": " + again.steps[-1]["stdout"][-300:]))

        # 2. the check gate with the vault already on PATH.
        with_vault = dict(runner, PATH=f"{os.path.dirname(vault)}:{runner_path}")
        r = simulate.run_action(ROOT, {"command": "check", "environment": "dev", "install": "none",
                                       "identity": ci_dev_identity}, with_vault, repo, base,
                                watch_for=lines_of(ci_dev_identity)[-1])
        out = "".join(s["stdout"] + s["stderr"] for s in r.steps)
        # `warnings`: the fixture's keys are classic, so check warns `legacy-recipient`.
        check(r.failed_step is None and ("dev: ok" in out or "dev: warnings" in out),
              "check dev with install: none passes")
        check(not r.masks and not any(s["env_text"] for s in r.steps), "check writes no masks and no env")
        assert_no_identity(r, ci_dev_identity, "check dev")

        # 3. key-free check of every environment, no identity at all.
        r = simulate.run_action(ROOT, {"install": "none"}, with_vault, repo, base)
        out = "".join(s["stdout"] + s["stderr"] for s in r.steps)
        check(r.failed_step is None and "could not decrypt" in out, "check without identity runs the key-free checks")

        # 4. failures: clean, nothing written.
        cases = [
            ({"command": "load", "environment": "dev"}, "load without identity"),
            ({"command": "load", "environment": "prod", "identity": ci_dev_identity}, "load of an environment the key cannot read"),
            ({"command": "load", "identity": ci_dev_identity}, "load without environment"),
            ({"command": "deploy"}, "an unknown command"),
            ({"install": "brew"}, "an unknown install method"),
            ({"version": "1.0; touch pwned"}, "a version that is not one"),
            ({"install": "cargo", "version": "9.9.9"}, "install: cargo of a version other than the action's"),
            ({"install": "binstall", "version": "9.9.9"}, "install: binstall of a version other than the action's"),
            ({"install": "binstall"}, "install: binstall without cargo-binstall on PATH"),
        ]
        for inputs, label in cases:
            inputs.setdefault("install", "none")
            r = simulate.run_action(ROOT, inputs, with_vault, repo, base)
            check(r.failed_step is not None and not r.masks and "TLS_KEY" not in r.env,
                  f"{label}: fails, loads nothing")
            if "identity" in inputs:
                assert_no_identity(r, ci_dev_identity, label)

        # 5. inputs are data, never code: an environment name built to break out of a script.
        marker = os.path.join(base, "pwned")
        for evil in [f'dev"; touch {marker}; echo "', f"$(touch {marker})", f"`touch {marker}`",
                     f"dev\ntouch {marker}"]:
            r = simulate.run_action(ROOT, {"install": "none", "environment": evil, "args": f"$(touch {marker})"},
                                    with_vault, repo, base)
            check(not os.path.exists(marker) and r.failed_step is not None,
                  f"environment {evil.splitlines()[0][:12]!r}…: refused by vault, never run by the shell")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheel-dir", required=True)
    parser.add_argument("--vault", required=True)
    args = parser.parse_args()
    vault = os.path.abspath(args.vault)
    test_lint()
    test_shellcheck()
    test_release_archive_matches_binstall(vault)
    test_action_runs(os.path.abspath(args.wheel_dir), vault)
    if failures:
        print(f"\n{len(failures)} action test(s) failed", file=sys.stderr)
        sys.exit(1)
    print("\naction tests passed")


if __name__ == "__main__":
    main()
