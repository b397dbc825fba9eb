#!/usr/bin/perl
# The scandoc_1 Redis Function library on its own: a private redis-server,
# the library loaded through tools/scandoc-admin, every function called with
# FCALL over a tiny RESP client.  No nginx involved.

use strict;
use warnings;

use Test::More;
use File::Temp qw(tempdir);
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use IO::Socket::INET;
use JSON::PP;
use Digest::SHA qw(sha256_hex);
use Time::HiRes qw(sleep);
use lib 't/lib';
use Test::Scandoc::Server;

my $root = abs_path(dirname(__FILE__) . '/..');
my $admin = "$root/tools/scandoc-admin";

plan skip_all => 'redis-server not installed'
    unless grep { -x "$_/redis-server" } split /:/, $ENV{PATH};

# -- a private Redis

my $dir = tempdir('lua-test-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my ($port, $redis_pid);

# the suite's port picker: locked against the other test files of a
# parallel prove
$port = Test::Scandoc::Server::free_port();
$redis_pid = fork // die "fork: $!";
if ($redis_pid == 0) {
    open STDOUT, '>', "$dir/redis.log";
    open STDERR, '>&', \*STDOUT;
    exec 'redis-server', '--port', $port, '--bind', '127.0.0.1',
         '--dir', $dir, '--appendonly', 'yes', '--save', '',
         '--maxmemory-policy', 'noeviction';
    exit 127;
}

END {
    if ($redis_pid) {
        kill 'TERM', $redis_pid;
        waitpid $redis_pid, 0;
    }
}

my $sock;
for (1 .. 50) {
    $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port);
    last if $sock;
    sleep 0.1;
}
die "redis did not start on port $port\n" unless $sock;

# -- RESP

sub cmd {
    my @a = @_;
    my $req = '*' . @a . "\r\n";
    $req .= '$' . length($_) . "\r\n$_\r\n" for @a;
    print $sock $req;
    return read_reply();
}

sub read_reply {
    my $line = <$sock>;
    die "connection closed\n" unless defined $line;
    $line =~ s/\r\n$//;
    my ($t, $v) = (substr($line, 0, 1), substr($line, 1));
    return $v if $t eq '+' || $t eq ':';
    return { err => $v } if $t eq '-';
    if ($t eq '$') {
        return undef if $v < 0;
        my $buf = '';
        read($sock, $buf, $v + 2) == $v + 2 or die "short read\n";
        return substr($buf, 0, $v);
    }
    if ($t eq '*') {
        return undef if $v < 0;
        return [ map { read_reply() } 1 .. $v ];
    }
    die "bad reply line: $line\n";
}

my $seeds = 0;
sub seed { 'testseed' . $$ . '_' . ++$seeds }

sub fcall {
    my $r = cmd('FCALL', 'sd1_' . shift, 0, @_);
    die "FCALL error: $r->{err}\n" if ref $r eq 'HASH';
    return $r;
}

my $json = JSON::PP->new->utf8->canonical;   # RESP carries bytes
sub dec { $json->decode($_[0]) }

my @alnum = ('a' .. 'z', 0 .. 9);
sub id {            # prefix + 16 of [a-z0-9], the shape of the module's ids
    return $_[0] . '_' . join '', map { $alnum[rand @alnum] } 1 .. 16;
}

# -- admin tool

$ENV{SCANDOC_REDIS} = "127.0.0.1:$port";
delete $ENV{SCANDOC_REDIS_PASSWORD};

sub admin {
    my $out = `$admin @_ 2>&1`;
    chomp $out;
    return ($? >> 8, $out);
}

my ($rc, $out) = admin('--help');
is $rc, 0, 'admin --help';
like $out, qr/tenant create/, 'help text';

($rc, $out) = admin('load');
is $rc, 0, 'library loaded through the admin tool' or diag $out;
($rc, $out) = admin('load');
is $rc, 0, 'loading again: "already exists" is fine' or diag $out;

sub new_tenant {
    my ($name, @opt) = @_;
    my ($rc, $tid) = admin('tenant', 'create', "'$name'", @opt);
    is $rc, 0, "tenant $name created" or diag $tid;
    my ($rc2, $key) = admin('key', 'create', $tid, 'test');
    is $rc2, 0, 'key created' or diag $key;
    like $key, qr/^sk_[A-Za-z0-9_-]{43}$/, 'key printed alone, 43 base64url';
    return ($tid, sha256_hex($key), $key);
}

my ($t1, $k1, $key1) = new_tenant('one');
my ($t2, $k2) = new_tenant('two', '--retention-days', 3);

($rc, $out) = admin('tenant', 'show', $t1);
like dec($out)->{callback_secret}, qr/^whsec_[A-Za-z0-9+\/]{43}=$/,
    'tenant show has the callback secret';
($rc, $out) = admin('tenant', 'list');
is scalar(@{ dec($out) }), 2, 'tenant list';
ok !exists dec($out)->[0]{callback_secret}, 'list hides secrets';
($rc, $out) = admin('tenant', 'show', 'tenant_nothere');
isnt $rc, 0, 'unknown tenant: non-zero exit';

