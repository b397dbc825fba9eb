# Tasks: get, list, delete (and cancel of unfinished tasks); events: the
# six types, their data and their order.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;

my $s = Test::Scandoc::Server->new;
$s->start_nginx;
sub corpus { Test::Scandoc::Server::corpus(@_) }

my $png = $s->upload_id(corpus('tessjs_simple.png'), 'simple');

# a finished task
my $t1 = $s->create_task_id(image => convert =>
    { input => $png, target_format => 'image/png' });
my $done = $s->wait_task($t1);
is($done->{status}, 'completed', 'task completed');
my $gen = $done->{result}{generated_files}[0]{id};
like($gen // '', qr/^file_[a-z0-9]{16}$/, 'with a generated file');
cmp_ok($done->{updated_at}, 'ge', $done->{created_at}, 'updated_at after created_at');

# get / list
my $g = $s->request(GET => "/v1/tasks/$t1");
is($g->{status}, 200, 'GET task');
is($g->{json}{id}, $t1, 'its id');
is($s->request(GET => '/v1/tasks/task_0000000000000000')->{status}, 404, 'missing task: 404');
is($s->request(GET => '/v1/tasks/file_0000000000000000')->{status}, 404, 'a file id as task id: 404');

my $t2 = $s->create_task_id(image => convert =>
    { input => $png, target_format => 'image/webp', quality => 50 });
my $l = $s->request(GET => '/v1/tasks?take=1');
is($l->{status}, 200, 'list tasks');
is_deeply([ map { $_->{id} } @{ $l->{json}{data} } ], [ $t2 ], 'newest first, take=1');
like($l->{json}{links}{next} // '', qr/from=\Q$t1\E/, 'next points at the older task');
$s->wait_task($t2);

# delete a finished task: only task.deleted, its files stay
my $del = $s->request(DELETE => "/v1/tasks/$t1");
is($del->{status}, 204, 'DELETE finished task: 204');
is($s->request(GET => "/v1/tasks/$t1")->{status}, 404, 'gone');
is($s->request(GET => "/v1/files/$gen")->{status}, 200, 'its generated file stays');
is_deeply([ $s->task_event_types($t1) ],
          [ 'task.created', 'task.completed', 'task.deleted' ],
          'created, completed, deleted');

# cancel a task that waits on an unfinished parent: the parent is a long
# convert, the child (input = the parent task) is parked until it finishes
my $big = $s->upload_id($s->make_noise_png(4000, 4000), 'noise');
my $parent = $s->create_task_id(image => convert =>
    { input => $big, target_format => 'image/webp', quality => 100 });
my $child = $s->create_task_id(image => convert =>
    { input => $parent, target_format => 'image/png' });
is($s->get_task($child)->{status}, 'pending', 'the child waits');
is($s->request(DELETE => "/v1/tasks/$child")->{status}, 204, 'cancel the waiting child');
is_deeply([ $s->task_event_types($child) ],
          [ 'task.created', 'task.failed', 'task.deleted' ], 'created, failed, deleted');
my ($failed) = grep { $_->{type} eq 'task.failed' && $_->{data}{id} eq $child } $s->all_events;
is($failed->{data}{result}{details}{code}, 'cancelled', 'failed with code cancelled');
like($failed->{data}{result}{error} // '', qr/\S/, 'and a sentence');
is($failed->{data}{operation}, 'convert', 'task.failed names the operation');

# cancel the running parent: its attempt is stopped
Test::Scandoc::Server::poll_until(60, sub { ($s->get_task($parent)->{status} // '') ne 'pending' });
my $before = $s->get_task($parent)->{status};
is($s->request(DELETE => "/v1/tasks/$parent")->{status}, 204, 'cancel the parent');
my @types = $s->task_event_types($parent);
if ($types[1] eq 'task.completed') {
    # it finished before the DELETE arrived: a plain delete then
    diag('the parent finished before it could be cancelled; the noise image is too small here');
}
is_deeply(\@types, [ 'task.created', 'task.failed', 'task.deleted' ],
          "cancelled while $before");
# the helper of a cancelled attempt leaves nothing in staging (bounded wait:
# the kill and the cleanup happen on the worker's next heartbeat)
Test::Scandoc::Server::poll_until(60, sub { !$s->staging_leftovers });
is_deeply([ $s->staging_leftovers ], [], 'nothing left in staging');

# the service still works after the cancel
my $t3 = $s->create_task_id(image => convert =>
    { input => $png, target_format => 'image/jpeg', quality => 60 });
is($s->wait_task($t3)->{status}, 'completed', 'a new task completes after the cancel');

# an input deleted while its task waits in the queue: the task fails with
# input_not_found when it runs.  Every slot (2 workers x 2) is kept busy so
# the task surely waits.
{
    my $victim = $s->upload_id(corpus('tessjs_simple.png'), 'short-lived');
    my @busy = map {
        $s->create_task_id(image => convert =>
            { input => $big, target_format => 'image/webp', quality => 100 })
    } 1 .. 4;
    Test::Scandoc::Server::poll_until(60, sub {
        4 == grep { ($s->get_task($_)->{status} // '') eq 'processing' } @busy
    });
    my $t = $s->create_task_id(image => convert =>
        { input => $victim, target_format => 'image/png' });
    is($s->get_task($t)->{status}, 'pending', 'the task waits for a slot');
    is($s->request(DELETE => "/v1/files/$victim")->{status}, 204, 'its input is deleted');
    my $done = $s->wait_task($t);
    is($done->{status}, 'failed', 'the task failed');
    is($done->{result}{details}{code}, 'input_not_found', 'with input_not_found')
        or diag(Test::Scandoc::Server::json_encode($done->{result}));
    $s->wait_task($_) for @busy;
}

# events: types, data and order
my @ev = $s->all_events;
my @ids = map { $_->{id} } @ev;
like($_, qr/^event_[a-z0-9]{16}$/, 'event id') for @ids[0, -1];
my %seen;
$seen{$_->{type}}++ for @ev;
is_deeply([ sort keys %seen ],
          [ sort qw(file.created file.deleted task.created task.completed task.failed
                    task.deleted) ],
          'all six event types seen');
my ($fc) = grep { $_->{type} eq 'file.created' } @ev;
is($fc->{data}{id}, $png, 'the first event is the first upload');
ok(!exists $fc->{data}{created_at}, 'file.created: the File without created_at');
is_deeply([ sort keys %{ $fc->{data} } ],
          [ sort qw(id name type properties task_id), grep { exists $fc->{data}{$_} } qw(expires_at) ],
          'file.created: the File fields');
my ($tc) = grep { $_->{type} eq 'task.created' } @ev;
is_deeply([ sort keys %{ $tc->{data} } ], [ qw(id operation) ], 'task.created: id, operation');
my ($tk) = grep { $_->{type} eq 'task.completed' } @ev;
is_deeply([ sort keys %{ $tk->{data} } ], [ qw(id operation result) ],
          'task.completed: id, operation, result');
my @ts = map { $_->{timestamp} } @ev;
is_deeply(\@ts, [ sort @ts ], 'timestamps never go backwards in list order');
like($ts[0], qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'ISO 8601 with milliseconds');

# the generated file's file.created comes before its task.completed
my $pos = sub { my ($type, $id) = @_;
                (grep { $ev[$_]{type} eq $type && $ev[$_]{data}{id} eq $id } 0 .. $#ev)[0] };
ok($pos->('file.created', $gen) < $pos->('task.completed', $t1),
   "a generated file is created before its task completes");

my $bad = $s->request(GET => '/v1/events?take=0');
is($bad->{status}, 422, 'events: take=0 is a 422');

done_testing();
