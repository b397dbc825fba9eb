# extract-text's `language` (ext) through HTTP: tesseract codes joined by
# +, validated against the installed models; anything else is a 422 on
# language that lists the available ones (eng here; osd is a model but not
# a language), among every other field error and before the 404 of input.
use lib 't/lib';
use Test::Scandoc;

fixtures(png => 'tessjs_simple.png');
run_tests();

__DATA__

=== TEST 1: an unknown language: 422 listing the available ones
--- request
POST /v1/image-operations/extract-text
{"input": "$TEST_NGINX_FILE_PNG", "format": "plain", "language": "xx"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_headers
x-should-retry: false
--- response_headers_like
Content-Type: ^application/problem\+json
--- json_like
{"type": "https://scan-documents.com/docs/errors/validation-error",
 "status": 422,
 "errors": {"language": ["qr/^The language xx is not installed; available: (?:[a-z_]+, )*eng(?:, [a-z_]+)*\\.$/"]}}

=== TEST 2: osd is installed but is not a language
--- request
POST /v1/image-operations/extract-text
{"input": "$TEST_NGINX_FILE_PNG", "format": "plain", "language": "osd"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- json_like
{"errors": {"language": ["qr/^The language osd is not installed; available: (?!.*\\bosd\\b).*\\beng\\b/"]}}

=== TEST 3: one unknown code among known ones is named
--- request
POST /v1/image-operations/extract-text
{"input": "$TEST_NGINX_FILE_PNG", "format": "plain", "language": "eng+zz"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- json_like
{"errors": {"language": ["qr/^The language zz is not installed; available: .*\\beng\\b/"]}}

=== TEST 4: an empty code (eng+) is a 422 on the format, not "language  is not installed"
--- request
POST /v1/image-operations/extract-text
{"input": "$TEST_NGINX_FILE_PNG", "format": "plain", "language": "eng+"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- json_like
{"errors": {"language": ["The language field must be language codes joined by +, like eng+deu."]}}

=== TEST 5: not a string: 422 on language
--- request
POST /v1/image-operations/extract-text
{"input": "$TEST_NGINX_FILE_PNG", "format": "plain", "language": ["eng"]}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- json_like
{"errors": {"language": ["qr/joined by \\+/"]}}

=== TEST 6: with another field error: every field at once
--- request
POST /v1/image-operations/extract-text
{"input": "$TEST_NGINX_FILE_PNG", "format": "pdf", "language": "xx"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- json_like
{"errors": {"format": ["qr/./"], "language": ["qr/available: .*\\beng\\b/"]}}

=== TEST 7: a field error comes before the 404 of a missing input
--- request
POST /v1/image-operations/extract-text
{"input": "file_0000000000000000", "format": "plain", "language": "xx"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- json_like
{"errors": {"language": ["qr/available: .*\\beng\\b/"]}}

=== TEST 8: eng is accepted and kept in parameters
--- request
POST /v1/image-operations/extract-text
{"input": "$TEST_NGINX_FILE_PNG", "format": "plain", "language": "eng"}
--- more_headers
Content-Type: application/json
--- error_code: 202
--- json_like
{"status": "pending", "parameters": {"language": "eng"}}

=== TEST 9: absent: the default (eng) is filled in
--- request
POST /v1/image-operations/extract-text
{"input": "$TEST_NGINX_FILE_PNG", "format": "plain"}
--- more_headers
Content-Type: application/json
--- error_code: 202
--- json_like
{"parameters": {"language": "eng"}}
