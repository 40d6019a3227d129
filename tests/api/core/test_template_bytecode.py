"""Templates compiled at build time (`courtside.web.template_bytecode`): every template is
read from the build, the build's code is what the sources compile to, and nothing stale or
missing can change a page: a template that differs, or other options, compile from source."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader
from jinja2.bccache import bc_magic

from courtside.web import template_bytecode, templating
from courtside.web.template_bytecode import SUFFIX, PrecompiledTemplates, compile_all


def _refusing_to_compile(env: Environment) -> Environment:
    def compile_(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"compiled from source: {args[1] if len(args) > 1 else kwargs}")

    env.compile = compile_  # type: ignore[assignment,method-assign]
    return env


@pytest.fixture
def compiled(tmp_path: Path) -> Path:
    directory = tmp_path / "compiled"
    names = compile_all(templating.build_environment(compiled_into=directory), directory)
    assert len(list(directory.glob(f"*{SUFFIX}"))) == len(names) > 20
    return directory


def test_every_template_loads_from_the_build_without_compiling(compiled, monkeypatch):
    monkeypatch.setattr(template_bytecode, "COMPILED_DIR", compiled)
    env = _refusing_to_compile(templating.build_environment())
    assert isinstance(env.bytecode_cache, PrecompiledTemplates)
    for name in env.list_templates():
        env.get_template(name)


def test_the_builds_code_is_what_the_sources_compile_to(compiled, monkeypatch):
    """Byte for byte: each entry holds exactly the code the template's source compiles to
    now, under the site's options, and that source's checksum."""
    monkeypatch.setattr(template_bytecode, "COMPILED_DIR", compiled)
    env = templating.build_environment()
    cache = env.bytecode_cache
    assert isinstance(cache, PrecompiledTemplates)
    fresh = templating.build_environment(compiled_into=None)
    fresh.bytecode_cache = None
    for name in env.list_templates():
        source, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        bucket = cache.get_bucket(env, name, filename, source)
        assert bucket.code is not None, name
        assert marshal.dumps(bucket.code) == marshal.dumps(fresh.compile(source, name, filename))


def test_a_page_renders_the_same_from_the_build_and_from_source(compiled, monkeypatch):
    context = {"request": None, "status_code": 404, "message": "<x>"}
    from_source = templating.build_environment()
    from_source.bytecode_cache = None
    expected = from_source.get_template("error.html").render(context)
    monkeypatch.setattr(template_bytecode, "COMPILED_DIR", compiled)
    built = _refusing_to_compile(templating.build_environment())
    assert built.get_template("error.html").render(context) == expected
    assert "&lt;x&gt;" in expected


def _site(tmp_path: Path) -> Path:
    sources = tmp_path / "templates"
    sources.mkdir()
    (sources / "page.html").write_text("old {{ value }}")
    return sources


def _env(sources: Path, cache: PrecompiledTemplates) -> Environment:
    return Environment(
        loader=FileSystemLoader(sources), bytecode_cache=cache, auto_reload=False, autoescape=True
    )


def test_a_changed_source_is_compiled_from_source_not_read_stale(tmp_path):
    sources = _site(tmp_path)
    directory = tmp_path / "compiled"
    directory.mkdir()
    _env(sources, PrecompiledTemplates(directory, "f", writable=True)).get_template("page.html")
    written = sorted(directory.iterdir())
    (sources / "page.html").write_text("new {{ value }}")
    env = _env(sources, PrecompiledTemplates(directory, "f"))
    assert env.get_template("page.html").render(value=1) == "new 1"
    assert sorted(directory.iterdir()) == written  # read-only: nothing rewritten


def test_other_options_never_read_code_compiled_under_the_old_ones(tmp_path):
    sources = _site(tmp_path)
    directory = tmp_path / "compiled"
    directory.mkdir()
    _env(sources, PrecompiledTemplates(directory, "old", writable=True)).get_template("page.html")
    env = _refusing_to_compile(_env(sources, PrecompiledTemplates(directory, "new")))
    with pytest.raises(AssertionError, match="compiled from source"):
        env.get_template("page.html")


def test_without_a_build_templates_compile_from_source(tmp_path, monkeypatch):
    """A development checkout: no compiled directory, the environment as it always was."""
    monkeypatch.setattr(template_bytecode, "COMPILED_DIR", tmp_path / "absent")
    env = templating.build_environment()
    assert env.bytecode_cache is None
    assert "Not found" in env.get_template("error.html").render(
        {"request": None, "status_code": 404, "message": "Not found"}
    )


def test_compiling_again_leaves_no_entry_of_a_removed_template(compiled):
    orphan = compiled / f"{'0' * 40}{SUFFIX}"
    orphan.write_bytes(b"stale")
    compile_all(templating.build_environment(compiled_into=compiled), compiled)
    assert not orphan.exists()


def test_the_compiled_directory_is_built_not_committed():
    repo = Path(__file__).resolve().parents[3]
    relative = template_bytecode.COMPILED_DIR.relative_to(repo)
    ignored = (repo / ".gitignore").read_text().splitlines()
    assert f"{relative.as_posix()}/" in ignored


def test_the_build_step_writes_an_entry_per_template(tmp_path):
    """What api/Dockerfile runs, in a fresh process."""
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[3]
    target = tmp_path / "built"
    env = {**os.environ, "PYTHONPATH": str(repo / "api"), "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run(
        [sys.executable, "-m", "courtside.web.templating", str(target)],
        env=env,
        check=True,
        capture_output=True,
    )
    names = templating.build_environment().list_templates()
    assert len(list(target.glob(f"*{SUFFIX}"))) == len(names)


@pytest.mark.parametrize("damage", [b"", b"\x00" * 3, b"garbage that is no pickle"])
def test_a_damaged_entry_is_compiled_from_source_not_a_500(tmp_path, damage):
    sources = _site(tmp_path)
    directory = tmp_path / "compiled"
    directory.mkdir()
    _env(sources, PrecompiledTemplates(directory, "f", writable=True)).get_template("page.html")
    (entry,) = directory.iterdir()
    good = entry.read_bytes()
    entry.write_bytes(good[: len(bc_magic)] + damage)  # the magic, a broken checksum section
    env = _env(sources, PrecompiledTemplates(directory, "f"))
    assert env.get_template("page.html").render(value=1) == "old 1"
