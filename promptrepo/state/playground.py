"""The playground page: edit a prompt's type, messages and model settings, run it against a
model with the answer streaming in, keep and compare runs, and manage test cases.

A separate state from the editor's. Thin: handlers re-check the user and call
services/{drafts,playground,testcases,llm}.py. Runs are background events: the model is called
outside any `async with self` block, and each token is appended in a short one, so the page
stays responsive and "Stop" is seen at the next token.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from typing import Any

import reflex as rx

from promptrepo import routes
from promptrepo.db import session_scope
from promptrepo.services import (
    access,
    chat,
    drafts,
    llm,
    model_config,
    playground,
    providers,
    testcases,
    versions,
)
from promptrepo.services import variables as variable_specs
from promptrepo.services.errors import ServiceError, ValidationFailed
from promptrepo.state.base import AppState

ROLES = list(chat.ROLES)

# A run's status as a badge colour: the same mapping in the Run card and the Runs table.
STATUS_COLORS = {"done": "green", "error": "red", "stopped": "amber", "running": "blue"}


def status_color(status: str) -> str:
    return STATUS_COLORS.get(status, "gray")


def runs_summary(total: int) -> str:
    """The Runs card's line over its table."""
    if total <= 0:
        return "No runs yet."
    if total == 1:
        return "1 run of this prompt."
    return f"{total:,} runs of this prompt; pick two to compare."


@dataclasses.dataclass
class MessageRow:
    kind: str = "message"  # message | placeholder
    role: str = "user"
    content: str = ""
    name: str = ""


@dataclasses.dataclass
class RunRow:
    id: str = ""
    source: str = ""
    provider: str = ""
    model: str = ""
    status: str = ""
    output: str = ""
    error: str = ""
    tokens: str = ""
    latency: str = ""
    cost: str = ""
    created: str = ""


@dataclasses.dataclass
class CaseRow:
    id: str = ""
    name: str = ""
    variables: str = ""
    placeholders: str = ""
    expectations: str = ""


@dataclasses.dataclass
class ResultRow:
    name: str = ""
    passed: bool = False
    checks: str = ""
    output: str = ""
    latency: str = ""
    tokens: str = ""


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ms"


def _tokens(input_tokens: int | None, output_tokens: int | None) -> str:
    if input_tokens is None and output_tokens is None:
        return "—"
    return f"{input_tokens or 0} in / {output_tokens or 0} out"


def _cost(value: float | None) -> str:
    return "—" if value is None else f"${value:.6f}"


def _run_row(view: playground.RunView) -> RunRow:
    return RunRow(
        id=view.id,
        source=view.source,
        provider=view.provider,
        model=view.model,
        status=view.status,
        output=view.output,
        error=view.error,
        tokens=_tokens(view.input_tokens, view.output_tokens),
        latency=f"{_ms(view.first_token_ms)} first · {_ms(view.total_ms)} total",
        cost=_cost(view.cost),
        created=view.created_at[:19].replace("T", " "),
    )


def _result_row(row: dict[str, Any]) -> ResultRow:
    checks = "; ".join(
        ("✓ " if c["passed"] else "✗ ") + f"{c['type']}: {c['message']}"
        for c in row.get("checks", [])
    )
    return ResultRow(
        name=row.get("name", ""),
        passed=bool(row.get("passed")),
        checks=row.get("error") or checks or "no checks",
        output=row.get("output", ""),
        latency=_ms(row.get("total_ms")),
        tokens=_tokens(row.get("input_tokens"), row.get("output_tokens")),
    )


