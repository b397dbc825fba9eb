# nginx reload (SIGHUP) with tasks queued and running: the old workers hand
# back or finish their work, the new ones take the rest; no task is lost and
# none completes twice.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;
use Test::Scandoc::Checks;

my $s = Test::Scandoc::Server->new;
$s->start_nginx;
my @old = sort $s->worker_pids;

my @ids = slow_tasks($s, 6);
wait_processing($s, @ids);
my @new = $s->reload_nginx;
is(scalar @new, 2, 'two new workers after the reload');

# the old generation leaves (bounded by the shutdown grace)
my %old = map { $_ => 1 } @old;
Test::Scandoc::Server::poll_until(60, sub { !grep { $old{$_} } $s->worker_pids });
is_deeply([ grep { $old{$_} } $s->worker_pids ], [], 'the old workers exited');

completed_once($s, @ids);

# a second reload while tasks are only queued
my @more = slow_tasks($s, 4);
$s->reload_nginx;
completed_once($s, @ids, @more);

unlike($s->error_log, qr/open socket .* left in connection/, 'no leaked connection at exit');
unlike($s->error_log, qr/worker process \d+ exited on signal/, 'no worker crashed');
is_deeply([ $s->staging_settled ], [], 'nothing left in staging');

done_testing();
