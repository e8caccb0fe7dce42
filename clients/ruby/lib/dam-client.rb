# frozen_string_literal: true

# Bundler requires a gem by its name; `gem "dam-client"` lands here.
require_relative "dam"
