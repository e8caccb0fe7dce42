# frozen_string_literal: true

require "uri"

module Dam
  # One page of a cursor-paginated list. `next_cursor` goes back into `assets.page(cursor: ...)`
  # (a "load more" link in Rails); `each` walks this page's results only.
  class Page
    include Enumerable

    attr_reader :results, :next_url, :previous_url

    def initialize(body)
      @results = body.fetch("results")
      @next_url = body["next"]
      @previous_url = body["previous"]
    end

    def each(&block)
      results.each(&block)
    end

    def next_cursor
      self.class.cursor(next_url)
    end

    def previous_cursor
      self.class.cursor(previous_url)
    end

    def next?
      !next_url.nil?
    end

    # The query of a `next` link. The client follows it against its own base URL, so a server
    # behind a proxy that names itself differently still pages correctly.
    def self.query(url)
      return {} if url.nil?

      URI.decode_www_form(URI(url).query.to_s).to_h
    end

    def self.cursor(url)
      query(url)["cursor"]
    end

    # Every result of a cursor-paginated endpoint, newest first: an Enumerator that fetches a
    # page when the iteration reaches it (`.first(10)` fetches one page).
    def self.enumerate(http, path, filters = nil)
      Enumerator.new do |yielder|
        body = http.call(:get, path, query: filters)
        loop do
          body.fetch("results").each { |result| yielder << result }
          break unless body["next"]

          body = http.call(:get, path, query: query(body["next"]))
        end
      end
    end
  end
end
