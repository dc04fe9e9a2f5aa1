"""The running limit on spawned work: a burst waits its turn; waiting on a person frees the slot."""

from __future__ import annotations

import asyncio

from klepaas.handlers.slack.tasks import BackgroundTasks


async def _nobody_told(message: str, hint: str | None) -> None:
    raise AssertionError(f"no error expected, got {message}")


async def test_spawned_work_beyond_the_limit_waits_until_a_running_one_ends() -> None:
    tasks = BackgroundTasks(max_running=2)
    release = asyncio.Event()
    running: list[int] = []
    most = 0

    async def work(i: int) -> None:
        nonlocal most
        running.append(i)
        most = max(most, len(running))
        await release.wait()
        running.remove(i)

    for i in range(5):
        tasks.spawn(work(i), _nobody_told, name=f"work {i}")
    async with asyncio.timeout(10):
        while len(running) < 2:
            await asyncio.sleep(0)
    assert sorted(running) == [0, 1]
    release.set()
    async with asyncio.timeout(10):
        await tasks.wait_idle()
    assert most == 2


async def test_work_waiting_in_paused_lets_the_next_request_run() -> None:
    tasks = BackgroundTasks(max_running=1)
    decided = asyncio.Event()
    second_ran = asyncio.Event()
    order: list[str] = []

    async def waits_for_a_person() -> None:
        async with tasks.paused():
            await decided.wait()
        order.append("approved work finished")

    async def next_request() -> None:
        order.append("next request ran")
        second_ran.set()

    tasks.spawn(waits_for_a_person(), _nobody_told, name="approval")
    tasks.spawn(next_request(), _nobody_told, name="next")
    async with asyncio.timeout(10):
        await second_ran.wait()
    decided.set()
    async with asyncio.timeout(10):
        await tasks.wait_idle()
    assert order == ["next request ran", "approved work finished"]


class _Recorded:
    """An admission that notes what happened to its request."""

    def __init__(self, log: list[str], name: str, *, duplicate: bool = False) -> None:
        self.log, self.name, self.duplicate = log, name, duplicate

    async def accept(self) -> bool:
        self.log.append(f"{self.name} accepted")
        return not self.duplicate

    async def dropped(self) -> None:
        self.log.append(f"{self.name} dropped")

    async def ended(self, *, cancelled: bool) -> None:
        self.log.append(f"{self.name} ended{' (cancelled)' if cancelled else ''}")


async def test_work_is_accepted_before_it_waits_and_dropped_if_shutdown_comes_before_its_turn() -> None:
    tasks = BackgroundTasks(max_running=1)
    log: list[str] = []
    running = asyncio.Event()

    async def work(name: str) -> None:
        log.append(f"{name} ran")
        running.set()
        await asyncio.Event().wait()

    for name in ("first", "second", "third"):
        tasks.spawn(work(name), _nobody_told, name=name, admission=_Recorded(log, name))
    async with asyncio.timeout(10):
        await running.wait()
        while len([entry for entry in log if entry.endswith("accepted")]) < 3:
            await asyncio.sleep(0)
    await tasks.cancel_all()

    assert sorted(log) == sorted([
        "first accepted", "second accepted", "third accepted",
        "first ran", "first ended (cancelled)", "second dropped", "third dropped",
    ])


async def test_a_redelivery_the_admission_refuses_never_runs() -> None:
    tasks = BackgroundTasks(max_running=1)
    log: list[str] = []

    async def work() -> None:
        log.append("ran")

    tasks.spawn(work(), _nobody_told, name="again", admission=_Recorded(log, "again", duplicate=True))
    async with asyncio.timeout(10):
        await tasks.wait_idle()
    assert log == ["again accepted"]
