# frozen_string_literal: true

module Dam
  # The entry point: `Dam::Client.new(base_url:, api_key:)` or `Dam.client` (from Dam.configure).
  #
  #   dam = Dam::Client.new(base_url: "https://dam.example.com", api_key: ENV["DAM_API_KEY"])
  #   dam.assets.list(tag: "homepage").each { |asset| ... }
  #   dam.uploads.upload("forest.jpg", title: "Forest", tags: %w[nature])
  #   dam.collections.list; dam.webhook_endpoints.create(url: "https://app.example.com/hooks/dam")
  class Client
    attr_reader :config, :assets, :uploads, :rendition_specs, :asset_usages, :collections, :webhook_endpoints

    # config: a Dam::Configuration (keywords then override its settings), or just the settings
    # as keywords (the rest from the environment and the defaults). The block receives each
    # Faraday connection builder (middleware, adapter; tests pass `f.adapter :test, stubs`).
    # sleeper: how to wait between retries (tests pass a lambda that records instead).
    def initialize(config = nil, sleeper: nil, **settings, &faraday)
      @config = config ? config.merge(**settings) : Configuration.new(**settings)
      @http = HTTP.new(@config, sleeper: sleeper, &faraday)
      @assets = Resources::Assets.new(@http)
      @uploads = Resources::Uploads.new(@http, @assets)
      @rendition_specs = Resources::RenditionSpecs.new(@http)
      @asset_usages = Resources::Usages.new(@http)
      @collections = Resources::Collections.new(@http)
      @webhook_endpoints = Resources::WebhookEndpoints.new(@http)
      @similar = Resources::SimilarAssets.new(@http)
    end

    # Where the Rails app uses an asset (Resources::Usages): an Enumerator over every page.
    #   dam.usages(asset["id"]).map { |usage| usage["url"] }
    def usages(asset_id, **filters)
      asset_usages.list(asset_id, **filters)
    end

    #   dam.put_usage(asset["id"], "article:#{article.id}", url: article_url(article), label: article.title)
    def put_usage(asset_id, external_id, url:, label: nil)
      asset_usages.put(asset_id, external_id, url: url, label: label)
    end

    def delete_usage(asset_id, external_id)
      asset_usages.delete(asset_id, external_id)
    end

    # Assets that look like this one, nearest first: an Array of Dam::Similar (distance, asset).
    def similar(asset_id, max_distance: nil)
      @similar.list(asset_id, max_distance: max_distance)
    end

    # Signs ad-hoc rendition URLs locally with config.signing_key (one of DAM_URL_SIGNING_KEYS).
    def signer
      @signer ||= UrlSigner.new(base_url: config.site_url, key: config.signing_key)
    end

    def signed_url(asset, spec, **options)
      signer.url(asset, spec, **options)
    end

    # The event of a webhook request, checked against config.webhook_secret.
    def webhook_event(payload, signature_header)
      Webhook.construct_event(payload, signature_header, config.webhook_secret,
                              tolerance: config.webhook_tolerance)
    end
  end
end
