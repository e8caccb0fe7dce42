# frozen_string_literal: true

module Dam
  # Rails views: `<%= dam_image_tag asset, rendition: "medium", class: "hero" %>`. Included into
  # ActionView by the Railtie; include it yourself elsewhere (it calls `image_tag`).
  module ViewHelper
    def dam_image_tag(asset, **options)
      image_tag(*Dam::ImageTag.image_tag_args(asset, **options))
    end

    def dam_image_attributes(asset, **options)
      Dam::ImageTag.attributes(asset, **options)
    end
  end
end
