# frozen_string_literal: true

require "test_helper"

class AssetsTest < Minitest::Test
  def page_body(ids, next_query = nil)
    { "next" => next_query && "https://public.example.com/api/v1/assets/?#{next_query}",
      "previous" => nil, "results" => ids.map { |id| asset(id) } }
  end

  def test_list_is_a_lazy_enumerator_that_follows_the_cursor
    queries = []
    stubs.get("#{API}/assets/") do |env|
      queries << env[:params]
      cursor = env[:params]["cursor"]
      json(200, cursor ? page_body(%w[c]) : page_body(%w[a b], "cursor=cD0y&page_size=2&tag=homepage"))
    end
    assets = client.assets.list(tag: "homepage", page_size: 2)
    assert_kind_of Enumerator, assets
    assert_empty queries # nothing fetched until iterated
    assert_equal %w[a b c], (assets.map { |one| one["id"] })
    assert_equal [{ "tag" => "homepage", "page_size" => "2" },
                  { "cursor" => "cD0y", "page_size" => "2", "tag" => "homepage" }], queries
  end

  def test_next_is_followed_against_the_configured_host_not_the_one_in_the_link
    hosts = []
    stubs.get("#{API}/assets/") do |env|
      hosts << env[:url].host
      json(200, env[:params]["cursor"] ? page_body([]) : page_body(%w[a], "cursor=x"))
    end
    client.assets.list.to_a
    assert_equal %w[dam.test dam.test], hosts
  end

  def test_first_fetches_only_the_pages_it_needs
    calls = 0
    stubs.get("#{API}/assets/") do
      calls += 1
      json(200, page_body(%w[a b], "cursor=more"))
    end
    assert_equal %w[a], (client.assets.list.first(1).map { |one| one["id"] })
    assert_equal 1, calls
  end

  def test_every_filter_is_sent_and_times_are_iso_8601
    stubs.get("#{API}/assets/") do |env|
      assert_equal({ "tag" => "nature", "q" => "forest", "format" => "JPEG", "status" => "ready",
                     "created_after" => "2026-01-31T12:00:00.000000Z",
                     "updated_after" => "2026-02-01T00:00:00Z", "checksum" => "ab" * 32,
                     "page_size" => "200" }, env[:params])
      json(200, page_body([]))
    end
    client.assets.list(tag: "nature", q: "forest", format: "JPEG", status: "ready",
                       created_after: Time.utc(2026, 1, 31, 12), updated_after: "2026-02-01T00:00:00Z",
                       checksum: "ab" * 32, page_size: 200).to_a
    stubs.verify_stubbed_calls
  end

  def test_collection_and_rights_filters_are_sent
    stubs.get("#{API}/assets/") do |env|
      assert_equal({ "collection" => "3", "include_descendants" => "true", "rights" => "expiring" }, env[:params])
      json(200, page_body([]))
    end
    client.assets.list(collection: 3, include_descendants: true, rights: "expiring").to_a
    stubs.verify_stubbed_calls
  end

  def test_an_unknown_filter_is_refused_before_any_request
    error = assert_raises(ArgumentError) { client.assets.list(colour: "red").to_a }
    assert_match(/colour.*allowed: page_size, tag/, error.message)
  end

  def test_pages_expose_their_cursors_for_a_load_more_link
    stubs.get("#{API}/assets/") do |env|
      if env[:params]["cursor"] == "cD0y"
        json(200, page_body(%w[b]))
      else
        json(200, page_body(%w[a], "cursor=cD0y&page_size=1"))
      end
    end
    first = client.assets.page(page_size: 1)
    assert_equal ["cD0y", true], [first.next_cursor, first.next?]
    second = client.assets.page(page_size: 1, cursor: first.next_cursor)
    assert_equal [%w[b], nil], [second.map { |one| one["id"] }, second.next_cursor]
    assert_equal 2, client.assets.each_page(page_size: 1).count
  end

  def test_get
    stubs.get("#{API}/assets/#{ASSET_ID}/") { json(200, asset) }
    assert_equal "Forest", client.assets.get(ASSET_ID)["title"]
  end

  def test_an_id_cannot_escape_its_path_segment
    stubs.get("#{API}/assets/..%2Fuploads/") { problem(404, "not_found") }
    assert_raises(Dam::NotFound) { client.assets.get("../uploads") }
    assert_raises(ArgumentError) { client.assets.get(nil) }
  end

  def test_create_sends_a_multipart_form_with_tags_repeated_and_the_file_last
    rows = nil
    stubs.post("#{API}/assets/") do |env|
      rows = multipart_rows(env)
      assert_equal env[:body].size.to_s, env[:request_headers]["Content-Length"]
      json(201, asset)
    end
    created = client.assets.create(file: StringIO.new(jpeg_bytes), filename: "forest.jpg", title: "Forest",
                                   alt_text: "Pines", tags: %w[nature homepage], focal_point: { x: 0.3, y: 0.4 })
    assert_equal ASSET_ID, created["id"]
    assert_equal [["title", nil, nil, "Forest"], ["alt_text", nil, nil, "Pines"], ["tags", nil, nil, "nature"],
                  ["tags", nil, nil, "homepage"], ["focal_point", nil, nil, "0.3,0.4"],
                  ["file", "forest.jpg", "image/jpeg", jpeg_bytes]], rows
  end

  def test_create_from_a_path_names_the_file_and_guesses_its_type
    path = File.join(Dir.mktmpdir, "harbour.png")
    File.binwrite(path, "\x89PNG fake")
    rows = nil
    stubs.post("#{API}/assets/") do |env|
      rows = multipart_rows(env)
      json(201, asset)
    end
    client.assets.create(file: path)
    assert_equal ["file", "harbour.png", "image/png", "\x89PNG fake".b], rows.last
  end

  def test_create_from_a_rails_upload
    upload = Struct.new(:tempfile, :original_filename, :content_type) do
      def read(*args)
        tempfile.read(*args)
      end
    end.new(StringIO.new(jpeg_bytes), "from-form.jpg", "image/jpeg")
    stubs.post("#{API}/assets/") do |env|
      assert_equal ["file", "from-form.jpg", "image/jpeg", jpeg_bytes], multipart_rows(env).last
      json(201, asset)
    end
    client.assets.create(file: upload)
    stubs.verify_stubbed_calls
  end

  def test_create_refuses_a_field_the_api_does_not_take
    assert_raises(ArgumentError) { client.assets.create(file: StringIO.new("x"), colour: "red") }
  end

  def test_update_patches_json_and_can_clear_the_focal_point
    bodies = []
    stubs.patch("#{API}/assets/#{ASSET_ID}/") do |env|
      assert_equal "application/json", env[:request_headers]["Content-Type"]
      bodies << JSON.parse(env[:body])
      json(200, asset)
    end
    client.assets.update(ASSET_ID, alt_text: "alt", tags: ["a"], focal_point: [0.25, 0.75])
    client.assets.update(ASSET_ID, focal_point: nil)
    assert_equal [{ "alt_text" => "alt", "tags" => ["a"], "focal_point" => { "x" => 0.25, "y" => 0.75 } },
                  { "focal_point" => nil }], bodies
  end

  def test_rights_are_sent_as_an_object_in_json_and_as_bracketed_fields_in_a_form
    bodies = []
    stubs.patch("#{API}/assets/#{ASSET_ID}/") do |env|
      bodies << JSON.parse(env[:body])
      json(200, asset)
    end
    rows = nil
    stubs.post("#{API}/assets/") do |env|
      rows = multipart_rows(env)
      json(201, asset)
    end
    client.assets.update(ASSET_ID, rights: { licence: "cc_by", expires_on: Date.new(2030, 1, 31) })
    client.assets.update(ASSET_ID, rights: { expires_on: nil })
    client.assets.create(file: StringIO.new(jpeg_bytes), filename: "a.jpg",
                         rights: { licence: "rights_managed", usage_terms: "web only" })
    assert_equal [{ "rights" => { "licence" => "cc_by", "expires_on" => "2030-01-31" } },
                  { "rights" => { "expires_on" => nil } }], bodies
    assert_equal [["rights[licence]", nil, nil, "rights_managed"], ["rights[usage_terms]", nil, nil, "web only"]],
                 rows[0, 2]
  end

  def test_delete
    stubs.delete("#{API}/assets/#{ASSET_ID}/") { [204, {}, ""] }
    assert client.assets.delete(ASSET_ID)
  end

  def test_urls_signs_specs_and_is_retried_like_a_read
    stubs.post("#{API}/assets/#{ASSET_ID}/urls/") { problem(503, "overloaded", headers: { "Retry-After" => "1" }) }
    stubs.post("#{API}/assets/#{ASSET_ID}/urls/") do |env|
      assert_equal({ "specs" => ["format-png|width-40"], "expires_in" => 60 }, JSON.parse(env[:body]))
      json(200, "urls" => [{ "spec" => "width-40|format-png", "url" => "u", "width" => 40, "height" => 20,
                             "content_type" => "image/png" }])
    end
    urls = client.assets.urls(ASSET_ID, "format-png|width-40", expires_in: 60)
    assert_equal "width-40|format-png", urls.first["spec"]
    assert_equal [1.0], sleeps
  end

  def test_an_invalid_spec_names_its_index
    stubs.post("#{API}/assets/#{ASSET_ID}/urls/") do
      problem(400, "invalid_spec", errors: { "specs" => { "1" => ["fit needs WxH"] } })
    end
    error = assert_raises(Dam::InvalidSpec) { client.assets.urls(ASSET_ID, %w[width-10 fit-0x0]) }
    assert_equal({ "1" => ["fit needs WxH"] }, error.errors["specs"])
  end

  def test_rendition_specs
    stubs.get("#{API}/rendition-specs/") do
      json(200, [{ "name" => "thumb", "spec" => "fill-200x200|format-webp", "width" => 200, "height" => 200 }])
    end
    assert_equal 200, client.rendition_specs.find("thumb")["width"]
    assert_raises(Dam::NotFound) { client.rendition_specs.find("nope") }
  end
end
