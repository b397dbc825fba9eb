# SIGKILL of an engine helper in the middle of a task: the attempt counts as
# a crash, the task is retried (on any worker) and completes exactly once;
# the nginx workers are untouched and a new helper serves the slot.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;
use Test::Scandoc::Checks;

my $s = Test::Scandoc::Server->new;
$s->start_nginx;
my @workers = sort $s->worker_pids;

my @ids = slow_tasks($s, 3);
my @busy = wait_processing($s, @ids);
my @running = grep { ($s->get_task($_)->{status} // '') eq 'processing' } @ids;
kill 'KILL', @busy;
note("killed helpers @busy while @running were processing");

completed_once($s, @ids);
ok((grep { $s->task_attempts($_) >= 2 } @ids),
   'at least one task needed a second attempt (the kill hit a job)');
is_deeply([ sort $s->worker_pids ], \@workers, 'the nginx workers are the same processes');
ok(!(grep { kill 0, $_ } @busy), 'the killed helpers are gone (reaped)');
is_deeply([ $s->staging_settled ], [], 'nothing left in staging');

# the slot works again with a fresh helper
my @more = slow_tasks($s, 1);
completed_once($s, @ids, @more);

done_testing();
