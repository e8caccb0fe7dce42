# frozen_string_literal: true

module Dam
  # An asset that looks like another one: `distance` is the Hamming distance of their perceptual
  # hashes (0: the same picture), `asset` the API's asset JSON (a Hash). `similar[:distance]` and
  # `similar["asset"]` work too.
  Similar = Struct.new(:distance, :asset) do
    def id
      asset && asset["id"]
    end
  end

  module Resources
    # GET assets/{id}/similar/ → {"results": [{"distance": 2, "asset": {...}}]}, nearest first.
    class SimilarAssets
      def initialize(http)
        @http = http
      end

      # max_distance: only those at most this far (the server's default without it).
      def list(asset_id, max_distance: nil)
        query = max_distance.nil? ? nil : { max_distance: Integer(max_distance) }
        body = @http.call(:get, "assets/#{Params.segment(asset_id)}/similar/", query: query)
        body.fetch("results").map { |row| Similar.new(row["distance"], row["asset"]) }
      end
    end
  end
end
