# POST /v1/{image,pdf}-operations/{op}: API.md's order of checks
# (401 -> 400 -> 422 all fields -> 404 input -> 422 usability -> 202).
use lib 't/lib';
use Test::Scandoc;

fixtures(png => 'tessjs_simple.png', pdf => 'qpdf_minimal.pdf',
         pdf4 => 'pysf_pdflatex-4-pages.pdf');
run_tests();

__DATA__

=== TEST 1: a JSON array is not an object: 400
--- request
POST /v1/image-operations/convert
["file_0000000000000000"]
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers_like
Content-Type: ^application/problem\+json
--- json_like
{"type": "https://scan-documents.com/docs/errors/bad-request",
 "title": "Bad Request", "status": 400, "message": "qr/./"}

=== TEST 2: malformed JSON: 400
--- request
POST /v1/image-operations/convert
{"input": "file_0000000000000000",
--- more_headers
Content-Type: application/json
--- error_code: 400
--- json_like
{"status": 400, "title": "Bad Request"}

=== TEST 3: duplicate keys are rejected: 400
--- request
POST /v1/image-operations/convert
{"input": "$TEST_NGINX_FILE_PNG", "target_format": "image/png", "target_format": "image/jpeg"}
--- more_headers
Content-Type: application/json
--- error_code: 400

=== TEST 4: an empty object: 422 on every required field
--- request
POST /v1/image-operations/convert
{}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_headers
x-should-retry: false
--- json_like
{"type": "https://scan-documents.com/docs/errors/validation-error",
 "title": "Validation Error", "status": 422,
 "errors": {"input": ["The input field is required."],
            "target_format": ["qr/./"]}}

=== TEST 5: every failing field at once, an unknown one included
--- request
POST /v1/image-operations/convert
{"input": "file_nope", "target_format": "image/gif", "name": "",
 "callback_url": "ftp://example.com/x", "colour": "red"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- json_like
{"errors": {"input": ["input does not contains a valid input id."],
            "target_format": ["qr/./"], "name": ["qr/./"],
            "callback_url": ["qr/./"],
            "colour": ["qr/colour/"]}}

=== TEST 5d: a PDF password with a NUL character
--- request
POST /v1/pdf-operations/split
{"input": "$TEST_NGINX_FILE_PDF", "password": "a\u0000b"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- json_like
{"errors": {"password": ["The password field must be a string of at most 1024 bytes without NUL characters."]}}

=== TEST 6: jpeg needs a quality
--- request
POST /v1/image-operations/convert
{"input": "$TEST_NGINX_FILE_PNG", "target_format": "image/jpeg"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- json_like
{"errors": {"quality": ["qr/./"]}}

=== TEST 7: quality out of range
--- request
POST /v1/image-operations/convert
{"input": "$TEST_NGINX_FILE_PNG", "target_format": "image/webp", "quality": 101}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- json_like
{"errors": {"quality": ["qr/./"]}}

=== TEST 8: field errors come before a missing input (422, not 404)
--- request
POST /v1/image-operations/convert
{"input": "file_0000000000000000", "target_format": "image/gif"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- json_like
{"errors": {"target_format": ["qr/./"]}}

=== TEST 9: a well-formed input that does not exist: 404
--- request
POST /v1/image-operations/convert
{"input": "file_0000000000000000", "target_format": "image/png"}
--- more_headers
Content-Type: application/json
--- error_code: 404
--- json_like
{"status": 404, "message": "File with id file_0000000000000000 not found."}

=== TEST 10: a task id that does not exist: 404 naming the task
--- request
POST /v1/image-operations/convert
{"input": "task_0000000000000000", "target_format": "image/png"}
--- more_headers
Content-Type: application/json
--- error_code: 404
--- json_like
{"status": 404, "message": "Task with id task_0000000000000000 not found."}

=== TEST 10b: a missing input is a 404 before its pages are judged against it
--- request
POST /v1/pdf-operations/extract-pages
{"input": "file_0000000000000000", "pages": "1-999"}
--- more_headers
Content-Type: application/json
--- error_code: 404
--- json_like
{"message": "File with id file_0000000000000000 not found."}

=== TEST 11: the wrong kind of input (a PDF to convert): 422 on input
--- request
POST /v1/image-operations/convert
{"input": "$TEST_NGINX_FILE_PDF", "target_format": "image/png"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- json_like
{"errors": {"input": ["qr/./"]}}

=== TEST 11b: the wrong kind of input (an image to render): 422 on input
--- request
POST /v1/pdf-operations/render
{"input": "$TEST_NGINX_FILE_PNG", "dpi": 100}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- json_like
{"errors": {"input": ["qr/./"]}}

=== TEST 12: accepted: 202, a pending Task, Location
--- request
POST /v1/image-operations/convert
{"input": "$TEST_NGINX_FILE_PNG", "target_format": "image/jpeg", "quality": 80}
--- more_headers
Content-Type: application/json
--- error_code: 202
--- response_headers_like
Location: /v1/tasks/task_[a-z0-9]{16}$
X-Request-Id: \S
--- json_like
{"id": "qr/^task_[a-z0-9]{16}$/", "operation": "convert", "status": "pending",
 "parameters": {"input": "$TEST_NGINX_FILE_PNG", "target_format": "image/jpeg",
                "quality": 80},
 "result": {}, "callback_url": null,
 "created_at": "qr/Z$/", "updated_at": "qr/Z$/"}

=== TEST 13: null counts as absent
--- request
POST /v1/image-operations/convert
{"input": "$TEST_NGINX_FILE_PNG", "target_format": "image/png", "name": null,
 "quality": null, "callback_url": null}
--- more_headers
Content-Type: application/json
--- error_code: 202
--- json_like
{"status": "pending", "callback_url": null}

=== TEST 14: an unknown operation: 404
--- request
POST /v1/image-operations/sharpen
{"input": "$TEST_NGINX_FILE_PNG"}
--- more_headers
Content-Type: application/json
--- error_code: 404
--- json_like
{"status": 404, "message": "No route for POST /v1/image-operations/sharpen."}

=== TEST 15: an image operation under pdf-operations: 404
--- request
POST /v1/pdf-operations/convert
{"input": "$TEST_NGINX_FILE_PNG", "target_format": "image/png"}
--- more_headers
Content-Type: application/json
--- error_code: 404

=== TEST 16: name is not allowed on extract-text
--- request
POST /v1/image-operations/extract-text
{"input": "$TEST_NGINX_FILE_PNG", "format": "plain", "name": "x"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- json_like
{"errors": {"name": ["qr/./"]}}

=== TEST 17: password is a PDF-only field
--- request
POST /v1/image-operations/convert
{"input": "$TEST_NGINX_FILE_PNG", "target_format": "image/png", "password": "x"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- json_like
{"errors": {"password": ["qr/./"]}}

=== TEST 18: render fills in its default dpi
--- request
POST /v1/pdf-operations/render
{"input": "$TEST_NGINX_FILE_PDF"}
--- more_headers
Content-Type: application/json
--- error_code: 202
--- json_like
{"operation": "render", "parameters": {"input": "$TEST_NGINX_FILE_PDF", "dpi": 300}}

=== TEST 19: pages beyond page_count: 422 on pages (after the 404 check)
--- request
POST /v1/pdf-operations/extract-pages
{"input": "$TEST_NGINX_FILE_PDF4", "pages": "2-5"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- json_like
{"errors": {"pages": ["qr/./"]}}

=== TEST 20: a page range written backwards: 422 on pages
--- request
POST /v1/pdf-operations/extract-pages
{"input": "$TEST_NGINX_FILE_PDF4", "pages": "3-2"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- json_like
{"errors": {"pages": ["qr/./"]}}

=== TEST 21: warp vertices outside the image: 422 on vertices
--- request
POST /v1/image-operations/warp
{"input": "$TEST_NGINX_FILE_PNG",
 "vertices": [{"x": 0, "y": 0}, {"x": 400, "y": 0}, {"x": 319, "y": 179}, {"x": 0, "y": 179}]}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- json_like
{"errors": {"vertices": ["qr/./"]}}

=== TEST 22: merge: input must be an array
--- request
POST /v1/pdf-operations/merge
{"input": "$TEST_NGINX_FILE_PDF"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- json_like
{"errors": {"input": ["qr/./"]}}

=== TEST 23: merge: a malformed item is keyed by its index
--- request
POST /v1/pdf-operations/merge
{"input": ["$TEST_NGINX_FILE_PDF", "nope", "$TEST_NGINX_FILE_PNG"]}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- json_like
{"errors": {"input[1]": ["input does not contains a valid input id."]}}

=== TEST 24: merge: the first missing item is the 404
--- request
POST /v1/pdf-operations/merge
{"input": ["$TEST_NGINX_FILE_PDF", "file_0000000000000001", "file_0000000000000002"]}
--- more_headers
Content-Type: application/json
--- error_code: 404
--- json_like
{"message": "File with id file_0000000000000001 not found."}

=== TEST 25: merge: more than 50 items
--- request eval
"POST /v1/pdf-operations/merge\n"
. '{"input": [' . CORE::join(',', ('"$TEST_NGINX_FILE_PDF"') x 51) . ']}'
--- more_headers
Content-Type: application/json
--- error_code: 422
--- json_like
{"errors": {"input": ["qr/./"]}}

=== TEST 26: merge of a PDF and an image: 202
--- request
POST /v1/pdf-operations/merge
{"input": ["$TEST_NGINX_FILE_PDF", "$TEST_NGINX_FILE_PNG"], "name": "both"}
--- more_headers
Content-Type: application/json
--- error_code: 202
--- json_like
{"operation": "merge", "status": "pending",
 "parameters": {"input": ["$TEST_NGINX_FILE_PDF", "$TEST_NGINX_FILE_PNG"], "name": "both"}}

=== TEST 27: GET on an operation route: 405 with Allow
--- request
GET /v1/image-operations/convert
--- error_code: 405
--- response_headers_like
Allow: POST
--- json_like
{"status": 405, "title": "Method Not Allowed"}

=== TEST 28: a JSON body over scandoc_json_max_size: 413 problem
--- http_config
    scandoc_json_max_size 1k;
--- request eval
"POST /v1/image-operations/convert\n"
. '{"input": "$TEST_NGINX_FILE_PNG", "target_format": "image/png", "name": "'
. ("x" x 2000) . '"}'
--- more_headers
Content-Type: application/json
--- error_code: 413
--- response_headers
x-should-retry: false
--- json_like
{"type": "https://scan-documents.com/docs/errors/payload-too-large", "status": 413}
