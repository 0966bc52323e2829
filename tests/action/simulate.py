"""Runs action.yml's steps the way a GitHub runner runs a composite action, and lints it.

A fake runner, enough to test what matters about the action: each `run:` step is written
to a script and run with `bash --noprofile --norc -eo pipefail`, with the step's `env:`
after `${{ }}` substitution (the only place the action may interpolate), fresh
$GITHUB_ENV / $GITHUB_OUTPUT / $GITHUB_PATH files per step processed after it as the runner
does, and `::add-mask::` commands collected from stdout. $GITHUB_ENV is a FIFO, so the
runner sees the moment the first byte is written and can tell which masks had reached the
log by then. While a step runs, every process's command line is watched for the identity.

Used by tests/action/test_action.py; knows nothing about vault beyond action.yml.
"""

import fcntl
import os
import re
import select
import subprocess
import tempfile

import yaml

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def lint_action(action):
    """Problems with action.yml, as a list of sentences (empty: fine)."""
    problems = []
    inputs = action.get("inputs") or {}
    runs = action.get("runs") or {}
    if runs.get("using") != "composite":
        problems.append("runs.using is not composite")
    for name, spec in inputs.items():
        if not (spec or {}).get("description"):
            problems.append(f"input {name} has no description")
    ids = set()
    for index, step in enumerate(runs.get("steps") or []):
        where = f"step {step.get('id', index)}"
        ids.add(step.get("id"))
        if "uses" in step or "run" not in step:
            problems.append(f"{where}: only run steps are allowed (the simulator runs no actions)")
            continue
        if step.get("shell") != "bash":
            problems.append(f"{where}: composite run steps need shell: bash")
        if "if" in step:
            problems.append(f"{where}: branch inside the script on env, not with if:")
        if "${{" in step["run"]:
            problems.append(f"{where}: ${{{{ }}}} inside run: (pass the value through env:, or it becomes shell code)")
        for key, value in (step.get("env") or {}).items():
            for expr in EXPR.findall(str(value)):
                m = re.fullmatch(r"inputs\.([A-Za-z0-9_-]+)", expr)
                if not m or m.group(1) not in inputs:
                    problems.append(f"{where}: env {key} uses {expr!r}, not a declared input")
                elif m.group(1) == "identity" and key != "VAULT_IDENTITY":
                    problems.append(f"{where}: the identity may only go to VAULT_IDENTITY")
            if str(value).strip() != str(value).strip().replace("\n", ""):
                problems.append(f"{where}: env {key} spans lines")
        for expr in EXPR.findall(str(step.get("working-directory", ""))):
            if expr != "inputs.working-directory":
                problems.append(f"{where}: working-directory uses {expr!r}")
        if "VAULT_IDENTITY" in (step.get("env") or {}) and step.get("id") != "run":
            problems.append(f"{where}: only the step that runs vault gets the identity")
    for name, spec in (action.get("outputs") or {}).items():
        for expr in EXPR.findall(str(spec.get("value", ""))):
            m = re.fullmatch(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)", expr)
            if not m or m.group(1) not in ids:
                problems.append(f"output {name} uses {expr!r}, not a step's output")
    text = yaml.safe_dump(action)
    for expr in EXPR.findall(text):
        if "secrets." in expr or "github.event" in expr:
            problems.append(f"{expr!r}: an action takes secrets and event data only as inputs")
    return problems


def lint_workflow(workflow):
    """Problems with a workflow file, as a list of sentences."""
    problems = []
    # PyYAML reads the key `on` as the boolean true (YAML 1.1).
    if "on" not in workflow and True not in workflow:
        problems.append("no on: trigger")
    jobs = workflow.get("jobs") or {}
    if not jobs:
        problems.append("no jobs")
    for job_name, job in jobs.items():
        if "runs-on" not in job and "uses" not in job:
            problems.append(f"job {job_name}: no runs-on")
        for index, step in enumerate(job.get("steps") or []):
            where = f"job {job_name} step {step.get('name', index)}"
            if ("run" in step) == ("uses" in step):
                problems.append(f"{where}: needs exactly one of run: and uses:")
            if "${{" in str(step.get("run", "")):
                problems.append(f"{where}: ${{{{ }}}} inside run: (pass it through env:)")
            uses = str(step.get("uses", ""))
            if uses and not uses.startswith("./") and "@" not in uses:
                problems.append(f"{where}: {uses} is not pinned to a version")
    return problems


