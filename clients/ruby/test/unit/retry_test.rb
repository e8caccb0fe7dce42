# frozen_string_literal: true

require "test_helper"

class RetryTest < Minitest::Test
  PATH = "#{API}/assets/#{ASSET_ID}/"

  def test_429_is_retried_after_its_retry_after
    stubs.get(PATH) { problem(429, "throttled", headers: { "Retry-After" => "2" }) }
    stubs.get(PATH) { json(200, asset) }
    assert_equal ASSET_ID, client.assets.get(ASSET_ID)["id"]
    assert_equal [2.0], sleeps
  end

  def test_retry_after_as_an_http_date_is_honoured
    later = (Time.now + 3).httpdate
    stubs.get(PATH) { problem(503, "overloaded", headers: { "Retry-After" => later }) }
    stubs.get(PATH) { json(200, asset) }
    client.assets.get(ASSET_ID)
    assert_in_delta 3, sleeps.first, 1.1
  end

  def test_503_without_retry_after_backs_off_exponentially_with_jitter
    3.times { stubs.get(PATH) { problem(503, "overloaded") } }
    stubs.get(PATH) { json(200, asset) }
    client(base_delay: 1, max_delay: 3).assets.get(ASSET_ID)
    assert_equal 3, sleeps.size
    [[0.5, 1], [1, 2], [1.5, 3]].zip(sleeps).each { |(low, high), slept| assert_includes low..high, slept }
  end

  def test_network_errors_are_retried_on_a_get
    stubs.get(PATH) { raise Faraday::ConnectionFailed, "Connection refused" }
    stubs.get(PATH) { raise Faraday::TimeoutError, "read timeout" }
    stubs.get(PATH) { json(200, asset) }
    assert_equal ASSET_ID, client.assets.get(ASSET_ID)["id"]
    assert_equal 2, sleeps.size
  end

  def test_after_max_retries_the_last_error_is_raised_with_its_retry_after
    4.times { stubs.get(PATH) { problem(429, "throttled", headers: { "Retry-After" => "1" }) } }
    error = assert_raises(Dam::RateLimited) { client(max_retries: 3).assets.get(ASSET_ID) }
    assert_equal 1.0, error.retry_after
    assert_equal [1.0, 1.0, 1.0], sleeps
  end

  def test_a_retry_after_longer_than_the_budget_is_raised_at_once
    stubs.get(PATH) { problem(429, "throttled", headers: { "Retry-After" => "120" }) }
    error = assert_raises(Dam::RateLimited) { client(max_retry_wait: 10).assets.get(ASSET_ID) }
    assert_equal 120.0, error.retry_after
    assert_empty sleeps
  end

  def test_a_client_error_is_never_retried
    stubs.get(PATH) { problem(404, "not_found") }
    assert_raises(Dam::NotFound) { client.assets.get(ASSET_ID) }
    assert_empty sleeps
  end

  def test_a_post_without_an_idempotency_key_is_never_retried
    calls = 0
    stubs.post("#{API}/assets/") do
      calls += 1
      raise Faraday::TimeoutError, "read timeout"
    end
    assert_raises(Dam::TimeoutError) do
      client.assets.create(file: StringIO.new(jpeg_bytes), filename: "a.jpg", idempotency_key: nil)
    end
    assert_equal 1, calls
    assert_empty sleeps
  end

  def test_a_post_without_an_idempotency_key_is_not_retried_on_503_either
    calls = 0
    stubs.post("#{API}/uploads/") do
      calls += 1
      problem(503, "overloaded", headers: { "Retry-After" => "1" })
    end
    assert_raises(Dam::Overloaded) do
      client.uploads.start(filename: "a.jpg", content_type: "image/jpeg", byte_size: 3, idempotency_key: nil)
    end
    assert_equal 1, calls
  end

  def test_a_create_is_retried_with_the_same_key_and_the_same_bytes
    seen = []
    stubs.post("#{API}/assets/") do |env|
      seen << [env[:request_headers]["Idempotency-Key"], multipart_rows(env)]
      raise Faraday::ConnectionFailed, "Connection reset by peer"
    end
    stubs.post("#{API}/assets/") do |env|
      seen << [env[:request_headers]["Idempotency-Key"], multipart_rows(env)]
      json(201, asset)
    end
    client.assets.create(file: StringIO.new(jpeg_bytes), filename: "a.jpg", title: "T")
    assert_equal 2, seen.size
    assert_match(/\A\h{8}-\h{4}-\h{4}-\h{4}-\h{12}\z/, seen[0][0])
    assert_equal seen[0], seen[1]
    assert_equal jpeg_bytes, seen[1][1].last.last
  end

  def test_a_caller_supplied_idempotency_key_is_sent_as_is
    stubs.post("#{API}/uploads/") do |env|
      assert_equal "order-42-hero", env[:request_headers]["Idempotency-Key"]
      json(201, { "upload" => {}, "instructions" => {} })
    end
    client.uploads.start(filename: "a.jpg", content_type: "image/jpeg", byte_size: 3, idempotency_key: "order-42-hero")
    stubs.verify_stubbed_calls
  end

  def test_retries_are_logged
    log = StringIO.new
    stubs.get(PATH) { problem(503, "overloaded", headers: { "Retry-After" => "1" }) }
    stubs.get(PATH) { json(200, asset) }
    client(logger: Logger.new(log)).assets.get(ASSET_ID)
    assert_match(%r{GET assets/#{ASSET_ID}/: .*overloaded.*retry 1/3 in 1.00s}, log.string)
  end

  def test_max_retries_zero_turns_retries_off
    stubs.get(PATH) { problem(503, "overloaded", headers: { "Retry-After" => "1" }) }
    assert_raises(Dam::Overloaded) { client(max_retries: 0).assets.get(ASSET_ID) }
    assert_empty sleeps
  end

  # Real sockets on loopback, through Faraday's default adapter: its errors map to ours.
  def test_a_refused_connection_is_retried_then_raised_as_a_connection_error
    port = TCPServer.open("127.0.0.1", 0) { |server| server.addr[1] } # closed again: nothing listens
    dam = Dam::Client.new(base_url: "http://127.0.0.1:#{port}", api_key: "k", max_retries: 2,
                          sleeper: ->(seconds) { sleeps << seconds })
    assert_raises(Dam::ConnectionError) { dam.assets.get(ASSET_ID) }
    assert_equal 2, sleeps.size
  end

  def test_a_server_that_never_answers_is_a_timeout
    server = TCPServer.new("127.0.0.1", 0)
    dam = Dam::Client.new(base_url: "http://127.0.0.1:#{server.addr[1]}", api_key: "k", timeout: 0.2,
                          max_retries: 1, sleeper: ->(seconds) { sleeps << seconds })
    assert_raises(Dam::TimeoutError) { dam.assets.get(ASSET_ID) }
    assert_equal 1, sleeps.size
  ensure
    server&.close
  end
end
