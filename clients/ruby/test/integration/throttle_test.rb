# frozen_string_literal: true

require_relative "live_helper"

# Run against a server whose rate limit is a few requests per second (test_ruby_client.py sets
# it): the gem waits out each 429's Retry-After and every call succeeds.
class ThrottleTest < Minitest::Test
  CALLS = 12

  def test_throttled_reads_are_retried_after_retry_after
    log = StringIO.new
    client = dam(logger: Logger.new(log), max_retries: 5)
    started = Time.now
    CALLS.times { client.rendition_specs.list }
    retries = log.string.scan(/throttled.*retry \d+/).size
    assert_operator retries, :>=, 1, "the server never throttled: #{log.string}"
    assert_operator Time.now - started, :>=, 1, "a retry came before its Retry-After"
  end

  def test_without_retries_the_429_surfaces_with_its_retry_after
    client = dam(max_retries: 0)
    error = assert_raises(Dam::RateLimited) { CALLS.times { client.rendition_specs.list } }
    assert_equal [429, "throttled"], [error.status, error.code]
    assert_operator error.retry_after, :>, 0
  end
end
