"""The library page: grid by default, the table on request (remembered), search, filters and pages
in both, and a paginator that never counts a large table row by row."""

from __future__ import annotations

import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assets.editor import paginator as paging
from assets.ingest import AssetFields, ingest
from assets.models import Asset
from tests import images

pytestmark = pytest.mark.django_db
LIBRARY = "/admin/assets/asset/"


def add(name: str, data: bytes | None = None, **fields: object) -> Asset:
    return ingest(io.BytesIO(data or images.jpeg()), filename=name, fields=AssetFields(**fields))  # type: ignore[arg-type]


def test_the_library_is_a_grid_of_cards_by_default(admin_client) -> None:
    # given
    add("harbour.jpg", images.jpeg((800, 400)), tags=["sea", "news"])
    add("logo.png", images.png((300, 300)), title="Logo")
    # when
    page = admin_client.get(LIBRARY).content.decode()
    # then each card has its picture (lazy, with a 2x candidate), title, format, size and tags
    assert 'class="library-grid"' in page
    cards = re.findall(r'<tr class="library-card.*?</tr>', page, re.S)
    assert len(cards) == 2
    logo, harbour = cards
    assert "harbour" in harbour and "JPEG · 800×400" in harbour and ">news<" in harbour and ">sea<" in harbour
    assert "Logo" in logo and "PNG · 300×300" in logo
    assert re.search(r'<img src="/r/[^"]+" srcset="/r/\S+ 1x, /r/\S+ 2x" alt="" loading="lazy"', harbour)


def test_a_cards_remembered_url_is_the_one_the_delivery_expects(admin_client, settings) -> None:
    from assets.editor import library
    from renditions import services

    def card_url() -> str:
        return re.search(r'<img src="(/r/[^"]+)"', admin_client.get(LIBRARY).content.decode())[1]

    def expected() -> str:
        return services.adhoc_url(Asset.objects.get(), library.CARD_1X)

    # given a card the library has shown (its signed URLs now remembered)
    add("harbour.jpg", images.jpeg((800, 400)))
    shown = card_url()
    assert shown == expected()
    # when the file's checksum changes (a replaced file), then the card shows the new URL
    Asset.objects.update(sha256="ab" * 32)
    replaced = card_url()
    assert replaced == expected() != shown
    # and when the signing keys change, the URL signed with the new key
    settings.DAM_URL_SIGNING_KEYS = ["another-key-of-at-least-32-characters!"]
    resigned = card_url()
    assert resigned == expected() != replaced


@pytest.mark.parametrize("view", ["grid", "table"])
def test_an_empty_page_says_whether_the_library_or_the_search_is_empty(admin_client, view) -> None:
    from assets.models import Collection

    admin_client.get(LIBRARY, {"view": view})
    # given an empty library: it says so, and offers an upload
    assert "No images here yet." in admin_client.get(LIBRARY).content.decode()
    # given images, and a search or a filter that matches none of them
    root = Collection.default()
    features = Collection.objects.add_child(root, create_kwargs={"name": "Features"})
    travel = Collection.objects.add_child(features, create_kwargs={"name": "Travel"})
    add("harbour.jpg", collection_id=travel.pk)
    searched = admin_client.get(LIBRARY, {"q": "zzz"}).content.decode()
    filtered = admin_client.get(LIBRARY, {"collection": features.pk}).content.decode()
    # then neither claims the library is empty; each offers a way out
    for page in (searched, filtered):
        assert "No images here yet." not in page and "No assets match this search or filter." in page
        assert f'<a href="{LIBRARY}">Clear the search and filters</a>' in page
    # and a collection whose images are all below it offers its sub-collections
    assert "subcollections=1" in filtered and "Include its sub-collections" in filtered
    assert (
        "harbour"
        in admin_client.get(LIBRARY, {"collection": features.pk, "subcollections": "1"}).content.decode()
    )


def test_a_card_shows_status_when_not_ready_with_the_reason_on_hover(admin_client) -> None:
    asset = add("broken.jpg")
    Asset.objects.filter(pk=asset.pk).update(status="failed", failure_reason="corrupt_image: cannot decode")
    page = admin_client.get(LIBRARY).content.decode()
    assert '<span class="library-badge is-failed" title="corrupt_image: cannot decode">failed</span>' in page


def test_ready_cards_have_no_badge(admin_client) -> None:
    add("fine.jpg")
    assert "library-badge" not in admin_client.get(LIBRARY).content.decode()