def parse_env_file(text):
    """$GITHUB_ENV / $GITHUB_OUTPUT syntax: NAME=value lines and NAME<<DELIM heredocs."""
    out, lines = [], text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            while i < len(lines) and lines[i] != delimiter:
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise ValueError(f"unterminated heredoc for {name}")
            i += 1
            out.append((name, "\n".join(body)))
        elif "=" in line:
            name, value = line.split("=", 1)
            out.append((name, value))
        else:
            raise ValueError(f"invalid line in an env file: {line[:20]!r}")
    return out


def runner_lines(text):
    """A step's output as the runner reads it: .NET's ReadLine ends a line at \\n, \\r\\n or
    a lone \\r (the runner reads $GITHUB_ENV differently: at \\n only, on Linux)."""
    return re.split(r"\r\n|\r|\n", text)


def unescape_command_data(data):
    return data.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


class Result:
    def __init__(self):
        self.steps = []          # per step: dict(id, rc, stdout, stderr, env_text, masks_at_first_env_write)
        self.masks = []          # every ::add-mask:: value, in order
        self.env = {}            # the job's environment after the action
        self.path = []           # $GITHUB_PATH additions, newest first
        self.outputs = {}
        self.failed_step = None
        self.cmdlines_with_identity = []

    def all_text(self):
        parts = []
        for s in self.steps:
            parts += [s["stdout"], s["stderr"], s["env_text"], s["output_text"], s["path_text"]]
        parts += list(self.outputs.values())
        return "\n".join(parts)


def _descendant_cmdlines():
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    yield f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                pass


def run_action(action_dir, inputs, base_env, workspace, temp, watch_for=None, runner_temp=None):
    """Runs the action in `action_dir` with `inputs` (names as in action.yml), with a fresh
    $RUNNER_TEMP under `temp` (left for the caller to inspect and remove), or the given
    `runner_temp` (a later use of the action in the same job)."""
    action = load_yaml(os.path.join(action_dir, "action.yml"))
    declared = action.get("inputs") or {}
    unknown = set(inputs) - set(declared)
    if unknown:
        raise ValueError(f"inputs not declared by the action: {sorted(unknown)}")
    values = {k: str(inputs.get(k, (v or {}).get("default", ""))) for k, v in declared.items()}
    result = Result()
    job_env = dict(base_env)
    step_outputs = {}
    runner_temp = runner_temp or tempfile.mkdtemp(prefix="runner-temp-", dir=temp)
    result.runner_temp = runner_temp
    job_env.update(RUNNER_TEMP=runner_temp, GITHUB_ACTION_PATH=action_dir,
                   GITHUB_WORKSPACE=workspace, GITHUB_ACTIONS="true", CI="true")

    def substitute(text):
        def one(m):
            expr = m.group(1)
            if expr.startswith("inputs."):
                return values[expr[len("inputs."):]]
            m2 = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
            if m2:
                return step_outputs.get(m2.group(1), {}).get(m2.group(2), "")
            raise ValueError(f"the simulator does not evaluate {expr!r}")
        return EXPR.sub(one, str(text))

    try:
        for index, step in enumerate(action["runs"]["steps"]):
            sid = step.get("id", f"step{index}")
            files = tempfile.mkdtemp(prefix="runner-files-", dir=runner_temp)
            env_fifo = os.path.join(files, "env")
            os.mkfifo(env_fifo, 0o600)
            output_file = os.path.join(files, "output")
            path_file = os.path.join(files, "path")
            summary = os.path.join(files, "summary")
            for p in (output_file, path_file, summary):
                open(p, "w").close()
            env = dict(job_env)
            env["PATH"] = ":".join(result.path + [base_env["PATH"]])
            for key, value in (step.get("env") or {}).items():
                env[key] = substitute(value)
            env.update(GITHUB_ENV=env_fifo, GITHUB_OUTPUT=output_file, GITHUB_PATH=path_file,
                       GITHUB_STEP_SUMMARY=summary)
            cwd = os.path.join(workspace, substitute(step.get("working-directory", ".")))
            script = os.path.join(files, "script.sh")
            with open(script, "w", encoding="utf-8") as f:
                f.write(step["run"])
            record = _run_step(["bash", "--noprofile", "--norc", "-eo", "pipefail", script],
                               env, cwd, env_fifo, watch_for, result)
            record["id"] = sid
            with open(output_file, encoding="utf-8") as f:
                record["output_text"] = f.read()
            with open(path_file, encoding="utf-8") as f:
                record["path_text"] = f.read()
            result.steps.append(record)
            for line in runner_lines(record["stdout"]):
                if line.startswith("::add-mask::"):
                    result.masks.append(unescape_command_data(line[len("::add-mask::"):]))
            if record["rc"] != 0:
                result.failed_step = sid
                break
            # After the step, as the runner does: env, outputs and PATH for the next ones.
            for name, value in parse_env_file(record["env_text"]):
                job_env[name] = value
            step_outputs[sid] = dict(parse_env_file(record["output_text"]))
            result.path = [l for l in reversed(record["path_text"].splitlines()) if l] + result.path
        if result.failed_step is None:
            for name, spec in (action.get("outputs") or {}).items():
                result.outputs[name] = substitute(spec.get("value", ""))
    finally:
        result.env = job_env
    return result


