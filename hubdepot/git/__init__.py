"""Git storage: the only importer of pygit2. Bare repositories, no work trees; hubdepot dataclasses out."""

import dataclasses
import time


@dataclasses.dataclass(frozen=True)
class Identity:
    """An author or committer: name, email, and a time (epoch seconds) with offset (minutes)."""

    name: str
    email: str
    time: int = dataclasses.field(default_factory=lambda: int(time.time()))
    offset: int = 0
