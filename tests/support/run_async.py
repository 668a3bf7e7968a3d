"""Run a coroutine to completion from a synchronous test.

The coroutine gets its own thread and event loop: after browser tests, Playwright's sync API
keeps an event loop running in the main thread, where `asyncio.run` would refuse to start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
