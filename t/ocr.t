# extract-text on images (issue 3), through scandoc-engine's CLI and one
# --serve helper:
#  - accuracy: on the 18 English pages of the corpus (t/data/ocr/, see its
#    PROVENANCE.md) the character error rate of format plain is at most
#    the tesseract command line's (run here, on the same files) + 0.01, and
#    at most 0.05 on the pages turned by 90 and 180 degrees;
#  - pages turned by 270 degrees, skewed by up to 7 degrees, or printed
#    light on dark (made here with ImageMagick from the corpus pages);
#  - markdown and html structure and json schema filling, on pages drawn
#    here with ImageMagick (headings, lists, a table, a form with labels);
#  - language handling, limits, corrupt input, and one helper running
#    many jobs with each model loaded once (its stderr counts the loads).
# No timing is measured.

use strict;
use warnings;
use utf8;

use FindBin;
use JSON::PP;
use Test::More;

use lib "$FindBin::Bin/lib";
use Test::Scandoc::Engine qw(engine need_engine tmp run serve outdir
                             files_in);
use Test::Scandoc::Text qw(cer);

my $root = "$FindBin::Bin/..";
my $data = "$root/t/data/ocr";
my $tessdata = $ENV{TESSDATA_PREFIX} // '/usr/share/tesseract-ocr/5/tessdata';

need_engine('tesseract');

# the helper refuses to serve without it; the CLI runs also use it
$ENV{OMP_THREAD_LIMIT} = 1;

my $json = JSON::PP->new->canonical;
my $tmp = tmp();
my $have_convert = system('convert -version >/dev/null 2>&1') == 0;

my @english = qw(
    ocrmypdf_crom.png ocrmypdf_linn.png pytess_test-small.jpg pytess_test.jpg
    pytess_test.webp pytess_test_la.png tessjs_simple-180.jpg
    tessjs_simple-90.jpg tessjs_simple.jpg tessjs_simple.png tessjs_simple.webp
    tessjs_testocr.png tessjs_tyger.jpg tesstest_HelloGoogle.png
    tesstest_phototest-rotated-180.png tesstest_phototest-rotated-R.png
    tesstest_phototest.png tesstest_unlv_8071_093.3B.png
);
my %turned = map { $_ => 1 } qw(
    tesstest_phototest-rotated-R.png tesstest_phototest-rotated-180.png
    tessjs_simple-90.jpg tessjs_simple-180.jpg
);

sub slurp {
    my ($path) = @_;
    open(my $fh, '<:encoding(UTF-8)', $path) or die "$path: $!";
    local $/;
    return scalar <$fh>;
}

sub type_of {
    my ($path) = @_;
    return $path =~ /\.png$/ ? 'image/png'
         : $path =~ /\.jpe?g$/ ? 'image/jpeg' : 'image/webp';
}

