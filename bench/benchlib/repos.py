"""Generated git repositories, written with `git fast-import` for speed:

- a monorepo of N files (code, config, JSON, docs, lock files) with staged changes, some
  of which carry planted secrets (scenario 4);
- a long history: edits, additions, renames and deletions over thousands of commits, with
  secrets committed and removed later, and an unmerged feature branch (scenarios 5, 6).
"""

from __future__ import annotations

import os
import random
import re
import subprocess
from pathlib import Path

from . import corpus, fakes
from .fixtures import Env, git_init

T0 = 1640995200  # 2022-01-01


class FastImport:
    """A writer of a fast-import stream into a pipe."""

    def __init__(self, env: Env, repo: Path, marks: Path):
        self.proc = subprocess.Popen(["git", "fast-import", "--quiet", "--done",
                                      f"--export-marks={marks}"],
                                     cwd=repo, env=env.env(), stdin=subprocess.PIPE)
        self.out = self.proc.stdin

    def data(self, payload: bytes):
        self.out.write(b"data %d\n" % len(payload))
        self.out.write(payload)
        self.out.write(b"\n")

    def commit(self, ref: str, mark: int, when: int, author: str, message: str,
               parent: int | None, ops: list):
        w = self.out.write
        w(f"commit {ref}\nmark :{mark}\n".encode())
        name = author.split("@")[0].replace(".", " ").title()
        w(f"author {name} <{author}> {when} +0000\ncommitter {name} <{author}> {when} +0000\n".encode())
        self.data(message.encode())
        if parent is not None:
            w(f"from :{parent}\n".encode())
        for op in ops:
            if op[0] == "M" and isinstance(op[2], str):  # a blob written before, by mark
                w(f"M 100644 {op[2]} {op[1]}\n".encode())
            elif op[0] == "M":
                w(f"M 100644 inline {op[1]}\n".encode())
                self.data(op[2])
            elif op[0] == "D":
                w(f"D {op[1]}\n".encode())
            elif op[0] == "R":
                w(f'R "{op[1]}" "{op[2]}"\n'.encode())

    def blob(self, mark: int, payload: bytes):
        self.out.write(f"blob\nmark :{mark}\n".encode())
        self.data(payload)

    def close(self):
        self.out.write(b"done\n")
        self.out.close()
        if self.proc.wait() != 0:
            raise RuntimeError("git fast-import failed")


def read_marks(path: Path) -> dict[int, str]:
    marks = {}
    for line in path.read_text().splitlines():
        mark, sha = line.split()
        marks[int(mark[1:])] = sha
    return marks


