"""git/lock: the repository lock a push holds (repo_lock_async) keeps out a writer that runs next on
the very worker thread that waited for it (the pool hands threads back), and try_repo_lock sees it."""

from __future__ import annotations

import asyncio
import threading

import anyio.to_thread

from hubdepot.git.lock import repo_lock, repo_lock_async, try_repo_lock


def test_a_push_lock_keeps_out_a_writer_on_the_thread_that_waited_for_it(tmp_path):
    git_dir = tmp_path / "r.git"
    entered = threading.Event()

    def writer() -> None:
        with repo_lock(git_dir):
            entered.set()

    def probe() -> bool:
        with try_repo_lock(git_dir) as taken:
            return taken

    async def main() -> None:
        async with repo_lock_async(git_dir):
            assert await anyio.to_thread.run_sync(probe) is False
            waiting = asyncio.ensure_future(anyio.to_thread.run_sync(writer))  # the same idle worker
            await asyncio.sleep(0.3)
            assert not entered.is_set()  # it waits for the push
        await waiting
        assert entered.is_set()

    asyncio.run(main())
