# scandoc-engine on its own: the CLI, --probe and --serve (one helper
# process fed good and bad jobs in turn), outputs checked with tools that
# share no code with it (identify, dwebp, qpdf), and every row of
# t/data/bad_outcomes.tsv at the engine level.  No run may end on a signal.

use strict;
use warnings;

use FindBin;
use JSON::PP;
use Test::More;
use lib "$FindBin::Bin/lib";
use Test::Scandoc::Engine qw(engine need_engine tmp run cli serve outdir
                             files_in identify dwebp_size);

my $root = "$FindBin::Bin/..";
my $data = "$root/t/data/engine";
my $bad = "$root/t/data/bad";

need_engine();

my $json = JSON::PP->new->utf8->canonical;
my $tmp = tmp();

# --help documents the three modes
{
    my ($status, $out) = run(engine(), '--help');
    is($status, 0, '--help exits 0');
    like($out, qr/--serve/, '--help: --serve');
    like($out, qr/--probe FILE/, '--help: --probe');
    like($out, qr/-o OUTDIR INPUT/, '--help: one-shot CLI');
}

# probe
{
    my %expect = (
        'pytess_test.jpg'  => [ 'image/jpeg', { width => 640, height => 480 } ],
        'pytess_test.webp' => [ 'image/webp', { width => 640, height => 480 } ],
        'tessjs_simple.png' => [ 'image/png', { width => 320, height => 180 } ],
        'pytess_test_la.png' => [ 'image/png', { width => 400, height => 80 } ],
        'qpdf_minimal.pdf' => [ 'application/pdf', { page_count => 1 } ],
        'pysf_pdflatex-4-pages.pdf' =>
            [ 'application/pdf', { page_count => 4 } ],
        'qpdf_20-pages.pdf' =>
            [ 'application/pdf', { page_count => 20, encrypted => 1 } ],
        'pdfjs_empty_protected.pdf' =>
            [ 'application/pdf', { page_count => 1, encrypted => 1 } ],
        'qpdf_enc-XI-long-password.pdf' =>
            [ 'application/pdf', { page_count => undef, encrypted => 1 } ],
    );

    for my $f (sort keys %expect) {
        my $r = cli('--probe', "$data/$f");
        ok($r->{ok}, "probe $f") or diag($json->encode($r));
        my ($type, $props) = @{ $expect{$f} };
        is($r->{result}{type}, $type, "probe $f: type");
        is($r->{result}{properties}{size}, -s "$data/$f", "probe $f: size");
        for my $k (sort keys %$props) {
            my $got = $r->{result}{properties}{$k};
            $got = 0 + $got if JSON::PP::is_bool($got);
            is($got, $props->{$k}, "probe $f: $k");
        }
        ok(!exists $r->{result}{properties}{encrypted},
           "probe $f: not encrypted") unless $props->{encrypted};
    }

    my $r = cli('--probe', "$data/PROVENANCE.md");
    is($r->{code}, 'unsupported_file_type', 'probe of a text file');
}

