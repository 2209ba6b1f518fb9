"""What GET /metrics reports, in Prometheus' text format (prometheus_client).

Each of granian's worker processes counts its own requests; `hubdepot serve` points
PROMETHEUS_MULTIPROC_DIR (prometheus_client's setting, read when it is imported) at
Settings.metrics_dir before they start, so any one of them (or the serve process, with
HUBDEPOT_METRICS=ADDRESS:PORT) reports the sum. Otherwise (a server made in-process) the one
process's own registry is reported. Values read from the database when asked (webhook
deliveries by state and status) come from `snapshot` functions the caller passes to `render`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = CONTENT_TYPE_LATEST
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

_S = ["surface"]
REQUESTS = Counter("hubdepot_requests", "Requests answered", ["surface", "route", "method", "status"])
LATENCY = Histogram("hubdepot_request_duration_seconds", "Time to answer", _S, buckets=_BUCKETS)
BYTES_IN = Counter("hubdepot_request_body_bytes", "Request body bytes received (uploads, pushes)", _S)
BYTES_OUT = Counter("hubdepot_response_body_bytes", "Answer body bytes sent (downloads, clones)", _S)
READ_CACHE = Counter("hubdepot_read_cache", "Read cache lookups: hit, miss, invalidated", ["result"])
GIT = Counter("hubdepot_git_operations", "git smart HTTP requests, by service and status", ["service", "status"])
IN_FLIGHT = Gauge("hubdepot_requests_in_flight", "Requests being answered", multiprocess_mode="livesum")
POOL = Gauge("hubdepot_db_pool_checked_out", "Database connections in use", multiprocess_mode="livesum")
COHERENT = Gauge("hubdepot_cache_coherent", "1 while caches hear other hosts' writes", multiprocess_mode="livemin")


class Tally:
    """This process's counts since the last flush, kept in plain dictionaries by the event loop's
    thread (a few dictionary updates a request, where prometheus_client's shared values take ~20 us)
    and added to the metrics above by `flush`, which the event loop runs every FLUSH_SECONDS and
    /metrics before it answers."""

    FLUSH_SECONDS = 1.0

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, str, str], int] = {}
        self.latency: dict[str, list[float]] = {}  # surface -> count per bucket (+ inf), then the sum
        self.bytes_in: dict[str, int] = {}
        self.bytes_out: dict[str, int] = {}
        self.cache: dict[str, int] = {}
        self.git: dict[tuple[str, str], int] = {}
        self.in_flight = 0
        self.gauges: dict[str, float] = {}  # the latest pool use and coherence

    def request(self, labels: tuple[str, str, str, str], seconds: float, bytes_in: int, bytes_out: int) -> None:
        self.requests[labels] = self.requests.get(labels, 0) + 1
        surface = labels[0]
        buckets = self.latency.get(surface)
        if buckets is None:
            buckets = self.latency[surface] = [0.0] * (len(_BUCKETS) + 2)
        buckets[bisect.bisect_left(_BUCKETS, seconds)] += 1
        buckets[-1] += seconds
        if bytes_in:
            self.bytes_in[surface] = self.bytes_in.get(surface, 0) + bytes_in
        if bytes_out:
            self.bytes_out[surface] = self.bytes_out.get(surface, 0) + bytes_out

    def flush(self) -> None:
        requests, self.requests = self.requests, {}
        for labels, n in requests.items():
            REQUESTS.labels(*labels).inc(n)
        latency, self.latency = self.latency, {}
        for surface, buckets in latency.items():
            _add_observations(LATENCY.labels(surface), buckets)
        for counts, metric in ((self.bytes_in, BYTES_IN), (self.bytes_out, BYTES_OUT), (self.cache, READ_CACHE)):
            for label, n in list(counts.items()):
                metric.labels(label).inc(n)
            counts.clear()
        git, self.git = self.git, {}
        for pair, n in git.items():
            GIT.labels(*pair).inc(n)
        IN_FLIGHT.set(self.in_flight)
        POOL.set(self.gauges.get("pool", 0))
        COHERENT.set(self.gauges.get("coherent", 1))


def _add_observations(histogram: Histogram, buckets: list[float]) -> None:
    """Add counted observations to a histogram child: its per-bucket values and sum (prometheus_client
    0.26's Histogram keeps non-cumulative buckets in `_buckets` and the total in `_sum`)."""
    for i, n in enumerate(buckets[:-1]):
        if n:
            histogram._buckets[i].inc(n)
    histogram._sum.inc(buckets[-1])


TALLY = Tally()


class Asked(Collector):
    """Families computed when asked (`compute()`, e.g. a database query), not counted as they happen."""

    def __init__(self, compute: Callable[[], Iterable[GaugeMetricFamily]]):
        self.compute = compute

    def collect(self) -> Iterator[Metric]:
        return iter(self.compute())


def webhook_families(rows: Iterable[tuple[str, int, int]]) -> list[GaugeMetricFamily]:
    """(state, status code, count) of the deliveries kept -> the webhook gauges."""
    backlog = GaugeMetricFamily("hubdepot_webhook_queue_depth", "Webhook deliveries waiting to be sent")
    results = GaugeMetricFamily(
        "hubdepot_webhook_deliveries",
        "Webhook deliveries kept (retention), by result status code",
        labels=["status_code"],
    )
    pending, done = 0, dict[str, int]()
    for state, status_code, count in rows:
        if state == "pending":
            pending += count
        else:
            done[str(status_code)] = done.get(str(status_code), 0) + count
    backlog.add_metric([], pending)
    for label, total in sorted(done.items()):
        results.add_metric([label], total)
    return [backlog, results]


def shared() -> bool:
    """Whether this process counts in the shared directory (multiprocess mode)."""
    return bool(values.ValueClass.__name__ == "MmapedValue")


def registry(directory: Path, asked: Callable[[], Iterable[GaugeMetricFamily]]) -> CollectorRegistry:
    """Every process's counts (multiprocess mode, kept in `directory`), then what `asked` computes."""
    out = CollectorRegistry()
    collector: Callable[..., object] = multiprocess.MultiProcessCollector  # (unannotated in prometheus_client 0.26)
    collector(out, path=str(directory))
    out.register(Asked(asked))
    return out


def render(directory: Path, asked: Callable[[], Iterable[GaugeMetricFamily]]) -> bytes:
    """The text for GET /metrics: the shared counts, or in a lone process its own (then `asked`)."""
    if shared():
        return generate_latest(registry(directory, asked))
    extra = CollectorRegistry()
    extra.register(Asked(asked))
    return generate_latest(REGISTRY) + generate_latest(extra)
