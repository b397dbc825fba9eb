# Every image operation through the real server (issue 3, "For every
# operation"): a corpus image uploaded, the operation posted, the task
# polled to its end, the result's shape checked against API.md, and every
# output downloaded and decoded by a tool that shares no code with the
# engine (identify, dwebp).  Then the chains: detect-documents -> warp with
# the task as input, a PDF given to each image operation (422 at
# creation), a merge's output given to apply-effect before the merge ran
# (the task fails input_failed).  Then every uploadable image of
# t/data/bad_outcomes.tsv through apply-effect and scan: the outcome its
# row gives for convert (decoding is the same for every image operation:
# a corrupt file is corrupt_input everywhere, a bomb limit_exceeded, a
# file that decodes completes).  Whatever happened, the nginx workers are
# the same processes and nothing is left in staging.

use strict;
use warnings;
use lib 't/lib';
use List::Util qw(max min);
use Test::More;
use Test::Scandoc::Server;
use Test::Scandoc::Checks qw(slow_tasks);
use Test::Scandoc::Engine qw(identify dwebp_size);

my $root = $Test::Scandoc::Server::ROOT;
my $data = "$root/t/data";

plan skip_all => 'ImageMagick identify and dwebp are needed'
    if system('sh', '-c', 'command -v identify && command -v dwebp'
              . ' >/dev/null 2>&1') != 0;

my $s = Test::Scandoc::Server->new;
$s->start_nginx;
my @workers = sort $s->worker_pids;
my $tmp = $s->dir . '/tmp';
my $saved = 0;
sub enc { Test::Scandoc::Server::json_encode(@_) }
sub header { Test::Scandoc::Server::header(@_) }

my $photo = "$data/photos/xlh_a4-on-dark-background.webp";    # 1080x1920
my $page = "$data/pages/linn.png";                           # 600x776 gray
my $ocr = "$data/ocr/tesstest_phototest.png";
my $pdf = "$data/corpus/qpdf_minimal.pdf";

my $photo_id = $s->upload_id($photo, 'desk photo');
my $page_id = $s->upload_id($page, 'linn');
my $ocr_id = $s->upload_id($ocr, 'phototest');
my $pdf_id = $s->upload_id($pdf, 'potato');

my %format = ('image/png' => 'PNG', 'image/jpeg' => 'JPEG',
              'image/webp' => 'WEBP');

# warp's output size (API.md): the longer of each pair of opposite edges
sub warp_size {
    my ($v) = @_;
    my $d = sub { my ($p, $q) = @$v[@_];
                  sqrt(($p->{x} - $q->{x}) ** 2 + ($p->{y} - $q->{y}) ** 2) };
    return (int(max($d->(0, 1), $d->(3, 2)) + 0.5),
            int(max($d->(0, 3), $d->(1, 2)) + 0.5));
}

# Posts a task and waits for its end; checks it completed.
sub finish {
    my ($label, $op, $body) = @_;
    my $id = $s->create_task_id(image => $op, $body);
    my $t = $s->wait_task($id);
    is($t->{status}, 'completed', "$label: completed") or diag(enc($t));
    is($t->{operation}, $op, "$label: operation");
    return $t;
}

