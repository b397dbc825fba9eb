package Test::Scandoc::Checks;

# Checks shared by the end-to-end fault scenarios: slow tasks to interrupt,
# and "every task completed, exactly once".

use strict;
use warnings;
use Exporter 'import';
use Test::More;
use Test::Scandoc::Server;

our @EXPORT = qw(slow_tasks wait_processing completed_once);

# Uploads a noise image and creates $n converts of it to WebP at quality
# 100 (seconds of work each); returns the task ids.
sub slow_tasks {
    my ($s, $n, %o) = @_;
    my $file = $s->upload_id($s->make_noise_png(3000, 3000), 'noise');
    return map {
        $s->create_task_id(image => convert =>
            { input => $file, target_format => 'image/webp', quality => 100 })
    } 1 .. $n;
}

# Waits (bounded) until at least one of the tasks is processing and a
# helper is busy; returns the busy helpers.
sub wait_processing {
    my ($s, @ids) = @_;
    my @busy;
    Test::Scandoc::Server::poll_until(120, sub {
        return 0 unless grep { ($s->get_task($_)->{status} // '') eq 'processing' } @ids;
        @busy = $s->busy_helpers;
        return scalar @busy;
    });
    ok(@busy, 'a task is processing in a busy helper') or diag($s->error_log_tail(30));
    return @busy;
}

# Every task completed, with exactly one task.completed event, no
# task.failed, and exactly one generated file registered for it.
sub completed_once {
    my ($s, @ids) = @_;
    my %want = map { $_ => 1 } @ids;
    for my $id (@ids) {
        my $t = $s->wait_task($id, timeout => 180);
        is($t->{status}, 'completed', "$id completed")
            or diag(Test::Scandoc::Server::json_encode($t));
    }
    my @ev = $s->all_events;
    for my $id (@ids) {
        my @mine = grep { $_->{type} =~ /^task\./ && $_->{data}{id} eq $id } @ev;
        is_deeply([ map { $_->{type} } @mine ], [ 'task.created', 'task.completed' ],
                  "$id: created and completed once, never failed");
        my @files = grep { $_->{type} eq 'file.created'
                           && ($_->{data}{task_id} // '') eq $id } @ev;
        is(scalar @files, 1, "$id: one generated file");
    }
    # and none of the tenant's files is a stray duplicate output
    my $list = $s->request(GET => '/v1/files?take=100');
    my @gen = grep { $want{ $_->{task_id} // '' } } @{ $list->{json}{data} // [] };
    is(scalar @gen, scalar @ids, 'one file per task in the file list');
}

1;
