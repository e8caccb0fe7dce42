# frozen_string_literal: true

module Dam
  module Resources
    # Where the Rails app uses an asset (an article, a page, a product), as it tells dam:
    # PUT/DELETE assets/{id}/usages/{external_id}, GET assets/{id}/usages/. The external id is
    # the app's own id for the place, one path segment: letters, digits and . _ : - (1–255, not
    # only dots), e.g. "article:4711"; anything else is Dam::InvalidRequest (invalid_external_id).
    class Usages
      FILTERS = %i[page_size].freeze

      def initialize(http)
        @http = http
      end

      # Every usage of the asset, newest first: an Enumerator that fetches a page when the
      # iteration reaches it.
      def list(asset_id, **filters)
        Params.check!(filters.keys, FILTERS, "filter")
        path = base(asset_id)
        Enumerator.new do |yielder|
          body = @http.call(:get, path, query: filters)
          loop do
            body.fetch("results").each { |usage| yielder << usage }
            break unless body["next"]

            body = @http.call(:get, path, query: Page.query(body["next"]))
          end
        end
      end

      # Create or replace (the whole usage: a label left out becomes empty). Idempotent, so it
      # is retried like a GET. Returns the usage: {"external_id", "url", "label", "created_at",
      # "updated_at"}.
      def put(asset_id, external_id, url:, label: nil)
        body = { "url" => url.to_s, "label" => label.to_s }
        @http.call(:put, path(asset_id, external_id), json: body)
      end

      # true; Dam::NotFound when the asset has no usage with this id (or no such asset).
      def delete(asset_id, external_id)
        @http.call(:delete, path(asset_id, external_id))
        true
      end

      private

      def base(asset_id)
        "assets/#{Params.segment(asset_id)}/usages/"
      end

      def path(asset_id, external_id)
        base(asset_id) + Params.segment(external_id)
      end
    end
  end
end
