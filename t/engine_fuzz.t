# scandoc-engine against the mutants of t/data/bad/fuzz/ (truncations,
# byte flips, header fields set to huge values, chunk and object damage;
# PROVENANCE.md there says which seed and mutation made each): every run
# ends by itself, with a valid output or a failure with the precise code.
# The same jobs then go through one --serve helper in a row, which must
# answer each of them alike and exit at EOF.  No timing is measured.

use strict;
use warnings;

use FindBin;
use JSON::PP;
use Test::More;
use lib "$FindBin::Bin/lib";
use Test::Scandoc::Engine qw(engine need_engine tmp run cli serve outdir
                             files_in identify);

my $fuzz = "$FindBin::Bin/data/bad/fuzz";

need_engine();

my $json = JSON::PP->new->utf8->canonical;
my $have_qpdf = system('sh', '-c', 'command -v qpdf >/dev/null 2>&1') == 0;

# [ file, op, { params }, expected: 'ok' or a code, { checks } ]
#   checks: page_count (probe), limit (details.limit), valid (outputs
#   pass qpdf --check: structure sound), rotation (of the output's first
#   page, by info), password
my @cases = (
    # PNG: IHDR and chunk damage
    [ 'tessjs_simple__w_max.png', 'convert',
      { target_format => 'image/png' }, 'limit_exceeded',
      { limit => 'max_pixels' } ],
    [ 'tessjs_simple__len2_huge.png', 'convert',
      { target_format => 'image/png' }, 'corrupt_input' ],
    [ 'tessjs_simple__iccp_bomb.png', 'convert',
      { target_format => 'image/png' }, 'limit_exceeded',
      { limit => 'png_metadata' } ],
    [ 'tessjs_simple__raw_badfilter.png', 'apply-effect',
      { effect => 'scanner' }, 'corrupt_input' ],
    [ 'pal__plte_short.png', 'detect-documents', {}, 'corrupt_input' ],
    [ 'int__raw_short.png', 'scan',
      { effect => 'grayscale', scan_mode => 'standard' }, 'corrupt_input' ],
    [ 'deep16__raw_flip0.png', 'convert',
      { target_format => 'image/jpeg', quality => 50 }, 'ok' ],

    # a strip within max_pixels that WebP cannot hold nor tesseract read
    [ 'gen_white-40000x20.png', 'convert',
      { target_format => 'image/webp', quality => 50 }, 'limit_exceeded',
      { limit => 'format_side' } ],
    [ 'gen_white-40000x20.png', 'extract-text', { format => 'plain' },
      'limit_exceeded', { limit => 'ocr_side' } ],
    [ 'gen_white-40000x20.png', 'convert',
      { target_format => 'image/png' }, 'ok' ],

    # JPEG: SOF and scan damage
    [ 'tessjs_simple__h_ffff.jpg', 'probe', {}, 'unsupported_file_type' ],
    [ 'tessjs_simple__sof_arith.jpg', 'convert',
      { target_format => 'image/png' }, 'ok' ],
    [ 'prog__scan_half.jpg', 'scan',
      { effect => 'scanner', scan_mode => 'standard' }, 'ok' ],
    [ 'tessjs_simple__exif_bad.jpg', 'convert',
      { target_format => 'image/webp', quality => 50 }, 'ok' ],

    # WebP: canvas and RIFF sizes
    [ 'lossless__vp8l_wh_max.webp', 'convert',
      { target_format => 'image/png' }, 'limit_exceeded',
      { limit => 'max_pixels' } ],
    [ 'tessjs_simple__riff_huge.webp', 'extract-text',
      { format => 'plain' }, 'corrupt_input' ],
    [ 'alpha__vp8x_flags_anim.webp', 'apply-effect',
      { effect => 'grayscale' }, 'corrupt_input' ],

    # PDF: a /Count that lies is replaced by the pages really there
    [ 'qpdf_minimal__count_2147483647.pdf', 'probe', {}, 'ok',
      { page_count => 1 } ],
    [ 'qpdf_minimal__count_0.pdf', 'probe', {}, 'ok', { page_count => 1 } ],
    [ 'qpdf_11-pages-with-labels__count_99999999.pdf', 'probe', {}, 'ok',
      { page_count => 11 } ],
    [ 'qpdf_11-pages-with-labels__count_99999999.pdf', 'render',
      { dpi => 72, pages => '11' }, 'ok' ],
    [ 'qpdf_minimal__count_2147483647.pdf', 'info', {}, 'ok' ],

    # PDF: loops, repeats and odd generations do not reach the output
    [ 'qpdf_pages-loop__kids_self.pdf', 'compress', {}, 'ok',
      { valid => 1 } ],
    [ 'qpdf_pages-loop__kids_self.pdf', 'rotate', { angle => 90 }, 'ok',
      { valid => 1 } ],
    [ 'qpdf_minimal__kids_self.pdf', 'rotate', { angle => 180 }, 'ok',
      { valid => 1 } ],
    [ 'qpdf_minimal__gen_huge.pdf', 'rotate', { angle => 90 }, 'ok',
      { valid => 1 } ],
    [ 'qpdf_minimal__gen_huge.pdf', 'ocr', { pages => '1' }, 'ok',
      { valid => 1 } ],

    # PDF: /Rotate 2147483647 plus 90 overflowed into /Rotate 284
    [ 'qpdf_minimal__rotate_huge.pdf', 'rotate', { angle => 90 }, 'ok',
      { valid => 1, rotation => 180 } ],

    # PDF: compress of a repaired input is not the damaged input's bytes
    [ 'pdfjs_issue21579__trunc348.pdf', 'compress', {}, 'ok',
      { valid => 1, password => "p\x{e4}ssw\x{f6}rt" } ],

    # PDF: mupdf's renumbering lost the catalog of this repaired input;
    # the unreadable output is caught instead of delivered
    [ 'pdfjs_bug1782186__ff256_2530.pdf', 'compress', {}, 'corrupt_input',
      { password => 'Hello' } ],

    # PDF: damage found only while saving is the input's fault
    [ 'pdfjs_empty_protected__flip2_2.pdf', 'rotate', { angle => 90 },
      'corrupt_input' ],

    # PDF: a banner-sized page is a limit of recognition
    [ 'pdfjs_GHOSTSCRIPT-698804-1-fuzzed__mediabox_wide.pdf', 'ocr',
      { pages => '1' }, 'limit_exceeded', { limit => 'ocr_side' } ],

    # PDF: other damage, each a clean answer
    [ 'qpdf_minimal__mediabox_huge.pdf', 'render', { dpi => 72 },
      'limit_exceeded', { limit => 'max_pixels' } ],
    [ 'imgs__img_wh_huge.pdf', 'render', { dpi => 72 }, 'corrupt_input' ],
    [ 'imgs__predictor.pdf', 'render', { dpi => 72 }, 'corrupt_input' ],
    [ 'imgs__img_bpc.pdf', 'extract-text', { format => 'plain' },
      'corrupt_input' ],
    [ 'imgs__smask_self.pdf', 'split', {}, 'ok' ],
    [ 'objstm__objstm_n_huge.pdf', 'probe', {}, 'unsupported_file_type' ],
    [ 'qpdf_minimal__incremental_bad.pdf', 'probe', {},
      'unsupported_file_type' ],
    [ 'qpdf_minimal__startxref_99999999999.pdf', 'extract-pages',
      { pages => '1,1' }, 'ok', { valid => 1 } ],
    [ 'qpdf_minimal__annots_bad.pdf', 'merge', {}, 'ok' ],
);

