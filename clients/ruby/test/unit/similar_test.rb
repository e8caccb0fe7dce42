# frozen_string_literal: true

require "test_helper"

# `similar` (GET assets/{id}/similar/) and the `similar` entries of an upload's answer. The endpoint
# is the perceptual-hash work's, built alongside this client: these tests run against the stubbed
# transport only, with the shape it is specified to have; the live suite cannot cover it yet.
class SimilarTest < Minitest::Test
  NEAR = "1b1e0c52-0000-4000-8000-000000000001"
  FAR = "1b1e0c52-0000-4000-8000-000000000002"

  def test_similar_returns_structs_nearest_first_with_the_asset_json
    stubs.get("#{API}/assets/#{ASSET_ID}/similar/") do |env|
      assert_empty env[:params]
      json(200, "results" => [{ "distance" => 0, "asset" => asset(NEAR) }, { "distance" => 7, "asset" => asset(FAR) }])
    end
    found = client.similar(ASSET_ID)
    assert_equal [Dam::Similar], found.map(&:class).uniq
    assert_equal([[0, NEAR], [7, FAR]], found.map { |one| [one.distance, one.id] })
    assert_equal "Forest", found.first.asset["title"]
    assert_equal [0, NEAR], [found.first[:distance], found.first["asset"]["id"]]
    assert_equal({ distance: 7, asset: asset(FAR) }, found.last.to_h)
  end

  def test_max_distance_is_sent_as_an_integer
    stubs.get("#{API}/assets/#{ASSET_ID}/similar/") do |env|
      assert_equal({ "max_distance" => "4" }, env[:params])
      json(200, "results" => [])
    end
    assert_empty client.similar(ASSET_ID, max_distance: 4)
    assert_raises(ArgumentError) { client.similar(ASSET_ID, max_distance: "close") }
    stubs.verify_stubbed_calls
  end

  def test_an_unknown_asset_is_not_found
    stubs.get("#{API}/assets/#{ASSET_ID}/similar/") { problem(404, "not_found") }
    assert_raises(Dam::NotFound) { client.similar(ASSET_ID) }
  end

  def test_an_uploads_similar_list_passes_through_the_created_asset
    stubs.post("#{API}/assets/") do
      json(201, asset("similar" => [{ "id" => NEAR, "distance" => 2 }]))
    end
    created = client.assets.create(file: StringIO.new(jpeg_bytes), filename: "forest.jpg")
    assert_equal [{ "id" => NEAR, "distance" => 2 }], created["similar"]
  end
end
