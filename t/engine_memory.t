# scandoc-engine under a helper memory (--memory, RLIMIT_AS) that lets a
# large image decode but not be worked on: every image operation fails
# limit_exceeded with details.limit memory, by itself and without a
# signal, where effects, warping, detection and the WebP writer used to
# answer internal (or crash: black-background dereferenced leptonica's
# NULL).  The same command with room completes.  No timing is measured.
#
# The tight limit is the engine's own start (found by bisection with
# --probe, which needs no pixels) plus a number of bytes a pixel between
# decoding (about 4.5) and what the operation takes (6 to 13).

use strict;
use warnings;

use FindBin;
use JSON::PP;
use Test::More;
use lib "$FindBin::Bin/lib";
use Test::Scandoc::Engine qw(need_engine tmp run cli outdir);

need_engine('convert');

my $json = JSON::PP->new->utf8->canonical;
my ($w, $h) = (6000, 4000);
my $n = $w * $h;
my $img = tmp() . '/big.jpg';

# a light sheet on a dark table, in colour: detection finds and warps it
my ($st) = run('convert', '-size', "${w}x$h", 'xc:navy', '-fill', 'ivory',
               '-draw', 'polygon 1000,800 5000,900 4900,3200 1100,3100',
               '-quality', '85', $img);
is($st, 0, "a ${w}x$h JPEG made") or BAIL_OUT('no test image');

# the smallest address space (1 MB steps) the engine starts and probes in
my $base;
{
    my ($lo, $hi) = (16, 1024);
    while ($hi - $lo > 1) {
        my $mid = int(($lo + $hi) / 2);
        my ($s, $out) = run(Test::Scandoc::Engine::engine(), '--memory',
                            $mid << 20, '--probe', $img);
        if ($s == 0 && $out =~ /"ok":true/) { $hi = $mid } else { $lo = $mid }
    }
    $base = $hi << 20;
    note("the engine starts in $hi MB");
}

my $vertices = $json->encode([ { x => 10, y => 10 }, { x => 5900, y => 40 },
                               { x => 5990, y => 3990 },
                               { x => 20, y => 3900 } ]);

# [ op, args, bytes a pixel beyond the start that decoding fits in and
#   the operation does not ]
my @cases = (
    [ 'convert', [ '--param', 'target_format=image/webp',
                   '--param', 'quality=80' ], 8 ],
    [ 'apply-effect', [ '--param', 'effect=scanner' ], 7.5 ],
    [ 'apply-effect', [ '--param', 'effect=black-background' ], 8 ],
    [ 'detect-documents', [], 5 ],
    [ 'warp', [ '--params', qq({"vertices":$vertices}) ], 6.7 ],
    [ 'scan', [ '--param', 'effect=scanner',
                '--param', 'scan_mode=standard' ], 5 ],
);

for my $c (@cases) {
    my ($op, $args, $bpp) = @$c;
    my $what = join ' ', $op, grep { !/^--/ } @$args;
    $what =~ s/\{.*\}/vertices/;
    my $tight = int($base + $bpp * $n);

    my $r = cli('--memory', $tight, $op, @$args, '-o', outdir(), $img);
    ok(!$r->{ok}, "$what under " . ($tight >> 20) . " MB: fails")
        or next;
    is($r->{code}, 'limit_exceeded', "$what: limit_exceeded")
        or diag($json->encode($r));
    is($r->{details}{limit}, 'memory', "$what: details.limit memory");
    unlike($r->{error} // '', qr/to decode/,
           "$what: decoding fitted, the operation did not");
    like($r->{error} // '', qr/memory/, "$what: the sentence says so");

    $r = cli('--memory', 1 << 30, $op, @$args, '-o', outdir(), $img);
    ok($r->{ok}, "$what under 1 GB: completes") or diag($json->encode($r));
}

done_testing();
