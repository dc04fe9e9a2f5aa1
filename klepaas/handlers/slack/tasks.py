"""Work that continues after the ack, and the one place its errors are turned into a reply.

Listeners ack, then `spawn` the slow part. A failure there never vanishes into a log: `KlepaasError`
is shown to the person as is (it was written for them), a Slack API error and anything else is
logged once with its traceback and reported as a short internal error.

At most `max_running` spawned requests run at once (`KLEPAAS_SLACK_CONCURRENCY`); the others wait
their turn, in order. A burst of commands then cannot flood the event loop with ready callbacks
and the Kubernetes thread pool with calls, and the Slack socket process (`klepaas.bot.socket_mode`),
which acks, still shares the CPU with this work. Waiting on a person
or a rollout uses no CPU, so that work gives its slot back meanwhile (`paused`) rather than
blocking everyone behind a 15-minute approval.

Nothing accepted is lost: work spawned with an `Admission` is first recorded durably (`accept`,
before it waits for a slot), so a crash leaves a row the next start marks interrupted; cancelled
while still waiting (a graceful shutdown), it is `dropped` — the person is told it did not run.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar

from slack_sdk.errors import SlackApiError

from klepaas.errors import KlepaasError
from klepaas.logging import get_logger

log = get_logger(__name__)

T = TypeVar("T")

# Told what went wrong: (message, hint). Best effort; its own failure is logged, not raised.
Tell = Callable[[str, str | None], Awaitable[None]]

# The task that holds a running slot in this context (child tasks inherit the context, not the slot).
_slot_holder: ContextVar[asyncio.Task[Any] | None] = ContextVar("klepaas_slot_holder", default=None)


class Admission(Protocol):
    """An accepted request's record, kept before it waits for a running slot."""

    async def accept(self) -> bool:
        """Record the request durably; False if it must not run (a redelivery already handled)."""
        ...

    async def dropped(self) -> None:
        """It never started (shutdown while it waited): record that and tell the person."""
        ...

    async def ended(self, *, cancelled: bool) -> None:
        """The work is over (cut off by a shutdown if `cancelled`): close the record if nothing
        else did."""
        ...


class RunningLimit:
    """At most `size` holders at once; a holder may give its slot back while it only waits."""

    def __init__(self, size: int) -> None:
        self._semaphore = asyncio.Semaphore(size)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self._semaphore.acquire()
        _slot_holder.set(asyncio.current_task())
        try:
            yield
        finally:
            self._give_back()

    @asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """Without the current task's slot (if it holds one) for the body; taken again after."""
        if not self._give_back():
            yield
            return
        try:
            yield
        finally:
            await self._semaphore.acquire()  # cancelled here: nothing held, nothing to give back
            _slot_holder.set(asyncio.current_task())

    def _give_back(self) -> bool:
        if _slot_holder.get() is None or _slot_holder.get() is not asyncio.current_task():
            return False
        _slot_holder.set(None)
        self._semaphore.release()
        return True


class BackgroundTasks:
    def __init__(self, max_running: int = 4) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._critical: set[asyncio.Future[Any]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._limit = RunningLimit(max_running)
        self.first_done = asyncio.Event()  # set when the first spawned work has ended (warm-up)

    async def critical(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` to the end even if the caller is cancelled; shutdown waits for it.

        For steps that must not be cut in half: a message posted and its ts recorded."""
        future = asyncio.ensure_future(work)
        self._critical.add(future)
        future.add_done_callback(self._critical.discard)
        return await asyncio.shield(future)

    def spawn(
        self, work: Coroutine[Any, Any, None], tell: Tell, *, name: str, admission: Admission | None = None
    ) -> asyncio.Task[None]:
        task = asyncio.create_task(self._run(work, tell, name, admission), name=name)
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(lambda done: self._done(done, work))
        return task

    async def _run(
        self, work: Coroutine[Any, Any, None], tell: Tell, name: str, admission: Admission | None
    ) -> None:
        started = False
        try:
            if admission is not None and not await _accepted(admission, name):
                return
            async with self._limit.slot():
                started = cancelled = True
                try:
                    await _guarded(work, tell, name)
                    cancelled = False
                finally:
                    if admission is not None:
                        closing = admission.ended(cancelled=cancelled)
                        await self.critical(_quietly(closing, "close the accepted request"))
        except asyncio.CancelledError:
            if not started and admission is not None:
                await _quietly(admission.dropped(), "tell about a request dropped at shutdown")
            raise

    def paused(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Give the running slot back while waiting on something slow that uses no CPU here (a
        person's decision, a rollout); outside spawned work it does nothing."""
        return self._limit.paused()

    def _done(self, task: asyncio.Task[None], work: Coroutine[Any, Any, None]) -> None:
        work.close()  # cancelled before it started (shutdown): close it rather than leave it unawaited
        self._tasks.discard(task)
        self.first_done.set()
        if not self._tasks:
            self._idle.set()

    def __len__(self) -> int:
        return len(self._tasks)

    async def wait_idle(self) -> None:
        """Until no spawned work is left (tests and shutdown)."""
        await self._idle.wait()

    async def cancel_all(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*list(self._critical), return_exceptions=True)


async def _accepted(admission: Admission, name: str) -> bool:
    """Run `accept` to its end even when cancelled meanwhile (then re-raise, to be `dropped`);
    if recording fails the work still runs, unrecorded until the pipeline writes its own row."""
    accepting = asyncio.ensure_future(admission.accept())
    try:
        return await asyncio.shield(accepting)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await accepting
        raise
    except Exception:
        log.exception("could not record an accepted request", work=name)
        return True


async def _quietly(step: Awaitable[None], what: str) -> None:
    try:
        await step
    except Exception:
        log.exception(f"could not {what}")


async def _guarded(work: Coroutine[Any, Any, None], tell: Tell, name: str) -> None:
    try:
        await work
    except asyncio.CancelledError:
        raise
    except KlepaasError as exc:
        log.info("request ended with an error shown to the user", work=name, error=str(exc))
        await _tell(tell, exc.message, exc.hint)
    except SlackApiError as exc:
        log.warning("a Slack API call failed", work=name, error=exc.response.get("error"))
        await _tell(
            tell,
            f"Slack refused our reply ({exc.response.get('error')}).",
            "try again; if it keeps failing, check the app's scopes and that it is in the channel",
        )
    except Exception:
        log.exception("unexpected error while handling a Slack request", work=name)
        await _tell(
            tell,
            "Something went wrong on our side; the details are in the server log.",
            "try again, or run the same command with `klepaas chat` to see more",
        )


async def _tell(tell: Tell, message: str, hint: str | None) -> None:
    try:
        await tell(message, hint)
    except Exception:  # telling failed too (Slack down?): the log is all that is left
        log.exception("could not tell the user about an error", message=message)
