"""/projects/[project_id]/activity: who changed what, when, with filters, pages and (for the
Enterprise plan) a CSV export."""

import reflex as rx

from promptrepo import routes
from promptrepo.components.badges import count_text
from promptrepo.components.tables import scrolling_table
from promptrepo.components.template import template
from promptrepo.state.activity import ANY, ActivityRow
from promptrepo.state.activity import ActivityState as A

KIND_COLORS = (
    ("labels", "orange"),
    ("versions", "green"),
    ("drafts", "gray"),
    ("validators", "blue"),
    ("tests", "purple"),
    ("tags", "cyan"),
    ("contents", "teal"),
)


def entry_row(row: ActivityRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.el.time(row.when, title=row.at, date_time=row.at), white_space="nowrap"),
        rx.table.cell(rx.text(row.person, size="2")),
        rx.table.cell(
            rx.badge(row.kind_name, color_scheme=rx.match(row.kind, *KIND_COLORS, "gray"))
        ),
        rx.table.cell(
            rx.cond(
                row.prompt_url != "",
                rx.link(row.summary, href=row.prompt_url, size="2"),
                rx.text(row.summary, size="2"),
            ),
            min_width="14rem",
        ),
        class_name="activity-row",
        custom_attrs={"data-kind": row.kind},
    )


def labelled(label: str, control_id: str, control: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=control_id, font_weight="500", font_size="0.875rem"),
        control,
        spacing="1",
    )


def filters() -> rx.Component:
    return rx.vstack(
        rx.flex(
            labelled(
                "Person",
                "activity-person",
                rx.select.root(
                    rx.select.trigger(id="activity-person", min_width="10rem"),
                    rx.select.content(
                        rx.select.item("Everyone", value=ANY),
                        rx.foreach(
                            A.actor_choices, lambda c: rx.select.item(c.label, value=c.value)
                        ),
                    ),
                    value=A.actor_filter,
                    on_change=A.set_actor_filter,
                ),
            ),
            labelled(
                "Kind",
                "activity-kind",
                rx.select.root(
                    rx.select.trigger(id="activity-kind", min_width="12rem"),
                    rx.select.content(
                        rx.select.item("All kinds", value=ANY),
                        rx.foreach(
                            A.kind_choices, lambda c: rx.select.item(c.label, value=c.value)
                        ),
                    ),
                    value=A.kind_filter,
                    on_change=A.set_kind_filter,
                ),
            ),
            labelled(
                "From",
                "activity-since",
                rx.input(
                    type="date", id="activity-since", value=A.since, on_change=A.set_since
                ),
            ),
            labelled(
                "To",
                "activity-until",
                rx.input(
                    type="date", id="activity-until", value=A.until, on_change=A.set_until
                ),
            ),
            rx.cond(
                A.filtered,
                rx.button(
                    "Clear filters",
                    variant="soft",
                    color_scheme="gray",
                    on_click=A.clear_filters,
                    id="activity-clear",
                    align_self="end",
                ),
            ),
            spacing="3",
            wrap="wrap",
            align="end",
        ),
        rx.cond(
            A.filter_error != "",
            rx.callout(A.filter_error, icon="circle-alert", color_scheme="red", role="alert",
                       id="activity-filter-error"),
        ),
        spacing="2",
        width="100%",
    )  # fmt: skip


def export_box() -> rx.Component:
    return rx.cond(
        A.can_export,
        rx.button(
            rx.icon("download", size=14),
            "Export CSV",
            variant="soft",
            on_click=A.export_csv,
            id="activity-export",
        ),
        rx.text(
            "CSV export of the activity log is part of the Enterprise plan (you are on ",
            A.plan_name,
            "). ",
            rx.link("Compare plans", href=routes.PRICING),
            size="2",
            color=rx.color("gray", 11),
            id="activity-export-upgrade",
        ),
    )


def pager() -> rx.Component:
    return rx.cond(
        A.pages > 1,
        rx.hstack(
            rx.button(
                "Newer",
                variant="soft",
                disabled=A.page <= 1,
                on_click=A.go_to_page(A.page - 1),
                id="activity-newer",
            ),
            rx.text("Page ", A.page, " of ", A.pages, size="2", id="activity-page"),
            rx.button(
                "Older",
                variant="soft",
                disabled=A.page >= A.pages,
                on_click=A.go_to_page(A.page + 1),
                id="activity-older",
            ),
            justify="center",
            align="center",
            spacing="3",
            width="100%",
        ),
    )


def table() -> rx.Component:
    return rx.cond(
        A.rows.length() > 0,
        scrolling_table(
            ("When", "Who", "Kind", "What"), A.rows, entry_row, size="1", id="activity-table"
        ),
        rx.card(
            rx.text(
                rx.cond(
                    A.filtered,
                    "Nothing matches these filters.",
                    "No activity yet: edits, versions and label moves will appear here.",
                ),
                color=rx.color("gray", 11),
            ),
            id="activity-empty",
            width="100%",
        ),
    )


@template(route=routes.PROJECT_ACTIVITY, title="Activity · PromptRepo", on_load=A.load)
def activity_page() -> rx.Component:
    return rx.cond(
        A.not_found,
        rx.vstack(
            rx.heading("Project not found", as_="h1", size="6"),
            rx.link("Back to the dashboard", href=routes.DASHBOARD),
            id="activity-not-found",
        ),
        rx.vstack(
            rx.link(
                rx.hstack(rx.icon("arrow-left", size=14), A.project_name, align="center"),
                href="/projects/" + A.project_id,
                size="2",
            ),
            rx.hstack(
                rx.heading("Activity", as_="h1", size="7"),
                rx.badge(count_text(A.total, "entry", "entries"), variant="soft", id="activity-total"),
                rx.spacer(),
                export_box(),
                align="center",
                wrap="wrap",
                spacing="3",
                width="100%",
            ),
            rx.text(
                "Who changed what, when: segments and prompts, draft edits, versions, "
                "publishing and roll-backs, validators, tests, tags and project settings.",
                color=rx.color("gray", 11),
            ),
            filters(),
            rx.cond(
                A.loaded,
                rx.fragment(table(), pager()),
                rx.center(rx.spinner(size="3"), padding="2rem", width="100%",
                          role="status", aria_label="Loading activity"),
            ),
            spacing="4",
            width="100%",
            align="stretch",
        ),
    )  # fmt: skip
