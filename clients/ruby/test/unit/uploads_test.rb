# frozen_string_literal: true

require "test_helper"

class UploadsTest < Minitest::Test
  UPLOAD_ID = "4d2c0000-0000-4000-8000-000000000001"
  S3 = "https://bucket.s3.amazonaws.com/"

  def started(url = S3)
    { "upload" => { "id" => UPLOAD_ID, "status" => "pending" },
      "instructions" => { "method" => "POST", "url" => url, "file_field" => "file",
                          "fields" => { "Content-Type" => "image/jpeg", "key" => "uploads/#{UPLOAD_ID}",
                                        "policy" => "cG9saWN5", "x-amz-signature" => "sig" } } }
  end

  def test_upload_starts_sends_every_field_then_the_file_without_the_key_and_completes
    stubs.post("#{API}/uploads/") do |env|
      assert_equal({ "filename" => "forest.jpg", "content_type" => "image/jpeg", "byte_size" => jpeg_bytes.bytesize },
                   JSON.parse(env[:body]))
      refute_nil env[:request_headers]["Idempotency-Key"]
      json(201, started)
    end
    stubs.post(S3) do |env|
      assert_nil env[:request_headers]["Authorization"]
      assert_equal [["Content-Type", nil, nil, "image/jpeg"], ["key", nil, nil, "uploads/#{UPLOAD_ID}"],
                    ["policy", nil, nil, "cG9saWN5"], ["x-amz-signature", nil, nil, "sig"],
                    ["file", "forest.jpg", "image/jpeg", jpeg_bytes]], multipart_rows(env)
      [204, {}, ""]
    end
    stubs.post("#{API}/uploads/#{UPLOAD_ID}/complete/") do |env|
      assert_equal({ "title" => "Forest", "tags" => %w[nature] }, JSON.parse(env[:body]))
      json(201, asset)
    end
    result = client.uploads.upload(StringIO.new(jpeg_bytes), filename: "forest.jpg", title: "Forest", tags: %w[nature])
    assert_equal ASSET_ID, result["id"]
    stubs.verify_stubbed_calls
  end

  def test_a_storage_error_is_an_upload_failed_with_s3s_code
    stubs.post(S3) do
      [400, { "Content-Type" => "application/xml" },
       "<Error><Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum allowed size" \
       "</Message></Error>"]
    end
    error = assert_raises(Dam::UploadFailed) do
      client.uploads.transfer(started["instructions"], StringIO.new(jpeg_bytes), filename: "a.jpg")
    end
    assert_equal ["EntityTooLarge", 400], [error.code, error.status]
    assert_match(/exceeds the maximum/, error.detail)
  end

  def test_sending_to_storage_is_retried_with_the_same_bytes
    bodies = []
    stubs.post(S3) do |env|
      bodies << multipart_rows(env).last
      [503, { "Content-Type" => "application/xml" }, "<Error><Code>SlowDown</Code></Error>"]
    end
    stubs.post(S3) do |env|
      bodies << multipart_rows(env).last
      [204, {}, ""]
    end
    client.uploads.transfer(started["instructions"], StringIO.new(jpeg_bytes), filename: "a.jpg")
    assert_equal 2, bodies.size
    assert_equal bodies[0], bodies[1]
  end

  def test_complete_before_the_file_arrived_raises_upload_incomplete
    stubs.post("#{API}/uploads/#{UPLOAD_ID}/complete/") { problem(409, "upload_incomplete") }
    assert_raises(Dam::UploadIncomplete) { client.uploads.complete(UPLOAD_ID) }
    assert_empty sleeps
  end

  def test_after_a_transfer_upload_waits_for_a_complete_still_running
    stubs.post("#{API}/uploads/") { json(201, started) }
    stubs.post(S3) { [204, {}, ""] }
    stubs.post("#{API}/uploads/#{UPLOAD_ID}/complete/") { raise Faraday::TimeoutError, "read timeout" }
    stubs.post("#{API}/uploads/#{UPLOAD_ID}/complete/") { problem(409, "upload_incomplete") }
    stubs.post("#{API}/uploads/#{UPLOAD_ID}/complete/") { json(200, asset) }
    assert_equal ASSET_ID, client.uploads.upload(StringIO.new(jpeg_bytes), filename: "a.jpg")["id"]
    assert_equal 2, sleeps.size
  end

  def test_get_an_upload
    stubs.get("#{API}/uploads/#{UPLOAD_ID}/") { json(200, "id" => UPLOAD_ID, "status" => "complete") }
    assert_equal "complete", client.uploads.get(UPLOAD_ID)["status"]
  end
end
