# frozen_string_literal: true

require_relative "live_helper"

# docs/api.md's plain-Faraday block, run as written against a throttled live server: it must
# retry 429s after Retry-After, and raise with the problem's code once it gives up or on a 404.
class DocsSnippetTest < Minitest::Test
  GUIDE = File.expand_path("../../../../docs/api.md", __dir__)
  MARKER = "<!-- plain-faraday-snippet"
  CALLS = 12

  def self.snippet
    after_marker = File.read(GUIDE).split(MARKER, 2).fetch(1)
    after_marker[/```ruby\n(.*?)```/m, 1].sub(/^dam\(:get, "assets.*\z/m, "") # drop the usage lines
  end

  TOPLEVEL_BINDING.eval(snippet, GUIDE)

  # The snippet's top-level `dam` (LiveHelpers#dam is the gem's client).
  def snippet_dam(*args)
    TOPLEVEL_BINDING.receiver.send(:dam, *args)
  end

  def test_the_snippet_waits_out_throttling
    started = Time.now
    CALLS.times { assert_kind_of Array, snippet_dam(:get, "rendition-specs/") }
    assert_operator Time.now - started, :>=, 1, "no call waited for a Retry-After"
  end

  def test_the_snippet_raises_the_problems_code
    error = assert_raises(DamError) do
      snippet_dam(:patch, "assets/00000000-0000-4000-8000-000000000000/", { title: "x" })
    end
    assert_equal [404, "not_found"], [error.status, error.code]
  end
end
