# frozen_string_literal: true

module Dam
  # Everything the client needs, with defaults from the environment where one makes sense.
  # Timeouts are in seconds.
  class Configuration
    DEFAULTS = {
      open_timeout: 2,       # connecting: a healthy server accepts at once
      timeout: 15,           # reading an answer: a multipart upload is validated before it answers
      upload_timeout: 120,   # sending a file to storage (a direct upload of up to 50 MiB)
      max_retries: 3,        # after the first attempt; 0 turns retries off
      base_delay: 0.5,       # first backoff without Retry-After; doubles per attempt (with jitter)
      max_delay: 8,          # longest backoff without Retry-After
      max_retry_wait: 10,    # a longer Retry-After is raised instead (reschedule the job)
      webhook_tolerance: 300 # seconds a webhook's timestamp may be off (replays)
    }.freeze

    attr_accessor :base_url, :api_key, :signing_key, :webhook_secret, :logger, :cache, :user_agent,
                  *DEFAULTS.keys

    def initialize(**options)
      @base_url = ENV.fetch("DAM_URL", nil)
      @api_key = ENV.fetch("DAM_API_KEY", nil)
      @signing_key = ENV.fetch("DAM_URL_SIGNING_KEY", nil)
      @webhook_secret = ENV.fetch("DAM_WEBHOOK_SECRET", nil)
      @user_agent = "dam-client-ruby/#{VERSION}"
      assign(DEFAULTS.merge(options))
    end

    # A copy with some settings changed: `Dam::Client.new(Dam.configuration.merge(timeout: 60))`.
    def merge(**options)
      dup.tap { |copy| copy.send(:assign, options) }
    end

    # The API root, from a site root with or without "/api/v1".
    def api_url
      "#{site_url}/api/v1/"
    end

    def site_url
      raise ArgumentError, "Dam: base_url is not set (config.base_url or DAM_URL)" if blank?(base_url)

      base_url.to_s.sub(%r{/+\z}, "").sub(%r{/api/v1\z}, "")
    end

    def validate!
      site_url
      raise ArgumentError, "Dam: api_key is not set (config.api_key or DAM_API_KEY)" if blank?(api_key)

      self
    end

    private

    def assign(options)
      options.each do |name, value|
        raise ArgumentError, "Dam: unknown setting #{name}" unless respond_to?("#{name}=")

        public_send("#{name}=", value)
      end
    end

    def blank?(value)
      value.nil? || value.to_s.strip.empty?
    end
  end
end
