# Files: get, HEAD, list with pagination, download (type, disposition,
# ETag, ranges), delete.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;

my $s = Test::Scandoc::Server->new;
$s->start_nginx;
my $png = Test::Scandoc::Server::corpus('tessjs_simple.png');
my $bytes = Test::Scandoc::Server::slurp($png);
sub header { Test::Scandoc::Server::header(@_) }

my $id = $s->upload_id($png, 'Résumé scan');

# get and HEAD
my $r = $s->request(GET => "/v1/files/$id");
is($r->{status}, 200, 'GET file');
is($r->{json}{id}, $id, 'its id');
is($r->{json}{name}, "R\x{e9}sum\x{e9} scan", 'its name, UTF-8');
like(header($r, 'content-type'), qr{^application/json}, 'JSON');
my $h = $s->request(HEAD => "/v1/files/$id");
is($h->{status}, 200, 'HEAD file');
is($h->{body}, '', 'HEAD has no body');

# malformed ids in the path are 404s
for my $bad ('file_short', 'task_0000000000000000', 'file_ABCDEFGHIJKLMNOP', 'file_000000000000000%2F') {
    my $x = $s->request(GET => "/v1/files/$bad");
    is($x->{status}, 404, "GET /v1/files/$bad is 404");
    like(header($x, 'content-type') // '', qr{^application/problem\+json}, 'as a problem');
}

# the problem's request_id is the X-Request-Id header, new on every request
{
    my $a = $s->request(GET => '/v1/files/file_0000000000000000');
    my $b = $s->request(GET => '/v1/files/file_0000000000000000');
    is($a->{json}{request_id}, header($a, 'x-request-id'), 'request_id is X-Request-Id');
    isnt(header($a, 'x-request-id'), header($b, 'x-request-id'), 'a new id per request');
}

# download
my $d = $s->download($id, headers => [Accept => 'image/png']);
is($d->{status}, 200, 'download');
is($d->{body}, $bytes, 'the bytes as uploaded');
is(header($d, 'content-type'), 'image/png', 'the real Content-Type');
like(header($d, 'content-disposition') // '',
     qr{^attachment; filename="[^"]*\.png"; filename\*=UTF-8''R%C3%A9sum%C3%A9%20scan\.png$},
     'Content-Disposition: an ASCII name, then the UTF-8 one');
{
    # a name with slashes is a file name to the client, never a path
    # (the other tenant's: the lists and events below count this one's)
    my $slashed = $s->upload_id($png, 'scans/2026/../page 1', key => 'other');
    my $sd = $s->download($slashed, key => 'other');
    like(header($sd, 'content-disposition') // '',
         qr{^attachment; filename="scans_2026_\.\._page 1\.png"; filename\*=UTF-8''scans%2F2026%2F\.\.%2Fpage%201\.png$},
         'Content-Disposition: slashes become _ in the ASCII name, %2F in the UTF-8 one');
}
my $etag = header($d, 'etag');
like($etag // '', qr/^"[^"]+"$/, 'a strong ETag');
like(header($d, 'x-request-id') // '', qr/\S/, 'X-Request-Id on a download');

my $nm = $s->download($id, headers => ['If-None-Match' => $etag // '"x"']);
is($nm->{status}, 304, 'If-None-Match: 304');

my $range = $s->download($id, headers => [Range => 'bytes=0-7']);
is($range->{status}, 206, 'Range: 206');
is($range->{body}, substr($bytes, 0, 8), 'the first 8 bytes');
is(header($range, 'content-range'), 'bytes 0-7/' . length $bytes, 'Content-Range');
{
    my $r = $s->download($id, headers => [Range => 'bytes=' . (length($bytes) + 10) . '-']);
    is($r->{status}, 416, 'a Range past the end: 416');
    is($r->{json}{type} // '', 'https://scan-documents.com/docs/errors/range-not-satisfiable',
       '416: a range-not-satisfiable problem');
    is(header($r, 'content-range'), 'bytes */' . length $bytes,
       '416: Content-Range gives the length');
    ok(!header($r, 'content-disposition'), '416: no attachment');
}

my $hd = $s->request(HEAD => "/v1/files/$id/download");
is($hd->{status}, 200, 'HEAD download');
is(header($hd, 'content-length'), length $bytes, 'its Content-Length');
is($hd->{body}, '', 'and no body');

# list and pagination: 5 more files, newest first
my @ids = ($id, map { $s->upload_id($png, "page $_") } 1 .. 5);
my $l = $s->request(GET => '/v1/files');
is($l->{status}, 200, 'list');
is_deeply([ map { $_->{id} } @{ $l->{json}{data} } ], [ reverse @ids ],
          'newest first, all of them');
is($l->{json}{links}{previous}, undef, 'no previous on the first page');
is($l->{json}{links}{next}, undef, 'no next at the end');

my $p1 = $s->request(GET => '/v1/files?take=2');
is_deeply([ map { $_->{id} } @{ $p1->{json}{data} } ], [ @ids[5, 4] ], 'take=2');
my $next = $p1->{json}{links}{next};
like($next // '', qr{^http://127\.0\.0\.1:\d+/v1/files\?.*from=\Q$ids[3]\E}, 'next starts after the page');
like($next // '', qr/take=2/, 'next keeps take');
my ($path) = ($next // '') =~ m{^https?://[^/]+(/.*)$};
my $p2 = $s->request(GET => $path // '/v1/files?take=2&from=' . $ids[3]);
is_deeply([ map { $_->{id} } @{ $p2->{json}{data} } ], [ @ids[3, 2] ], 'second page');
like($p2->{json}{links}{previous} // '', qr/from=\Q$ids[5]\E/, 'previous goes back take items');

my $p3 = $s->request(GET => "/v1/files?take=2&from=$ids[4]");
is_deeply([ map { $_->{id} } @{ $p3->{json}{data} } ], [ @ids[4, 3] ], 'from is inclusive');
like($p3->{json}{links}{previous} // '', qr/[?&]take=1&from=\Q$ids[5]\E$/,
     'previous at the newest, taking only the newer item (no overlap)');
my $p4 = $s->request(GET => "/v1/files?take=3&from=$ids[4]");
is_deeply([ map { $_->{id} } @{ $p4->{json}{data} } ], [ @ids[4, 3, 2] ], 'take=3 from the second');
my ($prev) = ($p4->{json}{links}{previous} // '') =~ m{^https?://[^/]+(/.*)$};
like($prev // '', qr{^/v1/files\?take=1&from=\Q$ids[5]\E$}, 'its previous: take=1 from the newest');
my $pp = $s->request(GET => $prev // '/v1/files?take=1&from=' . $ids[5]);
is_deeply([ map { $_->{id} } @{ $pp->{json}{data} } ], [ $ids[5] ],
          'following previous: only what is newer, nothing of the page');
is($pp->{json}{links}{previous}, undef, '... the first page');

my $last = $s->request(GET => "/v1/files?take=2&from=$ids[1]");
is_deeply([ map { $_->{id} } @{ $last->{json}{data} } ], [ @ids[1, 0] ], 'last page');
is($last->{json}{links}{next}, undef, 'no next after the last page');

# bad take / from
for my $q ('take=0', 'take=101', 'take=abc', 'take=1.5', 'take=-1', 'take=') {
    my $x = $s->request(GET => "/v1/files?$q");
    is($x->{status}, 422, "?$q is a 422");
    ok(exists(($x->{json}{errors} // {})->{take}), 'keyed take');
}
for my $q ('from=file_0000000000000000', 'from=nonsense') {
    my $x = $s->request(GET => "/v1/files?$q");
    is($x->{status}, 422, "?$q is a 422");
    ok(exists(($x->{json}{errors} // {})->{from}), 'keyed from');
}
my $both = $s->request(GET => '/v1/files?take=0&from=nonsense');
is($both->{status}, 422, 'bad take and from');
ok(exists $both->{json}{errors}{take} && exists $both->{json}{errors}{from}, 'both keyed')
    or diag($both->{body});

# delete
my $del = $s->request(DELETE => "/v1/files/$ids[2]");
is($del->{status}, 204, 'DELETE file: 204');
is($del->{body}, '', 'no body');
is($s->request(GET => "/v1/files/$ids[2]")->{status}, 404, 'gone');
is($s->download($ids[2])->{status}, 404, 'its download is gone');
is($s->request(DELETE => "/v1/files/$ids[2]")->{status}, 404, 'a second DELETE is 404');
# a deleted id still works as a cursor
my $after = $s->request(GET => "/v1/files?take=2&from=$ids[2]");
is($after->{status}, 200, 'a deleted file still works as from');
ok(!grep({ $_->{id} eq $ids[2] } @{ $after->{json}{data} // [] }), 'without listing it');
is_deeply([ map { $_->{id} } @{ $after->{json}{data} // [] } ], [ @ids[1, 0] ],
          'the items older than it');
like($after->{json}{links}{previous} // '', qr/[?&]take=2&from=\Q$ids[4]\E$/,
     'previous of a deleted from: the two newer items');
my $after3 = $s->request(GET => "/v1/files?take=3&from=$ids[2]");
like($after3->{json}{links}{previous} // '', qr/[?&]take=3&from=\Q$ids[5]\E$/,
     'take=3: the three newer items, none of the page');
my $after4 = $s->request(GET => "/v1/files?take=4&from=$ids[2]");
like($after4->{json}{links}{previous} // '', qr/[?&]take=3&from=\Q$ids[5]\E$/,
     'take=4: only three are newer, take=3 from the newest');
# the bytes go after the record, in the io pool: wait for it (bounded)
my $storage = $s->storage;
Test::Scandoc::Server::poll_until(10, sub { `find $storage -name $ids[2]` eq '' });
is(`find $storage -name $ids[2]`, '', 'its bytes are removed');

# events of the files
my @ev = $s->all_events;
my @created = grep { $_->{type} eq 'file.created' } @ev;
is(scalar @created, 6, 'six file.created events');
my ($deleted) = grep { $_->{type} eq 'file.deleted' } @ev;
is_deeply($deleted && $deleted->{data}, { id => $ids[2], name => 'page 2', type => 'image/png' },
          'file.deleted carries id, name, type');

# the same links on events: take=3 from the second newest (the report was
# [b,c,d] with a previous of take=3 from a, i.e. [a,b,c])
{
    my @eids = map { $_->{id} } reverse @ev;             # newest first
    my $e = $s->request(GET => "/v1/events?take=3&from=$eids[1]");
    is_deeply([ map { $_->{id} } @{ $e->{json}{data} // [] } ], [ @eids[1 .. 3] ],
              'events from the second newest');
    my ($prev) = ($e->{json}{links}{previous} // '') =~ m{^https?://[^/]+(/.*)$};
    is($prev, "/v1/events?take=1&from=$eids[0]", 'previous: take=1 from the newest');
    my $pe = $s->request(GET => $prev // "/v1/events?take=1&from=$eids[0]");
    is_deeply([ map { $_->{id} } @{ $pe->{json}{data} // [] } ], [ $eids[0] ],
              '... no item of the page again');
}

done_testing();
