"""Generated git repositories, written with `git fast-import` for speed:

- a monorepo of N files (code, config, JSON, docs, lock files) with staged changes, some
  of which carry planted secrets (scenario 4);
- a long history: edits, additions, renames and deletions over thousands of commits, with
  secrets committed and removed later, and an unmerged feature branch (scenarios 5, 6).
"""

from __future__ import annotations

import random
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
            if op[0] == "M":
                w(f"M 100644 inline {op[1]}\n".encode())
                self.data(op[2])
            elif op[0] == "D":
                w(f"D {op[1]}\n".encode())
            elif op[0] == "R":
                w(f'R "{op[1]}" "{op[2]}"\n'.encode())

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
             before_staging=None) -> dict:
    """A checked-out repository of n_files files (one commit), then n_staged staged changes:
    four fifths edits of existing source files, one fifth new files. Returns the planted
    secrets (a handful of staged files carry one)."""
    rng = random.Random(seed)
    repo.mkdir(parents=True, exist_ok=True)
    git_init(env, repo)
    paths = corpus.layout(n_files, rng, lock_every=1000)
    marks = repo.parent / f"{repo.name}.marks.tmp"
    fi = FastImport(env, repo, marks)
    ops = [("M", p, _blob(corpus.content_for(p, rng))) for p in paths]
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
