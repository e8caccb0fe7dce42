# frozen_string_literal: true

module Faraday
  module NetHttp
    VERSION = '3.4.2'
  end
end
