# frozen_string_literal: true

module Dam
  VERSION = "0.3.0"
end
