# Every registered operation runs: nothing answers not_implemented any
# more.  This file used to hold the operations that did not run yet (they
# failed cleanly with code not_implemented); the image operations were the
# last of them.  It now reads the registry (engine/sd_ops.c, the table the
# module and the helpers share), posts every row on its route with a
# small valid body, and wants each task completed: a row added without
# its runner, or marked not implemented, fails here.  Each operation's
# results are judged by its own tests (050, 160, 175, ...), not here.
# Across the routes: an image operation is unknown on the PDF route and
# the other way round (404), unless a row of that route has the name.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;

my $root = $Test::Scandoc::Server::ROOT;

# the registry's rows: { "name", SD_ROUTE_X, types, ..., implemented },
my $src = Test::Scandoc::Server::slurp("$root/engine/sd_ops.c")
    // die "engine/sd_ops.c: $!";
my ($table) = $src =~ /\bsd_ops\[\]\s*=\s*\{(.*?)\n\};/s
    or die 'engine/sd_ops.c: no sd_ops[] table';
my @rows;
while ($table =~ /\{\s*"([a-z-]+)",\s*SD_ROUTE_(IMAGE|PDF),\s*([^,]+),
                  \s*(\d),\s*(\d),\s*(\d),/gx) {
    push @rows, { op => $1, kind => lc $2, implemented => $6 };
}
cmp_ok(scalar @rows, '>=', 13, scalar(@rows) . ' operations registered');

my $s = Test::Scandoc::Server->new;
$s->start_nginx;
sub corpus { Test::Scandoc::Server::corpus(@_) }

my $png = $s->upload_id(corpus('tessjs_simple.png'), 'simple');    # 320x180
my $pdf = $s->upload_id(corpus('qpdf_minimal.pdf'), 'potato');     # 1 page
my @workers = sort $s->worker_pids;

# a small valid body per operation; a new row needs one here
my %body = (
    'image convert' => { input => $png, target_format => 'image/png' },
    'image apply-effect' => { input => $png, effect => 'grayscale' },
    'image extract-text' => { input => $png, format => 'plain' },
    'image detect-documents' => { input => $png },
    'image warp' => { input => $png, vertices => [ { x => 0, y => 0 },
        { x => 319, y => 0 }, { x => 319, y => 179 }, { x => 0, y => 179 } ] },
    'image scan' => { input => $png, effect => 'none', scan_mode => 'standard' },
    'pdf merge' => { input => [ $pdf, $png ] },
    'pdf split' => { input => $pdf },
    'pdf extract-pages' => { input => $pdf, pages => '1' },
    'pdf render' => { input => $pdf, dpi => 72 },
    'pdf rotate' => { input => $pdf, angle => 90 },
    'pdf compress' => { input => $pdf },
    'pdf info' => { input => $pdf },
    'pdf extract-text' => { input => $pdf, format => 'plain' },
    'pdf ocr' => { input => $pdf },
);

my (@tasks, %registered);
for my $row (@rows) {
    my $what = "$row->{kind} $row->{op}";
    $registered{$what} = 1;
    is($row->{implemented}, 1, "$what: marked implemented in the registry");
    my $b = $body{$what};
    ok($b, "$what: this test has a body for it") or next;
    my $r = $s->create_task($row->{kind}, $row->{op}, $b);
    is($r->{status}, 202, "$what: accepted on /v1/$row->{kind}-operations/")
        or do { diag($r->{body}); next };
    push @tasks, [ $what, $r->{json}{id} ];
}

for my $task (@tasks) {
    my ($what, $id) = @$task;
    my $t = $s->wait_task($id, timeout => 180);
    isnt($t->{result}{details}{code} // '', 'not_implemented',
         "$what: never not_implemented");
    is($t->{status}, 'completed', "$what: completed")
        or diag(Test::Scandoc::Server::json_encode($t->{result}));
    is_deeply([ $s->task_event_types($id) ], [ 'task.created', 'task.completed' ],
              "$what: created, completed");
}

# the routes hold their own rows only: a name registered on one route
# alone is unknown on the other
for my $row (@rows) {
    my $other = $row->{kind} eq 'image' ? 'pdf' : 'image';
    next if $registered{"$other $row->{op}"};
    my $r = $s->create_task($other, $row->{op}, $body{"$row->{kind} $row->{op}"} // {});
    is($r->{status}, 404, "$row->{op} on /v1/$other-operations/: 404");
}
is($s->create_task(image => 'sharpen', { input => $png })->{status}, 404,
   'an unregistered operation: 404');

is_deeply([ sort $s->worker_pids ], \@workers, 'the same nginx workers');
is_deeply([ $s->staging_settled ], [], 'nothing left in storage/.staging');

done_testing();
