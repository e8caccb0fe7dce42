# frozen_string_literal: true

require "test_helper"

class ImageTagTest < Minitest::Test
  def test_attributes_from_a_rendition_and_the_srcset_of_its_type
    attrs = Dam::ImageTag.attributes(asset, rendition: "medium")
    assert_equal({ loading: "lazy", src: "#{SITE}/r/#{ASSET_ID}/medium/k.webp",
                   srcset: "#{SITE}/r/#{ASSET_ID}/small/k.webp 480w, #{SITE}/r/#{ASSET_ID}/medium/k.webp 960w",
                   sizes: "(max-width: 960px) 100vw, 960px", width: 960, height: 480,
                   alt: "A pine forest at dawn" }, attrs)
  end

  def test_a_rendition_of_another_type_gets_no_foreign_srcset
    attrs = Dam::ImageTag.attributes(asset, rendition: "og")
    assert_equal [nil, nil, 1200, 630], attrs.values_at(:srcset, :sizes, :width, :height)
  end

  def test_options_override_and_pass_through
    attrs = Dam::ImageTag.attributes(asset, rendition: "thumb", sizes: "200px", alt: "", loading: nil,
                                            class: "avatar", type: "image/webp")
    assert_equal ["200px", "", "avatar"], attrs.values_at(:sizes, :alt, :class)
    refute attrs.key?(:loading)
  end

  def test_symbol_keys_from_a_cache_work
    symbolized = JSON.parse(JSON.generate(asset), symbolize_names: true)
    assert_equal 960, Dam::ImageTag.attributes(symbolized)[:width]
  end

  def test_an_unknown_rendition_names_the_ones_there_are
    error = assert_raises(ArgumentError) { Dam::ImageTag.attributes(asset, rendition: "huge") }
    assert_match(/thumb, small, medium, og/, error.message)
  end

  def test_html_is_escaped
    html = Dam::ImageTag.html(asset(alt_text: "<script>\"x\""), rendition: "thumb", data_id: 7)
    assert_match(/\A<img src="[^"]+thumb[^"]+" srcset="[^"]+" sizes="[^"]+" width="200" height="200" /, html)
    assert_includes html, 'alt="&lt;script&gt;&quot;x&quot;"'
    assert_includes html, 'data-id="7"'
  end

  # The Rails helper hands image_tag a source and its options.
  def test_the_view_helper_calls_image_tag
    view = Class.new do
      include Dam::ViewHelper
      def image_tag(source, options)
        [source, options]
      end
    end.new
    source, options = view.dam_image_tag(asset, rendition: "small", class: "hero")
    assert_equal "#{SITE}/r/#{ASSET_ID}/small/k.webp", source
    assert_equal ["hero", 480, 240, "(max-width: 480px) 100vw, 480px"],
                 options.values_at(:class, :width, :height, :sizes)
  end
end