# convert, checked by identify and dwebp
{
    my @cases = (
        [ 'tessjs_simple.png', 'image/jpeg', 80, 'JPEG', 320, 180 ],
        [ 'pytess_test.jpg', 'image/webp', 60, 'WEBP', 640, 480 ],
        [ 'pytess_test.webp', 'image/png', undef, 'PNG', 640, 480 ],
        [ 'pytess_test_la.png', 'image/jpeg', 90, 'JPEG', 400, 80 ],
        [ 'pytess_test_la.png', 'image/webp', 100, 'WEBP', 400, 80 ],
    );

    for my $c (@cases) {
        my ($in, $type, $q, $fmt, $w, $h) = @$c;
        my $dir = outdir();
        my $r = cli('convert', '--param', "target_format=$type",
                    defined $q ? ('--param', "quality=$q") : (),
                    '-o', $dir, "$data/$in");
        ok($r->{ok}, "convert $in to $type") or diag($json->encode($r));
        my $o = $r->{outputs}[0] or next;
        is($o->{type}, $type, "convert $in: output type");
        is($o->{properties}{size}, -s $o->{path}, "convert $in: size");
        is("$o->{properties}{width}x$o->{properties}{height}", "${w}x$h",
           "convert $in: dimensions");
        my $id = identify($o->{path}) // [];
        is("@$id[0 .. 2]", "$fmt $w $h",
           "convert $in: identify sees $fmt ${w}x$h");
        is_deeply([ dwebp_size($o->{path}) ], [ $w, $h ],
                  "convert $in: dwebp decodes it, ${w}x$h")
            if $type eq 'image/webp';
    }

    my $dir = outdir();
    my $r = cli('convert', '--param', 'target_format=image/png',
                '--limit', 'max_pixels=1000', '-o', $dir,
                "$data/pytess_test.jpg");
    is($r->{code}, 'limit_exceeded', 'convert over max_pixels');
    is($r->{details}{limit}, 'max_pixels', 'convert over max_pixels: which');
    is(scalar(files_in($dir)), 0, 'convert over max_pixels: no output');

    $r = cli('convert', '--param', 'target_format=image/jpeg', '-o', outdir(),
             "$data/tessjs_simple.png");
    ok(!$r->{ok} && $r->{details}{errors}{quality},
       'convert to jpeg without quality is refused by validation');

    $r = cli('convert', '--param', 'target_format=image/png', '-o', outdir(),
             "$data/qpdf_minimal.pdf");
    is($r->{code}, 'unsupported_file_type', 'convert of a PDF');
}

# merge, checked by qpdf
sub qpdf_pages {
    my ($path) = @_;
    my $n = `qpdf --show-npages '$path' 2>/dev/null`;
    chomp $n;
    return $n;
}

sub qpdf_ok {
    my ($path) = @_;
    system("qpdf --check '$path' >/dev/null 2>&1");
    return $? >> 8;
}

{
    my $dir = outdir();
    my @in = map { "$data/$_" } qw(pysf_pdflatex-4-pages.pdf pytess_test.jpg
        pytess_test.webp tessjs_simple.png pytess_test_la.png qpdf_minimal.pdf
        ocrmypdf_link.pdf);
    my $r = cli('merge', '-o', $dir, @in);
    ok($r->{ok}, 'merge of PDFs and images') or diag($json->encode($r));
    my $o = $r->{outputs}[0];
    if ($o) {
        is($o->{type}, 'application/pdf', 'merge: output type');
        is(qpdf_ok($o->{path}), 0, 'merge: qpdf --check passes');
        is(qpdf_pages($o->{path}), 11, 'merge: 4 + 4 images + 1 + 2 pages');
        is($o->{properties}{page_count}, 11, 'merge: page_count');
        is($o->{properties}{size}, -s $o->{path}, 'merge: size');

        # pytess_test.jpg is 640x480 at 200 dpi: 230.4 x 172.8 points;
        # the WebP stores no resolution: 150 dpi
        my $text =
            `qpdf --qdf --object-streams=disable '$o->{path}' - 2>/dev/null`;
        like($text, qr{/MediaBox \[\s*0\s+0\s+230\.4\s+172\.8\s*\]},
             'merge: JPEG page at its stored 200 dpi');
        like($text, qr{/MediaBox \[\s*0\s+0\s+307\.2\s+230\.4\s*\]},
             'merge: WebP page at 150 dpi');
        my $links = () = $text =~ m{/Subtype /Link}g;
        is($links, 2, 'merge: the links of ocrmypdf_link.pdf survive');
        like($text, qr{/FontFile}, 'merge: embedded fonts survive');
    }

    # progress lines go to stderr in the CLI, to stdout in --serve (below)
}

