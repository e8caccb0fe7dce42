# frozen_string_literal: true

require "json"
require "time"

module Dam
  # The base of everything this gem raises. Rescue a family (`Dam::InvalidFile`, `Dam::NotFound`,
  # ...) and switch on `code` (stable, documented in docs/api.md), never on the message.
  class Error < StandardError
    attr_reader :status, :code, :detail, :errors, :title, :body, :headers, :retry_after

    def initialize(message = nil, status: nil, code: nil, detail: nil, errors: nil, title: nil,
                   body: nil, headers: nil, retry_after: nil)
      @status = status
      @code = code
      @detail = detail
      @errors = errors
      @title = title
      @body = body
      @headers = headers || {}
      @retry_after = retry_after
      super(message || detail || code || self.class.name)
    end

    # The error class for a stable code: `Dam::Error.for_code("throttled") # => Dam::RateLimited`.
    def self.for_code(code)
      ApiError::BY_CODE.fetch(code.to_s) { ApiError }
    end
  end

  # The request got no answer: refused, reset, DNS, TLS, or a timeout. GETs, PATCHes, DELETEs and
  # POSTs carrying an Idempotency-Key were already retried before this is raised.
  class ConnectionError < Error; end

  class TimeoutError < ConnectionError; end

  # A webhook whose signature, timestamp or body cannot be trusted (see Dam::Webhook).
  class WebhookError < Error; end

  # The storage refused a direct upload's file (S3 answers XML, the local endpoint problem+json).
  class UploadFailed < Error
    def self.from_response(response)
      text = response.body.to_s
      code = text[%r{<Code>([^<]*)</Code>}, 1] || text[/"code"\s*:\s*"([^"]*)"/, 1] || "upload_failed"
      detail = text[%r{<Message>([^<]*)</Message>}, 1] || text[/"detail"\s*:\s*"([^"]*)"/, 1] || text[0, 200]
      new("Dam: storage refused the file: #{detail} (#{code}, HTTP #{response.status})",
          status: response.status, code: code, detail: detail, body: text, headers: response.headers,
          retry_after: RetryPolicy.parse_retry_after(response.headers["Retry-After"]))
    end
  end

  # The server answered with an error: an RFC 9457 problem (`code`, `detail`, field `errors`).
  class ApiError < Error
    CODES = [].freeze
    BY_CODE = {} # rubocop:disable Style/MutableConstant -- filled once below, then frozen
    BY_STATUS = {} # rubocop:disable Style/MutableConstant

    def self.from_response(status:, headers:, body:)
      problem = body.is_a?(Hash) ? body : {}
      code = problem["code"] || STATUS_CODES[status] || "error"
      klass = BY_CODE.fetch(code) { BY_STATUS.fetch(status) { status >= 500 ? ServerError : ApiError } }
      klass.new(describe(status, code, problem),
                status: status, code: code, detail: problem["detail"], errors: problem["errors"],
                title: problem["title"], body: body, headers: headers,
                retry_after: RetryPolicy.parse_retry_after(headers["Retry-After"]))
    end

    def self.describe(status, code, problem)
      text = "#{problem["detail"] || "HTTP #{status}"} (#{code}, HTTP #{status})"
      problem["errors"] ? "#{text} #{JSON.generate(problem["errors"])}" : text
    end
  end

  # 400: a field or query parameter is missing, malformed or unknown (`errors` says which), or
  # the body does not parse; 413 `request_too_large`: a JSON or form body over the server's cap.
  class InvalidRequest < ApiError
    CODES = %w[invalid parse_error unsupported_media_type not_acceptable request_too_large
               invalid_external_id].freeze
  end

  # 400 (or 413 from a proxy): the upload was refused by its content; nothing was stored.
  class InvalidFile < InvalidRequest
    CODES = %w[empty_file file_too_large unsupported_format invalid_image corrupt_image
               too_many_pixels too_many_frames].freeze
  end

  # 400: an ad-hoc spec does not parse or exceeds a cap (`errors["specs"]` is keyed by index).
  class InvalidSpec < InvalidRequest
    CODES = %w[invalid_spec].freeze
  end

  # 401: no key, an unknown key, or a revoked key.
  class NotAuthenticated < ApiError
    CODES = %w[not_authenticated].freeze
  end

  # 403: a read-only key writing.
  class PermissionDenied < ApiError
    CODES = %w[permission_denied].freeze
  end

  # 403: a forged or expired direct-upload policy or rendition URL.
  class BadSignature < ApiError
    CODES = %w[bad_signature].freeze
  end

  # 404: no such asset, upload, rendition spec, collection, webhook endpoint or delivery.
  class NotFound < ApiError
    CODES = %w[not_found unknown_spec].freeze
  end

  class MethodNotAllowed < ApiError
    CODES = %w[method_not_allowed].freeze
  end

  # 409: the request conflicts with the current state (e.g. an Idempotency-Key reused with
  # another body).
  class Conflict < ApiError
    CODES = %w[conflict].freeze
  end

  # 409: `complete` before the file arrived, with another size, or while another `complete` runs.
  class UploadIncomplete < Conflict
    CODES = %w[upload_incomplete].freeze
  end

  # 409: `assets.replace_file(id, upload:)` with an upload that already completed into another
  # asset: start a new upload.
  class UploadUsed < Conflict
    CODES = %w[upload_used].freeze
  end

  # 409: a test or a redelivery to an inactive webhook endpoint: activate it first
  # (`webhook_endpoints.update(id, active: true)`).
  class EndpointInactive < Conflict
    CODES = %w[endpoint_inactive].freeze
  end

  # 410: the original is gone from storage.
  class Gone < ApiError
    CODES = %w[source_missing].freeze
  end

  # 410: `complete` after the upload's `expires_at`: start a new upload.
  class UploadExpired < Gone
    CODES = %w[upload_expired].freeze
  end

  # 429: over the key's rate limit; `retry_after` is in seconds.
  class RateLimited < ApiError
    CODES = %w[throttled].freeze
  end

  # 503: storage or a render slot unavailable; `retry_after` is in seconds.
  class Overloaded < ApiError
    CODES = %w[overloaded].freeze
  end

  # 5xx without a more precise family (a bug on the server, or a proxy's error page).
  class ServerError < ApiError
    CODES = %w[error].freeze
  end

  # The lookup tables, filled once every family exists.
  class ApiError
    FAMILIES = [InvalidRequest, InvalidFile, InvalidSpec, NotAuthenticated, PermissionDenied,
                BadSignature, NotFound, MethodNotAllowed, Conflict, UploadIncomplete, UploadUsed, EndpointInactive,
                Gone,
                UploadExpired, RateLimited, Overloaded, ServerError].freeze
    FAMILIES.each { |family| family::CODES.each { |code| BY_CODE[code] = family } }
    BY_CODE.freeze
    BY_STATUS.merge!(400 => InvalidRequest, 401 => NotAuthenticated, 403 => PermissionDenied,
                     404 => NotFound, 405 => MethodNotAllowed, 409 => Conflict, 410 => Gone,
                     413 => InvalidFile, 429 => RateLimited, 503 => Overloaded).freeze
    # A code for answers that are not problem+json (a proxy's 413 or 502 page).
    STATUS_CODES = { 413 => "file_too_large", 429 => "throttled", 503 => "overloaded" }.freeze
  end
end
