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
