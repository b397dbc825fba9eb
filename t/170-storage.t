# Storage, white-box: where committed objects live and with which modes
# (uploads, raw and multipart, and task outputs alike), the janitor removing
# stale staging entries and request bodies (old mtimes) and leaving young
# ones, the consumer
# retired at a graceful exit, and the warning about scandoc_shutdown_grace.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;
use File::Path qw(make_path);

my $s = Test::Scandoc::Server->new;
my $storage = $s->storage;
my $tenant = $s->tenant;

sub mode {
    my @st = lstat $_[0] or return 'missing';
    return sprintf '%04o', $st[2] & 07777;
}

# scandoc_shutdown_grace (10s by default) against worker_shutdown_timeout
{
    my $conf = sub {
        $s->nginx_conf(main_config => "worker_shutdown_timeout $_[0];")
    };
    my (undef, $out) = $s->nginx_t($conf->('5s'));
    my $want = '"scandoc_shutdown_grace" (10000 ms) should be shorter than '
             . '"worker_shutdown_timeout" (5000 ms)';
    like($out, qr/\Q$want\E/,
         'nginx -t warns: grace not shorter than worker_shutdown_timeout');
    (undef, $out) = $s->nginx_t($conf->('60s'));
    unlike($out, qr/scandoc_shutdown_grace/, 'no warning when the grace is shorter');
}

# Stale staging entries, as a worker killed mid-task leaves them: the janitor
# removes what nobody touched for longer than a task may run.
my $staging = "$storage/.staging";
make_path("$staging/task_oldoldoldoldold1.2", "$staging/task_youngyoungyoung1.1");
Test::Scandoc::Server::spew("$staging/task_oldoldoldoldold1.2/out-1.png", 'x');
Test::Scandoc::Server::spew("$staging/file_oldoldoldoldold1.upload", 'x');
Test::Scandoc::Server::spew("$staging/task_youngyoungyoung1.1/out-1.png", 'x');
my $old = time - 24 * 3600;
utime $old, $old, "$staging/task_oldoldoldoldold1.2/out-1.png",
                  "$staging/task_oldoldoldoldold1.2",
                  "$staging/file_oldoldoldoldold1.upload";

# A request body a killed worker left in client_body_temp_path (nginx's
# levels folders, its file names): removed after an hour untouched.
my $body = "$storage/.body";
make_path("$body/7/42");
Test::Scandoc::Server::spew("$body/7/42/0000000427", 'old body');
Test::Scandoc::Server::spew("$body/0000000428", 'young body');
my $hour = time - 3600 - 60;
utime $hour, $hour, "$body/7/42/0000000427";

$s->start_nginx;

Test::Scandoc::Server::poll_until(60, sub {
    !-e "$staging/task_oldoldoldoldold1.2" && !-e "$staging/file_oldoldoldoldold1.upload"
        && !-e "$body/7/42/0000000427"
});
ok(!-e "$body/7/42/0000000427", 'the janitor removed a request body untouched for an hour');
ok(-d "$body/7/42", 'but not the levels folders of nginx');
ok(-e "$body/0000000428", 'a young request body stays');
like($s->error_log, qr/scandoc janitor: removing request body "\Q$body\E\/7\/42\/0000000427"/,
     'the removal is logged');
ok(!-e "$staging/task_oldoldoldoldold1.2", 'the janitor removed an old task folder, with its content');
ok(!-e "$staging/file_oldoldoldoldold1.upload", 'and an old upload');
ok(-e "$staging/task_youngyoungyoung1.1/out-1.png", 'a young staging folder stays');
like($s->error_log, qr/scandoc janitor: removing "\Q$staging\E\/task_oldoldoldoldold1\.2", untouched/,
     'the removal is logged');

# a multipart upload: <storage>/<tenant>/<id[5:7]>/<id>, 0600 in 0700 folders
my $png = Test::Scandoc::Server::corpus('tessjs_simple.png');
my $id = $s->upload_id($png, 'simple');
my $xx = substr($id, 5, 2);
my $path = "$storage/$tenant/$xx/$id";
ok(-f $path, 'the upload is committed at <tenant>/<id[5:7]>/<id>');
is(Test::Scandoc::Server::slurp($path), Test::Scandoc::Server::slurp($png), 'with the bytes sent');
is(mode($path), '0600', 'file mode 0600');
is(mode("$storage/$tenant/$xx"), '0700', 'folder mode 0700');
is(mode("$storage/$tenant"), '0700', 'tenant folder mode 0700');

# a raw upload (the spooled body renamed) gets the same mode
my $r = $s->request(POST => '/v1/files?name=raw', body => Test::Scandoc::Server::slurp($png),
                    headers => ['Content-Type' => 'image/png']);
is($r->{status}, 201, 'raw upload');
my $raw = $r->{json}{id} // '';
is(mode("$storage/$tenant/" . substr($raw, 5, 2) . "/$raw"), '0600', 'raw upload: file mode 0600');

# a task output, committed by the queue the same way
my $task = $s->create_task_id(image => convert => { input => $id, target_format => 'image/jpeg', quality => 80 });
my $t = $s->wait_task($task);
is($t->{status}, 'completed', 'convert completed');
my $out = $t->{result}{generated_files}[0]{id} // '';
my $out_path = "$storage/$tenant/" . substr($out, 5, 2) . "/$out";
ok(-f $out_path, 'the output is committed at <tenant>/<id[5:7]>/<id>');
is(mode($out_path), '0600', 'output: file mode 0600');
is($s->download($out)->{status}, 200, 'and downloads');

# a delete removes the bytes
is($s->request(DELETE => "/v1/files/$raw")->{status}, 204, 'delete');
Test::Scandoc::Server::poll_until(10, sub { !-e "$storage/$tenant/" . substr($raw, 5, 2) . "/$raw" });
ok(!-e "$storage/$tenant/" . substr($raw, 5, 2) . "/$raw", 'the deleted file is gone from storage');

Test::Scandoc::Server::poll_until(30, sub { !grep { !m{task_youngyoungyoung1} } $s->staging_leftovers });
is_deeply([ grep { !m{task_youngyoungyoung1} } $s->staging_leftovers ], [], 'nothing else left in staging');

# a graceful stop: every worker that ran tasks retires its consumer name
my $consumers = sub {
    my $info = $s->redis_cli('XINFO', 'CONSUMERS', 'sd1:queue', 'sd1') // '';
    return scalar grep { /^name$/ } split /\n/, $info;
};
ok($consumers->() >= 1, 'the workers are consumers of the queue while they run');
$s->stop_nginx;
is($consumers->(), 0, 'no consumer is left after a graceful stop');
like($s->error_log, qr/scandoc queue: consumer \S+ retired/, 'the retirement is logged');

done_testing();
