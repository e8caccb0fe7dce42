# frozen_string_literal: true

require "json"
require "openssl"

module Dam
  # Verifying dam's webhooks (the scheme is in docs/api.md):
  #
  #   X-Dam-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
  #
  # In a Rails controller: `event = Dam::Webhook.construct_event(request.raw_post,
  # request.headers["X-Dam-Signature"], ENV.fetch("DAM_WEBHOOK_SECRET"))`.
  module Webhook
    HEADER = "X-Dam-Signature"
    SCHEME = "v1"
    DEFAULT_TOLERANCE = 300 # seconds: a captured request cannot be replayed later than this

    module_function

    # The event (parsed JSON) when the signature is good; raises Dam::WebhookError otherwise.
    # `secret` may be a list (during a rotation every listed secret is accepted).
    def construct_event(payload, header, secret, tolerance: DEFAULT_TOLERANCE, now: Time.now)
      verify!(payload, header, secret, tolerance: tolerance, now: now)
      JSON.parse(payload)
    rescue JSON::ParserError => e
      raise WebhookError, "Dam: the webhook body is not JSON (#{e.message})"
    end

    def verify!(payload, header, secret, tolerance: DEFAULT_TOLERANCE, now: Time.now)
      secrets = Array(secret).map(&:to_s).reject(&:empty?)
      raise ArgumentError, "Dam: a webhook secret is required" if secrets.empty?

      timestamp, signatures = parse(header)
      raise WebhookError, "Dam: the webhook signature does not match" unless
        signed?(signatures, secrets.map { |one| digest(one, timestamp, payload) })
      raise WebhookError, "Dam: the webhook timestamp is outside the tolerance" if
        (now.to_i - timestamp).abs > tolerance

      true
    end

    def valid?(payload, header, secret, **options)
      verify!(payload, header, secret, **options)
    rescue WebhookError
      false
    end

    # The header dam would send: for request specs of your webhook endpoint.
    def sign(payload, secret, timestamp: Time.now.to_i)
      "t=#{timestamp},#{SCHEME}=#{digest(secret, timestamp, payload)}"
    end

    def digest(secret, timestamp, payload)
      OpenSSL::HMAC.hexdigest("SHA256", secret.to_s, "#{timestamp}.#{payload}")
    end

    # "t=…,v1=…[,v1=…]" → [timestamp, [signatures]]
    def parse(header)
      pairs = header.to_s.split(",").map { |part| part.strip.split("=", 2) }
      timestamp = pairs.assoc("t")&.last.to_s
      raise WebhookError, "Dam: #{HEADER} is missing or has no timestamp" unless timestamp.match?(/\A\d+\z/)

      [Integer(timestamp, 10), pairs.select { |name, _| name == SCHEME }.map(&:last).compact]
    end

    def signed?(signatures, expected)
      signatures.any? { |given| expected.any? { |wanted| secure_compare(wanted, given) } }
    end

    # Constant time: how much of a guess matched must not show in how long the check took.
    def secure_compare(expected, given)
      return false unless expected.bytesize == given.bytesize
      return OpenSSL.fixed_length_secure_compare(expected, given) if OpenSSL.respond_to?(:fixed_length_secure_compare)

      result = 0
      expected.bytes.zip(given.bytes) { |a, b| result |= a ^ b }
      result.zero?
    end
  end
end
