# The PDF operations of scandoc-engine (split, extract-pages, render,
# rotate, compress, info) run through --serve, one job at a time, and
# their outputs checked with tools that share no code with the engine:
# qpdf --check and --show-npages, mutool draw -F txt for the text of each
# page, mutool draw -r for the pixel size of a rendered page, pdfinfo for
# rotations, identify for PNGs.  Every encrypted file of t/data/pdf with
# its password, every PDF of t/data/bad through split and render.

use strict;
use warnings;

use FindBin;
use File::Temp qw(tempdir);
use JSON::PP;
use Test::More;

my $root = "$FindBin::Bin/..";
my $engine = $ENV{SCANDOC_ENGINE}
    // ($ENV{SCANDOC_BUILD} // "$root/build") . "/scandoc-engine";
my $data = "$root/t/data/pdf";
my $bad = "$root/t/data/bad";

plan skip_all => "$engine is not built (make engine)" unless -x $engine;
plan skip_all => 'qpdf, mutool, pdfinfo and identify are needed'
    if grep { system("command -v $_ >/dev/null 2>&1") != 0 }
       qw(qpdf mutool pdfinfo identify);

my $json = JSON::PP->new->utf8->canonical;
my $tmp = tempdir(CLEANUP => 1);
my $jobs = 0;

