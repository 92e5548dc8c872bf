"""The production files (deploy/: the image, the compose file, Caddy's configuration) agree with
the code and with docs/deploy.md: every setting they name exists, every setting is documented,
the proxy the servers trust is the proxy, and the image installs from the lock, hash-checked,
only what the product needs to run. The image itself is not built here (no network)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from microneedling.config import Settings
from microneedling.web.settings import WebSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
#: Variables read outside the two settings classes (by commands, tests and benchmarks).
COMMAND_VARIABLES = {
    "MICRONEEDLING_BACKUP_PASSPHRASE",
    "MICRONEEDLING_CACHE_DIR",
    "MICRONEEDLING_DEBUG_WORKER_HEADER",
}
#: Names of the compose file that are the deployment's own (Caddy's site name).
DEPLOYMENT_VARIABLES = {"MICRONEEDLING_DOMAIN"}


def setting_names() -> set[str]:
    names = {f"MICRONEEDLING_{name.upper()}" for name in Settings.model_fields}
    names |= {f"MICRONEEDLING_WEB_{name.upper()}" for name in WebSettings.model_fields}
    return names


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def named_variables(text: str) -> set[str]:
    return set(re.findall(r"\bMICRONEEDLING_[A-Z_]+[A-Z]\b", text))


def test_the_compose_file_parses_and_runs_two_servers_on_postgresql_behind_caddy() -> None:
    services = compose()["services"]
    assert {"db", "migrate", "app1", "app2", "caddy", "backup", "check"} <= set(services)
    for name in ("app1", "app2"):
        app = services[name]
        url = app["environment"]["MICRONEEDLING_DATABASE_URL"]
        assert url.startswith("postgresql://") and "@db:5432/" in url
        assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "photos:/srv/microneedling/photos" in app["volumes"]
    assert services["migrate"]["command"] == ["microneedling", "db", "upgrade"]
    assert services["caddy"]["ports"][:2] == ["80:80", "443:443"]


def test_every_setting_the_deploy_files_name_exists() -> None:
    known = setting_names() | COMMAND_VARIABLES | DEPLOYMENT_VARIABLES
    for name in ("compose.yaml", "Dockerfile", "Caddyfile", "env.example"):
        named = named_variables((DEPLOY / name).read_text(encoding="utf-8"))
        assert named - known == set(), name
    environment = compose()["services"]["app1"]["environment"]
    assert set(environment) <= setting_names()


def test_the_servers_settings_are_the_ones_check_asks_for() -> None:
    environment = compose()["services"]["app1"]["environment"]
    assert environment["MICRONEEDLING_WEB_COOKIE_SECURE"] == "true"
    assert int(environment["MICRONEEDLING_HSTS_SECONDS"]) >= 180 * 24 * 3600
    assert "MICRONEEDLING_AUDIT_KEY" in environment
    assert "MICRONEEDLING_WEB_SECRET_KEY" in environment
    assert ":?" in environment["MICRONEEDLING_AUDIT_KEY"]  # compose refuses to start without it
    check = compose()["services"]["check"]["command"]
    assert check[:2] == ["microneedling", "check"] and "--workers" in check


def test_the_servers_trust_the_proxy_and_the_proxy_sends_to_both_servers() -> None:
    loaded = compose()
    trusted = loaded["services"]["app1"]["environment"]["MICRONEEDLING_TRUSTED_PROXIES"]
    caddy = loaded["services"]["caddy"]["networks"]["backend"]["ipv4_address"]
    assert trusted == caddy
    Settings(trusted_proxies=trusted)  # a value the setting takes
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert re.search(r"reverse_proxy app1:8000 app2:8000", caddyfile)
    assert "log {" not in caddyfile and "\n\tlog" not in caddyfile  # no access log


def test_every_setting_is_in_the_production_guide() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    missing = {name for name in setting_names() | COMMAND_VARIABLES if f"`{name}`" not in guide}
    assert missing == set()


def test_the_image_installs_from_the_lock_with_hashes_and_never_loads_the_demo() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    installs = re.findall(r"pip install ([^\n\\&]+)", dockerfile)
    assert installs
    for line in installs:
        assert "--require-hashes" in line or ("--no-deps" in line and ".whl" in line), line
    assert "requirements.lock" in dockerfile and "runtime_lock.py" in dockerfile
    assert re.search(r"^USER microneedling$", dockerfile, re.MULTILINE)
    assert '"--no-demo"' in dockerfile


def runtime_lock_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("runtime_lock", DEPLOY / "runtime_lock.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_runtime_lock_keeps_what_the_product_needs_with_hashes_and_leaves_the_tools() -> None:
    runtime_lock = runtime_lock_module()
    needed = runtime_lock.runtime_closure()
    assert {
        "fastapi",
        "uvicorn",
        "sqlalchemy",
        "psycopg",
        "psycopg-binary",
        "cryptography",
    } <= needed
    assert {"pytest", "playwright", "ruff", "mypy", "hatchling"} & needed == set()
    text = runtime_lock.runtime_lock((ROOT / "requirements.lock").read_text(), needed)
    entries = re.findall(
        r"^([A-Za-z0-9._-]+)==\S+ \\\n((?:    --hash=sha256:[0-9a-f]{64}.*\n)+)", text, re.MULTILINE
    )
    assert {name.lower().replace("_", "-") for name, _ in entries} == needed
