# frozen_string_literal: true

require "test_helper"

class ErrorsTest < Minitest::Test
  FAMILIES = {
    "invalid" => Dam::InvalidRequest, "parse_error" => Dam::InvalidRequest,
    "invalid_image" => Dam::InvalidFile, "too_many_pixels" => Dam::InvalidFile,
    "invalid_spec" => Dam::InvalidSpec, "not_authenticated" => Dam::NotAuthenticated,
    "permission_denied" => Dam::PermissionDenied, "bad_signature" => Dam::BadSignature,
    "not_found" => Dam::NotFound, "unknown_spec" => Dam::NotFound,
    "upload_incomplete" => Dam::UploadIncomplete, "source_missing" => Dam::Gone,
    "upload_expired" => Dam::UploadExpired, "request_too_large" => Dam::InvalidRequest,
    "throttled" => Dam::RateLimited, "overloaded" => Dam::Overloaded,
    "endpoint_inactive" => Dam::EndpointInactive,
    "upload_used" => Dam::UploadUsed
  }.freeze

  def test_a_class_per_family_found_by_code
    FAMILIES.each { |code, family| assert_equal family, Dam::Error.for_code(code), code }
    assert_equal Dam::ApiError, Dam::Error.for_code("something_new")
  end

  def test_families_nest_so_a_caller_can_rescue_broadly
    assert_operator Dam::InvalidFile, :<, Dam::InvalidRequest
    assert_operator Dam::UploadIncomplete, :<, Dam::Conflict
    assert_operator Dam::EndpointInactive, :<, Dam::Conflict
    assert_operator Dam::UploadUsed, :<, Dam::Conflict
    assert_operator Dam::TimeoutError, :<, Dam::ConnectionError
    [Dam::ApiError, Dam::ConnectionError, Dam::WebhookError, Dam::UploadFailed].each do |family|
      assert_operator family, :<, Dam::Error
    end
  end

  def test_an_error_carries_code_detail_and_field_errors
    stubs.patch("#{API}/assets/#{ASSET_ID}/") do
      problem(400, "invalid", detail: "The request is not valid; see errors.",
                              errors: { "title" => ["Ensure this field has no more than 255 characters."] })
    end
    error = assert_raises(Dam::InvalidRequest) { client.assets.update(ASSET_ID, title: "x" * 300) }
    assert_equal [400, "invalid"], [error.status, error.code]
    assert_equal "The request is not valid; see errors.", error.detail
    assert_equal ["Ensure this field has no more than 255 characters."], error.errors["title"]
    assert_match(/invalid, HTTP 400/, error.message)
  end

  def test_a_code_the_gem_does_not_know_falls_back_on_the_status
    stubs.get("#{API}/assets/#{ASSET_ID}/") { problem(404, "gone_fishing") }
    error = assert_raises(Dam::NotFound) { client.assets.get(ASSET_ID) }
    assert_equal "gone_fishing", error.code
  end

  def test_an_answer_that_is_not_json_still_raises_by_status
    stubs.post("#{API}/assets/") { [413, { "Content-Type" => "text/html" }, "<h1>413 Request Entity Too Large</h1>"] }
    error = assert_raises(Dam::InvalidFile) { client.assets.create(file: StringIO.new(jpeg_bytes)) }
    assert_equal "file_too_large", error.code
    assert_match(/413/, error.body)
  end

  def test_a_server_error_page_is_a_server_error
    stubs.get("#{API}/assets/#{ASSET_ID}/") { [500, { "Content-Type" => "text/html" }, "<h1>Oops</h1>"] }
    error = assert_raises(Dam::ServerError) { client.assets.get(ASSET_ID) }
    assert_equal 500, error.status
  end
end
