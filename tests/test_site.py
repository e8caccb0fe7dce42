"""The site around the admin: the landing page, the favicon, the admin index grouped by task."""

from __future__ import annotations

import re

import pytest

from dam.admin_site import GROUPS, group


def test_the_landing_page_links_the_admin_the_api_docs_and_health(client) -> None:
    page = client.get("/").content.decode()
    for link in ("/admin/", "/api/docs/", "/healthz"):
        assert f'href="{link}"' in page
    assert 'rel="icon"' in page


def test_the_favicon_is_served(client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith(".svg")


@pytest.mark.django_db
def test_the_admin_pages_carry_the_favicon(admin_client) -> None:
    assert 'rel="icon" href="/static/dam/favicon.svg"' in admin_client.get("/admin/").content.decode()


@pytest.mark.django_db
def test_the_admin_index_is_grouped_by_task(admin_client) -> None:
    page = admin_client.get("/admin/").content.decode()
    captions = re.findall(r'<caption>\s*<a href="[^"]*" class="section"[^>]*>([^<]+)</a>', page)
    assert captions[:3] == ["Library", "Renditions", "Integrations"]
    library = page.split(">Library</a>")[1].split("</table>")[0]
    assert re.findall(r'<th scope="row" id="[^"]+">\s*<a href="[^"]+">([^<]+)</a>', library) == [
        "Assets", "Collections", "Tags",
    ]  # fmt: skip


def test_grouping_keeps_other_apps_and_drops_groups_a_user_cannot_see() -> None:
    apps = [
        {
            "app_label": "assets",
            "name": "Assets",
            "models": [{"object_name": "Tag"}, {"object_name": "ApiKey"}],
        },
        {"app_label": "auth", "name": "Auth", "models": [{"object_name": "User"}]},
    ]
    grouped = group(apps)
    assert [(a["name"], [m["object_name"] for m in a["models"]]) for a in grouped] == [
        ("Library", ["Tag"]), ("Integrations", ["ApiKey"]), ("Auth", ["User"]),
    ]  # fmt: skip
    assert {name for name, _ in GROUPS} == {"Library", "Renditions", "Integrations"}


def crumbs(page: str) -> list[tuple[str, str]]:
    trail = page.split('<div class="breadcrumbs">', 1)[1].split("</div>", 1)[0]
    return re.findall(r'<a href="([^"]+)">([^<]+)</a>', trail)


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "group", "target"), [
    ("/admin/assets/apikey/", "Integrations", "/admin/assets/apikey/"),
    ("/admin/assets/webhookendpoint/add/", "Integrations", "/admin/assets/apikey/"),
    ("/admin/renditions/renditionspec/", "Renditions", "/admin/renditions/renditionspec/"),
    ("/admin/assets/tag/", "Library", "/admin/assets/asset/"),
    ("/admin/auth/user/", "Authentication and Authorization", "/admin/auth/"),  # in no group: its app
])  # fmt: skip
def test_the_breadcrumbs_name_the_sidebars_group(admin_client, path: str, group: str, target: str) -> None:
    # when an editor opens a page of the admin
    page = admin_client.get(path).content.decode()
    # then the trail names the group the sidebar files it under, linked as the sidebar links it
    assert crumbs(page)[:2] == [("/admin/", "Home"), (target, group)]
