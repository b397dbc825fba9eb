# detect-documents, warp and scan in scandoc-engine, through its CLI and
# --serve, with their accuracy measured in the same run.
#
# Synthetic cases (60, the same ones on every run): srand(20261128), then
# for case i the page t/data/pages/<i mod 6> is scaled to fill 40-85% of
# a 1000x1300 canvas (1300x1000 for landscape pages), rotated by up to
# 30 degrees, each corner moved by up to 7% of the page's size (random
# perspective), kept 2% inside the canvas, and drawn with ImageMagick
# (+distort Perspective, the corners are the ground truth) onto one of
# five darker, textured backgrounds (made once, from fixed seeds, each
# case a crop of one): brown plasma, grey fabric noise, blue-grey plasma,
# streaked "wood grain", and a light grey plasma only a little darker
# than the paper.  A third of the cases get a vignette, a third a linear
# shadow across the whole scene at a random angle (uneven light); all get
# sensor noise and are saved as JPEG (quality 88).  A case passes when
# the worst of its four corners is within 2% of the canvas diagonal; at
# least 90% must pass.
#
# Real photos (t/data/photos, see PROVENANCE.md): the worst corner must
# be within 3% of the diagonal on each, except the two open books, which
# are reported (diag) but not judged.

use strict;
use warnings;

use FindBin;
use JSON::PP;
use List::Util qw(max min);
use Test::More;
use lib "$FindBin::Bin/lib";
use Test::Scandoc::Engine qw(need_engine tmp run cli serve outdir files_in
                             identify image_size);

my $root = "$FindBin::Bin/..";
my $pages = "$root/t/data/pages";
my $photos = "$root/t/data/photos";
my $bad = "$root/t/data/bad";

need_engine(qw(convert identify));

my $json = JSON::PP->new->utf8->canonical;
my $tmp = tmp();

sub corners_of {
    my ($doc) = @_;
    return [ map { [ $_->{x}, $_->{y} ] } @{ $doc->{vertices} } ];
}

sub worst_error {
    my ($got, $want) = @_;
    return max(map { sqrt(($got->[$_][0] - $want->[$_][0]) ** 2
                          + ($got->[$_][1] - $want->[$_][1]) ** 2) } 0 .. 3);
}

# warp's output size for integer corners (API.md): the longer of each
# pair of opposite edges
sub warp_size {
    my ($c) = @_;
    my $d = sub { sqrt(($c->[$_[0]][0] - $c->[$_[1]][0]) ** 2
                       + ($c->[$_[0]][1] - $c->[$_[1]][1]) ** 2) };
    my $w = max($d->(0, 1), $d->(3, 2));
    my $h = max($d->(0, 3), $d->(1, 2));
    return (int($w + 0.5), int($h + 0.5));
}

# A detect-documents result: well formed, its output the right size.
sub check_documents {
    my ($r, $w, $h, $name) = @_;
    my $docs = $r->{result}{documents};
    return 0 unless ok(ref $docs eq 'ARRAY', "$name: documents");
    for my $doc (@$docs) {
        my $c = corners_of($doc);
        my @x = map { $_->[0] } @$c;
        my @y = map { $_->[1] } @$c;
        ok(!(grep { $_ != int($_) || $_ < 0 } @x, @y)
           && max(@x) <= $w - 1 && max(@y) <= $h - 1,
           "$name: integer vertices within the image");
        is_deeply($doc->{bounding_box},
                  { left => min(@x), top => min(@y),
                    width => max(@x) - min(@x) + 1,
                    height => max(@y) - min(@y) + 1 },
                  "$name: bounding box");
        my $out = $r->{outputs}[ $doc->{output} ];
        my $id = identify($out->{path});
        my ($ww, $wh) = warp_size($c);
        is_deeply([ $id->[0], $id->[1], $id->[2] ], [ 'PNG', $ww, $wh ],
                  "$name: output is the warped document");
        is_deeply([ @{ $out->{properties} }{qw(width height size)} ],
                  [ $ww, $wh, -s $out->{path} ], "$name: properties");
    }
    return 1;
}


# -- synthetic pages on textured backgrounds -----------------------------

