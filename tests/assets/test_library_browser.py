"""The library in a real browser (Debian's chromium through Playwright): the grid/table toggle,
uploads with one progress bar and one result per file, the duplicate warning."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest

from assets.ingest import ingest
from assets.models import Asset
from tests import images
from tests.assets.conftest import fits_the_screen

pytestmark = pytest.mark.django_db(transaction=True)

DROP = """async (files) => {
  const transfer = new DataTransfer();
  for (const [name, data] of files) {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], name, {type: name.endsWith(".png") ? "image/png" : "image/jpeg"}));
  }
  return transfer;
}"""


def drop(page, selector: str, files: dict[str, bytes]) -> None:
    """What dragging files from the desktop onto ``selector`` does: a drop event carrying them."""
    encoded = [[name, base64.b64encode(data).decode()] for name, data in files.items()]
    transfer = page.evaluate_handle(DROP, encoded)
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def rows(page) -> dict[str, dict[str, str]]:
    return {
        item.locator(".upload-name").inner_text(): {
            "state": item.get_attribute("data-state") or "",
            "progress": item.locator("progress").get_attribute("value") or "",
            "status": item.locator(".upload-status").inner_text(),
        }
        for item in page.locator(".upload-item").all()
    }


def test_grid_and_table_toggle_is_remembered(editor, live_server) -> None:
    # given
    ingest(io.BytesIO(images.jpeg((800, 400))), filename="harbour.jpg")
    library = f"{live_server.url}/admin/assets/asset/"
    # when the editor opens the library, it is a grid of cards whose pictures load
    editor.goto(library)
    assert editor.locator("#result_list.library-grid .library-card").count() == 1
    editor.wait_for_function(
        "() => [...document.querySelectorAll('.library-card img')].every(i => i.naturalWidth > 0)"
    )
    assert fits_the_screen(editor)
    # when they switch to the table and come back later
    editor.click("#view-table")
    editor.wait_for_selector("#result_list.library-table")
    editor.goto(library)
    # then it is still the table, until they switch back
    assert editor.locator("#result_list.library-table").count() == 1
    assert fits_the_screen(editor)
    editor.click("#view-grid")
    editor.wait_for_selector("#result_list.library-grid")


def test_dropping_files_uploads_each_with_its_own_bar_and_result(editor, live_server) -> None:
    # given two good images, an empty file and an HTML page named .jpg
    files = {"harbour.jpg": images.jpeg((800, 400)), "forest.png": images.png((300, 300)),
             "empty.jpg": b"", "evil.jpg": images.html()}  # fmt: skip
    editor.goto(f"{live_server.url}/admin/assets/asset/")
    # when they are dropped on the library
    drop(editor, "#library-dropzone", files)
    editor.wait_for_selector(".upload-summary[data-finished=true]")
    # then two bars reached 100 % and became assets; the other two are refused by name, with codes
    result = rows(editor)
    assert {name: r["state"] for name, r in result.items()} == {
        "harbour.jpg": "done", "forest.png": "done", "empty.jpg": "refused", "evil.jpg": "refused",
    }  # fmt: skip
    assert result["harbour.jpg"]["progress"] == result["forest.png"]["progress"] == "100"
    assert (
        "The file is empty." in result["empty.jpg"]["status"]
        and "empty_file" in result["empty.jpg"]["status"]
    )
    assert "not an image" in result["evil.jpg"]["status"] and "invalid_image" in result["evil.jpg"]["status"]
    assert sorted(Asset.objects.values_list("original_filename", flat=True)) == ["forest.png", "harbour.jpg"]
    assert "2 added, 2 refused." in editor.locator(".upload-summary").inner_text()


def test_a_file_the_server_refuses_shows_the_servers_reason(editor, live_server, tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(images.truncated_jpeg())  # a JPEG to the browser's eye; the decode fails
    editor.goto(f"{live_server.url}/admin/assets/asset/upload/")
    editor.set_input_files("#id_files", [str(broken)])
    editor.click("input[name=_upload]")
    editor.wait_for_selector(".upload-summary[data-finished=true]")
    status = rows(editor)["broken.jpg"]
    assert status["state"] == "refused" and "corrupt_image" in status["status"]
    assert not Asset.objects.exists()


def test_a_duplicate_is_named_and_can_still_be_kept(editor, live_server, tmp_path: Path) -> None:
    # given an image already in the library
    data = images.jpeg((640, 480))
    first = ingest(io.BytesIO(data), filename="harbour.jpg")
    again = tmp_path / "harbour-copy.jpg"
    again.write_bytes(data)
    # when the editor uploads the same bytes under another name, with tags
    editor.goto(f"{live_server.url}/admin/assets/asset/upload/")
    editor.set_input_files("#id_files", [str(again)])
    editor.fill("#id_tags", "news")
    editor.click("input[name=_upload]")
    # then the row says where it already is, with a link
    editor.wait_for_selector(".upload-item[data-state=duplicate]")
    note = editor.locator(".upload-duplicate")
    assert note.inner_text() == "Already in the library as harbour."
    assert note.locator("a").get_attribute("href") == f"/admin/assets/asset/{first.pk}/change/"
    assert fits_the_screen(editor)
    # when they keep it anyway
    editor.click("text=Upload anyway")
    editor.wait_for_selector(".upload-item[data-state=done]")
    # then it is a second asset, with the form's tags
    copy = Asset.objects.exclude(pk=first.pk).get()
    assert [t.name for t in copy.tags.all()] == ["news"]


def test_bulk_tag_and_move_from_the_grid(editor, live_server) -> None:
    # given three images and a collection
    from assets.models import Collection

    news = Collection.objects.add_child(Collection.default(), create_kwargs={"name": "News"})
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        ingest(io.BytesIO(images.jpeg()), filename=name)
    editor.goto(f"{live_server.url}/admin/assets/asset/?view=grid")
    # when the editor ticks two cards and adds tags, confirming on the next page
    for title in ("a", "b"):
        editor.get_by_role("checkbox", name=f"Select {title}", exact=True).check()
    assert editor.locator(".library-card.selected").count() == 2  # Django's actions.js works on cards
    editor.select_option("select[name=action]", "add_tags")
    editor.click("button[name=index]")
    assert "2 assets selected:" in editor.locator("#content-main").inner_text()
    assert fits_the_screen(editor)
    editor.fill("#id_tags", "election, front page")
    editor.click("input[name=apply]")
    editor.wait_for_selector(".messagelist .success")
    # then only those two have the tags
    tagged = {a.title: sorted(t.name for t in a.tags.all()) for a in Asset.objects.all()}
    assert tagged == {"a": ["election", "front page"], "b": ["election", "front page"], "c": []}
    # when they move the same two to News
    for title in ("a", "b"):
        editor.get_by_role("checkbox", name=f"Select {title}", exact=True).check()
    editor.select_option("select[name=action]", "move_to_collection")
    editor.click("button[name=index]")
    editor.select_option("#id_collection", str(news.pk))
    editor.click("input[name=apply]")
    editor.wait_for_selector(".messagelist .success")
    # then they are in News, and the library's News shows them
    assert {a.title: a.collection.name for a in Asset.objects.all()} == {
        "a": "News",
        "b": "News",
        "c": "Library",
    }
    with editor.expect_navigation():
        editor.click("#changelist-filter >> text=News")
    assert editor.locator(".library-card").count() == 2


def test_on_s3_the_browser_sends_the_bytes_straight_to_the_bucket(editor, live_server, s3_storage) -> None:
    # given S3 storage (a moto server over HTTP) whose bucket has README's CORS rule for this origin
    s3_storage.client.put_bucket_cors(Bucket=s3_storage.bucket, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": [live_server.url], "AllowedMethods": ["POST"], "AllowedHeaders": ["*"],
         "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3600}]})  # fmt: skip
    endpoint = s3_storage.client.meta.endpoint_url
    sent: list[tuple[str, str, str]] = []  # every request the page makes
    editor.on("request", lambda r: sent.append((r.method, r.url, r.resource_type)))
    editor.goto(f"{live_server.url}/admin/assets/asset/")
    # when two images are dropped on the library
    drop(
        editor,
        "#library-dropzone",
        {"harbour.jpg": images.jpeg((800, 400)), "forest.png": images.png((300, 300))},
    )
    editor.wait_for_selector(".upload-summary[data-finished=true]")
    # then both became assets, their bytes went to the bucket (not through the app), and the
    # quarantine is empty again
    assert {name: r["state"] for name, r in rows(editor).items()} == {
        "harbour.jpg": "done",
        "forest.png": "done",
    }
    to_bucket = [url for method, url, _ in sent if method == "POST" and url.startswith(endpoint)]
    assert len(to_bucket) == 2, sent
    through_app = [url for method, url, _ in sent if method == "POST" and url.startswith(live_server.url)]
    assert through_app and not [url for url in through_app if url.rstrip("/").endswith("/file")], sent
    assert sorted(Asset.objects.values_list("original_filename", flat=True)) == ["forest.png", "harbour.jpg"]
    stored = s3_storage.names()
    assert not any(name.startswith("uploads/") for name in stored)
    assert sum(name.startswith("originals/") for name in stored) == 2


def test_the_collections_list_opens_the_library_and_counts_every_collection(editor, live_server) -> None:
    from assets.models import Collection

    # given the library with two collections inside it, one inside the other
    root = Collection.default()
    events = Collection.objects.add_child(root, create_kwargs={"name": "Events"})
    Collection.objects.add_child(events, create_kwargs={"name": "Sports"})
    # when the editor opens the collections list
    editor.goto(f"{live_server.url}/admin/assets/collection/")
    # then the collections inside the library are in view, and the count is of all of them
    editor.wait_for_selector("#result_list tbody tr:has-text('Events')")
    assert editor.locator(".paginator").inner_text().strip() == "3 collections"
    assert fits_the_screen(editor)
