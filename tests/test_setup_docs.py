"""The set-up the documents describe: one package list, and no links out of the repository."""

import json
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ROOT / "packages-debian.txt"


def listed_packages() -> list[str]:
    names = []
    for line in PACKAGES.read_text(encoding="utf-8").splitlines():
        names += line.split("#", 1)[0].split()
    return names


def test_ci_installs_exactly_the_listed_packages():
    # .ci/run's own extraction, run as written (only apt-get is left out)
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    (mapfile,) = [ln for ln in script.splitlines() if ln.startswith("mapfile ")]
    out = subprocess.run(["bash", "-c", mapfile + '\nprintf "%s\\n" "${packages[@]}"'], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == listed_packages()
    assert '"${packages[@]}"' in next(ln for ln in script.splitlines() if "apt-get install" in ln)
    assert "apt-get update" in script and script.rstrip().endswith("make test")


def test_readme_apt_line_is_the_list():
    lines = [ln for ln in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
             if "apt-get install" in ln]
    assert len(lines) == 1, lines
    quoted = [w for w in lines[0].split() if not w.startswith("-")]
    assert quoted[quoted.index("install") + 1:] == listed_packages()


def _documents():
    yield from [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        yield nb, "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def test_documents_link_only_inside_the_repository():
    for doc in _documents():
        path, text = doc if isinstance(doc, tuple) else (doc, doc.read_text(encoding="utf-8"))
        for up in re.findall(r"(?<![\w.])((?:\.\./)+[\w./-]*)", text):   # relative to the document
            resolved = (path.parent / up).resolve()
            assert resolved.is_relative_to(ROOT) and resolved.exists(), f"{path.name} names {up}"
        for name in set(re.findall(r"\b[\w-]+\.md\b", text)):   # a named document is one of ours
            assert any(ROOT.rglob(name)), f"{path.name} names {name}, outside the repository"
        for target in re.findall(r"\]\(([^)#\s]+)", text):
            if re.match(r"[a-z]+://", target):
                continue
            resolved = (path.parent / target).resolve()
            assert resolved.is_relative_to(ROOT), f"{path.name} links out: {target}"
            assert resolved.exists(), f"{path.name} links to a missing {target}"
