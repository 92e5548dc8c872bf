"""The compiled knowledge base (knowledge/compiled.py): made once, used while the files and the code
are unchanged, and never trusted when it is not a good copy; caching is only ever a shortcut."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest

from microneedling.knowledge import SHIPPED_PATH, KnowledgeBase, load_knowledge_base
from microneedling.knowledge.compiled import (
    CACHE_ENV,
    KEEP,
    cache_folder,
    load_compiled,
    source_key,
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the shipped knowledge base."""
    copy = tmp_path / "kb"
    shutil.copytree(SHIPPED_PATH, copy)
    return copy


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(target))
    return target


class Loads:
    """``load_knowledge_base``, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, folder: Path) -> KnowledgeBase:
        self.calls += 1
        return load_knowledge_base(folder)


def refuse(folder: Path) -> KnowledgeBase:
    raise AssertionError("the YAML was loaded although a good compiled copy exists")


def same(one: KnowledgeBase, other: KnowledgeBase) -> bool:
    return (
        one.hash == other.hash
        and one.version == other.version
        and one.path == other.path
        and dict(one.sections) == dict(other.sections)
        and one.rules == other.rules
        and dict(one.rules_by_finding) == dict(other.rules_by_finding)
    )


def compiled_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("knowledge-*.pickle"))


def test_the_first_load_is_compiled_and_the_next_one_reads_it(folder: Path, cache: Path) -> None:
    loads = Loads()
    first = load_compiled(folder, loads)
    assert loads.calls == 1
    assert len(compiled_files(cache)) == 1
    again = load_compiled(folder, refuse)
    assert same(again, first)
    assert same(again, load_knowledge_base(folder))


def test_the_compiled_copy_screens_as_the_yaml_does(folder: Path, cache: Path) -> None:
    from microneedling.clinical.intake import parse_intake
    from microneedling.clinical.screening import screen
    from microneedling.demo import load

    load_compiled(folder, load_knowledge_base)
    compiled = load_compiled(folder, refuse)
    intake = parse_intake(load("intake.json"))
    assert (
        screen(intake, compiled).to_dict() == screen(intake, load_knowledge_base(folder)).to_dict()
    )


def test_a_changed_file_is_a_different_key_and_is_loaded_again(folder: Path, cache: Path) -> None:
    load_compiled(folder, load_knowledge_base)
    before = source_key(folder)
    zones = folder / "zones.yaml"
    zones.write_text(zones.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert source_key(folder) != before
    loads = Loads()
    load_compiled(folder, loads)
    assert loads.calls == 1


def test_a_corrupt_compiled_copy_is_ignored_and_replaced(folder: Path, cache: Path) -> None:
    load_compiled(folder, load_knowledge_base)
    (file,) = compiled_files(cache)
    file.write_bytes(file.read_bytes()[:100])
    loads = Loads()
    kb = load_compiled(folder, loads)
    assert loads.calls == 1
    assert same(kb, load_knowledge_base(folder))
    assert same(load_compiled(folder, refuse), kb)


def test_a_pickle_of_something_else_is_not_used(folder: Path, cache: Path) -> None:
    load_compiled(folder, load_knowledge_base)
    (file,) = compiled_files(cache)
    file.write_bytes(pickle.dumps(("microneedling-compiled-knowledge-base/1", "other", None)))
    os.chmod(file, 0o600)
    loads = Loads()
    load_compiled(folder, loads)
    assert loads.calls == 1


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_compiled_copy_others_could_have_written_is_not_trusted(
    folder: Path, cache: Path
) -> None:
    load_compiled(folder, load_knowledge_base)
    (file,) = compiled_files(cache)
    os.chmod(file, 0o666)
    loads = Loads()
    load_compiled(folder, loads)
    assert loads.calls == 1


def test_a_cache_folder_that_cannot_be_made_is_no_error(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "cache"))
    loads = Loads()
    kb = load_compiled(folder, loads)
    assert same(kb, load_knowledge_base(folder))
    load_compiled(folder, loads)
    assert loads.calls == 2
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize("setting", ["off", "", "  "])
def test_caching_can_be_turned_off(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    monkeypatch.setenv(CACHE_ENV, setting)
    assert cache_folder() is None
    loads = Loads()
    load_compiled(folder, loads)
    load_compiled(folder, loads)
    assert loads.calls == 2


def test_the_default_cache_folder_is_the_users(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere/cache")
    assert cache_folder() == Path("/somewhere/cache/microneedling")


def test_only_the_newest_compiled_copies_are_kept(folder: Path, cache: Path) -> None:
    zones = folder / "zones.yaml"
    text = zones.read_text(encoding="utf-8")
    for number in range(KEEP + 2):
        zones.write_text(text + f"\n# version {number}\n", encoding="utf-8")
        load_compiled(folder, load_knowledge_base)
        newest = cache / f"knowledge-{source_key(folder)}.pickle"
        # Distinct modification times without waiting: the newest is the most recent.
        os.utime(newest, (1_000_000 + number, 1_000_000 + number))
    files = compiled_files(cache)
    assert len(files) == KEEP
    assert newest in files
