"""/explore: the public gallery: every user's public projects, searchable and paginated."""

import reflex as rx

from promptrepo import routes
from promptrepo.components.badges import count_text
from promptrepo.components.template import template
from promptrepo.state.explore import ExploreState, GalleryCard


def fork_button(card: GalleryCard) -> rx.Component:
    return rx.cond(
        ExploreState.is_authenticated & (ExploreState.user_id != card.owner_id),
        rx.button(
            rx.icon("git-fork", size=14),
            "Fork",
            size="1",
            variant="soft",
            on_click=ExploreState.fork(card.id),
            aria_label="Fork " + card.name,
            class_name="gallery-fork",
        ),
    )


def gallery_card(card: GalleryCard) -> rx.Component:
    return rx.vstack(
        card_link(card),
        fork_button(card),
        spacing="2",
        height="100%",
        class_name="gallery-item",
        data_project_id=card.id,
    )


def card_link(card: GalleryCard) -> rx.Component:
    return rx.link(
        rx.card(
            rx.vstack(
                rx.heading(card.name, size="4", as_="h2", class_name="gallery-name"),
                rx.text(
                    "by ", rx.text.strong(card.owner_name), size="2", class_name="gallery-owner"
                ),
                rx.cond(
                    card.description != "",
                    rx.text(
                        card.description,
                        size="2",
                        color=rx.color("gray", 11),
                        class_name="line-clamp-3",
                    ),
                ),
                rx.spacer(),
                rx.hstack(
                    rx.badge(
                        rx.icon("git-fork", size=12),
                        count_text(card.fork_count, "fork"),
                        variant="soft",
                        class_name="gallery-forks",
                    ),
                    rx.badge(
                        count_text(card.segment_count, "segment"),
                        variant="outline",
                        color_scheme="gray",
                    ),
                    rx.badge(
                        count_text(card.prompt_count, "prompt"),
                        variant="outline",
                        color_scheme="gray",
                    ),
                    wrap="wrap",
                    spacing="2",
                ),
                spacing="2",
                height="100%",
            ),
            height="100%",
            class_name="gallery-card",
            data_project_id=card.id,
        ),
        href=card.url,
        underline="none",
        color="inherit",
        flex="1",
        width="100%",
    )


@template(
    route=routes.EXPLORE,
    title="Explore public prompts · PromptRepo",
    description="Public prompt projects shared by PromptRepo users: read them, fork them.",
    on_load=ExploreState.load,
)
def explore() -> rx.Component:
    return rx.vstack(
        rx.heading("Explore public prompts", size="7", as_="h1"),
        rx.text(
            rx.cond(
                ExploreState.is_authenticated,
                "Projects that their authors made public. Open one to read it; "
                "fork it to make it yours.",
                "Projects that their authors made public. Open one to see its segments and "
                "prompts; log in to open its prompts and read them in full, or to fork it.",
            ),
            color=rx.color("gray", 11),
        ),
        rx.hstack(
            rx.input(
                rx.input.slot(rx.icon("search", size=14)),
                placeholder="Search public projects",
                default_value=ExploreState.search,
                on_change=ExploreState.set_search.debounce(300),
                aria_label="Search public projects",
                id="gallery-search",
                max_width="22rem",
                width="100%",
            ),
            rx.select.root(
                rx.select.trigger(aria_label="Sort public projects", id="gallery-sort"),
                rx.select.content(
                    rx.select.item("Most forked", value="popular"),
                    rx.select.item("Recently changed", value="updated"),
                    rx.select.item("Name", value="name"),
                ),
                value=ExploreState.sort,
                on_change=ExploreState.set_sort,
            ),
            rx.spacer(),
            rx.cond(
                ExploreState.loaded,
                rx.text(
                    ExploreState.total,
                    rx.cond(ExploreState.total == 1, " public project", " public projects"),
                    size="2",
                ),
            ),
            width="100%",
            wrap="wrap",
            align="center",
            spacing="3",
        ),
        rx.cond(
            ExploreState.limit_message != "",
            rx.callout.root(
                rx.callout.icon(rx.icon("sparkles")),
                rx.callout.text(
                    ExploreState.limit_message,
                    " ",
                    rx.link("See plans and upgrade", href=routes.PRICING, weight="bold"),
                ),
                color_scheme="amber",
                id="plan-limit-message",
                width="100%",
            ),
        ),
        rx.cond(
            ExploreState.total > 0,
            rx.grid(
                rx.foreach(ExploreState.cards, gallery_card),
                columns=rx.breakpoints(initial="1", sm="2", md="3"),
                spacing="4",
                width="100%",
                id="gallery",
            ),
            rx.cond(
                ExploreState.loaded,
                rx.center(
                    rx.text(
                        rx.cond(
                            ExploreState.search != "",
                            "No public project matches your search.",
                            "No public projects yet.",
                        ),
                        color=rx.color("gray", 11),
                    ),
                    padding="3rem",
                    width="100%",
                    id="gallery-empty",
                ),
            ),
        ),
        rx.cond(
            ExploreState.pages > 1,
            rx.hstack(
                rx.button(
                    "Previous",
                    variant="soft",
                    disabled=ExploreState.page <= 1,
                    on_click=ExploreState.go_to_page(ExploreState.page - 1),
                    id="gallery-previous",
                ),
                rx.text("Page ", ExploreState.page, " of ", ExploreState.pages, size="2"),
                rx.button(
                    "Next",
                    variant="soft",
                    disabled=ExploreState.page >= ExploreState.pages,
                    on_click=ExploreState.go_to_page(ExploreState.page + 1),
                    id="gallery-next",
                ),
                justify="center",
                align="center",
                width="100%",
                spacing="3",
            ),
        ),
        rx.text(
            "Want to share yours? Make a project public from its page or your ",
            rx.link("dashboard", href=routes.DASHBOARD),
            ".",
            size="2",
            color=rx.color("gray", 11),
        ),
        spacing="5",
        width="100%",
    )
