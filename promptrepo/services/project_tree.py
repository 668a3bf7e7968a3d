"""One read of a project's contents in order, shared by the detail view, export and copies
(fork and duplicate): segments in order, each segment's prompts in order, and on request the
prompts' validators and published (`production`) versions. At most four queries whatever the
size of the project. Access is the caller's business: pass a project it may read."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Literal

from sqlmodel import Session, select

from promptrepo.models import (
    PRODUCTION_LABEL,
    Project,
    Prompt,
    Segment,
    Validator,
    Version,
    VersionLabel,
)

Published = Literal["numbers", "versions"] | None


@dataclasses.dataclass
class ProjectTree:
    project: Project
    segments: list[Segment]
    prompts: list[Prompt]  # in segment order, then prompt order
    validators: list[Validator] = dataclasses.field(default_factory=list)
    # prompt id -> published version number ("numbers") ...
    published_numbers: dict[uuid.UUID, int] = dataclasses.field(default_factory=dict)
    # ... or the production label with its version ("versions", for copies)
    published_versions: list[tuple[VersionLabel, Version]] = dataclasses.field(default_factory=list)

    def prompts_by_segment(self) -> dict[uuid.UUID, list[Prompt]]:
        grouped: dict[uuid.UUID, list[Prompt]] = {s.id: [] for s in self.segments}
        for prompt in self.prompts:
            grouped[prompt.segment_id].append(prompt)
        return grouped

    def validators_by_prompt(self) -> dict[uuid.UUID, list[Validator]]:
        grouped: dict[uuid.UUID, list[Validator]] = {}
        for validator in self.validators:
            grouped.setdefault(validator.prompt_id, []).append(validator)
        return grouped


def load_project_tree(
    session: Session,
    project: Project,
    *,
    validators: bool = False,
    published: Published = None,
) -> ProjectTree:
    """`project`'s segments and prompts in order; its validators and published versions if asked."""
    segments = list(
        session.exec(
            select(Segment)
            .where(Segment.project_id == project.id)
            .order_by(Segment.order, Segment.created_at, Segment.id)
        ).all()
    )
    position = {s.id: index for index, s in enumerate(segments)}
    prompts = sorted(
        session.exec(
            select(Prompt)
            .join(Segment, Segment.id == Prompt.segment_id)
            .where(Segment.project_id == project.id)
            .order_by(Prompt.order, Prompt.created_at, Prompt.id)
        ).all(),
        key=lambda p: position[p.segment_id],  # stable: keeps the prompt order within
    )
    tree = ProjectTree(project=project, segments=segments, prompts=prompts)
    if not prompts:
        return tree
    in_project = (
        select(Prompt.id)
        .join(Segment, Segment.id == Prompt.segment_id)
        .where(Segment.project_id == project.id)
    )
    if validators:
        tree.validators = list(
            session.exec(
                select(Validator)
                .where(Validator.prompt_id.in_(in_project))
                .order_by(Validator.order, Validator.created_at, Validator.id)
            ).all()
        )
    if published == "numbers":
        tree.published_numbers = dict(
            session.exec(
                select(VersionLabel.prompt_id, Version.version)
                .join(Version, Version.id == VersionLabel.version_id)
                .where(
                    VersionLabel.prompt_id.in_(in_project), VersionLabel.name == PRODUCTION_LABEL
                )
            ).all()
        )
    elif published == "versions":
        tree.published_versions = list(
            session.exec(
                select(VersionLabel, Version)
                .join(Version, Version.id == VersionLabel.version_id)
                .where(
                    VersionLabel.prompt_id.in_(in_project), VersionLabel.name == PRODUCTION_LABEL
                )
            ).all()
        )
    return tree
