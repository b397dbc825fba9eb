# nginx's own errors in a scandoc server are problem JSON (error_page ->
# @scandoc_problem), never an HTML page; unknown routes and methods.
use lib 't/lib';
use Test::Scandoc;

run_tests();

__DATA__

=== TEST 1: an unknown route under /v1/: 404 naming it
--- request
GET /v1/nothing-here
--- error_code: 404
--- response_headers_like
Content-Type: ^application/problem\+json
X-Request-Id: \S
--- json_like
{"type": "https://scan-documents.com/docs/errors/not-found", "title": "Not Found",
 "status": 404, "message": "No route for GET /v1/nothing-here."}
--- no_error_log
[alert]
[emerg]

=== TEST 2: outside the API location, nginx's 404 is problem JSON too
--- request
GET /elsewhere
--- api_key: none
--- error_code: 404
--- response_headers_like
Content-Type: ^application/problem\+json
--- json_like
{"status": 404, "title": "Not Found", "message": "qr/^(?!.*_scandoc)/"}

=== TEST 3: a method the route does not have: 405 with Allow
--- request
PUT /v1/files
--- error_code: 405
--- response_headers_like
Allow: ^GET, HEAD, POST$
Content-Type: ^application/problem\+json
--- json_like
{"type": "https://scan-documents.com/docs/errors/method-not-allowed",
 "title": "Method Not Allowed", "status": 405}

=== TEST 4: 405 on a file
--- request
POST /v1/files/file_0000000000000000
--- error_code: 405
--- response_headers_like
Allow: GET
--- json_like
{"status": 405}

=== TEST 5: a malformed request (two Host headers): 400 problem JSON
--- raw_request eval
"GET /v1/files HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n"
--- error_code: 400
--- response_headers_like
Content-Type: ^application/problem\+json
--- json_like
{"type": "https://scan-documents.com/docs/errors/bad-request", "status": 400,
 "title": "Bad Request"}

=== TEST 6: a URI over the header buffers: 414 problem JSON
--- request eval
"GET /v1/files?x=" . ("a" x 20000)
--- error_code: 414
--- response_headers_like
Content-Type: ^application/problem\+json
--- json_like
{"status": 414}

=== TEST 7: a header over the buffers (nginx's 494): problem JSON, not HTML
--- request
GET /v1/files
--- more_headers eval
"X-Big: " . ("b" x 20000)
--- response_headers_like
Content-Type: ^application/problem\+json
--- response_body_like
"status":\s*4\d\d

=== TEST 8: limit_req: the first request passes
--- http_config
    limit_req_zone $binary_remote_addr zone=t:1m rate=1r/m;
--- config
        error_page 400 401 403 404 405 408 413 414 429 494 500 502 503 504 /_scandoc/problem;
        location = /_scandoc/problem { internal; scandoc_problem; }
        location /v1/ {
            scandoc;
            limit_req zone=t;
        }
--- request
GET /v1/files
--- error_code: 200

=== TEST 9: limit_req: the next one is a 429 problem with Retry-After
--- http_config
    limit_req_zone $binary_remote_addr zone=t:1m rate=1r/m;
--- config
        error_page 400 401 403 404 405 408 413 414 429 494 500 502 503 504 /_scandoc/problem;
        location = /_scandoc/problem { internal; scandoc_problem; }
        location /v1/ {
            scandoc;
            limit_req zone=t;
        }
--- request
GET /v1/files
--- error_code: 429
--- response_headers_like
Retry-After: ^([1-9]|[1-5][0-9])$
Content-Type: ^application/problem\+json
X-Request-Id: \S
--- json_like
{"type": "https://scan-documents.com/docs/errors/rate-limit-error",
 "title": "Rate Limit Exceeded", "status": 429,
 "message": "Rate limit exceeded. Please try again later or contact support."}

=== TEST 10: a configured errors base
--- http_config
    scandoc_errors_base https://errors.example.com/e;
--- request
GET /v1/files/file_0000000000000000
--- error_code: 404
--- json_like
{"type": "https://errors.example.com/e/not-found"}

=== TEST 11: a chunked body over client_max_body_size: 413 problem, not HTML
nginx checks the redirected request against the problem location's limit
(1m by default) again, so that location must not have one of its own: the
body here is over both.
--- config
        error_page 400 401 403 404 405 408 411 413 414 416 429 494 500 501 502 503 504 505 /_scandoc/problem;
        location = /_scandoc/problem { internal; scandoc_problem; client_max_body_size 0; }
        location /v1/ {
            scandoc;
            client_max_body_size 2m;
        }
--- raw_request eval
"POST /v1/files?name=big HTTP/1.1\r\nHost: localhost\r\nX-Api-Key: \$TEST_NGINX_API_KEY\r\n"
. "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
. "300000\r\n" . ("x" x 3145728) . "\r\n0\r\n\r\n"
--- error_code: 413
--- response_headers_like
Content-Type: ^application/problem\+json
--- json_like
{"type": "https://scan-documents.com/docs/errors/payload-too-large",
 "status": 413}

=== TEST 12: TRACE is refused by nginx itself: 405 problem with Allow
--- raw_request eval
"TRACE /v1/files HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- error_code: 405
--- response_headers_like
Allow: ^GET, HEAD, POST, DELETE$
Content-Type: ^application/problem\+json
--- json_like
{"status": 405, "title": "Method Not Allowed"}

=== TEST 13: a transfer coding nginx does not know: 501 problem JSON
--- raw_request eval
"POST /v1/files?name=x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n"
--- error_code: 501
--- response_headers_like
Content-Type: ^application/problem\+json
--- json_like
{"type": "https://scan-documents.com/docs/errors/not-implemented",
 "status": 501}