my @page_files = sort glob("$pages/*.png");

# 1400x1400, made once; each case takes a crop of one
my @backgrounds = (
    [ 'plasma:#4a3020-#2a1a10', '-blur', '0x1.5' ],
    [ 'xc:#383838', '-attenuate', '0.8', '+noise', 'Gaussian', '-blur',
      '0x1' ],
    [ 'plasma:#283850-#506070', '-blur', '0x1' ],
    [ '-size', '1400x60', 'xc:gray50', '+noise', 'Random', '-blur', '0x1',
      '-scale', '1400x1400!', '-auto-level', '+level-colors',
      '#3a2414,#8a6444' ],
    [ 'plasma:#b4b4ac-#8c8c88', '-blur', '0x2', '-modulate', '100,15' ],
);

for my $k (0 .. $#backgrounds) {
    system('convert', '-seed', 100 + $k, '-size', '1400x1400',
           @{ $backgrounds[$k] }, "$tmp/bg-$k.png") == 0
        or die "background $k: $?";
}

sub make_case {
    my ($i) = @_;
    my $page = $page_files[ $i % @page_files ];
    my ($pw, $ph) = image_size($page);
    my ($cw, $ch) = $pw > $ph ? (1300, 1000) : (1000, 1300);
    my ($corners, $ok);

    for my $try (1 .. 100) {
        my $s = (0.4 + rand(0.45)) * min($cw / $pw, $ch / $ph);
        my ($w, $h) = ($pw * $s, $ph * $s);
        my $a = (rand(60) - 30) * 3.14159265 / 180;
        my ($cx, $cy) = ($cw / 2 + (rand(0.1) - 0.05) * $cw,
                         $ch / 2 + (rand(0.1) - 0.05) * $ch);
        $corners = [];
        for my $p ([-1, -1], [1, -1], [1, 1], [-1, 1]) {
            my ($x, $y) = ($p->[0] * $w / 2, $p->[1] * $h / 2);
            $x += (rand(0.14) - 0.07) * $w;
            $y += (rand(0.14) - 0.07) * $h;
            push @$corners, [ $cx + $x * cos($a) - $y * sin($a),
                              $cy + $x * sin($a) + $y * cos($a) ];
        }
        $ok = !grep { $_->[0] < 0.02 * $cw || $_->[0] > 0.98 * $cw
                      || $_->[1] < 0.02 * $ch || $_->[1] > 0.98 * $ch }
                    @$corners;
        last if $ok;
    }
    die "case $i: no placement" unless $ok;

    my @src = ([0, 0], [$pw, 0], [$pw, $ph], [0, $ph]);
    my $args = join ' ', map { sprintf '%d,%d %.2f,%.2f', @{ $src[$_] },
                                       @{ $corners->[$_] } } 0 .. 3;
    my $seed = 1000 + $i;
    my $bg = sprintf '%s/bg-%d.png[%dx%d+%d+%d]', $tmp, $i % @backgrounds,
                     $cw, $ch, rand(1400 - $cw), rand(1400 - $ch);
    my $file = "$tmp/case-$i.jpg";

    my @cmd = ('convert', '-seed', $seed, $bg, '+repage',
               '(', $page, '-alpha', 'set', '-virtual-pixel', 'transparent',
               '+distort', 'Perspective', $args, ')',
               '-background', 'none', '-layers', 'flatten');
    push @cmd, '(', '-size', "${cw}x$ch", 'radial-gradient:white-gray55',
               ')', '-compose', 'multiply', '-composite'
        if $i % 3 == 1;
    push @cmd, '(', '-size', '1700x1700', 'gradient:white-gray45', '-rotate',
               int(rand(360)), '+repage', '-gravity', 'center', '-crop',
               "${cw}x$ch+0+0", '+repage', ')', '-compose', 'multiply',
               '-composite'
        if $i % 3 == 2;
    push @cmd, '-alpha', 'off', '-attenuate', '0.3', '+noise', 'Gaussian',
               '-quality', '88', $file;
    system(@cmd) == 0 or die "case $i: @cmd: $?";

    # ImageMagick's corners are pixel edges, the API's pixel centres
    return ($file, [ map { [ $_->[0] - 0.5, $_->[1] - 0.5 ] } @$corners ],
            $cw, $ch);
}

