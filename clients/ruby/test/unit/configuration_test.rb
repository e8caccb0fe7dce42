# frozen_string_literal: true

require "test_helper"

class ConfigurationTest < Minitest::Test
  def test_the_api_url_comes_from_a_site_root_with_or_without_the_api_path
    %w[https://dam.example.com https://dam.example.com/ https://dam.example.com/api/v1/].each do |base|
      assert_equal "https://dam.example.com/api/v1/", Dam::Configuration.new(base_url: base).api_url
    end
  end

  def test_defaults_come_from_the_environment
    with_env("DAM_URL" => "https://env.example.com", "DAM_API_KEY" => "dam_env") do
      config = Dam::Configuration.new
      assert_equal ["https://env.example.com", "dam_env"], [config.base_url, config.api_key]
      assert_equal 3, config.max_retries
    end
  end

  def test_a_missing_key_or_url_fails_when_the_client_is_built
    with_env("DAM_URL" => nil, "DAM_API_KEY" => nil) do
      error = assert_raises(ArgumentError) { Dam::Client.new(base_url: "https://x.example") }
      assert_match(/api_key/, error.message)
      assert_raises(ArgumentError) { Dam::Client.new(api_key: "k") }
    end
  end

  def test_dam_configure_builds_the_shared_client
    Dam.configure do |config|
      config.base_url = "https://dam.example.com"
      config.api_key = "dam_configured"
      config.timeout = 3
    end
    assert_equal 3, Dam.client.config.timeout
    assert_same Dam.client, Dam.client
  ensure
    Dam.reset!
  end

  def test_a_client_can_override_a_shared_configuration_without_changing_it
    shared = Dam::Configuration.new(base_url: SITE, api_key: "dam_test", timeout: 5)
    assert_equal 60, Dam::Client.new(shared, timeout: 60).config.timeout
    assert_equal 5, shared.timeout
  end

  def test_an_unknown_setting_is_refused
    error = assert_raises(ArgumentError) { Dam::Configuration.new(time_out: 5) }
    assert_match(/unknown setting time_out/, error.message)
  end

  def test_every_request_carries_the_key_and_a_user_agent
    stubs.get("#{API}/rendition-specs/") do |env|
      assert_equal "Api-Key dam_test", env[:request_headers]["Authorization"]
      assert_match(/dam-client-ruby/, env[:request_headers]["User-Agent"])
      json(200, [])
    end
    assert_equal [], client.rendition_specs.list
    stubs.verify_stubbed_calls
  end

  def test_timeouts_reach_faraday
    stubs.get("#{API}/rendition-specs/") do |env|
      assert_equal [1, 4], [env[:request][:open_timeout], env[:request][:timeout]]
      json(200, [])
    end
    client(open_timeout: 1, timeout: 4).rendition_specs.list
  end

  private

  def with_env(values)
    saved = values.keys.to_h { |name| [name, ENV.fetch(name, nil)] }
    values.each { |name, value| ENV[name] = value }
    yield
  ensure
    saved.each { |name, value| ENV[name] = value }
  end
end
