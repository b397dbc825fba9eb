# extract-text and ocr on PDFs (issue 4, extensions), through the
# scandoc-engine CLI:
#  - the text layer: the corpus files with an expected text (t/data/pdf,
#    see PROVENANCE.md) read within a small CER of it, and as pdftotext
#    reads the pdfTeX document; pages as selected, a progress line each;
#  - markdown and html structure taken from the PDF (headings from the
#    font size, bold and italic from the fonts), json filled from it;
#  - the scanned page read by OCR within the tesseract command line's CER
#    on the same page rendered at 300 dpi (run here) + 0.02, and a mixed
#    document (a text page and a scanned one) coming back whole;
#  - ocr: a searchable PDF that qpdf --check accepts, whose text
#    pdftotext reads within the baseline + 0.05, text pages kept as they
#    are; encrypted inputs with their password; limits and page range.

use strict;
use warnings;
use utf8;

use FindBin;
use File::Temp qw(tempdir);
use JSON::PP;
use Test::More;

use lib "$FindBin::Bin/lib";
use Test::Scandoc::Text qw(cer);

my $root = "$FindBin::Bin/..";
my $engine = $ENV{SCANDOC_ENGINE}
    // ($ENV{SCANDOC_BUILD} // "$root/build") . "/scandoc-engine";
my $data = "$root/t/data/pdf";

plan skip_all => "$engine is not built (make engine)" unless -x $engine;
plan skip_all => 'qpdf, mutool, pdftotext, pdfinfo and tesseract are needed'
    if grep { system("command -v $_ >/dev/null 2>&1") != 0 }
       qw(qpdf mutool pdftotext pdfinfo tesseract);

$ENV{OMP_THREAD_LIMIT} = 1;

my $json = JSON::PP->new->canonical;
my $tmp = tempdir(CLEANUP => 1);
my $runs = 0;

sub slurp {
    my ($path) = @_;
    open(my $fh, '<:encoding(UTF-8)', $path) or die "$path: $!";
    local $/;
    return scalar <$fh>;
}

