# frozen_string_literal: true

require_relative "dam/version"
require_relative "dam/errors"
require_relative "dam/configuration"
require_relative "dam/params"
require_relative "dam/multipart"
require_relative "dam/retry_policy"
require_relative "dam/response_cache"
require_relative "dam/http"
require_relative "dam/page"
require_relative "dam/resources/assets"
require_relative "dam/resources/rendition_specs"
require_relative "dam/resources/uploads"
require_relative "dam/resources/usages"
require_relative "dam/resources/collections"
require_relative "dam/resources/webhook_endpoints"
require_relative "dam/similar"
require_relative "dam/url_signer"
require_relative "dam/webhook"
require_relative "dam/image_tag"
require_relative "dam/view_helper"
require_relative "dam/client"
require_relative "dam/railtie" if defined?(Rails::Railtie)

# The dam API client: configuration, resources, errors, URL signing, webhooks, view helper.
#
#   Dam.configure do |config|
#     config.base_url = ENV.fetch("DAM_URL")        # the site root, e.g. https://dam.example.com
#     config.api_key  = ENV.fetch("DAM_API_KEY")
#   end
#   Dam.client.assets.list(tag: "homepage").first(10)
module Dam
  class << self
    def configuration
      @configuration ||= Configuration.new
    end

    # Set the process-wide defaults (a Rails initializer); `Dam.client` is rebuilt from them.
    def configure
      yield configuration
      @client = nil
      configuration
    end

    # One client for the process: it holds no per-request state, so threads may share it.
    def client
      @client ||= Client.new(configuration)
    end

    def reset!
      @configuration = nil
      @client = nil
    end
  end
end
