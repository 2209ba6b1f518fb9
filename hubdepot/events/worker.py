"""The delivery task every serve process runs (started from the app's lifespan).

It leases hooks with due deliveries (events/queue.py), drains each leased hook in its own asyncio
task (so a slow or dead receiver holds up only its own hook), and sleeps until the poll interval
passes or a local transaction that wrote deliveries commits. Database work runs in threads; the
HTTP posts run in the task's own thread pool (one thread per hook in flight), never on a request's
path.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from hubdepot.events import outbox, queue
from hubdepot.events.delivery import Outcome, Target

if TYPE_CHECKING:  # (the delivery task is handed the Hub; events sit below services)
    import httpx

    from hubdepot.hub import Hub

log = logging.getLogger("hubdepot.events")
PRUNE_EVERY = 300.0  # seconds
WAKE_DELAY = 0.05  # seconds


class Deliverer:
    def __init__(self, hub: Hub):
        self.hub = hub
        self.settings = hub.settings
        self.owner = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.active: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unregister: Callable[[], None] | None = None
        self._clients: dict[bool, httpx.Client] = {}  # made at the first delivery (sender.client)
        self._clients_lock = threading.Lock()
        self._senders: concurrent.futures.ThreadPoolExecutor | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        loop = asyncio.get_running_loop()
        # a commit that wrote deliveries wakes the task a moment later, once the request that made
        # them has answered (so its own response does not wait behind the deliveries' start)
        self._unregister = outbox.on_commit_wake(
            lambda: loop.call_soon_threadsafe(loop.call_later, WAKE_DELAY, self._wake.set)
        )
        self._senders = concurrent.futures.ThreadPoolExecutor(
            self.settings.webhook_concurrency, thread_name_prefix="hubdepot-webhook"
        )
        self._task = asyncio.create_task(self._run(), name="hubdepot-webhooks")

    async def stop(self) -> None:
        if self._unregister:
            self._unregister()
        for task in [self._task, *self.active.values()]:
            if task is not None:
                task.cancel()
        await asyncio.gather(*(t for t in [self._task, *self.active.values()] if t), return_exceptions=True)
        for client in self._clients.values():
            client.close()
        if self._senders is not None:
            self._senders.shutdown(wait=False, cancel_futures=True)

    # -- the loop --------------------------------------------------------------------------------
    async def _run(self) -> None:
        last_prune = 0.0
        while True:
            self._wake.clear()
            try:
                claimed = await self._claim()
                if time.monotonic() - last_prune > PRUNE_EVERY:
                    last_prune = time.monotonic()
                    await asyncio.to_thread(queue.prune, self.hub)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away for a moment: try again at the next tick
                log.exception("webhook delivery: claiming failed")
                claimed = 0
            if claimed == 0:
                try:
                    await asyncio.wait_for(self._wake.wait(), self.settings.webhook_poll_ms / 1000)
                except TimeoutError:
                    pass

    async def _claim(self) -> int:
        free = self.settings.webhook_concurrency - len(self.active)
        if free <= 0:
            return 0
        ids = await asyncio.to_thread(queue.claim, self.hub, self.owner, free)
        for hook_id in ids:
            self.active[hook_id] = asyncio.create_task(self._drain(hook_id))
        return len(ids)

    async def _drain(self, hook_id: int) -> None:
        """Deliver the hook's due deliveries in order until none is left or the lease is lost. Outcomes
        are recorded a batch at a time (and at least every third of a lease, which renews it): a
        process that dies before recording one leaves it pending, to be sent again."""
        try:
            held = True
            while held:
                target, batch = await asyncio.to_thread(queue.due, self.hub, hook_id)
                if not batch:
                    break
                assert target is not None, "a deleted hook has no due deliveries"
                results, flushed = [], time.monotonic()
                for delivery in batch:
                    results.append((delivery, await self._send(target, delivery)))
                    if time.monotonic() - flushed > self.settings.webhook_lease_seconds / 3:
                        held = await asyncio.to_thread(queue.record, self.hub, hook_id, self.owner, results)
                        results, flushed = [], time.monotonic()
                        if not held:
                            break
                if results:
                    held = await asyncio.to_thread(queue.record, self.hub, hook_id, self.owner, results)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("webhook delivery: hook %s", hook_id)
        finally:
            self.active.pop(hook_id, None)
            try:
                await asyncio.to_thread(queue.release, self.hub, hook_id, self.owner)
            except Exception:
                log.exception("webhook delivery: releasing hook %s", hook_id)
            self._wake.set()  # a slot is free: look for more work

    async def _send(self, target: Target, delivery: queue.Due) -> Outcome:
        call = functools.partial(self._deliver, target, delivery)
        return await asyncio.get_running_loop().run_in_executor(self._senders, call)

    def _deliver(self, target: Target, delivery: queue.Due) -> Outcome:
        """In a sender thread. The HTTP client (httpx, a tenth of a second to load) is loaded on the
        first delivery, here, not when the process starts: a server that sends no webhook never pays it."""
        from hubdepot.events import sender

        with self._clients_lock:
            verify = not target.insecure_ssl
            if verify not in self._clients:
                self._clients[verify] = sender.client(self.settings, verify)
            client = self._clients[verify]
        return sender.send(
            client,
            target,
            delivery.event,
            delivery.guid,
            delivery.payload,
            timeout=self.settings.webhook_timeout,
            max_bytes=self.settings.webhook_payload_max_bytes,
        )
