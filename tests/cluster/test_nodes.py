"""Across web nodes: throttling counts in the shared cache, /metrics sums a node's workers
(prometheus_client's multiprocess mode), sessions and CSRF work whichever node answers, and the
nginx front caches renditions per Accept family and never caches an error."""

from __future__ import annotations

import re
import threading
import time
import uuid

import httpx
import pytest

from deploy.cluster import Cluster
from tests.cluster.load import make_image

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
RATE = 300  # DAM_API_THROTTLE_RATE of the test cluster (tests/cluster/conftest.py), per minute


def _key(cluster: Cluster) -> str:
    from tests.cluster.checks import issue_keys

    return issue_keys(cluster, 1)[0]


def _upload(cluster: Cluster, key: str) -> dict:  # type: ignore[type-arg]
    response = httpx.post(f"{cluster.url}/api/v1/assets/", headers={"Authorization": f"Api-Key {key}"},
                          files={"file": ("n.jpg", make_image(7), "image/jpeg")}, timeout=60)  # fmt: skip
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_throttling_counts_requests_on_every_node_against_one_budget(cluster: Cluster) -> None:
    # given one key, and its budget spent half on each web node (not through nginx)
    key = _key(cluster)
    headers = {"Authorization": f"Api-Key {key}"}
    # (the throttle counts per minute window and weighs the previous minute by its overlap with
    # the sliding minute: spending the budget across a window boundary would refund part of it,
    # so start early in a window)
    remaining = 60 - time.time() % 60
    if remaining < 25:
        time.sleep(remaining + 0.5)
    with httpx.Client(headers=headers, timeout=30) as client:
        statuses = [client.get(f"{cluster.node_url(1 + i % 2)}/api/v1/rendition-specs/").status_code
                    for i in range(RATE)]  # fmt: skip
    assert statuses.count(200) == RATE, f"the budget ran out early: {set(statuses)}"
    # when one more request goes to either node
    extra = [
        httpx.get(f"{cluster.node_url(n)}/api/v1/rendition-specs/", headers=headers, timeout=30)
        for n in (1, 2)
    ]
    # then both refuse it: each node saw the other's requests
    assert [r.status_code for r in extra] == [429, 429]
    assert all(r.json()["code"] == "throttled" and r.headers["Retry-After"] for r in extra)


def test_metrics_sum_the_renders_of_every_worker_of_a_node(cluster: Cluster) -> None:
    # given renders made on web node 2 by both of its gunicorn workers (which worker accepts a
    # connection is the kernel's choice: send rounds of simultaneous cold renders until both did)
    key = _key(cluster)
    asset = _upload(cluster, key)
    log = cluster.procs["web2"].log
    offset = len(log.read_bytes())
    pids: set[str] = set()
    for attempt in range(MAX_ROUNDS):
        _render_simultaneously(cluster, key, asset["id"], widths=range(100 + 8 * attempt, 108 + 8 * attempt))
        lines = [
            line for line in log.read_bytes()[offset:].decode().splitlines() if "rendered asset=" in line
        ]
        assert len(lines) == 8 * (attempt + 1), "every cold render is logged once"
        pids = {re.search(r"pid=(\d+)", line).group(1) for line in lines}  # type: ignore[union-attr]
        if len(pids) == 2:
            break
    assert len(pids) == 2, f"{MAX_ROUNDS} rounds of renders all landed on worker {pids}"
    # when /metrics is scraped once on that node
    text = httpx.get(f"{cluster.node_url(2)}/metrics", timeout=30).text
    # then it counts every worker's renders since the node started (its log has one line each)
    counted = sum(float(v) for v in re.findall(r"^dam_renders_total\{[^}]*\} (\S+)$", text, re.M))
    assert counted == log.read_text().count("rendered asset="), text[:2000]


MAX_ROUNDS = 6


