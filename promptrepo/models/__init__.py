"""Every SQLModel table; importing this module registers them all on `SQLModel.metadata`."""

from promptrepo.models.audit import AuditLog
from promptrepo.models.billing import Billing, StripeEvent
from promptrepo.models.comments import Comment, CommentMention
from promptrepo.models.common import utcnow
from promptrepo.models.members import MEMBER_ROLES, ProjectInvite, ProjectMember
from promptrepo.models.playground import (
    ModelPrice,
    PlaygroundRun,
    ProviderConnection,
    TestCase,
    TestRun,
)
from promptrepo.models.projects import Project, Prompt, Segment, Validator
from promptrepo.models.reviews import Notification, ReleaseProposal
from promptrepo.models.users import ApiKey, AuthSession, Credential, Identity, Profile
from promptrepo.models.versions import (
    PRODUCTION_LABEL,
    LabelEvent,
    LabelSplit,
    Version,
    VersionLabel,
)
from promptrepo.models.webhooks import Webhook, WebhookDelivery

__all__ = [
    "PRODUCTION_LABEL",
    "ApiKey",
    "AuditLog",
    "AuthSession",
    "Billing",
    "Comment",
    "CommentMention",
    "Credential",
    "Identity",
    "LabelEvent",
    "LabelSplit",
    "MEMBER_ROLES",
    "ModelPrice",
    "Notification",
    "PlaygroundRun",
    "Profile",
    "Project",
    "ProjectInvite",
    "ProjectMember",
    "Prompt",
    "ProviderConnection",
    "ReleaseProposal",
    "Segment",
    "StripeEvent",
    "TestCase",
    "TestRun",
    "Validator",
    "Version",
    "VersionLabel",
    "Webhook",
    "WebhookDelivery",
    "utcnow",
]
