# Keys made with tools/scandoc-admin work at once, and a revoked key stops
# working at once on every worker, without a reload.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;

my $s = Test::Scandoc::Server->new;
$s->start_nginx;

my $key = $s->admin('key', 'create', $s->tenant('main'), 'short-lived');
like($key, qr/^\S{32,}$/, 'a long random key, printed once');
isnt($key, $s->key('main'), 'a new key');

# several requests, so both workers (likely) see the key
is($s->request(GET => '/v1/files', key => $key)->{status}, 200, "new key works: $_") for 1 .. 4;

$s->admin('key', 'revoke', $key);
for (1 .. 4) {
    my $r = $s->request(GET => '/v1/files', key => $key);
    is($r->{status}, 401, "revoked key refused at once: $_");
}
is($s->request(GET => '/v1/files')->{status}, 200, "the tenant's other key still works");

# keys are stored only as SHA-256: the key itself is nowhere in Redis
my $dump = $s->redis_cli('--scan');
my $found = 0;
for my $k (split /\n/, $dump) {
    my $type = $s->redis_cli('TYPE', $k);
    my $v = $type eq 'hash' ? $s->redis_cli('HGETALL', $k)
          : $type eq 'string' ? $s->redis_cli('GET', $k) : '';
    $found++ if index($k, $key) >= 0 || index($v // '', $key) >= 0;
}
is($found, 0, 'the key is not stored in clear');

done_testing();
