# frozen_string_literal: true

module Dam
  module Resources
    # Direct uploads: start → send the file to storage (S3 presigned POST, or the app's own
    # endpoint on local storage) → complete. `upload` does all three.
    class Uploads
      def initialize(http, assets = Assets.new(http))
        @http = http
        @assets = assets
      end

      # One call: the file goes straight to storage, the app never sees the bytes; `fields` are
      # the asset's (title:, tags:, ...). Returns the asset.
      def upload(file, filename: nil, content_type: nil, idempotency_key: :auto, **fields)
        Params.check!(fields.keys, Assets::FIELDS, "field")
        part = Multipart::FilePart.from(file, filename: filename, content_type: content_type)
        started = start(filename: part.filename, content_type: part.content_type, byte_size: part.size,
                        idempotency_key: idempotency_key)
        transfer(started.fetch("instructions"), part)
        upload_id = started.fetch("upload").fetch("id")
        settle { complete(upload_id, **fields) }
      ensure
        part&.close
      end

      # A new original for an existing asset through a direct upload: start, send the file to
      # storage, then PUT assets/{id}/file/ with the upload's id (idempotent, so retried; an
      # `upload_incomplete` from our own retry still running is waited out). Returns the asset.
      def replace(asset_id, file, filename: nil, content_type: nil, idempotency_key: :auto)
        Params.segment(asset_id) # no id: refused before the file is sent anywhere
        part = Multipart::FilePart.from(file, filename: filename, content_type: content_type)
        started = start(filename: part.filename, content_type: part.content_type, byte_size: part.size,
                        idempotency_key: idempotency_key)
        transfer(started.fetch("instructions"), part)
        upload_id = started.fetch("upload").fetch("id")
        settle { @assets.replace_file(asset_id, upload: upload_id) }
      ensure
        part&.close
      end

      # POST uploads/ → {"upload" => {...}, "instructions" => {"url", "fields", "file_field", ...}}.
      def start(filename:, content_type:, byte_size:, idempotency_key: :auto)
        body = { "filename" => filename, "content_type" => content_type, "byte_size" => byte_size }
        @http.call(:post, "uploads/", json: body, headers: Params.idempotency(idempotency_key))
      end

      # Sends the file as the instructions say: every field first, the file last, no API key.
      # `file` as for Assets#create, or a Dam::Multipart::FilePart.
      def transfer(instructions, file, filename: nil, content_type: nil)
        part = file
        part = Multipart::FilePart.from(file, filename: filename, content_type: content_type) unless
          file.is_a?(Multipart::FilePart)
        form = Multipart.new(instructions.fetch("fields").to_a + [[instructions.fetch("file_field"), part]])
        @http.storage_post(instructions.fetch("url"), form)
        true
      ensure
        part.close if part && !part.equal?(file)
      end

      # POST uploads/{id}/complete/ → the asset (the server answers 201, then 200 with the same
      # asset on a repeat, so it is retried like a GET).
      def complete(id, **fields)
        Params.check!(fields.keys, Assets::FIELDS, "field")
        @http.call(:post, "uploads/#{Params.segment(id)}/complete/", json: Params.json_fields(fields),
                                                                     idempotent: true)
      end

      def get(id)
        @http.call(:get, "uploads/#{Params.segment(id)}/")
      end

      private

      # After a successful transfer, `upload_incomplete` means another `complete` (or replacement)
      # of this upload, our own retry after a timeout, is still running: wait for it rather than fail.
      def settle
        attempt = 0
        begin
          attempt += 1
          yield
        rescue UploadIncomplete
          delay = @http.policy.backoff_within_budget(attempt)
          raise if delay.nil?

          @http.policy.wait(delay)
          retry
        end
      end
    end
  end
end
