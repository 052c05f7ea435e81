"""tools/dist_files.py in-process: distributions read from small fake `*.dist-info` folders."""

from __future__ import annotations

import base64
import hashlib
import sys
from pathlib import Path

import pytest

from conftest import ToolsProject


def sha256_field(data: bytes) -> str:
    """A RECORD hash field, as installers write it."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def make_dist(
    site: Path,
    name: str,
    version: str,
    *,
    files: dict[str, str] | None = None,
    requires: tuple[str, ...] = (),
    top_level: str | None = None,
) -> Path:
    """A `<name>-<version>.dist-info` in `site`, with its files installed and listed in RECORD."""
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    header = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    header += [f"Requires-Dist: {requirement}" for requirement in requires]
    # A body after the blank line: not part of the header, never read as fields.
    body = "\nName: not-the-name\nThe long description.\n"
    (info / "METADATA").write_text("\n".join(header) + "\n" + body, encoding="utf-8")
    rows = []
    for relative, text in (files or {}).items():
        path = site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        rows.append(f"{relative},{sha256_field(text.encode())},{len(text.encode())}")
    rows.append(f"{info.name}/RECORD,,")
    (info / "RECORD").write_text("\n".join(rows) + "\n", encoding="utf-8")
    if top_level is not None:
        (info / "top_level.txt").write_text(top_level, encoding="utf-8")
    return info


def test_read_dist_takes_name_version_and_requirements_from_the_header(
    tools: ToolsProject, tmp_path: Path
) -> None:
    """Name, version and every Requires-Dist come from the header, not from the body."""
    dist_files = tools.module("dist_files")
    info = make_dist(
        tmp_path / "site", "Demo_Pkg", "1.2.3", requires=("numpy>=1.26", 'rich ; extra == "ui"')
    )
    dist = dist_files.read_dist(info)
    assert (dist.name, dist.version) == ("Demo_Pkg", "1.2.3")
    assert dist.requires == ["numpy>=1.26", 'rich ; extra == "ui"']
    assert dist.site_dir == tmp_path / "site"


def test_header_continuation_lines_join_the_previous_value(
    tools: ToolsProject, tmp_path: Path
) -> None:
    """A header line starting with whitespace continues the field before it."""
    dist_files = tools.module("dist_files")
    metadata = tmp_path / "METADATA"
    metadata.write_text("Name: demo\nSummary: first\n  second\nVersion: 1\n\nbody\n", "utf-8")
    fields = dist_files._read_header(metadata)
    assert fields == {"name": ["demo"], "summary": ["first second"], "version": ["1"]}


def test_read_dist_refuses_a_folder_without_metadata_or_name(
    tools: ToolsProject, tmp_path: Path
) -> None:
    """No METADATA file, or one without a Name, is not a distribution."""
    dist_files = tools.module("dist_files")
    empty = tmp_path / "empty-1.0.dist-info"
    empty.mkdir()
    nameless = tmp_path / "nameless-1.0.dist-info"
    nameless.mkdir()
    (nameless / "METADATA").write_text("Version: 1.0\n", encoding="utf-8")
    assert dist_files.read_dist(empty) is None
    assert dist_files.read_dist(nameless) is None


def test_installed_lists_distributions_in_path_order(tools: ToolsProject, tmp_path: Path) -> None:
    """Each entry's dists in name order, entries in the given order; a missing entry is
    skipped."""
    dist_files = tools.module("dist_files")
    first, second = tmp_path / "first", tmp_path / "second"
    make_dist(first, "zeta", "1.0")
    make_dist(first, "alpha", "2.0")
    make_dist(second, "alpha", "1.0")
    (second / "not-a-dist").mkdir()
    paths = [str(first), str(tmp_path / "missing"), str(second)]
    found = [(dist.name, dist.version) for dist in dist_files.installed(paths)]
    assert found == [("alpha", "2.0"), ("zeta", "1.0"), ("alpha", "1.0")]


def test_by_name_keeps_the_first_copy_under_its_canonical_name(
    tools: ToolsProject, tmp_path: Path
) -> None:
    """Names are PEP 503 normalised; of two copies the first on the path is the one imported."""
    dist_files = tools.module("dist_files")
    dists = [
        dist_files.Dist(tmp_path / "a", "Foo_Bar", "2.0"),
        dist_files.Dist(tmp_path / "b", "foo.bar", "1.0"),
        dist_files.Dist(tmp_path / "c", "Rich", "13.7.1"),
    ]
    found = dist_files.by_name(dists)
    assert list(found) == ["foo-bar", "rich"]
    assert found["foo-bar"] is dists[0]


def test_top_level_comes_from_top_level_txt(tools: ToolsProject, tmp_path: Path) -> None:
    """top_level.txt wins over RECORD; `pkg/sub` lines count as `pkg`."""
    dist_files = tools.module("dist_files")
    info = make_dist(
        tmp_path, "demo", "1.0", files={"other.py": ""}, top_level="demo\ndemo/sub\nextra\n"
    )
    assert dist_files.read_dist(info).top_level() == ["demo", "extra"]


def test_top_level_from_record_keeps_only_importable_names(
    tools: ToolsProject, tmp_path: Path
) -> None:
    """Packages, modules and extensions count; scripts, caches and the dist-info do not."""
    dist_files = tools.module("dist_files")
    files = {
        "pkg/__init__.py": "",
        "pkg/core.py": "",
        "single.py": "",
        "fast.cpython-311-x86_64-linux-gnu.so": "",
        "__pycache__/single.cpython-311.pyc": "",
        "notes.txt": "",
    }
    info = make_dist(tmp_path / "site", "demo", "1.0", files=files)
    with (info / "RECORD").open("a", encoding="utf-8") as record:
        record.write("../../../bin/demo,sha256=abc,3\n")
    assert dist_files.read_dist(info).top_level() == ["fast", "pkg", "single"]


def test_record_rows_with_quoted_paths(tools: ToolsProject, tmp_path: Path) -> None:
    """A RECORD path holding a comma is quoted; the hash after it is still found."""
    dist_files = tools.module("dist_files")
    info = make_dist(tmp_path, "demo", "1.0")
    (info / "RECORD").write_text(
        '"odd,name.py",sha256=xyz,4\nplain.py,sha256=abc,3\nRECORD,,\n', encoding="utf-8"
    )
    rows = dist_files.read_dist(info).record()
    assert rows == [("odd,name.py", "sha256=xyz"), ("plain.py", "sha256=abc"), ("RECORD", "")]


def test_verify_record_names_a_changed_and_a_missing_file(
    tools: ToolsProject, tmp_path: Path
) -> None:
    """Intact files pass; an edited one differs by hash, a deleted one is missing;
    rows without a hash (RECORD itself) are not counted."""
    dist_files = tools.module("dist_files")
    site = tmp_path / "site"
    files = {"demo/__init__.py": "x = 1\n", "demo/a.py": "a = 1\n", "demo/b.py": "b = 1\n"}
    dist = dist_files.read_dist(make_dist(site, "demo", "1.0", files=files))
    assert dist_files.verify_record(dist) == (3, [])
    (site / "demo" / "a.py").write_text("a = 2\n", encoding="utf-8")
    (site / "demo" / "b.py").unlink()
    assert dist_files.verify_record(dist) == (
        3,
        [("demo/a.py", "other contents (its sha256 differs)"), ("demo/b.py", "a missing file")],
    )


def test_a_regular_package_found_earlier_is_a_shadow(
    tools: ToolsProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder with __init__.py is a regular package, which an earlier copy shadows (a
    namespace folder never is: test_a_namespace_folder_is_never_a_shadow)."""
    dist_files = tools.module("dist_files")
    early, site = tmp_path / "early", tmp_path / "site"
    (early / "regular_demo").mkdir(parents=True)
    (early / "regular_demo" / "__init__.py").write_text("", encoding="utf-8")
    info = make_dist(site, "regular-demo", "1.0", files={"regular_demo/__init__.py": ""})
    monkeypatch.setattr(sys, "path", [str(early), str(site), *sys.path])
    (shadow,) = dist_files.shadows(dist_files.read_dist(info))
    assert shadow.subject == "import regular_demo"
    assert shadow.found.startswith(f"{early / 'regular_demo' / '__init__.py'}, whose folder")


