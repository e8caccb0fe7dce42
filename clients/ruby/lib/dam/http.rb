# frozen_string_literal: true

require "faraday"
require "json"

module Dam
  # The wire: JSON in and out, problem+json → typed errors, retries, conditional GET. It uses
  # only what Faraday 1.x and 2.x both have (`run_request`, no middleware), so the same code runs
  # on Debian's ruby-faraday and on a Gemfile's Faraday 2.
  class HTTP
    JSON_TYPE = %r{\Aapplication/(?:[\w.+-]+\+)?json}i.freeze

    attr_reader :config, :policy

    # The block receives each Faraday::Connection builder: add middleware (instrumentation,
    # logging) or pick an adapter. Without an adapter Faraday's default (Net::HTTP) is used.
    def initialize(config, sleeper: nil, &faraday)
      @config = config.validate!
      @policy = RetryPolicy.new(config, sleeper: sleeper)
      @cache = config.cache && ResponseCache.new(config.cache, "#{config.api_url} #{config.api_key}")
      @api = connection(config.api_url, api_headers, config.timeout, &faraday)
      @storage = connection(nil, { "User-Agent" => config.user_agent }, config.upload_timeout, &faraday)
    end

    # An API call. `path` is relative to /api/v1/. Returns the parsed JSON (nil for 204).
    # `idempotent: true` marks a POST that may be replayed (e.g. `complete`), `idempotent: false`
    # a PUT that may not (each call records something); nil: by the method and Idempotency-Key.
    def call(method, path, query: nil, json: nil, body: nil, headers: {}, idempotent: nil)
      url = Params.query(path, query)
      headers = headers.dup
      if json
        body = JSON.generate(json)
        headers = headers.merge("Content-Type" => "application/json")
      end
      headers = (@cache&.request_headers(url) || {}).merge(headers) if method == :get
      replayable = @policy.replayable?(method, headers, idempotent)
      response = send_with_retries(@api, method, url, body, headers, replayable) { |r| api_error(r) }
      finish(method, url, response)
    end

    # A direct upload's form POST to storage: no API key, the long timeout. Replaying it writes
    # the same object again, so it is retried.
    def storage_post(url, multipart)
      send_with_retries(@storage, :post, url, multipart.body, multipart.headers, true) do |r|
        UploadFailed.from_response(r)
      end
    end

    private

    def api_headers
      { "Authorization" => "Api-Key #{config.api_key}", "Accept" => "application/json",
        "User-Agent" => config.user_agent }
    end

    def connection(url, headers, timeout, &faraday)
      options = { headers: headers, request: { open_timeout: config.open_timeout, timeout: timeout } }
      options[:url] = url if url
      Faraday.new(**options) { |builder| faraday&.call(builder) }
    end

    # rubocop:disable Metrics/ParameterLists
    def send_with_retries(connection, method, url, body, headers, replayable, &error_for)
      attempt = 0
      begin
        attempt += 1
        body.rewind if body.respond_to?(:rewind)
        response = perform(connection, method, url, body, headers)
        raise error_for.call(response) if response.status >= 400

        response
      rescue ConnectionError, ApiError, UploadFailed => e
        delay = replayable ? @policy.delay(attempt, e) : nil
        raise if delay.nil?

        log_retry(method, url, e, attempt, delay)
        @policy.wait(delay)
        retry
      end
    end
    # rubocop:enable Metrics/ParameterLists

    def perform(connection, method, url, body, headers)
      connection.run_request(method, url, body, headers)
    rescue Faraday::TimeoutError => e
      raise TimeoutError, "Dam: #{method.upcase} #{url} timed out (#{e.message})"
    rescue Faraday::ConnectionFailed, Faraday::SSLError => e
      raise ConnectionError, "Dam: #{method.upcase} #{url} failed: #{e.message}"
    end

    def finish(method, url, response)
      if response.status == 304
        raw = @cache&.body_for(url)
        return raw && parse(raw, "application/json")
      end
      @cache.store(url, response.headers["ETag"], response.body) if @cache && method == :get
      parse(response.body, response.headers["Content-Type"])
    end

    def parse(body, content_type)
      return nil if body.nil? || body.empty?
      return body unless content_type.to_s.match?(JSON_TYPE)

      JSON.parse(body)
    rescue JSON::ParserError => e
      raise ServerError.new("Dam: the answer is not valid JSON (#{e.message})", body: body)
    end

    def api_error(response)
      body = begin
        parse(response.body, response.headers["Content-Type"])
      rescue ServerError
        response.body
      end
      ApiError.from_response(status: response.status, headers: response.headers, body: body)
    end

    def log_retry(method, url, error, attempt, delay)
      config.logger&.warn(format("dam: %<m>s %<u>s: %<e>s; retry %<a>d/%<n>d in %<d>.2fs",
                                 m: method.upcase, u: url, e: error.message, a: attempt,
                                 n: config.max_retries, d: delay))
    end
  end
end
