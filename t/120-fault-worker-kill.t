# SIGKILL of an nginx worker while it runs a task: nobody hands the task
# back, so it is reclaimed by another worker once its lease expires (a short
# scandoc_lease here) and completes exactly once.  The dead worker's staging
# folder is the janitor's: it is removed once untouched for longer than a
# task may run (a short scandoc_task_timeout here, so that it happens during
# the test).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;
use Test::Scandoc::Checks;

my $s = Test::Scandoc::Server->new;
$s->start_nginx(http_config => "    scandoc_lease 3s;\n"
                               . "    scandoc_task_timeout 30s;\n");
my $master = $s->master_pid;

my @ids = slow_tasks($s, 3);
my @busy = wait_processing($s, @ids);
my $victim = Test::Scandoc::Server::parent_of($busy[0] // 0);
ok($victim && grep({ $_ == $victim } $s->worker_pids), 'the busy helper belongs to a worker');
my @others = grep { $_ != ($victim // 0) } $s->worker_pids;
kill 'KILL', $victim if $victim;
note("killed worker $victim (helper $busy[0])");

# the master replaces the worker; its helpers die with it (PDEATHSIG)
Test::Scandoc::Server::poll_until(30, sub { !kill 0, $busy[0] });
ok(!kill(0, $busy[0]), "the dead worker's helper is gone");
Test::Scandoc::Server::poll_until(30, sub { $s->worker_pids >= 2 });
is(scalar $s->worker_pids, 2, 'the master started a new worker');
ok(kill(0, $master), 'the master lives');

completed_once($s, @ids);
ok((grep { $s->task_attempts($_) >= 2 } @ids), 'a task was reclaimed (second attempt)');
# bounded by the janitor's age (task timeout + lease + margin) and period
Test::Scandoc::Server::poll_until(150, sub { !$s->staging_leftovers });
is_deeply([ $s->staging_leftovers ], [], 'nothing left in staging once the janitor ran');
like($s->error_log, qr/scandoc janitor: removing "[^"]*\.staging\/task_/,
     'the janitor removed the dead worker\'s staging folder');

done_testing();
