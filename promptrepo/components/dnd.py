"""A `div` that speaks the browser's native HTML5 drag-and-drop events.

Reflex's elements do not declare the drag events, so this subclass adds them as event
triggers. Pages pair it with buttons (move up/down, move to segment) so that everything a
drag does can also be done with the keyboard.
"""

import reflex as rx
from reflex_base.event import no_args_event_spec
from reflex_components_core.el.elements.typography import Div


class DragDiv(Div):
    """`<div draggable>` with on_drag_start/on_drag_end/on_drag_over/on_drag_leave/on_drop."""

    on_drag_start: rx.EventHandler[no_args_event_spec]
    on_drag_end: rx.EventHandler[no_args_event_spec]
    on_drag_enter: rx.EventHandler[no_args_event_spec]
    on_drag_over: rx.EventHandler[no_args_event_spec]
    on_drag_leave: rx.EventHandler[no_args_event_spec]
    on_drop: rx.EventHandler[no_args_event_spec]


drag_div = DragDiv.create
