"""Every page's URL, in one place."""

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
BILLING = "/billing"
ADMIN = "/admin"
ADMIN_USERS = "/admin/users"
ADMIN_ANALYTICS = "/admin/analytics"
API_DOCS = "/api/docs"


def project_url(project_id: str) -> str:
    return f"/projects/{project_id}"


def prompt_editor_url(project_id: str, prompt_id: str) -> str:
    return f"/projects/{project_id}/prompts/{prompt_id}"


PROMPT_PLAYGROUND = "/projects/[project_id]/prompts/[prompt_id]/playground"


def prompt_playground_url(project_id: str, prompt_id: str) -> str:
    return f"/projects/{project_id}/prompts/{prompt_id}/playground"
