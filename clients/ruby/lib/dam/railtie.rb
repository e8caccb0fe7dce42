# frozen_string_literal: true

module Dam
  # Makes `dam_image_tag` available in every Rails view.
  class Railtie < Rails::Railtie
    initializer "dam.view_helper" do
      ActiveSupport.on_load(:action_view) { include Dam::ViewHelper }
    end
  end
end
