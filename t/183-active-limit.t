# `scandoc_active_limit 1` through the server: of three slow tasks of one
# tenant one runs at a time (two workers with free slots notwithstanding),
# the others wait pending, and all complete in the order they were
# created.  Another tenant is not held up by that backlog.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;
use Test::Scandoc::Checks;
use Time::HiRes qw(sleep time);

my $s = Test::Scandoc::Server->new;
$s->start_nginx(http_config => "    scandoc_active_limit 1;\n");
sub enc { Test::Scandoc::Server::json_encode(@_) }

my @ids = slow_tasks($s, 3);              # seconds of work each
my $simple = $s->upload_id(Test::Scandoc::Server::corpus('tessjs_simple.png'), 'simple',
                           key => 'other');
my $other = $s->create_task_id(image => convert => { input => $simple, target_format => 'image/png' },
                               key => 'other');

# watch the statuses until every task is finished (bounded)
my (%status, @started, $max_running, $other_done_while_waiting);
$max_running = 0;
my $until = time + 180;
while (time < $until) {
    for my $id (@ids) {
        my $st = $s->get_task($id)->{status} // '';
        push @started, $id if $st ne 'pending' && !grep { $_ eq $id } @started;
        $status{$id} = $st;
    }
    my $running = grep { $_ eq 'processing' } values %status;
    $max_running = $running if $running > $max_running;
    if (!$other_done_while_waiting && grep { $_ eq 'pending' } values %status) {
        $other_done_while_waiting =
            ($s->get_task($other, key => 'other')->{status} // '') eq 'completed';
    }
    last unless grep { !/^(completed|failed)$/ } values %status;
    sleep 0.2;
}

is($max_running, 1, 'never more than one of the tenant\'s tasks processing');
is_deeply(\@started, \@ids, 'they started in the order they were created');
is_deeply([ map { $status{$_} } @ids ], [ ('completed') x 3 ], 'all three completed')
    or diag(enc(\%status));
my @done = map { $_->{data}{id} }
           grep { $_->{type} eq 'task.completed' } $s->all_events;
is_deeply(\@done, \@ids, '... in the order they were created');
ok($other_done_while_waiting,
   "another tenant's task completed while this tenant's backlog waited");
is($s->wait_task($other, key => 'other')->{status}, 'completed', "the other tenant's task completed");

done_testing();
