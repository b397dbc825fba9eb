# Authentication (API.md "Authentication and tenants") and X-Request-Id.
use lib 't/lib';
use Test::Scandoc;

run_tests();

__DATA__

=== TEST 1: no key: 401 problem with WWW-Authenticate
--- request
GET /v1/files
--- api_key: none
--- error_code: 401
--- response_headers_like
WWW-Authenticate: \S
Content-Type: ^application/problem\+json
X-Request-Id: \S
--- json_like
{"type": "https://scan-documents.com/docs/errors/unauthorized",
 "title": "Unauthorized", "status": 401,
 "message": "You are not authorized to access this resource.",
 "request_id": "qr/\\S/"}

=== TEST 2: unknown key: 401
--- request
GET /v1/tasks
--- api_key: sk_this_key_does_not_exist_0000000000000000000000000
--- error_code: 401
--- response_headers_like
WWW-Authenticate: \S
--- json_like
{"status": 401, "title": "Unauthorized"}

=== TEST 3: the key in x-api-key
--- request
GET /v1/files
--- error_code: 200
--- response_headers_like
Content-Type: ^application/json
X-Request-Id: \S
--- json_like
{"links": {"previous": null}}

=== TEST 4: the key as Authorization: Bearer
--- request
GET /v1/events
--- api_key: bearer
--- error_code: 200
--- json_like
{"links": {"previous": null}}

=== TEST 5: a Bearer with an unknown key: 401
--- request
GET /v1/events
--- api_key: bearer nonsense-key
--- error_code: 401
--- response_headers_like
WWW-Authenticate: \S

=== TEST 6: authentication comes before the body is judged
--- request
POST /v1/image-operations/convert
this is not JSON
--- more_headers
Content-Type: application/json
--- api_key: none
--- error_code: 401

=== TEST 7: X-Request-Id on a success and on a 404
--- request
GET /v1/files/file_0000000000000000
--- error_code: 404
--- response_headers_like
X-Request-Id: ^\S+$
--- json_like
{"status": 404, "title": "Not Found",
 "message": "File with id file_0000000000000000 not found.",
 "type": "https://scan-documents.com/docs/errors/not-found"}