# A generated File: its record, its download and its decoding by an
# independent tool agree.  Returns identify's [format, w, h, type].
sub check_file {
    my ($label, $f, $task_id, $type, $name) = @_;
    like($f->{id} // '', qr/^file_/, "$label: a File");
    is($f->{task_id}, $task_id, "$label: task_id is its task");
    is($f->{type}, $type, "$label: type $type");
    is($f->{name}, $name, "$label: named '$name'") if defined $name;
    my $rec = $s->request(GET => "/v1/files/$f->{id}");
    is_deeply($rec->{json}{properties}, $f->{properties},
              "$label: the File record has the same properties");
    my $d = $s->download($f->{id});
    is($d->{status}, 200, "$label: downloadable");
    is(header($d, 'content-type'), $type, "$label: served as $type");
    my $path = "$tmp/out-" . ++$saved;
    Test::Scandoc::Server::spew($path, $d->{body});
    is($f->{properties}{size}, length $d->{body},
       "$label: properties.size is the byte count");
    my $id = identify($path) // [ 'undecodable', 0, 0, '' ];
    is_deeply([ @$id[0 .. 2] ],
              [ $format{$type}, @{ $f->{properties} }{qw(width height)} ],
              "$label: identify decodes a $format{$type} of the properties' size");
    if ($type eq 'image/webp') {
        is_deeply([ dwebp_size($path) ], [ @$id[1, 2] ],
                  "$label: dwebp decodes it too");
    }
    return $id;
}

# The one generated file of a completed task.
sub one_file {
    my ($label, $t) = @_;
    my $files = $t->{result}{generated_files} // [];
    is(scalar @$files, 1, "$label: one generated file");
    return $files->[0] // {};
}


# -- convert: the three formats, from a WebP photo ----------------------

for my $c ([ 'image/png', undef ], [ 'image/jpeg', 80 ], [ 'image/webp', 60 ]) {
    my ($type, $q) = @$c;
    my $label = "convert to $type";
    my $t = finish($label, convert => { input => $photo_id,
        target_format => $type, defined $q ? (quality => $q) : () });
    my $f = one_file($label, $t);
    my $id = check_file($label, $f, $t->{id}, $type, 'desk photo');
    is("$id->[1]x$id->[2]", '1080x1920', "$label: the photo's size");
}


# -- apply-effect: each effect on a gray page, one with a name -----------

for my $effect (qw(grayscale scanner black-background)) {
    my $label = "apply-effect $effect";
    my $name = $effect eq 'scanner' ? 'scanned linn' : undef;
    my $t = finish($label, 'apply-effect' => { input => $page_id,
        effect => $effect, defined $name ? (name => $name) : () });
    my $f = one_file($label, $t);
    my $id = check_file($label, $f, $t->{id}, 'image/png', $name // 'linn');
    is("$id->[1]x$id->[2]", '600x776', "$label: the input's size");
    like($id->[3], qr/Gray|Bilevel/, "$label: a gray page stays gray");
}


# -- extract-text: plain, markdown and html of an OCR page --------------

{
    my @words = qw(quick brown dog jumped lazy fox);
    for my $format (qw(plain markdown html)) {
        my $label = "extract-text $format";
        my $t = finish($label, 'extract-text' =>
                       { input => $ocr_id, format => $format });
        my $r = $t->{result} // {};
        is_deeply([ sort keys %$r ], [ 'content', 'format' ],
                  "$label: result is {format, content}");
        is($r->{format}, $format, "$label: format");
        like($r->{content}, qr/\b$_\b/, "$label: reads '$_'") for @words;
        like($r->{content}, qr/<p>/, "$label: html paragraphs")
            if $format eq 'html';
        my @gen = grep { ($_->{task_id} // '') eq $t->{id} }
                  @{ $s->request(GET => '/v1/files?take=100')->{json}{data} };
        is(scalar @gen, 0, "$label: no file generated");
    }
}


# -- detect-documents on a photo, and its document downloadable ----------

my ($doc_w, $doc_h);
{
    my $label = 'detect-documents';
    my $t = finish($label, 'detect-documents' => { input => $photo_id });
    my $docs = $t->{result}{documents} // [];
    is(scalar @$docs, 1, "$label: one document");
    my $doc = $docs->[0] // { vertices => [] };
    my $v = $doc->{vertices};
    is(scalar @$v, 4, "$label: four vertices");
    ok(!(grep { !defined $_ || $_ != int($_) || $_ < 0 }
         map { @$_{qw(x y)} } @$v)
       && max(map { $_->{x} } @$v) <= 1079 && max(map { $_->{y} } @$v) <= 1919,
       "$label: integer vertices in the image");
    my @x = map { $_->{x} } @$v;
    my @y = map { $_->{y} } @$v;
    is_deeply($doc->{bounding_box},
              { left => min(@x), top => min(@y),
                width => max(@x) - min(@x) + 1,
                height => max(@y) - min(@y) + 1 },
              "$label: bounding box of the vertices");

    # clockwise from the top-left, near the annotated corners
    my $gt = Test::Scandoc::Server::json_decode(
        Test::Scandoc::Server::slurp(
            "$data/photos/xlh_a4-on-dark-background.corners.json"));
    my $want = $gt->{documents}[0];
    my $worst = max(map { sqrt(($v->[$_]{x} - $want->[$_][0]) ** 2
                               + ($v->[$_]{y} - $want->[$_][1]) ** 2) } 0 .. 3);
    cmp_ok($worst / sqrt(1080 ** 2 + 1920 ** 2), '<', 0.03,
           "$label: clockwise from top-left, within 3% of the annotation");

    my $rec = $s->request(GET => "/v1/files/" . ($doc->{file_id} // 'none'));
    is($rec->{status}, 200, "$label: file_id is a File");
    my $id = check_file("$label file", $rec->{json}, $t->{id}, 'image/png');
    is($rec->{json}{name}, 'desk photo',
       "$label file: the input's name (one document: no -<k>)");
    ($doc_w, $doc_h) = warp_size($v);
    is("$id->[1]x$id->[2]", "${doc_w}x$doc_h",
       "$label file: the document warped to its edges' length");
}


# -- warp: corners given; and chained after detect-documents -------------

{
    my $label = 'warp of the photo';
    my $v = [ { x => 114, y => 228 }, { x => 1037, y => 234 },
              { x => 1051, y => 1580 }, { x => 77, y => 1559 } ];
    my $t = finish($label, warp => { input => $photo_id, vertices => $v,
                                     name => 'the page' });
    my $f = one_file($label, $t);
    my $id = check_file($label, $f, $t->{id}, 'image/png', 'the page');
    my ($w, $h) = warp_size($v);
    is("$id->[1]x$id->[2]", "${w}x$h",
       "$label: ${w}x$h, the longer of opposite edges");

    # a detect task as warp's input, posted while the detect may still be
    # pending: its document is the file warp gets
    $label = 'detect -> warp';
    my $det = $s->create_task_id(image => 'detect-documents',
                                 { input => $photo_id });
    my $q = [ { x => 10, y => 20 }, { x => 300, y => 10 },
              { x => 320, y => 400 }, { x => 5, y => 380 } ];
    my $wt = finish($label, warp => { input => $det, vertices => $q });
    my $dt = $s->wait_task($det);
    is($wt->{parameters}{input}, $det, "$label: the task is the input");
    my $wf = one_file($label, $wt);
    $id = check_file($label, $wf, $wt->{id}, 'image/png');
    ($w, $h) = warp_size($q);
    is("$id->[1]x$id->[2]", "${w}x$h", "$label: ${w}x$h");
    my $doc_file = $s->request(GET => "/v1/files/"
        . ($dt->{result}{documents}[0]{file_id} // 'none'))->{json} // {};
    is($wf->{name}, $doc_file->{name}, "$label: named after the document");

    # once the detect completed, a quadrilateral beyond its document is a
    # 422 at creation
    my $r = $s->create_task(image => warp => { input => $det, vertices => [
        { x => 0, y => 0 }, { x => $doc_w + 5, y => 0 },
        { x => $doc_w + 5, y => 50 }, { x => 0, y => 50 } ] });
    is($r->{status}, 422, "$label: vertices beyond the document: 422");
    ok($r->{json}{errors}{vertices} || grep({ /^vertices/ }
                                           keys %{ $r->{json}{errors} // {} }),
       "$label: the error is on vertices") or diag($r->{body});
}


# -- scan: detect + warp + effect ----------------------------------------

for my $c ([ scanner => qr/Gray|Bilevel/ ], [ none => qr/TrueColor/ ]) {
    my ($effect, $type) = @$c;
    my $label = "scan $effect";
    my $t = finish($label, scan => { input => $photo_id, effect => $effect,
                                     scan_mode => 'standard' });
    my $f = one_file($label, $t);
    my $id = check_file($label, $f, $t->{id}, 'image/png', 'desk photo');
    is("$id->[1]x$id->[2]", "${doc_w}x$doc_h",
       "$label: the detected document, upright");
    like($id->[3], $type, "$label: $id->[3]");
}
{
    my $label = 'scan, scan_mode none';
    my $t = finish($label, scan => { input => $page_id, effect => 'grayscale',
                                     scan_mode => 'none' });
    my $id = check_file($label, one_file($label, $t), $t->{id}, 'image/png');
    is("$id->[1]x$id->[2]", '600x776', "$label: the whole image");
}


# -- a non-image input: a PDF is a 422 at creation for every image op ----

my %bodies = (
    convert => { target_format => 'image/png' },
    'apply-effect' => { effect => 'grayscale' },
    'extract-text' => { format => 'plain' },
    'detect-documents' => {},
    warp => { vertices => [ { x => 0, y => 0 }, { x => 9, y => 0 },
                            { x => 9, y => 9 }, { x => 0, y => 9 } ] },
    scan => { effect => 'none', scan_mode => 'standard' },
);
for my $op (sort keys %bodies) {
    my $r = $s->create_task(image => $op, { input => $pdf_id, %{ $bodies{$op} } });
    is($r->{status}, 422, "$op of a PDF: 422 at creation");
    ok(exists $r->{json}{errors}{input}, "$op of a PDF: the error is on input")
        or diag($r->{body});
}


# -- a non-image input from an unfinished task: input_failed -------------

{
    # slow converts keep the helpers busy, so the merge is still waiting
    # when apply-effect names it; they are cancelled right after
    my @slow = slow_tasks($s, 4);
    my $merge = $s->create_task_id(pdf => merge => { input => [ $pdf_id ] });
    my $r = $s->create_task(image => 'apply-effect',
                            { input => $merge, effect => 'grayscale' });
    is($r->{status}, 202, 'apply-effect of an unfinished merge: accepted')
        or diag($r->{body});
    $s->request(DELETE => "/v1/tasks/$_") for @slow;
    my $m = $s->wait_task($merge);
    is($m->{status}, 'completed', 'the merge completed (a PDF)');
    if ($r->{status} == 202) {
        my $t = $s->wait_task($r->{json}{id});
        is($t->{status}, 'failed', 'apply-effect of the PDF: failed');
        is($t->{result}{details}{code}, 'input_failed',
           'apply-effect of the PDF: input_failed') or diag(enc($t->{result}));
        like($t->{result}{error} // '', qr/\S/, 'with a sentence');
        is_deeply([ $s->task_event_types($t->{id}) ],
                  [ 'task.created', 'task.failed' ], 'created, failed');
    }
}


# -- bad images of t/data/bad_outcomes.tsv through apply-effect and scan --

{
    open(my $fh, '<', "$data/bad_outcomes.tsv") or die "bad_outcomes.tsv: $!";
    my @rows;
    while (<$fh>) {
        chomp;
        next if /^\s*(#|$)/;
        my ($file, $upload, $op, $outcome, $reason) = split /\t/;
        next unless $op eq 'convert' && $upload eq '201';
        push @rows, [ $file, $outcome, $reason ];
    }
    cmp_ok(scalar @rows, '>=', 10, scalar(@rows) . ' uploadable bad images');

    my @ops = ([ 'apply-effect', { effect => 'scanner' } ],
               [ scan => { effect => 'scanner', scan_mode => 'standard' } ]);
    my @tasks;
    for my $row (@rows) {
        my ($file, $outcome) = @$row;
        my $up = $s->upload("$data/bad/$file", substr($file, 0, 50));
        is($up->{status}, 201, "$file: uploaded") or next;
        for my $o (@ops) {
            my $id = $s->create_task_id(image => $o->[0],
                                        { input => $up->{json}{id}, %{ $o->[1] } });
            push @tasks, [ $row, $o->[0], $id ];
        }
    }
    for my $task (@tasks) {
        my ($row, $op, $id) = @$task;
        my ($file, $outcome, $reason) = @$row;
        my $label = "$file, $op ($reason)";
        my $t = $s->wait_task($id);
        my $got = ($t->{status} // '') eq 'failed'
            ? "failed:" . ($t->{result}{details}{code} // '') : $t->{status} // '';
        is($got, $outcome, "$label: $outcome") or diag(enc($t->{result}));
        if ($got eq 'completed') {
            my $f = $t->{result}{generated_files}[0] // {};
            check_file("$file, $op output", $f, $id, 'image/png');
        } else {
            is_deeply($t->{result}{generated_files}, undef,
                      "$file, $op: no generated file");
        }
    }
}


is_deeply([ sort $s->worker_pids ], \@workers,
          'the nginx workers are the same processes');
unlike($s->error_log, qr/worker process \d+ exited on signal/,
       'no worker crashed');
is_deeply([ $s->staging_settled ], [], 'nothing left in storage/.staging');

done_testing();