# One CLI run: the decoded result line, the progress lines (stderr) and
# the output directory.
sub engine {
    my ($op, $file, %o) = @_;
    my $dir = "$tmp/out-" . ++$runs;
    my @cmd = ($engine, $op, '--params', encode_json($o{params} // {}),
               (map { ('--limit', $_) } @{ $o{limits} // [] }),
               (defined $o{password} ? ('--password', $o{password}) : ()),
               '-o', $dir, $file);
    my $pid = open(my $out, '-|') // die "fork: $!";
    if ($pid == 0) {
        open(STDERR, '>', "$tmp/err-$runs") or exit 126;
        exec(@cmd) or exit 127;
    }
    my $line = do { local $/; <$out> } // '';
    close($out);
    is($? & 127, 0, "$op $file: no signal");
    my $err = do { local $/; open(my $e, '<', "$tmp/err-$runs"); <$e> };
    my @progress = map { decode_json($_)->{progress} }
                   grep { /^\{"progress"/ } split /\n/, $err // '';
    my $r = eval { decode_json($line) }
            // { ok => 0, error => "no result line: $line" };
    return ($r, \@progress, $dir);
}

sub text_of {
    my ($file, %o) = @_;
    $o{params} = { format => 'plain', %{ $o{params} // {} } };
    my ($r, $progress) = engine('extract-text', $file, %o);
    ok($r->{ok}, "extract-text $file: ok") or diag($json->encode($r));
    return wantarray ? ($r->{result}{content} // '', $progress, $r)
                     : $r->{result}{content} // '';
}

# the text pdftotext reads; with -raw, in the order the content stream
# has it (for an OCR layer: the OCR's reading order, which the expected
# text follows, where pdftotext's own column analysis may differ)
sub pdftotext {
    my ($path, $raw) = @_;
    my $t = `pdftotext @{[ $raw ? '-raw' : '' ]} '$path' - 2>/dev/null`;
    utf8::decode($t);
    return $t;
}

# the share of the words of truth (4 letters or more) that text has
sub found {
    my ($truth, $text) = @_;
    my %have = map { $_ => 1 } $text =~ /(\w{4,})/g;
    my @want = $truth =~ /(\w{4,})/g;
    return @want ? (grep { $have{$_} } @want) / @want : 0;
}

sub qpdf_ok { system("qpdf --check '$_[0]' >/dev/null 2>&1") == 0 }

sub xml_ok {
    return 1 if system('xmllint --version >/dev/null 2>&1') != 0;
    open(my $fh, '>:encoding(UTF-8)', "$tmp/frag.xml") or die $!;
    print $fh "<root>$_[0]</root>";
    close($fh);
    return system("xmllint --noout '$tmp/frag.xml' 2>/dev/null") == 0;
}


# --- the text layer ------------------------------------------------------

{
    my $truth = slurp("$data/pysf_minimal-document.pdf.expected.txt");
    my $text = text_of("$data/pysf_minimal-document.pdf");
    cmp_ok(cer($truth, $text), '<=', 0.02, 'minimal-document: its text');

    # page markers of the expected file are not text
    $truth = join "\n", grep { !/^=== page/ }
             split /\n/, slurp("$data/qpdf_11-pages-with-labels.pdf"
                               . ".expected.txt");
    my ($labels, $progress) = text_of("$data/qpdf_11-pages-with-labels.pdf");
    is(cer($truth, $labels), 0, '11 pages: every page, in order');
    is(scalar @$progress, 11, '11 pages: a progress line per page');
    is_deeply($progress->[-1], { done => 11, total => 11 },
              '11 pages: the last progress line');

    ($labels, $progress) = text_of("$data/qpdf_11-pages-with-labels.pdf",
                                   params => { pages => '3,1,10-11' });
    is($labels, "Original page 3\n\nOriginal page 1\n\nOriginal page 10\n\n"
                . "Original page 11\n", 'pages 3,1,10-11: in that order');
    is(scalar @$progress, 4, 'pages: a progress line per selected page');

    my $arabic = text_of("$data/pysf_habibi.pdf");
    like($arabic, qr/حَبيبي habibi/, 'habibi: the Arabic and the Latin word');
    unlike($arabic, qr/\x{fffd}/, 'habibi: no replacement characters');

    like(text_of("$data/qpdf_minimal.pdf"), qr/^Potato\n\z/, 'Potato');

    my $latex = "$data/pysf_pdflatex-4-pages.pdf";
    cmp_ok(cer(pdftotext($latex), text_of($latex)), '<=', 0.02,
           'pdflatex-4-pages: the text pdftotext reads');
}

# --- structure from the PDF itself -------------------------------------

{
    my $geo = "$data/pysf_GeoTopo-komprimiert.pdf";
    my $md = text_of($geo, params => { format => 'markdown',
                                       pages => '2,10' });
    like($md, qr/^# Vorwort$/m, 'markdown: the chapter title is a heading');
    like($md, qr/^#{2,3} Danksagungen$/m, 'markdown: a section heading');
    like($md, qr/^\*\*Definition 8\*\*$/m, 'markdown: bold from the font');
    like($md, qr/Sei \*X\* eine Menge/, 'markdown: italic from the font');
    like($md, qr/^1\. \S/m, 'markdown: a numbered list');

    my $html = text_of($geo, params => { format => 'html', pages => '2,10' });
    like($html, qr{<h1>Vorwort</h1>}, 'html: the heading');
    like($html, qr{<strong>Definition 8</strong>}, 'html: bold');
    like($html, qr{<em>X</em>}, 'html: italic');
    ok(xml_ok($html), 'html: a well-formed fragment');

    my $filled = text_of("$data/qpdf_11-pages-with-labels.pdf",
        params => { format => 'json', pages => '7', schema => {
            type => 'object', properties => {
                page => { type => 'integer', description => 'Original page' }
            } } });
    is_deeply(decode_json($filled), { page => 7 },
              'json: the value after its label');
}

# --- scanned pages -------------------------------------------------------

my $linn = "$data/ocrmypdf_linn.pdf";
my $truth = slurp("$linn.expected.txt");

# the baseline: the tesseract command line on the page rendered at 300 dpi
system("mutool draw -q -r 300 -o '$tmp/linn.png' '$linn' 1 2>/dev/null");
my $cli = `tesseract '$tmp/linn.png' - -l eng 2>/dev/null`;
utf8::decode($cli);
my $base = cer($truth, $cli);
note("linn.pdf: tesseract CLI CER $base");

{
    my ($text, $progress) = text_of($linn);
    my $mine = cer($truth, $text);
    note("linn.pdf: extract-text CER $mine");
    cmp_ok($mine, '<=', $base + 0.02,
           "scanned: CER $mine within the CLI's $base + 0.02");
    is_deeply($progress, [ { done => 1, total => 1 } ],
              'scanned: progress counts pages, not OCR steps');

    # a mixed document: a text page, then the scanned one
    system('qpdf', '--empty', '--pages', "$data/pysf_minimal-document.pdf",
           $linn, '--', "$tmp/mixed.pdf") == 0 or die 'qpdf';
    my $mixed = text_of("$tmp/mixed.pdf");
    like($mixed, qr/^Lorem ipsum dolor/, 'mixed: the text page first');
    like($mixed, qr/The LinnSequencer.*32 Track MIDI/s,
         'mixed: then the scanned page');
}

# --- ocr: a searchable PDF ----------------------------------------------

{
    my ($r, $progress, $dir) = engine('ocr', $linn);
    ok($r->{ok}, 'ocr: ok') or diag($json->encode($r));
    my $out = "$dir/out-1.pdf";
    ok(qpdf_ok($out), 'ocr: qpdf --check');
    is($r->{outputs}[0]{properties}{page_count}, 1, 'ocr: one page');
    is($r->{outputs}[0]{properties}{size}, -s $out, 'ocr: its size');
    my $mine = cer($truth, pdftotext($out, 'raw'));
    note("linn.pdf: ocr, then pdftotext -raw: CER $mine");
    cmp_ok($mine, '<=', $base + 0.05,
           "ocr: pdftotext -raw reads it, CER $mine within $base + 0.05");
    my $plain = cer($truth, pdftotext($out));
    my $found = found($truth, pdftotext($out));
    note("linn.pdf: ocr, then pdftotext: $found of the words");
    cmp_ok($found, '>=', 0.95, "ocr: pdftotext finds the words ($found)");
    is(`pdfinfo '$out' | grep 'Page size'`,
       `pdfinfo '$linn' | grep 'Page size'`, 'ocr: the page size kept');

    # what a viewer shows: the page as it was (the text is invisible)
    system("mutool draw -q -r 50 -o '$tmp/a.pgm' '$linn' 1 2>/dev/null");
    system("mutool draw -q -r 50 -o '$tmp/b.pgm' '$out' 1 2>/dev/null");
    ok(-s "$tmp/a.pgm" && `cmp '$tmp/a.pgm' '$tmp/b.pgm'` eq '',
       'ocr: the page looks the same');

    # a page shown sideways: read upright, and shown upright after
    system('qpdf', '--rotate=+90', $linn, "$tmp/turned.pdf") == 0
        or die 'qpdf';
    ($r, undef, $dir) = engine('ocr', "$tmp/turned.pdf");
    ok($r->{ok}, 'ocr turned: ok') or diag($json->encode($r));
    like(`pdfinfo -l 1 '$dir/out-1.pdf'`, qr/^Page +1 rot: +0$/m,
         'ocr turned: the page shown upright');
    $mine = cer($truth, pdftotext("$dir/out-1.pdf"));
    cmp_ok($mine, '<=', $plain + 0.05,
           "ocr turned: pdftotext reads it as the upright page's output "
           . "($mine, upright $plain)");
    cmp_ok(cer($truth, pdftotext("$dir/out-1.pdf", 'raw')), '<=',
           $base + 0.05, 'ocr turned: pdftotext -raw reads it');

    ($r, undef, $dir) = engine('ocr', "$tmp/mixed.pdf");
    ok($r->{ok}, 'ocr mixed: ok') or diag($json->encode($r));
    $out = "$dir/out-1.pdf";
    ok(qpdf_ok($out), 'ocr mixed: qpdf --check');
    is(`mutool show '$out' 1 2>/dev/null` =~ /SdOcrText/ ? 1 : 0, 0,
       'ocr mixed: nothing added to the text page');
    is(`pdftotext -f 1 -l 1 '$out' - 2>/dev/null`,
       `pdftotext -f 1 -l 1 '$tmp/mixed.pdf' - 2>/dev/null`,
       'ocr mixed: the text page reads as before');
    like(`pdftotext -f 2 -l 2 '$out' - 2>/dev/null`,
         qr/LinnSequencer/, 'ocr mixed: the scanned page is searchable');

    # pages: only the selected ones are recognized
    ($r, undef, $dir) = engine('ocr', "$tmp/mixed.pdf",
                               params => { pages => '1' });
    ok($r->{ok}, 'ocr pages=1: ok');
    unlike(pdftotext("$dir/out-1.pdf"), qr/LinnSequencer/,
           'ocr pages=1: the scanned page 2 left alone');
}

# --- passwords, limits, pages ------------------------------------------

{
    my $locked = "$data/qpdf_20-pages.pdf";
    like(text_of($locked, password => 'user', params => { pages => '2' }),
         qr/^Original page 1\n\z/, 'encrypted: read with the password');

    my ($r) = engine('extract-text', $locked,
                     params => { format => 'plain' });
    is($r->{code}, 'encrypted_input', 'encrypted, no password: the code');
    ($r) = engine('ocr', $locked, password => 'nope');
    is($r->{code}, 'encrypted_input', 'ocr, wrong password: the code');

    my $dir;
    ($r, undef, $dir) = engine('ocr', $locked, password => 'user');
    ok($r->{ok}, 'ocr encrypted: ok');
    ok(qpdf_ok("$dir/out-1.pdf"), 'ocr encrypted: qpdf --check');
    like(`pdfinfo '$dir/out-1.pdf'`, qr/^Encrypted:\s+no$/m,
         'ocr encrypted: the output is not encrypted');

    ($r) = engine('extract-text', "$data/qpdf_11-pages-with-labels.pdf",
                  params => { format => 'plain' },
                  limits => [ 'max_text=20' ]);
    is($r->{code}, 'limit_exceeded', 'max_text: limit_exceeded');
    is($r->{details}{limit}, 'max_text', 'max_text: named');

    ($r) = engine('extract-text', $linn, params => { format => 'plain' },
                  limits => [ 'max_pixels=1000000' ]);
    is($r->{code}, 'limit_exceeded', 'max_pixels: the page is not drawn');
    ($r) = engine('ocr', $linn, limits => [ 'max_pixels=1000000' ]);
    is($r->{code}, 'limit_exceeded', 'max_pixels: ocr too');

    ($r) = engine('extract-text', "$data/qpdf_minimal.pdf",
                  params => { format => 'plain', pages => '2' });
    is($r->{code}, 'page_out_of_range', 'page 2 of 1: page_out_of_range');
    ($r) = engine('ocr', "$data/qpdf_minimal.pdf",
                  params => { pages => '1', format => 'plain' });
    ok(!$r->{ok} && $r->{details}{errors}{format},
       'ocr: format is not its field');
}

done_testing();
