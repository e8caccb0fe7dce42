# frozen_string_literal: true

require "time"

module Dam
  # When to retry and how long to wait. Written here rather than with faraday-retry: Faraday 1.x
  # and 2.x ship it differently, and it cannot tell a replayable POST (one with an
  # Idempotency-Key) from one that would create a second asset.
  class RetryPolicy
    # Transient by definition: rate limited, overloaded, or a proxy between us and the app.
    RETRY_STATUSES = [429, 502, 503, 504].freeze
    # Replaying these cannot do anything twice (PATCH here sets fields to given values).
    IDEMPOTENT_METHODS = %i[get head put patch delete options].freeze
    JITTER = (0.5..1.0).freeze # "equal jitter": spread retries of many clients, keep a floor

    def self.parse_retry_after(value)
      return nil if value.nil? || value.to_s.strip.empty?
      return [Float(value), 0].max if value.to_s.strip.match?(/\A\d+(\.\d+)?\z/)

      [Time.httpdate(value.to_s) - Time.now, 0].max
    rescue ArgumentError
      nil
    end

    def initialize(config, sleeper: nil, random: Random.new)
      @config = config
      @sleeper = sleeper || ->(seconds) { sleep(seconds) }
      @random = random
    end

    # A POST is replayed only when it carries an Idempotency-Key or is known to be idempotent.
    # `idempotent`: true or false decides for the call (false: a PUT whose every call records
    # something, e.g. a file replacement); nil decides by the method and the header.
    def replayable?(method, headers, idempotent)
      return idempotent unless idempotent.nil?

      IDEMPOTENT_METHODS.include?(method) || headers.key?("Idempotency-Key")
    end

    # Seconds to wait before attempt number `attempt + 1`, or nil to give up and raise.
    def delay(attempt, error)
      return nil if attempt > @config.max_retries
      return backoff(attempt) if error.is_a?(ConnectionError)
      return nil unless error.respond_to?(:status) && RETRY_STATUSES.include?(error.status)
      return backoff(attempt) if error.retry_after.nil?

      error.retry_after <= @config.max_retry_wait ? error.retry_after : nil
    end

    # Backoff for a wait that is not an HTTP retry (an upload still settling), within max_retries.
    def backoff_within_budget(attempt)
      attempt > @config.max_retries ? nil : backoff(attempt)
    end

    def wait(seconds)
      @sleeper.call(seconds)
    end

    private

    def backoff(attempt)
      ceiling = [@config.base_delay * (2**(attempt - 1)), @config.max_delay].min
      ceiling * @random.rand(JITTER)
    end
  end
end
