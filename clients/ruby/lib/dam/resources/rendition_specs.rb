# frozen_string_literal: true

module Dam
  module Resources
    # GET rendition-specs/: the named specs every asset's `renditions` has an entry for.
    class RenditionSpecs
      def initialize(http)
        @http = http
      end

      def list
        @http.call(:get, "rendition-specs/")
      end

      def find(name)
        list.find { |spec| spec["name"] == name.to_s } or
          raise NotFound.new("Dam: no rendition spec named #{name}", status: 404, code: "unknown_spec")
      end
    end
  end
end
