# convert and merge run for real in the engine helpers: the outputs are
# checked with independent tools (identify, dwebp, qpdf).
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;

my $s = Test::Scandoc::Server->new;
$s->start_nginx;
my $dir = $s->dir;
sub corpus { Test::Scandoc::Server::corpus(@_) }
sub header { Test::Scandoc::Server::header(@_) }

my $png = $s->upload_id(corpus('tessjs_simple.png'), 'simple');
my $jpg = $s->upload_id(corpus('tessjs_simple.jpg'), 'simple jpeg');
my $webp = $s->upload_id(corpus('tessjs_simple.webp'), 'simple webp');
my $pdf1 = $s->upload_id(corpus('qpdf_minimal.pdf'), 'potato');
my $pdf4 = $s->upload_id(corpus('pysf_pdflatex-4-pages.pdf'), 'latex');

# Runs a task to its end and returns (task, the one generated File, its bytes
# saved at $dir/tmp/<name>).
sub run_one {
    my ($label, $kind, $op, $body, $save_as) = @_;
    my $id = $s->create_task_id($kind, $op, $body);
    my $t = $s->wait_task($id);
    is($t->{status}, 'completed', "$label: completed")
        or diag(Test::Scandoc::Server::json_encode($t));
    my $files = $t->{result}{generated_files} // [];
    is(scalar @$files, 1, "$label: one generated file");
    my $f = $files->[0] // {};
    is($f->{task_id}, $id, "$label: the file names its task");
    my $d = $s->download($f->{id} // 'file_none');
    is($d->{status}, 200, "$label: downloadable");
    Test::Scandoc::Server::spew("$dir/tmp/$save_as", $d->{body});
    is($f->{properties}{size}, length $d->{body}, "$label: size is the byte count");
    return ($t, $f, "$dir/tmp/$save_as", $d);
}

sub identify {
    my ($path) = @_;
    my $out = `identify -format '%m %w %h' '$path' 2>&1`;
    return $? == 0 ? $out : "identify failed: $out";
}

# png -> jpeg
{
    my ($t, $f, $path, $d) = run_one('png to jpeg', image => convert =>
        { input => $png, target_format => 'image/jpeg', quality => 85 }, 'out.jpg');
    is($f->{type}, 'image/jpeg', 'type image/jpeg');
    is(header($d, 'content-type'), 'image/jpeg', 'served as image/jpeg');
    is(identify($path), 'JPEG 320 180', 'a 320x180 JPEG');
    is($f->{name}, 'simple', 'takes the input name');
    is_deeply([ @{ $f->{properties} }{qw(width height)} ], [ 320, 180 ], 'its properties');
    ok(!exists $t->{progress} || ref $t->{progress} eq 'HASH', 'progress, if any, is an object');
}

# png -> webp, with a name
{
    my ($t, $f, $path) = run_one('png to webp', image => convert =>
        { input => $png, target_format => 'image/webp', quality => 70, name => 'as webp' },
        'out.webp');
    is($f->{type}, 'image/webp', 'type image/webp');
    is($f->{name}, 'as webp', "takes the task's name");
    my $out = `dwebp '$path' -o '$dir/tmp/out-webp.png' 2>&1`;
    is($?, 0, 'dwebp decodes it') or diag($out);
    is(identify("$dir/tmp/out-webp.png"), 'PNG 320 180', '320x180');
}

# jpeg -> png (quality is ignored for png)
{
    my ($t, $f, $path) = run_one('jpeg to png', image => convert =>
        { input => $jpg, target_format => 'image/png', quality => 5 }, 'out.png');
    is($f->{type}, 'image/png', 'type image/png');
    is(identify($path), 'PNG 320 180', 'a 320x180 PNG');
}

# webp -> png
{
    my ($t, $f, $path) = run_one('webp to png', image => convert =>
        { input => $webp, target_format => 'image/png' }, 'from-webp.png');
    is(identify($path), 'PNG 320 180', 'a 320x180 PNG from a WebP');
}

sub qpdf_pages {
    my ($path) = @_;
    my $check = `qpdf --check '$path' 2>&1`;
    my $ok = $? == 0;
    chomp(my $n = `qpdf --show-npages '$path' 2>&1`);
    return ($ok, $n, $check);
}

# merge: PDFs and an image, pages in array order
{
    my ($t, $f, $path, $d) = run_one('merge', pdf => merge =>
        { input => [ $pdf4, $png, $pdf1 ] }, 'merged.pdf');
    is($f->{type}, 'application/pdf', 'a PDF');
    is(header($d, 'content-type'), 'application/pdf', 'served as application/pdf');
    my ($ok, $n, $check) = qpdf_pages($path);
    ok($ok, 'qpdf --check passes') or diag($check);
    is($n, 6, '4 + 1 + 1 pages');
    is($f->{properties}{page_count}, 6, 'page_count 6');
    is($f->{name}, 'latex', 'named after the first input');
    # the first input's first page comes first, the potato page last
    my $last = `pdftotext -f 6 -l 6 '$path' - 2>/dev/null`;
    like($last, qr/Potato/, 'the last page is the last input');
}

# merge of one file, twice the same file
{
    my ($t, $f, $path) = run_one('merge repeats', pdf => merge =>
        { input => [ $pdf1, $pdf1 ], name => 'twice' }, 'twice.pdf');
    my ($ok, $n) = qpdf_pages($path);
    ok($ok, 'qpdf --check passes');
    is($n, 2, 'a repeated input gives its pages twice');
}

# events of one task, in order
my @ev = $s->all_events;
my %by_task;
for my $e (@ev) {
    my $tid = $e->{type} =~ /^task\./ ? $e->{data}{id} : undef;
    push @{ $by_task{$tid} }, $e->{type} if $tid;
}
my @seq = values %by_task;
is(scalar @seq, 6, 'six tasks in the events');
is_deeply($_, [ 'task.created', 'task.completed' ], 'created then completed') for @seq;
my @fc = grep { $_->{type} eq 'file.created' && $_->{data}{task_id} } @ev;
is(scalar @fc, 6, 'one file.created per generated file');

# nothing left in staging
is(`find $dir/storage/.staging -mindepth 1 2>/dev/null`, '', 'staging is empty');

done_testing();