def _blob(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


AUTHORS = ["ana.silva@example.com", "li.wei@example.com", "sam.okafor@example.com",
           "maria.garcia@example.com", "tom.berg@example.com", "priya.nair@example.com"]


def _message(rng) -> str:
    verb = rng.choice(["fix", "add", "refactor", "update", "remove", "tune", "document", "rename"])
    return f"{verb} {corpus.ident(rng)} in {corpus.ident(rng, 1)}\n\n{corpus.sentence(rng)}\n"


# --- scenario 4: a large monorepo with staged changes -----------------------------------------

def monorepo(env: Env, repo: Path, n_files: int, n_staged: int, seed: int = 11,
             before_staging=None, copies: int = 1) -> dict:
    """A checked-out repository of n_files files (one commit), then n_staged staged changes:
    four fifths edits of existing source files, one fifth new files. Returns the planted
    secrets (a handful of staged files carry one).

    With `copies` > 1 the same files are also committed under `mirror-1/` … `mirror-N/`
    (the blobs written once), so a repository `copies` times larger has the same staged
    changes at the same paths: for measuring how the pre-commit cost grows with the
    repository, not with the change."""
    rng = random.Random(seed)
    repo.mkdir(parents=True, exist_ok=True)
    git_init(env, repo)
    paths = corpus.layout(n_files, rng, lock_every=1000)
    marks = repo.parent / f"{repo.name}.marks.tmp"
    fi = FastImport(env, repo, marks)
    if copies == 1:
        ops = [("M", p, _blob(corpus.content_for(p, rng))) for p in paths]
    else:
        ops = []
        for m, p in enumerate(paths, start=2):
            fi.blob(m, _blob(corpus.content_for(p, rng)))
            ops += [("M", p, f":{m}")] + [("M", f"mirror-{k}/{p}", f":{m}") for k in range(1, copies)]
    fi.commit("refs/heads/main", 1, T0, AUTHORS[0], "import the monorepo\n", None, ops)
    fi.close()
    marks.unlink()
    env.run(["git", "reset", "--hard", "-q"], cwd=repo)
    if before_staging is not None:
        before_staging(repo)

    # Staged changes.
    code = [p for p in paths if corpus.ext_of(p) in (".py", ".ts", ".js", ".go", ".yaml", ".json", ".toml")]
    edits = rng.sample(code, n_staged - n_staged // 5)
    new = []
    for i in range(n_staged // 5):
        ext = rng.choice([".py", ".ts", ".yaml", ".go"])
        new.append(f"services/{corpus.ident(rng, 1)}/{corpus.ident(rng, 1)}/new_{corpus.ident(rng)}_{i}{ext}")
    targets = edits + new
    kinds = list(fakes.KINDS)
    plant_in = {t: kinds[i % len(kinds)] for i, t in enumerate(rng.sample(targets, min(len(kinds), len(targets))))}
    planted = []
    for path in targets:
        file = repo / path
        ext = corpus.ext_of(path)
        if file.exists():
            lines = file.read_text().splitlines()
            # An edit: a new block somewhere in the file, and a changed line.
            at = rng.randrange(len(lines) + 1)
            lines[at:at] = corpus.file_lines(ext, rng)[:rng.randrange(5, 25)]
            j = rng.randrange(len(lines))
            if not lines[j].startswith("-----"):
                lines[j] = lines[j] + ("  # " if ext in (".py", ".yaml", ".toml") else "  // ") + corpus.sentence(rng, 3)
        else:
            file.parent.mkdir(parents=True, exist_ok=True)
            lines = corpus.file_lines(ext, rng)
        if path in plant_in:
            p = fakes.plant(plant_in[path], ext, rng)
            at = rng.randrange(len(lines) + 1)
            lines[at:at] = p.lines
            p.where.append(("staged", path))
            planted.append(p)
        file.write_text("\n".join(lines) + "\n")
    env.run(["git", "add", "--", *targets], cwd=repo)
    return {"planted": planted, "staged": targets}


# --- scenarios 5 and 6: a long history ---------------------------------------------------------

def history(env: Env, repo: Path, n_commits: int, n_files: int = 1200, plants_per_kind: int = 3,
            seed: int = 23) -> dict:
    """A history of n_commits commits on main (plus an unmerged 20-commit feature branch
    with two planted secrets) over about n_files..1.4*n_files files. Secrets are planted
    across the history; most are removed again some commits later (they remain in history
    only), a few are still at HEAD. Returns the planted secrets with where they were added."""
    rng = random.Random(seed)
    repo.mkdir(parents=True, exist_ok=True)
    git_init(env, repo)
    marks_path = repo.parent / f"{repo.name}.marks.tmp"
    fi = FastImport(env, repo, marks_path)

    files: dict[str, list[str]] = {}
    for p in corpus.layout(n_files, rng, lock_every=400):
        files[p] = corpus.content_for(p, rng)
    when = T0
    mark = 1
    fi.commit("refs/heads/main", mark, when, AUTHORS[0], "initial import\n", None,
              [("M", p, _blob(c)) for p, c in files.items()])

    kinds = list(fakes.KINDS)
    plant_at = sorted(rng.sample(range(max(2, n_commits // 20), n_commits), len(kinds) * plants_per_kind))
    schedule: dict[int, list[str]] = {}
    for i, c in enumerate(plant_at):
        schedule.setdefault(c, []).append(kinds[i % len(kinds)])
    planted: list[fakes.Planted] = []
    active: dict[int, tuple[fakes.Planted, str]] = {}  # planted index -> (secret, current path)
    removals: dict[int, list[int]] = {}
    sightings: list[tuple[fakes.Planted, int, str]] = []  # (secret, commit mark, path)

    def protected(path: str) -> set[str]:
        return {line for p, where in active.values() if where == path for line in p.lines}

    def edit(state: dict[str, list[str]], path: str):
        lines = state[path]
        keep = protected(path)
        ext = corpus.ext_of(path)
        gen_ext = ext if ext in corpus.GENERATORS else ".md"
        for _ in range(rng.randrange(1, 4)):
            op = rng.random()
            if op < 0.5 or len(lines) < 10:  # insert a block
                at = rng.randrange(len(lines) + 1)
                lines[at:at] = corpus.file_lines(gen_ext, rng)[:rng.randrange(2, 12)]
            elif op < 0.8:  # change a line
                at = rng.randrange(len(lines))
                if lines[at] not in keep:
                    lines[at] = lines[at].rstrip() + f"  # {corpus.ident(rng, 1)}"
            else:  # delete a few lines
                at = rng.randrange(len(lines))
                n = rng.randrange(1, 6)
                if not any(line in keep for line in lines[at:at + n]):
                    del lines[at:at + n]

    def make_ops(state: dict[str, list[str]], c: int, plant_kinds: list[str], remove_ids: list[int],
                 this_mark: int) -> list:
        ops, touched = [], set()
        r = rng.random()
        if r < 0.08:  # new files
            for _ in range(rng.randrange(1, 4)):
                ext = corpus.pick_ext(rng)
                p = f"{rng.choice(['services', 'packages', 'libs'])}/{corpus.ident(rng, 1)}/{corpus.ident(rng)}_{c}{ext}"
                if p not in state:
                    state[p] = corpus.file_lines(ext, rng)
                    touched.add(p)
        elif r < 0.12 and len(state) > 10:  # delete a file (never one holding a live plant)
            p = rng.choice(list(state))
            if not protected(p):
                del state[p]
                ops.append(("D", p))
        elif r < 0.16 and len(state) > 10:  # rename, sometimes with an edit
            p = rng.choice(list(state))
            d, name = p.rsplit("/", 1)
            q = f"{d}/{corpus.ident(rng, 1)}_{name}"
            if q not in state:
                state[q] = state.pop(p)
                ops.append(("R", p, q))
                for k, (pl, where) in list(active.items()):
                    if where == p:
                        active[k] = (pl, q)
                if rng.random() < 0.5:
                    touched.add(q)
        for _ in range(rng.randrange(1, 4)):  # ordinary edits; lock files rarely
            p = rng.choice(list(state))
            if not p.endswith(("Cargo.lock", "go.sum", "package-lock.json")) or rng.random() < 0.1:
                touched.add(p)
        for p in sorted(touched):  # sorted: set order varies between runs
            edit(state, p)
        for kind in plant_kinds:
            if rng.random() < 0.3:  # a new config file with the secret
                ext = rng.choice([".py", ".yaml", ".ts", ".toml"])
                p = f"config/{corpus.ident(rng, 1)}/{corpus.ident(rng)}_{c}{ext}"
                state[p] = corpus.file_lines(ext, rng)[:20]
            else:  # added to an existing source file
                p = rng.choice([q for q in state if corpus.ext_of(q) in
                                (".py", ".ts", ".js", ".go", ".yaml", ".json", ".toml", ".md")])
            pl = fakes.plant(kind, corpus.ext_of(p), rng)
            at = rng.randrange(len(state[p]) + 1)
            state[p][at:at] = pl.lines
            touched.add(p)
            active[len(planted)] = (pl, p)
            if rng.random() < 0.85:
                removals.setdefault(c + rng.randrange(1, 400), []).append(len(planted))
            planted.append(pl)
            sightings.append((pl, this_mark, p))
        for k in remove_ids:
            if k not in active:
                continue
            pl, p = active.pop(k)
            lines = state.get(p)
            if lines is None:
                continue
            n = len(pl.lines)
            for i in range(len(lines) - n + 1):
                if lines[i:i + n] == pl.lines:
                    del lines[i:i + n]
                    touched.add(p)
                    break
        ops += [("M", p, _blob(state[p])) for p in sorted(touched) if p in state]
        return ops

    head = 1
    branch_point = int(n_commits * 0.6)
    branch_from = None
    for c in range(1, n_commits):
        if c == branch_point:
            branch_from = ({p: list(v) for p, v in files.items()}, head, dict(active))
        mark += 1
        when += rng.randrange(600, 8 * 3600)
        ops = make_ops(files, c, schedule.get(c, []), removals.pop(c, []), mark)
        fi.commit("refs/heads/main", mark, when, rng.choice(AUTHORS), _message(rng), head, ops)
        head = mark
    still_at_head = len(active)

    # An unmerged feature branch off 60% of main, with two secrets of its own.
    if branch_from is not None:
        state, parent, branch_active = branch_from
        active.clear()
        active.update(branch_active)
        for c in range(20):
            mark += 1
            when += rng.randrange(600, 3600)
            ops = make_ops(state, n_commits + c, [kinds[c // 10]] if c in (5, 15) else [], [], mark)
            fi.commit("refs/heads/feature/new-billing", mark, when, rng.choice(AUTHORS),
                      _message(rng), parent, ops)
            parent = mark
    fi.close()
    sha = read_marks(marks_path)
    marks_path.unlink()
    for pl, m, p in sightings:
        pl.where.append((sha[m], p))
    env.run(["git", "repack", "-a", "-d", "-q"], cwd=repo)
    env.run(["git", "reset", "--hard", "-q"], cwd=repo)
    return {"planted": planted, "commits": n_commits + 20, "files_at_head": len(files),
            "still_at_head": still_at_head}


# --- scenario 5b: a large history replayed from real source files ------------------------------

TEXT_EXTS = {".rs", ".toml", ".md", ".json", ".yml", ".yaml", ".txt", ".c", ".h", ".py", ".sh", ".js",
             ".ts", ".go", ".html", ".css", ".proto", ".in", ".lock", ".cfg"}
PLANT_EXTS = (".rs", ".toml", ".md", ".json", ".yml", ".yaml", ".py", ".sh")


def registry_sources() -> Path | None:
    """Cargo's unpacked crate sources on this machine (every version of every crate a build
    here downloaded): real files of realistic sizes, several versions of many of them."""
    home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
    src = home / "registry" / "src"
    return src if src.is_dir() else None


def _version_key(v: str) -> tuple:
    return tuple(int(x) if x.isdigit() else -1 for x in re.split(r"[.+-]", v))


def _crate_versions(src: Path) -> list[tuple[str, list[Path]]]:
    """(crate name, its unpacked directories oldest version first), sorted by name. Every
    registry index directory is merged, so the list is the same wherever the crates came from."""
    crates: dict[str, list[tuple[tuple, Path]]] = {}
    for index in sorted(src.iterdir()):
        if not index.is_dir():
            continue
        for d in sorted(index.iterdir()):
            m = re.match(r"^(.+?)-(\d+\.\d+\.\d+.*)$", d.name)
            if m and d.is_dir():
                crates.setdefault(m.group(1), []).append((_version_key(m.group(2)), d))
    return [(name, [d for _, d in sorted(vs, key=lambda x: (x[0], str(x[1])))]) for name, vs in sorted(crates.items())]


def _source_files(d: Path, max_size: int) -> dict[str, Path]:
    out = {}
    for root, dirs, names in os.walk(d):
        dirs.sort()
        for n in sorted(names):
            p = Path(root) / n
            ext = "." + n.rsplit(".", 1)[-1] if "." in n else ""
            if ext in TEXT_EXTS and not p.is_symlink() and p.stat().st_size <= max_size:
                out[p.relative_to(d).as_posix()] = p
    return out


def replay_history(env: Env, repo: Path, n_commits: int, n_blobs: int, seed: int = 31,
                   plants_per_kind: int = 3, max_file: int = 256 * 1024) -> dict:
    """A history of about n_commits commits and n_blobs distinct blobs, replayed from the
    crate sources in Cargo's registry: each crate lands under `<name>/` a few files a commit,
    its later versions arrive as edits, additions and deletions of those files (real deltas
    between real versions), interleaved across crates; about a third of the commits are
    small hand edits of a file (a comment line added or changed); secrets are planted along
    the way and most are removed again later. Crates are taken in name order until the
    blob budget is used, so the same registry gives the same repository."""
    src = registry_sources()
    if src is None:
        raise RuntimeError("no Cargo registry sources (~/.cargo/registry/src) to replay a history from")
    rng = random.Random(seed)
    # Per crate, the change events that take it from nothing to each version in turn.
    queues: list[list[tuple]] = []
    events = 0
    budget = n_blobs - n_commits // 3  # the rest: hand edits and plants
    for name, dirs in _crate_versions(src):
        if events >= budget:
            break
        q, state = [], {}
        for d in dirs:
            files = _source_files(d, max_file)
            for rel, p in files.items():
                size = p.stat().st_size
                if state.get(rel) != size:  # changed (or new): a new blob, read at commit time
                    q.append(("M", f"{name}/{rel}", p))
                    state[rel] = size
            for rel in sorted(set(state) - set(files)):
                q.append(("D", f"{name}/{rel}"))
                del state[rel]
        if q:
            queues.append(q)
            events += len(q)
    per_commit = max(1, round(events / (n_commits * 2 / 3)))
    # When the registry holds fewer changes than the blob budget, hand edits make up the rest.
    per_edit = max(1, round((n_blobs - events) / (n_commits / 3)))

    repo.mkdir(parents=True, exist_ok=True)
    git_init(env, repo)
    marks_path = repo.parent / f"{repo.name}.marks.tmp"
    fi = FastImport(env, repo, marks_path)
    files: dict[str, bytes] = {}
    kinds = list(fakes.KINDS)
    plant_at = set(rng.sample(range(n_commits // 20, n_commits), len(kinds) * plants_per_kind))
    planted: list[fakes.Planted] = []
    active: dict[int, tuple[fakes.Planted, str]] = {}
    removals: dict[int, list[int]] = {}
    sightings: list[tuple[fakes.Planted, int, str]] = []
    active_crates = list(range(len(queues)))
    pos = [0] * len(queues)
    when, mark, parent, c = T0, 0, None, 0
    while c < n_commits or active_crates:
        touched: dict[str, bytes | None] = {}
        if active_crates and (rng.random() < 2 / 3 or not files):
            # Work on one of the first few crates still arriving, as a team works on a few
            # projects at a time.
            k = active_crates[rng.randrange(min(4, len(active_crates)))]
            for _ in range(rng.randrange(1, 2 * per_commit)):
                if pos[k] >= len(queues[k]):
                    break
                ev = queues[k][pos[k]]
                pos[k] += 1
                if ev[0] == "M":
                    touched[ev[1]] = files[ev[1]] = ev[2].read_bytes()
                else:
                    files.pop(ev[1], None)
                    touched[ev[1]] = None
            if pos[k] >= len(queues[k]):
                active_crates.remove(k)
        else:  # small hand edits
            names = list(files)
            for _ in range(rng.randrange(1, 2 * per_edit)):
                p = rng.choice(names)
                lines = files[p].split(b"\n")
                at = rng.randrange(len(lines))
                lines.insert(at, f"// {corpus.sentence(rng, 6)}".encode())
                touched[p] = files[p] = b"\n".join(lines)
        if c in plant_at:
            kind = kinds[len(planted) % len(kinds)]
            candidates = [q for q in files if corpus.ext_of(q) in PLANT_EXTS]
            p = rng.choice(candidates)
            pl = fakes.plant(kind, corpus.ext_of(p), rng)
            lines = files[p].split(b"\n")
            at = rng.randrange(len(lines))
            lines[at:at] = [x.encode() for x in pl.lines]
            touched[p] = files[p] = b"\n".join(lines)
            active[len(planted)] = (pl, p)
            if rng.random() < 0.85:
                removals.setdefault(c + rng.randrange(1, 400), []).append(len(planted))
            sightings.append((pl, mark + 1, p))
            planted.append(pl)
        for i in removals.pop(c, []):
            pl, p = active.pop(i)
            block = b"\n".join(x.encode() for x in pl.lines) + b"\n"
            if p in files and block in files[p]:
                touched[p] = files[p] = files[p].replace(block, b"", 1)
        mark += 1
        when += rng.randrange(600, 8 * 3600)
        ops = [("M", p, d) if d is not None else ("D", p) for p, d in sorted(touched.items())]
        fi.commit("refs/heads/main", mark, when, rng.choice(AUTHORS), _message(rng), parent, ops)
        parent = mark
        c += 1
    fi.close()
    sha = read_marks(marks_path)
    marks_path.unlink()
    for pl, m, p in sightings:
        pl.where.append((sha[m], p))
    # Packed as a clone would have it (deltas across versions).
    env.run(["git", "repack", "-a", "-d", "-q"], cwd=repo)
    env.run(["git", "reset", "--hard", "-q"], cwd=repo)
    count_blobs = ("git rev-list --all --objects | cut -d' ' -f1 "
                   "| git cat-file --batch-check='%(objecttype)' | grep -c blob")
    blobs = int(env.run(["sh", "-c", count_blobs], cwd=repo).stdout.strip())
    return {"planted": planted, "commits": c, "blobs": blobs, "files_at_head": len(files),
            "still_at_head": len(active), "crates": len(queues)}