{
    srand(20261128);
    my ($cases, $pass, @worst) = (60, 0);

    for my $i (0 .. $cases - 1) {
        my ($file, $want, $w, $h) = make_case($i);
        my $r = cli('detect-documents', '-o', outdir(), $file);
        my $docs = $r->{result}{documents} // [];
        my $err = @$docs ? worst_error(corners_of($docs->[0]), $want)
                           / sqrt($w * $w + $h * $h)
                         : 1;
        push @worst, $err;
        $pass++ if @$docs == 1 && $err < 0.02;
        check_documents($r, $w, $h, "case $i") if $i < 6;
        diag(sprintf 'case %d (%s): worst corner %.2f%% of the diagonal',
             $i, $page_files[ $i % @page_files ] =~ s{.*/}{}r, 100 * $err)
            if $err >= 0.02 || $ENV{TEST_VERBOSE};
    }

    my @sorted = sort { $a <=> $b } @worst;
    diag(sprintf 'synthetic: %d/%d within 2%%; median worst corner %.2f%%',
         $pass, $cases, 100 * $sorted[ $cases / 2 ]);
    cmp_ok($pass, '>=', 0.9 * $cases,
           'synthetic: worst corner under 2% of the diagonal on 90%');
}


# -- real photos ---------------------------------------------------------

my %books = map { $_ => 1 } qw(xlh_book xlh_with-graphics);

for my $photo (sort glob("$photos/*.webp")) {
    my $name = $photo =~ s{.*/}{}r =~ s{\.webp$}{}r;
    my $gt = decode_json(do {
        local (@ARGV, $/) = ("$photos/$name.corners.json"); <> });
    my ($w, $h) = @$gt{qw(width height)};
    my $r = cli('detect-documents', '-o', outdir(), $photo);
    my $docs = $r->{result}{documents} // [];
    my $err = @$docs ? worst_error(corners_of($docs->[0]), $gt->{documents}[0])
                       / sqrt($w * $w + $h * $h)
                     : 1;

    diag(sprintf '%s: worst corner %.2f%% of the diagonal%s', $name,
         100 * $err, $books{$name} ? ' (open book, not judged)' : '');
    check_documents($r, $w, $h, $name);

    next if $books{$name};
    is(scalar @$docs, 1, "$name: one document");
    cmp_ok($err, '<', 0.03, "$name: worst corner under 3% of the diagonal");
}


# -- a page cut by the photo's edge --------------------------------------

{
    # a4-on-dark-background without its top 400 rows: the page's top is
    # cut, its top corners are where its sides meet the image's edge
    my $gt = decode_json(do {
        local (@ARGV, $/) = ("$photos/xlh_a4-on-dark-background.corners.json");
        <> })->{documents}[0];
    my @c = map { [ $_->[0], $_->[1] - 400 ] } @$gt;
    my $at_top = sub {
        my ($p, $q) = @_;
        my $t = -$p->[1] / ($q->[1] - $p->[1]);
        return [ $p->[0] + ($q->[0] - $p->[0]) * $t, 0 ];
    };
    my $want = [ $at_top->($c[0], $c[3]), $at_top->($c[1], $c[2]), @c[2, 3] ];
    my $cut = "$tmp/cut.png";
    system('convert', "$photos/xlh_a4-on-dark-background.webp", '-crop',
           '1080x1500+0+400', '+repage', $cut) == 0 or die "convert: $?";
    my $r = cli('detect-documents', '-o', outdir(), $cut);
    my $doc = $r->{result}{documents}[0] // { vertices => [] };
    my $diag = sqrt(1080 ** 2 + 1500 ** 2);
    my $err = @{ $doc->{vertices} }
              ? worst_error(corners_of($doc), $want) / $diag : 1;
    diag(sprintf 'page cut at the top: worst corner %.2f%%', 100 * $err);
    cmp_ok($err, '<', 0.02, 'page cut at the top: its side is the edge');
}


