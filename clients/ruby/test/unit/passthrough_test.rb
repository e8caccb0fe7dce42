# frozen_string_literal: true

require "test_helper"

# Assets are the API's JSON as plain Hashes, so fields the server adds (a placeholder, rights,
# embedded metadata, the focal point's source, usage_count) reach the app unchanged, and nothing
# the gem computes from an asset breaks on them.
class PassthroughTest < Minitest::Test
  NEW_FIELDS = {
    "placeholder" => { "kind" => "blurhash", "value" => "LEHV6nWB2yk8pyo0adR*.7kCMdnj" },
    "rights" => { "license" => "CC-BY-4.0", "expires_at" => "2027-01-01T00:00:00Z" },
    "embedded" => { "creator" => "Jane Doe", "headline" => "Forest" },
    "taken_at" => "2026-05-01T06:12:00Z",
    "usage_count" => 3,
    "focal_point" => { "x" => 0.3, "y" => 0.4, "source" => "automatic" }
  }.freeze

  def test_new_asset_fields_reach_the_app_unchanged
    stubs.get("#{API}/assets/#{ASSET_ID}/") { json(200, asset(**NEW_FIELDS)) }
    got = client.assets.get(ASSET_ID)
    NEW_FIELDS.each { |name, value| assert_equal value, got[name], name }
  end

  def test_a_focal_point_with_a_source_signs_as_without_it
    signer = Dam::UrlSigner.new(base_url: SITE, key: "k")
    with_source = signer.url(asset(**NEW_FIELDS), "fill-640x360|format-webp")
    plain = signer.url(asset("focal_point" => { "x" => 0.3, "y" => 0.4 }), "fill-640x360|format-webp")
    assert_equal plain, with_source
  end

  def test_image_tags_ignore_fields_they_do_not_use
    assert_equal Dam::ImageTag.attributes(asset), Dam::ImageTag.attributes(asset(**NEW_FIELDS))
  end
end
