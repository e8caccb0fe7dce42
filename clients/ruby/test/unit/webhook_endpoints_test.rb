# frozen_string_literal: true

require "test_helper"

# webhook-endpoints/: CRUD, the secret shown once, rotation, deliveries, redelivery, test event.
class WebhookEndpointsTest < Minitest::Test
  BASE = "#{API}/webhook-endpoints/"
  DELIVERY_ID = "5b1e0000-0000-4000-8000-0000000000d1"

  def endpoint(id = "7", **overrides)
    { "id" => id, "url" => "https://app.example/hooks/dam", "events" => [], "active" => true,
      "created_at" => "2026-11-27T12:00:00Z", "previous_secret_expires_at" => nil }
      .merge(overrides.transform_keys(&:to_s))
  end

  def delivery(id = DELIVERY_ID, **overrides)
    { "id" => id, "endpoint_id" => "7", "event" => "webhook.test", "status" => "pending", "attempts" => 0,
      "response_status" => nil, "response_body" => "", "error" => "", "payload" => {} }
      .merge(overrides.transform_keys(&:to_s))
  end

  def test_list_is_a_lazy_enumerator_over_every_page
    queries = []
    stubs.get(BASE) do |env|
      queries << env[:params]
      if env[:params]["cursor"]
        json(200, "next" => nil, "previous" => nil, "results" => [endpoint("1")])
      else
        json(200, "next" => "https://elsewhere.example/api/v1/webhook-endpoints/?cursor=cD0y&page_size=2",
                  "previous" => nil, "results" => [endpoint("3"), endpoint("2")])
      end
    end
    listed = client.webhook_endpoints.list(page_size: 2)
    assert_kind_of Enumerator, listed
    assert_empty queries
    assert_equal %w[3 2 1], (listed.map { |one| one["id"] })
    assert_equal [{ "page_size" => "2" }, { "cursor" => "cD0y", "page_size" => "2" }], queries
    assert_raises(ArgumentError) { client.webhook_endpoints.list(status: "failed") }
  end

  def test_get
    stubs.get("#{BASE}7/") { json(200, endpoint) }
    stubs.get("#{BASE}8/") { problem(404, "not_found") }
    assert_equal "7", client.webhook_endpoints.get(7)["id"]
    assert_raises(Dam::NotFound) { client.webhook_endpoints.get("8") }
    assert_raises(ArgumentError) { client.webhook_endpoints.get(nil) }
  end

  def test_create_sends_url_and_events_and_returns_the_secret_shown_once
    stubs.post(BASE) do |env|
      assert_equal({ "url" => "https://app.example/hooks/dam", "events" => %w[asset.ready asset.deleted] },
                   JSON.parse(env[:body]))
      assert_nil env[:request_headers]["Idempotency-Key"]
      json(201, endpoint(events: %w[asset.deleted asset.ready], secret: "whsec_abc"), "Cache-Control" => "no-store")
    end
    created = client.webhook_endpoints.create(url: URI("https://app.example/hooks/dam"),
                                              events: %i[asset.ready asset.deleted])
    assert_equal %w[7 whsec_abc], created.values_at("id", "secret")
  end

  def test_create_sends_only_what_is_given
    stubs.post(BASE) do |env|
      assert_equal({ "url" => "https://app.example/h", "active" => false }, JSON.parse(env[:body]))
      json(201, endpoint(active: false, secret: "whsec_x"))
    end
    refute client.webhook_endpoints.create(url: "https://app.example/h", active: false)["active"]
  end

  # A replay would make a second endpoint: the server takes no Idempotency-Key for it.
  def test_create_is_never_retried
    calls = 0
    stubs.post(BASE) do
      calls += 1
      raise Faraday::TimeoutError, "read timeout"
    end
    assert_raises(Dam::TimeoutError) { client.webhook_endpoints.create(url: "https://app.example/h") }
    assert_equal 1, calls
    assert_empty sleeps
  end

  def test_a_refused_url_or_event_names_its_field
    stubs.post(BASE) do
      problem(400, "invalid", errors: { "url" => ["This URL cannot receive webhooks: not https."],
                                        "events" => ["\"asset.nope\" is not a valid choice."] })
    end
    error = assert_raises(Dam::InvalidRequest) do
      client.webhook_endpoints.create(url: "http://10.0.0.1/", events: %w[asset.nope])
    end
    assert_equal %w[events url], error.errors.keys.sort
  end

  def test_update_patches_only_the_given_fields_and_is_retried
    bodies = []
    stubs.patch("#{BASE}7/") { problem(503, "overloaded", headers: { "Retry-After" => "1" }) }
    2.times do
      stubs.patch("#{BASE}7/") do |env|
        bodies << JSON.parse(env[:body])
        json(200, endpoint(active: false))
      end
    end
    refute client.webhook_endpoints.update(7, active: false)["active"]
    client.webhook_endpoints.update(7, events: [], url: URI("https://app.example/new"))
    assert_equal [{ "active" => false }, { "events" => [], "url" => "https://app.example/new" }], bodies
    assert_equal [1.0], sleeps
    assert_raises(ArgumentError) { client.webhook_endpoints.update(7, secret: "whsec_mine") }
  end

  def test_delete_is_true_then_not_found
    stubs.delete("#{BASE}7/") { [204, {}, ""] }
    stubs.delete("#{BASE}7/") { problem(404, "not_found") }
    assert client.webhook_endpoints.delete(7)
    assert_raises(Dam::NotFound) { client.webhook_endpoints.delete(7) }
  end

  def test_rotate_secret_with_and_without_an_overlap
    bodies = []
    2.times do |n|
      stubs.post("#{BASE}7/rotate-secret/") do |env|
        bodies << JSON.parse(env[:body])
        json(200, endpoint(secret: "whsec_new#{n}", previous_secret_expires_at: "2026-11-28T12:00:00Z"),
             "Cache-Control" => "no-store")
      end
    end
    assert_equal "whsec_new0", client.webhook_endpoints.rotate_secret(7)["secret"]
    assert_equal "whsec_new1", client.webhook_endpoints.rotate_secret(7, expire_previous_in: 0)["secret"]
    assert_equal [{}, { "expire_previous_in" => 0 }], bodies
    assert_raises(ArgumentError) { client.webhook_endpoints.rotate_secret(7, expire_previous_in: "soon") }
  end

  # A replayed rotation would make a second secret and drop the one the lost answer held.
  def test_rotate_secret_is_never_retried
    calls = 0
    stubs.post("#{BASE}7/rotate-secret/") do
      calls += 1
      problem(503, "overloaded", headers: { "Retry-After" => "1" })
    end
    assert_raises(Dam::Overloaded) { client.webhook_endpoints.rotate_secret(7) }
    assert_equal 1, calls
  end

  def test_deliveries_page_lazily_with_their_filters
    queries = []
    stubs.get("#{BASE}7/deliveries/") do |env|
      queries << env[:params]
      if env[:params]["cursor"]
        json(200, "next" => nil, "results" => [delivery("b", status: "failed")])
      else
        json(200, "next" => "#{SITE}/api/v1/webhook-endpoints/7/deliveries/?cursor=x&event=asset.ready&status=failed",
                  "results" => [delivery("a", status: "failed")])
      end
    end
    listed = client.webhook_endpoints.deliveries(7, status: "failed", event: "asset.ready")
    assert_empty queries
    assert_equal %w[a b], (listed.map { |one| one["id"] })
    assert_equal [{ "status" => "failed", "event" => "asset.ready" },
                  { "cursor" => "x", "event" => "asset.ready", "status" => "failed" }], queries
    assert_raises(ArgumentError) { client.webhook_endpoints.deliveries(7, tag: "x") }
  end

  def test_redeliver_answers_a_new_delivery_and_is_never_retried
    calls = 0
    stubs.post("#{BASE}7/deliveries/#{DELIVERY_ID}/redeliver/") do |env|
      calls += 1
      assert_empty env[:body].to_s
      json(202, delivery("new-id", event: "asset.ready"))
    end
    assert_equal "new-id", client.webhook_endpoints.redeliver(7, DELIVERY_ID)["id"]
    stubs.post("#{BASE}7/deliveries/#{DELIVERY_ID}/redeliver/") do
      calls += 1
      raise Faraday::ConnectionFailed, "Connection reset by peer"
    end
    assert_raises(Dam::ConnectionError) { client.webhook_endpoints.redeliver(7, DELIVERY_ID) }
    assert_equal 2, calls
    assert_empty sleeps
  end

  def test_test_queues_a_webhook_test_event
    stubs.post("#{BASE}7/test/") { json(202, delivery) }
    queued = client.webhook_endpoints.test(7)
    assert_equal %w[webhook.test pending], queued.values_at("event", "status")
  end

  def test_an_inactive_endpoint_is_a_typed_conflict
    stubs.post("#{BASE}7/test/") { problem(409, "endpoint_inactive") }
    stubs.post("#{BASE}7/deliveries/#{DELIVERY_ID}/redeliver/") { problem(409, "endpoint_inactive") }
    error = assert_raises(Dam::EndpointInactive) { client.webhook_endpoints.test(7) }
    assert_equal [409, "endpoint_inactive"], [error.status, error.code]
    assert_raises(Dam::Conflict) { client.webhook_endpoints.redeliver(7, DELIVERY_ID) }
  end

  def test_a_read_only_key_writing_is_permission_denied
    stubs.post(BASE) { problem(403, "permission_denied") }
    assert_raises(Dam::PermissionDenied) { client.webhook_endpoints.create(url: "https://app.example/h") }
  end
end
