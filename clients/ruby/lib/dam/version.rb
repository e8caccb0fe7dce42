# frozen_string_literal: true

module Dam
  VERSION = "0.2.0"
end
