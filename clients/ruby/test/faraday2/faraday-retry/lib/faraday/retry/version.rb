# frozen_string_literal: true

module Faraday
  module Retry
    VERSION = '2.4.0'
  end
end
