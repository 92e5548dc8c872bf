"""Preflight: what is unsafe in the current settings of an installation, and what to do about it.

``microneedling check`` runs :func:`preflight` before a clinic goes live (and in a deployment's
health checks). Each :class:`Finding` names the problem in the words of whoever runs the server
and the setting or command that fixes it. Nothing here changes anything.

The web pages' own settings (``MICRONEEDLING_WEB_*``) are read by the command and passed in as
:class:`WebFacts`, so that this use case imports nothing of the web layer.
"""

from __future__ import annotations

import stat
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from microneedling.config import Settings
from microneedling.errors import UserError
from microneedling.services.clinics import DEMO_SLUGS
from microneedling.store import Database, migrate
from microneedling.store.database import database_url
from microneedling.store.models import Clinic

#: Findings that only matter behind HTTPS (left out for a computer's own use over plain HTTP).
HTTPS_ONLY = ("cookies-not-secure", "hsts-off", "no-trusted-proxies")
#: Permission bits that let anyone but the owner read, write or enter.
OTHERS = stat.S_IRWXG | stat.S_IRWXO


@dataclass(frozen=True)
class Finding:
    """One unsafe thing: a short code, what is wrong, and what to do."""

    code: str
    problem: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class WebFacts:
    """What the web pages' settings say (read by the command from ``MICRONEEDLING_WEB_*``)."""

    secret_key_set: bool
    cookie_secure: bool


@dataclass(frozen=True)
class Deployment:
    """How the installation is run, as the person running the check describes it."""

    #: Server processes sharing the database (all servers' workers together).
    processes: int = 1
    #: Whether people reach it over HTTPS (through a TLS proxy); False for a machine's own use.
    https: bool = True
    #: Folder the backups are written to, when there is one to check.
    backups: Path | None = None


@dataclass(frozen=True)
class Report:
    findings: list[Finding]
    checked: list[str]

    @property
    def safe(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, object]:
        return {
            "safe": self.safe,
            "findings": [finding.to_dict() for finding in self.findings],
            "checked": self.checked,
        }


def preflight(config: Settings, web: WebFacts, deployment: Deployment) -> Report:
    """Every unsafe setting of the installation ``config`` and ``web`` describe."""
    findings: list[Finding] = []
    checked: list[str] = []
    checked.append("web secret key")
    if not web.secret_key_set:
        findings.append(
            Finding(
                "no-secret-key",
                "No web secret key is set (MICRONEEDLING_WEB_SECRET_KEY): each server "
                "process makes its own, so a sign-in form opened before a restart or served by "
                "another server is refused.",
                "Set MICRONEEDLING_WEB_SECRET_KEY to a random value of at least 32 characters "
                "(python3 -c 'import secrets; print(secrets.token_urlsafe(32))'), the same on "
                "every server, kept outside the database and the backups.",
            )
        )
    checked.append("audit key")
    if config.audit_key is None:
        findings.append(
            Finding(
                "no-audit-key",
                "No audit key is set (MICRONEEDLING_AUDIT_KEY): someone with write access to "
                "the database could rewrite the audit log undetected.",
                "Set MICRONEEDLING_AUDIT_KEY to a random value of at least 32 characters, kept "
                "outside the database and its backups (docs/audit.md: key handling).",
            )
        )
    if deployment.https:
        checked.append("secure cookies, trusted proxy and HSTS behind HTTPS")
        if not web.cookie_secure:
            findings.append(
                Finding(
                    "cookies-not-secure",
                    "Session cookies are also sent over plain HTTP "
                    "(MICRONEEDLING_WEB_COOKIE_SECURE is off).",
                    "Behind HTTPS set MICRONEEDLING_WEB_COOKIE_SECURE=true.",
                )
            )
        if not config.trusted_proxies:
            findings.append(
                Finding(
                    "no-trusted-proxies",
                    "No reverse proxy is trusted (MICRONEEDLING_TRUSTED_PROXIES is empty): behind "
                    "the HTTPS proxy every person's address is the proxy's, so the sign-in lock "
                    "per address locks everyone out at once and the audit log records the proxy.",
                    "Set MICRONEEDLING_TRUSTED_PROXIES to the proxy's address (for example "
                    "127.0.0.1, or the proxy's network such as 172.18.0.0/16).",
                )
            )
        if config.hsts_seconds == 0:
            findings.append(
                Finding(
                    "hsts-off",
                    "Browsers are not told to keep to HTTPS (MICRONEEDLING_HSTS_SECONDS is 0).",
                    "Behind HTTPS set MICRONEEDLING_HSTS_SECONDS=31536000 (a year).",
                )
            )
    findings.extend(_database_findings(config, deployment, checked))
    findings.extend(_folder_findings(config.photo_dir, "photo folder", "photos", checked))
    if deployment.backups is not None:
        findings.extend(_folder_findings(deployment.backups, "backups folder", "backups", checked))
    return Report(findings, checked)


