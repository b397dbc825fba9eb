# tools/run (make run) is scriptable: SCANDOC_PORT and SCANDOC_DATA from the
# environment, the development key printed and written to
# $SCANDOC_DATA/api-key, serving conf.example until interrupted, and its
# nginx and Redis stopped on exit.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;

my $root = $Test::Scandoc::Server::ROOT;
my $dir = "$root/t/servroot-150-make-run";
system('rm', '-rf', $dir);
mkdir $dir or die "$dir: $!";
my $port = Test::Scandoc::Server::free_port();

local $ENV{SCANDOC_PORT} = $port;
local $ENV{SCANDOC_DATA} = "$dir/data";
local $ENV{BUILD} = $Test::Scandoc::Server::BUILD;
# --no-build: the suite tests the build it was given (tools/test built it)
my $pid = Test::Scandoc::Server::spawn("$dir/run.log", "$root/tools/run", '--no-build');

# tools/run runs in its own session: stop it (and so its servers) whatever
# happens to this script
END {
    if ($pid && kill 0, $pid) {
        kill 'TERM', $pid;
        Test::Scandoc::Server::reap($pid, 60);
    }
}

# waits for the servers, bounded
my $up = Test::Scandoc::Server::poll_until(120, sub {
    -s "$dir/data/api-key" && (Test::Scandoc::Server::slurp("$dir/run.log") // '') =~ /serving/
});
ok($up, 'tools/run comes up') or diag(Test::Scandoc::Server::slurp("$dir/run.log"));
chomp(my $key = Test::Scandoc::Server::slurp("$dir/data/api-key") // '');
like($key, qr/^\S{32,}$/, 'the key is in $SCANDOC_DATA/api-key');
like(Test::Scandoc::Server::slurp("$dir/run.log") // '', qr/\Q$key\E/, 'and printed');

# its servers, to check they stop
my @kids = Test::Scandoc::Server::children_of($pid);
my ($nginx) = grep { Test::Scandoc::Server::cmdline($_) =~ /nginx: master/ } @kids;
my ($redis) = grep { Test::Scandoc::Server::cmdline($_) =~ /redis-server/ } @kids;
ok($nginx, 'an nginx master runs under tools/run');
ok($redis, 'a redis-server runs under tools/run');
chomp(my @port = `redis-cli -s $dir/data/redis/redis.sock CONFIG GET port`);
is($port[1], 0, 'Redis listens on no TCP port (unix socket only)');
chomp(my @aof = `redis-cli -s $dir/data/redis/redis.sock CONFIG GET appendonly`);
is($aof[1], 'yes', 'with the append-only file');

# talk to it like a client would: the server is plain HTTP on $port
my $client = Test::Scandoc::Server->client(port => $port, key => $key);
my $r = $client->upload(Test::Scandoc::Server::corpus('tessjs_simple.png'), 'dev');
is($r->{status}, 201, 'an upload with the development key');
my $t = $client->create_task_id(image => convert =>
    { input => $r->{json}{id} // 'file_none', target_format => 'image/webp', quality => 50 });
is($client->wait_task($t)->{status}, 'completed', 'a convert completes');
is($client->request(GET => '/v1/files', key => 'none')->{status}, 401, 'no key: 401');

# conf.example's problem wiring is in effect
my $long = $client->request(GET => '/v1/files?x=' . ('a' x 20000));
like(Test::Scandoc::Server::header($long, 'content-type') // '', qr{problem\+json},
     'a 414 is problem JSON');

# stop it as a service manager would (the script gets the signal)
kill 'TERM', $pid;
ok(Test::Scandoc::Server::reap($pid, 60), 'tools/run exits on SIGTERM');
ok(!kill(0, $_), "its child $_ is gone") for grep { $_ } $nginx, $redis;

# a second start reuses the data and the key
$pid = Test::Scandoc::Server::spawn("$dir/run2.log", "$root/tools/run", '--no-build');
Test::Scandoc::Server::poll_until(120, sub {
    (Test::Scandoc::Server::slurp("$dir/run2.log") // '') =~ /serving/
});
is($client->request(GET => '/v1/files')->{json}{data}[-1]{name}, 'dev',
   'the data of the first run is still there');
kill 'INT', $pid;
ok(Test::Scandoc::Server::reap($pid, 60), 'tools/run exits on SIGINT');

done_testing();
