"""The library's search (assets/search.py) behind the API's ``q`` and the admin's search box: words,
prefix, file-name fragments, tags, ranking, a document that stays current, hostile input; on
PostgreSQL, that the indexes are used."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from assets import search as searching
from assets.models import Asset, Tag

pytestmark = pytest.mark.django_db
LIBRARY = "/admin/assets/asset/"
ASSETS = "/api/v1/assets/"
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's indexes and planner"
)
_made = [0]


def asset(filename: str = "x.jpg", *, tags: tuple[str, ...] = (), age: int = 0, **fields: str) -> Asset:
    """A row (no file: search reads none); ``age`` seconds old, so "newest first" is certain."""
    _made[0] += 1
    made = Asset.objects.create(
        file=f"x/{_made[0]}.jpg", original_filename=filename, content_type="image/jpeg", format="JPEG",
        byte_size=1, width=10, height=10, sha256=f"{_made[0]:064x}", mode="RGB", **fields,
    )  # fmt: skip
    Asset.objects.filter(pk=made.pk).update(created_at=timezone.now() - timedelta(seconds=age))
    made.tags.set([Tag.objects.get_or_create(name=name)[0] for name in tags])
    return made


def found(term: str) -> list[Asset]:
    queryset = searching.search(Asset.objects.all(), term)
    return list(queryset.order_by(*(searching.ordering(queryset) or ("-created_at", "-id"))))


def titles(term: str) -> list[str]:
    return [a.title for a in found(term)]


# --- what matches ----------------------------------------------------------------------------------


def test_every_word_must_match_in_any_searched_field() -> None:
    # given one word in each field
    asset(title="Harbour at dawn")
    asset(title="alt", alt_text="boats in the harbour")
    asset(title="caption", caption="A quiet harbour, seen from the boats")
    asset(title="credit", credit="Harbour Press Agency")
    asset("harbour-view.jpg", title="file")
    asset(title="tag", tags=("harbour",))
    asset(title="other", caption="mountains")
    # when / then
    assert set(titles("harbour")) == {"Harbour at dawn", "alt", "caption", "credit", "file", "tag"}
    assert set(titles("HARBOUR boats")) == {"alt", "caption"}  # case-insensitive, every word
    assert titles("harbour mountains") == []


def test_the_last_word_is_a_prefix_the_others_whole_words() -> None:
    asset(title="Harbour boats")
    assert titles("harb") == ["Harbour boats"]  # as you type
    assert titles("boats harb") == ["Harbour boats"]
    assert titles("harb boats") == []  # "harb" is not the last word: a whole word is needed
    assert titles("arbour") == []  # words match from their start


def test_file_name_fragments() -> None:
    # given
    asset("DSC_0042.jpg", title="camera")
    asset("IMG_20260101_0042.png", title="phone")
    asset("logo.png", title="logo")
    # then words of the file name, and fragments of 3 characters or more, find it
    assert titles("dsc") == ["camera"]
    assert set(titles("0042")) == {"camera", "phone"}
    assert titles("DSC_0042") == ["camera"]
    assert titles("dsc_0042.jpg") == ["camera"]
    assert set(titles("042")) == {"camera", "phone"}  # a fragment inside a word
    assert titles("C_004") == ["camera"]
    assert titles("42") == []  # too short for a fragment, and no word starts with it


def test_unicode_words() -> None:
    asset(title="Café in Zürich")
    asset(title="Привет мир")
    asset(title="東京の夜")
    assert titles("zürich") == ["Café in Zürich"]
    assert titles("CAFÉ") == ["Café in Zürich"]
    assert titles("привет") == ["Привет мир"]
    assert titles("東京") == ["東京の夜"]


# --- ranking ----------------------------------------------------------------------------------------


def test_title_before_tags_and_alt_text_before_caption_and_credit_before_file_name() -> None:
    # given the word in one field each, the weakest match newest
    asset("storm.jpg", title="in the file name", age=1)
    asset(title="in the caption", caption="storm over the bay", age=2)
    asset(title="in the alt text", alt_text="a storm", age=3)
    asset(title="Storm", age=4)  # the oldest
    # when / then
    assert titles("storm") == ["Storm", "in the alt text", "in the caption", "in the file name"]


def test_ties_are_newest_first() -> None:
    asset(title="Storm", age=30)
    asset(title="Storm", caption="second", age=10)
    asset(title="Storm", caption="third", age=20)
    assert [a.caption for a in found("storm")] == ["second", "third", ""]


def test_a_very_common_word_lists_newest_first(monkeypatch) -> None:
    # given a word in more rows than are ranked, another in fewer (fresh statistics: PostgreSQL
    # decides by the planner's estimate, SQLite by counting)
    monkeypatch.setattr(searching, "RANK_LIMIT", 100)
    _many(600)  # "sample N" in every alt text, N = 0..49
    # when / then the common word is not ranked: newest first
    common = searching.search(Asset.objects.all(), "sample")
    assert searching.ordering(common) is None
    assert titles("sample")[:3] == ["photo 599", "photo 598", "photo 597"]  # auto_now_add: made last, newest
    # and a rarer search is
    assert searching.ordering(searching.search(Asset.objects.all(), "sample 7")) is not None
    assert titles("sample 7")[0].startswith("photo 7")  # a title match first


# --- the document stays current ---------------------------------------------------------------------


def test_edits_and_tag_changes_are_found_at_once() -> None:
    # given
    item = asset(title="Old title", tags=("sea",))
    assert titles("sea") == ["Old title"]
    # when the title is edited through save()
    item.title = "Sunset"
    item.save()
    # then
    assert titles("sunset") == ["Sunset"] and titles("old") == []
    # when tags are added and removed
    item.tags.add(Tag.objects.create(name="harbour"))
    assert titles("harbour") == ["Sunset"]
    item.tags.remove(Tag.objects.get(name="sea"))
    assert titles("sea") == []
    # when a tag is renamed
    Tag.objects.filter(name="harbour").update(name="port")
    assert titles("port") == ["Sunset"] and titles("harbour") == []
    tag = Tag.objects.get(name="port")
    tag.name = "quay"
    tag.save()
    assert titles("quay") == ["Sunset"] and titles("port") == []
    # when a tag is deleted
    tag.delete()
    assert titles("quay") == []
    # when a QuerySet.update() writes a searched field
    Asset.objects.filter(pk=item.pk).update(credit="Reuters")
    assert titles("reuters") == ["Sunset"]


@pytest.mark.django_db(transaction=True)
def test_the_admins_bulk_actions_keep_search_current(admin_client) -> None:
    # given
    first, second = asset(title="first"), asset(title="second", tags=("sea",))
    selected = [str(first.pk), str(second.pk)]

    def act(action: str, **data: str) -> None:
        payload = {"action": action, "_selected_action": selected, "index": "0", "apply": "Apply", **data}
        assert admin_client.post(LIBRARY, payload).status_code == 302

    # when / then
    act("add_tags", tags="Harbour, night")
    assert set(titles("harbour night")) == {"first", "second"}
    act("remove_tags", tags="night, sea")
    assert titles("night") == [] and titles("sea") == []
    act("set_rights", credit="Agence Presse", copyright="")
    assert set(titles("agence")) == {"first", "second"}


def test_api_tag_writes_keep_search_current(api) -> None:
    # given
    item = asset(title="item", tags=("sea",))
    # when
    response = api.patch(
        f"{ASSETS}{item.pk}/", {"tags": ["harbour"], "caption": "evening ferry"}, format="json"
    )
    # then
    assert response.status_code == 200, response.content
    assert titles("harbour") == ["item"] and titles("ferry") == ["item"] and titles("sea") == []


# --- the API's q and tag ------------------------------------------------------------------------------


def test_the_api_lists_a_search_best_first_and_pages_through_it(read_only_api) -> None:
    # given 5 in titles (older) and 4 in captions (newer)
    for index in range(5):
        asset(title=f"storm {index}", age=100 + index)
    for index in range(4):
        asset(title=f"calm {index}", caption="after the storm", age=index)
    api = read_only_api
    # when paging through 2 at a time
    seen, url, params = [], ASSETS, {"q": "storm", "page_size": 2}
    while url:
        response = api.get(url, params)
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [a["title"] for a in body["results"]]
        url, params = body["next"], {}
    # then every match once, titles first, each group newest first
    assert seen == [*(f"storm {i}" for i in range(5)), *(f"calm {i}" for i in range(4))]
    # and a cursor of the other ordering is a clean 400
    newest = api.get(ASSETS, {"page_size": 1}).json()["next"]
    cursor = newest.split("cursor=")[1].split("&")[0]
    response = api.get(ASSETS, {"q": "storm", "cursor": cursor})
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_the_api_tag_filter_lists_each_asset_once_newest_first(read_only_api) -> None:
    old = asset(title="old", tags=("sea", "news", "Sea-side"), age=20)
    new = asset(title="new", tags=("sea",), age=10)
    asset(title="other", tags=("news",))
    response = read_only_api.get(ASSETS, {"tag": "SEA"})
    assert [a["id"] for a in response.json()["results"]] == [str(new.id), str(old.id)]


@pytest.mark.parametrize(
    "term",
    [
        "'", '"', "\\", "''''", "a'b", "harbour'", '"harbour boats"', "a & b", "a | b", "!a", "(a)", "a:*",
        "a:B", "!!!", "&|!():*", "<->", "a <-> b", "a\\:b", "%", "_", "%_%", "' OR 1=1 --", "🌊 harbour",
        "\u200b", "ｈａｒｂｏｕｒ", "a" * 200, " ".join(["w"] * 100), "x" * 199 + ":",
    ],
)  # fmt: skip
def test_hostile_queries_are_only_words(read_only_api, admin_client, term) -> None:
    # given
    asset(title="harbour boats")
    # when
    response = read_only_api.get(ASSETS, {"q": term})
    admin = admin_client.get(LIBRARY, {"q": term})
    # then an answer, never a 500
    assert response.status_code == 200, response.content
    assert admin.status_code == 200


@pytest.mark.parametrize(("term", "code"), [("a\x00b", "invalid"), ("a" * 201, "invalid")])
def test_queries_the_api_refuses(read_only_api, term, code) -> None:
    response = read_only_api.get(ASSETS, {"q": term})
    assert response.status_code == 400 and response.json()["code"] == code
    assert "q" in response.json()["errors"]


def test_the_admin_search_takes_nul_and_a_long_query(admin_client) -> None:
    asset(title="harbour")
    assert admin_client.get(LIBRARY, {"q": "harb\x00our"}).status_code == 200
    assert admin_client.get(LIBRARY, {"q": "harbour " * 2000}).status_code == 200


def test_the_admin_lists_a_search_best_first_unless_sorted(admin_client) -> None:
    asset(title="in the caption", caption="storm", age=1)
    asset(title="Storm", age=50)
    page = admin_client.get(LIBRARY, {"q": "storm"}).content.decode()
    assert page.index("in the caption") > page.index(">Storm<")
    by_title = admin_client.get(LIBRARY, {"q": "storm", "o": "-2"}).content.decode()
    assert by_title.index("in the caption") < by_title.index(">Storm<")


@postgres_only
def test_a_ranked_admin_search_counts_its_matches_in_the_page_query(admin_client) -> None:
    from django.test.utils import CaptureQueriesContext

    # given 60 matches (48 to a page): 10 by title, best, and 50 by caption, newest among them
    for index in range(10):
        asset(title=f"Storm {index}", age=100 + index)
    for index in range(50):
        asset(title=f"caption {index}", caption="storm", age=index)
    asset(title="calm")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE assets_asset")
    # when an editor searches, on the first page and the second
    with CaptureQueriesContext(connection) as queries:
        first = admin_client.get(LIBRARY, {"q": "storm"}).content.decode()
    sql = [query["sql"] for query in queries.captured_queries]  # before the next request resets them
    second = admin_client.get(LIBRARY, {"q": "storm", "p": "2"}).content.decode()
    # then both pages say 60, the title matches lead the first page, the second holds the last 12
    assert "60 assets" in first and "60 assets" in second
    assert first.index(">Storm 0<") < first.index(">caption 0<")
    assert ">caption 37<" in first and ">caption 38<" not in first
    assert all(f">caption {index}<" in second for index in range(38, 50)) and ">Storm" not in second
    # and no COUNT query ran: the page query counted the matches (COUNT(*) OVER ())
    assert not [q for q in sql if q.startswith("SELECT COUNT(*)")], sql
    assert [q for q in sql if "COUNT(" in q and "OVER ()" in q], sql
    # and a page past the last is Django's usual answer
    assert admin_client.get(LIBRARY, {"q": "storm", "p": "3"}).status_code == 302


@postgres_only
def test_the_table_marks_no_column_sorted_while_a_search_is_best_first(admin_client) -> None:
    # given matches, and an editor on the table view
    asset(title="Storm", age=5)
    asset(title="calm", caption="storm")
    admin_client.get(LIBRARY, {"view": "table"})

    def sorted_headers(**params: str) -> list[str]:
        page = admin_client.get(LIBRARY, params).content.decode()
        assert 'class="library-table"' in page
        return [
            h.split('"')[1] for h in page.split('<th scope="col" class=')[1:] if "sorted" in h.split(">")[0]
        ]

    # when the list is the default order, then "Created at" is marked sorted
    assert any("column-created_at" in h for h in sorted_headers())
    # when a search lists its matches best first, then no column is
    assert sorted_headers(q="storm") == []
    # when the editor sorts the search by a column, then that column is
    assert any("column-title" in h for h in sorted_headers(q="storm", o="2"))


# --- PostgreSQL: the indexes are used -------------------------------------------------------------


def _many(count: int) -> None:
    """``count`` rows in one INSERT (the document triggers fill each), then fresh statistics."""
    root = asset().collection
    Asset.objects.bulk_create(
        Asset(
            title=f"photo {index}", alt_text=f"sample {index % 50}", original_filename=f"IMG_{index:05d}.jpg",
            file=f"m/{index}.jpg", content_type="image/jpeg", format="JPEG", byte_size=1, width=1, height=1,
            sha256=f"{index:064x}", mode="RGB", collection=root,
        )
        for index in range(count)
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE assets_asset")
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE assets_asset_tags")


@postgres_only
def test_q_uses_the_gin_index_and_fragments_the_trigram_index() -> None:
    # given a few thousand rows and fresh statistics
    _many(3000)
    # when a rare word is searched (ordered as the API orders it)
    rare = searching.search(Asset.objects.all(), "sample 7")
    plan = _plan(rare.order_by(*searching.ordering(rare) or ()))
    # then the document's GIN index finds the rows: no row is read that does not match
    assert "asset_search_document" in plan and "Seq Scan" not in plan, plan
    # and a file-name fragment the trigram index (the unordered match, as the rank probe reads it)
    fragment = _plan(searching.search(Asset.objects.all(), "_01234").order_by())
    assert "asset_filename_trgm" in fragment, fragment


def _plan(queryset) -> str:
    """The plan, with sequential scans priced out: a test table of a few thousand rows fits in a
    few pages, where reading it all is honestly cheapest; the question is whether the index can
    serve the query, which it must at 100,000 rows (`make bench`)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = on")
    return plan


