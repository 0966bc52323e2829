"""The scenarios. Each builds its inputs once (outside any timing), then measures every
tool on the same input, alternating tools in every round."""

from __future__ import annotations

import sys

import math
import os
import platform
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import fakes, fixtures, measure, repos, report, truth
from .fixtures import Env
from .measure import Case, Step
from .tools import log


@dataclass
class Plan:
    quick: bool
    exec_iters: int
    edit_iters: int
    rekey_iters: int
    precommit_iters: int
    history_iters: int
    scale_iters: int
    scale_history_iters: int
    exec_sizes: list[int]
    history_sizes: list[int]
    versions: int = 1_000
    versions_iters: int = 7
    monorepo_files: int = 20_000
    staged_files: int = 50
    history_commits: int = 3_000
    history_files: int = 1_500
    big_monorepo_copies: int = 10
    precommit_scale_iters: int = 9
    large_history_commits: int = 7_500
    large_history_blobs: int = 21_000
    large_history_iters: int = 5
    members: int = 20
    rekey_envs: int = 10
    secrets: int = 50

    @classmethod
    def make(cls, quick: bool) -> "Plan":
        if quick:
            return cls(True, exec_iters=5, edit_iters=5, rekey_iters=3, precommit_iters=3,
                       history_iters=2, scale_iters=3, scale_history_iters=1,
                       exec_sizes=[10, 100, 1_000], history_sizes=[500, 1_000, 2_000],
                       versions=300, versions_iters=3, precommit_scale_iters=3, large_history_iters=2)
        return cls(False, exec_iters=21, edit_iters=21, rekey_iters=15, precommit_iters=15,
                   history_iters=9, scale_iters=7, scale_history_iters=5,
                   exec_sizes=[10, 100, 1_000, 10_000], history_sizes=[500, 1_000, 2_000, 4_000])


def step(argv, cwd, env, **kw) -> Step:
    return Step([str(a) for a in argv], str(cwd), env, **kw)


def fixed(*steps: Step):
    return lambda _i: list(steps)


def scenario(sid: str, title: str, what: str, cases: list[Case], extra: dict | None = None) -> dict:
    summaries = [c.summary() for c in cases]
    vault = summaries[0]
    ratios = {c["name"]: vault["median_s"] / c["median_s"] for c in summaries[1:]
              if c["median_s"] and not c["reference"]}
    return {"id": sid, "title": title, "what": what, "cases": summaries, "ratios": ratios, **(extra or {})}


