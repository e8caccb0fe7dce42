# frozen_string_literal: true

require "minitest/autorun"
require "json"
require "logger"
require "socket"
require "stringio"
require "tmpdir"
require "faraday"
require "dam"

puts "dam-client #{Dam::VERSION} on Ruby #{RUBY_VERSION}, Faraday #{Faraday::VERSION}"

# The offline suite: every request is answered by Faraday's test adapter, which both Faraday 1.x
# and 2.x ship, so the same tests run on either.
module DamTest
  SITE = "http://dam.test"
  API = "/api/v1"
  ASSET_ID = "9469c71c-76e6-49e4-a58e-daa7874132a7"

  def stubs
    @stubs ||= Faraday::Adapter::Test::Stubs.new
  end

  # Retries wait through `sleeps` (recorded, not slept) so the suite stays fast.
  def sleeps
    @sleeps ||= []
  end

  def client(**settings)
    Dam::Client.new(base_url: SITE, api_key: "dam_test", sleeper: ->(seconds) { sleeps << seconds },
                    **settings) { |faraday| faraday.adapter :test, stubs }
  end

  def json(status, body, headers = {})
    [status, { "Content-Type" => "application/json" }.merge(headers), JSON.generate(body)]
  end

  def problem(status, code, detail: "Something is wrong.", errors: nil, headers: {})
    body = { "type" => "about:blank", "title" => "Title", "status" => status, "detail" => detail, "code" => code }
    body["errors"] = errors if errors
    [status, { "Content-Type" => "application/problem+json" }.merge(headers), JSON.generate(body)]
  end

  def asset(id = ASSET_ID, **overrides)
    { "id" => id, "title" => "Forest", "alt_text" => "A pine forest at dawn", "tags" => ["nature"],
      "format" => "JPEG", "checksum" => "5cb105ed#{"0" * 56}", "width" => 2000, "height" => 1000,
      "focal_point" => nil, "status" => "ready",
      "renditions" => {
        "thumb" => rendition("thumb", 200, 200), "small" => rendition("small", 480, 240),
        "medium" => rendition("medium", 960, 480), "og" => rendition("og", 1200, 630, "jpg", "image/jpeg")
      },
      "srcset" => { "image/webp" => "#{SITE}/r/#{id}/small/k.webp 480w, #{SITE}/r/#{id}/medium/k.webp 960w" } }
      .merge(overrides.transform_keys(&:to_s))
  end

  def rendition(name, width, height, ext = "webp", type = "image/webp")
    { "url" => "#{SITE}/r/#{ASSET_ID}/#{name}/k.#{ext}", "width" => width, "height" => height,
      "content_type" => type, "status" => "pending" }
  end

  # A multipart body as [name, filename, content_type, data] rows, in the order sent.
  def multipart_rows(env)
    body = env[:body].respond_to?(:read) ? env[:body].read : env[:body].to_s
    boundary = env[:request_headers]["Content-Type"][/boundary=(.+)\z/, 1]
    body.b.split("--#{boundary}".b)[1...-1].map do |part|
      head, data = part.sub(/\A\r\n/n, "").split("\r\n\r\n".b, 2)
      [head[/ name="([^"]*)"/n, 1], head[/filename="([^"]*)"/n, 1], head[/Content-Type: (.+)/n, 1],
       data.delete_suffix("\r\n".b)]
    end
  end

  def jpeg_bytes
    "\xFF\xD8\xFF\xE0fake-jpeg-bytes\xFF\xD9".b
  end
end

module Minitest
  class Test
    include DamTest
  end
end
