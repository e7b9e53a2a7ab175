"""The server's worker threads: at most ``WORKERS`` checks at once, and work superseded while it
waits for a slot never starts (in process, without a client)."""

from __future__ import annotations

import asyncio
import threading

from fixer.lsp.server import WORKERS, make_server


def test_superseded_work_waiting_for_a_slot_never_starts() -> None:
    server = make_server()
    release = threading.Event()
    started: list[str] = []

    def work(name: str) -> str:
        started.append(name)
        release.wait(10)
        return name

    async def scenario() -> None:
        running = [asyncio.ensure_future(server.off_loop(work, f"busy{n}")) for n in range(WORKERS)]
        while len(started) < WORKERS:
            await asyncio.sleep(0.01)
        waiting = asyncio.ensure_future(server.off_loop(work, "superseded"))
        await asyncio.sleep(0.05)
        waiting.cancel()
        await asyncio.sleep(0.05)
        release.set()
        assert sorted(await asyncio.gather(*running)) == [f"busy{n}" for n in range(WORKERS)]
        after = await server.off_loop(work, "next")
        assert after == "next"

    asyncio.run(scenario())
    assert "superseded" not in started
    assert started[-1] == "next"


def test_an_error_in_the_work_reaches_the_caller() -> None:
    server = make_server()

    def fail() -> None:
        raise ValueError("boom")

    async def scenario() -> str:
        try:
            await server.off_loop(fail)
        except ValueError as error:
            return str(error)
        return "no error"

    assert asyncio.run(scenario()) == "boom"