def test_the_table_view_is_remembered(admin_client) -> None:
    add("harbour.jpg")
    # when the editor switches to the table (keeping a filter)
    response = admin_client.get(LIBRARY, {"view": "table", "format__exact": "JPEG"})
    # then the list comes back without the parameter, and stays a table
    assert response.status_code == 302 and response["Location"] == f"{LIBRARY}?format__exact=JPEG"
    assert 'class="library-table"' in admin_client.get(LIBRARY).content.decode()
    admin_client.get(LIBRARY, {"view": "grid"})
    assert 'class="library-grid"' in admin_client.get(LIBRARY).content.decode()


@pytest.mark.parametrize("view", ["grid", "table"])
@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"q": "boats"}, "harbour", "Logo"),  # alt text
        ({"q": "sea"}, "harbour", "Logo"),  # tag
        ({"q": "logo.png"}, "Logo", "harbour"),  # file name
        ({"q": "harbour boats"}, "harbour", "Logo"),  # every word must match
        ({"format__exact": "PNG"}, "Logo", "harbour"),
        ({"tags__id__exact": "__sea__"}, "harbour", "Logo"),
    ],
)
def test_search_and_filters_in_both_views(admin_client, view, params, shown, hidden) -> None:
    # given
    harbour = add("harbour.jpg", alt_text="boats", tags=["sea"])
    add("logo.png", images.png(), title="Logo")
    if params.get("tags__id__exact") == "__sea__":
        params = {"tags__id__exact": str(harbour.tags.get().pk)}
    admin_client.get(LIBRARY, {"view": view})
    # when
    page = admin_client.get(LIBRARY, params).content.decode()
    # then
    assert shown in page and hidden not in page
    assert "1 result" in page


def test_the_tag_filter_lists_the_most_used_tags_and_the_chosen_one(admin_client) -> None:
    # given 25 tags, tag-00 on 25 assets down to tag-24 on one, and one tag on nothing
    from assets.models import Tag

    tags = [Tag.objects.create(name=f"tag-{i:02d}") for i in range(25)]
    Tag.objects.create(name="unused")
    for n in range(25):
        asset = Asset.objects.create(
            title=f"a{n}", file=f"x/{n}.jpg", original_filename="x.jpg", content_type="image/jpeg",
            format="JPEG", byte_size=1, width=10, height=10, sha256=f"{n:064x}", mode="RGB",
        )  # fmt: skip
        asset.tags.set(tags[: 25 - n])
    # when the library is shown, then with a rarely used tag chosen
    shown = set(re.findall(r">(tag-\d\d|unused)</a>", admin_client.get(LIBRARY).content.decode()))
    chosen = admin_client.get(LIBRARY, {"tags__id__exact": str(tags[24].pk)}).content.decode()
    # then the 20 most used are offered (never an unused one), and a chosen tag stays in the list
    assert shown == {f"tag-{i:02d}" for i in range(20)}
    assert ">tag-24</a>" in chosen and "the 20 most used" in chosen  # said only when some are left out


def test_the_tag_filter_names_its_none_choice(admin_client) -> None:
    # given a tagged and an untagged asset
    add("harbour.jpg", tags=["sea"])
    add("logo.png", images.png(), title="Logo")
    # when the untagged ones are asked for
    page = admin_client.get(LIBRARY, {"tags__isnull": "True"}).content.decode()
    assert "most used" not in page  # every tag in use is listed
    # then the filter says "No tags" (not Django's bare "-") and only the untagged asset is shown
    assert ">No tags</a>" in page and "Logo" in page and "harbour" not in page


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        ({"tags__isnull": "False"}, "1 result"),
        ({"tags__isnull": "True"}, "1 result"),
        ({"tags__id__exact": "__sea__"}, "1 result"),
    ],
)
def test_the_tag_filter_shows_each_asset_once_without_distinct(admin_client, params, shown) -> None:
    # given an asset with two tags (a join would list it twice) and one without
    harbour = add("harbour.jpg", tags=["sea", "news"])
    add("logo.png", images.png(), title="Logo")
    if params.get("tags__id__exact") == "__sea__":
        params = {"tags__id__exact": str(harbour.tags.get(name="sea").pk)}
    # when
    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get(LIBRARY, params).content.decode()
    # then the tag filter is a subquery: no DISTINCT (it sorted every tagged asset's row)
    assert shown in page and page.count('<tr class="library-card') == 1
    assert not [q for q in queries.captured_queries if "DISTINCT" in q["sql"]]


def test_a_bad_tag_id_is_an_incorrect_lookup(admin_client) -> None:
    add("harbour.jpg", tags=["sea"])
    response = admin_client.get(LIBRARY, {"tags__id__exact": "sea"})
    assert response.status_code == 302 and "e=1" in response["Location"]  # the admin's "?e=1"