# SCANDOC_REDIS_DB: the database of scandoc_redis ... db=N
like $out = (admin('--help'))[1], qr/SCANDOC_REDIS_DB/, 'help: SCANDOC_REDIS_DB';
{
    local $ENV{SCANDOC_REDIS_DB} = 2;
    my ($tid3, $kh3) = new_tenant('in db 2');
    is cmd('EXISTS', "sd1:tenant:$tid3"), 0, 'not in db 0';
    is cmd('SELECT', 2), 'OK', 'SELECT 2';
    is cmd('EXISTS', "sd1:tenant:$tid3"), 1, 'the tenant is in db 2';
    is_deeply fcall('auth', $kh3), [200, $tid3, $tid3], 'its key works there';
    is cmd('SELECT', 0), 'OK', 'back to db 0';
    is fcall('auth', $kh3)->[0], 401, '... and not in db 0';
    ($rc, $out) = admin('tenant', 'list');
    is_deeply [ map { $_->{id} } @{ dec($out) } ], [$tid3],
        'tenant list reads db 2';
    for my $bad ('x', '-1', '01', '1 2') {
        local $ENV{SCANDOC_REDIS_DB} = $bad;
        ($rc, $out) = admin('tenant', 'list');
        isnt $rc, 0, "SCANDOC_REDIS_DB=$bad: refused";
        like $out, qr/SCANDOC_REDIS_DB/, '... saying why';
    }
    local $ENV{SCANDOC_REDIS_DB} = 999;
    ($rc, $out) = admin('tenant', 'list');
    isnt $rc, 0, 'a database Redis does not have: refused';
    like $out, qr/db 999/, '... naming it';
}

# -- auth

is_deeply fcall('auth', $k1), [200, $t1, $t1], 'auth resolves the tenant';
is fcall('auth', 'f' x 64)->[0], 401, 'unknown key: 401';
is fcall('auth', '')->[0], 401, 'empty key: 401';
{
    my ($tx, $kx, $keyx) = new_tenant('revoked');
    ($rc, $out) = admin('key', 'revoke', $keyx);
    is $rc, 0, 'revoke by key' or diag $out;
    is fcall('auth', $kx)->[0], 401, 'revoked key: 401 at once';
    ($rc, $out) = admin('key', 'list', $tx);
    ok dec($out)->[0]{revoked_at}, 'key list shows the revocation';
    is fcall('list', $kx, 'files', 20, '', 'http://x/v1')->[0], 401,
        'revoked key: every function says 401';
}

# -- files

my $base = 'https://api.test/v1';

sub upload {
    my ($kh, $name, $type, $props) = @_;
    my $fid = id('file');
    my $tenant = fcall('auth', $kh)->[1];
    my $path = "$tenant/" . substr($fid, 5, 2) . "/$fid";
    my $r = fcall('upload_file', $kh, $fid, $name, $type, $props, $path,
                  seed());
    is $r->[0], 201, "upload $name" or diag explain $r;
    return ($fid, dec($r->[1]));
}

