# frozen_string_literal: true

require "test_helper"

class MultipartTest < Minitest::Test
  def form(data = "x" * 70_000)
    file = Dam::Multipart::FilePart.from(StringIO.new(data), filename: "a\"b\r\n.jpg")
    Dam::Multipart.new([%w[title Café], %w[tags a], ["file", file]], boundary: "BOUNDARY")
  end

  def test_the_stream_reads_the_same_bytes_whole_or_in_chunks_and_knows_its_size
    body = form.body
    whole = body.read
    body.rewind
    chunks = []
    while (chunk = body.read(1000))
      chunks << chunk
    end
    assert_equal whole, chunks.join
    assert_equal whole.bytesize, body.size
    assert_equal Encoding::BINARY, whole.encoding
  end

  def test_read_at_the_end_follows_io_semantics
    body = form("").body
    body.read
    assert_nil body.read(10)
    assert_equal "", body.read
    assert_equal "", body.read(0)
  end

  def test_a_file_name_cannot_break_out_of_its_header
    whole = form.body.read
    assert_includes whole, 'filename="a%22b%0D%0A.jpg"'
    assert_includes whole, "Caf\u00e9".b
  end

  def test_a_pipe_is_buffered_so_a_retry_can_resend_it
    reader, writer = IO.pipe
    writer.write("piped")
    writer.close
    part = Dam::Multipart::FilePart.from(reader, filename: "p.jpg")
    assert_equal [5, "piped"], [part.size, part.io.read]
  end
end