class PlaygroundState(AppState):
    pg_project_id: str = ""
    pg_prompt_id: str = ""
    prompt_name: str = ""
    loaded: bool = False
    load_error: str = ""
    revision: int = 0
    # the prompt
    prompt_type: str = "text"
    content: str = ""
    messages: list[MessageRow] = []
    new_placeholder: str = ""
    config_form: dict[str, str] = {}
    save_error: str = ""
    saved_note: str = ""
    # run inputs
    variable_names: list[str] = []
    variable_values: dict[str, str] = {}
    placeholder_names: list[str] = []
    placeholder_values: dict[str, str] = {}
    sources: list[str] = ["draft"]
    source: str = "draft"
    provider_names: list[str] = ["echo"]
    provider: str = "echo"
    # the run in progress
    running: bool = False
    stop_requested: bool = False
    output: str = ""
    run_status: str = ""
    run_error: str = ""
    run_metrics: str = ""
    # history and compare
    runs: list[RunRow] = []
    runs_total: int = 0
    compare_left: str = ""
    compare_right: str = ""
    # test cases
    cases: list[CaseRow] = []
    case_error: str = ""
    case_form_key: int = 0
    results: list[ResultRow] = []
    results_summary: str = ""
    testing: bool = False
    require_tests: bool = False
    _spec: dict[str, Any] = {}
    # The draft as edited here, put aside while a saved version is shown (source "vN"), and
    # the variable values the user typed (kept for any source that still reads the name).
    _draft: dict[str, Any] = {}
    _typed: dict[str, str] = {}

    # ------------------------------------------------------------------ helpers
    def _ids_from_url(self) -> tuple[str, str]:
        parts = [p for p in self.router.url.path.split("/") if p]
        if len(parts) >= 5 and parts[0] == "projects" and parts[2] == "prompts":
            return parts[1], parts[3]
        return "", ""

    def _session(self):
        principal = self.require_principal()
        return principal, session_scope(acting_as=principal.user_id)

    @rx.var
    def editor_url(self) -> str:
        return routes.prompt_editor_url(self.pg_project_id, self.pg_prompt_id)

    @rx.var
    def viewing_version(self) -> bool:
        """A saved version is shown: the Prompt card is read-only."""
        return self.source != "draft"

    @rx.var
    def source_note(self) -> str:
        if self.source == "draft":
            return f"draft revision {self.revision}"
        return f"version {self.source[1:]}, read-only: choose draft under Run to edit"

    @rx.var
    def runs_note(self) -> str:
        return runs_summary(self.runs_total)

    @rx.var
    def run_status_color(self) -> str:
        return status_color(self.run_status)

    @rx.var
    def compared(self) -> list[RunRow]:
        chosen = [r for r in self.runs if r.id in (self.compare_left, self.compare_right)]
        return chosen if len(chosen) == 2 else []

    # ------------------------------------------------------------------ loading
    @rx.event
    def load_playground(self):
        """on_load: check access, then load the draft, versions, providers, runs and cases."""
        project_id, prompt_id = self._ids_from_url()
        if self.principal() is None:
            return rx.redirect(f"{routes.LOGIN}?next={self.router.url.path}")
        if prompt_id != self.pg_prompt_id:
            self._typed = {}
        self.pg_project_id, self.pg_prompt_id = project_id, prompt_id
        self.load_error = ""
        self.output = ""
        self.run_error = ""
        self.run_status = ""
        self.run_metrics = ""
        self.results = []
        self.results_summary = ""
        self.compare_left = self.compare_right = ""
        try:
            self._load_prompt()
            self._load_lists()
        except ServiceError as exc:
            self.load_error = exc.message
            self.loaded = False
            return None
        self.loaded = True
        return None

    def _load_prompt(self) -> None:
        principal, scope = self._session()
        with scope as session:
            prompt, project = access.get_prompt(
                session, principal, self.pg_prompt_id, need="member"
            )
            self.prompt_name = prompt.name
            self.revision = prompt.revision
            self.prompt_type = prompt.type
            self.content = prompt.content
            self.messages = [
                MessageRow(kind="placeholder", role="", content="", name=m["name"])
                if chat.is_placeholder(m)
                else MessageRow(kind="message", role=m["role"], content=m["content"], name="")
                for m in prompt.messages or []
            ]
            self.config_form = model_config.form_from_config(prompt.config or {})
            self.require_tests = project.require_passing_tests
            self._spec = dict(prompt.variables or {})
            numbers = [
                v.version
                for v in versions.list_versions(session, principal, prompt.id, limit=50).items
            ]
        self.sources = ["draft", *(f"v{n}" for n in numbers)]
        self._draft = {}
        if self.source not in self.sources:
            self.source = "draft"
        if self.source != "draft":  # reloaded while a version is shown: show it again
            self._draft = self._editing_snapshot()
            self._show_version(int(self.source[1:]))
        self._sync_inputs()

    def _editing_snapshot(self) -> dict[str, Any]:
        return {
            "prompt_type": self.prompt_type,
            "content": self.content,
            "messages": [dataclasses.replace(m) for m in self.messages],
            "config_form": dict(self.config_form),
            "spec": dict(self._spec),
        }

    def _restore(self, snapshot: dict[str, Any]) -> None:
        self.prompt_type = snapshot["prompt_type"]
        self.content = snapshot["content"]
        self.messages = [dataclasses.replace(m) for m in snapshot["messages"]]
        self.config_form = dict(snapshot["config_form"])
        self._spec = dict(snapshot["spec"])

    def _show_version(self, number: int) -> None:
        """Put a saved version's type, text, settings and variable specs in the Prompt card."""
        principal, scope = self._session()
        with scope as session:
            resolved = versions.resolve(session, principal, self.pg_prompt_id, version=number)
        self._restore(
            {
                "prompt_type": resolved.type,
                "content": resolved.content if resolved.type == "text" else "",
                "messages": [
                    MessageRow(kind="placeholder", role="", content="", name=m["name"])
                    if chat.is_placeholder(m)
                    else MessageRow(kind="message", role=m["role"], content=m["content"])
                    for m in resolved.messages or []
                ],
                "config_form": model_config.form_from_config(resolved.config or {}),
                "spec": dict(resolved.variables or {}),
            }
        )

    def _sync_inputs(self) -> None:
        if self.prompt_type == "chat":
            stored = self._stored_messages(lenient=True)
            names = chat.detect_variables(stored) if chat.check_syntax(stored) is None else []
            self.placeholder_names = chat.placeholder_names(stored)
        else:
            names = chat.detect_variables([{"role": "user", "content": self.content}])
            self.placeholder_names = []
        self.variable_names = names
        values: dict[str, str] = {}
        for name in names:
            if name in self._typed:  # what the user typed wins over the source's example
                values[name] = self._typed[name]
                continue
            item = self._spec.get(name) or {}
            sample = item.get("example", item.get("default"))
            values[name] = variable_specs.value_to_text(item, sample) if sample is not None else ""
        self.variable_values = values
        self.placeholder_values = {
            n: self.placeholder_values.get(n, "[]") for n in self.placeholder_names
        }

    def _load_lists(self) -> None:
        principal, scope = self._session()
        with scope as session:
            self.provider_names = [c.name for c in providers.list_connections(session, principal)]
            runs, total = playground.list_runs(session, principal, self.pg_prompt_id, limit=20)
            self.runs = [_run_row(r) for r in runs]
            self.runs_total = total
            self.cases = [
                CaseRow(
                    id=c.id,
                    name=c.name,
                    variables=json.dumps(c.variables) if c.variables else "",
                    placeholders=json.dumps(c.placeholders) if c.placeholders else "",
                    expectations=testcases.expectation_lines(c.expectations),
                )
                for c in testcases.list_cases(session, principal, self.pg_prompt_id)
            ]
        if self.provider not in self.provider_names:
            self.provider = self.provider_names[0]

    # ------------------------------------------------------------------ editing
    def _stored_messages(self, *, lenient: bool = False) -> list[dict[str, Any]]:
        result = []
        for row in self.messages:
            if row.kind == "placeholder":
                result.append({"type": "placeholder", "name": row.name})
            else:
                result.append({"role": row.role, "content": row.content})
        if lenient:
            try:
                return chat.validate_messages(result)
            except ValidationFailed:
                return [m for m in result if "role" in m]
        return result

    @rx.event
    def set_prompt_type(self, value: str):
        self.prompt_type = value
        if value == "chat" and not self.messages:
            self.messages = [
                MessageRow(kind="message", role="system", content=""),
                MessageRow(kind="message", role="user", content=self.content),
            ]
        self._sync_inputs()

    @rx.event
    def set_content(self, value: str):
        self.content = value
        self._sync_inputs()

    @rx.event
    def set_message_role(self, index: int, role: str):
        self.messages[index].role = role

    @rx.event
    def set_message_content(self, index: int, value: str):
        self.messages[index].content = value
        self._sync_inputs()

    @rx.event
    def add_message(self):
        last = self.messages[-1].role if self.messages else "assistant"
        self.messages.append(
            MessageRow(kind="message", role="assistant" if last == "user" else "user")
        )

    @rx.event
    def set_new_placeholder(self, value: str):
        self.new_placeholder = value

    @rx.event
    def add_placeholder(self):
        name = self.new_placeholder.strip()
        if not name:
            self.save_error = "Name the placeholder first (e.g. history)."
            return
        self.messages.append(MessageRow(kind="placeholder", role="", content="", name=name))
        self.new_placeholder = ""
        self.save_error = ""
        self._sync_inputs()

    @rx.event
    def remove_message(self, index: int):
        self.messages.pop(index)
        self._sync_inputs()

    @rx.event
    def move_message(self, index: int, delta: int):
        target = index + delta
        if 0 <= target < len(self.messages):
            self.messages[index], self.messages[target] = (
                self.messages[target],
                self.messages[index],
            )

    @rx.event
    def set_config_field(self, field: str, value: str):
        self.config_form = {**self.config_form, field: value}

    @rx.event
    def save_prompt(self):
        """Save type, body and settings into the draft (its revision guards against a
        concurrent edit); a bad field is named and nothing typed is lost."""
        self.save_error = ""
        self.saved_note = ""
        if self.source != "draft":
            self.save_error = (
                f"{self.source} is a saved version and cannot be changed; choose draft "
                "under Run to edit and save the draft."
            )
            return None
        try:
            config = model_config.config_from_form(self.config_form)
            principal, scope = self._session()
            with scope as session:
                prompt = drafts.save_draft(
                    session,
                    principal,
                    self.pg_prompt_id,
                    base_revision=self.revision,
                    type=self.prompt_type,
                    content=self.content if self.prompt_type == "text" else None,
                    messages=self._stored_messages() if self.prompt_type == "chat" else None,
                    config=config,
                )
                self.revision = prompt.revision
                self._spec = dict(prompt.variables or {})
        except drafts.DraftConflict as exc:
            self.save_error = (
                f"{exc.message} Reload the page to see the other edit (your text is still here)."
            )
            return None
        except ServiceError as exc:
            self.save_error = exc.message
            return None
        self.config_form = model_config.form_from_config(config)
        self.saved_note = f"Saved as draft revision {self.revision}."
        self._sync_inputs()
        return None

    # ------------------------------------------------------------------ run inputs
    @rx.event
    def set_variable_value(self, name: str, value: str):
        self.variable_values = {**self.variable_values, name: value}
        self._typed = {**self._typed, name: value}

    @rx.event
    def set_placeholder_value(self, name: str, value: str):
        self.placeholder_values = {**self.placeholder_values, name: value}

    @rx.event
    def set_source(self, value: str):
        """Show the chosen source (the draft, with any unsaved edits, or a saved version) in
        the Prompt card, with its variables and their example values."""
        if value == self.source or value not in self.sources:
            return
        try:
            snapshot = self._editing_snapshot() if self.source == "draft" else self._draft
            if value == "draft":
                self._restore(snapshot)
            else:
                self._show_version(int(value[1:]))
        except ServiceError as exc:
            self.run_error = exc.message
            return
        self._draft = snapshot
        self.source = value
        self.save_error = ""
        self.saved_note = ""
        self._sync_inputs()

    @rx.event
    def set_provider(self, value: str):
        self.provider = value

    def _run_inputs(self) -> tuple[int | None, dict[str, Any], dict[str, Any]]:
        version = int(self.source[1:]) if self.source.startswith("v") else None
        values: dict[str, Any] = {}
        for name in self.variable_names:
            text = self.variable_values.get(name, "")
            if text != "":
                item = self._spec.get(name) or variable_specs.default_spec()
                try:
                    values[name] = variable_specs.value_from_text(item, text)
                except TypeError as exc:
                    raise ValidationFailed(f"Variable '{name}': {exc}.") from None
        placeholders: dict[str, Any] = {}
        for name in self.placeholder_names:
            text = (self.placeholder_values.get(name) or "").strip()
            if text:
                try:
                    placeholders[name] = json.loads(text)
                except ValueError as exc:
                    raise ValidationFailed(
                        f"Placeholder '{name}' is not valid JSON ({exc}); write a list like "
                        '[{"role": "user", "content": "Hi"}].'
                    ) from None
        return version, values, placeholders

    # ------------------------------------------------------------------ running
    @rx.event(background=True)
    async def run(self):
        """Run the chosen version (or the saved draft) and stream the answer in."""
        async with self:
            if self.running:
                return
            self.run_error = ""
            self.output = ""
            self.run_metrics = ""
            try:
                version, values, placeholders = self._run_inputs()
                principal, scope = self._session()
                with scope as session:
                    plan = playground.prepare_run(
                        session,
                        principal,
                        self.pg_prompt_id,
                        provider=self.provider,
                        version=version,
                        values=values,
                        placeholders=placeholders,
                    )
            except ServiceError as exc:
                self.run_error = exc.message
                self.run_status = "error"
                return
            self.running = True
            self.stop_requested = False
            self.run_status = "running"
            (await self.get_state(RunOutputState)).text = ""
        await self._stream(principal, plan)

    async def _stream(self, principal, plan: playground.RunPlan) -> None:
        """Read the answer in one task and show it in this one: each state update carries
        every token that arrived since the last, so a slow update never builds a backlog
        (on a busy server, one update per token fell seconds behind the provider)."""
        parts: list[str] = []
        usage: tuple[int | None, int | None] = (None, None)
        first_ms: float | None = None
        status, error = "done", ""
        started = time.perf_counter()
        wake = asyncio.Event()

        async def read() -> None:
            nonlocal usage, first_ms
            events = llm.stream_chat(plan.target, plan.model, plan.messages, plan.params)
            async with contextlib.aclosing(events) as stream:
                async for event in stream:
                    if isinstance(event, llm.Usage):
                        usage = (event.input_tokens, event.output_tokens)
                        continue
                    if first_ms is None:
                        first_ms = (time.perf_counter() - started) * 1000
                    parts.append(event.text)
                    wake.set()

        reader = asyncio.create_task(read())
        reader.add_done_callback(lambda _: wake.set())
        shown = 0
        while True:
            await wake.wait()
            wake.clear()
            count = len(parts)
            text = "".join(parts[shown:count])
            async with self:
                if self.stop_requested:
                    status = "stopped"
                    reader.cancel()
                    break
                if text:
                    (await self.get_state(RunOutputState)).text += text
            shown = count
            if reader.done() and shown == len(parts):
                break
        try:
            await reader
        except asyncio.CancelledError:
            pass
        except llm.ProviderError as exc:
            status, error = "error", exc.message
        except Exception as exc:  # keep the run and say what happened, whatever it was
            status, error = "error", f"The run failed: {exc}"
        output = "".join(parts[:shown]) if status == "stopped" else "".join(parts)
        total_ms = (time.perf_counter() - started) * 1000
        try:
            with session_scope(acting_as=principal.user_id) as session:
                view = playground.finish_run(
                    session,
                    principal,
                    plan.run_id,
                    output=output,
                    status=status,
                    error=error,
                    input_tokens=usage[0],
                    output_tokens=usage[1],
                    first_token_ms=first_ms,
                    total_ms=total_ms,
                )
        except ServiceError as exc:
            view, error = None, exc.message
        async with self:
            self.running = False
            self.stop_requested = False
            self.run_status = status
            self.run_error = error
            self.output = output
            (await self.get_state(RunOutputState)).text = output
            if view is not None:
                self.run_metrics = (
                    f"{view.model} · first token {_ms(view.first_token_ms)} · total "
                    f"{_ms(view.total_ms)} · {_tokens(view.input_tokens, view.output_tokens)}"
                    f" · cost {_cost(view.cost)}"
                )
            with contextlib.suppress(ServiceError):
                self._load_lists()

    @rx.event
    def stop(self):
        if self.running:
            self.stop_requested = True

    @rx.event(background=True)
    async def rerun(self, run_id: str):
        async with self:
            if self.running:
                return
            try:
                principal, scope = self._session()
                with scope as session:
                    plan = playground.rerun(session, principal, run_id)
            except ServiceError as exc:
                self.run_error = exc.message
                return
            self.running = True
            self.stop_requested = False
            self.output = ""
            self.run_error = ""
            self.run_status = "running"
            (await self.get_state(RunOutputState)).text = ""
        await self._stream(principal, plan)

    @rx.event
    def pick_for_compare(self, run_id: str):
        if run_id in (self.compare_left, self.compare_right):
            return
        self.compare_left, self.compare_right = self.compare_right, run_id

    @rx.event
    def clear_compare(self):
        self.compare_left = self.compare_right = ""

    # ------------------------------------------------------------------ test cases
    @rx.event
    def add_case(self, form_data: dict[str, Any]):
        self.case_error = ""
        try:
            case = {
                "name": form_data.get("name", ""),
                "variables": self._json_object(form_data.get("variables", ""), "Variables"),
                "placeholders": self._json_object(
                    form_data.get("placeholders", ""), "Placeholders"
                ),
                "expectations": testcases.parse_expectation_lines(
                    form_data.get("expectations", "")
                ),
            }
            principal, scope = self._session()
            with scope as session:
                testcases.add_case(session, principal, self.pg_prompt_id, case)
            self._load_lists()
        except ServiceError as exc:
            self.case_error = exc.message  # the form keeps what was typed
            return
        self.case_form_key += 1

    @staticmethod
    def _json_object(text: str, label: str) -> dict[str, Any]:
        text = (text or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise ValidationFailed(f"{label} are not valid JSON: {exc}.") from None
        if not isinstance(value, dict):
            raise ValidationFailed(f"{label} must be a JSON object.")
        return value

    @rx.event
    def delete_case(self, case_id: str):
        try:
            principal, scope = self._session()
            with scope as session:
                testcases.delete_case(session, principal, case_id)
            self._load_lists()
        except ServiceError as exc:
            self.case_error = exc.message

    @rx.event
    def set_require_tests(self, value: bool):
        try:
            principal, scope = self._session()
            with scope as session:
                testcases.set_require_passing_tests(session, principal, self.pg_project_id, value)
            self.require_tests = value
        except ServiceError as exc:
            self.case_error = exc.message

    @rx.event(background=True)
    async def run_all(self):
        """Run every case against the chosen source and provider; fill the grid."""
        async with self:
            if self.testing:
                return
            self.case_error = ""
            try:
                version = int(self.source[1:]) if self.source.startswith("v") else None
                principal, scope = self._session()
                with scope as session:
                    plan = testcases.prepare_test_run(
                        session,
                        principal,
                        self.pg_prompt_id,
                        provider=self.provider,
                        version=version,
                    )
            except ServiceError as exc:
                self.case_error = exc.message
                return
            self.testing = True
            self.results = []
            self.results_summary = f"Running {len(plan.cases)} case(s)…"
        started = time.perf_counter()
        try:
            results = await testcases.execute_test_run(plan)
            with session_scope(acting_as=principal.user_id) as session:
                view = testcases.store_test_run(session, principal, plan, results)
        except ServiceError as exc:
            async with self:
                self.testing = False
                self.case_error = exc.message
            return
        elapsed = (time.perf_counter() - started) * 1000
        async with self:
            self.testing = False
            self.results = [_result_row(r) for r in view.results]
            self.results_summary = (
                f"{view.passed} of {view.total} passed on {view.source} with {view.provider} "
                f"({view.model}) in {elapsed:,.0f} ms"
            )


class RunOutputState(PlaygroundState):
    """The answer streaming in, alone in its own substate: a token re-renders only the output
    box, not the whole playground (its tables and forms)."""

    text: str = ""
