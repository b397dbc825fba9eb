# POST /v1/files: multipart and raw uploads, types detected from the bytes,
# and the refusals (415, 422, 413).
use lib 't/lib';
use Test::Scandoc;

run_tests();

__DATA__

=== TEST 1: multipart PNG: 201 + File + Location
--- request
POST /v1/files
--- more_headers eval
"Content-Type: " . mp_type()
--- request_body eval
mp_body(name => 'hello', file => ['simple.png', file_bytes('tessjs_simple.png')])
--- error_code: 201
--- response_headers_like
Location: /v1/files/file_[a-z0-9]{16}$
Content-Type: ^application/json
X-Request-Id: \S
--- json_like
{"id": "qr/^file_[a-z0-9]{16}$/", "name": "hello", "type": "image/png",
 "properties": {"size": 1305, "width": 320, "height": 180},
 "task_id": null,
 "created_at": "qr/^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$/"}

=== TEST 2: JPEG
--- request
POST /v1/files
--- more_headers eval
"Content-Type: " . mp_type()
--- request_body eval
mp_body(name => 'a jpeg', file => ['x.jpg', file_bytes('tessjs_simple.jpg')])
--- error_code: 201
--- json_like
{"type": "image/jpeg", "name": "a jpeg",
 "properties": {"size": 4978, "width": 320, "height": 180}}

=== TEST 3: WebP (VP8X + VP8L)
--- request
POST /v1/files
--- more_headers eval
"Content-Type: " . mp_type()
--- request_body eval
mp_body(file => ['x.webp', file_bytes('tessjs_simple.webp')], name => 'a webp')
--- error_code: 201
--- json_like
{"type": "image/webp", "properties": {"size": 3810, "width": 320, "height": 180}}

=== TEST 4: PDF with its page count
--- request
POST /v1/files
--- more_headers eval
"Content-Type: " . mp_type()
--- request_body eval
mp_body(name => 'four pages', file => ['x.pdf', file_bytes('pysf_pdflatex-4-pages.pdf')])
--- error_code: 201
--- json_like
{"type": "application/pdf", "properties": {"size": 24607, "page_count": 4}}

=== TEST 5: the type comes from the bytes, not the client's name or part type
--- request
POST /v1/files
--- more_headers eval
"Content-Type: " . mp_type()
--- request_body eval
mp_body(name => 'liar', file => ['document.pdf', file_bytes('tessjs_simple.png')])
--- error_code: 201
--- json_like
{"type": "image/png"}

=== TEST 6: raw body with ?name=
--- request
POST /v1/files?name=raw%20upload
--- more_headers
Content-Type: application/octet-stream
--- request_body eval
file_bytes('qpdf_minimal.pdf')
--- error_code: 201
--- response_headers_like
Location: /v1/files/file_[a-z0-9]{16}$
--- json_like
{"name": "raw upload", "type": "application/pdf",
 "properties": {"size": 763, "page_count": 1}}

=== TEST 7: not a document: 415
--- request
POST /v1/files
--- more_headers eval
"Content-Type: " . mp_type()
--- request_body eval
mp_body(name => 'notes', file => ['notes.txt', "just some text\n" x 20])
--- error_code: 415
--- response_headers
x-should-retry: false
--- response_headers_like
Content-Type: ^application/problem\+json
--- json_like
{"type": "https://scan-documents.com/docs/errors/unsupported-file-type",
 "title": "Unsupported File Type", "status": 415,
 "message": "The file type is not supported."}

=== TEST 8: a truncated PNG: 415
--- request
POST /v1/files
--- more_headers eval
"Content-Type: " . mp_type()
--- request_body eval
mp_body(name => 'cut', file => ['cut.png', substr(file_bytes('tessjs_simple.png'), 0, 30)])
--- error_code: 415

=== TEST 9: no name part: 422 on name
--- request
POST /v1/files
--- more_headers eval
"Content-Type: " . mp_type()
--- request_body eval
mp_body(file => ['x.png', file_bytes('tessjs_simple.png')])
--- error_code: 422
--- response_headers
x-should-retry: false
--- json_like
{"type": "https://scan-documents.com/docs/errors/validation-error",
 "title": "Validation Error", "status": 422,
 "errors": {"name": ["qr/./"]}}

=== TEST 10: a name of 51 code points: 422 on name
--- request
POST /v1/files
--- more_headers eval
"Content-Type: " . mp_type()
--- request_body eval
mp_body(name => "\xc3\xa9" x 51, file => ['x.png', file_bytes('tessjs_simple.png')])
--- error_code: 422
--- json_like
{"errors": {"name": ["qr/./"]}}

=== TEST 11: a name of 50 code points (100 bytes) is fine
--- request
POST /v1/files
--- more_headers eval
"Content-Type: " . mp_type()
--- request_body eval
mp_body(name => "\xc3\xa9" x 50, file => ['x.png', file_bytes('tessjs_simple.png')])
--- error_code: 201

=== TEST 12: a name with a control character: 422
--- request
POST /v1/files
--- more_headers eval
"Content-Type: " . mp_type()
--- request_body eval
mp_body(name => "bad\x01name", file => ['x.png', file_bytes('tessjs_simple.png')])
--- error_code: 422
--- json_like
{"errors": {"name": ["qr/./"]}}

=== TEST 13: no file part: 422 on file
--- request
POST /v1/files
--- more_headers eval
"Content-Type: " . mp_type()
--- request_body eval
mp_body(name => 'nothing')
--- error_code: 422
--- json_like
{"errors": {"file": ["qr/./"]}}

=== TEST 14: neither multipart nor a raw body with ?name=: 400
--- request
POST /v1/files
--- more_headers
Content-Type: application/octet-stream
--- request_body eval
file_bytes('qpdf_minimal.pdf')
--- error_code: 400
--- json_like
{"type": "https://scan-documents.com/docs/errors/bad-request", "message": "qr/./"}

=== TEST 15: raw body with an empty ?name=: 422 on name
--- request
POST /v1/files?name=
--- more_headers
Content-Type: application/octet-stream
--- request_body eval
file_bytes('qpdf_minimal.pdf')
--- error_code: 422
--- json_like
{"errors": {"name": ["qr/./"]}}

=== TEST 15b: raw body with a malformed escape in ?name=: 422 on name
--- request
POST /v1/files?name=scan%2
--- more_headers
Content-Type: application/octet-stream
--- request_body eval
file_bytes('qpdf_minimal.pdf')
--- error_code: 422
--- json_like
{"errors": {"name": ["The name parameter has a malformed percent-encoding."]}}

=== TEST 16: a body over client_max_body_size: 413 problem JSON
--- config
        error_page 400 401 403 404 405 408 413 414 429 494 500 502 503 504 /_scandoc/problem;
        location = /_scandoc/problem { internal; scandoc_problem; }
        location /v1/ {
            scandoc;
            client_max_body_size 2k;
        }
--- request
POST /v1/files
--- more_headers eval
"Content-Type: " . mp_type()
--- request_body eval
mp_body(name => 'big', file => ['x.pdf', file_bytes('pysf_pdflatex-4-pages.pdf')])
--- error_code: 413
--- response_headers
x-should-retry: false
--- response_headers_like
Content-Type: ^application/problem\+json
X-Request-Id: \S
--- json_like
{"type": "https://scan-documents.com/docs/errors/payload-too-large",
 "title": "Payload Too Large", "status": 413, "message": "qr/./"}
