# frozen_string_literal: true

require "test_helper"

# PUT assets/{id}/file/: a new original, multipart or from a finished direct upload.
class ReplaceFileTest < Minitest::Test
  PATH = "#{API}/assets/#{ASSET_ID}/file/"
  UPLOAD_ID = "4d2c0000-0000-4000-8000-000000000002"
  LOCAL = "#{SITE}/api/v1/uploads/#{UPLOAD_ID}/file/"

  def started
    { "upload" => { "id" => UPLOAD_ID, "status" => "pending" },
      "instructions" => { "method" => "POST", "url" => LOCAL, "file_field" => "file",
                          "fields" => { "token" => "t0k" } } }
  end

  def test_a_file_is_sent_multipart_as_the_one_file_field
    stubs.put(PATH) do |env|
      assert_match(%r{\Amultipart/form-data; boundary=}, env[:request_headers]["Content-Type"])
      assert_equal [["file", "new.jpg", "image/jpeg", jpeg_bytes]], multipart_rows(env)
      assert_nil env[:request_headers]["Idempotency-Key"]
      json(200, asset("checksum" => "new"))
    end
    replaced = client.assets.replace_file(ASSET_ID, file: StringIO.new(jpeg_bytes), filename: "new.jpg")
    assert_equal [ASSET_ID, "new"], replaced.values_at("id", "checksum")
    stubs.verify_stubbed_calls
  end

  def test_a_path_is_opened_and_closed_again
    Dir.mktmpdir do |dir|
      path = File.join(dir, "photo.png")
      File.binwrite(path, jpeg_bytes)
      stubs.put(PATH) do |env|
        assert_equal [["file", "photo.png", "image/png", jpeg_bytes]], multipart_rows(env)
        json(200, asset)
      end
      assert_equal ASSET_ID, client.assets.replace_file(ASSET_ID, file: path)["id"]
    end
  end

  def test_an_upload_id_is_sent_as_json
    stubs.put(PATH) do |env|
      assert_equal "application/json", env[:request_headers]["Content-Type"]
      assert_equal({ "upload" => UPLOAD_ID }, JSON.parse(env[:body]))
      json(200, asset)
    end
    assert_equal ASSET_ID, client.assets.replace_file(ASSET_ID, upload: UPLOAD_ID)["id"]
  end

  def test_the_upload_form_is_idempotent_and_retried
    stubs.put(PATH) { raise Faraday::TimeoutError, "read timeout" }
    stubs.put(PATH) { problem(503, "overloaded", headers: { "Retry-After" => "2" }) }
    stubs.put(PATH) { json(200, asset) }
    assert_equal ASSET_ID, client.assets.replace_file(ASSET_ID, upload: UPLOAD_ID)["id"]
    assert_equal 2, sleeps.size
    assert_equal 2.0, sleeps.last
  end

  # Each multipart PUT keeps one more version of the asset: a replay after a lost answer is not harmless.
  def test_the_multipart_form_is_never_replayed
    calls = 0
    stubs.put(PATH) do
      calls += 1
      raise Faraday::TimeoutError, "read timeout"
    end
    assert_raises(Dam::TimeoutError) { client.assets.replace_file(ASSET_ID, file: StringIO.new(jpeg_bytes)) }
    stubs.put(PATH) do
      calls += 1
      problem(503, "overloaded", headers: { "Retry-After" => "1" })
    end
    assert_raises(Dam::Overloaded) { client.assets.replace_file(ASSET_ID, file: StringIO.new(jpeg_bytes)) }
    assert_equal 2, calls
    assert_empty sleeps
  end

  def test_a_refused_file_is_an_invalid_file_and_an_unknown_asset_not_found
    stubs.put(PATH) { problem(400, "corrupt_image") }
    error = assert_raises(Dam::InvalidFile) { client.assets.replace_file(ASSET_ID, file: StringIO.new("x")) }
    assert_equal "corrupt_image", error.code
    stubs.put(PATH) { problem(404, "not_found") }
    assert_raises(Dam::NotFound) { client.assets.replace_file(ASSET_ID, upload: UPLOAD_ID) }
  end

  def test_exactly_one_of_file_and_upload
    assert_raises(ArgumentError) { client.assets.replace_file(ASSET_ID) }
    assert_raises(ArgumentError) do
      client.assets.replace_file(ASSET_ID, file: StringIO.new(jpeg_bytes), upload: UPLOAD_ID)
    end
    assert_raises(ArgumentError) { client.assets.replace_file(nil, upload: UPLOAD_ID) }
  end

  def test_uploads_replace_starts_sends_then_puts_the_upload_id
    order = []
    stubs.post("#{API}/uploads/") do |env|
      order << :start
      assert_equal({ "filename" => "new.jpg", "content_type" => "image/jpeg", "byte_size" => jpeg_bytes.bytesize },
                   JSON.parse(env[:body]))
      refute_nil env[:request_headers]["Idempotency-Key"]
      json(201, started)
    end
    stubs.post(LOCAL) do |env|
      order << :transfer
      assert_equal [["token", nil, nil, "t0k"], ["file", "new.jpg", "image/jpeg", jpeg_bytes]], multipart_rows(env)
      [204, {}, ""]
    end
    stubs.put(PATH) do |env|
      order << :replace
      assert_equal({ "upload" => UPLOAD_ID }, JSON.parse(env[:body]))
      json(200, asset("checksum" => "new"))
    end
    replaced = client.uploads.replace(ASSET_ID, StringIO.new(jpeg_bytes), filename: "new.jpg")
    assert_equal "new", replaced["checksum"]
    assert_equal %i[start transfer replace], order
  end

  def test_uploads_replace_waits_out_its_own_retry_still_completing
    stubs.post("#{API}/uploads/") { json(201, started) }
    stubs.post(LOCAL) { [204, {}, ""] }
    stubs.put(PATH) { problem(409, "upload_incomplete") }
    stubs.put(PATH) { json(200, asset) }
    assert_equal ASSET_ID, client.uploads.replace(ASSET_ID, StringIO.new(jpeg_bytes), filename: "a.jpg")["id"]
    assert_equal 1, sleeps.size
  end

  def test_uploads_replace_refuses_a_missing_asset_id_before_sending_anything
    assert_raises(ArgumentError) { client.uploads.replace("", StringIO.new(jpeg_bytes)) }
    stubs.verify_stubbed_calls
  end
end
