# frozen_string_literal: true

require "test_helper"

# Expected values were printed by the server's own code (renditions/signing.py and
# renditions/specs.py rendition_key) for the same inputs; the live suite compares whole URLs.
class UrlSignerTest < Minitest::Test
  KEY = "k3y-for-tests"
  CHECKSUM = "5cb105ed#{"0" * 56}"

  def signer
    Dam::UrlSigner.new(base_url: "https://dam.example.com/", key: KEY)
  end

  def test_tokens_match_the_servers
    assert_equal "84379dbd9ec783e01136626ec85db631", signer.token(ASSET_ID, "fill-640x360|format-avif")
    assert_equal "dcedd3df9c992377120cb5fd0217f0e0-1767225600",
                 signer.token(ASSET_ID, "width-300|grayscale|format-webp", 1_767_225_600)
  end

  def test_rendition_keys_match_the_servers
    {
      [nil, "fill-640x360|format-avif"] => "fa7e572e0589b405a8b5",
      [{ "x" => 0.03125, "y" => 0.4 }, "fill-640x360|format-avif"] => "63d2dbab8826538a59f9",
      [{ "x" => 0.12345, "y" => 0.45675 }, "fill-640x360|format-avif"] => "e5d2018723b8f6c5e6c3",
      [{ x: 0.3, y: 0.4 }, "width-300|grayscale|format-webp"] => "48b6877ec8d026d969ed", # no fill: no focal
      [nil, "width-300|grayscale|format-webp"] => "48b6877ec8d026d969ed"
    }.each do |(focal, spec), key|
      assert_equal key, Dam::UrlSigner.rendition_key(CHECKSUM, focal, spec), [focal, spec].inspect
    end
  end

  # Python's "%.4f" rounds the float's exact value (ties to even); Ruby's format does not always.
  def test_focal_coordinates_print_as_python_prints_them
    { 0.12345 => "0.1235", 0.45675 => "0.4567", 0.03125 => "0.0312", 0.00005 => "0.0001",
      0.99995 => "1.0000", 0.3 => "0.3000", 1 => "1.0000", 0 => "0.0000" }.each do |value, text|
      assert_equal text, Dam::UrlSigner.decimals(value), value.to_s
    end
  end

  def test_a_url_never_expiring
    url = signer.url(asset(focal_point: nil), "fill-640x360|format-avif")
    assert_equal "https://dam.example.com/r/#{ASSET_ID}/84379dbd9ec783e01136626ec85db631/" \
                 "fill-640x360%7Cformat-avif/fa7e572e0589b405a8b5.avif", url
  end

  def test_a_url_expiring
    url = signer.url(asset, "width-300|grayscale|format-webp", expires_at: Time.at(1_767_225_600))
    assert_includes url, "/dcedd3df9c992377120cb5fd0217f0e0-1767225600/width-300%7Cgrayscale%7Cformat-webp/"
    later = signer.url(asset, "width-300|grayscale|format-webp", expires_in: 60, now: Time.at(1_767_225_540))
    assert_equal url, later
  end

  def test_the_extension_follows_the_format_word_or_the_source
    assert_match(/\.jpg\z/, signer.url(asset, "width-10|format-jpeg"))
    assert_match(/\.png\z/, signer.url(asset("format" => "PNG"), "width-10"))
    assert_match(/\.jpg\z/, signer.url(asset("format" => "HEIF"), "width-10"))
    assert_match(%r{/\h{20}\z}, signer.url(asset, "width-10|format-auto"))
  end

  def test_the_client_signs_with_its_configured_key
    dam = client(signing_key: KEY)
    assert_equal signer.url(asset, "width-10|format-webp").sub("https://dam.example.com", SITE),
                 dam.signed_url(asset, "width-10|format-webp")
    assert_raises(ArgumentError) { client(signing_key: nil).signer }
  end
end
