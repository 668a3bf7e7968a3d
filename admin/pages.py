"""The admin section: /admin (analytics) and /admin/users (user management)."""

import reflex as rx

from admin.state import AdminAnalyticsState, AdminUsersState
from promptrepo import routes
from promptrepo.components.badges import count_text
from promptrepo.components.tables import scrolling_table
from promptrepo.components.template import template

AXIS_TICK = {"fill": "var(--gray-11)", "fontSize": 12}
AXIS_LINE = "var(--gray-8)"


def admin_nav(active: str) -> rx.Component:
    def tab(label: str, href: str) -> rx.Component:
        return rx.link(
            rx.button(label, variant="solid" if active == href else "soft", size="2"),
            href=href,
        )

    return rx.hstack(
        rx.heading("Admin", size="7", as_="h1"),
        rx.spacer(),
        tab("Analytics", routes.ADMIN),
        tab("Users", routes.ADMIN_USERS),
        width="100%",
        align="center",
    )


def stat_card(item: rx.Var) -> rx.Component:
    return rx.card(
        rx.text(item[0], size="2", color=rx.color("gray", 11)),
        rx.text(item[1], size="7", weight="bold"),
    )


def analytics_page() -> rx.Component:
    return rx.vstack(
        admin_nav(routes.ADMIN),
        rx.cond(
            AdminAnalyticsState.loaded,
            rx.vstack(
                rx.grid(
                    rx.foreach(AdminAnalyticsState.totals, stat_card),
                    columns=rx.breakpoints(initial="2", md="4", lg="7"),
                    spacing="3",
                    width="100%",
                    id="admin-totals",
                ),
                rx.heading("Last 30 days", size="4", as_="h2"),
                rx.recharts.bar_chart(
                    rx.recharts.bar(
                        data_key="signups", fill=rx.color("violet", 9), name="Sign-ups"
                    ),
                    rx.recharts.bar(data_key="projects", fill=rx.color("cyan", 9), name="Projects"),
                    rx.recharts.bar(
                        data_key="versions", fill=rx.color("amber", 9), name="Versions"
                    ),
                    # Recharts' grey (#666) is 3.7:1 on the dark page: the theme's text grey
                    rx.recharts.x_axis(data_key="day", tick=AXIS_TICK, stroke=AXIS_LINE),
                    rx.recharts.y_axis(allow_decimals=False, tick=AXIS_TICK, stroke=AXIS_LINE),
                    rx.recharts.legend(),
                    rx.recharts.graphing_tooltip(),
                    data=AdminAnalyticsState.daily,
                    width="100%",
                    height=300,
                ),
                rx.grid(
                    rx.card(
                        rx.heading("Plans", size="3", as_="h2"),
                        rx.recharts.pie_chart(
                            # No labels on the wedges (the list below names each plan with
                            # its count and share), and no outline: one plan's wedge is the
                            # whole disc, whose outline is a stray radius from the centre.
                            rx.recharts.pie(
                                data=AdminAnalyticsState.plans,
                                data_key="users",
                                name_key="plan",
                                label=False,
                                label_line=False,
                                stroke="none",
                                is_animation_active=False,
                            ),
                            rx.recharts.graphing_tooltip(),
                            width="100%",
                            height=220,
                        ),
                        rx.el.ul(
                            rx.foreach(
                                AdminAnalyticsState.plan_rows,
                                lambda r: rx.el.li(
                                    rx.hstack(
                                        rx.box(
                                            width="0.75rem",
                                            height="0.75rem",
                                            border_radius="2px",
                                            background=rx.match(
                                                r[2],
                                                ("pro", rx.color("violet", 9)),
                                                ("enterprise", rx.color("amber", 9)),
                                                rx.color("gray", 9),
                                            ),
                                            aria_hidden="true",
                                        ),
                                        rx.text(r[0], weight="medium", size="2"),
                                        rx.text(
                                            r[1],
                                            size="2",
                                            color=rx.color("gray", 11),
                                        ),
                                        align="center",
                                        spacing="2",
                                    ),
                                    class_name="plan-share",
                                    custom_attrs={"data-plan": r[2]},
                                ),
                            ),
                            id="plan-shares",
                            aria_label="Users per plan",
                            style={"list_style": "none", "padding": "0", "margin": "0"},
                        ),
                    ),
                    rx.card(
                        rx.heading("Recent activity", size="3", as_="h2"),
                        rx.cond(
                            AdminAnalyticsState.recent.length() > 0,
                            rx.table.root(
                                rx.table.body(
                                    rx.foreach(
                                        AdminAnalyticsState.recent,
                                        lambda r: rx.table.row(
                                            rx.table.cell(r[0], white_space="nowrap"),
                                            rx.table.cell(r[1]),
                                            rx.table.cell(r[2]),
                                            rx.table.cell(r[3]),
                                        ),
                                    )
                                ),
                                size="1",
                                id="recent-activity",
                            ),
                            rx.text("Nothing yet.", color=rx.color("gray", 11)),
                        ),
                    ),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="4",
                    width="100%",
                ),
                spacing="5",
                width="100%",
            ),
            rx.spinner(size="3"),
        ),
        spacing="5",
        width="100%",
    )


