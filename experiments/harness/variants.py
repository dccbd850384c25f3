"""The versions of the user's code one run compares (``--variant NAME=FOLDER`` or ``NAME=git:REV``):
parsed, resolved to the folder each is imported from (a revision checked out into a temporary
``git worktree``, removed afterwards, also on Ctrl-C, SIGTERM or an error) and described for
environment.json."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass

_NAME = re.compile(r"^[A-Za-z0-9_.+-]{1,40}$")
GIT_PREFIX = "git:"
#: Seconds a git command may take (a worktree of a large repository checks out many files).
GIT_TIMEOUT_S = 300


class VariantError(ValueError):
    """A variant that cannot be resolved; the message is one line naming the variant and the fix."""


@dataclass
class Variant:
    """One version of the code: its name (the ``variant`` column), what was asked for (a folder or
    ``git:REV``) and, once resolved, the folder the module is imported from."""

    name: str
    source: str
    subfolder: str = ""  # where, inside the variant, the module is imported from (--path, the cwd)
    root: str = ""  # the variant's folder, or its worktree
    commit: str | None = None
    dirty: bool | None = None
    repository: str | None = None  # the repository a revision was checked out of

    @property
    def revision(self) -> str | None:
        return self.source[len(GIT_PREFIX) :] if self.source.startswith(GIT_PREFIX) else None

    @property
    def import_folder(self) -> str:
        return os.path.normpath(os.path.join(self.root, self.subfolder))

    def describe(self) -> dict:
        """What environment.json keeps: a worktree's path is temporary, so a revision is kept as
        the revision and the commit it resolved to."""
        return {
            "name": self.name,
            "source": self.source,
            "folder": None if self.revision else self.root,
            "revision": self.revision,
            "commit": self.commit,
            "dirty": self.dirty,
            "subfolder": self.subfolder,
            "repository": self.repository,
        }

    @classmethod
    def recorded(cls, config: dict) -> Variant:
        """The variant a run folder recorded (``config.variant``), to check out again on --resume."""
        return cls(
            str(config["name"]),
            str(config["source"]),
            subfolder=str(config.get("subfolder") or "."),
            root=str(config.get("folder") or ""),
            commit=config.get("commit"),
            dirty=config.get("dirty"),
            repository=config.get("repository"),
        )


def parse_variants(texts: list, path: str | None, with_workload: bool) -> list:
    """``NAME=FOLDER`` / ``NAME=git:REV`` options as Variants (not yet resolved); VariantError when
    one is malformed. ``path`` (--path) is a folder inside every variant."""
    if not texts:
        return []
    if not with_workload:
        raise VariantError("--variant goes with --workload MODULE:FUNCTION: the function each variant holds")
    if len(texts) < 2:
        raise VariantError(
            "--variant needs two or more variants to compare, e.g. --variant base=git:main --variant new=."
        )
    if path is not None and os.path.isabs(os.path.expanduser(path)):
        raise VariantError(
            "with --variant, --path is the folder inside each variant the module is imported from; "
            "give it relative, e.g. --path src, not %s" % path
        )
    variants, names = [], set()
    for text in texts:
        name, sep, source = text.partition("=")
        name, source = name.strip(), source.strip()
        if not sep or not source or not _NAME.match(name):
            raise VariantError(
                "--variant expects NAME=FOLDER or NAME=git:REV (NAME of letters, digits and _.+-), "
                "e.g. --variant base=git:main --variant new=.; got %r" % text
            )
        if name in names:
            raise VariantError("--variant %s is given twice; give each variant its own name" % name)
        names.add(name)
        variants.append(Variant(name, source, subfolder=os.path.normpath(path or ".")))
    return variants


def _git(args: list, cwd: str) -> str:
    """A git command's output; OSError or CalledProcessError when it fails."""
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=GIT_TIMEOUT_S,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return done.stdout.strip()


def _why(exc: Exception) -> str:
    if isinstance(exc, subprocess.CalledProcessError):
        lines = (exc.stderr or "").strip().splitlines()
        return lines[-1] if lines else "exit status %d" % exc.returncode
    return str(exc)


