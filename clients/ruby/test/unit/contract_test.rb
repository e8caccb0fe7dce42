# frozen_string_literal: true

require "test_helper"

# The API contract the gem is built for, ahead of servers that do not have it yet: bulk lookup
# by ids and conditional GET. Stubbed here; the live suite covers what the server does today.
class ContractTest < Minitest::Test
  def test_find_many_answers_in_the_order_asked_and_lists_the_missing
    stubs.get("#{API}/assets/") do |env|
      assert_equal "b,zz,a", env[:params]["ids"]
      json(200, "next" => nil, "previous" => nil, "results" => [asset("a"), asset("b")], "missing" => ["zz"])
    end
    found = client.assets.find_many(%w[b zz a])
    assert_equal %w[b a], (found.map { |one| one["id"] })
    assert_equal %w[zz], found.missing
    assert_equal %w[b a], found.to_h.keys
  end

  def test_find_many_splits_long_lists_into_requests_the_server_accepts
    asked = []
    stubs.get("#{API}/assets/") do |env|
      ids = env[:params]["ids"].split(",")
      asked << ids.size
      json(200, "next" => nil, "previous" => nil, "results" => ids.map { |id| asset(id) })
    end
    ids = (1..450).map { |n| "id-#{n}" }
    assert_equal ids, (client.assets.find_many(ids).map { |one| one["id"] })
    assert_equal [200, 200, 50], asked
  end

  def test_find_many_follows_next_if_the_server_pages_the_answer
    stubs.get("#{API}/assets/") do |env|
      if env[:params]["cursor"]
        json(200, "next" => nil, "results" => [asset("b")])
      else
        json(200, "next" => "#{SITE}/api/v1/assets/?cursor=x&ids=a,b", "results" => [asset("a")])
      end
    end
    assert_equal %w[a b], (client.assets.find_many(%w[a b]).map { |one| one["id"] })
  end

  def test_with_a_cache_a_get_revalidates_with_its_etag_and_a_304_reuses_the_body
    sent = []
    stubs.get("#{API}/assets/#{ASSET_ID}/") do |env|
      sent << env[:request_headers]["If-None-Match"]
      json(200, asset, "ETag" => "\"v1\"")
    end
    stubs.get("#{API}/assets/#{ASSET_ID}/") do |env|
      sent << env[:request_headers]["If-None-Match"]
      [304, { "ETag" => "\"v1\"" }, ""]
    end
    dam = client(cache: Dam::MemoryCache.new)
    first = dam.assets.get(ASSET_ID)
    second = dam.assets.get(ASSET_ID)
    assert_equal [nil, "\"v1\""], sent
    assert_equal first, second
  end

  def test_list_pages_are_revalidated_too
    sent = []
    stubs.get("#{API}/assets/") do |env|
      sent << env[:request_headers]["If-None-Match"]
      sent.size == 1 ? json(200, { "next" => nil, "results" => [asset] }, "ETag" => "W/\"p1\"") : [304, {}, ""]
    end
    dam = client(cache: Dam::MemoryCache.new)
    2.times { assert_equal [ASSET_ID], (dam.assets.list(tag: "x").map { |one| one["id"] }) }
    assert_equal [nil, "W/\"p1\""], sent
  end

  def test_the_cache_is_keyed_by_api_key_too
    cache = Dam::MemoryCache.new
    sent = []
    2.times do
      stubs.get("#{API}/assets/#{ASSET_ID}/") do |env|
        sent << env[:request_headers]["If-None-Match"]
        json(200, asset, "ETag" => "\"v1\"")
      end
    end
    client(cache: cache).assets.get(ASSET_ID)
    client(cache: cache, api_key: "dam_other").assets.get(ASSET_ID)
    assert_equal [nil, nil], sent
  end

  def test_without_a_cache_no_conditional_header_is_sent
    stubs.get("#{API}/assets/#{ASSET_ID}/") do |env|
      assert_nil env[:request_headers]["If-None-Match"]
      json(200, asset, "ETag" => "\"v1\"")
    end
    client.assets.get(ASSET_ID)
    stubs.verify_stubbed_calls
  end

  def test_a_key_reused_with_another_body_is_a_conflict
    stubs.post("#{API}/assets/") { problem(409, "idempotency_conflict") }
    error = assert_raises(Dam::Conflict) do
      client.assets.create(file: StringIO.new(jpeg_bytes), idempotency_key: "k1")
    end
    assert_equal "idempotency_conflict", error.code
  end
end
