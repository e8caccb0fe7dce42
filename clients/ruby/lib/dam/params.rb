# frozen_string_literal: true

require "securerandom"
require "time"
require "uri"

module Dam
  # Request pieces the resources share.
  module Params
    module_function

    # An Idempotency-Key makes a POST replayable: the server answers a repeat with the first
    # answer. `:auto` (the default) makes one per call, so a retry after a lost answer cannot
    # create a second asset; `nil` sends none (and the POST is then never retried).
    def idempotency(key)
      key = SecureRandom.uuid if key == :auto
      key ? { "Idempotency-Key" => key.to_s } : {}
    end

    def check!(given, allowed, what)
      unknown = given.map(&:to_sym) - allowed
      return if unknown.empty?

      raise ArgumentError, "Dam: unknown #{what}(s) #{unknown.join(", ")}; allowed: #{allowed.join(", ")}"
    end

    def segment(id)
      raise ArgumentError, "Dam: an id is required" if id.nil? || id.to_s.empty?

      URI.encode_www_form_component(id.to_s)
    end

    # {x:, y:}, [x, y] or "x,y" (0..1 from the top-left) → [x, y]; nil stays nil (no focal point).
    def focal_point(value)
      return nil if value.nil?

      pair = coordinates(value)
      raise ArgumentError, "Dam: a focal point is {x:, y:}, [x, y] or \"x,y\"" unless pair.size == 2

      pair.map { |number| Float(number) }
    end

    def coordinates(value)
      case value
      when Hash then %w[x y].map { |axis| value.fetch(axis) { value[axis.to_sym] } }
      when String then value.split(",")
      else value.to_a
      end
    end

    # A query string from filters: nil dropped, times in ISO 8601 UTC, lists comma-joined.
    def query(path, params)
      pairs = (params || {}).compact.map { |name, value| [name.to_s, query_value(value)] }
      pairs.empty? ? path : "#{path}?#{URI.encode_www_form(pairs)}"
    end

    def query_value(value)
      case value
      when Time then value.utc.iso8601(6)
      when DateTime then query_value(value.to_time)
      when Array then value.join(",")
      else value.to_s
      end
    end

    # The JSON body of PATCH assets/{id}/ and POST uploads/{id}/complete/.
    def json_fields(fields)
      fields.each_with_object({}) do |(name, value), body|
        body[name.to_s] = case name.to_sym
                          when :tags then Array(value).map(&:to_s)
                          when :focal_point then json_focal(value)
                          when :rights then json_rights(value)
                          else value
                          end
      end
    end

    def json_rights(value)
      value.to_h.to_h { |key, part| [key.to_s, part.respond_to?(:iso8601) ? part.iso8601 : part] }
    end

    def json_focal(value)
      x, y = focal_point(value)
      x.nil? ? nil : { "x" => x, "y" => y }
    end

    # Multipart fields of POST assets/: tags as repeated `tags` fields (what the API documents).
    def form_fields(fields)
      fields.flat_map { |name, value| value.nil? ? [] : form_field(name.to_sym, value) }
    end

    def form_field(name, value)
      case name
      when :tags then Array(value).map { |tag| ["tags", tag.to_s] }
      when :focal_point then [["focal_point", focal_point(value).join(",")]]
      when :rights then json_rights(value).map { |key, part| ["rights[#{key}]", part.to_s] }
      else [[name.to_s, value.to_s]]
      end
    end
  end
end
