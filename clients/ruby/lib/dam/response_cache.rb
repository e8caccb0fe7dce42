# frozen_string_literal: true

require "digest"

module Dam
  # Conditional GET: remembers each GET's ETag and body in a cache store (Rails.cache, or any
  # object with `read(key)` and `write(key, value)`), sends If-None-Match next time, and answers
  # a 304 with the remembered body. Off unless `config.cache` is set; a server that sends no ETag
  # is simply never revalidated.
  class ResponseCache
    NAMESPACE = "dam-client:v1:"

    def initialize(store, scope)
      @store = store
      # One key per API key too: two keys may not see the same things.
      @scope = Digest::SHA256.hexdigest(scope)[0, 16]
    end

    def request_headers(url)
      entry = read(url)
      entry ? { "If-None-Match" => entry["etag"] } : {}
    end

    # The remembered raw body for a 304, or nil when nothing is remembered.
    def body_for(url)
      read(url)&.fetch("body", nil)
    end

    def store(url, etag, body)
      return if etag.nil? || etag.empty?

      @store.write(key(url), { "etag" => etag, "body" => body })
    end

    private

    def read(url)
      entry = @store.read(key(url))
      entry.is_a?(Hash) && entry["etag"] ? entry : nil
    end

    def key(url)
      "#{NAMESPACE}#{@scope}:#{Digest::SHA256.hexdigest(url)}"
    end
  end

  # A tiny store for scripts and tests; in Rails pass `Rails.cache`.
  class MemoryCache
    def initialize
      @entries = {}
      @lock = Mutex.new
    end

    def read(key)
      @lock.synchronize { @entries[key] }
    end

    def write(key, value)
      @lock.synchronize { @entries[key] = value }
    end
  end
end
