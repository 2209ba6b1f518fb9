"""Webhooks of repositories (/repos/{o}/{r}/hooks) and organisations (/orgs/{org}/hooks): the hooks,
their config, pings and tests, the deliveries log (cursor pages) and redelivery."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from hubdepot import errors
from hubdepot.api._base import Req, Table, endpoint, json_response, no_content, paged_response
from hubdepot.api._fields import field
from hubdepot.api._pagination import page_of
from hubdepot.representations import hooks as rep
from hubdepot.services import Row
from hubdepot.services import hooks as service

DOCS = "https://docs.github.com/rest/repos/webhooks"
ORG_DOCS = "https://docs.github.com/rest/orgs/webhooks"
_CURSOR = re.compile(r"^v1_([0-9]{1,18})$")


def _scope(req: Req) -> service.Scope:
    if "org" in req.params:
        return service.org_scope(req.hub, req.actor, req.params["org"])
    return service.repo_scope(req.actor, req.repo())


def _hook(req: Req, scope: service.Scope, row: Row) -> dict[str, Any]:
    if scope.repo is not None:
        return rep.hook(req.hub.urls, scope.repo.full_name, row)
    return rep.org_hook(req.hub.urls, scope.owner.login, row)


def _spec(data: dict[str, Any], create: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    for name, kind in (
        ("name", str),
        ("config", dict),
        ("events", list),
        ("add_events", list),
        ("remove_events", list),
        ("active", bool),
    ):
        if not create or name not in ("add_events", "remove_events"):
            value = field(data, name, kind, required=create and name == "config", default=KeyError)
            if value is not KeyError:
                spec[name] = value
    return spec


@endpoint(f"{DOCS}#list-repository-webhooks")
def list_(req: Req) -> Response:
    scope, page = _scope(req), req.page()
    rows, total = service.list_hooks(req.hub, scope, page.offset, page.size)
    return paged_response(req, [_hook(req, scope, r) for r in rows], total, page)


@endpoint(f"{DOCS}#create-a-repository-webhook")
def create(req: Req) -> Response:
    actor, scope = req.need_actor(), _scope(req)
    row = service.create_hook(req.hub, actor, scope, _spec(req.json(), create=True))
    body = _hook(req, scope, row)
    return json_response(req, body, status=201, headers={"location": body["url"]})


@endpoint(f"{DOCS}#get-a-repository-webhook")
def get(req: Req) -> Response:
    scope = _scope(req)
    return json_response(req, _hook(req, scope, service.get_hook(req.hub, scope, req.params["hook_id"])))


@endpoint(f"{DOCS}#update-a-repository-webhook")
def update(req: Req) -> Response:
    scope = _scope(req)
    row = service.update_hook(req.hub, scope, req.params["hook_id"], _spec(req.json(), create=False))
    return json_response(req, _hook(req, scope, row))


@endpoint(f"{DOCS}#delete-a-repository-webhook")
def delete(req: Req) -> Response:
    service.delete_hook(req.hub, _scope(req), req.params["hook_id"])
    return no_content()


@endpoint(f"{DOCS}#get-a-webhook-configuration-for-a-repository")
def config(req: Req) -> Response:
    return json_response(req, rep.webhook_config(service.get_hook(req.hub, _scope(req), req.params["hook_id"])))


@endpoint(f"{DOCS}#update-a-webhook-configuration-for-a-repository")
def update_config(req: Req) -> Response:
    row = service.update_config(req.hub, _scope(req), req.params["hook_id"], req.json())
    return json_response(req, rep.webhook_config(row))


@endpoint(f"{DOCS}#ping-a-repository-webhook")
def ping(req: Req) -> Response:
    actor, scope = req.need_actor(), _scope(req)
    service.ping(req.hub, actor, scope, req.params["hook_id"])
    return no_content()


@endpoint(f"{DOCS}#test-the-push-repository-webhook")
def test(req: Req) -> Response:
    actor, scope = req.need_actor(), _scope(req)
    service.test_push(req.hub, actor, scope, req.params["hook_id"])
    return no_content()


def _cursor(req: Req) -> int | None:
    value = req.query.get("cursor")
    if not value:
        return None
    found = _CURSOR.match(value)
    if not found:
        raise errors.BadRequest("Invalid cursor")
    return int(found.group(1))


@endpoint(f"{DOCS}#list-deliveries-for-a-repository-webhook")
def deliveries(req: Req) -> Response:
    scope, size = _scope(req), page_of(req.query).size
    rows, more = service.deliveries(req.hub, scope, req.params["hook_id"], _cursor(req), size)
    headers = None
    if more:
        params = [(k, v) for k, v in req.query.multi_items() if k not in ("cursor", "per_page")]
        params += [("per_page", str(size)), ("cursor", f"v1_{rows[-1].id}")]
        headers = {"link": f'<{req.self_url().split("?")[0]}?{urlencode(params)}>; rel="next"'}
    return json_response(req, [rep.hook_delivery_item(r) for r in rows], headers=headers)


@endpoint(f"{DOCS}#get-a-delivery-for-a-repository-webhook")
def delivery(req: Req) -> Response:
    row = service.delivery(req.hub, _scope(req), req.params["hook_id"], req.params["delivery_id"])
    return json_response(req, rep.hook_delivery(row, row.url))


@endpoint(f"{DOCS}#redeliver-a-delivery-for-a-repository-webhook")
def redeliver(req: Req) -> Response:
    service.redeliver(req.hub, _scope(req), req.params["hook_id"], req.params["delivery_id"])
    return json_response(req, {}, status=202)


def _routes(prefix: str, with_test: bool) -> Table:
    one = prefix + "/hooks/{hook_id:int}"
    routes: Table = [
        (("GET",), prefix + "/hooks", list_),
        (("POST",), prefix + "/hooks", create),
        (("GET",), one, get),
        (("PATCH",), one, update),
        (("DELETE",), one, delete),
        (("GET",), one + "/config", config),
        (("PATCH",), one + "/config", update_config),
        (("POST",), one + "/pings", ping),
        (("GET",), one + "/deliveries", deliveries),
        (("GET",), one + "/deliveries/{delivery_id:int}", delivery),
        (("POST",), one + "/deliveries/{delivery_id:int}/attempts", redeliver),
    ]
    # a repository's hook can be tested, at /tests and at the test_url its representation gives (/test)
    tests: Table = [(("POST",), one + "/tests", test), (("POST",), one + "/test", test)]
    return routes + (tests if with_test else [])


ROUTES = _routes("/repos/{owner}/{repo}", True) + _routes("/orgs/{org}", False)