# The admin section opens on its analytics; /admin/analytics, the address the tab's name
# suggests, is the same page.
for _route in (routes.ADMIN, routes.ADMIN_ANALYTICS):
    template(
        route=_route, title="Admin · Analytics · PromptRepo", on_load=AdminAnalyticsState.load
    )(analytics_page)


def action_button(row: rx.Var, action: str, label: str, color: str) -> rx.Component:
    return rx.button(
        label,
        size="1",
        variant="soft",
        color_scheme=color,
        on_click=AdminUsersState.ask(action, row["id"], row["email"]),
    )


def user_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(row["name"], weight="medium"), rx.text(row["email"], size="1"), spacing="0"
            )
        ),
        rx.table.cell(
            rx.badge(row["role"], color_scheme=rx.cond(row["role"] == "admin", "violet", "gray"))
        ),
        rx.table.cell(row["plan"]),
        rx.table.cell(
            rx.badge(row["status"], color_scheme=rx.cond(row["status"] == "active", "green", "red"))
        ),
        rx.table.cell(row["projects"]),
        rx.table.cell(row["joined"]),
        rx.table.cell(
            rx.cond(
                row["is_self"] == "yes",
                # An admin may not suspend or demote themselves (services/accounts.py).
                rx.text("You", size="1", color=rx.color("gray", 11), class_name="self-row"),
                rx.hstack(
                    rx.cond(
                        row["status"] == "active",
                        action_button(row, "suspend", "Suspend", "red"),
                        action_button(row, "unsuspend", "Unsuspend", "green"),
                    ),
                    rx.cond(
                        row["role"] == "admin",
                        action_button(row, "remove_admin", "Remove admin", "gray"),
                        action_button(row, "make_admin", "Make admin", "violet"),
                    ),
                    spacing="2",
                ),
            )
        ),
        id=row["email"],
    )


def confirm_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Please confirm"),
            rx.alert_dialog.description(AdminUsersState.pending_label),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(
                        "Cancel",
                        variant="soft",
                        color_scheme="gray",
                        on_click=AdminUsersState.cancel,
                    )
                ),
                rx.alert_dialog.action(
                    rx.button("Confirm", on_click=AdminUsersState.confirm, id="confirm-action")
                ),
                justify="end",
                spacing="3",
                margin_top="1rem",
            ),
        ),
        open=AdminUsersState.pending_action != "",
    )


@template(
    route=routes.ADMIN_USERS, title="Admin · Users · PromptRepo", on_load=AdminUsersState.load
)
def users_page() -> rx.Component:
    return rx.vstack(
        admin_nav(routes.ADMIN_USERS),
        rx.hstack(
            rx.input(
                placeholder="Search by e-mail or name",
                value=AdminUsersState.search,
                on_change=AdminUsersState.set_search.debounce(300),
                aria_label="Search users",
                id="user-search",
                width="20rem",
                max_width="100%",
            ),
            rx.select.root(
                # the label on the trigger: the element a screen reader lands on
                rx.select.trigger(aria_label="Filter users", id="user-status"),
                rx.select.content(
                    *[
                        rx.select.item(label, value=value)
                        for value, label in (
                            ("all", "All"),
                            ("active", "Active"),
                            ("suspended", "Suspended"),
                            ("admins", "Admins"),
                        )
                    ]
                ),
                value=AdminUsersState.status,
                on_change=AdminUsersState.set_status,
            ),
            rx.spacer(),
            rx.text(count_text(AdminUsersState.total, "user"), color=rx.color("gray", 11)),
            width="100%",
            wrap="wrap",
            align="center",
        ),
        rx.cond(
            AdminUsersState.rows.length() > 0,
            scrolling_table(
                ("User", "Role", "Plan", "Status", "Projects", "Joined", ""),
                AdminUsersState.rows,
                user_row,
            ),
            rx.callout("No user matches.", icon="search"),
        ),
        rx.hstack(
            rx.button(
                "Previous",
                variant="soft",
                disabled=AdminUsersState.page <= 1,
                on_click=AdminUsersState.go_to_page(AdminUsersState.page - 1),
            ),
            rx.text("Page ", AdminUsersState.page, " of ", AdminUsersState.pages),
            rx.button(
                "Next",
                variant="soft",
                disabled=AdminUsersState.page >= AdminUsersState.pages,
                on_click=AdminUsersState.go_to_page(AdminUsersState.page + 1),
            ),
            align="center",
            spacing="3",
        ),
        confirm_dialog(),
        spacing="4",
        width="100%",
    )
