# frozen_string_literal: true

require_relative "lib/dam/version"

Gem::Specification.new do |spec|
  spec.name = "dam-client"
  spec.version = Dam::VERSION
  spec.summary = "Ruby client for the dam image API: assets, uploads, renditions, webhooks"
  spec.description = "Configuration, every API resource, cursor pagination, multipart and direct " \
                     "uploads, retries that honour Retry-After, typed errors, URL signing, webhook " \
                     "verification and an image_tag helper. Works with Faraday 1.x and 2.x."
  spec.authors = ["dam"]
  spec.license = "MIT"
  spec.files = Dir["lib/**/*.rb", "README.md"]
  spec.require_paths = ["lib"]
  spec.required_ruby_version = ">= 2.7"

  # Only the API both majors share is used (no faraday-multipart or faraday-retry needed).
  spec.add_dependency "faraday", ">= 1.0", "< 3"
  spec.metadata["rubygems_mfa_required"] = "true"
end
