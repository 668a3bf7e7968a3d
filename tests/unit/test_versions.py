"""Drafts, versions, labels, publishing, rollback, diffs, resolve and render (both DBs)."""

import pytest
from sqlmodel import Session, select

from promptrepo.models import AuditLog, Version
from promptrepo.services import drafts, validators, versions
from promptrepo.services.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from promptrepo.services.principal import Principal
from tests.factories import make_user
from tests.prompt_factories import make_prompt

CONTENT = "Hello {{ name }}, answer in {{ format }}."


@pytest.fixture
def world(session: Session):
    owner = make_user(session, name="Owner")
    outsider = make_user(session, name="Outsider")
    project, prompt = make_prompt(session, owner)
    return owner, outsider, project, prompt


def save(session, principal, prompt, **kw):
    prompt = drafts.save_draft(session, principal, prompt.id, base_revision=prompt.revision, **kw)
    session.commit()
    return prompt


def actions(session: Session) -> list[str]:
    return list(session.exec(select(AuditLog.action).order_by(AuditLog.created_at)).all())


# --------------------------------------------------------------------------- drafts
def test_save_draft_increments_revision_and_detects_variables(session: Session, world) -> None:
    owner, _, _, prompt = world
    before = prompt.revision
    prompt = save(session, owner, prompt, content=CONTENT, name="  Welcome  ")
    assert prompt.revision == before + 1
    assert prompt.name == "Welcome"
    assert list(prompt.variables) == ["name", "format"]
    # saving the same thing again changes nothing
    assert save(session, owner, prompt, content=CONTENT).revision == before + 1
    assert actions(session) == ["prompt.saved"]


