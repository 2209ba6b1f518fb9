"""While the app serves, the collector's first generation waits for GC_THRESHOLDS[0] more live
container objects (not Python's 700: the requests in flight hold more than that between them, and a
collection every few requests cost 5-8% of the requests a worker answers); when it stops, the
thresholds it found come back (tests and commands sharing the process keep theirs)."""

from __future__ import annotations

import asyncio
import gc

from hubdepot.app import GC_THRESHOLDS, create_app
from hubdepot.config import Settings


def test_serving_raises_the_first_generation_threshold_and_gives_it_back(tmp_path):
    app = create_app(Settings.load(data_dir=tmp_path / "data", metrics="off"), deliver=False)
    before = gc.get_threshold()
    seen: list[tuple[int, ...]] = []

    async def serve() -> None:
        async with app.router.lifespan_context(app):
            seen.append(gc.get_threshold())
            garbage = []  # a cycle made while serving is still collected
            garbage.append(garbage)
            del garbage
            assert gc.collect(0) >= 1

    try:
        asyncio.run(serve())
        assert seen == [GC_THRESHOLDS]
        assert GC_THRESHOLDS[0] > 700
        assert gc.get_threshold() == before
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