def _commit_of(folder: str) -> tuple:
    """(commit, uncommitted changes?) of the git checkout holding ``folder``, or (None, None)."""
    try:
        commit = _git(["rev-parse", "HEAD"], folder)
        dirty = bool(_git(["status", "--porcelain"], folder))
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit, dirty


class Checkouts:
    """Resolves variants; a ``with`` block removes every worktree it made when the block ends,
    however it ends. A stop asked for while removing is ignored: the worktrees go first."""

    def __init__(self, cwd: str | None = None):
        self.cwd = os.path.abspath(cwd or os.getcwd())
        self._made: list = []  # (repository, worktree, temporary folder)

    def __enter__(self) -> Checkouts:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def resolve(self, variant: Variant) -> Variant:
        """Give the variant its folder, commit and state; VariantError naming it when impossible."""
        if variant.revision is None:
            root = os.path.abspath(os.path.expanduser(variant.source))
            if not os.path.isdir(root):
                raise VariantError(
                    "variant %s: %s is not a folder; give NAME=FOLDER or NAME=git:REV" % (variant.name, root)
                )
            variant.root = root
            variant.commit, variant.dirty = _commit_of(root)
        else:
            self._checkout(variant)
        if not os.path.isdir(variant.import_folder):
            raise VariantError(
                "variant %s (%s): it has no folder %s; check --path (a folder inside each variant)"
                % (variant.name, variant.source, variant.subfolder)
            )
        return variant

    def _checkout(self, variant: Variant) -> None:
        what = "variant %s (%s)" % (variant.name, variant.source)
        try:
            repo = _git(["rev-parse", "--show-toplevel"], self.cwd)
        except (OSError, subprocess.SubprocessError) as exc:
            raise VariantError(
                "%s: the current folder %s is not in a git repository (%s); run from the repository "
                "or give a folder" % (what, self.cwd, _why(exc))
            ) from None
        try:
            commit = _git(["rev-parse", "--verify", "--quiet", variant.revision + "^{commit}"], repo)
        except (OSError, subprocess.SubprocessError):
            raise VariantError(
                "%s: no revision %r in %s; name a branch, tag or commit (in CI, check out with "
                "fetch-depth: 0 so that origin/main exists)" % (what, variant.revision, repo)
            ) from None
        # The cwd's place in the repository: the same place in the worktree is where --path starts.
        inside = os.path.relpath(os.path.realpath(self.cwd), os.path.realpath(repo))
        variant.subfolder = os.path.normpath(os.path.join(inside, variant.subfolder))
        variant.repository = repo
        self.check_out(variant, commit)

    def again(self, recorded: dict) -> str:
        """Check a recorded revision's commit out again (--resume: the run's worktree went with it);
        the folder to import from."""
        variant = Variant.recorded(recorded)
        self.check_out(variant, str(variant.commit))
        return variant.import_folder

    def check_out(self, variant: Variant, commit: str) -> None:
        """Check ``commit`` of ``variant.repository`` out into a new temporary worktree, its root."""
        what = "variant %s (%s)" % (variant.name, variant.source)
        repo = variant.repository or self.cwd
        temporary = tempfile.mkdtemp(prefix="gilbench-variant-%s-" % variant.name)
        tree = os.path.join(temporary, "tree")
        self._made.append((repo, tree, temporary))
        try:
            _git(["worktree", "add", "--detach", "--quiet", tree, commit], repo)
        except (OSError, subprocess.SubprocessError) as exc:
            raise VariantError("%s: cannot check out %s (%s)" % (what, commit[:12], _why(exc))) from None
        variant.root, variant.commit, variant.dirty = tree, commit, False

    def remove(self) -> None:
        """Remove every worktree made, and its registration in the repository."""
        if not self._made:
            return
        saved = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            while self._made:
                repo, tree, temporary = self._made.pop()
                try:
                    _git(["worktree", "remove", "--force", tree], repo)
                except (OSError, subprocess.SubprocessError):
                    pass  # half made or already gone: the folder goes below, prune forgets it
                shutil.rmtree(temporary, ignore_errors=True)
                try:
                    _git(["worktree", "prune"], repo)
                except (OSError, subprocess.SubprocessError):
                    pass
        finally:
            for s, handler in saved.items():
                signal.signal(s, handler)
