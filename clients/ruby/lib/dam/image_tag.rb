# frozen_string_literal: true

require "cgi"

module Dam
  # `<img>` attributes from an asset's JSON: `src`, `width`, `height` from one named rendition,
  # `srcset` from the asset's ratio-keeping renditions of the same type, `sizes`, `alt`.
  #
  #   Dam::ImageTag.attributes(asset, rendition: "medium")
  #   # => {src: ".../medium/….webp", srcset: "… 480w, … 960w, … 1600w", sizes: "(max-width: 960px)
  #   #     100vw, 960px", width: 960, height: 480, alt: "A pine forest at dawn", loading: "lazy"}
  module ImageTag
    DEFAULT_RENDITION = "medium"

    module_function

    # sizes: defaults to "the rendition's width, or the viewport when narrower".
    # type: the srcset's content type (defaults to the rendition's). Extra options (class:,
    # loading:, decoding:, data: ...) are passed through; `loading: nil` drops the lazy default.
    def attributes(asset, rendition: DEFAULT_RENDITION, sizes: nil, type: nil, alt: nil, **html)
      chosen = rendition_of(asset, rendition)
      width = get(chosen, "width")
      { loading: "lazy", src: get(chosen, "url") }
        .merge(srcset(asset, type || get(chosen, "content_type"), sizes || default_sizes(width)))
        .merge(width: width, height: get(chosen, "height"), alt: alt || get(asset, "alt_text") || "")
        .merge(html).compact
    end

    def srcset(asset, type, sizes)
      value = get(get(asset, "srcset") || {}, type)
      value.nil? || value.empty? ? {} : { srcset: value, sizes: sizes }
    end

    def default_sizes(width)
      width ? "(max-width: #{width}px) 100vw, #{width}px" : "100vw"
    end

    # [source, options] for Rails' `image_tag(*Dam::ImageTag.image_tag_args(asset))`.
    def image_tag_args(asset, **options)
      attrs = attributes(asset, **options)
      [attrs.delete(:src), attrs]
    end

    # The <img> element itself, HTML-escaped, for code without ActionView.
    def html(asset, **options)
      attrs = attributes(asset, **options)
      order = %i[src srcset sizes width height alt]
      pairs = attrs.sort_by { |name, _| order.index(name) || order.size }.map do |name, value|
        %(#{name.to_s.tr("_", "-")}="#{CGI.escapeHTML(value.to_s)}")
      end
      "<img #{pairs.join(" ")}>"
    end

    def rendition_of(asset, name)
      renditions = get(asset, "renditions") || {}
      get(renditions, name.to_s) or
        raise ArgumentError, "Dam: the asset has no rendition #{name.inspect} (has: #{renditions.keys.join(", ")})"
    end

    # Asset JSON straight from the client has string keys; from a cache it may have symbols.
    def get(hash, key)
      hash.key?(key.to_s) ? hash[key.to_s] : hash[key.to_sym]
    end
  end
end
