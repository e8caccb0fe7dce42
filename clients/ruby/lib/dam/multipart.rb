# frozen_string_literal: true

require "securerandom"
require "stringio"

module Dam
  # multipart/form-data built by hand: Faraday 1.x ships a multipart middleware and 2.x moved it
  # to another gem, so neither is assumed. The body is a stream (the file is never read into
  # memory), it knows its size (Net::HTTP needs a Content-Length to stream), and it rewinds, so a
  # retried request sends the same bytes again.
  class Multipart
    CRLF = "\r\n"
    CONTENT_TYPES = { ".jpg" => "image/jpeg", ".jpeg" => "image/jpeg", ".png" => "image/png",
                      ".gif" => "image/gif", ".webp" => "image/webp", ".avif" => "image/avif",
                      ".heic" => "image/heic", ".heif" => "image/heif" }.freeze
    FALLBACK_TYPE = "application/octet-stream"

    # A file to send: a path, a File/IO/StringIO, or a Rails upload (ActionDispatch::Http::UploadedFile).
    class FilePart
      attr_reader :io, :filename, :content_type, :size

      def self.from(file, filename: nil, content_type: nil)
        owned = !file.respond_to?(:read)
        io = owned ? File.open(file.to_s, "rb") : file
        name = filename || original_name(file)
        type = content_type || (file.content_type if file.respond_to?(:content_type)) || guess_type(name)
        new(io, name, type, owned: owned)
      end

      def self.original_name(file)
        return file.original_filename if file.respond_to?(:original_filename)
        return File.basename(file.path) if file.respond_to?(:path) && file.path

        file.respond_to?(:read) ? "upload" : File.basename(file.to_s)
      end

      def self.guess_type(name)
        CONTENT_TYPES.fetch(File.extname(name.to_s).downcase, FALLBACK_TYPE)
      end

      def initialize(io, filename, content_type, owned: false)
        @owned = owned
        @io = rewindable(io)
        @filename = filename.to_s
        @content_type = content_type.to_s
        @size = measure(@io)
      end

      # Closes the file only when it was opened here (from a path); the caller's IO stays open.
      def close
        @io.close if @owned
      end

      private

      # A pipe or socket cannot be read twice: keep a copy so retries can resend it.
      def rewindable(io)
        io = io.tempfile if io.respond_to?(:tempfile) # Rails uploads: the file itself seeks
        return StringIO.new(io.read.to_s.b) unless io.respond_to?(:rewind)

        io.rewind
        io
      rescue Errno::ESPIPE
        StringIO.new(io.read.to_s.b)
      end

      def measure(io)
        return io.size if io.respond_to?(:size)
        return io.stat.size if io.respond_to?(:stat)

        raise ArgumentError, "Dam: cannot tell the size of #{io.class}"
      end
    end

    attr_reader :boundary

    # fields: [[name, value], ...] in order; a value is a String or a FilePart.
    def initialize(fields, boundary: "dam-ruby-#{SecureRandom.hex(16)}")
      @boundary = boundary
      @fields = fields
    end

    def content_type
      "multipart/form-data; boundary=#{boundary}"
    end

    def headers
      { "Content-Type" => content_type, "Content-Length" => body.size.to_s }
    end

    def body
      @body ||= Stream.new(parts)
    end

    private

    def parts
      @fields.flat_map { |name, value| part(name, value) } << StringIO.new("--#{boundary}--#{CRLF}".b)
    end

    def part(name, value)
      return [StringIO.new(field(name, value))] unless value.is_a?(FilePart)

      [StringIO.new(file_head(name, value)), value.io, StringIO.new(CRLF.b)]
    end

    def field(name, value)
      "--#{boundary}#{CRLF}Content-Disposition: form-data; name=\"#{escape(name)}\"#{CRLF}#{CRLF}".b +
        value.to_s.b + CRLF.b
    end

    def file_head(name, file)
      "--#{boundary}#{CRLF}" \
      "Content-Disposition: form-data; name=\"#{escape(name)}\"; filename=\"#{escape(file.filename)}\"#{CRLF}" \
      "Content-Type: #{file.content_type}#{CRLF}#{CRLF}".b
    end

    # As browsers do (WHATWG multipart/form-data): quotes and line breaks cannot break the header.
    def escape(text)
      text.to_s.gsub("\"", "%22").gsub("\r", "%0D").gsub("\n", "%0A")
    end

    # Several IOs read as one, with the IO methods Net::HTTP's body_stream uses.
    class Stream
      def initialize(ios)
        @ios = ios
        @index = 0
      end

      def size
        @ios.sum(&:size)
      end

      def rewind
        @ios.each(&:rewind)
        @index = 0
        0
      end

      def read(length = nil, outbuf = nil)
        chunk = read_chunk(length)
        result = length && chunk.empty? && length.positive? ? nil : chunk
        outbuf && result ? outbuf.replace(result) : result
      end

      private

      def read_chunk(length)
        chunk = String.new(encoding: Encoding::BINARY)
        while (io = @ios[@index])
          break if length && chunk.bytesize >= length

          piece = io.read(length && (length - chunk.bytesize))
          if piece.nil? || piece.empty?
            @index += 1
            next
          end
          chunk << piece.b
        end
        chunk
      end
    end
  end
end
