"""`microneedling check` as whoever runs the server uses it, as a subprocess: on a fresh
installation started as the README starts it (`python3 dev.py start`: `microneedling web` with the
demo) it lists the demo and the missing keys and exits 1; on a configured one it passes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.shipped_web import ShippedWeb

MICRONEEDLING = str(Path(sys.executable).with_name("microneedling"))
SECRET = "k" * 40
AUDIT_KEY = "a" * 43


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any MICRONEEDLING_ setting, then ``settings``."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("MICRONEEDLING_")
    }
    environment["MICRONEEDLING_CACHE_DIR"] = os.environ.get("MICRONEEDLING_CACHE_DIR", "off")
    return {**environment, **settings}


def run(cwd: Path, *arguments: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MICRONEEDLING, *arguments],
        cwd=cwd,
        env=clean_environment(**settings),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def codes(result: subprocess.CompletedProcess[str]) -> set[str]:
    return {finding["code"] for finding in json.loads(result.stdout)["findings"]}


CONFIGURED = {
    "MICRONEEDLING_WEB_SECRET_KEY": SECRET,
    "MICRONEEDLING_AUDIT_KEY": AUDIT_KEY,
    "MICRONEEDLING_WEB_COOKIE_SECURE": "true",
    "MICRONEEDLING_HSTS_SECONDS": "31536000",
    "MICRONEEDLING_TRUSTED_PROXIES": "127.0.0.1",
}


def test_a_fresh_installation_lists_the_demo_and_the_missing_keys(
    shipped_web: ShippedWeb, tmp_path: Path
) -> None:
    """The installation `dev.py start` makes: `microneedling web --demo` (tests/shipped_web.py)
    on a fresh database, which it created, loaded and served."""
    where = {
        "MICRONEEDLING_DATABASE_URL": shipped_web.settings.database_url,
        "MICRONEEDLING_PHOTO_DIR": str(shipped_web.settings.photo_dir),
    }
    result = run(tmp_path, "check", **where)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "The demo clinics are loaded" in result.stdout
    assert "MICRONEEDLING_WEB_SECRET_KEY" in result.stdout
    assert "MICRONEEDLING_AUDIT_KEY" in result.stdout
    assert "What to do:" in result.stdout
    as_json = run(tmp_path, "check", "--json", **where)
    assert as_json.returncode == 1
    assert {"demo-loaded", "no-secret-key", "no-audit-key"} <= codes(as_json)
    # The files the product made are its user's only: nothing to say about them.
    assert not {"readable-by-others", "photos-readable-by-others"} & codes(as_json)


def test_a_configured_installation_passes(tmp_path: Path) -> None:
    made = run(tmp_path, "db", "upgrade")
    assert made.returncode == 0, made.stderr
    (tmp_path / "backups").mkdir(mode=0o700)
    result = run(tmp_path, "check", "--backups", "backups", **CONFIGURED)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Nothing unsafe found.")
    as_json = run(tmp_path, "check", "--json", "--backups", "backups", **CONFIGURED)
    assert json.loads(as_json.stdout) | {"checked": []} == {
        "safe": True,
        "findings": [],
        "checked": [],
    }


def test_files_others_can_read_are_named_with_the_command_that_fixes_them(
    tmp_path: Path,
) -> None:
    assert run(tmp_path, "db", "upgrade").returncode == 0
    database = tmp_path / "var" / "microneedling.db"
    database.chmod(0o644)
    photos = tmp_path / "var" / "photos" / "clinic-1"
    photos.mkdir(parents=True)
    (photos / "leaked.jpg").write_bytes(b"x")
    (photos / "leaked.jpg").chmod(0o644)
    backups = tmp_path / "backups"
    backups.mkdir()
    backups.chmod(0o755)
    result = run(tmp_path, "check", "--json", "--backups", str(backups), **CONFIGURED)
    assert result.returncode == 1
    found = {item["code"]: item for item in json.loads(result.stdout)["findings"]}
    assert set(found) == {
        "readable-by-others",
        "photos-readable-by-others",
        "backups-readable-by-others",
    }
    assert found["readable-by-others"]["fix"] == f"chmod 600 {Path('var/microneedling.db')}"
    assert found["backups-readable-by-others"]["fix"] == f"chmod -R go-rwx {backups}"


def test_sqlite_with_several_server_processes_is_unsafe_and_plain_http_skips_the_https_checks(
    tmp_path: Path,
) -> None:
    assert run(tmp_path, "db", "upgrade").returncode == 0
    keys = {"MICRONEEDLING_WEB_SECRET_KEY": SECRET, "MICRONEEDLING_AUDIT_KEY": AUDIT_KEY}
    several = run(tmp_path, "check", "--json", "--workers", "2", **keys)
    assert several.returncode == 1
    assert codes(several) == {
        "sqlite-several-servers",
        "cookies-not-secure",
        "hsts-off",
        "no-trusted-proxies",
    }
    local = run(tmp_path, "check", "--json", "--no-https", **keys)
    assert local.returncode == 0, local.stdout


@pytest.mark.parametrize(
    ("arguments", "settings", "message"),
    [
        (["--workers", "0"], {}, "--workers"),
        (["--workers", "many"], {}, "--workers"),
        ([], {"MICRONEEDLING_HSTS_SECONDS": "forever"}, "MICRONEEDLING_HSTS_SECONDS"),
        ([], {"MICRONEEDLING_AUDIT_KEY": "short"}, "settings cannot be read"),
        ([], {"MICRONEEDLING_DATABASE_URL": "mysql://x/y"}, "unsupported database"),
    ],
)
def test_bad_options_and_settings_are_one_line_each(
    tmp_path: Path, arguments: list[str], settings: dict[str, str], message: str
) -> None:
    result = run(tmp_path, "check", *arguments, **settings)
    assert result.returncode in (1, 2)
    assert "Traceback" not in result.stderr + result.stdout
    assert message in result.stderr + result.stdout
    assert "short" not in result.stderr  # a bad setting's value is never repeated back


def test_an_unreachable_database_is_said_and_is_unsafe(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "check",
        "--json",
        MICRONEEDLING_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",
        **{key: value for key, value in CONFIGURED.items()},
    )
    assert result.returncode == 1
    assert codes(result) == {"database-unreachable"}
