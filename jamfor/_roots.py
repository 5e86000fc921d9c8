"""A side of a comparison: a rule root on disk, or a git revision of this repository."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import engine


class RootError(Exception):
    """A side that cannot be read; the message says which and why."""


@dataclass(frozen=True)
class Root:
    label: str  # as the user wrote it
    files: dict[str, str]
    bundle: engine.RuleBundle

    def ref(self) -> dict[str, str]:
        return {"kalla": self.label, "id": self.bundle.id, "version": self.bundle.version, "hash": self.bundle.hash}


def load_root(ref: str, repo: Path) -> Root:
    """``ref`` is a directory holding regelverk/ and normer/, or a git revision of ``repo``."""
    path = Path(ref)
    if path.is_dir():
        try:
            files = engine.read_rule_files(path)
        except engine.RuleFileError as exc:
            raise RootError(f"{ref}: {exc.problems[0].message}") from None
    else:
        files = _git_files(ref, repo)
    try:
        bundle = engine.load_bundle_from_files(files)
    except engine.RuleFileError as exc:
        first = exc.problems[0]
        raise RootError(f"{ref}: regelfilerna har {len(exc.problems)} problem, t.ex. {first}") from None
    return Root(ref, files, bundle)


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False, timeout=60)
    if proc.returncode != 0:
        raise RootError("git")
    return proc.stdout.decode("utf-8")


def _git_files(ref: str, repo: Path) -> dict[str, str]:
    if ref.startswith("-") or not ref.strip():
        raise RootError(f"'{ref}' är varken en katalog med regelverk/ och normer/ eller en git-revision")
    try:
        commit = _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
        names = _git(repo, "ls-tree", "-r", "--name-only", commit, "--", "regelverk", "normer").split("\n")
    except (RootError, FileNotFoundError, subprocess.TimeoutExpired):
        raise RootError(
            f"'{ref}' är varken en katalog med regelverk/ och normer/ eller en git-revision i {repo}"
        ) from None
    files: dict[str, str] = {}
    for name in names:
        if name.endswith(".yaml"):
            files[name] = _git(repo, "show", f"{commit}:{name}")
    if not files:
        raise RootError(f"revisionen {ref} har inga regelfiler under regelverk/ och normer/")
    return files
