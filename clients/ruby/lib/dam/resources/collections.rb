# frozen_string_literal: true

module Dam
  module Resources
    # GET collections/: the folders assets live in, the whole tree at once (unpaginated),
    # depth-first (a parent before its children): [{"id" => 1, "name" => "Library", "path" =>
    # "Library", "parent" => nil, "depth" => 1}, ...]. Filter assets by one with
    # `assets.list(collection: id, include_descendants: true)`; put an asset in one with
    # `collection: id` on create, update, upload and complete.
    class Collections
      def initialize(http)
        @http = http
      end

      def list
        @http.call(:get, "collections/")
      end

      # By id (an Integer or its String) or by path ("Library / Features"); Dam::NotFound otherwise.
      def find(id_or_path)
        wanted = id_or_path.to_s
        list.find { |collection| collection["id"].to_s == wanted || collection["path"] == wanted } or
          raise NotFound.new("Dam: no collection #{wanted}", status: 404, code: "not_found")
      end
    end
  end
end
