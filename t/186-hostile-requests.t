# Hostile and malformed requests: each one a way a request once made the
# service misbehave (no answer at all, a 500, nginx's HTML page instead of
# problem JSON, a wrong status).  Every check here failed before its fix.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;
use IO::Socket::INET;

my $s = Test::Scandoc::Server->new;

# the suite's configuration routes 412 like every other nginx error
my $server = $s->default_server_config;
$server =~ / 412 / or die 'no 412 in the error_page list';
$s->start_nginx;

my $key = $s->key;
my $png = Test::Scandoc::Server::corpus('tessjs_simple.png');
my $file = $s->upload_id($png, 'simple');

sub hdr { Test::Scandoc::Server::header(@_) }
sub enc { Test::Scandoc::Server::json_encode(@_) }

# a problem JSON with that status and slug
sub problem {
    my ($r, $status, $slug, $name) = @_;
    is($r->{status}, $status, "$name: $status")
        or diag(substr($r->{raw} // '', 0, 400));
    like(hdr($r, 'content-type') // '', qr{^application/problem\+json},
         "$name: problem JSON");
    is($r->{json}{status}, $status, "$name: status in the body");
    like($r->{json}{type} // '', qr{/\Q$slug\E$}, "$name: type $slug");
}

my $log_from = $s->error_log_size;

### an invalid chunked body where the answer needs no body

# The discard of the body failed and the connection was closed without
# any answer; nginx's own handlers answer such a body with a 400.
for my $c (['POST /v1/nothing', 'an unknown route'],
           ['PUT /v1/files', 'a method the route does not have'],
           ['GET /v1/files', 'a list'],
           ['POST /elsewhere', 'outside the API location']) {
    my $r = $s->request(GET => '/', raw =>
        "$c->[0] HTTP/1.1\r\nHost: x\r\nx-api-key: $key\r\n"
        . "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
    problem($r, 400, 'bad-request', "invalid chunked body to $c->[1]");
    is(hdr($r, 'connection'), 'close', "$c->[1]: the connection closes");
    ok(!hdr($r, 'allow'), "$c->[1]: no Allow of the 405 it is not");
}

{
    my $r = $s->request(GET => '/', raw =>
        "GET /v1/files HTTP/1.1\r\nHost: x\r\nx-api-key: not-a-key\r\n"
        . "Transfer-Encoding: chunked\r\n\r\nzz\r\n\r\n");
    problem($r, 400, 'bad-request', 'invalid chunked body with a bad key');
    ok(!hdr($r, 'www-authenticate'), '... without the 401\'s WWW-Authenticate');
}

### JSON nested deeper than Redis's cjson decodes

# jansson accepts 2048 levels, sd_ops ignores the value of "example" and of
# unknown schema keys, and sd1_create_task's cjson refuses 1000: a 500.
{
    my $deep = ('[' x 1001) . (']' x 1001);
    for my $where (['"example":', 'example'], ['"zzz":', 'an unknown schema key']) {
        my $r = $s->request(POST => '/v1/image-operations/extract-text',
            headers => ['Content-Type' => 'application/json'],
            body => qq({"input":"$file","format":"json","schema":{"type":"object",)
                  . qq("properties":{"total":{"type":"number",$where->[0]$deep}}}}));
        problem($r, 400, 'bad-request', "a value 1001 levels deep in $where->[1]");
        like($r->{json}{message} // '', qr/nested deeper than \d+ levels/,
             "$where->[1]: the message says why");
    }

    my $some = ('[' x 30) . (']' x 30);
    my $r = $s->request(POST => '/v1/image-operations/extract-text',
        headers => ['Content-Type' => 'application/json'],
        body => qq({"input":"$file","format":"json","schema":{"type":"object",)
              . qq("properties":{"total":{"type":"number","example":$some}}}}));
    is($r->{status}, 202, 'an example 30 levels deep is still accepted')
        or diag($r->{body});
    # and runs: the staging check at the end needs it finished
    if ($r->{status} == 202) {
        is($s->wait_task($r->{json}{id})->{status}, 'completed',
           'the task with the deep example completed');
    }

    $r = $s->request(POST => '/v1/image-operations/extract-text', key => 'nope',
        headers => ['Content-Type' => 'application/json'],
        body => qq({"input":"$file","format":"plain","x":$deep}));
    problem($r, 401, 'unauthorized', 'a deep body with a bad key');
}

### conditional headers

# JSON responses have no validators: nginx answered If-Match and
# If-Unmodified-Since on them with its own HTML 412.
for my $h (['If-Match' => '"nope"'],
           ['If-Unmodified-Since' => 'Thu, 01 Jan 1970 00:00:00 GMT']) {
    for my $path ('/v1/files', "/v1/files/$file", '/v1/events?take=1') {
        my $r = $s->request(GET => $path, headers => $h);
        is($r->{status}, 200, "GET $path with $h->[0]: 200");
        like(hdr($r, 'content-type') // '', qr{^application/json},
             "GET $path with $h->[0]: JSON");
    }
}

# a download has an ETag and Last-Modified: there a 412 is right, and it
# is a problem with its own slug, not a 400
for my $h (['If-Match' => '"nope"'],
           ['If-Unmodified-Since' => 'Thu, 01 Jan 1970 00:00:00 GMT']) {
    my $r = $s->download($file, headers => $h);
    problem($r, 412, 'precondition-failed', "download with $h->[0]");
    ok(!hdr($r, 'content-disposition'), "download with $h->[0]: no attachment");
}

{
    my $r = $s->download($file);
    is($r->{status}, 200, 'a plain download still works');
    my $etag = hdr($r, 'etag');
    $r = $s->download($file, headers => ['If-Match' => $etag]);
    is($r->{status}, 200, 'a download with its own ETag in If-Match: 200');
    $r = $s->download($file, headers => ['If-None-Match' => $etag]);
    is($r->{status}, 304, 'a download with its own ETag in If-None-Match: 304');
}

### the log

my $log = $s->error_log($log_from);
unlike($log, qr/exited on signal|\[alert\]|\[emerg\]/, 'no crash, no alert')
    or diag($s->error_log_tail(30));
is_deeply([ $s->staging_settled ], [], 'nothing left in staging');

done_testing();