# One-shot CLI extract-text; the decoded result line.
sub extract {
    my ($file, $params, @opts) = @_;
    my $dir = outdir();
    my ($status, $out) = run(engine(), 'extract-text',
                             '--params', encode_json($params), @opts,
                             '-o', $dir, $file);
    is($status & 127, 0, "no signal: extract-text $file");
    my ($line) = grep { /^\{"ok"/ } split /\n/, $out;
    my $r = $line ? decode_json($line)
                  : { ok => JSON::PP::false, error => "no result: $out" };
    is_deeply([ files_in($dir) ], [], "extract-text $file writes no file");
    return $r;
}

sub content {
    my ($r, $what) = @_;
    ok($r->{ok}, "$what: ok") or diag($json->encode($r));
    return $r->{result}{content} // '';
}

# One --serve helper fed extract-text jobs ([file, params] each); returns
# the result lines (decoded, in order), the number of progress lines and
# the helper's stderr.
sub serve_text {
    my ($env, @jobs) = @_;
    my $n = 0;
    my $sv = serve([ map {
        my ($file, $params) = @$_;
        +{ op => 'extract-text',
           params => { input => sprintf('file_ocrtst%010d', $n++),
                       %$params },
           inputs => [ { path => $file, type => type_of($file) } ],
           staging => outdir(), limits => {} };
    } @jobs ], env => $env);
    is($sv->{status}, 0, '--serve exits 0 at the end of its input');
    is(scalar @{ $sv->{results} }, scalar @jobs, '--serve answers every job');
    return ($sv->{results}, scalar @{ $sv->{progress} }, $sv->{stderr});
}

# A strict well-formedness check of an XML fragment (tags nest, entities
# are known, no stray "<" or "&"): the fragment's own parser, no library.
sub well_formed {
    my ($xml) = @_;
    my @open;
    while (length $xml) {
        if ($xml =~ s/^<\/([A-Za-z][A-Za-z0-9]*)>//) {
            return "</$1> closes " . ($open[-1] // 'nothing')
                unless @open && $open[-1] eq $1;
            pop @open;
        } elsif ($xml =~ s/^<([A-Za-z][A-Za-z0-9]*)
                            ((?:\s+[a-z]+="[^"<&]*")*)\s*(\/?)>//x)
        {
            push @open, $1 unless $3;
        } elsif ($xml =~ s/^&(?:amp|lt|gt|quot|apos|\#[0-9]+
                                |\#x[0-9a-fA-F]+);//x)
        {
        } elsif ($xml =~ s/^[^<&]+//) {
        } else {
            return 'stray markup at: ' . substr($xml, 0, 30);
        }
    }
    return @open ? "unclosed <$open[-1]>" : '';
}

# a regexp for strings that follow each other, maybe with space between
sub seq {
    my $re = join('\s*', map { quotemeta } @_);
    return qr/$re/;
}

sub xmllint_ok {
    my ($xml) = @_;
    return 1 unless system('xmllint --version >/dev/null 2>&1') == 0;
    my ($status) = run({ input => "<root>$xml</root>" }, 'xmllint',
                       '--noout', '-');
    return $status == 0;
}


# --- accuracy: the 18 English pages, one helper, against the CLI ---------

{
    my ($results, $progress, $err) = serve_text({},
        map { [ "$data/$_", { format => 'plain' } ] } @english);

    my (@rows, $worse);
    for my $i (0 .. $#english) {
        my $f = $english[$i];
        my $truth = slurp("$data/$f.gt.txt");
        my $r = $results->[$i];
        ok($r->{ok}, "$f: recognized") or diag($json->encode($r));
        is($r->{result}{format}, 'plain', "$f: format");

        my (undef, $cli) = run('tesseract', "$data/$f", '-',
                               '-l', 'eng');
        utf8::decode($cli);
        my $text = $r->{result}{content} // '';
        my ($mine, $theirs) = (cer($truth, $text), cer($truth, $cli));
        push @rows, sprintf("%-36s %.4f  %.4f", $f, $mine, $theirs);

        cmp_ok($mine, '<=', $theirs + 0.01,
               "$f: CER $mine within the command line's $theirs + 0.01");
        cmp_ok($mine, '<=', 0.05, "$f: turned page read upright")
            if $turned{$f};
    }
    note(join("\n", 'CER per file: scandoc, tesseract CLI', @rows));

    # the helper loaded each model once for the 18 jobs
    my @loads = $err =~ /tesseract model (\S+) loaded/g;
    is(scalar(grep { $_ eq 'eng' } @loads), 1, 'eng loaded once in 18 jobs');
    cmp_ok(scalar(grep { $_ eq 'osd' } @loads), '<=', 1, 'osd at most once');
    is(scalar @loads, scalar(grep { /^(?:eng|osd)$/ } @loads),
       'no other model loaded');
    cmp_ok($progress, '>=', 2 * @english, 'progress lines for every job');
}


# --- turned by 270 degrees, and slightly skewed --------------------------

SKIP: {
    skip 'ImageMagick convert is not installed', 10 unless $have_convert;

    my $photo = "$data/tesstest_phototest.png";
    my $truth = slurp("$photo.gt.txt");

    system('convert', $photo, '-rotate', '270', "$tmp/photo-270.png") == 0
        or die 'convert';
    system('convert', "$data/tessjs_simple.png", '-rotate', '270',
           "$tmp/simple-270.png") == 0 or die 'convert';
    system('convert', $photo, '-background', 'white', '-rotate', '2.5',
           "$tmp/photo-skew.png") == 0 or die 'convert';
    system('convert', $photo, '-background', 'white', '-rotate', '-7',
           "$tmp/photo-skew-7.png") == 0 or die 'convert';
    system('convert', $photo, '-negate', "$tmp/photo-negated.png") == 0
        or die 'convert';

    for my $c ([ 'photo-270.png', $truth ],
               [ 'simple-270.png', slurp("$data/tessjs_simple.png.gt.txt") ],
               [ 'photo-skew.png', $truth ],
               [ 'photo-skew-7.png', $truth ],
               [ 'photo-negated.png', $truth ])
    {
        my ($f, $t) = @$c;
        my $text = content(extract("$tmp/$f", { format => 'plain' }), $f);
        cmp_ok(cer($t, $text), '<=', 0.05, "$f: read upright and straight");
    }
}


# --- markdown and html structure -----------------------------------------

SKIP: {
    skip 'ImageMagick convert is not installed', 30 unless $have_convert;

    my @draw = (
        [ 64, 100, 150, 'Quarterly Report' ],
        [ 28, 100, 260,
          'This report covers the sales of the third quarter and' ],
        [ 28, 100, 305, 'compares them with the same period of last year.' ],
        [ 40, 100, 420, 'Highlights' ],
        [ 28, 130, 510, "\x{2022} Revenue grew in every region" ],
        [ 28, 130, 560, "\x{2022} Costs stayed flat" ],
        [ 28, 130, 610, "\x{2022} Two new stores opened" ],
        [ 28, 100, 720, 'Next steps are planned as follows:' ],
        [ 28, 130, 800, '1. Hire more staff' ],
        [ 28, 130, 850, '2. Open the online shop' ],
        [ 28, 130, 900, '3. Review the prices' ],
        [ 40, 100, 1030, 'Sales by region' ],
        [ 28, 100, 1120, 'Region' ], [ 28, 600, 1120, 'Units' ],
        [ 28, 1000, 1120, 'Revenue' ],
        [ 28, 100, 1170, 'North' ], [ 28, 600, 1170, '1,200' ],
        [ 28, 1000, 1170, '$ 24,000' ],
        [ 28, 100, 1220, 'South' ], [ 28, 600, 1220, '950' ],
        [ 28, 1000, 1220, '$ 19,500' ],
        [ 28, 100, 1270, 'West' ], [ 28, 600, 1270, '2,340' ],
        [ 28, 1000, 1270, '$ 46,800' ],
        [ 28, 100, 1380, 'Prepared by the finance team & checked <twice>.' ],
    );
    draw("$tmp/report.png", 1700, 1500, @draw);

    my $md = content(extract("$tmp/report.png", { format => 'markdown' }),
                     'markdown');
    like($md, qr/^# Quarterly Report\n/, 'markdown: level 1 title');
    like($md, qr/^#{2,3} Highlights$/m, 'markdown: section heading');
    like($md, qr/^#{2,3} Sales by region$/m, 'markdown: second heading');
    my %md = (
        'a paragraph is one line of text' =>
            'This report covers the sales of the third quarter and compares '
            . 'them with the same period of last year.',
        'bullet list' => join("\n", '- Revenue grew in every region',
                             '- Costs stayed flat', '- Two new stores opened'),
        'numbered list' => join("\n", '1. Hire more staff',
                               '2. Open the online shop',
                               '3. Review the prices'),
        'pipe table' => join("\n", '| Region | Units | Revenue |',
                            '| --- | --- | --- |',
                            '| North | 1,200 | $ 24,000 |',
                            '| South | 950 | $ 19,500 |',
                            '| West | 2,340 | $ 46,800 |'),
    );
    for my $what (sort keys %md) {
        like($md, qr/^\Q$md{$what}\E$/m, "markdown: $what");
    }
    like($md, qr/checked \\<twice>/, 'markdown: "<" escaped');
    like($md, qr/\n\n# |\n\n## |\n\n- /, 'markdown: blocks apart');

    my $html = content(extract("$tmp/report.png", { format => 'html' }),
                       'html');
    is(well_formed($html), '', 'html: well-formed fragment');
    ok(xmllint_ok($html), 'html: xmllint accepts it inside a root');
    like($html, qr{<h1>Quarterly Report</h1>}, 'html: h1');
    like($html, qr{<h[23]>Highlights</h[23]>}, 'html: section heading');
    like($html, seq('<ul>', map({ "<li>$_</li>" }
                                'Revenue grew in every region',
                                'Costs stayed flat', 'Two new stores opened'),
                    '</ul>'), 'html: ul');
    like($html, seq('<ol>', map({ "<li>$_</li>" } 'Hire more staff',
                                'Open the online shop', 'Review the prices'),
                    '</ol>'), 'html: ol');
    like($html, seq('<table>',
                    '<tr><th>Region</th><th>Units</th><th>Revenue</th></tr>',
                    '<tr><td>North</td><td>1,200</td><td>$ 24,000</td></tr>'),
         'html: table');
    is(() = $html =~ /<tr>/g, 4, 'html: four table rows');
    like($html, seq('<p>Prepared by the finance team &amp; checked '
                    . '&lt;twice&gt;.</p>'), 'html: text escaped');

    my $plain = content(extract("$tmp/report.png", { format => 'plain' }),
                        'plain');
    like($plain, qr/^Quarterly Report\n\n/, 'plain: title, then a blank line');
    like($plain, qr/third quarter and\ncompares them/,
         'plain: lines of a paragraph as printed');
    unlike($plain, qr/[#|]/, 'plain: no markup');
    cmp_ok(scalar(split /\n\n/, $plain), '>=', 6,
           'plain: paragraphs apart');

    # a table drawn with a grid: its rules are not text
    system('convert', '-size', '1200x420', 'xc:white', '-fill', 'none',
           '-stroke', 'black', '-strokewidth', '2',
           '-draw', 'rectangle 50,50 1100,350',
           (map { ('-draw', "line 50,$_ 1100,$_") } 110, 170, 230, 290),
           (map { ('-draw', "line $_,50 $_,350") } 400, 750),
           "$tmp/grid-lines.png") == 0 or die 'convert';
    my @cells = ([ 'Name', 'Age', 'City' ], [ 'Alice', '34', 'Paris' ],
                 [ 'Bob', '27', 'Berlin' ], [ 'Carol', '45', 'New York' ],
                 [ 'Dave', '52', 'Rome' ]);
    draw("$tmp/grid.png", 1200, 420, map {
        my $r = $_;
        map { [ 28, 70 + 350 * $_, 92 + 60 * $r, $cells[$r][$_] ] } 0 .. 2
    } 0 .. $#cells);
    system('convert', "$tmp/grid.png", "$tmp/grid-lines.png", '-compose',
           'multiply', '-composite', "$tmp/grid.png") == 0 or die 'convert';
    my $grid = content(extract("$tmp/grid.png", { format => 'markdown' }),
                       'ruled table');
    is($grid, join('', map { '| ' . join(' | ', @$_) . " |\n" }
                           $cells[0], [ ('---') x 3 ], @cells[1 .. 4]),
       'markdown: a ruled table');

    # a header with an empty corner cell
    my @week = ([ '', 'Monday', 'Tuesday', 'Friday' ],
                [ 'Morning', 'Yoga class', 'Swimming', 'Running' ],
                [ 'Evening', 'Piano lesson', 'Reading', 'Cinema' ],
                [ 'Night', 'Sleep', 'Sleep', 'Party' ]);
    draw("$tmp/matrix.png", 1300, 320, map {
        my $r = $_;
        map { [ 28, 80 + 320 * $_, 80 + 60 * $r, $week[$r][$_] ] }
            grep { $week[$r][$_] ne '' } 0 .. 3
    } 0 .. $#week);
    my $matrix = content(extract("$tmp/matrix.png", { format => 'markdown' }),
                         'matrix');
    is($matrix, join('', map { '| ' . join(' | ', @$_) . " |\n" }
                             $week[0], [ ('---') x 4 ], @week[1 .. 3]),
       'markdown: a table whose header has an empty corner');

    # html of every corpus page is well-formed too
    for my $f (qw(ocrmypdf_linn.png tessjs_tyger.jpg)) {
        my $h = content(extract("$data/$f", { format => 'html' }), $f);
        is(well_formed($h), '', "$f: html well-formed");
        like($h, qr/<h1>/, "$f: has a title");
    }
    my $h = content(extract("$data/ocrmypdf_linn.png",
                            { format => 'markdown' }), 'linn markdown');
    cmp_ok(() = $h =~ /^- /mg, '>=', 15, 'linn: bullet items found');
}


# --- json: a schema filled from a form -----------------------------------

SKIP: {
    skip 'ImageMagick convert is not installed', 8 unless $have_convert;

    # labels and values (x, y, text), then a table of items
    my @items = ([ 'Description', 'Qty', 'Amount' ],
                 [ 'Blue widget', '3', '$ 1,250.00' ],
                 [ 'Red gadget', '12', '$ 89.90' ],
                 [ 'Spare parts', '1', '$ 15.00' ]);
    draw("$tmp/form.png", 1400, 1100, map { [ 30, @$_ ] } (
        [ 80, 100, 'INVOICE' ],
        [ 80, 200, 'Invoice No: INV-2024-0042' ],
        [ 800, 200, 'Date: 12/03/2024' ],
        [ 80, 260, 'Customer: Acme Widgets Ltd' ],
        [ 80, 320, 'Paid: Yes' ], [ 800, 320, 'Referense: ABC-77' ],
        [ 80, 400, 'Billing address' ],
        [ 80, 445, '12 Harbour Road, Springfield' ],
        (map { my $r = $_; map { [ (80, 700, 1000)[$_], 560 + 50 * $r,
                                   $items[$r][$_] ] } 0 .. 2 } 0 .. $#items),
        [ 600, 850, 'Total amount:' ], [ 1000, 850, '$ 1,354.90' ],
        [ 80, 950, 'Amount due: EUR 2.345,50' ],
    ));

    my $schema = {
        type => 'object',
        properties => {
            invoice_number => { type => 'string' },
            date => { type => 'string', format => 'date' },
            customer => { type => 'string' },
            paid => { type => 'boolean' },
            reference => { type => 'string' },
            billingAddress => { type => 'string' },
            total => { type => 'number', description => 'Total amount' },
            amountDue => { type => 'number' },
            items => { type => 'array', items => {
                type => 'object',
                properties => {
                    description => { type => 'string' },
                    qty => { type => 'integer', description => 'Quantity' },
                    amount => { type => 'number' },
                } } },
            shipping_method => { type => 'string' },
            buyer => { type => 'object', properties => {
                customer => { type => 'string' } } },
        },
    };
    my $r = extract("$tmp/form.png", { format => 'json', schema => $schema });
    my $content = content($r, 'json');
    is($r->{result}{format}, 'json', 'json: format');
    my $got = eval { decode_json($content) } // {};
    is_deeply($got, {
        invoice_number => 'INV-2024-0042',
        date => '12/03/2024',
        customer => 'Acme Widgets Ltd',
        paid => JSON::PP::true,
        reference => 'ABC-77',
        billingAddress => '12 Harbour Road, Springfield',
        total => 1354.9,
        amountDue => 2345.5,
        items => [
            { description => 'Blue widget', qty => 3, amount => 1250 },
            { description => 'Red gadget', qty => 12, amount => 89.9 },
            { description => 'Spare parts', qty => 1, amount => 15 },
        ],
        shipping_method => undef,
        buyer => { customer => 'Acme Widgets Ltd' },
    }, 'json: the form filled in, missing fields null')
        or diag($content);
    ok(JSON::PP::is_bool($got->{paid}), 'json: boolean is a JSON boolean');
    like($content, qr/"qty":3[,}]/, 'json: integer without a fraction');

    # the content keeps the schema's property order (given as text here:
    # perl hashes have none)
    my $params = '{"format":"json","schema":{"type":"object","properties":'
               . '{"total":{"type":"number","description":"Total amount"},'
               . '"customer":{"type":"string"},"paid":{"type":"boolean"}}}}';
    my (undef, $out) = run(engine(), 'extract-text', '--params', $params,
                           '-o', "$tmp/order", "$tmp/form.png");
    my ($line) = grep { /^\{"ok"/ } split /\n/, $out;
    my $c = $line ? decode_json($line)->{result}{content} // '' : '';
    is($c, '{"total":1354.9,"customer":"Acme Widgets Ltd","paid":true}',
         'json: content in the schema\'s order');

    # OCR slips on the page: words run together, a "1" for an "l", an "O"
    # for a "0"
    draw("$tmp/slips.png", 1000, 260,
         [ 30, 50, 100, 'InvoiceNumber: 7781' ],
         [ 30, 50, 180, 'Tota1 due: 1O0.50' ]);
    $r = extract("$tmp/slips.png", { format => 'json', schema => {
        type => 'object', properties => {
            invoice_number => { type => 'integer' },
            total_due => { type => 'number' } } } });
    is_deeply(eval { decode_json(content($r, 'json slips')) },
              { invoice_number => 7781, total_due => 100.5 },
              'json: labels and numbers read through OCR slips');

    # a schema that is an array of rows at the top
    $r = extract("$tmp/form.png", { format => 'json', schema => {
        type => 'array', items => { type => 'object', properties => {
            description => { type => 'string' },
            amount => { type => 'number' } } } } });
    is_deeply(eval { decode_json(content($r, 'json rows')) }, [
        { description => 'Blue widget', amount => 1250 },
        { description => 'Red gadget', amount => 89.9 },
        { description => 'Spare parts', amount => 15 },
    ], 'json: top-level array from the table rows');
}


# --- language, models, limits, bad input ---------------------------------

{
    my $photo = "$data/tesstest_phototest.png";
    my $truth = slurp("$photo.gt.txt");

    my $r = extract($photo, { format => 'plain', language => 'eng' });
    cmp_ok(cer($truth, content($r, 'language eng')), '<=', 0.01,
           'language eng');

    $r = extract($photo, { format => 'plain', language => 'deu' });
    ok(!$r->{ok}, 'a language not installed is refused');
    like($r->{error} // '', qr/deu is not installed; available: .*eng/,
         'the refusal lists the installed languages');

    $r = extract($photo, { format => 'plain', language => 'osd' });
    ok(!$r->{ok}, 'osd is not a language to read in');

    # a second language combination gets its own model, loaded once; the
    # first one stays loaded (a tessdata folder with "xyz" = eng's model)
    my $td = "$tmp/tessdata";
    mkdir($td) or die "$td: $!";
    for my $m (qw(eng osd)) {
        symlink("$tessdata/$m.traineddata", "$td/$m.traineddata") or die $!;
    }
    symlink("$tessdata/eng.traineddata", "$td/xyz.traineddata") or die $!;

    my ($results, undef, $err) = serve_text({ TESSDATA_PREFIX => $td },
        [ $photo, { format => 'plain' } ],
        [ $photo, { format => 'plain', language => 'eng+xyz' } ],
        [ $photo, { format => 'markdown', language => 'eng' } ],
        [ $photo, { format => 'plain', language => 'eng+xyz' } ],
        [ "$data/tessjs_simple-90.jpg", { format => 'html' } ],
    );
    for my $i (0 .. 3) {
        ok($results->[$i]{ok}, "serve job $i: ok")
            or diag($json->encode($results->[$i]));
        cmp_ok(cer($truth, $results->[$i]{result}{content} // ''), '<=', 0.01,
               "serve job $i: text");
    }
    is($results->[4]{result}{content}, "<p>Tesseract.js</p>\n",
       'serve job 4: html of a turned word');
    my @loads = $err =~ /tesseract model (\S+) loaded/g;
    is_deeply([ sort @loads ], [ qw(eng eng+xyz osd) ],
              'each model loaded once across five jobs') or diag($err);

    $r = extract($photo, { format => 'plain' }, '--limit', 'max_pixels=1000');
    is($r->{code}, 'limit_exceeded', 'max_pixels: limit_exceeded');
    is($r->{details}{limit}, 'max_pixels', 'max_pixels: named');

    $r = extract($photo, { format => 'plain' }, '--limit', 'max_text=20');
    is($r->{code}, 'limit_exceeded', 'max_text: limit_exceeded');
    is($r->{details}{limit}, 'max_text', 'max_text: named');

    # a PNG cut inside its image data
    open(my $in, '<:raw', "$data/tesstest_HelloGoogle.png") or die $!;
    read($in, my $head, 300);
    open(my $cut, '>:raw', "$tmp/cut.png") or die $!;
    print $cut $head;
    close($cut);
    $r = extract("$tmp/cut.png", { format => 'plain' });
    is($r->{code}, 'corrupt_input', 'truncated PNG: corrupt_input');
}


# --- every bad image of the foundation's table, one helper ---------------

{
    my $bad = "$root/t/data/bad";
    open(my $fh, '<', "$root/t/data/bad_outcomes.tsv") or die $!;
    my @rows = grep { $_->[2] eq 'convert' && $_->[1] eq '201' }
               map { chomp; [ split /\t/ ] } grep { !/^\s*(#|$)/ } <$fh>;
    cmp_ok(scalar @rows, '>=', 5, 'the table has image rows');

    # the same outcome as convert's: both read the image the same way
    my ($results) = serve_text({},
        map { [ "$bad/$_->[0]", { format => 'plain' } ] } @rows);
    for my $i (0 .. $#rows) {
        my ($file, undef, undef, $outcome, $reason) = @{ $rows[$i] };
        my $r = $results->[$i] // {};
        is($r->{ok} ? 'completed' : "failed:" . ($r->{code} // '?'),
           $outcome, "$file: extract-text $outcome ($reason)");
    }
}

done_testing();


# Draws lines of text (size, x, y, text) on a white page with ImageMagick.
sub draw {
    my ($path, $w, $h, @lines) = @_;
    my @cmd = ('convert', '-size', "${w}x$h", 'xc:white', '-fill', 'black',
               '-font', 'DejaVu-Sans');
    for my $l (@lines) {
        my ($size, $x, $y, $text) = @$l;
        (my $q = $text) =~ s/(['\\])/\\$1/g;
        utf8::encode($q);
        push @cmd, '-pointsize', $size, '-draw', "text $x,$y '$q'";
    }
    system(@cmd, '-type', 'Grayscale', $path) == 0 or die "convert $path";
}
