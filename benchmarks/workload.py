"""The benchmark prompt: ~10 KB of text using 20 typed variables, with 5 validators."""

from __future__ import annotations

from typing import Any

VARIABLE_TYPES = ["string"] * 12 + ["number"] * 3 + ["boolean"] * 2 + ["enum"] * 2 + ["json"]
SENTENCE = (
    "You are a careful assistant. Answer precisely, cite sources where possible, and keep "
    "the tone friendly but professional. "
)


def variables_spec() -> dict[str, dict[str, Any]]:
    spec: dict[str, dict[str, Any]] = {}
    for i, kind in enumerate(VARIABLE_TYPES):
        item: dict[str, Any] = {
            "type": kind,
            "required": i % 4 != 3,
            "default": None,
            "description": f"variable {i}",
            "example": None,
            "options": [],
        }
        if kind == "string":
            item["example"] = f"value {i}"
        elif kind == "number":
            item["example"] = i * 10
        elif kind == "boolean":
            item["example"] = True
            item["required"] = False
        elif kind == "enum":
            item["options"] = ["formal", "casual", "terse"]
            item["example"] = "formal"
        else:
            item["example"] = {"items": [1, 2, 3], "title": "JSON payload"}
        spec[f"var_{i:02d}"] = item
    return spec


def content(target_chars: int = 10_000) -> str:
    parts: list[str] = ["# System prompt\n"]
    for i, kind in enumerate(VARIABLE_TYPES):
        name = f"var_{i:02d}"
        if kind == "boolean":
            parts.append(f"{{% if {name} %}}Section {i} is enabled.{{% endif %}}\n")
        elif kind == "json":
            parts.append(
                f"Payload title: {{{{ {name}.title }}}}, {{{{ {name}['items'] | length }}}} items.\n"
            )
        else:
            parts.append(f"Field {i}: {{{{ {name} }}}}\n")
    text = "".join(parts)
    body = []
    while len(text) + sum(len(b) for b in body) < target_chars:
        body.append(SENTENCE)
        if len(body) % 6 == 0:
            body.append("\n")
    return text + "".join(body) + "\nReturn JSON only.\n"


def validators() -> list[dict[str, Any]]:
    return [
        {"type": "regex", "config": {"pattern": r"Return (JSON|YAML) only", "must_match": True}},
        {"type": "length", "config": {"min": 100, "max": 20_000, "unit": "chars"}},
        {"type": "length", "config": {"max": 5_000, "unit": "words"}},
        {
            "type": "contains",
            "config": {"text": ["json", "assistant"], "mode": "all", "case_insensitive": True},
        },
        {
            "type": "custom",
            "config": {
                "expression": "text | length < 40000 and 'JSON' in text",
                "message": "Must be short and mention JSON",
            },
        },
    ]


def values(spec: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {name: item["example"] for name, item in spec.items()}