# every file of the folder has a case, every case a file
{
    my %used = map { $_->[0] => 1 } @cases;
    for my $f (sort grep { !/\.(md|pl)$/ } files_in($fuzz)) {
        ok($used{$f}, "$f has a case");
    }
    for my $f (sort keys %used) {
        ok(-f "$fuzz/$f", "$f exists") and cmp_ok(-s "$fuzz/$f", '<',
                                                  50 * 1024, "$f is small");
    }
}

sub cli_args {
    my ($file, $op, $params, $checks, $out) = @_;
    return ('--probe', "$fuzz/$file") if $op eq 'probe';
    my @a = ($op);
    for my $k (sort keys %$params) {
        push @a, '--param', "$k=$params->{$k}";
    }
    if (defined $checks->{password}) {
        my $pw = $checks->{password};
        utf8::encode($pw);
        push @a, '--password', $pw;
    }
    return (@a, '-o', $out, "$fuzz/$file");
}

sub check_result {
    my ($what, $r, $want, $checks) = @_;

    if ($want ne 'ok') {
        ok(!$r->{ok}, "$what: fails") or return;
        is($r->{code}, $want, "$what: $want") or diag($json->encode($r));
        is($r->{details}{limit}, $checks->{limit}, "$what: limit")
            if $checks->{limit};
        return;
    }

    ok($r->{ok}, "$what: succeeds") or diag($json->encode($r)), return;

    if (defined $checks->{page_count}) {
        is($r->{result}{properties}{page_count}, $checks->{page_count},
           "$what: page_count");
    }

    for my $o (@{ $r->{outputs} // [] }) {
        my $p = $o->{path};
        ok(-s $p, "$what: output written") or next;
        is(-s $p, $o->{properties}{size}, "$what: output size");

        if ($o->{type} eq 'application/pdf') {
            my $probe = cli('--probe', $p);
            ok($probe->{ok}, "$what: output probes")
                or diag($json->encode($probe));
            is($probe->{result}{properties}{page_count},
               $o->{properties}{page_count}, "$what: output page_count");

            if (defined $checks->{rotation}) {
                my $info = cli('info', '-o', outdir(), $p);
                is($info->{result}{pages}[0]{rotation}, $checks->{rotation},
                   "$what: output rotation");
            }

            if ($checks->{valid} && $have_qpdf) {
                my ($st, $qout, $qerr) = run('qpdf', '--check', $p);
                $qout .= $qerr;
                # 0: clean, 3: warnings only
                ok($st >> 8 == 0 || $st >> 8 == 3,
                   "$what: qpdf --check") or diag($qout);
                unlike($qout, qr/loop detected|unable to find/i,
                       "$what: page tree and root sound");
            }

        } else {
            my $probe = cli('--probe', $p);
            ok($probe->{ok}, "$what: output probes")
                or diag($json->encode($probe));
            is($probe->{result}{type}, $o->{type}, "$what: output type");
            is($probe->{result}{properties}{width}, $o->{properties}{width},
               "$what: output width");
        }
    }
}

# one-shot CLI, the way tests and operators call it
for my $c (@cases) {
    my ($file, $op, $params, $want, $checks) = @$c;
    $checks //= {};
    my $what = "$op $file";
    my $r = cli(cli_args($file, $op, $params, $checks, outdir()));
    check_result($what, $r, $want, $checks);
}

# a helper memory too small for tesseract (scandoc_helper_memory 150m;
# the engine starts in about 110 MB): recognition fails limit_exceeded,
# where loading the model or reading the page used to abort() on
# std::bad_alloc or crash on a NULL inside tesseract
{
    my $file = 'deep16__raw_flip0.png';
    my $r = cli('--memory', 150 << 20, 'extract-text', '--param',
                'format=plain', '-o', outdir(), "$fuzz/$file");
    check_result("extract-text $file under 150 MB", $r, 'limit_exceeded',
                 { limit => 'memory' });
}

# the same jobs through one helper, as the module sends them
{
    my (@jobs, @want);
    my $id = 'file_fuzz000000000000';

    for my $c (@cases) {
        my ($file, $op, $params, $want, $checks) = @$c;
        $checks //= {};
        next if $op eq 'probe';

        my $probe = cli('--probe', "$fuzz/$file");
        next unless $probe->{ok};

        push @jobs, {
            op => $op,
            params => { %$params, input => $op eq 'merge' ? [ $id ] : $id },
            inputs => [ { path => "$fuzz/$file",
                          type => $probe->{result}{type} } ],
            staging => outdir(),
            limits => {},
            (defined $checks->{password}
                ? (password => $checks->{password}) : ()),
        };
        push @want, [ "--serve $op $file", $want, $checks ];
    }

    my $sv = serve(\@jobs, args => [ '--memory', 2 << 30 ]);
    is($sv->{status}, 0, '--serve: ran every fuzz job and exited at EOF');
    is(scalar(@{ $sv->{results} }), scalar(@jobs),
       '--serve: one result line per job');

    for my $i (0 .. $#want) {
        my ($what, $want, $checks) = @{ $want[$i] };
        my $r = $sv->{results}[$i] or last;
        if ($want eq 'ok') {
            ok($r->{ok}, "$what: succeeds") or diag($json->encode($r));
        } else {
            is($r->{code}, $want, "$what: $want") or diag($json->encode($r));
        }
    }
}

done_testing();
