# Redis goes away (SHUTDOWN; then SIGKILL with appendfsync always) and comes
# back on the same port and data: meanwhile every endpoint answers 503 with
# Retry-After; afterwards service resumes by itself (polled for up to 30 s)
# and nothing that was acknowledged is lost.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;
use Test::Scandoc::Checks;

my $s = Test::Scandoc::Server->new;
$s->start_nginx;
my $png_path = Test::Scandoc::Server::corpus('tessjs_simple.png');
my @workers = sort $s->worker_pids;

# Acknowledged before the outage: files and tasks (some still running).
sub acknowledged {
    my @files = map { $s->upload_id($png_path, "before $_") } 1 .. 3;
    my @tasks = map { $s->create_task_id(image => convert =>
        { input => $_, target_format => 'image/jpeg', quality => 50 }) } @files;
    return (\@files, [ @tasks, slow_tasks($s, 1) ]);
}

sub outage {
    my ($how) = @_;
    $s->stop_redis($how);

    # every endpoint: 503 problem with Retry-After < 60 (the first requests
    # may still be waiting for the connection's timeout: poll, bounded)
    my $r;
    Test::Scandoc::Server::poll_until(30, sub {
        $r = $s->request(GET => '/v1/files');
        $r->{status} == 503;
    });
    is($r->{status}, 503, "$how: GET /v1/files answers 503");
    like(Test::Scandoc::Server::header($r, 'retry-after') // '', qr/^([1-9]|[1-5]\d)$/,
         "$how: Retry-After below 60");
    like(Test::Scandoc::Server::header($r, 'content-type') // '',
         qr{^application/problem\+json}, "$how: as a problem");
    is($r->{json}{type}, 'https://scan-documents.com/docs/errors/service-unavailable',
       "$how: service-unavailable");
    is($s->upload($png_path, 'during')->{status}, 503, "$how: upload answers 503");
    is($s->create_task(image => convert =>
           { input => 'file_0000000000000000', target_format => 'image/png' })->{status},
       503, "$how: create task answers 503");
    is($s->request(GET => '/v1/tasks/task_0000000000000000')->{status}, 503,
       "$how: get task answers 503");
    # a key (even an unknown one) cannot be checked: 503, not 401
    is($s->request(GET => '/v1/files', key => 'sk_unknown_key_0000000000000000000000')->{status},
       503, "$how: an unknown key cannot be judged either");

    $s->start_redis(appendfsync => $how eq 'kill' ? 'always' : 'everysec');
    my $ok = Test::Scandoc::Server::poll_until(30, sub {
        $s->request(GET => '/v1/files')->{status} == 200;
    });
    ok($ok, "$how: service resumes within 30 s of Redis returning");
}

my ($files1, $tasks1) = acknowledged();
outage('shutdown');
is($s->request(GET => "/v1/files/$_")->{status}, 200, "file $_ kept") for @$files1;
completed_once($s, @$tasks1);

# appendfsync always: what was acknowledged survives a SIGKILL
$s->stop_redis('shutdown');
$s->start_redis(appendfsync => 'always');
Test::Scandoc::Server::poll_until(30, sub { $s->request(GET => '/v1/files')->{status} == 200 });
my ($files2, $tasks2) = acknowledged();
outage('kill');
is($s->request(GET => "/v1/files/$_")->{status}, 200, "file $_ kept") for @$files2;
completed_once($s, @$tasks1, @$tasks2);

is_deeply([ sort $s->worker_pids ], \@workers, 'the same nginx workers throughout');
unlike($s->error_log, qr/open socket .* left in connection/, 'no leaked connection');

# and new work runs
my $t = $s->create_task_id(image => convert => { input => $files2->[0], target_format => 'image/png' });
is($s->wait_task($t)->{status}, 'completed', 'a new task completes');

done_testing();