my $png_props = '{"size":1234,"width":100,"height":80}';
my ($f1, $file1) = upload($k1, 'photo', 'image/png', $png_props);
is $file1->{id}, $f1, 'File id';
is $file1->{task_id}, undef, 'task_id null';
like $file1->{created_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
    'ISO time with milliseconds';
ok $file1->{expires_at} gt $file1->{created_at}, 'expires_at';
is_deeply $file1->{properties}, dec($png_props), 'properties verbatim';

my $g = fcall('get_file', $k1, $f1);
is $g->[0], 200, 'get_file';
is_deeply [ @$g[2 .. 5] ],
    [ "$t1/" . substr($f1, 5, 2) . "/$f1", 'image/png', 'photo', 1234 ],
    'get_file: path, type, name, size';
is_deeply fcall('get_file', $k2, $f1), [404, "File with id $f1 not found."],
    "another tenant's file is a 404";
is_deeply fcall('get_file', $k1, 'file_0000000000000000'),
    [404, 'File with id file_0000000000000000 not found.'], 'missing: 404';

($rc, $out) = admin('tenant', 'show', $t1);
is dec($out)->{files}, 1, 'files counter';
is dec($out)->{bytes}, 1234, 'bytes counter';

# pagination: six files for tenant 1, newest first
my @f = ($f1);
for my $i (2 .. 6) {
    push @f, (upload($k1, "f$i", 'image/png', $png_props))[0];
}

sub page {
    my ($kh, $what, $take, $from) = @_;
    my $r = fcall('list', $kh, $what, $take, $from // '', $base);
    return $r->[0] == 200 ? dec($r->[1]) : $r;
}

my $p = page($k1, 'files', 2);
is_deeply [ map { $_->{id} } @{ $p->{data} } ], [ @f[5, 4] ], 'first page';
is $p->{links}{previous}, undef, 'no previous on the first page';
is $p->{links}{next}, "$base/files?take=2&from=$f[3]", 'next link';
$p = page($k1, 'files', 2, $f[3]);
is_deeply [ map { $_->{id} } @{ $p->{data} } ], [ @f[3, 2] ], 'second page';
is $p->{links}{previous}, "$base/files?take=2&from=$f[5]", 'previous link';

# previous never overlaps the page: fewer than take newer items -> from the
# newest, take = how many there are
sub ids_of { [ map { $_->{id} } @{ $_[0]{data} } ] }
sub follow {            # the page a link points to
    my ($kh, $url) = @_;
    my ($what, $take, $from) = $url =~ m{/(\w+)\?take=(\d+)&from=(\w+)$}
        or return undef;
    return page($kh, $what, $take, $from);
}
$p = page($k1, 'files', 3, $f[4]);
is_deeply ids_of($p), [ @f[4, 3, 2] ], 'from the second item, take 3';
is $p->{links}{previous}, "$base/files?take=1&from=$f[5]",
    'previous: only the one newer item';
my $prev = follow($k1, $p->{links}{previous});
is_deeply ids_of($prev), [ $f[5] ], '... which is all it lists';
is $prev->{links}{previous}, undef, '... and it is the first page';
is $prev->{links}{next}, "$base/files?take=1&from=$f[4]",
    '... whose next is our page';
$p = page($k1, 'files', 3, $f[5]);
is $p->{links}{previous}, undef, 'from the newest: no previous';
$p = page($k1, 'files', 4, $f[2]);
is $p->{links}{previous}, "$base/files?take=3&from=$f[5]",
    'three newer items, take 4: take=3 from the newest';
$p = page($k1, 'files', 1, $f[2]);
is $p->{links}{previous}, "$base/files?take=1&from=$f[3]",
    'take 1: the item just newer';
# walking back from the oldest page with any take visits every item once
for my $take (1 .. 7) {
    my $pg = page($k1, 'files', $take, $f[0]);
    my @seen = @{ ids_of($pg) };
    my $n = 0;
    while (my $url = $pg->{links}{previous}) {
        last if ++$n > 10;
        $pg = follow($k1, $url);
        unshift @seen, @{ ids_of($pg) };
    }
    is_deeply \@seen, [ reverse @f ], "take $take: previous links, no overlap";
}

is fcall('delete_file', $k1, $f[3], seed())->[0], 204, 'delete while listing';
$p = page($k1, 'files', 2, $f[3]);
is_deeply [ map { $_->{id} } @{ $p->{data} } ], [ @f[2, 1] ],
    'from a deleted item keeps working';
is $p->{links}{previous}, "$base/files?take=2&from=$f[5]",
    '... its previous: the two newer items';
$p = page($k1, 'files', 3, $f[3]);
is_deeply ids_of($p), [ @f[2, 1, 0] ], 'from a deleted item, take 3';
is $p->{links}{previous}, "$base/files?take=2&from=$f[5]",
    '... previous takes the two newer items only';
$p = page($k1, 'files', 3, $f[1]);
is_deeply [ map { $_->{id} } @{ $p->{data} } ], [ @f[1, 0] ], 'last page';
is $p->{links}{next}, undef, 'no next at the end';
is $p->{links}{previous}, "$base/files?take=3&from=$f[5]",
    'previous starts take items newer (or the newest)';

my $bad = fcall('list', $k1, 'files', 2, 'file_zzzzzzzzzzzzzzzz', $base);
is $bad->[0], 422, 'unknown from: 422';
ok dec($bad->[1])->{from}, '... on from';
is fcall('list', $k2, 'files', 2, $f[1], $base)->[0], 422,
    "another tenant's from: 422";
is fcall('list', $k1, 'files', 0, '', $base)->[0], 422, 'take 0: 422';
is_deeply page($k2, 'files', 20)->{data}, [], 'tenant two sees no files';

# -- create_task: order of checks

my $img_reqs = '{"types":["image/png","image/jpeg","image/webp"],'
             . '"max_page":0,"max_x":-1,"max_y":-1,"multi":false}';
my $merge_reqs = '{"types":["application/pdf","image/png","image/jpeg",'
               . '"image/webp"],"max_page":0,"max_x":-1,"max_y":-1,'
               . '"multi":true}';

sub create {
    my ($kh, $op, $inputs, %o) = @_;
    my $tid = id('task');
    my $in = $o{multi} ? $inputs : $inputs->[0];
    my $params = $o{params}
        // '{"input":' . encode_json($in) . ',"target_format":"image/png"}';
    my $r = fcall('create_task', $kh, $tid, $op, $params, $o{callback} // '',
                  encode_json($inputs), $o{reqs} // $img_reqs,
                  $o{limit} // 16, seed());
    return ($tid, $r);
}

my ($pdf) = upload($k1, 'doc', 'application/pdf', '{"size":99,"page_count":3}');
my ($enc) = upload($k1, 'locked', 'application/pdf',
                   '{"size":99,"page_count":null,"encrypted":true}');

my ($tid, $r) = create($k1, 'convert', ['file_nothere000000001']);
is_deeply $r, [404, 'File with id file_nothere000000001 not found.'],
    'missing input: 404';
($tid, $r) = create($k2, 'convert', [$f1]);
is_deeply $r, [404, "File with id $f1 not found."],
    "another tenant's input: 404";
($tid, $r) = create($k1, 'merge',
    [$f1, 'task_nothere000000001', 'file_nothere000000002'],
    multi => 1, reqs => $merge_reqs);
is_deeply $r, [404, 'Task with id task_nothere000000001 not found.'],
    'merge: the first missing item';
($tid, $r) = create($k1, 'merge', [$pdf, 'file_nothere000000002'],
    multi => 1, reqs => $img_reqs);
is $r->[0], 404, '404 comes before 422';

($tid, $r) = create($k1, 'convert', [$pdf]);
is $r->[0], 422, 'wrong input type: 422';
is_deeply [ keys %{ dec($r->[1]) } ], ['input'], '... on input';
(my $img_merge_reqs = $img_reqs) =~ s/"multi":false/"multi":true/;
($tid, $r) = create($k1, 'merge', [$f1, $pdf, $f[2]], multi => 1,
                    reqs => $img_merge_reqs);
is_deeply [ keys %{ dec($r->[1]) } ], ['input[1]'], 'merge: on input[1]';

my $pages_reqs = '{"types":["application/pdf"],"max_page":5,"max_x":-1,'
               . '"max_y":-1,"multi":false}';
($tid, $r) = create($k1, 'extract-pages', [$pdf], reqs => $pages_reqs,
                    params => '{"input":"' . $pdf . '","pages":"1,5"}');
is $r->[0], 422, 'pages beyond page_count: 422';
is_deeply [ keys %{ dec($r->[1]) } ], ['pages'], '... on pages';
($tid, $r) = create($k1, 'extract-pages', [$enc], reqs => $pages_reqs,
                    params => '{"input":"' . $enc . '","pages":"1,5"}');
is $r->[0], 202, 'encrypted PDF without page_count: checked when it runs';
my $warp_reqs = '{"types":["image/png"],"max_page":0,"max_x":100,'
              . '"max_y":10,"multi":false}';
($tid, $r) = create($k1, 'warp', [$f1], reqs => $warp_reqs);
is_deeply [ keys %{ dec($r->[1]) } ], ['vertices'], 'vertices outside: 422';

# -- worker: claim, heartbeat, finish, fencing

my %W = (lease => 60000, timeout => 300000, max => 3);

sub claim {
    my ($consumer, $n, %o) = @_;
    my $r = fcall('claim', $consumer, $n, $o{lease} // $W{lease},
                  $o{timeout} // $W{timeout}, $o{max} // $W{max}, seed());
    my $count = shift @$r;
    is $count, scalar(@$r), 'claim: count matches';
    return map { dec($_) } @$r;
}

sub drain {           # claims and finishes everything queued (clean slate)
    while (my @jobs = claim('drainer', 50, lease => 0)) {
        for my $j (@jobs) {
            fcall('finish', 'drainer', $j->{task_id}, $j->{attempt}, '{}',
                  '[]', seed());
        }
    }
}
drain();      # the encrypted extract-pages above

sub task { dec(fcall('get_task', $_[0], $_[1])->[1]) }

($tid, $r) = create($k1, 'convert', [$f1], params =>
    '{"input":"' . $f1 . '","target_format":"image/png","name":"out"}',
    callback => 'https://hook.test/x');
is $r->[0], 202, 'create_task: 202';
my $task = dec($r->[1]);
is $task->{status}, 'pending', 'pending';
is $r->[1] =~ /"result":\{\}/ ? 1 : 0, 1, 'result {}';
is $task->{callback_url}, 'https://hook.test/x', 'callback_url stored';
is_deeply fcall('get_task', $k2, $tid), [404, "Task with id $tid not found."],
    "another tenant's task: 404";
{
    my $again = fcall('create_task', $k1, $tid, 'convert', '{"input":"' . $f1
        . '","target_format":"image/png","name":"out"}',
        'https://hook.test/x', encode_json([$f1]), $img_reqs, 16, seed());
    is_deeply $again, $r, 'create_task repeated (lost reply): same answer';
    my ($fid, $file) = upload($k1, 'twice', 'image/png', $png_props);
    my $path = "$t1/" . substr($fid, 5, 2) . "/$fid";
    my $up = fcall('upload_file', $k1, $fid, 'twice', 'image/png',
                   $png_props, $path, seed());
    is_deeply dec($up->[1]), $file, 'upload_file repeated: same File';
    fcall('delete_file', $k1, $fid, seed());
}

my @jobs = claim('hostA:1:1', 4);
is scalar(@jobs), 1, 'one job claimed';
my $job = $jobs[0];
is $job->{task_id}, $tid, 'the job is our task';
is $job->{attempt}, 1, 'attempt 1';
is $job->{inputs}[0]{path}, "$t1/" . substr($f1, 5, 2) . "/$f1",
    'job input path';
is $job->{inputs}[0]{name}, 'photo', 'job input name';
ok $job->{timeout_ms} > 0 && $job->{timeout_ms} <= 300000, 'timeout_ms';
is task($k1, $tid)->{status}, 'processing', 'processing once started';

is_deeply fcall('heartbeat', 'hostA:1:1', 60000,
                '{"' . $tid . '":{"done":1,"total":4}}', $tid, 1), [0],
    'heartbeat: nothing lost';
is_deeply task($k1, $tid)->{progress}, { done => 1, total => 4 },
    'progress stored';
is_deeply fcall('heartbeat', 'hostB:1:1', 60000, '{}', $tid, 1), [1, $tid],
    'heartbeat by a non-owner: lost';

my $out_id = id('file');
my $outputs = encode_json([{ id => $out_id, path => "$t1/xx/$out_id",
    type => 'image/png', properties => { size => 10, width => 2,
    height => 3 }, suffix => undef }]);
is_deeply fcall('finish', 'hostA:1:1', $tid, 2, '{}', $outputs, seed()),
    [409], 'stale attempt: 409';
is_deeply fcall('finish', 'hostB:1:1', $tid, 1, '{}', $outputs, seed()),
    [409], 'wrong owner: 409';
is fcall('get_file', $k1, $out_id)->[0], 404, 'stale finish wrote nothing';
is_deeply fcall('finish', 'hostA:1:1', $tid, 1, '{}', $outputs, seed()),
    [200], 'finish';
$task = task($k1, $tid);
is $task->{status}, 'completed', 'completed';
is $task->{result}{generated_files}[0]{id}, $out_id, 'generated_files';
is $task->{result}{generated_files}[0]{name}, 'out', 'named after the task';
is $task->{result}{generated_files}[0]{task_id}, $tid, 'task_id set';
ok !exists $task->{progress}, 'no progress once finished';
is_deeply fcall('finish', 'hostA:1:1', $tid, 1, '{}', $outputs, seed()),
    [200], 'the same report again (reply lost): already done, 200';
is scalar(@{ page($k1, 'files', 100)->{data} }), 8, '... nothing added';
is_deeply fcall('finish', 'hostB:1:1', $tid, 1, '{}', $outputs, seed()),
    [409], 'a finished task never changes again';
is_deeply fcall('heartbeat', 'hostA:1:1', 60000, '{}', $tid, 1), [1, $tid],
    'heartbeat after finish: lost';
is cmd('XLEN', 'sd1:queue'), 0, 'entry left by XACK + XDEL';

# several outputs: -<k> suffixes, long names cut on code points
{
    my $long = "\x{e9}" x 49;                       # 49 code points
    my $utf8 = $long;
    utf8::encode($utf8);
    my ($lf) = upload($k1, $utf8, 'application/pdf',
                      '{"size":5,"page_count":12}');
    my ($t, $r) = create($k1, 'split', [$lf], params => '{"input":"'
        . $lf . '"}', reqs => '{"types":["application/pdf"],"max_page":0,'
        . '"max_x":-1,"max_y":-1,"multi":false}');
    my ($j) = claim('hostA:1:1', 1);
    my @o = map { { id => id('file'), path => "x/$_", type => 'application/pdf',
                    properties => { size => 1, page_count => 1 },
                    suffix => $_ } } (2, 12);
    fcall('finish', 'hostA:1:1', $t, $j->{attempt}, '{}', encode_json(\@o),
          seed());
    my @names = map { $_->{name} }
                @{ task($k1, $t)->{result}{generated_files} };
    is_deeply \@names, [ ("\x{e9}" x 48) . '-2', ("\x{e9}" x 47) . '-12' ],
        'suffixes; base shortened to 50 code points';
}

# detect-documents: documents[i].output (0-based) becomes file_id
{
    my ($t) = create($k1, 'detect-documents', [$f1],
                     params => '{"input":"' . $f1 . '"}');
    my ($j) = claim('hostA:1:1', 1);
    my @o = map { { id => id('file'), path => "x/$_", type => 'image/png',
                    properties => { size => 1, width => 5, height => 5 },
                    suffix => $_ } } (1, 2);
    my $res = '{"documents":[{"bounding_box":{"top":1,"left":2,"width":3,'
            . '"height":4},"vertices":[{"x":2,"y":1},{"x":4,"y":1},'
            . '{"x":4,"y":4},{"x":2,"y":4}],"output":1},{"bounding_box":'
            . '{"top":0,"left":0,"width":1,"height":1},"vertices":[{"x":0,'
            . '"y":0},{"x":1,"y":0},{"x":1,"y":1},{"x":0,"y":1}],"output":0}]}';
    fcall('finish', 'hostA:1:1', $t, $j->{attempt}, $res, encode_json(\@o),
          seed());
    my $docs = task($k1, $t)->{result}{documents};
    is_deeply [ map { $_->{file_id} } @$docs ], [ $o[1]{id}, $o[0]{id} ],
        'documents[].file_id';
    is_deeply $docs->[0]{bounding_box}, { top => 1, left => 2, width => 3,
        height => 4 }, 'bounding_box kept';
    is scalar(@{ $docs->[0]{vertices} }), 4, 'vertices kept';
    ok !exists $docs->[0]{output}, 'no output index in the result';
    like fcall('get_task', $k1, $t)->[1],
        qr/\{"bounding_box":\{"top":1,"left":2,"width":3,"height":4\},
           "vertices":\[\{"x":2,"y":1\},.*?\],"file_id":"file_/x,
        "documents keep API.md's key order";

    ($t) = create($k1, 'detect-documents', [$f1],
                  params => '{"input":"' . $f1 . '"}');
    ($j) = claim('hostA:1:1', 1);
    fcall('finish', 'hostA:1:1', $t, $j->{attempt}, '{"documents":[]}', '[]',
          seed());
    like fcall('get_task', $k1, $t)->[1], qr/"result":\{"documents":\[\]\}/,
        'no document: documents []';

    # extract-text: the engine's result spliced verbatim
    ($t) = create($k1, 'extract-text', [$f1],
                  params => '{"input":"' . $f1 . '","format":"json",'
                          . '"schema":{"type":"object","properties":{}}}');
    ($j) = claim('hostA:1:1', 1);
    my $text = '{"format":"json","content":"{\\"items\\":[]}","n":1.50}';
    fcall('finish', 'hostA:1:1', $t, $j->{attempt}, $text, '[]', seed());
    my $raw = fcall('get_task', $k1, $t)->[1];
    ok index($raw, '"result":' . $text) >= 0, 'result verbatim';
    ok index($raw, '"properties":{}') >= 0, 'parameters verbatim ({} kept)';
}

# -- crashes, reclaim, release

($tid) = create($k1, 'convert', [$f1]);
($job) = claim('hostA:1:1', 1);
is_deeply fcall('fail', 'hostA:1:1', $tid, 1, '', 'crash', seed()), [200],
    'crash 1: handed back';
is task($k1, $tid)->{status}, 'processing', 'a retry is invisible';
($job) = claim('hostB:1:1', 1);
is $job->{attempt}, 2, 'attempt increments on every start';
is_deeply fcall('fail', 'hostB:1:1', $tid, 2, '', 'crash', seed()), [200],
    'crash 2: handed back';
($job) = claim('hostA:1:1', 1);
is $job->{attempt}, 3, 'attempt 3';
fcall('fail', 'hostA:1:1', $tid, 3, '', 'crash', seed());
$task = task($k1, $tid);
is $task->{status}, 'failed', 'crash budget spent: failed';
is $task->{result}{details}{code}, 'internal', 'code internal';
is $task->{result}{details}{reason}, 'engine_crashed', 'engine_crashed';

# a worker that dies: its lease runs out and another host reclaims the entry
($tid) = create($k1, 'convert', [$f1]);
($job) = claim('dead:1:1', 1, lease => 50);
sleep 0.2;
@jobs = claim('hostB:1:1', 1, lease => 50);
is scalar(@jobs), 1, 'expired lease reclaimed';
is $jobs[0]{attempt}, 2, 'reclaim: new attempt';
is_deeply fcall('heartbeat', 'dead:1:1', 50, '{}', $tid, 1), [1, $tid],
    'the old owner learns it lost the task';
is_deeply fcall('finish', 'dead:1:1', $tid, 1, '{}', '[]', seed()), [409],
    'the old owner cannot finish';
is cmd('HGET', "sd1:task:$tid", 'crashes'), 1, 'the reclaim counted a crash';

# a hand-back at shutdown costs nothing
is_deeply fcall('release', 'hostB:1:1', $tid, 2), [200], 'release';
($job) = claim('hostA:1:1', 1, lease => 50);
is $job->{task_id}, $tid, 'released entry claimed at once';
is $job->{attempt}, 3, 'attempt 3';
is cmd('HGET', "sd1:task:$tid", 'crashes'), 1, 'release cost no crash';
is_deeply fcall('fail', 'hostA:1:1', $tid, 3,
    '{"error":"The file is corrupt.","details":{"code":"corrupt_input"}}',
    'final', seed()), [200], 'final failure';
$task = task($k1, $tid);
is $task->{result}{details}{code}, 'corrupt_input', 'engine error verbatim';

# deadline
($tid) = create($k1, 'convert', [$f1]);
($job) = claim('hostA:1:1', 1, lease => 50, timeout => 100);
sleep 0.2;
is scalar(claim('hostB:1:1', 1, lease => 50, timeout => 100)), 0,
    'past its deadline: not handed out again';
is_deeply task($k1, $tid)->{result}{details},
    { code => 'timeout', limit_ms => 100 },
    'failed: timeout, with the limit it was started with';
my $claim_timeout = task($k1, $tid)->{result};

# an input file deleted between creation and start
{
    my ($gone) = upload($k1, 'gone', 'image/png', $png_props);
    my ($t) = create($k1, 'convert', [$gone]);
    fcall('delete_file', $k1, $gone, seed());
    is scalar(claim('hostA:1:1', 1)), 0, 'nothing to run';
    my $res = task($k1, $t)->{result};
    is $res->{details}{code}, 'input_not_found', 'input_not_found';
    is $res->{details}{input}, $gone, '... naming the file';
}

# an entry deleted behind the library's back is given a new one
{
    my ($t) = create($k1, 'convert', [$f1]);
    my ($j) = claim('hostA:1:1', 1, lease => 50);
    my $entry = cmd('HGET', "sd1:task:$t", 'entry');
    is cmd('XDEL', 'sd1:queue', $entry), 1, 'XDEL by someone else';
    sleep 0.2;
    ($j) = claim('hostB:1:1', 1, lease => 50);
    is $j->{task_id}, $t, 'reported deleted by XAUTOCLAIM: a new entry';
    isnt cmd('HGET', "sd1:task:$t", 'entry'), $entry, '... is claimed';
    is_deeply fcall('heartbeat', 'hostA:1:1', 50, '{}', $t, 1), [1, $t],
        'its old runner loses it';
    is cmd('HGET', "sd1:task:$t", 'crashes'), 0, '... without a crash';
    fcall('finish', 'hostB:1:1', $t, $j->{attempt}, '{}', '[]', seed());
    is cmd('HLEN', 'sd1:entries'), 0, 'no entry left behind';
}

# fail without an error body: the library words it
for my $kind (qw(timeout final)) {
    my ($t) = create($k1, 'convert', [$f1]);
    my ($j) = claim('hostA:1:1', 1);
    is_deeply fcall('fail', 'hostA:1:1', $t, $j->{attempt}, '', $kind,
                    seed()), [200], "fail $kind";
    is task($k1, $t)->{result}{details}{code},
        $kind eq 'timeout' ? 'timeout' : 'internal', "... code";
    next unless $kind eq 'timeout';
    is_deeply task($k1, $t)->{result}{details},
        { code => 'timeout', limit_ms => $W{timeout} },
        '... the same details as a deadline found at claim: limit_ms';
    is task($k1, $t)->{result}{error}, $claim_timeout->{error},
        '... and the same sentence';
}

# -- retire: a worker leaving for good forgets its consumer name

sub consumers {
    my $r = cmd('XINFO', 'CONSUMERS', 'sd1:queue', 'sd1');
    return ref $r eq 'ARRAY' ? map { { @$_ }->{name} } @$r : ();
}
sub group_creations {
    my ($n) = cmd('INFO', 'commandstats') =~ /cmdstat_xgroup\|create:calls=(\d+)/;
    return $n // 0;
}
{
    drain();
    my $made = group_creations();
    claim('idle:1:1', 5) for 1 .. 3;
    my ($t) = create($k1, 'convert', [$f1]);
    my ($j) = claim('retiree:1:1', 1);
    is $j->{task_id}, $t, 'claimed by the retiree';
    is group_creations(), $made, 'claims and enqueues create no group';
    ok((grep { $_ eq 'retiree:1:1' } consumers()), 'the consumer exists');
    is_deeply fcall('retire', 'retiree:1:1'), [409],
        'retire with a task running: 409';
    ok((grep { $_ eq 'retiree:1:1' } consumers()), '... it stays');
    is_deeply fcall('release', 'retiree:1:1', $t, $j->{attempt}), [200],
        'its task handed back';
    is_deeply fcall('retire', 'retiree:1:1'), [200],
        'retire after handing back: 200';
    ok !(grep { $_ eq 'retiree:1:1' } consumers()), '... the name is gone';
    is_deeply fcall('retire', 'retiree:1:1'), [200], 'again: 200';
    ($j) = claim('hostA:1:1', 1, lease => 50);
    is $j->{task_id}, $t, 'the handed-back task is claimed at once';
    is_deeply fcall('fail', 'hostA:1:1', $t, $j->{attempt}, '', 'crash',
                    seed()), [200], 'a crash hands it back';
    is_deeply fcall('retire', 'hostA:1:1'), [200],
        '... and leaves nothing pending on the crashed consumer';
    ($j) = claim('hostB:1:1', 1, lease => 50);
    is $j->{task_id}, $t, '... the next claim takes it';
    fcall('finish', 'hostB:1:1', $t, $j->{attempt}, '{}', '[]', seed());
    is_deeply fcall('retire', 'idle:1:1'), [200], 'an idle poller retires';

    # a flushed (or deleted) stream: the group comes back when needed
    cmd('DEL', 'sd1:queue', 'sd1:entries', 'sd1:reclaim');
    is_deeply fcall('retire', 'hostB:1:1'), [200], 'retire without a group';
    ($t) = create($k1, 'convert', [$f1]);
    ($j) = claim('hostA:1:1', 1);
    is $j && $j->{task_id}, $t,
        'a task enqueued with no group is claimed once it is made';
    is group_creations(), $made + 1, '... made once';
    fcall('finish', 'hostA:1:1', $t, $j->{attempt}, '{}', '[]', seed());
    claim('hostA:1:1', 1);
    is group_creations(), $made + 1, '... and not again';
}

# -- task inputs: waiting children

my $task_merge_reqs = $merge_reqs;
my ($parent) = create($k1, 'convert', [$f1]);
my ($child, $cr) = create($k1, 'merge', [$parent, $pdf], multi => 1,
                          reqs => $task_merge_reqs,
                          params => '{"input":["' . $parent . '","'
                                    . $pdf . '"]}');
is $cr->[0], 202, 'child of a pending task accepted';
($job) = claim('hostA:1:1', 5);
is $job->{task_id}, $parent, 'only the parent is queued';
is scalar(claim('hostB:1:1', 5)), 0, 'the child waits';
my $pout = id('file');
fcall('finish', 'hostA:1:1', $parent, 1, '{}', encode_json([{ id => $pout,
    path => "p/$pout", type => 'image/png', properties => { size => 3,
    width => 1, height => 1 }, suffix => undef }]), seed());
($job) = claim('hostB:1:1', 5);
is $job->{task_id}, $child, 'the child is promoted when its parent finishes';
is_deeply [ map { $_->{id} } @{ $job->{inputs} } ], [ $pout, $pdf ],
    "the parent's output replaces it";
fcall('finish', 'hostB:1:1', $child, 1, '{}', '[]', seed());

# a completed task input used directly; several files for a non-merge: 422
{
    my ($ok_t, $r) = create($k1, 'convert', [$parent]);
    is $r->[0], 202, 'a completed one-file task as input';
    drain();

    # a split that produced two files
    my ($two) = create($k1, 'split', [$pdf], params => '{"input":"'
        . $pdf . '"}', reqs => '{"types":["application/pdf"],"max_page":0,'
        . '"max_x":-1,"max_y":-1,"multi":false}');
    # a waiting convert and a waiting merge naming it twice
    my ($wc) = create($k1, 'convert', [$two]);
    my ($wm, $wr) = create($k1, 'merge', [$two, $two], multi => 1,
                           reqs => $merge_reqs);
    is $wr->[0], 202, 'merge naming a pending task twice';
    my ($j) = claim('hostA:1:1', 5);
    is $j->{task_id}, $two, 'the split runs';
    my @o = map { { id => id('file'), path => "x/$_", type => 'image/png',
                    properties => { size => 1, width => 1, height => 1 },
                    suffix => $_ } } (1, 2);
    fcall('finish', 'hostA:1:1', $two, 1, '{}', encode_json(\@o), seed());
    my $wct = task($k1, $wc);
    is $wct->{status}, 'failed', 'several files for a waiting convert: failed';
    is $wct->{result}{details}{code}, 'input_failed', '... input_failed';
    is $wct->{result}{details}{input}, $two, '... naming the input';
    ($j) = claim('hostA:1:1', 5);
    is $j->{task_id}, $wm, 'the merge goes on';
    is scalar(@{ $j->{inputs} }), 4, '... with both files, twice';
    fcall('finish', 'hostA:1:1', $wm, 1, '{}', '[]', seed());
    ($ok_t, $r) = create($k1, 'convert', [$two]);
    is $r->[0], 422, 'several files for a convert: 422';
    ok dec($r->[1])->{input}, '... on input';
}

($parent) = create($k1, 'convert', [$f1]);
($child, $cr) = create($k1, 'convert', [$parent]);
($job) = claim('hostA:1:1', 5);
fcall('fail', 'hostA:1:1', $parent, 1,
      '{"error":"Corrupt.","details":{"code":"corrupt_input"}}', 'final',
      seed());
$task = task($k1, $child);
is $task->{status}, 'failed', "a failed parent fails its child";
is $task->{result}{details}{code}, 'input_failed', 'input_failed';
($tid, $r) = create($k1, 'convert', [$parent]);
is $r->[0], 422, 'a failed task as input: 422';

# chains are at most 8 deep
{
    my @chain = (create($k1, 'convert', [$f1]))[0];
    for (2 .. 8) {
        my ($t, $r) = create($k1, 'convert', [ $chain[-1] ]);
        push @chain, $t if $r->[0] == 202;
    }
    is scalar(@chain), 8, 'eight tasks chained';
    my ($t9, $r9) = create($k1, 'convert', [ $chain[-1] ]);
    is $r9->[0], 422, 'a ninth link: 422';
    is fcall('delete_task', $k1, $chain[0], seed())->[0], 204,
        'cancel the head';
    is task($k1, $chain[-1])->{result}{details}{code}, 'input_failed',
        'the whole chain fails with input_failed';
    drain();
}

# -- backlog beyond the active limit

my ($b1) = create($k1, 'convert', [$f1], limit => 1);
my ($b2) = create($k1, 'convert', [$f1], limit => 1);
@jobs = claim('hostA:1:1', 5);
is_deeply [ map { $_->{task_id} } @jobs ], [$b1], 'limit 1: one in the queue';
fcall('finish', 'hostA:1:1', $b1, 1, '{}', '[]', seed());
@jobs = claim('hostA:1:1', 5);
is_deeply [ map { $_->{task_id} } @jobs ], [$b2], 'backlog promoted by finish';
fcall('finish', 'hostA:1:1', $b2, 1, '{}', '[]', seed());

# -- cancel via delete_task

($tid) = create($k1, 'convert', [$f1], limit => 16);
($child) = create($k1, 'convert', [$tid]);
($job) = claim('hostA:1:1', 5);
is $job->{task_id}, $tid, 'running';
is_deeply fcall('delete_task', $k1, $tid, seed()), [204, ''], 'delete_task';
is_deeply fcall('get_task', $k1, $tid), [404, "Task with id $tid not found."],
    'gone';
is_deeply fcall('heartbeat', 'hostA:1:1', 60000, '{}', $tid, 1), [1, $tid],
    'the running attempt learns at its next heartbeat';
is_deeply fcall('finish', 'hostA:1:1', $tid, 1, '{}', '[]', seed()), [409],
    'and cannot finish';
is task($k1, $child)->{result}{details}{code}, 'input_failed',
    'its waiter failed';
($r) = (create($k1, 'convert', [$tid]))[1];
is $r->[0], 422, 'a deleted task as input: 422 (not 404)';
is fcall('delete_task', $k2, $child, seed())->[0], 404,
    "another tenant cannot delete";

# -- events

my $ev = page($k1, 'events', 4);
my @types = map { $_->{type} } @{ $ev->{data} };
is_deeply \@types, ['task.deleted', 'task.failed', 'task.failed',
                    'task.created'],
    'newest events: cancel (task.failed), its waiter, then task.deleted';
my ($cancel) = grep { $_->{type} eq 'task.failed'
                      && $_->{data}{id} eq $tid } @{ $ev->{data} };
is $cancel->{data}{result}{details}{code}, 'cancelled', 'code cancelled';
like $ev->{data}[0]{id}, qr/^event_[a-z0-9]{16}$/, 'event id shape';
my %seen;
my $all = page($k1, 'events', 100);
$seen{ $_->{type} }++ for @{ $all->{data} };
for my $t (qw(file.created file.deleted task.created task.completed
              task.failed task.deleted)) {
    ok $seen{$t}, "event $t emitted";
}
my ($fc) = grep { $_->{type} eq 'file.created' } @{ $all->{data} };
ok !exists $fc->{data}{created_at}, 'file.created: the File without created_at';
is_deeply page($k2, 'events', 100)->{data}, [], 'events are per tenant';
my ($tc) = grep { $_->{type} eq 'task.completed' } @{ $all->{data} };
is_deeply [ sort keys %{ $tc->{data} } ], [qw(id operation result)],
    'task.completed: id, operation, result';
my ($fd) = grep { $_->{type} eq 'file.deleted' } @{ $all->{data} };
is_deeply [ sort keys %{ $fd->{data} } ], [qw(id name type)],
    'file.deleted: id, name, type';

# groundwork: expiry index, tombstones with a TTL
my $exp = cmd('ZRANGE', "sd1:expiry:$t1", 0, -1);
ok scalar(grep { /^file_/ } @$exp) && scalar(grep { /^task_/ } @$exp)
   && scalar(grep { /^event_/ } @$exp),
   'files, tasks, events in the expiry index';
my $ttl = cmd('TTL', "sd1:tomb:$f[3]");
ok $ttl > 6 * 86400 && $ttl <= 7 * 86400, 'tombstones last 7 days';

my $t1count = scalar @{ page($k1, 'tasks', 100)->{data} };
ok $t1count > 10, 'tasks list';

done_testing();
