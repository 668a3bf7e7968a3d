"""A reader that filled the cache from the database never puts back a value made stale by a
concurrent invalidation (publish, label move, revocation)."""

import uuid

from promptrepo.services import cache


def test_put_after_an_invalidation_is_refused(kv_backend: str) -> None:
    project = str(uuid.uuid4())
    before = cache.generation()
    cache.invalidate_project(project)  # a publish committed while we read the database
    stored = cache.put("served:x", "stale", tags=[f"project:{project}"], if_generation=before)
    assert stored is False
    assert cache.get("served:x") is None


def test_put_without_invalidation_is_stored_and_tagged(kv_backend: str) -> None:
    project = str(uuid.uuid4())
    now = cache.generation()
    assert cache.put("served:y", "fresh", tags=[f"project:{project}"], if_generation=now)
    assert cache.get("served:y") == "fresh"
    cache.invalidate_project(project)
    assert cache.get("served:y") is None
    assert cache.generation() > now


def test_delete_counts_as_an_invalidation(kv_backend: str) -> None:
    before = cache.generation()
    cache.delete("principal:abc")
    assert cache.put("principal:abc", "old", if_generation=before) is False
