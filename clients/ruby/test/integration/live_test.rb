# frozen_string_literal: true

require_relative "live_helper"

# Every flow of the API through the gem, against a live server (see live_helper.rb).
class LiveFlowsTest < Minitest::Test
  RECEIVER = ENV.fetch("DAM_WEBHOOK_PORT", nil) && WebhookReceiver.new(Integer(ENV.fetch("DAM_WEBHOOK_PORT", nil)))

  def test_a_missing_or_read_only_key_is_a_typed_error
    error = assert_raises(Dam::NotAuthenticated) { dam(api_key: "dam_wrong").assets.list.first }
    assert_equal [401, "not_authenticated"], [error.status, error.code]
    denied = assert_raises(Dam::PermissionDenied) do
      dam(api_key: ENV.fetch("DAM_READ_ONLY_KEY")).assets.create(file: image_path)
    end
    assert_equal "permission_denied", denied.code
  end

  def test_multipart_create_sends_tags_and_fields_then_get_finds_it
    # when
    asset = create(title: "From Ruby", alt_text: "A test card", tags: %w[ruby Live], focal_point: { x: 0.5, y: 0.25 })
    # then
    assert_equal ["From Ruby", "A test card", %w[live ruby]], asset.values_at("title", "alt_text", "tags")
    assert_equal({ "x" => 0.5, "y" => 0.25, "source" => "editor" }, asset["focal_point"])
    assert_equal [320, 240, "JPEG"], asset.values_at("width", "height", "format")
    assert_equal asset.except("similar"), dam.assets.get(asset["id"]) # `similar`: only in the 201
  end

  def test_a_refused_file_raises_its_stable_code_and_leaves_nothing
    tag = unique_tag
    error = assert_raises(Dam::InvalidFile) { dam.assets.create(file: ENV.fetch("BAD"), tags: [tag]) }
    assert_equal [400, "invalid_image"], [error.status, error.code]
    assert_empty dam.assets.list(tag: tag).to_a
  end

  def test_list_pages_through_a_filter_with_an_enumerator_and_cursors
    # given three assets with a tag, and one without
    tag = unique_tag
    ids = 3.times.map { create(tags: [tag])["id"] }
    create
    # when
    listed = dam.assets.list(tag: tag, page_size: 2)
    # then: newest first, across two pages, fetched lazily
    assert_equal ids.reverse, (listed.map { |asset| asset["id"] })
    assert_equal ids.last, listed.first["id"]
    first = dam.assets.page(tag: tag, page_size: 2)
    second = dam.assets.page(tag: tag, page_size: 2, cursor: first.next_cursor)
    assert_equal ids.reverse, ((first.to_a + second.to_a).map { |asset| asset["id"] })
    assert_nil second.next_cursor
    assert_equal 2, dam.assets.each_page(tag: tag, page_size: 2).count
  end

  def test_every_list_filter_is_understood
    asset = create(title: "Fjord at dusk")
    since = Time.parse(asset["created_at"]) - 60
    { q: "fjord", format: "JPEG", status: "ready", checksum: asset["checksum"], created_after: since,
      updated_after: since }.each do |name, value|
      assert_includes dam.assets.list(name => value).map { |one| one["id"] }, asset["id"], name
    end
    assert_empty dam.assets.list(q: "no such title #{unique_tag}").to_a
    error = assert_raises(Dam::InvalidRequest) { dam.assets.list(created_after: "yesterday").first }
    assert_includes error.errors.keys, "created_after"
  end

  def test_update_replaces_fields_and_tags_then_delete_removes_it
    asset = create(tags: %w[old])
    updated = dam.assets.update(asset["id"], alt_text: "alt", tags: %w[new fresh], focal_point: [0.25, 0.75])
    assert_equal ["alt", %w[fresh new], { "x" => 0.25, "y" => 0.75, "source" => "editor" }],
                 updated.values_at("alt_text", "tags", "focal_point")
    cleared = dam.assets.update(asset["id"], focal_point: nil)
    # the editor's point is gone; the one found in the image at upload (if any) applies again
    assert_equal "auto", cleared["focal_point"]["source"] if cleared["focal_point"]
    invalid = assert_raises(Dam::InvalidRequest) { dam.assets.update(asset["id"], title: "x" * 300) }
    assert_includes invalid.errors.keys, "title"
    assert dam.assets.delete(asset["id"])
    gone = assert_raises(Dam::NotFound) { dam.assets.get(asset["id"]) }
    assert_equal "not_found", gone.code
  end

  def test_usages_round_trip_put_list_replace_delete
    # given an asset used nowhere
    tag = unique_tag
    asset = create(tags: [tag])
    id = asset["id"]
    assert_equal 0, asset["usage_count"]
    # when the app says where it uses it
    first = dam.put_usage(id, "article:4711", url: "https://app.example/articles/4711", label: "Forest feature")
    dam.put_usage(id, "page:home", url: "https://app.example/")
    # then it is listed (newest first, across pages), counted, and found by `used:`
    assert_equal %w[page:home article:4711], (dam.usages(id, page_size: 1).map { |one| one["external_id"] })
    assert_equal ["https://app.example/articles/4711", "Forest feature"], first.values_at("url", "label")
    assert_equal 2, dam.assets.get(id)["usage_count"]
    assert_equal [id], (dam.assets.list(tag: tag, used: true).map { |one| one["id"] })
    assert_empty dam.assets.list(tag: tag, used: false).to_a
    # when one is replaced (the same PUT twice: idempotent) and the other removed
    2.times { dam.put_usage(id, "article:4711", url: "https://app.example/articles/4711-forest") }
    assert dam.delete_usage(id, "page:home")
    # then
    assert_equal [["article:4711", "https://app.example/articles/4711-forest", ""]],
                 (dam.usages(id).map { |one| one.values_at("external_id", "url", "label") })
    gone = assert_raises(Dam::NotFound) { dam.delete_usage(id, "page:home") }
    assert_equal [404, "not_found"], [gone.status, gone.code]
    bad = assert_raises(Dam::InvalidRequest) { dam.put_usage(id, "a/b", url: "https://app.example/") }
    assert_equal "invalid_external_id", bad.code
    denied = assert_raises(Dam::PermissionDenied) do
      dam(api_key: ENV.fetch("DAM_READ_ONLY_KEY")).put_usage(id, "x", url: "https://app.example/")
    end
    assert_equal "permission_denied", denied.code
    assert_equal 1, dam(api_key: ENV.fetch("DAM_READ_ONLY_KEY")).usages(id).count
  end

  def test_a_named_rendition_url_serves_the_image_the_json_describes
    thumb = create["renditions"]["thumb"]
    response = fetch(thumb["url"])
    assert_equal 200, response.status
    assert_equal thumb["content_type"], response.headers["Content-Type"]
    assert_match(/immutable/, response.headers["Cache-Control"])
  end

  def test_the_image_helper_builds_from_a_live_asset
    asset = create(alt_text: "Cards")
    html = Dam::ImageTag.html(asset, rendition: "small")
    assert_match(/\A<img src="#{Regexp.escape(asset["renditions"]["small"]["url"])}" srcset="[^"]+ \d+w/, html)
    assert_includes html, 'alt="Cards"'
    assert_equal 200, fetch(Dam::ImageTag.attributes(asset, rendition: "small")[:src]).status
  end

  # The locally signed URL is the very URL the server signs (focal point with a rounding trap).
  def test_urls_signed_by_the_gem_equal_the_servers_and_are_served
    asset = create
    asset = dam.assets.update(asset["id"], focal_point: { x: 0.12345, y: 0.45675 })
    %w[fill-40x30|format-webp width-50|grayscale width-20|format-auto].each do |spec|
      from_server = dam.assets.urls(asset["id"], [spec]).first
      assert_equal from_server["url"], dam.signed_url(asset, spec), spec
    end
    expiring = dam.signed_url(asset, "fit-50x50|format-png", expires_in: 600)
    response = fetch(expiring)
    assert_equal [200, "image/png"], [response.status, response.headers["Content-Type"]]
    forged = fetch(expiring.sub(%r{/r/([^/]+)/\h{32}}, "/r/\\1/#{"0" * 32}"))
    assert_equal [403, "bad_signature"], [forged.status, forged.headers["X-Error-Code"]]
  end

  def test_the_server_canonicalises_specs_and_names_a_bad_ones_index
    asset = create
    urls = dam.assets.urls(asset["id"], %w[format-png|width-40], expires_in: 3600)
    assert_equal ["width-40|format-png", 40, 30, "image/png"],
                 urls.first.values_at("spec", "width", "height", "content_type")
    assert_equal 200, fetch(urls.first["url"]).status
    error = assert_raises(Dam::InvalidSpec) { dam.assets.urls(asset["id"], %w[width-10 fit-0x0]) }
    assert_equal ["1"], error.errors["specs"].keys
  end

  def test_rendition_specs
    specs = dam.rendition_specs.list
    assert(specs.any? { |spec| spec["name"] == "thumb" && spec["width"] == 200 })
    assert_equal "thumb", dam.rendition_specs.find("thumb")["name"]
  end

  def test_direct_upload_step_by_step
    # given
    started = dam.uploads.start(filename: "direct.jpg", content_type: "image/jpeg", byte_size: image.bytesize)
    upload_id = started["upload"]["id"]
    instructions = started["instructions"]
    assert instructions["url"].start_with?(ENV.fetch("DAM_S3_ENDPOINT")), instructions["url"] if s3?
    early = assert_raises(Dam::UploadIncomplete) { dam.uploads.complete(upload_id) }
    assert_equal [409, "upload_incomplete"], [early.status, early.code]
    # when
    assert dam.uploads.transfer(instructions, image_path, filename: "direct.jpg")
    asset = dam.uploads.complete(upload_id, title: "Direct", tags: %w[d])
    # then
    assert_equal ["Direct", %w[d], 320], asset.values_at("title", "tags", "width")
    assert_equal asset["id"], dam.uploads.complete(upload_id)["id"]
    assert_equal "complete", dam.uploads.get(upload_id)["status"]
    assert_equal 200, fetch(asset["renditions"]["small"]["url"]).status
  end

  def test_direct_upload_in_one_call
    asset = dam.uploads.upload(File.open(image_path, "rb"), filename: "one.jpg", title: "One", tags: %w[x y],
                                                            focal_point: { x: 0.1, y: 0.9 })
    assert_equal ["One", %w[x y], { "x" => 0.1, "y" => 0.9, "source" => "editor" }, "one.jpg"],
                 asset.values_at("title", "tags", "focal_point", "filename")
  end

  def test_a_direct_upload_of_a_bad_file_is_refused_at_complete
    error = assert_raises(Dam::InvalidFile) { dam.uploads.upload(ENV.fetch("BAD"), content_type: "image/jpeg") }
    assert_equal "invalid_image", error.code
  end

  def test_webhooks_verify_with_the_gem
    skip "no webhook endpoint registered" unless RECEIVER
    # when
    asset = create
    dam.assets.delete(asset["id"])
    # then
    %w[asset.ready asset.deleted].each do |name|
      delivery = RECEIVER.wait_for { |one| one.body.include?(asset["id"]) && one.headers["x-dam-event"] == name }
      refute_nil delivery, "no #{name} webhook arrived"
      event = dam.webhook_event(delivery.body, delivery.headers["x-dam-signature"])
      assert_equal [name, asset["id"]], [event["event"], event["data"]["asset"]["id"]]
      assert_equal delivery.headers["x-dam-delivery"], event["id"]
      assert_raises(Dam::WebhookError) { dam.webhook_event("#{delivery.body} ", delivery.headers["x-dam-signature"]) }
    end
  end
end
