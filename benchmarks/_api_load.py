"""The load generators of ``benchmarks/api.py``: wrk when installed, else a Python client.

Both are closed loops: each of ``connections`` keep-alive connections sends its next request as
soon as the last one is answered, for a warm-up (not measured) and then the measured time.

- **wrk** (C; ``apt-get install wrk``): one process, ``threads`` event-loop threads, driven by a Lua
  script written here for each endpoint (method, path or random patient id, JSON body, bearer
  token), whose ``done()`` prints one parseable line: requests, duration and the p50/p95/p99
  latency wrk recorded. Its timeout is raised to 60 s so that no slow answer is dropped from the
  percentiles as a "timeout".
- **Python** (``httpx.AsyncClient``, the fallback): the client itself needs about a core at a few
  hundred requests per second, so on a small machine it caps what is measured; its figures are
  marked as such.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

#: wrk counts a slower answer as a timeout and leaves it out of its percentiles: none here is.
WRK_TIMEOUT = "60s"


@dataclass(frozen=True)
class Target:
    """A request to measure: ``method`` and ``path``; with ``ids``, each request's path has
    ``{id}`` replaced by a random integer in 1..ids; ``body`` is sent as JSON. With ``etags``
    (the ETag of ids 1, 2, ...: ``ids`` is then their count), each request sends its id's ETag
    in ``If-None-Match``."""

    name: str
    method: str
    path: str
    body: object | None = None
    ids: int | None = None
    etags: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.etags is not None and self.ids != len(self.etags):
            raise ValueError("with etags, ids is their count")


@dataclass(frozen=True)
class Run:
    """What one endpoint did under load."""

    name: str
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def wrk_path() -> str | None:
    return shutil.which("wrk")


# wrk ------------------------------------------------------------------------------------------

_LUA = """-- Written by benchmarks/api.py for one endpoint; run by wrk.
wrk.method = {method}
wrk.path = {path}
{headers}
{body}
local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_number", thread_count)
end
{request}
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "WRK-RESULT requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d status=%d " ..
    "connect=%d read=%d write=%d timeout=%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), errors.status, errors.connect, errors.read, errors.write,
    errors.timeout))
end
"""

_REQUEST_WITH_ID = """function init(args)
  -- The seed differs per thread and per run (the warm-up's ids are not the measured ones).
  math.randomseed(1000 * tonumber(args[1] or 0) + thread_number)
end
local before, after = {before}, {after}
{etags}
function request()
  local id = math.random(1, {ids})
  {conditional}
  return wrk.format(nil, before .. id .. after)
end"""

_RESULT = re.compile(r"^WRK-RESULT (.*)$", re.MULTILINE)


def _lua_string(text: str) -> str:
    """A Lua string literal (JSON's escapes are Lua's for this text)."""
    if not text.isascii():
        raise ValueError("only ASCII text goes into a wrk script")
    return json.dumps(text)


def wrk_script(target: Target, headers: dict[str, str], folder: Path) -> Path:
    """The Lua script that makes wrk send ``target``'s requests."""
    slug = re.sub(r"[^a-z0-9]+", "-", target.name.lower()).strip("-")
    lines = [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()]
    body = ""
    if target.body is not None:
        body_file = folder / f"{slug}.json"
        body_file.write_text(json.dumps(target.body), encoding="utf-8")
        lines.append('wrk.headers["Content-Type"] = "application/json"')
        body = (
            f"local body_file = assert(io.open({_lua_string(str(body_file))}, 'rb'))\n"
            "wrk.body = body_file:read('*a')\nbody_file:close()"
        )
    request = ""
    if target.ids is not None:
        before, _, after = target.path.partition("{id}")
        etags, conditional = "", ""
        if target.etags is not None:
            etags = "local etags = {" + ", ".join(_lua_string(e) for e in target.etags) + "}"
            conditional = 'wrk.headers["If-None-Match"] = etags[id]'
        request = _REQUEST_WITH_ID.format(
            before=_lua_string(before),
            after=_lua_string(after),
            ids=int(target.ids),
            etags=etags,
            conditional=conditional,
        )
    script = folder / f"{slug}.lua"
    script.write_text(
        _LUA.format(
            method=_lua_string(target.method),
            path=_lua_string(target.path.replace("{id}", "1")),
            headers="\n".join(lines),
            body=body,
            request=request,
        ),
        encoding="utf-8",
    )
    return script


def _wrk(
    base: str, script: Path, *, connections: int, threads: int, seconds: float, run: int
) -> dict[str, int]:
    command = [
        wrk_path() or "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        f"--timeout={WRK_TIMEOUT}",
        f"--script={script}",
        base,
        "--",
        str(run),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    found = _RESULT.search(finished.stdout)
    if finished.returncode != 0 or found is None:
        raise RuntimeError(
            f"wrk failed ({finished.returncode}): {finished.stderr or finished.stdout}"
        )
    return {key: int(value) for key, value in (item.split("=") for item in found[1].split())}


def load_with_wrk(
    base: str,
    target: Target,
    headers: dict[str, str],
    folder: Path,
    *,
    connections: int,
    threads: int,
    seconds: float,
    warmup: float,
) -> Run:
    script = wrk_script(target, headers, folder)
    if warmup > 0:
        _wrk(base, script, connections=connections, threads=threads, seconds=warmup, run=1)
    result = _wrk(base, script, connections=connections, threads=threads, seconds=seconds, run=2)
    errors = sum(result[key] for key in ("status", "connect", "read", "write", "timeout"))
    return Run(
        target.name,
        result["requests"],
        result["duration_us"] / 1e6,
        result["p50_us"] / 1000,
        result["p95_us"] / 1000,
        result["p99_us"] / 1000,
        errors,
    )


# Python ---------------------------------------------------------------------------------------


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


async def _load_with_httpx(
    base: str, target: Target, headers: dict[str, str], *, connections: int, seconds: float,
    warmup: float,
) -> Run:  # fmt: skip
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=60
    ) as client:
        latencies: list[float] = []
        errors = 0
        recording = False
        stop = False

        async def one_client(seed: int) -> None:
            nonlocal errors
            rng = random.Random(seed)
            while not stop:
                path = target.path
                conditional = {}
                if target.ids is not None:
                    number = rng.randrange(1, target.ids + 1)
                    path = path.replace("{id}", str(number))
                    if target.etags is not None:
                        conditional = {"If-None-Match": target.etags[number - 1]}
                started = time.perf_counter()
                try:
                    response = await client.request(
                        target.method, path, json=target.body, headers=conditional
                    )
                    failed = response.status_code >= 400
                except httpx.TransportError:
                    failed = True
                elapsed = (time.perf_counter() - started) * 1000
                if recording:
                    errors += failed
                    latencies.append(elapsed)

        tasks = [asyncio.create_task(one_client(seed)) for seed in range(connections)]
        await asyncio.sleep(warmup)
        recording = True
        started = time.perf_counter()
        await asyncio.sleep(seconds)
        recording = False
        elapsed = time.perf_counter() - started
        stop = True
        await asyncio.gather(*tasks)
    ordered = sorted(latencies)
    return Run(
        target.name,
        len(ordered),
        elapsed,
        _percentile(ordered, 0.50),
        _percentile(ordered, 0.95),
        _percentile(ordered, 0.99),
        errors,
    )


def load_with_python(
    base: str,
    target: Target,
    headers: dict[str, str],
    *,
    connections: int,
    seconds: float,
    warmup: float,
) -> Run:
    return asyncio.run(
        _load_with_httpx(
            base, target, headers, connections=connections, seconds=seconds, warmup=warmup
        )
    )