@postgres_only
def test_tag_filter_is_a_semi_join_on_the_through_index() -> None:
    # given
    _many(2000)
    tag = Tag.objects.create(name="rare")
    for item in Asset.objects.all()[:5]:
        item.tags.add(tag)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE assets_asset_tags")
    # when the API's tag filter is planned
    from api.filters import AssetFilter

    queryset = AssetFilter({"tag": "rare"}, queryset=Asset.objects.all()).qs
    plan = _plan(queryset.order_by("-created_at", "-id")[:50])
    # then no DISTINCT over the matching assets' rows: a semi-join on the tag's links
    assert "Unique" not in plan and "DISTINCT" not in str(queryset.query).upper(), plan
    assert "Seq Scan" not in plan, plan


@postgres_only
def test_the_migration_fills_documents_of_existing_rows() -> None:
    # given a row whose document was lost (as before the migration)
    item = asset(title="Existing", tags=("legacy",))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # triggers off
        cursor.execute("UPDATE assets_asset SET search_document = NULL WHERE id = %s", [item.pk])
        cursor.execute("SET LOCAL session_replication_role = origin")
    assert titles("legacy") == []
    # when the migration's fill runs
    with connection.cursor() as cursor:
        cursor.execute("UPDATE assets_asset SET search_document = NULL")
    # then
    assert titles("legacy") == ["Existing"] and titles("existing") == ["Existing"]
