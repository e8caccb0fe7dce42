# frozen_string_literal: true

require "test_helper"

# GET collections/ (the whole tree, unpaginated) and `collection:` on the asset writes.
class CollectionsTest < Minitest::Test
  TREE = [
    { "id" => 1, "name" => "Library", "path" => "Library", "parent" => nil, "depth" => 1 },
    { "id" => 3, "name" => "Features", "path" => "Library / Features", "parent" => 1, "depth" => 2 },
    { "id" => 4, "name" => "2026", "path" => "Library / Features / 2026", "parent" => 3, "depth" => 3 }
  ].freeze

  def test_list_is_the_tree_as_the_server_sends_it_in_one_request
    calls = 0
    stubs.get("#{API}/collections/") do |env|
      calls += 1
      assert_empty env[:params]
      json(200, TREE)
    end
    assert_equal TREE, client.collections.list
    assert_equal 1, calls
  end

  def test_find_by_id_or_path_else_not_found
    3.times { stubs.get("#{API}/collections/") { json(200, TREE) } }
    assert_equal "Features", client.collections.find(3)["name"]
    assert_equal 4, client.collections.find("Library / Features / 2026")["id"]
    error = assert_raises(Dam::NotFound) { client.collections.find(99) }
    assert_equal [404, "not_found"], [error.status, error.code]
  end

  def test_list_is_retried_like_any_read
    stubs.get("#{API}/collections/") { problem(503, "overloaded", headers: { "Retry-After" => "1" }) }
    stubs.get("#{API}/collections/") { json(200, TREE) }
    assert_equal 3, client.collections.list.size
    assert_equal [1.0], sleeps
  end

  def test_a_key_without_permission_is_a_typed_error
    stubs.get("#{API}/collections/") { problem(403, "permission_denied") }
    assert_raises(Dam::PermissionDenied) { client.collections.list }
  end

  def test_the_assets_of_a_collection_and_those_below_it
    stubs.get("#{API}/assets/") do |env|
      assert_equal({ "collection" => "3", "include_descendants" => "true" }, env[:params])
      json(200, "next" => nil, "previous" => nil, "results" => [asset])
    end
    assert_equal [ASSET_ID], (client.assets.list(collection: 3, include_descendants: true).map { |one| one["id"] })
  end

  def test_collection_is_a_field_of_create_update_and_complete
    stubs.post("#{API}/assets/") do |env|
      assert_includes multipart_rows(env), ["collection", nil, nil, "3"]
      json(201, asset)
    end
    stubs.patch("#{API}/assets/#{ASSET_ID}/") do |env|
      assert_equal({ "collection" => 4 }, JSON.parse(env[:body]))
      json(200, asset)
    end
    stubs.post("#{API}/uploads/u1/complete/") do |env|
      assert_equal({ "collection" => 3, "title" => "T" }, JSON.parse(env[:body]))
      json(201, asset)
    end
    client.assets.create(file: StringIO.new(jpeg_bytes), filename: "a.jpg", collection: 3)
    client.assets.update(ASSET_ID, collection: 4)
    client.uploads.complete("u1", collection: 3, title: "T")
    stubs.verify_stubbed_calls
  end
end