def _run_step(argv, env, cwd, env_fifo, watch_for, result):
    # Opened non-blocking first, so a writer's open succeeds; reopened after each writer.
    def open_fifo():
        return os.open(env_fifo, os.O_RDONLY | os.O_NONBLOCK)

    fifo = open_fifo()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for stream in (proc.stdout, proc.stderr):
        flags = fcntl.fcntl(stream.fileno(), fcntl.F_GETFL)
        fcntl.fcntl(stream.fileno(), fcntl.F_SETFL, flags | os.O_NONBLOCK)
    out, err, env_text = bytearray(), bytearray(), bytearray()
    masks_snapshot = None
    open_streams = {proc.stdout.fileno(): out, proc.stderr.fileno(): err}

    def drain(fd, buf):
        while True:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                return True
            if not chunk:
                return False
            buf.extend(chunk)

    while open_streams or proc.poll() is None:
        fds = list(open_streams) + [fifo]
        ready, _, _ = select.select(fds, [], [], 0.01)
        if watch_for:
            for cmdline in _descendant_cmdlines():
                if watch_for in cmdline:
                    result.cmdlines_with_identity.append(cmdline[:40] + "…")
        if fifo in ready:
            try:
                chunk = os.read(fifo, 65536)
            except BlockingIOError:
                chunk = None
            if chunk:
                if masks_snapshot is None:
                    # Whatever the step wrote to stdout before this byte is in the pipe now.
                    drain(proc.stdout.fileno(), out)
                    masks_snapshot = [unescape_command_data(l[len("::add-mask::"):])
                                      for l in runner_lines(out.decode("utf-8", "replace"))
                                      if l.startswith("::add-mask::")]
                env_text.extend(chunk)
            elif chunk == b"":
                os.close(fifo)
                fifo = open_fifo()
        for fd in list(open_streams):
            if fd in ready and not drain(fd, open_streams[fd]):
                del open_streams[fd]
    while True:
        try:
            chunk = os.read(fifo, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        env_text.extend(chunk)
    os.close(fifo)
    proc.stdout.close()
    proc.stderr.close()
    return {
        "rc": proc.wait(),
        "stdout": out.decode("utf-8", "replace"),
        "stderr": err.decode("utf-8", "replace"),
        "env_text": env_text.decode("utf-8", "replace"),
        "masks_at_first_env_write": masks_snapshot,
    }
