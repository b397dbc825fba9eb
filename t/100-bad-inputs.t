# Every damaged or hostile file of t/data/bad/ against its expected outcome
# in t/data/bad_outcomes.tsv (tab-separated: file, upload 201|415, op,
# outcome completed|failed:<code>, reason): a real upload, then the row's
# operation as a task.  Whatever the file does to the engine, the nginx
# workers are the same processes afterwards and no staging file is left.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;

my $root = $Test::Scandoc::Server::ROOT;
my $table = "$root/t/data/bad_outcomes.tsv";
my @rows;
open my $fh, '<', $table or die "$table: $!";
while (<$fh>) {
    chomp;
    next if /^\s*(#|$)/;
    my @f = split /\t/;
    next if $f[0] eq 'file';    # the header line
    push @rows, { file => $f[0], upload => $f[1], op => $f[2] // '',
                  outcome => $f[3] // '', reason => $f[4] // '' };
}
ok(@rows > 0, scalar(@rows) . " rows in bad_outcomes.tsv");

my $s = Test::Scandoc::Server->new;
$s->start_nginx;
my @workers = sort $s->worker_pids;
my $png = $s->upload_id(Test::Scandoc::Server::corpus('tessjs_simple.png'), 'ok');

# The task body for a row's operation.
sub task_for {
    my ($op, $id) = @_;
    return (image => convert => { input => $id, target_format => 'image/png' })
        if $op eq 'convert';
    return (pdf => merge => { input => [ $id ] }) if $op eq 'merge';
    return;
}

# A completed task's output must be a valid file of its type.
sub output_valid {
    my ($file) = @_;
    my $d = $s->download($file->{id});
    my $path = $s->dir . "/tmp/out-$file->{id}";
    Test::Scandoc::Server::spew($path, $d->{body});
    my $out = $file->{type} eq 'application/pdf'
        ? `qpdf --check '$path' 2>&1` : `identify '$path' 2>&1`;
    # qpdf exits 3 for warnings on a readable file: only errors (2) fail
    my $rc = $? >> 8;
    return $file->{type} eq 'application/pdf' ? $rc != 2 : $rc == 0;
}

for my $row (@rows) {
    my $label = "$row->{file} ($row->{reason})";
    my $path = "$root/t/data/bad/$row->{file}";
    ok(-f $path, "$row->{file} exists") or next;
    my $up = $s->upload($path, substr($row->{file}, 0, 50));
    is($up->{status}, $row->{upload}, "$label: upload $row->{upload}")
        or diag($up->{body});
    next unless $up->{status} == 201 && $row->{op} =~ /\S/ && $row->{op} ne '-';

    my @task = task_for($row->{op}, $up->{json}{id});
    ok(@task, "$label: known op '$row->{op}'") or next;
    my $c = $s->create_task(@task);
    if ($row->{outcome} =~ /^(\d{3})$/) {     # refused at creation
        is($c->{status}, $1, "$label: task creation $1");
        next;
    }
    is($c->{status}, 202, "$label: task accepted") or do { diag($c->{body}); next };
    my $t = $s->wait_task($c->{json}{id});
    if ($row->{outcome} eq 'completed') {
        is($t->{status}, 'completed', "$label: completed")
            or diag(Test::Scandoc::Server::json_encode($t->{result}));
        my $f = $t->{result}{generated_files}[0];
        ok($f && output_valid($f), "$label: a valid output");
    } else {
        my ($code) = $row->{outcome} =~ /^failed:(\S+)/;
        is($t->{status}, 'failed', "$label: failed");
        is($t->{result}{details}{code}, $code, "$label: code $code")
            or diag(Test::Scandoc::Server::json_encode($t->{result}));
    }
}

is_deeply([ sort $s->worker_pids ], \@workers, 'the nginx workers are the same processes');
unlike($s->error_log, qr/worker process \d+ exited on signal/, 'no worker crashed');
is_deeply([ $s->staging_settled ], [], 'nothing left in storage/.staging');

my $t = $s->create_task_id(image => convert => { input => $png, target_format => 'image/jpeg', quality => 70 });
is($s->wait_task($t)->{status}, 'completed', 'the service still converts');

done_testing();