# merge: a bad input among good ones is named; limits
{
    my $r = cli('merge', '-o', outdir(), "$data/qpdf_minimal.pdf",
                "$bad/pillow_broken_data_stream.png");
    is($r->{code}, 'corrupt_input', 'merge: an image convert refuses');
    is($r->{details}{input}, 2, 'merge: the failing input is named');

    $r = cli('merge', '--limit', 'max_pages=4', '-o', outdir(),
             "$data/qpdf_minimal.pdf", "$data/pysf_pdflatex-4-pages.pdf");
    is($r->{code}, 'limit_exceeded', 'merge: over max_pages');
    is($r->{details}{limit}, 'max_pages', 'merge: over max_pages: which');

    $r = cli('merge', '--limit', 'max_pixels=1000', '-o', outdir(),
             "$data/qpdf_minimal.pdf", "$data/pytess_test.jpg");
    is($r->{code}, 'limit_exceeded', 'merge: an image over max_pixels');
}

# merge of encrypted inputs
{
    my $r = cli('merge', '-o', outdir(), "$data/qpdf_20-pages.pdf");
    is($r->{code}, 'encrypted_input', 'merge: encrypted, no password');

    my $dir = outdir();
    $r = cli('merge', '--password', 'wrong', '-o', $dir,
             "$data/qpdf_20-pages.pdf");
    is($r->{code}, 'encrypted_input', 'merge: wrong password');
    is(scalar(files_in($dir)), 0, 'merge: wrong password leaves no file');

    $r = cli('merge', '--password', 'user', '-o', outdir(),
             "$data/qpdf_20-pages.pdf", "$data/pdfjs_empty_protected.pdf");
    ok($r->{ok}, 'merge: user password, and an empty user password');
    is(qpdf_pages($r->{outputs}[0]{path}), 21, 'merge: 20 + 1 pages')
        if $r->{ok};

    $r = cli('merge', '--password', 'qwertyuiopasdfghjklzxcvbnm' x 5,
             '-o', outdir(), "$data/qpdf_enc-XI-long-password.pdf");
    ok($r->{ok}, 'merge: 130-character AES-256 password');

    # the pdf.js password is S, feminine ordinal, SL, soft hyphen, prep:
    # SASLprep makes it SaSLprep, which is what the file was written with
    for my $pw ("S\x{c2}\x{aa}SL\x{c2}\x{ad}prep", 'SaSLprep') {
        $r = cli('merge', '--password', $pw, '-o', outdir(),
                 "$data/pdfjs_saslprep-r6.pdf");
        ok($r->{ok}, "merge: SASLprep password ($pw)");
    }

    $r = cli('merge', '--password', "p\x{c3}\x{a4}ssw\x{c3}\x{b6}rt",
             '-o', outdir(), "$data/pdfjs_issue21579.pdf");
    ok($r->{ok}, 'merge: non-ASCII password');
    is(qpdf_ok($r->{outputs}[0]{path}), 0, 'merge: decrypted output checks')
        if $r->{ok};
}

