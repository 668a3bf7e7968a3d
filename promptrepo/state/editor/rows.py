"""The editor's table rows (what the page shows) and their conversions; no state, no database."""

from __future__ import annotations

import dataclasses
from typing import Any

from promptrepo.services import releases, versions
from promptrepo.services import variables as variable_specs


@dataclasses.dataclass
class VariableRow:
    name: str = ""
    type: str = "string"
    required: bool = True
    default: str = ""
    example: str = ""
    description: str = ""
    options: str = ""
    option_list: list[str] = dataclasses.field(default_factory=list)
    used: bool = True
    error: str = ""


@dataclasses.dataclass
class ValidatorRow:
    id: str = ""
    type: str = ""
    summary: str = ""
    passed: bool = False
    message: str = ""
    skipped: bool = False  # not run: the template does not render


@dataclasses.dataclass
class VersionRow:
    number: int = 0
    message: str = ""
    author: str = ""
    created: str = ""
    labels: list[str] = dataclasses.field(default_factory=list)
    is_published: bool = False


@dataclasses.dataclass
class DiffRow:
    kind: str = "context"  # context | add | remove | hunk
    text: str = ""
    old: str = ""
    new: str = ""


@dataclasses.dataclass
class LabelRow:
    name: str = ""
    version: int = 0
    moved_by: str = ""
    moved_at: str = ""
    split: str = ""  # a traffic split ("v3 90% / v4 10%"), or "" for one version


@dataclasses.dataclass
class LabelEventRow:
    """One move in the label history list; `revert_to` is the version the label pointed at
    before (0: it did not exist, so reverting removes it); `can_revert` when that differs
    from where the label points now."""

    label: str = ""
    move: str = ""
    who: str = ""
    when: str = ""
    reason: str = ""
    revert_to: int = 0
    can_revert: bool = False


@dataclasses.dataclass
class WordPart:
    text: str = ""
    changed: bool = False


@dataclasses.dataclass
class SideBySideLine:
    kind: str = "same"  # same | changed | removed | added | message (a chat message's heading)
    old_number: str = ""
    old: str = ""
    new_number: str = ""
    new: str = ""
    old_words: list[WordPart] = dataclasses.field(default_factory=list)
    new_words: list[WordPart] = dataclasses.field(default_factory=list)
    change: str = ""  # a message heading: what happened to the message
    old_comments: int = 0  # comment threads on this line (History's compare only)
    new_comments: int = 0
    old_open: bool = False  # some of them still open
    new_open: bool = False


def side_by_side_lines(rows: list[releases.SideBySideRow]) -> list[SideBySideLine]:
    return [
        SideBySideLine(
            kind=row.kind,
            old_number=str(row.old_number or ""),
            old=row.old,
            new_number=str(row.new_number or ""),
            new=row.new,
            old_words=[WordPart(text, changed) for text, changed in row.old_words],
            new_words=[WordPart(text, changed) for text, changed in row.new_words],
            change=row.change,
        )
        for row in rows
    ]


def diff_rows(diff: versions.TextDiff) -> list[DiffRow]:
    rows: list[DiffRow] = []
    for hunk in diff.hunks:
        rows.append(DiffRow(kind="hunk", text=hunk.header))
        for line in hunk.lines:
            rows.append(
                DiffRow(
                    kind=line.kind,
                    text=line.text,
                    old=str(line.old_line or ""),
                    new=str(line.new_line or ""),
                )
            )
    return rows


def row_from_spec(name: str, item: dict[str, Any], used: bool) -> VariableRow:
    return VariableRow(
        name=name,
        type=item.get("type", "string"),
        required=bool(item.get("required", True)),
        default=variable_specs.value_to_text(item, item.get("default")),
        example=variable_specs.value_to_text(item, item.get("example")),
        description=item.get("description", "") or "",
        options=", ".join(item.get("options") or []),
        option_list=list(item.get("options") or []),
        used=used,
    )


def spec_from_row(row: VariableRow) -> dict[str, Any]:
    """The typed spec for what the user typed in a row, or ValueError/TypeError saying why not."""
    options = [o.strip() for o in row.options.split(",") if o.strip()]
    base = {"type": row.type, "options": options}
    item = {
        "type": row.type,
        "required": row.required,
        "description": row.description,
        "options": options,
    }
    for field in ("default", "example"):
        try:
            item[field] = variable_specs.value_from_text(base, getattr(row, field))
        except TypeError as exc:
            raise ValueError(f"{field}: {exc}") from None
    return variable_specs.VariableSpec.model_validate(item).model_dump()