@pytest.mark.parametrize("view", ["grid", "table"])
def test_pages_in_both_views(admin_client, view, settings) -> None:
    for index in range(50):
        Asset.objects.create(
            title=f"asset-{index:02d}", file=f"x/{index}.jpg", original_filename="x.jpg", content_type="image/jpeg",
            format="JPEG", byte_size=1, width=10, height=10, sha256=f"{index:064x}", mode="RGB",
        )  # fmt: skip
    admin_client.get(LIBRARY, {"view": view})
    first = admin_client.get(LIBRARY).content.decode()
    second = admin_client.get(LIBRARY, {"p": "2"}).content.decode()
    assert "asset-49" in first and "asset-01" not in first
    assert "asset-01" in second and "asset-49" not in second
    assert "50 assets" in first


@pytest.mark.parametrize("view", ["grid", "table"])
def test_a_page_costs_the_same_queries_for_few_or_many_assets(
    admin_client, view, django_assert_max_num_queries
) -> None:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assets.admin import TagFilter

    admin_client.get(LIBRARY, {"view": view})
    add("first.jpg", tags=["first"])
    cache.delete(TagFilter.CACHE_KEY)  # both pages count the most used tags (the worst case)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(LIBRARY).status_code == 200
    for index in range(30):
        add(f"a{index}.jpg", tags=[f"tag{index}"])
    cache.delete(TagFilter.CACHE_KEY)
    # session, user, the collections tree, the tag filter, the count (on PostgreSQL: the planner's
    # estimate first, then a capped count), the page, its tags (prefetch), its usage counts
    with django_assert_max_num_queries(10), CaptureQueriesContext(connection) as many:
        assert admin_client.get(LIBRARY).status_code == 200
    assert len(many) == len(few)


@pytest.mark.parametrize("view", ["grid", "table"])
def test_a_search_page_plans_its_search_once(admin_client, view, django_assert_max_num_queries) -> None:
    # given a few matches, and the tag filter's most used tags already cached
    admin_client.get(LIBRARY, {"view": view})
    for index in range(3):
        add(f"harbour{index}.jpg", title="harbour", tags=["sea"])
    admin_client.get(LIBRARY, {"q": "harbour"})
    # when it is searched: session, user, the collections tree, the planner's estimate (PostgreSQL:
    # whether to rank, then how to count, asked once), the capped count, the page, its tags, its usages
    with django_assert_max_num_queries(8), CaptureQueriesContext(connection) as queries:
        page = admin_client.get(LIBRARY, {"q": "harbour"}).content.decode()
    # then
    assert "3 results" in page
    assert len([q for q in queries.captured_queries if q["sql"].startswith("EXPLAIN")]) <= 1


def test_the_library_never_counts_the_whole_table(admin_client, django_assert_num_queries) -> None:
    """Django's stock changelist counts twice (filtered and total); the library once, at most."""
    add("a.jpg")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        admin_client.get(LIBRARY)
    # Counts of the assets table (the page's "used ×N" markers count usages of its rows only).
    counts = [q["sql"] for q in queries.captured_queries
              if "COUNT(" in q["sql"].upper() and 'FROM "assets_asset"' in q["sql"]]  # fmt: skip
    assert len(counts) <= 1


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL statistics")


@postgres_only
def test_an_unfiltered_count_past_the_limit_is_postgres_statistics(monkeypatch) -> None:
    # given more rows than the exact limit, and fresh statistics
    monkeypatch.setattr(paging, "EXACT_COUNT_LIMIT", 3)
    for index in range(6):
        add(f"a{index}.jpg")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Asset._meta.db_table}")
    # when
    pages = paging.EstimatedCountPaginator(Asset.objects.all(), 2)
    # then
    assert pages.count == 6 and pages.estimated


@postgres_only
def test_a_filtered_count_past_the_limit_is_the_planners_estimate(monkeypatch) -> None:
    monkeypatch.setattr(paging, "FILTERED_EXACT_LIMIT", 3)
    for index in range(6):
        add(f"a{index}.jpg")
    pages = paging.EstimatedCountPaginator(Asset.objects.filter(format="JPEG"), 2)
    assert pages.count >= 4 and pages.estimated


def test_small_counts_are_exact(monkeypatch) -> None:
    for index in range(3):
        add(f"a{index}.jpg")
    pages = paging.EstimatedCountPaginator(Asset.objects.all(), 2)
    assert pages.count == 3 and not pages.estimated
    assert pages.num_pages == 2


def test_the_about_label_is_shown_for_estimates(admin_client, monkeypatch) -> None:
    add("a.jpg")
    monkeypatch.setattr(paging.EstimatedCountPaginator, "estimated", True)
    assert "about 1 asset" in admin_client.get(LIBRARY).content.decode()


def test_upload_link_on_the_library(admin_client) -> None:
    assert reverse("admin:assets_asset_upload") in admin_client.get(LIBRARY).content.decode()
