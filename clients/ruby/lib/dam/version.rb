# frozen_string_literal: true

module Dam
  VERSION = "0.1.0"
end
