"""The library folder: a bundle per version, the `active` pointer, damaged parts set aside.

    models/
      3f2a9c0b71de/       a kept bundle, named by its version (its manifest's SHA-256)
      active              the active version, one line, replaced atomically
      .incoming-*/        a bundle being copied in (never listed; left over only by a crash)
      set-aside/          damaged entries and pointers, moved out of the way, never deleted

The bundled default model is listed first and is active until another is activated; it is not
copied. A bundle is checked in full (manifest, state, a trial forecast in a child process) before
it is listed, and again before it becomes active, so a tampered one is never active.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from pathlib import Path

from salesapp.errors import BundleError, SalesAppError, as_sentence
from salesapp.library.entry import (
    VERSION_RE,
    LibraryEntry,
    manifest_version,
    read_entry,
    reason_of,
)
from salesapp.paths import default_model_dir, user_data_dir

log = logging.getLogger("salesapp.library")

POINTER = "active"
SET_ASIDE = "set-aside"
INCOMING = ".incoming-"


class UnknownModelError(SalesAppError):
    """A version (or prefix) that names no model of the library, or more than one."""


class ModelLibrary:
    """The kept models under `root` (default `user_data_dir()/"models"`).

    `notices` collects one sentence per damaged pointer or entry set aside, for the caller to
    show (the command line prints them, the window puts them in its status bar).
    """

    def __init__(self, root: str | Path | None = None, builtin: str | Path | None = None):
        self.root = Path(root) if root is not None else user_data_dir() / "models"
        self.builtin = Path(builtin) if builtin is not None else default_model_dir()
        self.notices: list[str] = []

    # --- reading --------------------------------------------------------------------------

    def entries(self) -> list[LibraryEntry]:
        """Every kept model, the bundled one first, then the others oldest first.

        A kept folder whose manifest or card does not check out is set aside (a notice says so)
        and not listed.
        """
        active = self.active_version()
        found = []
        builtin = self._builtin_entry(active)
        if builtin is not None:
            found.append(builtin)
        for folder in self._kept_folders():
            if builtin is not None and folder.name == builtin.version:
                continue
            try:
                entry = read_entry(folder, builtin=False, active=folder.name == active)
                if entry.version != folder.name:
                    raise BundleError(f"{folder / 'manifest.json'} is not the manifest of model "
                                      f"{folder.name} (it is that of {entry.version})")
            except BundleError as exc:
                self._set_aside(folder, str(exc))
                continue
            found.append(entry)
        first = 1 if builtin is not None else 0
        return found[:first] + sorted(found[first:], key=lambda e: e.created)

    def find(self, version: str) -> LibraryEntry:
        """The entry whose version is `version` or starts with it; UnknownModelError if none or
        several do."""
        text = version.strip().lower()
        listed = self.entries()
        hits = [e for e in listed if e.version == text] or \
            [e for e in listed if text and e.version.startswith(text)]
        if len(hits) == 1:
            return hits[0]
        if not hits:
            known = ", ".join(e.version for e in listed) or "none"
            raise UnknownModelError(f"no model {version!r} in the library {self.root} "
                                    f"(kept: {known})")
        raise UnknownModelError(f"{version!r} names {len(hits)} models of the library ("
                                + ", ".join(e.version for e in hits) + "); give more of it")

    def active_version(self) -> str | None:
        """The version the pointer names, if it names a kept model; else the bundled model's
        (None without one). A pointer that is damaged, or names a model no longer kept, is set
        aside with a notice."""
        pointer = self.root / POINTER
        try:
            text = pointer.read_bytes().decode("ascii").strip()
        except FileNotFoundError:
            return self._builtin_version()
        except (OSError, UnicodeDecodeError) as exc:
            return self._pointer_damaged(pointer, f"it could not be read ({reason_of(exc)})")
        if not VERSION_RE.fullmatch(text):
            return self._pointer_damaged(pointer, "it does not hold a model version")
        if text == self._builtin_version() or (self.root / text / "manifest.json").is_file():
            return text
        return self._pointer_damaged(pointer, f"it names model {text}, which is not kept")

    def active_dir(self) -> Path:
        """The folder of the active model (cheap: no file is hashed). The bundled model's folder
        when nothing else was activated."""
        version = self.active_version()
        if version is None or version == self._builtin_version():
            return self.builtin
        return self.root / version

    def checked_active_dir(self) -> Path:
        """`active_dir`, its bundle checked against its manifest first: a damaged active entry
        is set aside (a notice says so) and the bundled model is used instead."""
        from salesapp.model import bundle

        d = self.active_dir()
        if d == self.builtin:
            return d
        try:
            bundle.verify(d)
        except BundleError as exc:
            self._set_aside(d, str(exc), then="the bundled model is active instead")
            (self.root / POINTER).unlink(missing_ok=True)
            return self.builtin
        return d

    def entry_dir(self, version: str) -> Path:
        """Where a kept model's bundle lives (the bundled folder for the bundled model)."""
        return self.builtin if version == self._builtin_version() else self.root / version

    # --- changing -------------------------------------------------------------------------

    def add(self, bundle_dir: str | Path, *, move: bool = False) -> str:
        """Keep a bundle in the library; returns its version (it is not made active).

        The bundle is checked before it is listed: its manifest (`bundle.verify`), its state
        and a trial forecast in a child process (`bundle_check.ensure_safe`); a bundle that
        fails any is refused with BundleError and not kept. The copy is checked again and then
        renamed into place, so a half-copied bundle is never listed. With `move` the folder is
        renamed instead of copied (a bundle trained into `staging_dir()`); refused, it is set
        aside. A version already kept is not copied again.
        """
        src = Path(bundle_dir)
        try:
            version = _check(src)
        except BundleError as exc:
            if move and src.is_dir() and src.parent == self.root:
                self._set_aside(src, str(exc))
            raise
        if version == self._builtin_version():
            return version
        final = self.root / version
        if final.resolve() == src.resolve():
            return version
        if (final / "manifest.json").is_file():
            if move:
                shutil.rmtree(src, ignore_errors=True)
            return version
        staging = src if move else self._copy_in(src)
        try:
            if manifest_version(staging) != version:
                raise BundleError(f"{src} changed while it was added to the library; add it again")
            from salesapp.model import bundle
            bundle.verify(staging)
            os.replace(staging, final)
        except OSError as exc:
            if not move:
                shutil.rmtree(staging, ignore_errors=True)
            if (final / "manifest.json").is_file():   # another process added it meanwhile
                return version
            raise BundleError(f"model {version} could not be kept in {self.root} "
                              f"({reason_of(exc)})") from None
        log.info("model %s added to the library from %s", version, src)
        return version

    def activate(self, version: str) -> LibraryEntry:
        """Make a kept model (version or unique prefix) the active one; returns its entry.

        Its bundle is checked in full first (manifest and trial forecast): one that fails is set
        aside, the pointer is left as it was and BundleError says why. The pointer is written to
        a temporary file and renamed over the old one, so a crash leaves the old or the new.
        """
        entry = self.find(version)
        if not entry.builtin:
            try:
                _check(entry.path)
            except BundleError as exc:
                self._set_aside(entry.path, str(exc))
                raise
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{POINTER}-{uuid.uuid4().hex}"
        try:
            with open(tmp, "w", encoding="ascii") as f:
                f.write(entry.version + "\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.root / POINTER)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise BundleError(f"model {entry.version} could not be made active: "
                              f"{self.root / POINTER} could not be written "
                              f"({reason_of(exc)})") from None
        log.info("model %s is active", entry.version)
        return self.find(entry.version)

    def refuse(self, version: str, why: str) -> None:
        """Take a kept model out of the library (set aside, with a notice saying `why`): one that
        failed to load. The bundled model is never moved."""
        if VERSION_RE.fullmatch(version) and (self.root / version).is_dir():
            self._set_aside(self.root / version, why)

    def staging_dir(self) -> Path:
        """A new empty folder inside the library to write a bundle into, then `add(..., move=True)`
        (same file system: the rename is atomic). Never listed."""
        d = self.root / f"{INCOMING}{uuid.uuid4().hex}"
        d.mkdir(parents=True)
        return d

    # --- internals ------------------------------------------------------------------------

    def _builtin_version(self) -> str | None:
        try:
            return manifest_version(self.builtin)
        except BundleError:
            return None

    def _builtin_entry(self, active: str | None) -> LibraryEntry | None:
        version = self._builtin_version()
        if version is None:
            return None
        try:
            return read_entry(self.builtin, builtin=True, active=version == active)
        except BundleError as exc:   # the install itself is damaged: said, not moved
            self._say(f"the bundled model is not listed: {exc}")
            return None

    def _kept_folders(self) -> list[Path]:
        try:
            return [p for p in self.root.iterdir() if p.is_dir() and VERSION_RE.fullmatch(p.name)]
        except FileNotFoundError:
            return []

    def _copy_in(self, src: Path) -> Path:
        staging = self.root / f"{INCOMING}{uuid.uuid4().hex}"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            shutil.copytree(src, staging)   # copy2: the files keep their times (the `created`)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise BundleError(f"{src} could not be copied into the library {self.root} "
                              f"({reason_of(exc)})") from None
        return staging

    def _pointer_damaged(self, pointer: Path, why: str) -> str | None:
        moved = self._move_aside(pointer)
        where = f"; it was moved to {moved}" if moved else ""
        self._say(f"the active-model pointer {pointer} was set aside because {why}{where}; "
                  "the bundled model is active")
        return self._builtin_version()

    def _set_aside(self, folder: Path, why: str, then: str = "") -> None:
        moved = self._move_aside(folder)
        where = f"moved to {moved}" if moved else "left where it is"
        self._say(f"model {folder.name} was taken out of the library ({where}) because "
                  f"{why.rstrip('.')}" + (f"; {then}" if then else ""))

    def _move_aside(self, path: Path) -> Path | None:
        dest = self.root / SET_ASIDE / f"{path.name}-{time.strftime('%Y%m%dT%H%M%S')}-" \
                                       f"{uuid.uuid4().hex[:6]}"
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, dest)
        except OSError:
            log.warning("could not set %s aside", path, exc_info=True)
            return None
        return dest

    def _say(self, sentence: str) -> None:
        sentence = as_sentence(sentence)
        log.warning("%s", sentence)
        self.notices.append(sentence)


def _check(directory: Path) -> str:
    """The full check of a bundle before it is kept or made active; returns its version."""
    from salesapp.model import bundle, bundle_check

    if not directory.is_dir():
        raise BundleError(f"{directory} is not a folder, so not a model bundle")
    version = bundle.verify(directory)
    bundle.read_state(directory)
    bundle_check.ensure_safe(directory)
    return version