def test_an_earlier_path_entry_shadows_a_module(
    tools: ToolsProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module the dist installs, found first in an earlier sys.path entry, is a shadow;
    with that entry on PYTHONPATH, the blame and the fix name PYTHONPATH."""
    dist_files = tools.module("dist_files")
    early, site = tmp_path / "early", tmp_path / "site"
    early.mkdir()
    (early / "shadowed_demo_mod.py").write_text("", encoding="utf-8")
    info = make_dist(site, "shadowed-demo", "1.0", files={"shadowed_demo_mod.py": ""})
    monkeypatch.setattr(sys, "path", [str(early), str(site), *sys.path])
    monkeypatch.setenv("PYTHONPATH", str(early))
    (shadow,) = dist_files.shadows(dist_files.read_dist(info))
    assert shadow.subject == "import shadowed_demo_mod"
    assert shadow.expected == f"shadowed-demo 1.0's {site / 'shadowed_demo_mod'}"
    assert shadow.found == (
        f"{early / 'shadowed_demo_mod.py'}, whose folder {early} is put on sys.path by "
        f"PYTHONPATH (its entry {early})"
    )
    assert shadow.fix == f"unset PYTHONPATH, or remove {early} from it"


def test_own_copy_first_on_path_is_no_shadow(
    tools: ToolsProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the dist's own site dir comes first, its package is not shadowed."""
    dist_files = tools.module("dist_files")
    late, site = tmp_path / "late", tmp_path / "site"
    (late / "ownfirst_demo").mkdir(parents=True)
    (late / "ownfirst_demo" / "__init__.py").write_text("", encoding="utf-8")
    info = make_dist(site, "ownfirst-demo", "1.0", files={"ownfirst_demo/__init__.py": ""})
    monkeypatch.setattr(sys, "path", [str(site), str(late), *sys.path])
    assert dist_files.shadows(dist_files.read_dist(info)) == []


class SetuptoolsLikeFinder:
    """A finder instance on sys.meta_path (not a stock one) that finds nothing."""

    def find_spec(self, *args: object) -> None:
        return None


def test_a_package_whose_init_is_compiled_is_its_own(
    tools: ToolsProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mypy ships `mypy/__init__.<extension suffix>`: found there, it is the dist's own package,
    also where find_spec decides (a setuptools finder on sys.meta_path)."""
    import importlib.machinery

    dist_files = tools.module("dist_files")
    site = tmp_path / "site"
    compiled = f"compiled_demo/__init__{importlib.machinery.EXTENSION_SUFFIXES[0]}"
    info = make_dist(site, "compiled-demo", "1.0", files={compiled: ""})
    monkeypatch.setattr(sys, "path", [str(site), *sys.path])
    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, SetuptoolsLikeFinder()])
    assert dist_files.shadows(dist_files.read_dist(info)) == []


def test_a_namespace_folder_is_never_a_shadow(
    tools: ToolsProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several distributions fill a namespace package: an earlier copy is by design."""
    dist_files = tools.module("dist_files")
    early, site = tmp_path / "early", tmp_path / "site"
    (early / "nsdemo_space").mkdir(parents=True)
    (early / "nsdemo_space" / "__init__.py").write_text("", encoding="utf-8")
    info = make_dist(site, "nsdemo", "1.0", files={"nsdemo_space/part.py": ""})
    monkeypatch.setattr(sys, "path", [str(early), str(site), *sys.path])
    assert dist_files.shadows(dist_files.read_dist(info)) == []


def test_blame_without_pythonpath_or_pth_names_the_entry(
    tools: ToolsProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry nothing known adds: the fix says to remove it from sys.path."""
    dist_files = tools.module("dist_files")
    monkeypatch.delenv("PYTHONPATH", raising=False)
    source, fix = dist_files.blame(tmp_path / "stray")
    assert source == "a sys.path entry"
    assert fix.startswith(f"remove {tmp_path / 'stray'} from sys.path")