class Suite:
    def __init__(self, env: Env, plan: Plan, tools: dict):
        self.env = env
        self.plan = plan
        self.tools = tools
        self.work = env.work
        self.key = self.work / "identity.txt"
        self.results: dict = {"scenarios": [], "targets": [], "findings": [], "scaling": []}

    # -- shared fixtures --------------------------------------------------------------------

    def setup_identity(self):
        self.env.pub = self.env.keygen(self.key)

    def exec_fixture(self, n: int, dotenvx: bool) -> Path:
        root = self.work / f"secrets-{n}"
        if not root.exists():
            fixtures.exec_fixture(self.env, root, fakes.secret_values(n), dotenvx)
        return root

    def exec_cases(self, root: Path, dotenvx: bool, label: str = "") -> list[Case]:
        e = self.env
        vault_env = e.env(VAULT_IDENTITY_FILE=self.key)
        sops_env = e.env(SOPS_AGE_KEY_FILE=self.key)
        cases = [
            Case(f"vault exec{label}", fixed(step([e.vault, "exec", "dev", "--", "true"], root / "vault", vault_env))),
            Case(f"sops exec-env{label}", fixed(step([self.tools["sops"], "exec-env", "dev.enc.env", "true"],
                                                     root / "sops", sops_env))),
        ]
        if dotenvx:
            cases.append(Case(f"dotenvx run{label}", every=3, prepare=fixed(step([self.tools["dotenvx"], "run", "-f", ".env", "--", "true"],
                                                                root / "dotenvx", e.env()))))
        cases.append(Case(f"age -d (floor){label}", fixed(step([self.tools["age"], "-d", "-i", self.key, "dev.env.age"],
                                                               root, e.env()))))
        return cases

    # -- 1. exec ----------------------------------------------------------------------------

    def s1_exec(self):
        log(f"scenario 1: exec overhead, {self.plan.secrets} secrets")
        root = self.exec_fixture(self.plan.secrets, dotenvx=True)
        cases = self.exec_cases(root, dotenvx=True)
        # Reference only: the cost of starting `true` itself, which every tool but the
        # floor pays on top of decrypting (the floor does not start a command).
        cases.append(Case("true (process start, reference)", reference=True,
                          prepare=fixed(step(["/usr/bin/true"], root, self.env.env()))))
        # dotenvx decrypts each value with ECIES over secp256k1 in JavaScript (~3 s for 50
        # values here): cap its rounds so the suite stays within its time budget.
        measure.alternate(cases, self.plan.exec_iters, label="exec")
        self.results["scenarios"].append(scenario(
            "exec", f"1. exec, {self.plan.secrets} secrets", "decrypt and start `true` with the secrets in its environment",
            cases))

    # -- 2. edit ----------------------------------------------------------------------------

    def s2_edit(self):
        log("scenario 2: edit round trip")
        src = self.exec_fixture(self.plan.secrets, dotenvx=True)
        root = self.work / "edit"
        fixtures.copy_tree(src / "vault", root / "vault")
        fixtures.copy_tree(src / "sops", root / "sops")
        e = self.env
        # The one-change editor: bumps APP_BUILD_ID (present in both views: vault shows
        # `APP_BUILD_ID = "v…"`, sops's dotenv view `APP_BUILD_ID=v…`) to a new value of
        # the same length, so every round is a real change of the same size.
        counter = root / "counter"
        counter.write_text("100000000000\n")
        editor = root / "bump-build-id"
        editor.write_text(
            "#!/bin/sh\n"
            f'read n < "{counter}"\n'
            "n=$((n + 1))\n"
            f'echo "$n" > "{counter}"\n'
            'exec sed -i -E "s/^(APP_BUILD_ID[ =]+\\"?)v[0-9]+/\\1v$n/" "$1"\n')
        editor.chmod(0o755)
        for name, ed in (("no change", "true"), ("one change", str(editor))):
            vault_env = e.env(VAULT_IDENTITY_FILE=self.key, EDITOR=ed, VISUAL=ed)
            sops_env = e.env(SOPS_AGE_KEY_FILE=self.key, EDITOR=ed, SOPS_EDITOR=ed)
            cases = [
                Case("vault edit", fixed(step([e.vault, "edit", "dev"], root / "vault", vault_env))),
                Case("sops edit", fixed(step([self.tools["sops"], "edit", "dev.enc.env"], root / "sops", sops_env,
                                             ok_codes=(0, 200)))),  # 200: "File has not changed"
            ]
            measure.alternate(cases, self.plan.edit_iters, label=f"edit ({name})")
            self.results["scenarios"].append(scenario(
                "edit-noop" if name == "no change" else "edit-change", f"2. edit, {name}",
                f"decrypt, run $EDITOR ({'true' if name == 'no change' else 'a sed script'}), re-encrypt if changed",
                cases))
        # Sanity: both files really changed.
        got = e.run([self.tools["sops"], "decrypt", "dev.enc.env"], cwd=root / "sops", SOPS_AGE_KEY_FILE=self.key).stdout
        assert "APP_BUILD_ID=v1000000" in got, "the sops edit did not change the file"
        got = e.run([e.vault, "get", "dev", "APP_BUILD_ID"], cwd=root / "vault", VAULT_IDENTITY_FILE=self.key).stdout
        assert got.startswith("v1000000"), "the vault edit did not change the file"

    # -- 3. re-key --------------------------------------------------------------------------

    def s3_rekey(self):
        p = self.plan
        log(f"scenario 3: re-key after removing 1 of {p.members} members across {p.rekey_envs} environments")
        e = self.env
        root = self.work / "rekey"
        keys = []
        for i in range(1, p.members + 1):
            path = root / "keys" / f"m{i:02d}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            keys.append((f"m{i:02d}", path, e.keygen(path)))
        envs = [f"env{i:02d}" for i in range(1, p.rekey_envs + 1)]
        secrets = {env: fakes.secret_values(p.secrets, seed=100 + i) for i, env in enumerate(envs)}
        owner, owner_key, owner_pub = keys[0]
        # vault: init as m01, add the other 19 members to every environment, import.
        base = root / "vault-base"
        base.mkdir(parents=True)
        fixtures.git_init(e, base)
        e.run([e.vault, "init", "--env", ",".join(envs), "--name", owner, "--key", owner_pub], cwd=base,
              VAULT_IDENTITY_FILE=owner_key)
        (base / ".secrets.example.toml").write_text(fixtures.template_text(secrets[envs[0]]))
        for name, _, pub in keys[1:]:
            e.run([e.vault, "member", "add", name, "--key", pub, "--env", ",".join(envs), "--yes"], cwd=base,
                  VAULT_IDENTITY_FILE=owner_key)
        for env_name in envs:
            src = root / f"{env_name}.env"
            src.write_text(fixtures.dotenv_text(secrets[env_name]))
            e.run([e.vault, "import", env_name, src], cwd=base, VAULT_IDENTITY_FILE=owner_key)
        fixtures.git_commit_all(e, base, "vault with 20 members")
        # sops: .sops.yaml with the 20 recipients, one encrypted dotenv file per environment.
        sbase = root / "sops-base"
        sbase.mkdir()
        recipients = [pub for _, _, pub in keys]

        def sops_yaml(recips):
            return ("creation_rules:\n  - path_regex: \\.env$\n    age: >-\n      "
                    + ",\n      ".join(recips) + "\n")
        (sbase / ".sops.yaml").write_text(sops_yaml(recipients))
        for env_name in envs:
            fixtures.sops_encrypt(e, root / f"{env_name}.env", sbase / f"{env_name}.enc.env", recipients, cwd=sbase)
            (root / f"{env_name}.env").unlink()
        removed = keys[-1][0]
        vault_env = e.env(VAULT_IDENTITY_FILE=owner_key)
        sops_env = e.env(SOPS_AGE_KEY_FILE=owner_key)

        def prep_vault(i):
            d = root / "run-vault"
            fixtures.copy_tree(base, d)
            # The previous round's removal moved this machine's pins for run-vault to write
            # key 2; the fresh copy is at write key 1 again, which vault rightly calls a
            # rollback. Start each round as a member's machine that has read the copy
            # (untimed): forget the pins, then verify and pin every environment.
            pins = e.home / ".config" / "vault" / "pins"
            if pins.exists():
                pins.unlink()
            e.run([e.vault, "check"], cwd=d, check=False, VAULT_IDENTITY_FILE=owner_key)
            return [step([e.vault, "member", "remove", removed, "--yes"], d, vault_env)]

        def prep_sops(i):
            d = root / "run-sops"
            fixtures.copy_tree(sbase, d)
            (d / ".sops.yaml").write_text(sops_yaml(recipients[:-1]))
            return [step([self.tools["sops"], "updatekeys", "-y", f"{env_name}.enc.env"], d, sops_env) for env_name in envs]

        cases = [Case(f"vault member remove", prep_vault), Case(f"sops updatekeys ×{p.rekey_envs}", prep_sops)]
        measure.alternate(cases, p.rekey_iters, label="re-key")
        # Sanity: the removed member can no longer read any file, in either tool.
        removed_key = keys[-1][1]
        for env_name in envs:
            r = e.run([self.tools["age"], "-d", "-i", removed_key, root / "run-vault" / "secrets" / f"{env_name}.age"],
                      cwd=root, check=False)
            assert r.returncode != 0, "vault: the removed member can still decrypt"
            r = e.run([self.tools["sops"], "decrypt", f"{env_name}.enc.env"], cwd=root / "run-sops", check=False,
                      SOPS_AGE_KEY_FILE=removed_key)
            assert r.returncode != 0, "sops: the removed member can still decrypt"
        self.results["scenarios"].append(scenario(
            "rekey", f"3. re-key, 1 of {p.members} members out, {p.rekey_envs} envs",
            f"remove a member and re-encrypt {p.rekey_envs} environments of {p.secrets} secrets", cases))

    # -- 4. pre-commit ----------------------------------------------------------------------

    def gitleaks_staged_argv(self) -> list[str]:
        g = self.tools["gitleaks"]
        help_text = subprocess.run([g, "git", "--help"], capture_output=True, text=True).stdout
        if "--pre-commit" in help_text:
            return [g, "git", "--pre-commit", "--staged"]
        return [g, "protect", "--staged"]

    def s4_precommit(self):
        p = self.plan
        log(f"scenario 4: pre-commit, {p.staged_files} staged files in a {p.monorepo_files:,}-file repository")
        e = self.env
        repo, mono = self.monorepo_fixture(1)
        vault_env = e.env(VAULT_IDENTITY_FILE=self.key)
        gl = self.gitleaks_staged_argv()
        cases = [
            Case("vault hook pre-commit", fixed(step([e.vault, "hook", "pre-commit"], repo, vault_env, ok_codes=(1,)))),
            Case("gitleaks " + " ".join(gl[1:3]), fixed(step(gl + ["--redact", "--verbose", "--no-banner"], repo, e.env(),
                                                              ok_codes=(1,)))),
        ]
        measure.alternate(cases, p.precommit_iters, label="pre-commit")
        # Findings (untimed): JSON from each tool, matched against what was planted.
        vjson, gjson = self.work / "precommit-vault.json", self.work / "precommit-gitleaks.json"
        vjson.write_text(e.run([e.vault, "scan", "--staged", "--json"], cwd=repo, check=False,
                               VAULT_IDENTITY_FILE=self.key).stdout)
        e.run(gl + ["--no-banner", "--report-format", "json", "--report-path", gjson], cwd=repo, check=False)
        scores = {"vault": truth.score_vault(truth.vault_findings(vjson), mono["planted"], repo),
                  "gitleaks": truth.score_gitleaks(truth.gitleaks_findings(gjson), mono["planted"])}
        self.results["findings"].append({"id": "precommit", "title": "pre-commit (staged)", "tools": scores})
        self.results["scenarios"].append(scenario(
            "precommit", f"4. pre-commit, {p.staged_files} staged of {p.monorepo_files // 1000}k files",
            "scan the staged changes, as a pre-commit hook does", cases))

    def monorepo_fixture(self, copies: int) -> tuple[Path, dict]:
        """The scenario-4 repository (with `copies` > 1: the same files also under
        mirror-1/ … so it is `copies` times larger, with the same staged changes); made
        once per run."""
        p = self.plan
        e = self.env
        repo = self.work / ("monorepo" if copies == 1 else f"monorepo-x{copies}")
        cached = getattr(self, "_monorepos", {})
        self._monorepos = cached
        if copies in cached:
            return repo, cached[copies]
        t = time.perf_counter()

        def add_vault(repo: Path):
            # The repository has a vault (as any repository with the vault hook does), so
            # the hook also looks for copies of its values.
            e.run([e.vault, "init", "--env", "dev,staging,prod", "--name", "bench", "--key", e.pub], cwd=repo,
                  VAULT_IDENTITY_FILE=self.key)
            (repo / ".secrets.example.toml").write_text(fixtures.template_text(fakes.secret_values(p.secrets)))
            for i, env_name in enumerate(["dev", "staging", "prod"]):
                src = self.work / f"mono-{env_name}.env"
                src.write_text(fixtures.dotenv_text(fakes.secret_values(p.secrets, seed=200 + i)))
                e.run([e.vault, "import", env_name, src], cwd=repo, VAULT_IDENTITY_FILE=self.key)
            fixtures.git_commit_all(e, repo, "add a vault")

        mono = repos.monorepo(e, repo, p.monorepo_files, p.staged_files, before_staging=add_vault, copies=copies)
        staged = e.run(["git", "diff", "--cached", "--name-only"], cwd=repo).stdout.split()
        assert len(staged) == p.staged_files, len(staged)
        log(f"  {p.monorepo_files * copies:,}-file repository generated in {time.perf_counter() - t:.0f} s")
        cached[copies] = mono
        return repo, mono

    def subdir_vault_fixture(self, copies: int) -> Path:
        """A copy of the scenario-4 repository (`copies` as in `monorepo_fixture`) whose vault
        is moved from the root to `apps/vault/` and committed there, with the same 50 staged
        changes: the layout where git runs the hook outside any vault (at the work-tree root)
        and the hook finds the vaults through the index. Copied, not generated again: only the
        move is new."""
        src, _ = self.monorepo_fixture(copies)
        repo = src.with_name(src.name + "-subdir")
        if repo.exists():
            return repo
        e = self.env
        t = time.perf_counter()
        # The files `add_vault` committed (HEAD is that commit; the staged changes came after).
        vault_files = e.run(["git", "show", "--name-only", "--format=", "HEAD"], cwd=src).stdout.split()
        assert ".vault.toml" in vault_files, vault_files
        e.run(["cp", "-a", "--reflink=auto", src, repo], cwd=self.work)
        (repo / "apps" / "vault").mkdir(parents=True, exist_ok=True)
        for f in vault_files:
            (repo / "apps" / "vault" / f).parent.mkdir(parents=True, exist_ok=True)
            e.run(["git", "mv", f, f"apps/vault/{f}"], cwd=repo)
        # A partial commit of just the move: the staged changes stay staged.
        e.run(["git", "commit", "-q", "--no-verify", "-m", "move the vault to apps/vault", "--",
               *vault_files, "apps/vault"], cwd=repo)
        staged = e.run(["git", "diff", "--cached", "--name-only"], cwd=repo).stdout.split()
        assert len(staged) == self.plan.staged_files, len(staged)
        assert not (repo / ".vault.toml").exists()
        log(f"  copy with the vault in apps/vault/ made in {time.perf_counter() - t:.0f} s")
        return repo

    # -- 4b. pre-commit cost vs repository size ------------------------------------------------

    def s4b_precommit_scale(self):
        """The same 50 staged changes in the 20k-file repository and in one ten times larger:
        a hook whose cost follows the change costs about the same in both. Measured with the
        vault at the root (the hook runs inside it) and in a subdirectory (the hook runs
        outside any vault and finds the vaults in the index)."""
        p = self.plan
        big = p.monorepo_files * p.big_monorepo_copies
        log(f"scenario 4b: pre-commit, {p.staged_files} staged files in {p.monorepo_files:,} vs {big:,} files")
        e = self.env
        small_repo, _ = self.monorepo_fixture(1)
        big_repo, _ = self.monorepo_fixture(p.big_monorepo_copies)
        small_sub = self.subdir_vault_fixture(1)
        big_sub = self.subdir_vault_fixture(p.big_monorepo_copies)
        vault_env = e.env(VAULT_IDENTITY_FILE=self.key)
        gl = self.gitleaks_staged_argv() + ["--redact", "--verbose", "--no-banner"]
        def k(n: int) -> str:
            return f"{n // 1000}k"
        cases = [
            Case(f"vault hook pre-commit, {k(big)} files",
                 fixed(step([e.vault, "hook", "pre-commit"], big_repo, vault_env, ok_codes=(1,)))),
            Case(f"vault hook pre-commit, {k(p.monorepo_files)} files",
                 fixed(step([e.vault, "hook", "pre-commit"], small_repo, vault_env, ok_codes=(1,)))),
            Case(f"gitleaks {gl[1]} {gl[2]}, {k(big)} files", fixed(step(gl, big_repo, e.env(), ok_codes=(1,)))),
            Case(f"gitleaks {gl[1]} {gl[2]}, {k(p.monorepo_files)} files",
                 fixed(step(gl, small_repo, e.env(), ok_codes=(1,)))),
            Case(f"vault hook pre-commit, vault in a subdirectory, {k(big)} files",
                 fixed(step([e.vault, "hook", "pre-commit"], big_sub, vault_env, ok_codes=(1,)))),
            Case(f"vault hook pre-commit, vault in a subdirectory, {k(p.monorepo_files)} files",
                 fixed(step([e.vault, "hook", "pre-commit"], small_sub, vault_env, ok_codes=(1,)))),
        ]
        measure.alternate(cases, p.precommit_scale_iters, label="pre-commit scale")
        sc = scenario("precommit-scale", f"4b. pre-commit, {p.staged_files} staged of {k(big)} vs "
                      f"{k(p.monorepo_files)} files", "the same staged changes in a repository ten times larger",
                      cases)
        med = {c["name"]: c["median_s"] for c in sc["cases"]}
        names = [c.name for c in cases]
        sc["growth"] = {"vault": med[names[0]] / med[names[1]], "gitleaks": med[names[2]] / med[names[3]],
                        "vault_subdir": med[names[4]] / med[names[5]]}
        g = sc["growth"]
        log(f"  growth {k(p.monorepo_files)} → {k(big)}: vault {g['vault']:.2f}× (vault at the root), "
            f"{g['vault_subdir']:.2f}× (vault in a subdirectory); gitleaks {g['gitleaks']:.2f}×")
        self.results["scenarios"].append(sc)

    # -- 5. history -------------------------------------------------------------------------

    def history_repo(self, commits: int) -> tuple[Path, dict]:
        repo = self.work / f"history-{commits}"
        t = time.perf_counter()
        meta = repos.history(self.env, repo, commits, n_files=int(self.plan.history_files * 0.8))
        log(f"  {commits}-commit history generated in {time.perf_counter() - t:.0f} s "
            f"({meta['files_at_head']} files at HEAD, {len(meta['planted'])} planted secrets, "
            f"{meta['still_at_head']} still at HEAD)")
        return repo, meta

    def history_cases(self, repo: Path, label: str = "") -> tuple[list[Case], Path, Path]:
        e = self.env
        vout = self.work / f"{repo.name}-vault.json"
        gout = self.work / f"{repo.name}-gitleaks.json"
        cases = [
            Case(f"vault scan --history{label}", fixed(step([e.vault, "scan", "--history", "--json"], repo,
                                                            e.env(VAULT_IDENTITY_FILE=self.key), stdout=str(vout),
                                                            ok_codes=(0, 1)))),
            Case(f"gitleaks git{label}", fixed(step([self.tools["gitleaks"], "git", "--no-banner", "--report-format", "json",
                                                     "--report-path", gout, "."], repo, e.env(), ok_codes=(0, 1)))),
        ]
        return cases, vout, gout

    def s5_history(self):
        p = self.plan
        log(f"scenario 5: full-history scan, {p.history_commits:,} commits")
        repo, meta = self.history_repo(p.history_commits)
        cases, vout, gout = self.history_cases(repo)
        measure.alternate(cases, p.history_iters, label="history")
        scores = {"vault": truth.score_vault(truth.vault_findings(vout), meta["planted"], repo),
                  "gitleaks": truth.score_gitleaks(truth.gitleaks_findings(gout), meta["planted"])}
        self.results["findings"].append({"id": "history", "title": f"history ({meta['commits']} commits)", "tools": scores})
        self.results["scenarios"].append(scenario(
            "history", f"5. history scan, {meta['commits']:,} commits",
            "scan every commit on every ref", cases, {"repo": {k: v for k, v in meta.items() if k != "planted"}}))

    # -- 5b. a large history replayed from real sources ---------------------------------------

    def s5b_history_large(self):
        """A history of about 7,500 commits and 21,000 distinct blobs of real source files
        (replayed from Cargo's registry), where memory matters: time and peak RSS."""
        p = self.plan
        log(f"scenario 5b: history scan of ~{p.large_history_commits:,} commits, ~{p.large_history_blobs:,} "
            "blobs of real source files")
        repo = self.work / "history-large"
        t = time.perf_counter()
        meta = repos.replay_history(self.env, repo, p.large_history_commits, p.large_history_blobs)
        log(f"  generated in {time.perf_counter() - t:.0f} s: {meta['commits']:,} commits, {meta['blobs']:,} blobs "
            f"from {meta['crates']} crates, {len(meta['planted'])} planted secrets")
        cases, vout, gout = self.history_cases(repo)
        measure.alternate(cases, p.large_history_iters, label="large history")
        scores = {"vault": truth.score_vault(truth.vault_findings(vout), meta["planted"], repo),
                  "gitleaks": truth.score_gitleaks(truth.gitleaks_findings(gout), meta["planted"])}
        self.results["findings"].append({"id": "history-large", "tools": scores,
                                         "title": f"history ({meta['commits']} commits, {meta['blobs']} blobs)"})
        self.results["scenarios"].append(scenario(
            "history-large", f"5b. history scan, {meta['commits']:,} commits, {meta['blobs']:,} blobs",
            "scan every commit of a history replayed from real source files", cases,
            {"repo": {k: v for k, v in meta.items() if k != "planted"}}))
        shutil.rmtree(repo)

    # -- 6. scaling -------------------------------------------------------------------------

    def s6_scaling(self):
        p = self.plan
        e = self.env
        log(f"scenario 6: scaling, exec/check with {p.exec_sizes} secrets; history with {p.history_sizes} commits")
        series: dict[str, list[float]] = {"vault exec": [], "sops exec-env": [], "age -d (floor)": [], "vault check": []}
        for n in p.exec_sizes:
            root = self.exec_fixture(n, dotenvx=False)
            cases = self.exec_cases(root, dotenvx=False)
            cases.append(Case("vault check", fixed(step([e.vault, "check"], root / "vault",
                                                        e.env(VAULT_IDENTITY_FILE=self.key)))))
            measure.alternate(cases, p.scale_iters, label=f"exec/check, {n} secrets")
            for c in cases:
                series[c.name].append(measure.median(c))
        self.results["scaling"].append({
            "id": "exec-scaling", "title": "exec and check vs number of secrets", "unit": "secrets",
            "sizes": p.exec_sizes, "series": series, "verdict": growth_verdict(p.exec_sizes, series["vault exec"],
                                                                               "vault exec")
            + "; " + growth_verdict(p.exec_sizes, series["vault check"], "vault check")})
        hseries: dict[str, list[float]] = {"vault scan --history": [], "gitleaks git": []}
        for n in p.history_sizes:
            repo, _ = self.history_repo(n)
            cases, _, _ = self.history_cases(repo)
            measure.alternate(cases, p.scale_history_iters, label=f"history, {n} commits")
            for c in cases:
                hseries[c.name].append(measure.median(c))
            shutil.rmtree(repo)
        self.results["scaling"].append({
            "id": "history-scaling", "title": "history scan vs number of commits", "unit": "commits",
            "sizes": p.history_sizes, "series": hseries,
            "verdict": growth_verdict(p.history_sizes, hseries["vault scan --history"], "vault")
            + "; " + growth_verdict(p.history_sizes, hseries["gitleaks git"], "gitleaks")})

    # -- 7. who wrote every version ------------------------------------------------------------

    def s7_versions(self):
        n = self.plan.versions
        log(f"scenario 7: check verifies {n:,} committed versions of one environment")
        e = self.env
        repo = self.work / "versions"
        secrets = fakes.secret_values(20)
        fixtures.vault_repo(e, repo, self.key, e.pub, {"dev": secrets}, template=fixtures.template_text(secrets))
        for i in range(n):
            e.run([e.vault, "set", "dev", f"ROTATING_{i % 10}"], cwd=repo, input=f"value-{i:06d}-{'x' * 24}",
                  VAULT_IDENTITY_FILE=self.key)
            e.run(["git", "commit", "-q", "--no-verify", "-am", f"rotate {i}"], cwd=repo)
        cases = [
            Case(f"vault check, key-free, {n:,} versions", fixed(step([e.vault, "check"], repo, e.env()))),
            Case(f"vault check, with the key, {n:,} versions", reference=True,
                 prepare=fixed(step([e.vault, "check"], repo, e.env(VAULT_IDENTITY_FILE=self.key)))),
        ]
        measure.alternate(cases, self.plan.versions_iters, label="versions")
        self.results["scenarios"].append(scenario(
            "versions", f"7. check, {n:,} versions", "verify the signature and write-key chain of every committed version",
            cases))

    # -- 8. post-quantum keys -------------------------------------------------------------------

    def s8_pq(self):
        n = self.plan.secrets
        log(f"scenario 8: exec with a post-quantum identity vs an X25519 one, {n} secrets")
        e = self.env
        secrets = fakes.secret_values(n)
        pq_key = self.work / "pq-identity.txt"
        out = e.run([e.vault, "identity", "new", "--pq", "--output", pq_key], cwd=self.work)
        pq_pub = out.stdout.strip().splitlines()[-1]
        assert pq_pub.startswith("age1pq1"), pq_pub
        roots = {}
        for label, key, pub in (("x25519", self.key, e.pub), ("pq", pq_key, pq_pub)):
            roots[label] = self.work / f"pq-{label}"
            fixtures.vault_repo(e, roots[label], key, pub, {"dev": secrets},
                                template=fixtures.template_text(secrets))
        sizes = {label: (root / "secrets" / "dev.age").stat().st_size for label, root in roots.items()}
        cases = [
            Case("vault exec, post-quantum identity",
                 fixed(step([e.vault, "exec", "dev", "--", "true"], roots["pq"], e.env(VAULT_IDENTITY_FILE=pq_key)))),
            Case("vault exec, X25519 identity",
                 fixed(step([e.vault, "exec", "dev", "--", "true"], roots["x25519"], e.env(VAULT_IDENTITY_FILE=self.key)))),
        ]
        measure.alternate(cases, self.plan.exec_iters, label="pq")
        self.results["scenarios"].append(scenario(
            "pq", f"8. exec, post-quantum vs X25519, {n} secrets",
            "the same environment sealed to one ML-KEM-768 + X25519 key, and to one X25519 key",
            cases, extra={"file_bytes": sizes}))

    # -- targets ----------------------------------------------------------------------------

    # -- 9. labelled corpus ------------------------------------------------------------------

    def s9_corpus(self):
        """Recall and false positives of vault and gitleaks on bench/corpus (files from other
        scanners' test suites plus hard negatives), per split; see bench/corpus/PROVENANCE.md."""
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "corpus"))
        import score  # noqa: E402  (bench/corpus/score.py)

        log("scenario 9: labelled corpus (bench/corpus), vault and gitleaks")
        result = score.score(self.env.vault, self.tools["gitleaks"])
        out = {"files": result["files"], "positives": result["positives"], "tools": {}}
        for name, t in result["tools"].items():
            out["tools"][name] = {"seconds": t["seconds"],
                                  **{split: {"overall": t[split]["overall"], "families": t[split]["families"]}
                                     for split in (*score.SPLITS, score.UNSEEN)}}
        self.results["corpus"] = out

    def targets(self):
        sc = {s["id"]: s for s in self.results["scenarios"]}
        out = []

        def case(sid, prefix):
            return next(c for c in sc[sid]["cases"] if c["name"].startswith(prefix))

        def ratio_target(label, sid, peer, limit):
            if sid not in sc:
                return
            r = sc[sid]["ratios"][case(sid, peer)["name"]]
            out.append({"target": label, "measured": f"{r:.2f}×", "ratio": r, "limit": limit, "met": r <= limit,
                        "scenario": sid, "peer": peer})

        ratio_target("exec ≤ 0.25× sops exec-env", "exec", "sops", 0.25)
        ratio_target("exec ≤ 1.5× the age -d floor", "exec", "age", 1.5)
        ratio_target("edit no-op ≤ 0.5× sops edit", "edit-noop", "sops", 0.5)
        ratio_target("re-key ≤ 0.5× sops updatekeys", "rekey", "sops", 0.5)
        ratio_target("pre-commit ≤ 0.5× gitleaks", "precommit", "gitleaks", 0.5)
        ratio_target("exec with a post-quantum identity ≤ 1.5× with an X25519 one", "pq", "vault exec, X25519", 1.5)
        if "history" in sc:
            r = sc["history"]["ratios"][case("history", "gitleaks")["name"]]
            f = next(x for x in self.results["findings"] if x["id"] == "history")["tools"]
            v, g = f["vault"]["true_found"], f["gitleaks"]["true_found"]
            out.append({"target": "full-history scan ≤ 0.2× gitleaks, with at least as many true findings",
                        "measured": f"{r:.2f}×; {v} vs {g} planted secrets found", "ratio": r, "limit": 0.2,
                        "met": r <= 0.2 and v >= g, "scenario": "history", "peer": "gitleaks"})
        if "history-large" in sc:
            v, g = case("history-large", "vault"), case("history-large", "gitleaks")
            r = v["median_s"] / g["median_s"]
            out.append({"target": "large history scan ≤ 0.2× gitleaks' time, peak memory ≤ gitleaks'",
                        "measured": f"{r:.2f}×; {v['peak_rss_mib']:.0f} MiB vs {g['peak_rss_mib']:.0f} MiB",
                        "ratio": r, "limit": 0.2, "scenario": "history-large", "peer": "gitleaks",
                        "met": r <= 0.2 and v["peak_rss_mib"] <= g["peak_rss_mib"]})
        if "precommit-scale" in sc:
            growth = sc["precommit-scale"]["growth"]
            # Both layouts must meet it: the vault at the root, and vaults in subdirectories
            # (the hook at the root, outside any vault).
            out.append({"target": "pre-commit, 50 staged: 10× the files ≤ 1.5× the time",
                        "measured": f"vault {growth['vault']:.2f}× (vault at the root), "
                                    f"{growth['vault_subdir']:.2f}× (vault in a subdirectory); "
                                    f"gitleaks {growth['gitleaks']:.2f}×",
                        "met": growth["vault"] <= 1.5 and growth["vault_subdir"] <= 1.5})
        corpus = self.results.get("corpus")
        if corpus:
            # Judged on the held-back text neither tool was built from (see score.OWN_SOURCES):
            # on gitleaks' own examples gitleaks scores ~1.0 by construction. The whole
            # held-back split is shown beside it.
            v, g = (corpus["tools"][t]["unseen"]["overall"] for t in ("vault", "gitleaks"))
            hv, hg = (corpus["tools"][t]["held-back"]["overall"] for t in ("vault", "gitleaks"))
            out.append({"target": "corpus, held-back text neither tool was built from: recall ≥ gitleaks + 0.05, "
                                  "false positives ≤ half of gitleaks'",
                        "measured": f"recall {v['recall']:.3f} vs {g['recall']:.3f}; false positives "
                                    f"{v['false_positives']} vs {g['false_positives']} (whole held-back split: "
                                    f"recall {hv['recall']:.3f} vs {hg['recall']:.3f}, false positives "
                                    f"{hv['false_positives']} vs {hg['false_positives']})",
                        "met": v["recall"] >= g["recall"] + 0.05 and 2 * v["false_positives"] <= g["false_positives"]})
        if "versions" in sc:
            slowest = max(c["median_s"] for c in sc["versions"]["cases"])
            out.append({"target": f"check over {self.plan.versions:,} versions of one environment < 2 s",
                        "measured": f"{slowest:.2f} s", "met": slowest < 2.0})
        if "exec" in sc:
            vm = case("exec", "vault")["peak_rss_mib"]
            fm = case("exec", "age")["peak_rss_mib"]
            out.append({"target": "exec peak memory ≤ floor + 10 MiB",
                        "measured": f"{vm:.1f} MiB vs {fm:.1f} MiB (+{vm - fm:.1f})", "met": vm - fm <= 10})
        self.results["targets"] = out


def growth_verdict(sizes: list[int], times: list[float], name: str) -> str:
    """The log-log slope between the two largest sizes: ~1 is linear, < 1 better than
    linear (fixed costs still dominate), > 1 worse."""
    if len(sizes) < 2:
        return f"{name}: too few sizes"
    a, b = sizes[-2], sizes[-1]
    ta, tb = times[-2], times[-1]
    slope = math.log(tb / ta) / math.log(b / a) if ta > 0 and tb > 0 else float("nan")
    kind = "better than linear" if slope < 0.85 else "linear" if slope <= 1.15 else "worse than linear"
    return f"{name}: ×{tb / ta:.1f} time for ×{b / a:.0f} ({a:,}→{b:,}), slope {slope:.2f}, {kind}"


def machine_info() -> dict:
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) // 1024 // 1024
    except OSError:
        pass
    cores = os.cpu_count()
    load = os.getloadavg()
    return {"cpu": cpu, "cores": cores, "memory_gib": mem, "kernel": platform.release(),
            "load_at_start": [round(x, 2) for x in load],
            "summary": f"{cores} cores ({cpu}), {mem} GiB, Linux {platform.release()}"}
