# frozen_string_literal: true

require "test_helper"

class WebhookTest < Minitest::Test
  SECRET = "whsec_test"
  BODY = '{"event":"asset.ready"}'
  # Printed by assets/webhooks.py sign(SECRET, 1700000000, BODY).
  SERVER_HEADER = "t=1700000000,v1=dee30f7ad27146c97883605630df8cc8682be8dc83742e305134a1db84532a1b"
  NOW = Time.at(1_700_000_100)

  def test_the_servers_signature_verifies_and_the_event_is_parsed
    event = Dam::Webhook.construct_event(BODY, SERVER_HEADER, SECRET, now: NOW)
    assert_equal "asset.ready", event["event"]
  end

  def test_sign_makes_what_the_server_makes
    assert_equal SERVER_HEADER, Dam::Webhook.sign(BODY, SECRET, timestamp: 1_700_000_000)
  end

  def test_tampering_another_secret_or_a_replay_is_refused
    [["#{BODY} ", SERVER_HEADER, SECRET, NOW], [BODY, SERVER_HEADER, "other", NOW],
     [BODY, SERVER_HEADER, SECRET, Time.at(1_700_000_301)], [BODY, SERVER_HEADER, SECRET, Time.at(1_699_999_699)],
     [BODY, "garbage", SECRET, NOW], [BODY, nil, SECRET, NOW], [BODY, "t=1700000000", SECRET, NOW],
     [BODY, SERVER_HEADER.sub(/v1=../, "v1=00"), SECRET, NOW]].each do |body, header, secret, now|
      refute Dam::Webhook.valid?(body, header, secret, now: now), [body, header, secret, now].inspect
      assert_raises(Dam::WebhookError) { Dam::Webhook.construct_event(body, header, secret, now: now) }
    end
  end

  def test_the_tolerance_is_configurable
    assert Dam::Webhook.valid?(BODY, SERVER_HEADER, SECRET, now: Time.at(1_700_000_900), tolerance: 1000)
  end

  def test_a_rotated_secret_and_several_signatures_are_accepted
    assert Dam::Webhook.valid?(BODY, SERVER_HEADER, %w[new_secret whsec_test], now: NOW)
    header = "t=1700000000,v1=#{"0" * 64},v1=#{SERVER_HEADER.split("v1=").last}"
    assert Dam::Webhook.valid?(BODY, header, SECRET, now: NOW)
  end

  def test_a_missing_secret_is_a_programming_error
    assert_raises(ArgumentError) { Dam::Webhook.verify!(BODY, SERVER_HEADER, nil, now: NOW) }
  end

  def test_a_signed_body_that_is_not_json
    header = Dam::Webhook.sign("nope", SECRET, timestamp: NOW.to_i)
    error = assert_raises(Dam::WebhookError) { Dam::Webhook.construct_event("nope", header, SECRET, now: NOW) }
    assert_match(/not JSON/, error.message)
  end

  # What a Rails controller does, with the request's raw (binary) body.
  def test_from_a_controller_with_the_clients_configured_secret
    body = %({"event":"asset.deleted","data":{"asset":{"id":"#{ASSET_ID}","title":"Caf\u00e9"}}}).b
    header = Dam::Webhook.sign(body, SECRET)
    event = client(webhook_secret: SECRET).webhook_event(body, header)
    assert_equal ["asset.deleted", "Caf\u00e9"], [event["event"], event["data"]["asset"]["title"]]
  end
end
