# frozen_string_literal: true

module Faraday
  VERSION = '2.14.2'
end
