"""Export a project as JSON, YAML or Markdown; import a JSON or YAML export as a new project.

The document (format_version 1):

    format_version: 1
    name: My project
    description: ...
    segments:
      - name: System
        prompts:
          - name: Persona
            content: "You are {{ role }}."
            variables: {role: {type: string, default: a helpful assistant}}
            validators: [{type: length, config: {max: 4000}}]
          - name: Support chat
            type: chat                       # only written when not "text"
            messages: [{role: system, content: "..."}, {type: placeholder, name: history}]
            config: {model: gpt-4o-mini, temperature: 0.2}   # only when set
            tags: [support, billing]         # only when any
            test_cases: [{name: refund, variables: {...}, expectations: [...]}]  # only when any

Importing an export and exporting the result gives the same document (byte for byte, apart
from the name when the importer already had a project of that name). A bad file gets every
problem with its location, and nothing is imported.
"""

from __future__ import annotations

import json
import re
import string
import uuid
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)
from sqlmodel import Session

from promptrepo.models import Project, Prompt, Segment, TestCase, Validator
from promptrepo.models.projects import VALIDATOR_TYPES
from promptrepo.services import access, audit, chat, model_config, plans, testcases
from promptrepo.services.changes import project_changed
from promptrepo.services.errors import ValidationFailed
from promptrepo.services.ordering import lock_user
from promptrepo.services.principal import Principal, require_write
from promptrepo.services.project_tree import load_project_tree
from promptrepo.services.projects import DESCRIPTION_MAX, available_name
from promptrepo.services.prompts import CONTENT_MAX
from promptrepo.services.tags import clean_tags

FORMAT_VERSION = 1
MAX_DOCUMENT_BYTES = 2_000_000
Format = Literal["json", "yaml", "markdown"]

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ValidatorDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal[VALIDATOR_TYPES]  # type: ignore[valid-type]
    config: dict[str, Any] = Field(default_factory=dict)


class PromptDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    content: str = Field(default="", max_length=CONTENT_MAX)
    variables: dict[str, Any] = Field(default_factory=dict)
    validators: list[ValidatorDoc] = Field(default_factory=list)
    type: Literal["text", "chat"] = "text"
    messages: list[dict[str, Any]] = Field(default_factory=list)
    config: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    test_cases: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        try:
            return clean_tags(value)
        except ValidationFailed as exc:
            raise ValueError(exc.message) from None

    @field_validator("messages")
    @classmethod
    def _messages(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            return chat.validate_messages(value)
        except ValidationFailed as exc:
            raise ValueError(exc.message) from None

    @field_validator("config")
    @classmethod
    def _config(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            return model_config.validate_config(value)
        except ValidationFailed as exc:
            raise ValueError(exc.message) from None

    @field_validator("test_cases")
    @classmethod
    def _cases(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        names = set()
        for index, case in enumerate(value):
            try:
                testcases.validate_case(case)
            except ValidationFailed as exc:
                raise ValueError(f"test case {index + 1}: {exc.message}") from None
            if case.get("name") in names:
                raise ValueError(f"two test cases are named {case.get('name')!r}")
            names.add(case.get("name"))
        return value


class SegmentDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    prompts: list[PromptDoc] = Field(default_factory=list)


class ProjectDoc(BaseModel):
    """The exported document; `extra="forbid"` so a typo in a key is reported, not ignored."""

    model_config = ConfigDict(extra="forbid")
    format_version: Literal[1]
    name: Name
    description: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=DESCRIPTION_MAX)
    ] = ""
    segments: list[SegmentDoc] = Field(default_factory=list)


# --------------------------------------------------------------------------- export
def _sorted(value: Any) -> Any:
    """JSON values with object keys sorted (JSONB reorders keys; exports must not change)."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def project_document(
    session: Session, principal: Principal | None, project_id: uuid.UUID | str
) -> dict[str, Any]:
    """The project as a plain dict in the export format (readable projects only)."""
    project = access.get_project(session, principal, project_id)
    tree = load_project_tree(session, project, validators=True)
    validators_by_prompt = {
        prompt_id: [{"type": v.type, "config": _sorted(v.config or {})} for v in rows]
        for prompt_id, rows in tree.validators_by_prompt().items()
    }
    grouped = tree.prompts_by_segment()
    cases_by_prompt = testcases.export_cases(
        session, [p.id for prompts in grouped.values() for p in prompts]
    )
    prompts_by_segment: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for segment_id, prompts in grouped.items():
        entries = prompts_by_segment.setdefault(segment_id, [])
        for p in prompts:
            entry: dict[str, Any] = {
                "name": p.name,
                "content": p.content,
                "variables": _sorted(p.variables or {}),
                "validators": validators_by_prompt.get(p.id, []),
            }
            # Written only when set, so text prompts export exactly as before.
            if p.type != "text":
                entry["type"] = p.type
            if p.messages:
                entry["messages"] = [_sorted(m) for m in p.messages]
            if p.config:
                entry["config"] = _sorted(p.config)
            if p.tags:
                entry["tags"] = list(p.tags)
            if p.id in cases_by_prompt:
                entry["test_cases"] = _sorted(cases_by_prompt[p.id])
            entries.append(entry)
    return {
        "format_version": FORMAT_VERSION,
        "name": project.name,
        "description": project.description,
        "segments": [
            {"name": s.name, "prompts": prompts_by_segment.get(s.id, [])} for s in tree.segments
        ],
    }


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings as YAML literal blocks, so prompts stay readable in the file."""


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_BlockDumper.add_representer(str, _str_representer)


def _fence(content: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", content)), default=0)
    return "`" * max(3, longest + 1)


_HTML_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MARKDOWN_PUNCTUATION = frozenset(string.punctuation) - set(_HTML_ENTITIES)


def escape_markdown(text: str) -> str:
    """`text` as literal Markdown: every ASCII punctuation mark backslash-escaped (CommonMark
    allows that for all of them) and `&`, `<`, `>` as entities, so no emphasis, link, image,
    heading, list, table or raw HTML can come out of a user's words. Lines stay lines."""
    return "\n".join(
        "".join(
            _HTML_ENTITIES.get(c) or ("\\" + c if c in _MARKDOWN_PUNCTUATION else c) for c in line
        )
        for line in text.splitlines()
    )


def _heading(level: int, text: str) -> str:
    return "#" * level + " " + escape_markdown(" ".join(text.split()))


def document_to_markdown(doc: dict[str, Any]) -> str:
    """The export as Markdown. Names and the description are escaped (`escape_markdown`);
    prompt texts go verbatim into a fenced block longer than any backtick run inside them,
    where Markdown renders nothing."""
    lines = [_heading(1, doc["name"]), ""]
    if doc["description"]:
        lines += [escape_markdown(doc["description"]), ""]
    for segment in doc["segments"]:
        lines += [_heading(2, segment["name"]), ""]
        for prompt in segment["prompts"]:
            fence = _fence(prompt["content"])
            lines += [_heading(3, prompt["name"]), "", fence + "text", prompt["content"], fence, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def render_document(doc: dict[str, Any], fmt: Format) -> str:
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        return yaml.dump(
            doc, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100_000
        )
    if fmt == "markdown":
        return document_to_markdown(doc)
    raise ValidationFailed(
        f'Unknown export format "{fmt}": use json, yaml or markdown.',
        errors=[{"loc": ["format"], "msg": "Use json, yaml or markdown."}],
    )


def export_project(
    session: Session,
    principal: Principal | None,
    project_id: uuid.UUID | str,
    fmt: Format = "json",
) -> str:
    """The project as a JSON, YAML or Markdown document (owner, or anyone when public)."""
    return render_document(project_document(session, principal, project_id), fmt)


def export_filename(name: str, fmt: Format) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "project"
    return f"{slug}.{ {'json': 'json', 'yaml': 'yaml', 'markdown': 'md'}[fmt] }"


# --------------------------------------------------------------------------- import
def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def too_large_message(size: int | None = None) -> str:
    """What to tell someone whose import file is over MAX_DOCUMENT_BYTES."""
    what = f"That file is {_megabytes(size)}" if size else "That file is too large"
    return (
        f"{what}; an import can be at most {_megabytes(MAX_DOCUMENT_BYTES)}. "
        "Export the project again, or paste a smaller part."
    )


def rejected_upload_message(rejected: list[dict[str, Any]]) -> str:
    """The message for files the upload box refused in the browser (react-dropzone's
    rejections: [{"file": {"path", "size"...}, "errors": [{"code", "message"}]}])."""
    for item in rejected or []:
        codes = {error.get("code") for error in item.get("errors") or []}
        size = (item.get("file") or {}).get("size")
        if "file-too-large" in codes:
            return too_large_message(size if isinstance(size, int) else None)
        if "file-invalid-type" in codes:
            return "Choose a .json or .yaml export from PromptRepo."
        if "too-many-files" in codes:
            return "Choose one file at a time."
    return "That file cannot be imported: choose a .json or .yaml export up to " + (
        f"{_megabytes(MAX_DOCUMENT_BYTES)}."
    )


def format_location(loc: list[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def _fail(problems: list[dict[str, Any]]) -> ValidationFailed:
    lines = [f"{format_location(p['loc'])}: {p['msg']}" for p in problems]
    return ValidationFailed("The file cannot be imported:\n" + "\n".join(lines), errors=problems)


def parse_document(text: str, fmt: Literal["json", "yaml"] | None = None) -> ProjectDoc:
    """Parse and validate an export; ValidationFailed lists every problem with its location."""
    if len(text.encode("utf-8", errors="replace")) > MAX_DOCUMENT_BYTES:
        raise _fail([{"loc": [], "msg": f"The file is larger than {MAX_DOCUMENT_BYTES:,} bytes."}])
    if not text.strip():
        raise _fail([{"loc": [], "msg": "The file is empty."}])
    if fmt is None:
        fmt = "json" if text.lstrip().startswith(("{", "[")) else "yaml"
    try:
        if fmt == "json":
            data = json.loads(text)
        elif fmt == "yaml":
            data = yaml.safe_load(text)
        else:
            raise _fail([{"loc": [], "msg": f'Cannot import "{fmt}": use a JSON or YAML export.'}])
    except json.JSONDecodeError as exc:
        raise _fail(
            [
                {
                    "loc": [],
                    "msg": f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).",
                }
            ]
        ) from None
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" (line {mark.line + 1}, column {mark.column + 1})"
        problem = getattr(exc, "problem", None) or str(exc)
        raise _fail([{"loc": [], "msg": f"Not valid YAML: {problem}{where}."}]) from None
    if not isinstance(data, dict):
        raise _fail(
            [
                {
                    "loc": [],
                    "msg": "Expected a PromptRepo project export (an object with format_version, name and segments).",
                }
            ]
        )
    try:
        return ProjectDoc.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "Unknown field."
            elif err["type"] == "missing":
                msg = "This field is required."
            elif err["type"] == "literal_error" and err["loc"] == ("format_version",):
                msg = f"Unsupported format_version; this version of PromptRepo reads {FORMAT_VERSION}."
            problems.append({"loc": list(err["loc"]), "msg": msg})
        raise _fail(problems) from None


def import_project(
    session: Session,
    principal: Principal | None,
    text: str,
    fmt: Literal["json", "yaml"] | None = None,
    *,
    name: str | None = None,
) -> Project:
    """Create a new private project from a JSON or YAML export (format guessed when None).

    If the principal already has a project of that name, " (imported)" is appended.
    Plan limits apply to the project and all its prompts; on any problem nothing is created.
    """
    principal = require_write(principal)
    doc = parse_document(text, fmt)
    prompt_total = sum(len(s.prompts) for s in doc.segments)
    lock_user(session, principal.user_id)
    plans.ensure_can_add_projects(session, principal.user_id)
    if prompt_total:
        plans.ensure_can_add_prompts(session, principal.user_id, prompt_total)
    project = Project(
        user_id=principal.user_id,
        name=available_name(session, principal.user_id, name or doc.name, "imported"),
        description=doc.description,
    )
    levels: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
    cases: list[tuple[uuid.UUID, dict[str, Any]]] = []
    for s_index, segment_doc in enumerate(doc.segments):
        segment = Segment(project_id=project.id, name=segment_doc.name, order=s_index)
        levels[0].append(segment)
        for p_index, prompt_doc in enumerate(segment_doc.prompts):
            prompt = Prompt(
                segment_id=segment.id,
                name=prompt_doc.name,
                content=prompt_doc.content,
                variables=prompt_doc.variables,
                type=prompt_doc.type,
                messages=prompt_doc.messages,
                config=prompt_doc.config,
                tags=prompt_doc.tags,
                order=p_index,
            )
            levels[1].append(prompt)
            cases.extend((prompt.id, case) for case in prompt_doc.test_cases)
            levels[2].extend(
                Validator(prompt_id=prompt.id, type=v.type, config=v.config, order=v_index)
                for v_index, v in enumerate(prompt_doc.validators)
            )
    with session.begin_nested():
        session.add(project)
        session.flush()
        for rows in levels:  # parents before children (no ORM relationships to order them)
            session.add_all(rows)
            session.flush()
        case_order: dict[uuid.UUID, int] = {}
        for prompt_id, case in cases:
            order = case_order[prompt_id] = case_order.get(prompt_id, -1) + 1
            session.add(TestCase(prompt_id=prompt_id, order=order, **testcases.validate_case(case)))
        session.flush()
    project_changed(session, project, kind="created")
    audit.record(
        session, principal.user_id, "project.import", "project", project.id, prompts=prompt_total
    )
    return project