# Runs jobs (hashes: op, params, inputs as paths, password, limits) in one
# helper; returns, per job, its result line with the progress lines that
# came before it in {progress}.  The helper must end by itself.
sub serve {
    my (@list) = @_;
    my @lines;
    for my $j (@list) {
        my $staging = "$tmp/job-" . ++$jobs;
        push @lines, $json->encode({
            op => $j->{op}, staging => $staging,
            params => { input => 'file_aaaaaaaaaaaaaaaa',
                        %{ $j->{params} // {} } },
            inputs => [ map { { path => $_, type => 'application/pdf' } }
                        @{ $j->{inputs} } ],
            password => $j->{password}, limits => $j->{limits} // {} });
        $j->{staging} = $staging;
    }
    open(my $fh, '>', "$tmp/jobs") or die $!;
    print $fh "$_\n" for @lines;
    close($fh);

    my $out = `OMP_THREAD_LIMIT=1 '$engine' --serve --memory 2147483648 \\
               <'$tmp/jobs' 2>/dev/null`;
    is($? & 127, 0, 'the helper ends without a signal');

    my (@results, @progress);
    for (split /\n/, $out) {
        my $r = decode_json($_);
        if ($r->{progress}) {
            push @progress, $r->{progress};
            next;
        }
        $r->{progress} = [ @progress ];
        $r->{staging} = $list[@results]{staging};
        @progress = ();
        push @results, $r;
    }
    is(scalar @results, scalar @list, 'one result line per job');
    return wantarray ? @results : $results[0];
}

sub run1 {
    my ($op, $file, %o) = @_;
    return scalar serve({ op => $op, inputs => [ "$data/$file" ], %o });
}

sub files_in {
    my ($dir) = @_;
    opendir(my $d, $dir) or return ();
    return grep { !/^\./ } readdir($d);
}

sub qpdf_check {
    my ($path, $password) = @_;
    my $pw = defined $password ? "--password='$password'" : '';
    my $out = `qpdf $pw --check '$path' 2>&1`;
    return $? >> 8;
}

sub npages {
    my ($path, $password) = @_;
    my $pw = defined $password ? "--password='$password'" : '';
    chomp(my $n = `qpdf $pw --show-npages '$path' 2>/dev/null`);
    return $n;
}

# The text of every page (mutool's stext, one string per page).
sub page_texts {
    my ($path, $password) = @_;
    my $pw = defined $password ? "-p '$password'" : '';
    my $t = `mutool draw $pw -F txt -o - '$path' 2>/dev/null`;
    my @pages = split /\f\n/, $t, -1;
    pop @pages;
    return @pages;
}

sub outputs { return @{ $_[0]{outputs} // [] } }

sub paths { return map { $_->{path} } outputs($_[0]) }

sub ok_result {
    my ($r, $what) = @_;
    ok($r->{ok}, $what) or diag($json->encode($r));
    return $r->{ok};
}

# split: one valid single-page PDF per page, named after the page, with
# the text of that page and its fonts; progress per page
{
    my $in = "$data/pysf_pdflatex-4-pages.pdf";
    my $r = run1(split => 'pysf_pdflatex-4-pages.pdf');
    if (ok_result($r, 'split of 4 pages')) {
        my @src = page_texts($in);
        my @o = outputs($r);
        is(scalar @o, 4, 'split: 4 outputs');
        is_deeply([ map { $_->{suffix} } @o ], [ 1 .. 4 ],
                  'split: suffixes are the page numbers');
        is_deeply($r->{progress}[-1], { done => 4, total => 4 },
                  'split: progress up to 4 of 4');
        is(scalar @{ $r->{progress} }, 4, 'split: a progress line a page');
        for my $k (0 .. 3) {
            my $p = $o[$k]{path};
            is(qpdf_check($p), 0, "split page $k: qpdf --check");
            is(npages($p), 1, "split page $k: one page");
            is($o[$k]{properties}{page_count}, 1, "split page $k: page_count");
            is($o[$k]{properties}{size}, -s $p, "split page $k: size");
            is((page_texts($p))[0], $src[$k], "split page $k: same text");
            my $qdf = `qpdf --qdf --object-streams=disable '$p' - 2>/dev/null`;
            like($qdf, qr{/FontFile}, "split page $k: embedded fonts");
        }
    }
}

# split of a large document: text page by page, resources per page only
# (the outputs together stay within a small factor of the input), links
# to other pages dropped, others kept
{
    my $in = "$data/pysf_GeoTopo-komprimiert.pdf";
    my $r = run1(split => 'pysf_GeoTopo-komprimiert.pdf');
    if (ok_result($r, 'split of 117 pages')) {
        my @o = paths($r);
        is(scalar @o, 117, 'split: 117 outputs');
        my @bad = grep { qpdf_check($_) != 0 } @o;
        is("@bad", '', 'split: qpdf --check passes on every output');
        my @src = page_texts($in);
        my @diff = grep { (page_texts($o[$_]))[0] ne $src[$_] } 0 .. $#o;
        is("@diff", '', 'split: every page keeps its text');
        my $total = 0;
        $total += -s $_ for @o;
        my $factor = $total / -s $in;
        cmp_ok($factor, '<', 8, 'split: the outputs are within 8 times the '
               . 'input (qpdf and mutool reach 6.3)');
        diag(sprintf('split of 117 pages: %.2f times the input', $factor));
    }
}

# split of a document whose pages share one resource dictionary
# (LibreOffice): each page keeps only the fonts its text uses
{
    my $in = "$data/ocrmypdf_tagged.pdf";
    my $r = run1(split => 'ocrmypdf_tagged.pdf');
    if (ok_result($r, 'split of pages sharing their resources')) {
        my @o = paths($r);
        my @src = page_texts($in);
        my $fonts = sub {
            my $qdf = `qpdf --qdf --object-streams=disable '$_[0]' - 2>&1`;
            return scalar(() = $qdf =~ m{/Type /Font$}mg);
        };
        is($fonts->($in), 3, 'shared resources: 3 fonts in the input');
        is($fonts->($o[1]), 2, 'shared resources: page 2 carries its 2');
        for my $k (0, 1) {
            is(qpdf_check($o[$k]), 0, "shared resources $k: qpdf --check");
            is((page_texts($o[$k]))[0], $src[$k], "shared resources $k: text");
        }
    }
}

# extract-pages: order and repeats as written; a page repeated shares its
# resources; links between copied pages kept and pointed at the copies
{
    my $r = run1('extract-pages' => 'qpdf_11-pages-with-labels.pdf',
                 params => { pages => '3,1-2,2,11' });
    if (ok_result($r, 'extract-pages 3,1-2,2,11')) {
        my ($p) = paths($r);
        is(qpdf_check($p), 0, 'extract-pages: qpdf --check');
        is(npages($p), 5, 'extract-pages: 5 pages');
        is_deeply([ map { /Original page (\d+)/ ? $1 : '?' } page_texts($p) ],
                  [ 3, 1, 2, 2, 11 ], 'extract-pages: pages in the order '
                  . 'written, repeats kept');
        ok(!defined((outputs($r))[0]{suffix}), 'extract-pages: no suffix');
    }

    my ($one, $four) = serve(map {
        { op => 'extract-pages', params => { pages => $_ },
          inputs => [ "$data/pysf_pdflatex-4-pages.pdf" ] } } '1', '1,1,1,1');
    if ($one->{ok} && $four->{ok}) {
        my ($a, $b) = (-s (paths($one))[0], -s (paths($four))[0]);
        cmp_ok($b, '<', $a * 1.2, "a page 4 times is not 4 copies ($b bytes, "
               . "once $a)");
    } else {
        fail('extract-pages of a repeated page');
    }

    $r = run1('extract-pages' => 'ocrmypdf_link.pdf',
              params => { pages => '2,1' });
    if (ok_result($r, 'extract-pages of pages with links')) {
        my ($p) = paths($r);
        is(qpdf_check($p), 0, 'links: qpdf --check');
        my $qdf = `qpdf --qdf --object-streams=disable '$p' - 2>/dev/null`;
        my $links = () = $qdf =~ m{/Subtype /Link}g;
        is($links, 2, 'links: both links survive');
    }

    $r = run1(split => 'ocrmypdf_link.pdf');
    if (ok_result($r, 'split of pages linking to each other')) {
        my $qdf = `qpdf --qdf --object-streams=disable '${\ (paths($r))[0]}' -`;
        unlike($qdf, qr{/Subtype /Link}, 'split: a link to a page that is '
               . 'not in the output is dropped');
    }

    $r = run1('extract-pages' => 'pysf_libreoffice-form.pdf',
              params => { pages => '1' });
    if (ok_result($r, 'extract-pages of a form')) {
        my ($p) = paths($r);
        is(qpdf_check($p), 0, 'form: qpdf --check');
        my $form = "$data/pysf_libreoffice-form.pdf";
        my $src = `qpdf --qdf --object-streams=disable '$form' - 2>/dev/null`;
        my $qdf = `qpdf --qdf --object-streams=disable '$p' - 2>/dev/null`;
        my $want = () = $src =~ m{/Subtype /Widget}g;
        my $got = () = $qdf =~ m{/Subtype /Widget}g;
        is($got, $want, "form: the $want widget annotations survive");
        is((page_texts($p))[0], (page_texts($form))[0], 'form: same text');
    }
}

# render: the pixel size mutool draw gives at that dpi, rotated pages
# included; one PNG per page named after it
{
    my $in = "$data/pysf_habibi-rotated.pdf";
    for my $dpi (72, 150, 300) {
        my $r = run1(render => 'pysf_habibi-rotated.pdf',
                     params => { dpi => $dpi });
        ok_result($r, "render at $dpi dpi") or next;
        my @o = outputs($r);
        is(scalar @o, 4, "render $dpi: one PNG per page");
        for my $k (0 .. $#o) {
            my $page = $k + 1;
            system("mutool draw -r $dpi -o '$tmp/m.png' '$in' $page "
                   . '>/dev/null 2>&1');
            my $want = `identify -format '%w %h' '$tmp/m.png'`;
            my $got = `identify -format '%m %w %h' '$o[$k]{path}'`;
            is($got, "PNG $want", "render $dpi page $page: as mutool draw");
            is("$o[$k]{properties}{width} $o[$k]{properties}{height}", $want,
               "render $dpi page $page: properties");
            is($o[$k]{suffix}, $page, "render $dpi page $page: suffix");
        }
    }

    my $r = run1(render => 'pysf_pdflatex-4-pages.pdf',
                 params => { dpi => 100, pages => '4,2' });
    if (ok_result($r, 'render of pages 4,2')) {
        is_deeply([ map { $_->{suffix} } outputs($r) ], [ 4, 2 ],
                  'render: the pages named, in order');
        is(scalar @{ $r->{progress} }, 2, 'render: progress per page');
    }

    # limits are checked before anything is drawn
    $r = run1(render => 'pysf_pdflatex-4-pages.pdf',
              params => { dpi => 600 }, limits => { max_pixels => 20000000 });
    is($r->{code}, 'limit_exceeded', 'render over max_pixels');
    is($r->{details}{limit}, 'max_pixels', 'render over max_pixels: which');
    is($r->{details}{page}, 1, 'render over max_pixels: the page');
    is(scalar(files_in($r->{staging})), 0, 'render over max_pixels: no file');

    $r = run1(render => 'pysf_pdflatex-4-pages.pdf', params => { dpi => 72 },
              limits => { max_outputs => 3 });
    is($r->{code}, 'limit_exceeded', 'render over max_outputs');
    is($r->{details}{limit}, 'max_outputs', 'render over max_outputs: which');
    is(scalar(files_in($r->{staging})), 0, 'render over max_outputs: no file');
    is(scalar @{ $r->{progress} }, 0, 'render over max_outputs: no page drawn');

    for my $op ('render', 'extract-pages') {
        $r = run1($op => 'pysf_pdflatex-4-pages.pdf',
                  params => { pages => '2,5-6' });
        is($r->{code}, 'page_out_of_range', "$op of page 5 of 4");
        is($r->{details}{page}, 5, "$op of page 5 of 4: the page");
        is(scalar(files_in($r->{staging})), 0, "$op of page 5 of 4: no file");
    }

    # a page that fits max_pixels but not the helper's memory
    my $cmd = "'$engine' --memory 150000000 render --param dpi=600 "
              . "-o '$tmp/mem' '$data/pysf_pdflatex-4-pages.pdf'";
    my $out = `$cmd 2>/dev/null`;
    is($? & 127, 0, 'render beyond the memory limit: no signal');
    $r = eval { decode_json((split /\n/, $out)[-1]) } // {};
    is($r->{code}, 'limit_exceeded', 'render beyond the memory limit');
    is($r->{details}{limit}, 'memory', 'render beyond the memory limit: which');
    is(scalar(files_in("$tmp/mem")), 0, 'render beyond memory: no file');

    $r = run1('extract-pages' => 'pysf_pdflatex-4-pages.pdf',
              params => { pages => '1-4,1-4' }, limits => { max_pages => 6 });
    is($r->{code}, 'limit_exceeded', 'extract-pages of 8 pages over 6');
}

# rotate: adds to the /Rotate a page has; text unchanged
{
    my $in = "$data/pysf_habibi-rotated.pdf";
    my %cases = ('90:1,3' => [ 180, 180, 0, 0 ], '180' => [ 270, 0, 90, 180 ],
                 '270:4,4' => [ 90, 180, 270, 270 ]);
    for my $c (sort keys %cases) {
        my ($angle, $pages) = split /:/, $c;
        my $r = run1(rotate => 'pysf_habibi-rotated.pdf',
                     params => { angle => 0 + $angle,
                                 defined $pages ? (pages => $pages) : () });
        ok_result($r, "rotate $c") or next;
        my ($p) = paths($r);
        is(qpdf_check($p), 0, "rotate $c: qpdf --check");
        my @rot = `pdfinfo -f 1 -l 4 '$p' 2>/dev/null` =~ /rot:\s+(\d+)/g;
        is_deeply(\@rot, $cases{$c}, "rotate $c: rotations");
        is_deeply([ page_texts($p) ], [ page_texts($in) ], "rotate $c: text");
    }
}

# compress: valid, same pages and text, never larger than the input
{
    for my $f (qw(pysf_GeoTopo-komprimiert.pdf ocrmypdf_link.pdf
                  qpdf_minimal.pdf pysf_libreoffice-form.pdf)) {
        my $r = run1(compress => $f);
        ok_result($r, "compress $f") or next;
        my ($p) = paths($r);
        is(qpdf_check($p), 0, "compress $f: qpdf --check");
        cmp_ok(-s $p, '<=', -s "$data/$f", "compress $f: not larger");
        is(npages($p), npages("$data/$f"), "compress $f: same pages");
        is((outputs($r))[0]{properties}{size}, -s $p, "compress $f: size");
        is_deeply([ page_texts($p) ], [ page_texts("$data/$f") ],
                  "compress $f: same text");
        my $objstm = `qpdf --show-xref '$p' 2>/dev/null` =~ /compressed;/;
        ok($objstm, "compress $f: objects in object streams")
            if -s $p < -s "$data/$f";
        diag(sprintf("compress %s: %d -> %d bytes", $f, -s "$data/$f", -s $p));
    }

    # what compress wrote cannot shrink again: the output is its bytes
    my $r = run1(compress => 'pysf_libreoffice-form.pdf');
    my ($once) = paths($r);
    $r = scalar serve({ op => 'compress', inputs => [ $once ] });
    my ($twice) = paths($r);
    ok($twice && system('cmp', '-s', $once, $twice) == 0,
       'compress of a compressed file: the same bytes');
}

# info: the result, no output file
{
    my $r = run1(info => 'pysf_habibi-rotated.pdf');
    if (ok_result($r, 'info')) {
        my $i = $r->{result};
        is($i->{page_count}, 4, 'info: page_count');
        is_deeply([ map { $_->{rotation} } @{ $i->{pages} } ],
                  [ 90, 180, 270, 0 ], 'info: rotations');
        is_deeply([ map { "$_->{width}x$_->{height}" } @{ $i->{pages} } ],
                  [ ('595.28x841.89') x 4 ], 'info: sizes in points');
        ok((!grep { !$_->{has_text} } @{ $i->{pages} }), 'info: has_text');
        ok(!$i->{encrypted}, 'info: not encrypted');
        is($i->{metadata}{producer}, 'pypdf', 'info: producer');
        ok(exists $i->{metadata}{title} && !defined $i->{metadata}{title},
           'info: absent metadata is null');
        is(scalar outputs($r), 0, 'info: no output file');
    }

    $r = run1(info => 'pysf_GeoTopo-komprimiert.pdf');
    if (ok_result($r, 'info of a large document')) {
        is($r->{result}{metadata}{title}, 'Geometrie und Topologie',
           'info: title');
        is($r->{result}{metadata}{author}, 'Martin Thoma', 'info: author');
        is($r->{result}{metadata}{creation_date}, '2016-12-31T17:43:23Z',
           'info: dates in UTC');
        is(scalar @{ $r->{progress} }, 117, 'info: progress per page');
    }

    $r = run1(info => 'ocrmypdf_linn.pdf');
    ok($r->{ok} && !$r->{result}{pages}[0]{has_text},
       'info: a scanned page has no text');

    $r = run1(info => 'qpdf_20-pages.pdf', password => 'user');
    ok($r->{ok} && $r->{result}{encrypted} && $r->{result}{page_count} == 20,
       'info: an encrypted document opened with its password');
}

# every encrypted file of the corpus with its password (MANIFEST.md):
# split works and the pages are the ones qpdf finds with the password;
# without one or with a wrong one, encrypted_input says which
{
    # characters: the job line carries them as UTF-8, qpdf gets the bytes
    my %pw = (
        'pdfjs_bug1782186.pdf' => 'Hello',
        'pdfjs_empty_protected.pdf' => '',
        'pdfjs_issue21579.pdf' => "p\x{e4}ssw\x{f6}rt",
        'pdfjs_issue3371.pdf' => 'ELXRTQWS',
        'pdfjs_issue6010_2.pdf' => "\x{e6}\x{f8}\x{e5}",
        'pdfjs_saslprep-r6.pdf' => "S\x{aa}SL\x{ad}prep",
        'qpdf_20-pages.pdf' => 'user',
        'qpdf_c-r5-in.pdf' => 'user3',
        'qpdf_c-r6-in.pdf' => 'owner4',
        'qpdf_enc-R2-V1_U-view_O-master.pdf' => 'view',
        'qpdf_enc-R3-V2_O-master_no-user-pw.pdf' => '',
        'qpdf_enc-R3-V2_U-view_O-master.pdf' => 'master',
        'qpdf_enc-XI-long-password.pdf' => 'qwertyuiopasdfghjklzxcvbnm' x 5,
    );
    # qpdf does no SASLprep: it opens that file with the prepared form
    my %qpdf_pw = ('pdfjs_saslprep-r6.pdf' => 'SaSLprep');

    my @files = sort keys %pw;
    my @res = serve(map { { op => 'split', inputs => [ "$data/$_" ],
                            password => $pw{$_} } } @files);
    for my $i (0 .. $#files) {
        my $f = $files[$i];
        my $r = $res[$i];
        ok_result($r, "split $f with its password") or next;
        my $bytes = $qpdf_pw{$f} // $pw{$f};
        utf8::encode($bytes);
        my $want = npages("$data/$f", $bytes);
        is(scalar outputs($r), $want, "split $f: $want pages");
        my @bad = grep { qpdf_check($_) != 0 } paths($r);
        is("@bad", '', "split $f: the outputs check (unencrypted)");
        my $p = (paths($r))[0];
        is(`qpdf --show-encryption '$p' 2>&1`, "File is not encrypted\n",
           "split $f: output not encrypted");
    }

    my @locked = grep { $pw{$_} ne '' } @files;
    @res = serve(map { ({ op => 'split', inputs => [ "$data/$_" ] },
                        { op => 'render', inputs => [ "$data/$_" ],
                          password => 'wrong' }) } @locked);
    for my $i (0 .. $#locked) {
        my ($none, $wrong) = @res[2 * $i, 2 * $i + 1];
        is($none->{code}, 'encrypted_input', "$locked[$i]: no password");
        like($none->{error}, qr/no password was given/,
             "$locked[$i]: no password: said so");
        is($wrong->{code}, 'encrypted_input', "$locked[$i]: wrong password");
        like($wrong->{error}, qr/password does not open/,
             "$locked[$i]: wrong password: said so");
        is(scalar(files_in($wrong->{staging})), 0,
           "$locked[$i]: wrong password: no file");
    }

    # every operation takes the password
    my @ops = ([ 'extract-pages', { pages => '20,1' } ],
               [ 'render', { pages => '2', dpi => 72 } ],
               [ 'rotate', { angle => 90 } ], [ 'compress', {} ],
               [ 'info', {} ]);
    @res = serve(map { { op => $_->[0], params => $_->[1],
                         inputs => [ "$data/qpdf_20-pages.pdf" ],
                         password => 'owner' } } @ops);
    for my $i (0 .. $#ops) {
        ok_result($res[$i], "$ops[$i][0] with the owner password");
        my $p = (paths($res[$i]))[0] or next;
        next unless $p =~ /\.pdf$/;
        is(qpdf_check($p), 0, "$ops[$i][0] encrypted: qpdf --check");
    }
    if ($res[0]{ok}) {
        is_deeply([ map { /Original page (\d+)/ ? $1 : '?' }
                    page_texts((paths($res[0]))[0]) ],
                  [ 19, 0 ], 'extract-pages 20,1 of the encrypted file');
    }
}

# every PDF of t/data/bad through split and render in one helper: it
# keeps serving; each job completes or fails with a precise code, as
# merge does in bad_outcomes.tsv (a file refused at upload cannot be read)
{
    open(my $fh, '<', "$root/t/data/bad_outcomes.tsv") or die $!;
    my %want;
    while (<$fh>) {
        chomp;
        my ($file, $upload, $op, $outcome) = split /\t/;
        next unless $file && $file =~ /\.pdf$/;
        $want{$file} = $upload eq '415' ? 'failed:corrupt_input' : $outcome;
    }

    my @files = sort keys %want;
    my @res = serve(map { ({ op => 'split', inputs => [ "$bad/$_" ] },
                           { op => 'render', inputs => [ "$bad/$_" ],
                             params => { dpi => 72 } }) } @files);
    for my $i (0 .. $#files) {
        for my $k (0, 1) {
            my $r = $res[2 * $i + $k] // {};
            my $op = $k ? 'render' : 'split';
            my $got = $r->{ok} ? 'completed' : 'failed:' . ($r->{code} // '');
            is($got, $want{$files[$i]}, "$files[$i]: $op $want{$files[$i]}")
                or diag($json->encode($r));
            if ($r->{ok} && !$k) {
                my @bad = grep { qpdf_check($_) == 2 } paths($r);
                is("@bad", '', "$files[$i]: split outputs pass qpdf --check");
            } elsif ($r->{ok}) {
                my @bad = grep { system("identify '$_' >/dev/null 2>&1") }
                          paths($r);
                is("@bad", '', "$files[$i]: identify reads the PNGs");
            } elsif ($r->{staging}) {
                is(scalar(files_in($r->{staging})), 0,
                   "$files[$i]: $op leaves no file");
            }
        }
    }
}

# validation of the (ext) operations, the module's code run again
{
    my @cases = (
        [ 'rotate', { angle => 90, pages => '1' }, '' ],
        [ 'rotate', {}, 'angle' ],
        [ 'rotate', { angle => 45 }, 'angle' ],
        [ 'rotate', { angle => '90' }, 'angle' ],
        [ 'rotate', { angle => 90, pages => '2-1' }, 'pages' ],
        [ 'compress', { pages => '1' }, 'pages' ],
        [ 'info', { name => 'x' }, 'name' ],
        [ 'info', { password => 5 }, 'password' ],
        [ 'split', { dpi => 72 }, 'dpi' ],
    );
    my @res = serve(map { { op => $_->[0], params => $_->[1],
                            inputs => [ "$data/qpdf_minimal.pdf" ] } } @cases);
    for my $i (0 .. $#cases) {
        my ($op, $body, $want) = @{ $cases[$i] };
        my $keys = join(' ', sort keys %{ $res[$i]{details}{errors} // {} });
        is($keys, $want, "validation: $op " . $json->encode($body));
        ok($res[$i]{ok}, "validation: $op runs") if $want eq '';
    }
}

done_testing();
