# frozen_string_literal: true

require "test_helper"

# Usages (PUT/DELETE assets/{id}/usages/{external_id}, GET assets/{id}/usages/) and the `used:`
# list filter. Offline; the live suite runs the same round trip against a real server.
class UsagesTest < Minitest::Test
  def usage(external_id, url: "https://app.example/#{external_id}", label: "")
    { "external_id" => external_id, "url" => url, "label" => label,
      "created_at" => "2026-11-27T12:00:00Z", "updated_at" => "2026-11-27T12:00:00Z" }
  end

  def test_usages_is_a_lazy_enumerator_over_every_page
    queries = []
    stubs.get("#{API}/assets/#{ASSET_ID}/usages/") do |env|
      queries << env[:params]
      if env[:params]["cursor"]
        json(200, "next" => nil, "previous" => nil, "results" => [usage("c")])
      else
        json(200, "next" => "https://elsewhere.example/api/v1/assets/#{ASSET_ID}/usages/?cursor=cD0y&page_size=2",
                  "previous" => nil, "results" => [usage("a"), usage("b")])
      end
    end
    listed = client.usages(ASSET_ID, page_size: 2)
    assert_kind_of Enumerator, listed
    assert_empty queries # nothing fetched until iterated
    assert_equal %w[a b c], (listed.map { |one| one["external_id"] })
    assert_equal [{ "page_size" => "2" }, { "cursor" => "cD0y", "page_size" => "2" }], queries
    assert_equal %w[a], (client.usages(ASSET_ID).first(1).map { |one| one["external_id"] })
  end

  def test_usages_refuses_an_unknown_filter
    assert_raises(ArgumentError) { client.usages(ASSET_ID, tag: "x").first }
  end

  def test_put_usage_sends_the_whole_usage_as_json_to_the_encoded_segment
    bodies = []
    stubs.put("#{API}/assets/#{ASSET_ID}/usages/article%3A4711") do |env|
      assert_equal "application/json", env[:request_headers]["Content-Type"]
      bodies << JSON.parse(env[:body])
      json(bodies.size == 1 ? 201 : 200, usage("article:4711", label: bodies.last["label"]))
    end
    created = client.put_usage(ASSET_ID, "article:4711", url: "https://app.example/articles/4711",
                                                         label: "Forest feature")
    assert_equal ["article:4711", "Forest feature"], created.values_at("external_id", "label")
    client.put_usage(ASSET_ID, "article:4711", url: URI("https://app.example/articles/4711"))
    assert_equal [{ "url" => "https://app.example/articles/4711", "label" => "Forest feature" },
                  { "url" => "https://app.example/articles/4711", "label" => "" }], bodies
  end

  def test_put_usage_is_retried_like_a_read_because_it_is_idempotent
    stubs.put("#{API}/assets/#{ASSET_ID}/usages/a") { problem(503, "overloaded", headers: { "Retry-After" => "1" }) }
    stubs.put("#{API}/assets/#{ASSET_ID}/usages/a") { json(200, usage("a")) }
    assert_equal "a", client.put_usage(ASSET_ID, "a", url: "https://app.example/")["external_id"]
    assert_equal [1.0], sleeps
  end

  def test_delete_usage_is_true_then_not_found
    stubs.delete("#{API}/assets/#{ASSET_ID}/usages/page%3Ahome") { [204, {}, ""] }
    stubs.delete("#{API}/assets/#{ASSET_ID}/usages/page%3Ahome") { problem(404, "not_found") }
    assert client.delete_usage(ASSET_ID, "page:home")
    error = assert_raises(Dam::NotFound) { client.delete_usage(ASSET_ID, "page:home") }
    assert_equal "not_found", error.code
  end

  def test_an_external_id_the_server_refuses_is_an_invalid_request_and_cannot_escape_its_segment
    stubs.put("#{API}/assets/#{ASSET_ID}/usages/a%2Fb") do
      problem(400, "invalid_external_id", errors: { "external_id" => ["An external id is ..."] })
    end
    error = assert_raises(Dam::InvalidRequest) { client.put_usage(ASSET_ID, "a/b", url: "https://app.example/") }
    assert_equal ["invalid_external_id", %w[external_id]], [error.code, error.errors.keys]
    assert_equal Dam::InvalidRequest, Dam::Error.for_code("invalid_external_id")
    assert_raises(ArgumentError) { client.put_usage(ASSET_ID, nil, url: "https://app.example/") }
    assert_raises(ArgumentError) { client.delete_usage(ASSET_ID, "") }
  end

  def test_a_bad_body_names_its_field
    stubs.put("#{API}/assets/#{ASSET_ID}/usages/a") do
      problem(400, "invalid", errors: { "url" => ["Enter an http:// or https:// URL."] })
    end
    error = assert_raises(Dam::InvalidRequest) { client.put_usage(ASSET_ID, "a", url: "ftp://x") }
    assert_equal %w[url], error.errors.keys
  end

  def test_the_used_filter_is_sent_as_true_or_false
    sent = []
    stubs.get("#{API}/assets/") do |env|
      sent << env[:params]["used"]
      json(200, "next" => nil, "previous" => nil, "results" => [asset("usage_count" => 2)])
    end
    assert_equal [2], (client.assets.list(used: true).map { |one| one["usage_count"] })
    client.assets.list(used: false, tag: "x").to_a
    assert_equal %w[true false], sent
  end

  def test_the_usage_resource_is_there_for_those_who_prefer_it
    stubs.get("#{API}/assets/#{ASSET_ID}/usages/") { json(200, "next" => nil, "results" => [usage("a")]) }
    assert_equal %w[a], (client.asset_usages.list(ASSET_ID).map { |one| one["external_id"] })
  end
end
