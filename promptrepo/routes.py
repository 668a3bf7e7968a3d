"""Every page's URL, in one place."""

from urllib.parse import urlsplit

HOME = "/"
PRICING = "/pricing"
EXPLORE = "/explore"
LOGIN = "/login"
SIGNUP = "/signup"
LOGOUT = "/logout"
FORGOT_PASSWORD = "/forgot-password"
RESET_PASSWORD = "/reset-password"
DASHBOARD = "/dashboard"
SETTINGS = "/settings"
PROJECT = "/projects/[project_id]"
PROMPT_EDITOR = "/projects/[project_id]/prompts/[prompt_id]"
PROJECT_WEBHOOKS = "/projects/[project_id]/webhooks"
INVITE = "/invites/[token]"
PROJECT_ACTIVITY = "/projects/[project_id]/activity"
BILLING = "/billing"
ADMIN = "/admin"
ADMIN_USERS = "/admin/users"
ADMIN_ANALYTICS = "/admin/analytics"
API_DOCS = "/api/docs"


def project_url(project_id: str) -> str:
    return f"/projects/{project_id}"


def project_activity_url(project_id: str) -> str:
    return f"/projects/{project_id}/activity"


def prompt_editor_url(project_id: str, prompt_id: str) -> str:
    return f"/projects/{project_id}/prompts/{prompt_id}"


AUTH_PAGES = {LOGIN, SIGNUP, LOGOUT, FORGOT_PASSWORD, RESET_PASSWORD}


def safe_next(target: str | None, default: str = DASHBOARD) -> str:
    """`target` if it is a path on this site (not `//host`, not a scheme, not an auth page)."""
    target = (target or "").strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return default
    if parts.path.rstrip("/") in AUTH_PAGES or parts.path in AUTH_PAGES:
        return default
    return target


PROMPT_PLAYGROUND = "/projects/[project_id]/prompts/[prompt_id]/playground"


def prompt_playground_url(project_id: str, prompt_id: str) -> str:
    return f"/projects/{project_id}/prompts/{prompt_id}/playground"
