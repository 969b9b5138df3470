"""A per-user cache of the Predictor's feature context, so that a bundle loads without rebuilding it.

Building `FeatureContext` walks the bundle's whole history, and every start of the app, the
self-test, `predict` and `work` would pay for it; reading the arrays back is much cheaper. What it
builds is plain numeric arrays (and dicts of them). The first load of a bundle stores them as
`.npy` files plus a JSON layout under the user data directory; later loads read them back with
`allow_pickle=False`, so nothing in the cache can run code (a tampered cache can only give wrong
numbers, as a tampered store could).

The key covers the bundle's manifest (every file's SHA-256), the file of `salesapp.model.features`
(its code decides what is built), numpy's version and this module's format. Anything the cache
cannot represent exactly (object arrays, any other type than arrays, string-keyed dicts and plain
scalars) means no cache: the context is built in memory only. A cache that cannot be read is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

from salesapp.model import features
from salesapp.paths import user_data_dir

FORMAT = 3   # 3: arrays, dicts and scalars only (no pandas objects, no classes)
KEEP = 3   # cached bundles kept (most recently used); each is about the size of its history
LAYOUT = "layout.json"


class Unsupported(TypeError):
    """The context holds something the cache cannot store exactly."""


def cache_root() -> Path:
    """Folder of all cached contexts (under the per-user data directory)."""
    return user_data_dir() / "cache" / "feature_context"


def cache_key(bundle_dir: Path) -> str | None:
    """Key of the context of `bundle_dir` with the running code; None if it cannot be known."""
    try:
        code = Path(features.__file__).read_bytes()
        manifest = (Path(bundle_dir) / "manifest.json").read_bytes()
    except (OSError, TypeError):
        return None
    h = hashlib.sha256()
    for part in (manifest, code, np.__version__.encode(), str(FORMAT).encode()):
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:32]


def load_or_build(bundle_dir: Path, build: Callable[[], features.FeatureContext]
                  ) -> features.FeatureContext:
    """The bundle's context from the cache, or `build()` it and cache it for the next load."""
    key = cache_key(bundle_dir)
    if key is None:
        return build()
    folder = cache_root() / key
    if folder.is_dir():
        try:
            ctx = read(folder)
            os.utime(folder)   # most recently used: kept by the clean-up
            return ctx
        except (OSError, ValueError, KeyError, TypeError):
            shutil.rmtree(folder, ignore_errors=True)   # unreadable: built and written again
    ctx = build()
    try:
        write(folder, ctx)
    except (OSError, Unsupported):
        pass   # no cache this time; the context itself is fine
    return ctx


def write(folder: Path, ctx: features.FeatureContext) -> None:
    """Store `ctx` in `folder` atomically (a whole folder appears, or none)."""
    arrays: list[np.ndarray] = []
    layout = {"format": FORMAT, "attrs": {k: _encode(v, arrays) for k, v in vars(ctx).items()}}
    tmp = folder.parent / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir(parents=True)
    try:
        for n, a in enumerate(arrays):
            np.save(tmp / f"a{n}.npy", a, allow_pickle=False)
        (tmp / LAYOUT).write_text(json.dumps(layout), encoding="utf-8")
        os.replace(tmp, folder)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not folder.is_dir():   # else another process wrote the same context first: fine
            raise
    _clean(folder.parent, keep=folder)


def read(folder: Path) -> features.FeatureContext:
    """The context stored in `folder` (no pickle is ever loaded)."""
    layout = json.loads((folder / LAYOUT).read_text(encoding="utf-8"))
    if layout.get("format") != FORMAT:
        raise ValueError("cache format differs")

    def array(n: int) -> np.ndarray:
        return np.load(folder / f"a{int(n)}.npy", allow_pickle=False)

    ctx = features.FeatureContext.__new__(features.FeatureContext)
    for name, node in layout["attrs"].items():
        setattr(ctx, name, _decode(node, array))
    return ctx


def _is_ours(path: Path) -> bool:
    """A folder this module made: a cache key (32 hex digits) or one of its temporary folders."""
    name = path.name
    key = name[5:].split("-")[0] if name.startswith(".tmp-") else name
    return len(key) == 32 and all(c in "0123456789abcdef" for c in key) and path.is_dir()


def _clean(root: Path, keep: Path) -> None:
    """Remove all but the `KEEP` most recently used cached contexts, and stale temporary folders.

    Only folders named as this module names them: a cache root pointed at a folder of other
    things (a mistake, a test) must never lose them.
    """
    try:
        entries = [p for p in root.iterdir() if p != keep and _is_ours(p)]
    except OSError:
        return
    entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP - 1:]:
        shutil.rmtree(old, ignore_errors=True)


def _encode(obj, arrays: list) -> dict:
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            raise Unsupported("object array")
        arrays.append(obj)
        return {"t": "array", "a": len(arrays) - 1}
    if isinstance(obj, dict) and all(isinstance(k, str) for k in obj):
        return {"t": "dict", "items": {k: _encode(v, arrays) for k, v in obj.items()}}
    if obj is None or type(obj) in (bool, int, float, str):
        return {"t": "scalar", "v": obj}
    raise Unsupported(type(obj).__name__)


def _decode(node: dict, array: Callable[[int], np.ndarray]):
    kind = node["t"]
    if kind == "array":
        return array(node["a"])
    if kind == "dict":
        return {k: _decode(v, array) for k, v in node["items"].items()}
    if kind == "scalar":
        return node["v"]
    raise ValueError(f"unknown cache node {kind!r}")
