package Test::Scandoc;

# Data-driven blocks in Test::Nginx::Socket's style for scandoc (Test::Nginx
# itself is not packaged for Debian).  A test file is
#
#     use lib 't/lib';
#     use Test::Scandoc;
#     fixtures(png => 'tessjs_simple.png');   # optional: uploaded once
#     run_tests();
#     __DATA__
#     === TEST 1: a name
#     --- request
#     GET /v1/files/$TEST_NGINX_FILE_PNG
#     --- error_code: 200
#     --- json_like
#     {"type": "image/png", "id": "qr/^file_[a-z0-9]{16}$/"}
#
# Sections with Test::Nginx's meanings:
#   main_config, http_config   added to the main / http context
#   config                     the server block's content; when absent the
#                              default scandoc server is used (API at /v1/,
#                              problem renderer, internal files location)
#   request [eval]             "METHOD URI" first line (HTTP/1.1 added), the
#                              lines after it are the body
#   raw_request [eval]         bytes sent as they are (malformed HTTP)
#   more_headers               "Name: value" lines
#   request_body [eval]        the body (Content-Length is computed)
#   error_code                 the status
#   response_headers           "Name: value" (exact), "!Name" (absent)
#   response_headers_like      "Name: regex"
#   response_body              exact body
#   response_body_like         regex over the whole body (/s)
#   error_log, no_error_log    lines (or, with eval, an array of qr//) that
#                              must / must not appear in error.log during
#                              this block
#   wait                       seconds to wait after the response before the
#                              logs are checked
# Project sections:
#   json_like [eval]           the body is JSON and contains this subset:
#                              objects match key by key (keys not given are
#                              ignored), arrays element by element with the
#                              same length, scalars by equality; a string
#                              "qr/REGEX/" matches by regex.  With eval it is
#                              a Perl structure and qr// objects are regexes.
#   api_key                    absent: the suite's tenant key in x-api-key;
#                              "other": the second tenant's key; "none": no
#                              key; "bearer" / "bearer other": as
#                              Authorization: Bearer; anything else: sent as
#                              the key literally
# Variables replaced in every section: $TEST_NGINX_SERVER_PORT,
# $TEST_NGINX_REDIS_PORT, $TEST_NGINX_SERVROOT, $TEST_NGINX_STORAGE,
# $TEST_NGINX_CORPUS, $TEST_NGINX_ENGINE, $TEST_NGINX_TENANT,
# $TEST_NGINX_OTHER_TENANT, $TEST_NGINX_API_KEY (for raw_request) and
# $TEST_NGINX_FILE_<NAME> for each fixture.
#
# `eval` sections may call file_bytes('corpus file'), corpus('corpus file')
# (its path), mp_body(name => 'x', file => [filename, bytes]) and mp_type()
# (a multipart body and its Content-Type).  A block's own `config` should
# route errors as the default does:
#     error_page 400 ... 504 /_scandoc/problem;
#     location = /_scandoc/problem { internal; scandoc_problem;
#                                    client_max_body_size 0; }
#
# One Redis and one nginx per test file; nginx is restarted only when a block
# needs a different configuration.  Everything is kept in t/servroot-<file>/.

use strict;
use warnings;

use Test::Base -base;
use Test::Scandoc::Server;
use Time::HiRes ();

our @EXPORT = qw(run_tests fixtures server multipart corpus json_subset
                 mp_body mp_type file_bytes);

# `--- xxx eval` sections are evaluated in Test::Base::Filter's package:
# make the helpers callable there too.
{
    no strict 'refs';
    *{"Test::Base::Filter::$_"} = \&{$_} for qw(mp_body mp_type corpus file_bytes);
}

my $server;
my %fixtures;

