# frozen_string_literal: true

module Dam
  # Assets found by id, in the order asked; `missing` lists the ids that do not exist.
  class FoundAssets
    include Enumerable

    attr_reader :missing

    def initialize(by_id, ids)
      @assets = ids.map { |id| by_id[id] }.compact
      @missing = ids.reject { |id| by_id.key?(id) }.uniq
    end

    def each(&block)
      @assets.each(&block)
    end

    def to_h
      @assets.to_h { |asset| [asset["id"], asset] }
    end
  end

  module Resources
    # GET/POST assets/, GET/PATCH/DELETE assets/{id}/, PUT assets/{id}/file/, POST assets/{id}/urls/.
    class Assets
      FILTERS = %i[page_size tag q format status created_after updated_after checksum used collection
                   include_descendants rights].freeze
      # collection: a collection's id (Resources::Collections); without it a new asset goes to the root.
      # rights: a Hash of licence, licence_detail, usage_terms, expires_on (a Date or "YYYY-MM-DD";
      # nil: no expiry); only the keys given change.
      FIELDS = %i[title alt_text caption credit copyright tags focal_point collection rights].freeze
      BULK_LIMIT = 200 # ids per request: the server's cap for `?ids=`

      def initialize(http)
        @http = http
      end

      # Every asset matching the filters, newest first. Lazy: a page is fetched when the
      # iteration reaches it (`list(tag: "x").first(10)` fetches one page).
      def list(**filters)
        Enumerator.new { |yielder| each_page(**filters) { |page| page.each { |asset| yielder << asset } } }
      end

      # Each page (a Dam::Page) in turn; an Enumerator without a block.
      def each_page(**filters)
        return enum_for(:each_page, **filters) unless block_given?

        current = page(**filters)
        loop do
          yield current
          break unless current.next?

          current = fetch_page(Page.query(current.next_url))
        end
      end

      # One page; pass a previous page's `next_cursor` as `cursor:` for the next one.
      def page(cursor: nil, **filters)
        Params.check!(filters.keys, FILTERS, "filter")
        fetch_page(filters.merge(cursor: cursor))
      end

      def get(id)
        @http.call(:get, "assets/#{Params.segment(id)}/")
      end

      # Bulk lookup (`GET assets/?ids=`), any number of ids, BULK_LIMIT per request.
      def find_many(ids)
        ids = ids.map(&:to_s)
        by_id = {}
        ids.uniq.each_slice(BULK_LIMIT) do |slice|
          body = @http.call(:get, "assets/", query: { ids: slice })
          loop do
            body.fetch("results").each { |asset| by_id[asset["id"]] = asset }
            break unless body["next"]

            body = @http.call(:get, "assets/", query: Page.query(body["next"]))
          end
        end
        FoundAssets.new(by_id, ids)
      end

      # Multipart upload. `file`: a path, an IO, or a Rails upload (params[:file]). Retried
      # safely thanks to the Idempotency-Key (see Params.idempotency).
      def create(file:, filename: nil, content_type: nil, idempotency_key: :auto, **fields)
        Params.check!(fields.keys, FIELDS, "field")
        part = Multipart::FilePart.from(file, filename: filename, content_type: content_type)
        form = Multipart.new(Params.form_fields(fields) + [["file", part]])
        @http.call(:post, "assets/", body: form.body,
                                     headers: form.headers.merge(Params.idempotency(idempotency_key)))
      ensure
        part&.close
      end

      # PATCH: only the given fields change; `tags:` replaces the tags; `focal_point: nil` clears it.
      def update(id, **fields)
        Params.check!(fields.keys, FIELDS, "field")
        @http.call(:patch, "assets/#{Params.segment(id)}/", json: Params.json_fields(fields))
      end

      def delete(id)
        @http.call(:delete, "assets/#{Params.segment(id)}/")
        true
      end

      # A new original for the asset (PUT assets/{id}/file/), validated like an upload (the same
      # Dam::InvalidFile codes); its id, fields, tags, collection and the editor's focal point stay,
      # its checksum and every rendition URL change (the old URLs redirect), the previous file is
      # kept as a version. Returns the asset.
      #
      # `file:` (as for `create`) sends it multipart. That request is never replayed: each call
      # keeps one more version, and the server takes no Idempotency-Key for it. `upload:` names a
      # direct upload whose file has arrived (`uploads.start` + `uploads.transfer`) instead; that
      # PUT is idempotent and retried. `uploads.replace` does the three steps.
      def replace_file(id, file: nil, upload: nil, filename: nil, content_type: nil)
        raise ArgumentError, "Dam: replace_file takes file: or upload:, not both" if file && upload
        return replace_from_upload(id, upload) if upload
        raise ArgumentError, "Dam: replace_file needs file: (or upload:)" if file.nil?

        part = Multipart::FilePart.from(file, filename: filename, content_type: content_type)
        form = Multipart.new([["file", part]])
        @http.call(:put, file_path(id), body: form.body, headers: form.headers, idempotent: false)
      ensure
        part&.close
      end

      # Signed URLs for ad-hoc specs (canonicalised by the server). `expires_in` in seconds;
      # omit it for URLs that never expire. Safe to retry: it only computes.
      def urls(id, specs, expires_in: nil)
        body = { "specs" => Array(specs), "expires_in" => expires_in }.compact
        @http.call(:post, "assets/#{Params.segment(id)}/urls/", json: body, idempotent: true).fetch("urls")
      end

      private

      def replace_from_upload(id, upload_id)
        @http.call(:put, file_path(id), json: { "upload" => upload_id.to_s })
      end

      def file_path(id)
        "assets/#{Params.segment(id)}/file/"
      end

      def fetch_page(query)
        Page.new(@http.call(:get, "assets/", query: query))
      end
    end
  end
end
