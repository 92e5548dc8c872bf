"""The cache of bearer tokens found good (services/token_cache.py), on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from microneedling.services.access import Actor, Role
from microneedling.services.token_cache import TokenCache

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
DB = "sqlite:///one.db"
ACTOR = Actor(7, 1, Role.CLINICIAN)
SECONDS = timedelta(seconds=5)


def remembered(cache: TokenCache, **overrides: object) -> TokenCache:
    arguments: dict[str, object] = {
        "expires_at": NOW + timedelta(hours=8),
        "now": NOW,
        "recheck": SECONDS,
    }
    arguments.update(overrides)
    cache.put(DB, "a" * 64, ACTOR, **arguments)  # type: ignore[arg-type]
    return cache


def test_a_token_is_answered_from_memory_until_its_recheck_time() -> None:
    cache = remembered(TokenCache())
    assert cache.get(DB, "a" * 64, NOW) == ACTOR
    assert cache.get(DB, "a" * 64, NOW + SECONDS - timedelta(microseconds=1)) == ACTOR
    assert cache.get(DB, "a" * 64, NOW + SECONDS) is None


def test_never_beyond_the_tokens_expiry() -> None:
    cache = remembered(TokenCache(), expires_at=NOW + timedelta(seconds=2))
    assert cache.get(DB, "a" * 64, NOW + timedelta(seconds=1)) == ACTOR
    assert cache.get(DB, "a" * 64, NOW + timedelta(seconds=2)) is None


def test_a_clock_moved_far_back_does_not_keep_a_check_standing() -> None:
    cache = remembered(TokenCache())
    assert cache.get(DB, "a" * 64, NOW - timedelta(minutes=2)) is None


def test_an_unreasonable_recheck_setting_is_capped_at_a_minute() -> None:
    cache = remembered(TokenCache(), recheck=timedelta(hours=1))
    assert cache.get(DB, "a" * 64, NOW + timedelta(seconds=59)) == ACTOR
    assert cache.get(DB, "a" * 64, NOW + timedelta(minutes=1)) is None


def test_recheck_zero_remembers_nothing() -> None:
    cache = remembered(TokenCache(), recheck=timedelta(0))
    assert len(cache) == 0
    assert cache.get(DB, "a" * 64, NOW) is None


def test_databases_are_kept_apart() -> None:
    cache = remembered(TokenCache())
    assert cache.get("sqlite:///other.db", "a" * 64, NOW) is None


def test_forgetting_a_token_or_an_account() -> None:
    cache = remembered(TokenCache())
    cache.put(DB, "b" * 64, ACTOR, expires_at=NOW + SECONDS, now=NOW, recheck=SECONDS)
    other = Actor(8, 1, Role.OWNER)
    cache.put(DB, "c" * 64, other, expires_at=NOW + SECONDS, now=NOW, recheck=SECONDS)
    cache.put("sqlite:///other.db", "d" * 64, ACTOR, expires_at=NOW + SECONDS, now=NOW,
              recheck=SECONDS)  # fmt: skip
    cache.forget(DB, "a" * 64)
    assert cache.get(DB, "a" * 64, NOW) is None
    assert cache.get(DB, "b" * 64, NOW) == ACTOR
    cache.forget_account(DB, ACTOR.staff_user_id)
    assert cache.get(DB, "b" * 64, NOW) is None
    assert cache.get(DB, "c" * 64, NOW) == other  # another account's token stays
    assert cache.get("sqlite:///other.db", "d" * 64, NOW) == ACTOR  # another database's too


def test_it_holds_at_most_its_size_forgetting_the_oldest() -> None:
    cache = TokenCache(max_entries=3)
    for number in range(5):
        cache.put(DB, f"{number:064d}", ACTOR, expires_at=NOW + SECONDS, now=NOW, recheck=SECONDS)
    assert len(cache) == 3
    assert [cache.get(DB, f"{number:064d}", NOW) is not None for number in range(5)] == [
        False, False, True, True, True,
    ]  # fmt: skip