def test_a_stretch_of_autosaves_is_one_audit_entry(
    session: Session, world, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from promptrepo.services import audit

    owner, _, _, prompt = world
    first = prompt.revision + 1
    prompt = save(session, owner, prompt, content="Hello")
    prompt = save(session, owner, prompt, content="Hello {{ name }}")
    prompt = save(session, owner, prompt, name="Welcome note")
    entries = session.exec(select(AuditLog).where(AuditLog.action == "prompt.saved")).all()
    assert len(entries) == 1
    details = entries[0].details
    assert (details["from_revision"], details["revision"]) == (first, prompt.revision)
    assert details["edits"] == 3
    assert details["fields"] == ["content", "name", "variables"]

    # a version in between ends the stretch: the next edit is a new entry
    versions.create_version(session, owner, prompt.id, commit_message="v1")
    session.commit()
    prompt = save(session, owner, prompt, content="Hi {{ name }}")
    assert actions(session)[-2:] == ["version.created", "prompt.saved"]
    assert actions(session).count("prompt.saved") == 2

    # so does a pause longer than the gap
    real_utcnow = audit.utcnow
    monkeypatch.setattr(audit, "utcnow", lambda: real_utcnow() + timedelta(minutes=11))
    prompt = save(session, owner, prompt, content="Hey {{ name }}")
    assert actions(session).count("prompt.saved") == 3


def test_stale_revision_conflicts_and_carries_the_server_draft(session: Session, world) -> None:
    owner, _, _, prompt = world
    stale = prompt.revision
    save(session, owner, prompt, content="theirs")
    with pytest.raises(drafts.DraftConflict) as exc:
        drafts.save_draft(session, owner, prompt.id, base_revision=stale, content="mine")
    assert exc.value.status_code == 409
    assert exc.value.current["content"] == "theirs"
    assert exc.value.current["revision"] == stale + 1
    session.rollback()
    # overwrite on purpose
    forced = drafts.save_draft(
        session, owner, prompt.id, base_revision=stale, content="mine", force=True
    )
    session.commit()
    assert forced.content == "mine" and forced.revision == stale + 2


def test_draft_keeps_variable_specs_the_user_described(session: Session, world) -> None:
    owner, _, _, prompt = world
    prompt = save(session, owner, prompt, content=CONTENT)
    spec = dict(prompt.variables)
    spec["format"] = {**spec["format"], "type": "enum", "options": ["JSON", "YAML"]}
    prompt = save(session, owner, prompt, variables=spec)
    assert prompt.variables["format"]["options"] == ["JSON", "YAML"]
    prompt = save(session, owner, prompt, content="Hello {{ name }}.")
    assert list(prompt.variables) == ["name", "format"]  # kept (described), shown as unused
    prompt = save(session, owner, prompt, content="Hello.")
    assert list(prompt.variables) == ["format"]


def test_draft_with_syntax_error_is_saved_but_cannot_become_a_version(
    session: Session, world
) -> None:
    owner, _, _, prompt = world
    prompt = save(session, owner, prompt, content="line 1\n{% if x %}unfinished")
    assert prompt.content.endswith("unfinished")
    with pytest.raises(ValidationFailed, match="line 2"):
        versions.create_version(session, owner, prompt.id, commit_message="broken")


def test_bad_draft_input_is_refused(session: Session, world) -> None:
    owner, _, _, prompt = world
    with pytest.raises(ValidationFailed, match="name"):
        drafts.save_draft(session, owner, prompt.id, base_revision=prompt.revision, name=" ")
    with pytest.raises(ValidationFailed, match="at most"):
        drafts.save_draft(
            session, owner, prompt.id, base_revision=prompt.revision, content="x" * 100_001
        )
    with pytest.raises(ValidationFailed, match="'n'"):
        drafts.save_draft(
            session,
            owner,
            prompt.id,
            base_revision=prompt.revision,
            variables={"n": {"type": "number", "default": "many"}},
        )


# --------------------------------------------------------------------------- access
def test_outsider_gets_not_found_and_read_only_cannot_write(session: Session, world) -> None:
    owner, outsider, _, prompt = world
    prompt = save(session, owner, prompt, content=CONTENT)
    versions.create_version(session, owner, prompt.id, commit_message="v1")
    session.commit()
    for call in (
        lambda p: drafts.save_draft(session, p, prompt.id, base_revision=prompt.revision),
        lambda p: versions.create_version(session, p, prompt.id, commit_message="x"),
        lambda p: versions.list_versions(session, p, prompt.id),
        lambda p: versions.get_version(session, p, prompt.id, 1),
        lambda p: versions.resolve(session, p, prompt.id, version=1),
        lambda p: versions.set_label(session, p, prompt.id, "staging", 1),
    ):
        with pytest.raises(NotFound):
            call(outsider)
        with pytest.raises(NotFound):
            call(None)
    read_only = Principal(owner.user_id, owner.email, owner.name, api_key_scope="read")
    assert versions.get_version(session, read_only, prompt.id, 1).version == 1
    with pytest.raises(PermissionDenied):
        versions.set_label(session, read_only, prompt.id, "staging", 1)
    with pytest.raises(PermissionDenied):
        drafts.save_draft(session, read_only, prompt.id, base_revision=prompt.revision)


def test_public_prompt_resolves_for_anyone_but_only_the_owner_writes(
    session: Session, world
) -> None:
    owner, outsider, project, prompt = world
    project.is_public = True
    prompt = save(session, owner, prompt, content="Hi")
    versions.create_version(session, owner, prompt.id, commit_message="v1")
    versions.set_label(session, owner, prompt.id, "production", 1)
    session.commit()
    assert versions.resolve(session, None, prompt.id).content == "Hi"
    with pytest.raises(PermissionDenied):
        versions.create_version(session, outsider, prompt.id, commit_message="mine now")
    with pytest.raises(NotAuthenticated):
        versions.remove_label(session, None, prompt.id, "production")


# --------------------------------------------------------------------------- versions
def test_versions_are_numbered_snapshots_listed_newest_first(session: Session, world) -> None:
    owner, _, _, prompt = world
    prompt = save(session, owner, prompt, content=CONTENT)
    validators.add_validator(session, owner, prompt.id, type="contains", config={"text": "Hello"})
    v1 = versions.create_version(session, owner, prompt.id, commit_message="  first  ")
    session.commit()
    prompt = save(session, owner, prompt, content="Bye {{ name }}.")
    v2 = versions.create_version(session, owner, prompt.id, commit_message="second")
    session.commit()
    assert (v1.version, v2.version) == (1, 2)
    assert v1.commit_message == "first"
    assert v1.author_id == owner.user_id
    assert list(v1.variables) == ["name", "format"]
    assert list(v2.variables) == ["name"]  # only the variables its content uses
    assert v1.validators == [
        {
            "type": "contains",
            "config": validators.validate_config("contains", {"text": "Hello"}),
            "order": 0,
        }
    ]
    page = versions.list_versions(session, owner, prompt.id, limit=1)
    assert page.total == 2 and [i.version for i in page.items] == [2]
    assert page.items[0].author_name == "Owner"
    page = versions.list_versions(session, owner, prompt.id, offset=1, limit=1)
    assert [i.version for i in page.items] == [1]
    detail = versions.get_version(session, owner, prompt.id, 1)
    assert detail.content == CONTENT
    with pytest.raises(NotFound):
        versions.get_version(session, owner, prompt.id, 3)
    assert actions(session).count("version.created") == 2


def test_stale_base_revision_blocks_a_version(session: Session, world) -> None:
    owner, _, _, prompt = world
    stale = prompt.revision
    save(session, owner, prompt, content="newer")
    with pytest.raises(drafts.DraftConflict):
        versions.create_version(session, owner, prompt.id, commit_message="x", base_revision=stale)


def test_diff_returns_hunks_with_line_numbers(session: Session, world) -> None:
    owner, _, _, prompt = world
    prompt = save(session, owner, prompt, content="a\nb\nc\nd\n{{ x }}")
    versions.create_version(session, owner, prompt.id, commit_message="v1")
    prompt = save(session, owner, prompt, content="a\nB\nc\nd\n{{ x }}\ne")
    versions.create_version(session, owner, prompt.id, commit_message="v2")
    session.commit()
    diff = versions.diff_versions(session, owner, prompt.id, 1, 2)
    assert (diff.content.added, diff.content.removed) == (2, 1)
    [hunk] = diff.content.hunks
    kinds = [(line.kind, line.text) for line in hunk.lines]
    assert ("remove", "b") in kinds and ("add", "B") in kinds and ("add", "e") in kinds
    removed = next(line for line in hunk.lines if line.kind == "remove")
    assert removed.old_line == 2 and removed.new_line is None
    assert diff.to_dict()["content"]["hunks"][0]["header"].startswith("@@ -1,")
    assert versions.diff_versions(session, owner, prompt.id, 1, 1).content.identical
    with pytest.raises(NotFound):
        versions.diff_versions(session, owner, prompt.id, 1, 9)


def test_restore_copies_a_version_into_the_draft(session: Session, world) -> None:
    owner, _, _, prompt = world
    prompt = save(session, owner, prompt, content="old {{ a }}")
    validators.add_validator(session, owner, prompt.id, type="length", config={"max": 50})
    versions.create_version(session, owner, prompt.id, commit_message="v1")
    session.commit()
    prompt = save(session, owner, prompt, content="new {{ b }}")
    for v in validators.list_validators(session, owner, prompt.id):
        validators.delete_validator(session, owner, v.id)
    session.commit()
    with pytest.raises(drafts.DraftConflict):
        versions.restore_version(session, owner, prompt.id, 1, base_revision=prompt.revision - 1)
    session.rollback()
    restored = versions.restore_version(session, owner, prompt.id, 1, base_revision=prompt.revision)
    session.commit()
    assert restored.content == "old {{ a }}"
    assert list(restored.variables) == ["a"]
    assert [v.type for v in validators.list_validators(session, owner, prompt.id)] == ["length"]
    assert "version.restored" in actions(session)


# --------------------------------------------------------------------------- labels
@pytest.mark.parametrize("label", ["production", "staging", "canary", "v1.2-beta_3", "a" * 36, "0"])
def test_valid_label_names(label: str) -> None:
    assert versions.check_label_name(label) == label


@pytest.mark.parametrize(
    "label", ["", "Production", "has space", "a" * 37, "emoji-🙂", "slash/name", "x!"]
)
def test_invalid_label_names_are_refused(label: str) -> None:
    with pytest.raises(ValidationFailed, match="lowercase letters"):
        versions.check_label_name(label)


def test_publish_is_refused_listing_each_failing_validator(session: Session, world) -> None:
    owner, _, _, prompt = world
    prompt = save(session, owner, prompt, content=CONTENT)
    spec = dict(prompt.variables)
    spec["name"] = {**spec["name"], "example": "Ann"}
    spec["format"] = {**spec["format"], "default": "prose"}
    prompt = save(session, owner, prompt, variables=spec)
    validators.add_validator(session, owner, prompt.id, type="contains", config={"text": "JSON"})
    validators.add_validator(session, owner, prompt.id, type="length", config={"max": 10})
    validators.add_validator(session, owner, prompt.id, type="regex", config={"pattern": "Ann"})
    versions.create_version(session, owner, prompt.id, commit_message="v1")
    session.commit()
    with pytest.raises(ValidationFailed) as exc:
        versions.set_label(session, owner, prompt.id, "production", 1)
    assert "2 validators failed" in exc.value.message
    assert [e["type"] for e in exc.value.errors] == ["contains", "length"]
    assert "JSON" in exc.value.errors[0]["msg"]
    assert "Too long" in exc.value.errors[1]["msg"]
    session.rollback()
    assert not session.exec(select(Version)).one().is_published
    # other labels are not gated
    versions.set_label(session, owner, prompt.id, "staging", 1)
    # fix: the example renders JSON; publish version 2
    spec["format"] = {**spec["format"], "example": "JSON"}
    prompt = save(session, owner, prompt, variables=spec)
    validators.update_validator(
        session,
        owner,
        validators.list_validators(session, owner, prompt.id)[1].id,
        config={"max": 200},
    )
    versions.create_version(session, owner, prompt.id, commit_message="v2")
    label = versions.set_label(session, owner, prompt.id, "production", 2)
    session.commit()
    assert label.version == 2
    assert versions.resolve(session, owner, prompt.id).version == 2


def test_publish_refused_when_the_sample_render_fails(session: Session, world) -> None:
    owner, _, _, prompt = world
    prompt = save(session, owner, prompt, content="Hi {{ 10 // 0 }}")
    versions.create_version(session, owner, prompt.id, commit_message="v1")
    with pytest.raises(ValidationFailed, match="does not render"):
        versions.set_label(session, owner, prompt.id, "production", 1)


def test_required_variables_without_examples_are_checked_with_typed_placeholders(
    session: Session, world
) -> None:
    owner, _, _, prompt = world
    prompt = save(
        session,
        owner,
        prompt,
        content="Hello {{ customer }}{% if vip %}, VIP{% endif %} ({{ count + 1 }}, {{ tier }})",
    )
    spec = dict(prompt.variables)
    spec["vip"] = {**spec["vip"], "type": "boolean"}
    spec["count"] = {**spec["count"], "type": "number"}
    spec["tier"] = {**spec["tier"], "type": "enum", "options": ["gold", "silver"]}
    prompt = save(session, owner, prompt, variables=spec)
    validators.add_validator(session, owner, prompt.id, type="contains", config={"text": "Hello"})
    versions.create_version(session, owner, prompt.id, commit_message="v1")
    check = versions.release_check(prompt.content, prompt.variables, [])
    assert check.passed and check.filled == ["customer", "vip", "count", "tier"]
    label = versions.set_label(session, owner, prompt.id, "production", 1)
    session.commit()
    assert label.placeholders == ["customer", "vip", "count", "tier"]
    assert versions.resolve(session, owner, prompt.id).version == 1
    # A failing validator still refuses, placeholders or not.
    validators.add_validator(session, owner, prompt.id, type="contains", config={"text": "Bye"})
    versions.create_version(session, owner, prompt.id, commit_message="v2")
    with pytest.raises(ValidationFailed, match="1 validator failed"):
        versions.set_label(session, owner, prompt.id, "production", 2)


def _publishable_versions(session, owner, prompt, count):
    for n in range(1, count + 1):
        prompt = save(session, owner, prompt, content=f"Version {n} of {{{{ who }}}}")
        spec = {"who": {"type": "string", "example": "you"}}
        prompt = save(session, owner, prompt, variables=spec)
        versions.create_version(session, owner, prompt.id, commit_message=f"v{n}")
    session.commit()
    return prompt


def test_publish_moves_is_published_and_rollback_moves_production_back(
    session: Session, world
) -> None:
    owner, _, _, prompt = world
    prompt = _publishable_versions(session, owner, prompt, 3)
    versions.set_label(session, owner, prompt.id, "production", 1)
    versions.set_label(session, owner, prompt.id, "production", 3)
    session.commit()
    published = {v.version: v.is_published for v in session.exec(select(Version)).all()}
    assert published == {1: False, 2: False, 3: True}
    assert versions.resolve(session, None if False else owner, prompt.id).content.startswith(
        "Version 3"
    )
    with pytest.raises(ValidationFailed, match="older"):
        versions.rollback(session, owner, prompt.id, 3)
    label = versions.rollback(session, owner, prompt.id, 1)
    session.commit()
    assert label.version == 1
    published = {v.version: v.is_published for v in session.exec(select(Version)).all()}
    assert published == {1: True, 2: False, 3: False}
    resolved = versions.resolve(session, owner, prompt.id)
    assert resolved.version == 1 and resolved.labels == ["production"]
    assert versions.list_labels(session, owner, prompt.id)[0].version == 1
    log = actions(session)
    assert log.count("version.published") == 2 and "version.rolled_back" in log
    versions.remove_label(session, owner, prompt.id, "production")
    session.commit()
    assert not any(v.is_published for v in session.exec(select(Version)).all())
    with pytest.raises(NotFound, match="not published"):
        versions.resolve(session, owner, prompt.id)


def test_rollback_needs_something_published(session: Session, world) -> None:
    owner, _, _, prompt = world
    prompt = _publishable_versions(session, owner, prompt, 1)
    with pytest.raises(Conflict, match="Nothing is published"):
        versions.rollback(session, owner, prompt.id, 1)


def test_labelled_version_cannot_be_deleted(session: Session, world) -> None:
    owner, _, _, prompt = world
    prompt = _publishable_versions(session, owner, prompt, 2)
    versions.set_label(session, owner, prompt.id, "staging", 1)
    session.commit()
    with pytest.raises(Conflict, match="staging"):
        versions.delete_version(session, owner, prompt.id, 1)
    versions.delete_version(session, owner, prompt.id, 2)
    session.commit()
    assert [i.version for i in versions.list_versions(session, owner, prompt.id).items] == [1]
    versions.remove_label(session, owner, prompt.id, "staging")
    versions.delete_version(session, owner, prompt.id, 1)
    session.commit()
    assert versions.list_versions(session, owner, prompt.id).total == 0
    assert "version.deleted" in actions(session)


def test_resolve_and_render_never_fall_back_silently(session: Session, world) -> None:
    owner, _, _, prompt = world
    prompt = _publishable_versions(session, owner, prompt, 2)
    versions.set_label(session, owner, prompt.id, "production", 1)
    versions.set_label(session, owner, prompt.id, "staging", 2)
    session.commit()
    with pytest.raises(NotFound, match="canary"):
        versions.resolve(session, owner, prompt.id, label="canary")
    with pytest.raises(NotFound):
        versions.resolve(session, owner, prompt.id, version=7)
    staged = versions.resolve(session, owner, prompt.id, label="staging")
    assert (staged.version, staged.labels) == (2, ["staging"])
    result = versions.render_prompt(session, owner, prompt.id, values={"who": "Bo"})
    assert result.text == "Version 1 of Bo" and result.version == 1 and result.passed
    result = versions.render_prompt(session, owner, prompt.id, values={"who": "Bo"}, version=2)
    assert result.text == "Version 2 of Bo"
    draft = versions.render_prompt(session, owner, prompt.id, values={"who": "Al"}, draft=True)
    assert draft.version is None and draft.text == "Version 2 of Al"
    with pytest.raises(ValidationFailed, match="'who'"):
        versions.render_prompt(session, owner, prompt.id, values={})
    with pytest.raises(ValidationFailed, match="'who'.*string"):
        versions.render_prompt(session, owner, prompt.id, values={"who": 3})


def test_render_reports_validator_results(session: Session, world) -> None:
    owner, _, _, prompt = world
    prompt = save(session, owner, prompt, content="Say {{ word }}")
    validators.add_validator(session, owner, prompt.id, type="contains", config={"text": "please"})
    versions.create_version(session, owner, prompt.id, commit_message="v1")
    session.commit()
    result = versions.render_prompt(session, owner, prompt.id, values={"word": "hi"}, version=1)
    assert result.to_dict()["validators"] == [
        {"type": "contains", "passed": False, "message": "Contains none of 'please'"}
    ]
    assert not result.passed


def test_publishing_invalidates_the_projects_cache_after_commit(session: Session, world) -> None:
    from promptrepo.services import cache

    owner, _, project, prompt = world
    prompt = _publishable_versions(session, owner, prompt, 1)
    cache.put("resolve:test", "stale", tags=[f"project:{project.id}"])
    versions.set_label(session, owner, prompt.id, "production", 1)
    assert cache.get("resolve:test") == "stale"  # not before the commit
    session.commit()
    assert cache.get("resolve:test") is None
