"""Prometheus metrics at /metrics, for the operator's scraper only: it must send
`Authorization: Bearer <COFFRE_METRICS_TOKEN>`. While no token is set, /metrics does not exist.

The counters are this process's (vault/metrics.py, and the requests counted by
webui/observability.py); the key figures are read from the database at each scrape, so every
instance shows the same."""

import hashlib
import hmac
from collections.abc import Iterator

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from vault.keylife.key_status import key_figures
from vault.runtime import Runtime
from webui.deps import RuntimeDep

REQUESTS = Counter(
    "coffre_http_requests",
    "Requests answered, by method, route template and status class (2xx, 4xx...).",
    ["method", "route", "status"],
)
REQUEST_DURATION = Histogram(
    "coffre_http_request_duration_seconds",
    "Time from a request's arrival to the last byte of its answer.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)

router = APIRouter()


class KeyFiguresCollector(Collector):
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.rt.readers() as db:
            figures = key_figures(db)
        by_version = GaugeMetricFamily(
            "coffre_user_keys_by_master_version",
            "User keys wrapped by each master key version.",
            labels=["version"],
        )
        for version, count in figures.user_keys_by_master_version.items():
            by_version.add_metric([str(version)], count)
        yield by_version
        jobs = GaugeMetricFamily(
            "coffre_key_jobs_unfinished",
            "Key rotations and re-encryptions started and not finished, by kind.",
            labels=["kind"],
        )
        for kind, count in figures.unfinished_jobs.items():
            jobs.add_metric([kind], count)
        yield jobs
        yield GaugeMetricFamily(
            "coffre_master_rotation_keys_left",
            "User keys the unfinished master key rotation has still to re-wrap (0: none running).",
            value=figures.master_rotation_left,
        )


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, rt: RuntimeDep) -> Response:
    expected = rt.settings.metrics_token
    if expected is None or not expected.get_secret_value():
        raise HTTPException(status_code=404)
    # Digests of equal length, compared in constant time: neither the token nor its length
    # can be guessed from the time an answer takes.
    if not hmac.compare_digest(
        _digest(_bearer_token(request)), _digest(expected.get_secret_value())
    ):
        return Response(status_code=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    # The key figures are read now, for this scrape only.
    keys = CollectorRegistry()
    keys.register(KeyFiguresCollector(rt))
    body = generate_latest(REGISTRY) + generate_latest(keys)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