def _database_findings(
    config: Settings, deployment: Deployment, checked: list[str]
) -> list[Finding]:
    findings: list[Finding] = []
    try:
        url = database_url(config.database_url)
    except UserError as error:
        return [Finding("database-url", f"MICRONEEDLING_DATABASE_URL: {error}", "Correct it.")]
    sqlite = url.get_backend_name() == "sqlite"
    file = Path(str(url.database)) if sqlite and not url.query.get("uri") else None
    if sqlite and deployment.processes > 1:
        findings.append(
            Finding(
                "sqlite-several-servers",
                f"SQLite with {deployment.processes} server processes: one file cannot be "
                "shared safely by several servers, and its writers queue behind one another.",
                "Use PostgreSQL (MICRONEEDLING_DATABASE_URL=postgresql://USER@HOST/DB) for "
                "several servers or workers, or run one process (serve --workers 1).",
            )
        )
    if file is not None:
        checked.append("database file permissions")
        if not file.exists():
            findings.append(
                Finding(
                    "no-database",
                    f"There is no database at {file} yet.",
                    "Run `microneedling db upgrade`, then create the clinic.",
                )
            )
            return findings
        for path in (file, file.with_name(file.name + "-wal"), file.with_name(file.name + "-shm")):
            findings.extend(_file_findings(path, "the database file"))
    checked.append("demo clinics")
    database = Database(config.database_url)
    try:
        if migrate.current_revision(database) is None:
            findings.append(
                Finding(
                    "no-schema",
                    f"The database {database.describe()} has no schema yet.",
                    "Run `microneedling db upgrade`, then create the clinic.",
                )
            )
            return findings
        with database.snapshot() as connection:
            demo = (
                connection.execute(select(Clinic.slug).where(Clinic.slug.in_(DEMO_SLUGS)))
                .scalars()
                .all()
            )
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        findings.append(
            Finding(
                "database-unreachable",
                f"Cannot read the database {database.describe()}: {reason}",
                "Check MICRONEEDLING_DATABASE_URL and that the database server is running.",
            )
        )
        return findings
    finally:
        database.dispose()
    if demo:
        findings.append(
            Finding(
                "demo-loaded",
                f"The demo clinics are loaded ({', '.join(sorted(demo))}): their staff accounts "
                "have a published password, owners among them.",
                "Start from a database without the demo: a new database (`microneedling db "
                "upgrade`, then the first-run setup) — or restore a backup of your own records.",
            )
        )
    return findings


def _file_findings(path: Path, what: str) -> list[Finding]:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return []
    if mode & OTHERS:
        return [
            Finding(
                "readable-by-others",
                f"{path} ({what}) can be read by other users of the machine "
                f"(mode {stat.S_IMODE(mode):04o}); it holds patients' records.",
                f"chmod 600 {path}",
            )
        ]
    return []


def _folder_findings(folder: Path, what: str, code: str, checked: list[str]) -> list[Finding]:
    """The folder and the files in it (and in its sub-folders) readable by others."""
    checked.append(f"{what} permissions")
    if not folder.is_dir():
        return []
    open_to_others = [
        path
        for path in (folder, *folder.rglob("*"))
        if not path.is_symlink() and path.stat().st_mode & OTHERS
    ]
    if not open_to_others:
        return []
    first = open_to_others[0]
    return [
        Finding(
            f"{code}-readable-by-others",
            f"The {what} {folder} has {len(open_to_others):,} files or folders other users of "
            f"the machine can open (first: {first}, mode {stat.S_IMODE(first.stat().st_mode):04o}).",
            f"chmod -R go-rwx {folder}",
        )
    ]
