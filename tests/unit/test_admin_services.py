"""Admin queries: only admins may run them; users listed with plan and usage; analytics."""

import pytest
from sqlmodel import Session

from promptrepo.models import Project, Prompt, Segment, Version, utcnow
from promptrepo.services.admin import list_users
from promptrepo.services.analytics import get_analytics, plan_mix
from promptrepo.services.errors import NotAuthenticated, PermissionDenied
from tests.factories import make_user


def test_only_admins_may_list_users_or_see_analytics(session: Session) -> None:
    user = make_user(session)
    for call in (lambda p: list_users(session, p), lambda p: get_analytics(session, p)):
        with pytest.raises(PermissionDenied):
            call(user)
        with pytest.raises(NotAuthenticated):
            call(None)


def test_user_list_searches_filters_and_paginates(session: Session) -> None:
    admin = make_user(session, email="boss@example.com", name="Boss", role="admin")
    for i in range(7):
        make_user(
            session,
            email=f"member{i}@example.com",
            name=f"Member {i}",
            plan="pro" if i == 0 else "free",
        )
    suspended = make_user(session, email="gone@example.com", name="Gone")
    from promptrepo.models import Profile

    session.get(Profile, suspended.user_id).suspended_at = utcnow()
    session.add(Project(user_id=admin.user_id, name="A"))
    session.commit()

    page = list_users(session, admin, per_page=3)
    assert (page.total, page.pages, len(page.items)) == (9, 3, 3)
    assert list_users(session, admin, per_page=3, page=99).page == 3
    found = list_users(session, admin, search="MEMBER 0")
    assert [u.email for u in found.items] == ["member0@example.com"]
    assert found.items[0].plan == "pro"
    assert [u.email for u in list_users(session, admin, status="suspended").items] == [
        "gone@example.com"
    ]
    assert [u.email for u in list_users(session, admin, status="admins").items] == [
        "boss@example.com"
    ]
    boss = list_users(session, admin, search="boss").items[0]
    assert boss.project_count == 1


def test_analytics_counts_and_daily_activity(session: Session) -> None:
    admin = make_user(session, role="admin")
    make_user(session, plan="enterprise")
    project = Project(user_id=admin.user_id, name="P", is_public=True)
    session.add(project)
    session.flush()
    segment = Segment(project_id=project.id, name="S")
    session.add(segment)
    session.flush()
    prompt = Prompt(segment_id=segment.id, name="p")
    session.add(prompt)
    session.flush()
    session.add(Version(prompt_id=prompt.id, version=1, content="x", is_published=True))
    session.commit()

    result = get_analytics(session, admin, days=7)
    assert result.totals.users == 2
    assert (result.totals.projects, result.totals.public_projects) == (1, 1)
    assert (result.totals.prompts, result.totals.versions, result.totals.published_versions) == (
        1,
        1,
        1,
    )
    assert result.plans == {"free": 1, "pro": 0, "enterprise": 1}
    # The chart's data: names, not ids; every plan listed, an empty one too.
    assert [(s.name, s.users, s.percent) for s in plan_mix(result.plans)] == [
        ("Free", 1, "50%"),
        ("Pro", 0, "0%"),
        ("Enterprise", 1, "50%"),
    ]
    assert len(result.daily) == 7
    today = result.daily[-1]
    assert today.day == utcnow().date().isoformat()
    assert (today.signups, today.projects, today.versions) == (2, 1, 1)


def test_recent_activity_names_who_did_it_and_what_it_was_about_not_ids(session: Session) -> None:
    from promptrepo.services import api_keys, projects, prompts, segments

    admin = make_user(session, email="boss@example.com", name="Boss", role="admin")
    ada = make_user(session, email="ada@example.com", name="Ada")
    project = projects.create_project(session, ada, name="Support Bot")
    system = segments.create_segment(session, ada, project.id, name="System")
    prompts.create_prompt(session, ada, system.id, name="support-reply")
    api_keys.create_api_key(session, ada, name="CI key")
    gone = projects.create_project(session, ada, name="Old stuff")
    session.commit()
    projects.delete_project(session, ada, gone.id)
    session.commit()

    recent = get_analytics(session, admin).recent_actions
    by_action = {action: (who, target) for _, who, action, target in recent}
    assert by_action["project.create"] == ("ada@example.com", "project “Support Bot”")
    assert by_action["prompt.created"] == ("ada@example.com", "prompt “support-reply”")
    assert by_action["api_key.create"] == ("ada@example.com", "API key “CI key”")
    assert by_action["project.delete"] == ("ada@example.com", "project “Old stuff” (deleted)")
    for _, who, _, target in recent:
        assert str(ada.user_id)[:8] not in target + who
        assert str(project.id)[:8] not in target


def test_the_plan_legend_says_users_once() -> None:
    shares = plan_mix({"free": 2, "pro": 0, "enterprise": 1})
    assert [s.legend for s in shares] == ["2 users · 67%", "0 users · 0%", "1 user · 33%"]
