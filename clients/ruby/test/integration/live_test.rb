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

  def test_collections_hold_assets_and_filter_them
    # given the fixture's tree: the root, "Ruby features" below it, "2026" below that
    features_id = Integer(ENV.fetch("DAM_COLLECTION_ID"))
    below_id = Integer(ENV.fetch("DAM_SUBCOLLECTION_ID"))
    tree = dam.collections.list
    root = tree.first
    assert_equal [nil, 1], root.values_at("parent", "depth")
    features = dam.collections.find(features_id)
    assert_equal ["Ruby features", "#{root["path"]} / Ruby features", root["id"], 2],
                 features.values_at("name", "path", "parent", "depth")
    below = dam.collections.find("#{features["path"]} / 2026")
    assert_equal [below_id, features_id, 3], below.values_at("id", "parent", "depth")
    assert_operator tree.index(features), :<, tree.index(below) # depth-first
    assert_equal tree, dam(api_key: ENV.fetch("DAM_READ_ONLY_KEY")).collections.list
    assert_raises(Dam::NotFound) { dam.collections.find("No such / collection") }
    # when assets go into them (multipart, direct upload, and a move)
    tag = unique_tag
    in_features = create(tags: [tag], collection: features_id)
    in_below = dam.uploads.upload(image_path, tags: [tag], collection: below_id)
    elsewhere = create(tags: [tag])
    moved = dam.assets.update(elsewhere["id"], collection: below_id)
    # then
    assert_equal [features_id, below_id, root["id"], below_id],
                 ([in_features, in_below, elsewhere, moved].map { |asset| asset["collection"]["id"] })
    assert_equal [in_features["id"]], (dam.assets.list(tag: tag, collection: features_id).map { |one| one["id"] })
    assert_equal [elsewhere["id"], in_below["id"], in_features["id"]],
                 (dam.assets.list(tag: tag, collection: features_id, include_descendants: true).map { |one| one["id"] })
    assert_equal 3, dam.assets.list(tag: tag, collection: root["id"], include_descendants: true).count
    assert_empty dam.assets.list(tag: tag, collection: root["id"]).to_a
  end

  def test_replacing_the_file_keeps_the_asset_and_moves_its_urls
    # given
    asset = create(title: "Before", tags: %w[kept])
    old_thumb = asset["renditions"]["thumb"]["url"]
    # when
    replaced = dam.assets.replace_file(asset["id"], file: ENV.fetch("OTHER_IMAGE"))
    # then: the same asset, another file, new URLs; the old ones redirect
    assert_equal [asset["id"], "Before", %w[kept], 200, 150, "PNG"],
                 replaced.values_at("id", "title", "tags", "width", "height", "format")
    refute_equal asset["checksum"], replaced["checksum"]
    new_thumb = replaced["renditions"]["thumb"]["url"]
    refute_equal old_thumb, new_thumb
    moved = fetch(old_thumb)
    assert_equal 302, moved.status
    assert_equal URI(new_thumb).path, URI.join(old_thumb, moved.headers["Location"]).path
    assert_equal 200, fetch(new_thumb).status
    assert_equal replaced["checksum"], dam.assets.get(asset["id"])["checksum"]
    if RECEIVER
      delivery = RECEIVER.wait_for do |one|
        one.headers["x-dam-event"] == "asset.updated" && one.body.include?(asset["id"]) &&
          one.body.include?("previous_checksum")
      end
      refute_nil delivery, "no asset.updated webhook arrived"
      event = dam.webhook_event(delivery.body, delivery.headers["x-dam-signature"])
      assert_equal [asset["id"], asset["checksum"], "file"],
                   event["data"]["asset"].values_at("id", "previous_checksum", "change")
    end
    # a refused file changes nothing; a read-only key may not replace
    refused = assert_raises(Dam::InvalidFile) { dam.assets.replace_file(asset["id"], file: ENV.fetch("BAD")) }
    assert_equal [400, "invalid_image"], [refused.status, refused.code]
    denied = assert_raises(Dam::PermissionDenied) do
      dam(api_key: ENV.fetch("DAM_READ_ONLY_KEY")).assets.replace_file(asset["id"], file: image_path)
    end
    assert_equal "permission_denied", denied.code
    assert_equal replaced["checksum"], dam.assets.get(asset["id"])["checksum"]
  end

  def test_replacing_the_file_from_a_direct_upload
    # given
    asset = create(title: "Direct replace")
    other = File.binread(ENV.fetch("OTHER_IMAGE"))
    started = dam.uploads.start(filename: "other.png", content_type: "image/png", byte_size: other.bytesize)
    upload_id = started["upload"]["id"]
    early = assert_raises(Dam::UploadIncomplete) { dam.assets.replace_file(asset["id"], upload: upload_id) }
    assert_equal [409, "upload_incomplete"], [early.status, early.code]
    # when: step by step, the PUT twice (idempotent)
    assert dam.uploads.transfer(started["instructions"], ENV.fetch("OTHER_IMAGE"))
    first = dam.assets.replace_file(asset["id"], upload: upload_id)
    again = dam.assets.replace_file(asset["id"], upload: upload_id)
    # then
    assert_equal [asset["id"], "Direct replace", "PNG"], first.values_at("id", "title", "format")
    refute_equal asset["checksum"], first["checksum"]
    assert_equal first.values_at("id", "checksum"), again.values_at("id", "checksum")
    assert_equal "complete", dam.uploads.get(upload_id)["status"]
    # and in one call, back to the first picture
    back = dam.uploads.replace(asset["id"], File.open(image_path, "rb"), filename: "photo.jpg")
    assert_equal [asset["id"], asset["checksum"], "JPEG"], back.values_at("id", "checksum", "format")
    missing = assert_raises(Dam::NotFound) do
      dam.assets.replace_file(asset["id"], upload: "00000000-0000-4000-8000-000000000000")
    end
    assert_equal "not_found", missing.code
  end

  def test_webhook_endpoints_are_managed_and_read
    receiver = WebhookReceiver.new(0)
    hooks = dam.webhook_endpoints
    # when
    created = hooks.create(url: receiver.url, events: %w[asset.ready asset.deleted])
    id = created["id"]
    # then: the secret is in this answer only
    assert_match(/\Awhsec_/, created["secret"])
    assert_equal [receiver.url, %w[asset.deleted asset.ready], true], created.values_at("url", "events", "active")
    assert_equal created.except("secret"), hooks.get(id)
    listed = hooks.list(page_size: 1).to_a # this one and the fixture's, one page each
    assert_equal id, listed.first["id"]
    assert_operator listed.size, :>=, 2
    refute(listed.any? { |one| one.key?("secret") })
    # an inactive endpoint is sent nothing, not even a test
    paused = hooks.update(id, active: false)
    refute paused["active"]
    inactive = assert_raises(Dam::EndpointInactive) { hooks.test(id) }
    assert_equal [409, "endpoint_inactive"], [inactive.status, inactive.code]
    resumed = hooks.update(id, active: true, events: [])
    assert_equal [true, []], resumed.values_at("active", "events")
    # refused input names its fields; a read-only key reads but does not write
    bad = assert_raises(Dam::InvalidRequest) { hooks.create(url: "ftp://example.com/hooks", events: %w[asset.nope]) }
    assert_equal %w[events url], bad.errors.keys.sort
    reader = dam(api_key: ENV.fetch("DAM_READ_ONLY_KEY")).webhook_endpoints
    assert_equal id, reader.get(id)["id"]
    assert_raises(Dam::PermissionDenied) { reader.create(url: receiver.url) }
    assert_raises(Dam::PermissionDenied) { reader.rotate_secret(id) }
    assert_raises(Dam::PermissionDenied) { reader.delete(id) }
    # when deleted
    assert hooks.delete(id)
    # then
    assert_raises(Dam::NotFound) { hooks.get(id) }
    assert_raises(Dam::NotFound) { hooks.deliveries(id).first }
  ensure
    receiver&.close
  end

  def test_webhook_endpoint_test_events_rotation_and_redelivery
    receiver = WebhookReceiver.new(0)
    hooks = dam.webhook_endpoints
    endpoint = hooks.create(url: receiver.url, events: %w[asset.deleted])
    id = endpoint["id"]
    secret = endpoint["secret"]
    # a test event, signed with the secret shown once, recorded in the deliveries
    queued = hooks.test(id)
    assert_equal [id, "webhook.test"], queued.values_at("endpoint_id", "event")
    first = arrival(receiver, queued)
    event = Dam::Webhook.construct_event(first.body, first.headers["x-dam-signature"], secret)
    assert_equal ["webhook.test", id, queued["id"]], [event["event"], event["data"]["endpoint"]["id"], event["id"]]
    delivered = eventually { hooks.deliveries(id, event: "webhook.test", status: "delivered").to_a.first }
    assert_equal [queued["id"], 204, 1], delivered.values_at("id", "response_status", "attempts")
    # rotated: the old secret signs too for a while; then revoked at once
    rotated = hooks.rotate_secret(id)
    refute_equal secret, rotated["secret"]
    refute_nil rotated["previous_secret_expires_at"]
    overlap = arrival(receiver, hooks.test(id))
    assert_equal 2, overlap.headers["x-dam-signature"].scan("v1=").size
    [secret, rotated["secret"]].each do |one|
      assert Dam::Webhook.valid?(overlap.body, overlap.headers["x-dam-signature"], one)
    end
    revoked = hooks.rotate_secret(id, expire_previous_in: 0)
    assert_nil revoked["previous_secret_expires_at"]
    alone = arrival(receiver, hooks.test(id))
    assert Dam::Webhook.valid?(alone.body, alone.headers["x-dam-signature"], revoked["secret"])
    refute Dam::Webhook.valid?(alone.body, alone.headers["x-dam-signature"], rotated["secret"])
    # redelivered: a new delivery of the same event, signed with today's secret
    again = hooks.redeliver(id, queued["id"])
    refute_equal queued["id"], again["id"]
    redelivered = arrival(receiver, again)
    assert_equal event["data"], Dam::Webhook.construct_event(redelivered.body, redelivered.headers["x-dam-signature"],
                                                             revoked["secret"])["data"]
    assert_equal 4, hooks.deliveries(id, event: "webhook.test", page_size: 1).count
    assert_raises(Dam::NotFound) { hooks.redeliver(id, "00000000-0000-4000-8000-000000000000") }
  ensure
    hooks&.delete(id) if id
    receiver&.close
  end

  private

  def arrival(receiver, delivery)
    found = receiver.wait_for { |one| one.headers["x-dam-delivery"] == delivery["id"] }
    refute_nil found, "delivery #{delivery["id"]} did not arrive"
    found
  end
end
