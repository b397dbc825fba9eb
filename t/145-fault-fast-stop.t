# A fast stop (SIGTERM to the master) with tasks running: each worker kills
# its helpers and hands the running tasks back on its way out, so they are
# not counted as engine crashes and the next nginx runs them at once,
# without waiting for their leases.  White-box: the task records in Redis
# (redis/scandoc.lua's "released" and "crashes" fields).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;
use Test::Scandoc::Checks;

my $s = Test::Scandoc::Server->new;
# a lease far longer than the test: only a hand-back lets the task run again
$s->start_nginx(http_config => 'scandoc_lease 10m;');

my @ids = slow_tasks($s, 3);
wait_processing($s, @ids);
my @running = grep { ($s->get_task($_)->{status} // '') eq 'processing' } @ids;
ok(@running, scalar(@running) . ' task(s) running at the stop');

$s->stop_nginx('TERM');

ok($s->error_log =~ /handing the task back/, 'the workers hand their tasks back');
for my $id (@running) {
    is($s->redis_cli('HGET', "sd1:task:$id", 'released'), '1', "$id: handed back");
    is($s->redis_cli('HGET', "sd1:task:$id", 'crashes') // '0', '0', "$id: no crash counted");
}

$s->start_nginx(http_config => 'scandoc_lease 10m;');
completed_once($s, @ids);
for my $id (@running) {
    is($s->redis_cli('HGET', "sd1:task:$id", 'crashes') // '0', '0',
       "$id: completed without a crash counted");
    cmp_ok($s->task_attempts($id), '>=', 2, "$id: in a second attempt");
}

unlike($s->error_log, qr/worker process \d+ exited on signal/, 'no worker crashed');
is_deeply([ $s->staging_settled ], [], 'nothing left in staging');

done_testing();