# -- the whole image, or nothing ----------------------------------------

{
    my $page = "$pages/pdflatex.png";
    my ($w, $h) = image_size($page);
    my $r = cli('detect-documents', '-o', outdir(), $page);
    is_deeply(corners_of($r->{result}{documents}[0] // { vertices => [] }),
              [ [0, 0], [$w - 1, 0], [$w - 1, $h - 1], [0, $h - 1] ],
              'a page by itself is the whole image');
    check_documents($r, $w, $h, 'page by itself');

    my $empty = "$tmp/empty.png";
    system('convert', '-seed', '7', '-size', '800x600',
           'plasma:#202020-#404040', '-blur', '0x2', $empty) == 0
        or die "convert: $?";
    $r = cli('detect-documents', '-o', "$tmp/empty-out", $empty);
    ok($r->{ok}, 'no document: completed');
    is_deeply($r->{result}{documents}, [], 'no document: documents []');
    is_deeply([ files_in("$tmp/empty-out") ], [],
              'no document: no output file');
}


# -- warp and scan -------------------------------------------------------

{
    my $photo = "$photos/xlh_a4-on-dark-background.webp";
    my $v = [ { x => 114, y => 228 }, { x => 1037, y => 234 },
              { x => 1051, y => 1580 }, { x => 77, y => 1559 } ];
    my $r = cli('warp', '--param', 'vertices=' . $json->encode($v), '-o',
                outdir(), $photo);
    my ($ww, $wh) = warp_size([ map { [ $_->{x}, $_->{y} ] } @$v ]);
    ok($r->{ok}, 'warp: completed') or diag($r->{error});
    my $out = $r->{outputs}[0];
    is_deeply(identify($out->{path}), [ 'PNG', $ww, $wh, 'TrueColor' ],
              "warp: a ${ww}x$wh colour PNG");
    is_deeply([ @{ $out->{properties} }{qw(width height size)} ],
              [ $ww, $wh, -s $out->{path} ], 'warp: properties');

    # the corners of the page are paper, the image around it was desk
    my ($status, $px) = run('convert', $out->{path}, '-crop',
                            '20x20+10+10', '-format', '%[fx:mean]', 'info:');
    cmp_ok($px, '>', 0.6, 'warp: the output starts on the paper');

    # a vertex beyond a task output's size fails the job
    $r = cli('warp', '--param', 'vertices=' . $json->encode(
                 [ { x => 0, y => 0 }, { x => 1080, y => 0 },
                   { x => 1079, y => 1919 }, { x => 0, y => 1919 } ]),
             '-o', outdir(), $photo);
    ok(!$r->{ok}, 'warp: a vertex outside the image fails');

    # the whole image: warp is the identity, at the API's size
    my $page = "$pages/labels.png";
    my ($w, $h) = image_size($page);
    $r = cli('warp', '--param', 'vertices=' . $json->encode(
                 [ { x => 0, y => 0 }, { x => $w - 1, y => 0 },
                   { x => $w - 1, y => $h - 1 }, { x => 0, y => $h - 1 } ]),
             '-o', outdir(), $page);
    is_deeply([ @{ identify($r->{outputs}[0]{path}) // [] }[0 .. 2] ],
              [ 'PNG', $w - 1, $h - 1 ], 'warp of the whole image');

    # scan: detect + warp + effect gives what detect's output has
    my $d = cli('detect-documents', '-o', outdir(), $photo);
    my ($dw, $dh) = warp_size(corners_of($d->{result}{documents}[0]));

    for my $effect (qw(none grayscale scanner black-background)) {
        $r = cli('scan', '--param', "effect=$effect", '--param',
                 'scan_mode=standard', '-o', outdir(), $photo);
        ok($r->{ok}, "scan $effect: completed") or diag($r->{error});
        my $id = identify($r->{outputs}[0]{path}) // [];
        is_deeply([ @$id[0 .. 2] ], [ 'PNG', $dw, $dh ],
                  "scan $effect: the detected page, upright");
        like($id->[3], $effect =~ /none|black/ ? qr/TrueColor/
                                               : qr/Grayscale/,
             "scan $effect: $id->[3]");
    }

    # scan_mode none: the whole image with the effect
    $r = cli('scan', '--param', 'effect=grayscale', '--param',
             'scan_mode=none', '-o', outdir(), $photo);
    is_deeply([ @{ identify($r->{outputs}[0]{path}) // [] }[0 .. 2] ],
              [ 'PNG', 1080, 1920 ], 'scan_mode none: the whole image');

    # a scan with no document takes the whole image
    $r = cli('scan', '--param', 'effect=none', '--param',
             'scan_mode=standard', '-o', outdir(), "$tmp/empty.png");
    is_deeply([ @{ identify($r->{outputs}[0]{path}) // [] }[0 .. 2] ],
              [ 'PNG', 800, 600 ], 'scan without a document: the image');
}


# -- --serve: the same jobs through one helper ---------------------------

{
    my $photo = "$photos/xlh_card-on-dark-background.webp";
    my $id = 'file_cli0000000000000';   # the shape the validator wants
    my @jobs = (
        { op => 'detect-documents', params => { input => $id } },
        { op => 'warp', params => { input => $id, vertices => [
              { x => 85, y => 372 }, { x => 994, y => 379 },
              { x => 996, y => 952 }, { x => 78, y => 945 } ] } },
        { op => 'scan', params => { input => $id, effect => 'scanner',
                                    scan_mode => 'standard' } },
        { op => 'detect-documents', params => { input => $id },
          limits => { max_pixels => 1000 } },
    );
    for my $k (0 .. $#jobs) {
        $jobs[$k]{inputs} = [ { path => $photo, type => 'image/webp' } ];
        $jobs[$k]{staging} = "$tmp/serve-$k";
    }

    my $sv = serve(\@jobs);
    is($sv->{status}, 0, '--serve: ends by itself');
    my @lines = @{ $sv->{results} };
    is(scalar @lines, 4, '--serve: one answer per job');
    is($lines[0]{result}{documents}[0]{output}, 0,
       '--serve detect: documents[0].output');
    ok($lines[1]{ok} && $lines[2]{ok}, '--serve: warp and scan completed');
    is($lines[3]{code}, 'limit_exceeded',
       '--serve: over max_pixels, limit_exceeded');
    ok(!-e "$tmp/serve-3/out-1.png", '--serve: no output after a failure');
}


# -- bad images: as t/data/bad_outcomes.tsv says, for every operation -----

{
    open(my $fh, '<', "$root/t/data/bad_outcomes.tsv") or die "tsv: $!";
    <$fh>;
    my $v = $json->encode([ { x => 0, y => 0 }, { x => 1, y => 0 },
                            { x => 1, y => 1 }, { x => 0, y => 1 } ]);
    my @ops = ([ 'detect-documents' ],
               [ 'apply-effect', '--param', 'effect=scanner' ],
               [ 'warp', '--param', "vertices=$v" ],
               [ 'scan', '--param', 'effect=scanner', '--param',
                 'scan_mode=standard' ]);

    # under 2x2 pixels, no 4 vertices are strictly convex
    my $tiny = sub {
        my $p = cli('--probe', $_[0])->{result}{properties} // {};
        return ($p->{width} // 2) < 2 || ($p->{height} // 2) < 2;
    };

    while (my $row = <$fh>) {
        chomp $row;
        my ($file, $upload, $op, $outcome) = split /\t/, $row;
        next unless $op eq 'convert';
        my ($want) = $outcome =~ /^failed:(\w+)/;

        for my $o (@ops) {
            my $dir = outdir();
            my $r = cli(@$o, '-o', $dir, "$bad/$file");
            if ($want) {
                is($r->{code}, $want, "$file, $o->[0]: $want");
                is_deeply([ files_in($dir) ], [],
                          "$file, $o->[0]: no output left");
            } elsif ($o->[0] eq 'warp' && $tiny->("$bad/$file")) {
                is($r->{code}, 'input_failed',
                   "$file, warp: a vertex outside a tiny image");
            } else {
                ok($r->{ok}, "$file, $o->[0]: completed")
                    or diag($r->{error});
            }
        }
    }
}

done_testing();