def _render_simultaneously(cluster: Cluster, key: str, asset_id: str, widths: range) -> None:
    specs = [f"width-{w}|format-png" for w in widths]
    signed = httpx.post(f"{cluster.url}/api/v1/assets/{asset_id}/urls/", json={"specs": specs},
                        headers={"Authorization": f"Api-Key {key}"}, timeout=30).json()["urls"]  # fmt: skip
    paths = [re.sub(r"^https?://[^/]+", "", u["url"]) for u in signed]
    answered: list[int] = []
    start = threading.Barrier(len(paths))

    def fetch(path: str) -> None:
        start.wait()
        answered.append(httpx.get(cluster.node_url(2) + path, timeout=60).status_code)

    threads = [threading.Thread(target=fetch, args=(p,)) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answered == [302] * len(specs), answered


def test_a_session_and_its_csrf_token_work_on_either_node(cluster: Cluster) -> None:
    # given a staff account, and the login form served by node 1
    password = uuid.uuid4().hex
    cluster.manage("shell", "-c", "from django.contrib.auth.models import User; "
                   f"User.objects.create_superuser('editor-{password[:6]}', '', '{password}')",
                   env=cluster.app_env)  # fmt: skip
    with httpx.Client(timeout=30) as browser:
        form = browser.get(f"{cluster.node_url(1)}/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        # when it is posted to node 2
        login = browser.post(f"{cluster.node_url(2)}/admin/login/?next=/admin/",
                             data={"csrfmiddlewaretoken": token, "username": f"editor-{password[:6]}",
                                   "password": password},
                             headers={"Origin": cluster.node_url(2), "Referer": f"{cluster.node_url(2)}/admin/login/"})  # fmt: skip
        # then node 2 accepted node 1's token, and node 1 knows the session node 2 started
        assert login.status_code == 302, login.text[:500]
        assert browser.get(f"{cluster.node_url(1)}/admin/").status_code == 200
        # and an API write with the session's CSRF token works on node 1
        asset = _upload(cluster, _key(cluster))
        csrf = browser.cookies["csrftoken"]
        edit = browser.patch(f"{cluster.node_url(1)}/api/v1/assets/{asset['id']}/", json={"title": "edited"},
                             headers={"X-CSRFToken": csrf, "Origin": cluster.node_url(1)})  # fmt: skip
        assert edit.status_code == 200, edit.text[:500]


def test_the_front_caches_renditions_per_accept_family_and_never_errors(cluster: Cluster) -> None:
    # given a format-auto rendition
    key = _key(cluster)
    asset = _upload(cluster, key)
    url = httpx.post(f"{cluster.url}/api/v1/assets/{asset['id']}/urls/", json={"specs": ["width-120|format-auto"]},
                     headers={"Authorization": f"Api-Key {key}"}, timeout=30).json()["urls"][0]["url"]  # fmt: skip

    def get(accept: str, target: str = url) -> httpx.Response:
        return httpx.get(target, headers={"Accept": accept}, timeout=60)

    # when browsers of two families ask twice each
    avif = [get("image/avif,image/webp,*/*"), get("image/avif,image/webp,image/apng,*/*;q=0.8")]
    old = [get("*/*"), get("image/png,*/*")]
    # then the second of each family is a cache hit, and the families got different files
    assert [r.headers["X-Cache-Status"] for r in avif] == ["MISS", "HIT"]
    assert [r.headers["X-Cache-Status"] for r in old] == ["MISS", "HIT"]
    assert avif[0].headers["Location"].endswith(".avif") and old[0].headers["Location"].endswith(".jpg")
    assert avif[1].headers["Vary"] == "Accept" and "immutable" in avif[1].headers["Cache-Control"]
    # and an error (a forged signature) is never served from the cache
    forged = url.rsplit("/", 3)  # …/r/<asset>, <signature>, <spec>, <file>
    forged[1] = "0" * len(forged[1])
    bad = [get("*/*", "/".join(forged)) for _ in range(2)]
    assert [r.status_code for r in bad] == [403, 403]
    assert "HIT" not in [r.headers.get("X-Cache-Status") for r in bad]
