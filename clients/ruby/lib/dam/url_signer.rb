# frozen_string_literal: true

require "digest"
require "erb"
require "openssl"

module Dam
  # Ad-hoc rendition URLs signed here, with no API call (the scheme is in docs/renditions.md):
  #
  #   message   = "<asset id>/<canonical spec>/<expires>"     (expires: unix seconds, or "")
  #   token     = hex(HMAC-SHA256(key, message))[0, 32], + "-<expires>" when it expires
  #   key       = sha256_hex("v1|<checksum>|<focal>|<canonical spec>")[0, 20]
  #               (focal: "-" unless the spec has a fill-… word, the only one that crops around it)
  #   URL       = <site>/r/<asset id>/<token>/<url-encoded spec>/<key>.<ext>
  #
  # The spec must be in canonical form (words in canonical order, defaults dropped): the server
  # refuses any other with 400 invalid_spec. `assets.urls` returns the canonical form of a spec.
  class UrlSigner
    SIGNATURE_LENGTH = 32 # hex digits
    KEY_LENGTH = 20       # hex digits
    KEY_VERSION = "v1"
    FOCAL_DECIMALS = 4
    FORMAT_EXTENSIONS = { "jpeg" => "jpg", "png" => "png", "webp" => "webp", "avif" => "avif",
                          "gif" => "gif" }.freeze
    # Without a format word the output keeps the source's format; others (HEIF) become JPEG.
    SOURCE_EXTENSIONS = { "JPEG" => "jpg", "PNG" => "png", "WEBP" => "webp", "AVIF" => "avif",
                          "GIF" => "gif" }.freeze

    def initialize(base_url:, key:)
      raise ArgumentError, "Dam: a URL signing key is required (config.signing_key)" if key.to_s.empty?

      @base_url = base_url.to_s.sub(%r{/+\z}, "")
      @key = key.to_s
    end

    # asset: the API's JSON (a Hash, string or symbol keys). expires_in: seconds from now, or
    # expires_at: a Time; neither for a URL that never expires.
    def url(asset, spec, expires_in: nil, expires_at: nil, now: Time.now)
      id = field(asset, "id").to_s
      expires = expiry(expires_in, expires_at, now)
      name = self.class.rendition_key(field(asset, "checksum"), field(asset, "focal_point"), spec)
      ext = extension(spec, field(asset, "format"))
      "#{@base_url}/r/#{id}/#{token(id, spec, expires)}/#{ERB::Util.url_encode(spec)}/#{name}#{ext}"
    end

    def token(asset_id, spec, expires = nil)
      signature = OpenSSL::HMAC.hexdigest("SHA256", @key, "#{asset_id}/#{spec}/#{expires}")[0, SIGNATURE_LENGTH]
      expires ? "#{signature}-#{expires}" : signature
    end

    def self.rendition_key(checksum, focal_point, spec)
      point = uses_focal_point?(spec) ? focal_point : nil
      Digest::SHA256.hexdigest("#{KEY_VERSION}|#{checksum}|#{focal(point)}|#{spec}")[0, KEY_LENGTH]
    end

    # Only fill crops around the focal point; every other spec's key leaves it out, so moving
    # the focal point changes only the URLs of fill renditions.
    def self.uses_focal_point?(spec)
      spec.to_s.split("|").any? { |word| word.start_with?("fill-") }
    end

    # "%.4f" of each coordinate, rounded as Python does: from the float's exact binary value,
    # ties to even. Ruby's own format("%.4f") rounds 0.12345 down where Python gives 0.1235,
    # which would name another key (and cost a redirect on every request).
    def self.focal(point)
      return "-" if point.nil?

      x = point["x"] || point[:x]
      y = point["y"] || point[:y]
      [x, y].map { |value| decimals(value) }.join(",")
    end

    def self.decimals(value)
      scale = 10**FOCAL_DECIMALS
      scaled = (value.to_r * scale).round(half: :even)
      sign = scaled.negative? ? "-" : ""
      whole, fraction = scaled.abs.divmod(scale)
      "#{sign}#{whole}.#{fraction.to_s.rjust(FOCAL_DECIMALS, "0")}"
    end

    private

    def field(asset, name)
      asset.key?(name) ? asset[name] : asset[name.to_sym]
    end

    def expiry(expires_in, expires_at, now)
      return (now + expires_in).to_i if expires_in
      return expires_at.to_i if expires_at

      nil
    end

    def extension(spec, source_format)
      format = spec[/(?:\A|\|)format-(\w+)/, 1]
      return "" if format == "auto" # the format depends on the request's Accept
      return ".#{FORMAT_EXTENSIONS.fetch(format)}" if format

      ".#{SOURCE_EXTENSIONS.fetch(source_format.to_s.upcase, "jpg")}"
    end
  end
end
