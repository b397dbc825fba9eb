# The per-task deadline through the server: with `scandoc_task_timeout 2s`
# a convert that needs seconds fails with code timeout (details.limit_ms:
# the limit), once; its helper is killed (no process left), nothing stays
# in staging, and the next task runs in a fresh helper.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;
use Test::Scandoc::Checks;

my $s = Test::Scandoc::Server->new;
$s->start_nginx(http_config => "    scandoc_task_timeout 2s;\n");

my ($slow) = slow_tasks($s, 1);                 # WebP q100 of 3000x3000 noise
my @busy = wait_processing($s, $slow);
my $t = $s->wait_task($slow, timeout => 60);
is($t->{status}, 'failed', 'the slow task failed') or diag(Test::Scandoc::Server::json_encode($t));
is_deeply($t->{result}{details}, { code => 'timeout', limit_ms => 2000 },
          'code timeout, limit_ms 2000');
like($t->{result}{error} // '', qr/time limit/, 'the sentence says so');
is_deeply([ $s->task_event_types($slow) ], [ 'task.created', 'task.failed' ],
          'failed once, no retry');
is($t->{result}{generated_files}, undef, 'no output');

# the helper that ran it was killed, and is gone (reaped), not left working
# (the job needs about 4 s: with a 2 s limit the helper is seen busy first)
ok(Test::Scandoc::Server::poll_until(10, sub { !grep { kill 0, $_ } @busy }),
   "the helper (@busy) was killed") or diag($s->error_log_tail(30));
is_deeply([ $s->busy_helpers ], [], 'no helper still busy with it');
is_deeply([ $s->staging_settled ], [], 'nothing left in staging');

# the next task works (a new helper for the slot)
my $file = $s->upload_id(Test::Scandoc::Server::corpus('tessjs_simple.png'), 'simple');
my $next = $s->create_task_id(image => convert => { input => $file, target_format => 'image/png' });
my $n = $s->wait_task($next, timeout => 60);
is($n->{status}, 'completed', 'the next task completes')
    or diag(Test::Scandoc::Server::json_encode($n));

done_testing();
