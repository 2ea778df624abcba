"""Running a coroutine from a test, whatever ran before it in the session."""

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

Result = TypeVar("Result")


def on_a_loop(main: Callable[[], Coroutine[Any, Any, Result]]) -> Result:
    """Run `main()` on an event loop in a thread of its own: the browser tests' Playwright keeps
    an event loop running in the test thread for the rest of the session, where asyncio.run()
    is refused."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()
