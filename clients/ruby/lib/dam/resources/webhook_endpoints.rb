# frozen_string_literal: true

module Dam
  module Resources
    # webhook-endpoints/: where dam sends its events (docs/api.md). An endpoint is
    # {"id", "url", "events", "active", "created_at", "previous_secret_expires_at"}; its signing
    # secret ("whsec_…") is made by the server and appears only in the answers of `create` and
    # `rotate_secret`: store it then (the Rails app's DAM_WEBHOOK_SECRET).
    #
    # Retries: reads, `update` and `delete` are retried like any GET/PATCH/DELETE. `create`,
    # `rotate_secret`, `test` and `redeliver` are never replayed: each call makes something new
    # (an endpoint, a secret, a delivery) and the server takes no Idempotency-Key for them.
    class WebhookEndpoints
      FILTERS = %i[page_size].freeze
      DELIVERY_FILTERS = %i[page_size status event].freeze
      FIELDS = %i[url events active].freeze

      def initialize(http)
        @http = http
      end

      # Every endpoint, newest first: an Enumerator that fetches a page when the iteration
      # reaches it. Never with the secret.
      def list(**filters)
        Params.check!(filters.keys, FILTERS, "filter")
        Page.enumerate(@http, "webhook-endpoints/", filters)
      end

      def get(id)
        @http.call(:get, path(id))
      end

      # url: https on a public host (the server refuses others: Dam::InvalidRequest with
      # errors["url"]). events: e.g. %w[asset.ready asset.deleted]; omitted or empty: every event.
      # Returns the endpoint with its "secret", shown only in this answer.
      def create(url:, events: nil, active: nil)
        body = { "url" => url.to_s, "events" => events&.map(&:to_s), "active" => active }.compact
        @http.call(:post, "webhook-endpoints/", json: body)
      end

      # PATCH: only the given fields change (`events: []`: every event; `active: false`: nothing
      # is sent, deliveries wait until it is active again).
      def update(id, **fields)
        Params.check!(fields.keys, FIELDS, "field")
        body = fields.to_h { |name, value| [name.to_s, name == :events ? Array(value).map(&:to_s) : value] }
        body["url"] = body["url"].to_s if body.key?("url")
        @http.call(:patch, path(id), json: body)
      end

      # true; its deliveries go with it.
      def delete(id)
        @http.call(:delete, path(id))
        true
      end

      # A new secret (in the answer's "secret", shown only there). The old one keeps signing
      # deliveries, as a second v1=, for expire_previous_in seconds (the server's default: a day;
      # at most 7 days); 0 revokes it at once (a leaked secret). The answer's
      # "previous_secret_expires_at" says when it stops.
      def rotate_secret(id, expire_previous_in: nil)
        body = expire_previous_in.nil? ? {} : { "expire_previous_in" => Integer(expire_previous_in) }
        @http.call(:post, "#{path(id)}rotate-secret/", json: body)
      end

      # The endpoint's deliveries, newest first, every page lazily: {"id" (X-Dam-Delivery),
      # "event", "status" (pending, delivered, failed), "attempts", "response_status", ...}.
      # Filters: status:, event:, page_size:.
      def deliveries(id, **filters)
        Params.check!(filters.keys, DELIVERY_FILTERS, "filter")
        Page.enumerate(@http, "#{path(id)}deliveries/", filters)
      end

      # Sends a delivery's event again as a new delivery (a new id): 202 with it.
      # Dam::EndpointInactive when the endpoint is inactive.
      def redeliver(id, delivery_id)
        @http.call(:post, "#{path(id)}deliveries/#{Params.segment(delivery_id)}/redeliver/")
      end

      # Queues a "webhook.test" event for the endpoint, whatever its events: 202 with the
      # delivery (follow it in `deliveries`). Dam::EndpointInactive when the endpoint is inactive.
      def test(id)
        @http.call(:post, "#{path(id)}test/")
      end

      private

      def path(id)
        "webhook-endpoints/#{Params.segment(id)}/"
      end
    end
  end
end
