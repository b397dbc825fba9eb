# extract-text and ocr on PDFs (issue 4, extensions) through the real
# server: validation of the new routes, the result of extract-text
# (format and content, as for images), the searchable PDF of ocr as a
# downloadable File that pdftotext reads, passwords, chains, and the
# image route keeping images only.  The engine's own tests (t/pdf_text.t)
# judge accuracy; here it is enough that the words come back.
use strict;
use warnings;
use utf8;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;
use Test::Scandoc::Text qw(cer);

plan skip_all => 'qpdf and pdftotext are needed'
    if grep { system("command -v $_ >/dev/null 2>&1") != 0 }
       qw(qpdf pdftotext);

my $s = Test::Scandoc::Server->new;
$s->start_nginx;
my $dir = $s->dir;
my $data = "$Test::Scandoc::Server::ROOT/t/data/pdf";
sub pdf { "$data/$_[0]" }
sub enc { Test::Scandoc::Server::json_encode(@_) }

my $linn = $s->upload_id(pdf('ocrmypdf_linn.pdf'), 'linn');
my $labels = $s->upload_id(pdf('qpdf_11-pages-with-labels.pdf'), 'labels');
my $locked = $s->upload_id(pdf('qpdf_20-pages.pdf'), 'locked');
my $png = $s->upload_id(Test::Scandoc::Server::corpus('tessjs_simple.png'),
                        'simple');

sub run_task {
    my ($label, $op, $body, $want) = @_;
    my $id = $s->create_task_id(pdf => $op, $body);
    my $t = $s->wait_task($id, timeout => 150);
    is($t->{status}, $want // 'completed', "$label: " . ($want // 'completed'))
        or diag(enc($t));
    return $t;
}

# validation: the fields of each route, everything at once
{
    my $r = $s->create_task(pdf => 'extract-text', { input => $labels,
        format => 'json', name => 'x', pages => '2-1', angle => 90 });
    is($r->{status}, 422, 'extract-text: 422');
    is(join(' ', sort keys %{ $r->{json}{errors} // {} }),
       'angle name pages schema', 'extract-text: each bad field named')
        or diag($r->{body});

    $r = $s->create_task(pdf => 'ocr', { input => $labels,
        format => 'plain', language => 'xx' });
    is($r->{status}, 422, 'ocr: 422');
    is(join(' ', sort keys %{ $r->{json}{errors} // {} }), 'format language',
       'ocr: format is not its field, the language is checked');

    $r = $s->create_task(pdf => 'extract-text', { input => $labels,
        format => 'plain', pages => '12' });
    is($r->{status}, 422, 'extract-text: a page beyond page_count');

    $r = $s->create_task(pdf => 'extract-text', { input => $png,
                                                 format => 'plain' });
    is($r->{status}, 422, 'extract-text under pdf-operations: not an image');

    $r = $s->create_task(image => 'extract-text', { input => $labels,
                                                   format => 'plain' });
    is($r->{status}, 422, 'extract-text under image-operations: not a PDF');

    $r = $s->create_task(image => 'ocr', { input => $png });
    is($r->{status}, 404, 'ocr is a PDF operation only');
}

# extract-text: the text layer, pages as selected, markdown
{
    my $t = run_task('extract-text', 'extract-text' =>
                     { input => $labels, format => 'plain', pages => '2,1' });
    is_deeply($t->{result}, { format => 'plain', content =>
              "Original page 2\n\nOriginal page 1\n" },
              'extract-text: format and content');
    is_deeply($t->{parameters}, { input => $labels, format => 'plain',
                                  language => 'eng', pages => '2,1' },
              'extract-text: parameters, the default language filled in');

    $t = run_task('extract-text markdown', 'extract-text' =>
                  { input => $labels, format => 'markdown', pages => '11' });
    is($t->{result}{content}, "Original page 11\n", 'markdown: the page');
}

# a scanned page: OCR through extract-text, and ocr as a searchable PDF
my $truth = Test::Scandoc::Server::slurp(pdf('ocrmypdf_linn.pdf.expected.txt'));
utf8::decode($truth);
{
    my $t = run_task('extract-text of a scan', 'extract-text' =>
                     { input => $linn, format => 'plain' });
    cmp_ok(cer($truth, $t->{result}{content} // ''), '<=', 0.05,
           'extract-text of a scan: its words');

    $t = run_task('ocr', ocr => { input => $linn, name => 'searchable' });
    my $f = $t->{result}{generated_files}[0] // {};
    is($f->{name}, 'searchable', "ocr: the task's name");
    is($f->{type}, 'application/pdf', 'ocr: a PDF');
    is($f->{properties}{page_count}, 1, 'ocr: page_count');
    my $d = $s->download($f->{id} // 'file_x');
    is($d->{status}, 200, 'ocr: downloads');
    my $path = "$dir/tmp/ocr.pdf";
    Test::Scandoc::Server::spew($path, $d->{body});
    ok(system("qpdf --check '$path' >/dev/null 2>&1") == 0,
       'ocr: qpdf --check');
    my $text = `pdftotext -raw '$path' - 2>/dev/null`;
    utf8::decode($text);
    cmp_ok(cer($truth, $text), '<=', 0.05, 'ocr: pdftotext reads the words');

    # a chain: the searchable PDF's text layer is read, not OCRed again
    $t = run_task('extract-text of the ocr output', 'extract-text' =>
                  { input => $t->{id}, format => 'plain' });
    like($t->{result}{content} // '', qr/The LinnSequencer/,
         'extract-text of the ocr output: its text');
}

# passwords
{
    my $t = run_task('extract-text without password', 'extract-text' =>
                     { input => $locked, format => 'plain' }, 'failed');
    is($t->{result}{details}{code}, 'encrypted_input', 'no password: code');

    $t = run_task('extract-text with password', 'extract-text' =>
                  { input => $locked, format => 'plain', pages => '20',
                    password => 'user' });
    is($t->{result}{content}, "Original page 19\n", 'password: the text');
    is($t->{parameters}{password}, 'user', 'password: parameters echo the body');

    $t = run_task('ocr with password', ocr =>
                  { input => $locked, pages => '1', password => 'user' });
    is($t->{result}{generated_files}[0]{properties}{page_count}, 20,
       'ocr with password: every page kept');
}

done_testing();
