# frozen_string_literal: true

require "minitest/autorun"
require "logger"
require "securerandom"
require "socket"
require "stringio"
require "faraday"
require "dam"

puts "dam-client #{Dam::VERSION} on Ruby #{RUBY_VERSION}, Faraday #{Faraday::VERSION}"

# The gem against a live dam server. tests/api/test_ruby_client.py starts one and sets:
#   DAM_URL, DAM_API_KEY, DAM_READ_ONLY_KEY, DAM_URL_SIGNING_KEY, IMAGE (a 320×240 JPEG),
#   OTHER_IMAGE (a 200×150 PNG), BAD (not an image), DAM_STORAGE (filesystem or s3),
#   DAM_S3_ENDPOINT (s3), DAM_WEBHOOK_PORT and DAM_WEBHOOK_SECRET (an endpoint registered on the
#   server that points at this process), DAM_COLLECTION_ID and DAM_SUBCOLLECTION_ID (a collection
#   below the root, and one below that).
module LiveHelpers
  REQUIRED = %w[DAM_URL DAM_API_KEY DAM_URL_SIGNING_KEY IMAGE BAD].freeze
  missing = REQUIRED.reject { |name| ENV.key?(name) }
  abort "#{missing.join(", ")} not set: run through tests/api/test_ruby_client.py (a live server)" unless missing.empty?

  def dam(**settings)
    Dam::Client.new(**settings)
  end

  def image_path
    ENV.fetch("IMAGE")
  end

  def image
    File.binread(image_path)
  end

  def unique_tag
    "ruby-#{SecureRandom.hex(4)}"
  end

  def create(**fields)
    dam.assets.create(file: image_path, filename: "photo.jpg", **fields)
  end

  # A plain HTTP GET, as a browser would fetch an image (no API key).
  def fetch(url)
    Faraday.new.get(url)
  end

  def s3?
    ENV["DAM_STORAGE"] == "s3"
  end

  # The block's value once it is truthy, trying for up to `timeout` seconds (what a sender
  # thread records after the request shows up a moment later).
  def eventually(timeout: 10)
    deadline = Time.now + timeout
    loop do
      value = yield
      return value if value || Time.now > deadline

      sleep 0.1
    end
  end
end

# A receiver for dam's webhooks in this process: the consuming Rails app's endpoint.
class WebhookReceiver
  Delivery = Struct.new(:headers, :body)

  # port 0: any free port (see `port`).
  def initialize(port)
    @server = TCPServer.new("127.0.0.1", port)
    @deliveries = []
    @lock = Mutex.new
    @arrived = ConditionVariable.new
    @thread = Thread.new { loop { answer(@server.accept) } }
  end

  def port
    @server.addr[1]
  end

  def url(path = "/hooks/dam")
    "http://127.0.0.1:#{port}#{path}"
  end

  def close
    @thread.kill
    @server.close
  end

  # The first delivery for which the block is true, waiting up to `timeout` seconds.
  def wait_for(timeout: 15, &matches)
    deadline = Time.now + timeout
    @lock.synchronize do
      loop do
        found = @deliveries.find(&matches)
        return found if found

        remaining = deadline - Time.now
        return nil if remaining <= 0

        @arrived.wait(@lock, remaining)
      end
    end
  end

  private

  def answer(socket)
    socket.gets # the request line
    headers = {}
    while (line = socket.gets) && line != "\r\n"
      name, value = line.split(":", 2)
      headers[name.strip.downcase] = value.to_s.strip
    end
    body = socket.read(headers.fetch("content-length", "0").to_i)
    socket.write("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
    @lock.synchronize do
      @deliveries << Delivery.new(headers, body)
      @arrived.broadcast
    end
  ensure
    socket.close
  end
end

module Minitest
  class Test
    include LiveHelpers
  end
end