# every row of the bad-input table, at the engine level
{
    open(my $fh, '<', "$root/t/data/bad_outcomes.tsv") or die $!;
    my @rows;
    while (<$fh>) {
        chomp;
        next if /^\s*(#|$)/;
        my @f = split /\t/;
        next if $f[0] eq 'file';
        push @rows, \@f;
    }

    my %seen = map { $_->[0] => 1 } @rows;
    # t/data/bad/fuzz/ has its own test, t/engine_fuzz.t
    my @missing = grep { !$seen{$_} && $_ ne 'PROVENANCE.md' && -f "$bad/$_" }
                  files_in($bad);
    is("@missing", '', 'every file of t/data/bad has a row');

    for my $row (@rows) {
        my ($file, $upload, $op, $outcome, $reason) = @$row;
        my $path = "$bad/$file";
        my $p = cli('--probe', $path);

        if ($upload eq '415') {
            is($p->{code}, 'unsupported_file_type', "$file: 415 ($reason)");
            next;
        }

        ok($p->{ok}, "$file: probe accepts it ($reason)")
            or diag($json->encode($p));

        my $dir = outdir();
        my @params = $op eq 'convert'
            ? ('--param', 'target_format=image/png') : ();
        my $r = cli($op, @params, '-o', $dir, $path);
        my $got = $r->{ok} ? 'completed' : "failed:$r->{code}";
        is($got, $outcome, "$file: $op $outcome ($reason)")
            or diag($json->encode($r));

        if ($r->{ok}) {
            my $o = $r->{outputs}[0]{path};
            if ($op eq 'merge') {
                isnt(qpdf_ok($o), 2, "$file: output passes qpdf --check");
            } else {
                system("identify '$o' >/dev/null 2>&1");
                is($? >> 8, 0, "$file: identify reads the output");
            }
        } else {
            is(scalar(files_in($dir)), 0, "$file: no output left behind");
        }
    }
}

# validation (sd_ops, the same code the module runs) through --serve: a
# valid body reaches the operation (not_implemented for some), an invalid
# one answers its errors by field
{
    my $id = 'file_abcdefghij012345';
    my $tid = 'task_abcdefghij012345';
    my @quad = ({ x => 0, y => 0 }, { x => 9, y => 0 }, { x => 9, y => 9 },
                { x => 0, y => 9 });
    my %schema = (type => 'object', properties => {
        total => { type => 'number', description => 'Total' },
        lines => { type => 'array', items => { type => 'object',
                   properties => { qty => { type => 'integer' } } } } },
        required => [ 'total' ]);

    # [ op, image or pdf input, body, expected error keys ('' = valid) ]
    my @cases = (
        [ 'convert', 'i', { target_format => 'image/png', quality => 'x' },
          '' ],
        [ 'convert', 'i', { target_format => 'image/jpeg' }, 'quality' ],
        [ 'convert', 'i', { target_format => 'image/webp', quality => 101 },
          'quality' ],
        [ 'convert', 'i', { target_format => 'image/gif', foo => 1,
                            name => '' }, 'foo name target_format' ],
        [ 'convert', 'i', { target_format => 'image/png', foo => undef,
                            name => undef, callback_url => undef }, '' ],
        [ 'convert', 'i', { target_format => 'image/png',
                            callback_url => 'ftp://x/' }, 'callback_url' ],
        [ 'convert', 'i', { target_format => 'image/png',
                            password => 'x' }, 'password' ],
        [ 'convert', 'i', { target_format => 'image/png', input => 'file_1' },
          'input' ],
        [ 'convert', 'i', { target_format => 'image/png',
                            name => "a\x{7}b" }, 'name' ],
        [ 'convert', 'i', { target_format => 'image/png',
                            name => "\x{e9}" x 50 }, '' ],
        [ 'convert', 'i', { target_format => 'image/png',
                            name => 'n' x 51 }, 'name' ],
        [ 'apply-effect', 'i', { effect => 'scanner' }, '' ],
        [ 'apply-effect', 'i', { effect => 'sepia' }, 'effect' ],
        [ 'extract-text', 'i', { format => 'markdown' }, '' ],
        [ 'extract-text', 'i', { format => 'plain', name => 'x' }, 'name' ],
        [ 'extract-text', 'i', { format => 'json' }, 'schema' ],
        [ 'extract-text', 'i', { format => 'html', schema => \%schema },
          'schema' ],
        [ 'extract-text', 'i', { format => 'json', schema => \%schema }, '' ],
        [ 'extract-text', 'i', { format => 'json', schema => { type => 'object',
            properties => { total => { type => 'money' } } } },
          'schema.properties.total.type' ],
        [ 'extract-text', 'i', { format => 'plain', language => 'eng' }, '' ],
        [ 'extract-text', 'i', { format => 'plain', language => 'eng+xx' },
          'language' ],
        [ 'detect-documents', 'i', {}, '' ],
        [ 'warp', 'i', { vertices => \@quad }, '' ],
        [ 'warp', 'i', { vertices => [ @quad[0, 3, 2, 1] ] }, 'vertices' ],
        [ 'warp', 'i', { vertices => [ @quad[0 .. 2] ] }, 'vertices' ],
        [ 'warp', 'i', { vertices => [ { x => -1, y => 0 }, @quad[1 .. 3] ] },
          'vertices[0].x' ],
        [ 'warp', 'i', { vertices => [ @quad[0 .. 2], { x => 0 } ] },
          'vertices[3].y' ],
        [ 'scan', 'i', { effect => 'none', scan_mode => 'standard' }, '' ],
        [ 'scan', 'i', { effect => 'none', scan_mode => 'auto' },
          'scan_mode' ],
        [ 'merge', 'p', { input => [ $id, $tid ], name => 'all',
                          password => 'pw' }, 'ok' ],
        [ 'merge', 'p', { input => [ $id, 'file_x' ] }, 'input[1]' ],
        [ 'merge', 'p', { input => [] }, 'input' ],
        [ 'merge', 'p', { input => [ ($id) x 51 ] }, 'input' ],
        [ 'split', 'p', {}, '' ],
        [ 'extract-pages', 'p', { pages => '1-3,5,2' }, '' ],
        [ 'extract-pages', 'p', {}, 'pages' ],
        [ 'extract-pages', 'p', { pages => '3-1' }, 'pages' ],
        [ 'extract-pages', 'p', { pages => '0' }, 'pages' ],
        [ 'extract-pages', 'p', { pages => '1,,2' }, 'pages' ],
        [ 'extract-pages', 'p', { pages => 1 }, 'pages' ],
        [ 'extract-pages', 'p', { pages => '1,' x 500 . '1' }, 'pages' ],
        [ 'render', 'p', { dpi => 72, pages => '2' }, '' ],
        [ 'render', 'p', { dpi => 601 }, 'dpi' ],
        [ 'extract-text', 'p', { format => 'markdown', pages => '1' }, 'ok' ],
        [ 'extract-text', 'p', { format => 'json', pages => '1-' }, 'pages schema' ],
        [ 'extract-text', 'p', { format => 'plain', name => 'x' }, 'name' ],
        [ 'ocr', 'p', { language => 'eng', pages => '1', name => 'x' }, 'ok' ],
        [ 'ocr', 'p', { format => 'plain', language => 'xx' },
          'format language' ],
    );

    my $dir = "$tmp/validate";
    my @jobs;
    for my $c (@cases) {
        my ($op, $kind, $body) = @$c;
        my $params = { input => $id, %$body };
        delete $params->{$_} for grep { !exists $body->{$_}
                                        && $_ ne 'input' } keys %$params;
        push @jobs, { op => $op, staging => $dir, params => $params,
                      inputs => [ $kind eq 'i'
                          ? { path => "$data/tessjs_simple.png",
                              type => 'image/png' }
                          : { path => "$data/qpdf_minimal.pdf",
                              type => 'application/pdf' } ] };
        $jobs[-1]{inputs} = [ ($jobs[-1]{inputs}[0]) x 2 ] if $op eq 'merge';
    }

    my $sv = serve(\@jobs);
    is($sv->{status}, 0, 'validation: --serve ran every job');
    my @results = @{ $sv->{results} };

    for my $i (0 .. $#cases) {
        my ($op, $kind, $body, $want) = @{ $cases[$i] };
        my $r = $results[$i] // {};
        my $what = "validation: $op " . $json->encode($body);
        $what = substr($what, 0, 100);
        if ($want eq 'ok') {
            ok($r->{ok}, $what) or diag($json->encode($r));
        } elsif ($want eq '') {
            # valid: the operation ran (the 1-page PDF has no page 2)
            ok($r->{ok} || ($r->{code} // '')
                           =~ /^(not_implemented|page_out_of_range)$/, $what)
                or diag($json->encode($r));
        } else {
            my $errors = $r->{details}{errors} // {};
            is(join(' ', sort keys %$errors), $want, $what);
        }
    }
}

# --serve: one helper, many jobs, bad ones between good ones
{
    my $dir = "$tmp/serve";
    mkdir $dir;
    my $in = sub { [ map { { path => "$_->[0]", type => $_->[1] } } @_ ] };
    my @jobs = (
        { op => 'probe', inputs => $in->(["$bad/libpng_huge_iTXt_chunk.png"]) },
        'this is not JSON',
        { op => 'convert', staging => $dir,
          params => { input => 'file_aaaaaaaaaaaaaaaa',
                      target_format => 'image/png' },
          inputs => $in->(["$bad/pillow_png_decompression_dos.png",
                           'image/png']) },
        { op => 'merge', staging => $dir,
          params => { input => [ 'file_aaaaaaaaaaaaaaaa' ] },
          inputs => $in->(["$bad/qpdf_issue-146.pdf", 'application/pdf']) },
        { op => 'convert', staging => $dir,
          params => { input => 'file_aaaaaaaaaaaaaaaa',
                      target_format => 'image/webp', quality => 50 },
          inputs => $in->(["$data/pytess_test.jpg", 'image/jpeg']) },
        { op => 'warp', staging => $dir,
          params => { input => 'file_aaaaaaaaaaaaaaaa',
                      vertices => [ { x => 0, y => 0 }, { x => 9, y => 0 },
                                    { x => 9, y => 9 }, { x => 0, y => 9 } ] },
          inputs => $in->(["$data/pytess_test.jpg", 'image/jpeg']) },
        { op => 'convert', staging => $dir,
          params => { input => 'file_aaaaaaaaaaaaaaaa',
                      target_format => 'image/gif' },
          inputs => $in->(["$data/pytess_test.jpg", 'image/jpeg']) },
        { op => 'merge', staging => $dir, password => 'user',
          params => { input => [ 'file_aaaaaaaaaaaaaaaa',
                                 'task_aaaaaaaaaaaaaaaa' ] },
          inputs => $in->(["$data/qpdf_minimal.pdf", 'application/pdf'],
                          ["$data/qpdf_20-pages.pdf", 'application/pdf']) },
    );
    my @want = (
        [ 1, 'probe of a declared 2 GiB chunk: still a PNG at upload' ],
        [ 'internal', 'a line that is not JSON' ],
        [ 'limit_exceeded', 'a decompression bomb' ],
        [ 'corrupt_input', 'a PDF mupdf cannot open' ],
        [ 1, 'a good convert after bad jobs' ],
        [ 1, 'a warp after bad jobs' ],
        [ 'internal', 'params that do not validate' ],
        [ 1, 'a merge with a password, after all that' ],
    );

    my $sv = serve(\@jobs, args => [ '--memory', 2 << 30, '--cpu', 60 ]);
    is($sv->{status}, 0, '--serve: ran every job and exited at EOF');

    my @results = @{ $sv->{results} };
    my @progress = @{ $sv->{progress} };
    is(scalar(@results), scalar(@jobs), '--serve: one result line per job');
    is(scalar(@progress), 2, '--serve: progress lines of the last merge');

    for my $i (0 .. $#want) {
        my ($w, $what) = @{ $want[$i] };
        my $r = $results[$i] or last;
        if ($w eq '1') {
            ok($r->{ok}, "--serve job $i: $what") or diag($json->encode($r));
        } else {
            is($r->{code}, $w, "--serve job $i: $what");
            is($r->{details}{code}, $w, "--serve job $i: details.code");
        }
    }

    is($results[6]{details}{errors}{target_format} ? 1 : 0, 1,
       '--serve: validation errors are reported by field');
    is($results[7]{outputs}[0]{properties}{page_count}, 21,
       '--serve: merge page_count') if $results[7]{ok};
    my @left = files_in($dir);
    is(scalar(@left), 3, '--serve: only the three good outputs are left')
        or diag("@left");

    $sv = serve(\@jobs, env => { OMP_THREAD_LIMIT => undef });
    is($sv->{status} >> 8, 2,
       '--serve refuses to run without OMP_THREAD_LIMIT=1');
}

done_testing();