sub server { $server //= Test::Scandoc::Server->new }

sub corpus { Test::Scandoc::Server::corpus(@_) }

# The bytes of a corpus file.
sub file_bytes { Test::Scandoc::Server::slurp(corpus($_[0])) // die "$_[0]: $!" }

# Files uploaded (as the main tenant) before the first block; their ids are
# available as $TEST_NGINX_FILE_<NAME>.
sub fixtures { %fixtures = (%fixtures, @_) }

# For `request_body eval`: a multipart body with the harness's boundary, and
# the matching Content-Type (use `more_headers eval` with mp_type()).
sub mp_body { (Test::Scandoc::Server::multipart(@_))[0] }
sub mp_type { (Test::Scandoc::Server::multipart())[1] }
sub multipart { Test::Scandoc::Server::multipart(@_) }

my %vars;

sub expand {
    my ($s) = @_;
    return $s unless defined $s && !ref $s;
    $s =~ s/\$(TEST_NGINX_\w+)/exists $vars{$1} ? $vars{$1} : "\$$1"/ge;
    return $s;
}

# A section's value with the variables replaced (undef when absent).  Test::Base
# makes an accessor for every section name used in the file, so ask first.
sub section {
    my ($block, $name) = @_;
    return undef unless $block->can($name);
    my @v = $block->$name;
    return undef unless @v && defined $v[0];
    return ref $v[0] ? $v[0] : expand($v[0]);
}

sub setup {
    my $s = server();
    %vars = (
        TEST_NGINX_SERVER_PORT  => $s->port,
        TEST_NGINX_REDIS_PORT   => $s->redis_port,
        TEST_NGINX_SERVROOT     => $s->dir,
        TEST_NGINX_STORAGE      => $s->storage,
        TEST_NGINX_CORPUS       => $Test::Scandoc::Server::CORPUS,
        TEST_NGINX_ENGINE       => Test::Scandoc::Server::engine_path(),
        TEST_NGINX_TENANT       => $s->tenant('main'),
        TEST_NGINX_OTHER_TENANT => $s->tenant('other'),
        TEST_NGINX_API_KEY      => $s->key('main'),
    );
    if (%fixtures) {
        $s->start_nginx;
        for my $name (sort keys %fixtures) {
            $vars{"TEST_NGINX_FILE_\U$name"} =
                $s->upload_id(corpus($fixtures{$name}), $name);
        }
    }
}

# Plans itself: the number of checks depends on the sections of the blocks.
# (Through Test::Builder's plan, so that Test::Base's END knows there is a
# plan and does not run its own comparison of sections.)
sub run_tests {
    Test::Builder->new->plan('no_plan') unless Test::Builder->new->has_plan;
    setup();
    for my $block (blocks()) {
        run_block($block);
    }
}

sub run_block {
    my ($block) = @_;
    my $s = server();
    my $name = $block->name;

    my $conf = $s->nginx_conf(
        main_config => section($block, 'main_config'),
        http_config => section($block, 'http_config'),
        config      => section($block, 'config'),
    );
    if (!$s->nginx_running || $conf ne ($s->current_conf // '')) {
        unless (eval { $s->start_nginx(conf => $conf); 1 }) {
            fail("$name - nginx starts");
            diag($@);
            return;
        }
    }

    my $log_from = $s->error_log_size;
    my $r = send_request($s, $block);

    if (defined(my $code = section($block, 'error_code'))) {
        $code =~ s/\s+//g;
        is($r->{status}, $code, "$name - status code")
            or diag("body: $r->{body}");
    }
    check_headers($block, $r, $name);
    if (defined(my $body = section($block, 'response_body'))) {
        is($r->{body}, $body, "$name - response_body");
    }
    if (defined(my $like = section($block, 'response_body_like'))) {
        $like =~ s/\n\z//;
        like($r->{body}, qr/$like/s, "$name - response_body_like");
    }
    if (defined(my $want = section($block, 'json_like'))) {
        check_json($want, $r, $name);
    }
    if (defined(my $w = section($block, 'wait'))) {
        Time::HiRes::sleep($w);
    }
    check_log($s, $block, $log_from, $name);
}

sub send_request {
    my ($s, $block) = @_;
    if (defined(my $raw = section($block, 'raw_request'))) {
        return $s->send_raw($raw);
    }
    my $req = section($block, 'request') // die $block->name . ": no request";
    $req =~ s/^\s+//;
    my ($line, $body) = split /\n/, $req, 2;
    $line =~ s/\s+$//;
    my ($method, $uri) = split ' ', $line;
    $body = undef if defined $body && $body !~ /\S/;
    $body = section($block, 'request_body') // $body;

    my @headers;
    if (defined(my $more = section($block, 'more_headers'))) {
        for (split /\n/, $more) {
            next unless /\S/;
            my ($k, $v) = /^\s*([^:]+?)\s*:\s*(.*?)\s*$/ or die "bad header: $_";
            push @headers, $k, $v;
        }
    }

    my %o = (headers => \@headers, body => $body);
    my $key = section($block, 'api_key');
    if (defined $key) {
        $key =~ s/^\s+|\s+$//g;
        if ($key =~ /^bearer\s*(\S*)$/) {
            $o{bearer} = 1;
            $o{key} = $1 || 'main';
        } else {
            $o{key} = $key;
        }
    }
    return $s->request($method, $uri, %o);
}

sub check_headers {
    my ($block, $r, $name) = @_;
    if (defined(my $h = section($block, 'response_headers'))) {
        for (split /\n/, $h) {
            next unless /\S/;
            if (/^\s*!\s*(\S+)/) {
                ok(!defined Test::Scandoc::Server::header($r, $1),
                   "$name - header $1 absent");
                next;
            }
            my ($k, $v) = /^\s*([^:]+?)\s*:\s*(.*?)\s*$/ or die "bad header: $_";
            is(Test::Scandoc::Server::header($r, $k), $v, "$name - header $k");
        }
    }
    if (defined(my $h = section($block, 'response_headers_like'))) {
        for (split /\n/, $h) {
            next unless /\S/;
            my ($k, $v) = /^\s*([^:]+?)\s*:\s*(.*?)\s*$/ or die "bad header: $_";
            like(Test::Scandoc::Server::header($r, $k) // '', qr/$v/,
                 "$name - header $k like");
        }
    }
}

sub check_json {
    my ($want, $r, $name) = @_;
    unless (ref $want) {
        $want = eval { Test::Scandoc::Server::json_decode($want) };
        die "$name: json_like is not JSON: $@" unless defined $want;
    }
    my $got = $r->{json};
    unless (defined $got) {
        fail("$name - json_like: body is not JSON");
        diag("body: $r->{body}");
        return;
    }
    my @diff = json_subset($want, $got, '');
    ok(!@diff, "$name - json_like") or diag(join("\n", @diff) . "\nbody: $r->{body}");
}

# Differences between the expected subset and the value got, as
# "path: why" strings (empty when it matches).
sub json_subset {
    my ($want, $got, $path) = @_;
    my $shown = defined $got ? (ref $got ? Test::Scandoc::Server::json_encode($got) : $got)
                             : 'null';
    if (ref $want eq 'HASH') {
        return "$path: expected an object, got $shown" unless ref $got eq 'HASH';
        return map {
            exists $got->{$_} ? json_subset($want->{$_}, $got->{$_}, "$path.$_")
                              : "$path.$_: missing"
        } sort keys %$want;
    }
    if (ref $want eq 'ARRAY') {
        return "$path: expected an array, got $shown" unless ref $got eq 'ARRAY';
        return "$path: expected " . @$want . " elements, got " . @$got
            unless @$want == @$got;
        return map { json_subset($want->[$_], $got->[$_], "$path\[$_]") } 0 .. $#$want;
    }
    if (ref $want eq 'Regexp' || (defined $want && !ref $want && $want =~ m{^qr/(.*)/\z}s)) {
        my $re = ref $want ? $want : qr/$1/;
        return "$path: expected a string matching $re, got $shown"
            unless defined $got && !ref $got && $got =~ $re;
        return;
    }
    if (!defined $want) {
        return defined $got ? "$path: expected null, got $shown" : ();
    }
    if (JSON::PP::is_bool($want)) {
        return "$path: expected " . ($want ? 'true' : 'false') . ", got $shown"
            unless JSON::PP::is_bool($got) && !!$got == !!$want;
        return;
    }
    return "$path: expected $want, got $shown"
        unless defined $got && !ref $got && "$got" eq "$want";
    return;
}

sub check_log {
    my ($s, $block, $from, $name) = @_;
    my $want = section($block, 'error_log');
    my $unwanted = section($block, 'no_error_log');
    return unless defined $want || defined $unwanted;
    my $log = $s->error_log($from);
    for my $pat (patterns($want)) {
        ok(ref $pat ? $log =~ $pat : index($log, $pat) >= 0,
           "$name - error_log has $pat");
    }
    for my $pat (patterns($unwanted)) {
        ok(!(ref $pat ? $log =~ $pat : index($log, $pat) >= 0),
           "$name - no error_log $pat");
    }
}

sub patterns {
    my ($v) = @_;
    return () unless defined $v;
    return @$v if ref $v eq 'ARRAY';
    return $v if ref $v;
    return grep { /\S/ } split /\n/, $v;
}

1;
