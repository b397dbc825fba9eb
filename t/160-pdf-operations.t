# The PDF operations through the real server: split, extract-pages and
# render (compatible), rotate, compress and info (ext), with passwords.
# The generated files are downloaded and checked with independent tools
# (qpdf, mutool, pdfinfo, identify); names, properties, chains.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;

plan skip_all => 'qpdf, mutool, pdfinfo and identify are needed'
    if grep { system("command -v $_ >/dev/null 2>&1") != 0 }
       qw(qpdf mutool pdfinfo identify);

my $s = Test::Scandoc::Server->new;
$s->start_nginx;
my $dir = $s->dir;
my $data = "$Test::Scandoc::Server::ROOT/t/data/pdf";
sub pdf { "$data/$_[0]" }
sub enc { Test::Scandoc::Server::json_encode(@_) }

my $latex_pdf = pdf('pysf_pdflatex-4-pages.pdf');
my $habibi_pdf = pdf('pysf_habibi-rotated.pdf');
my $latex = $s->upload_id($latex_pdf, 'latex');
my $habibi = $s->upload_id($habibi_pdf, 'habibi');
my $geo = $s->upload_id(pdf('pysf_GeoTopo-komprimiert.pdf'), 'GeoTopo');
my $locked = $s->upload_id(pdf('qpdf_20-pages.pdf'), 'locked');
my $xi = $s->upload_id(pdf('qpdf_enc-XI-long-password.pdf'), 'xi');
my $xi_pw = 'qwertyuiopasdfghjklzxcvbnm' x 5;

# Runs a task to its end; returns the Task and its generated files saved
# under $dir/tmp as [File, path].
sub run_task {
    my ($label, $op, $body, $want) = @_;
    my $id = $s->create_task_id(pdf => $op, $body);
    my $t = $s->wait_task($id);
    is($t->{status}, $want // 'completed', "$label: " . ($want // 'completed'))
        or diag(enc($t));
    my @out;
    for my $f (@{ $t->{result}{generated_files} // [] }) {
        my $d = $s->download($f->{id});
        is($d->{status}, 200, "$label: $f->{name} downloads");
        my $ext = $f->{type} eq 'image/png' ? 'png' : 'pdf';
        my $path = "$dir/tmp/$f->{id}.$ext";
        Test::Scandoc::Server::spew($path, $d->{body});
        is($f->{properties}{size}, length $d->{body},
           "$label: $f->{name} size");
        is($f->{task_id}, $id, "$label: $f->{name} names its task");
        push @out, [ $f, $path ];
    }
    return ($t, @out);
}

sub qpdf_ok { system("qpdf --check '$_[0]' >/dev/null 2>&1") == 0 }

sub page_text {
    my ($path, $page) = @_;
    my $t = `mutool draw -F txt -o - '$path' $page 2>/dev/null`;
    $t =~ s/\f\n\z//;
    return $t;
}

sub px { `identify -format '%w %h' '$_[0]' 2>/dev/null` }

# split: one file per page, named after the page, with its text
{
    my ($t, @out) = run_task('split', split => { input => $latex });
    is(scalar @out, 4, 'split: four files');
    is_deeply([ map { $_->[0]{name} } @out ],
              [ map { "latex-$_" } 1 .. 4 ], 'split: latex-1 .. latex-4');
    for my $k (0 .. $#out) {
        my ($f, $path) = @{ $out[$k] };
        is($f->{type}, 'application/pdf', "split $f->{name}: a PDF");
        is($f->{properties}{page_count}, 1, "split $f->{name}: page_count 1");
        ok(qpdf_ok($path), "split $f->{name}: qpdf --check");
        is(page_text($path, 1), page_text($latex_pdf, $k + 1),
           "split $f->{name}: its text");
    }

    # a split's files are the input of a merge: the pages come back whole
    my ($m, $merged) = run_task('merge of a split', merge =>
                                { input => [ $t->{id} ], name => 'again' });
    if ($merged) {
        is($merged->[0]{name}, 'again', 'merge of a split: named');
        is($merged->[0]{properties}{page_count}, 4,
           'merge of a split: 4 pages');
        is(`mutool draw -F txt -o - '$merged->[1]' 2>/dev/null`,
           `mutool draw -F txt -o - '$latex_pdf' 2>/dev/null`,
           'merge of a split: the text of the original');
    }
}

# split of a large document: a file per page, named up to -117 (progress
# lines are the engine's, checked in t/pdf_ops.t: here the task is over
# before a heartbeat would carry them)
{
    my $t = $s->wait_task($s->create_task_id(pdf => split =>
                                             { input => $geo }));
    is($t->{status}, 'completed', 'split of 117 pages: completed');
    my $files = $t->{result}{generated_files} // [];
    is(scalar @$files, 117, 'split of 117 pages: 117 files');
    is($files->[116]{name}, 'GeoTopo-117', 'split: the last is GeoTopo-117');
}

# extract-pages: the pages as written, named after the task
{
    my ($t, @out) = run_task('extract-pages', 'extract-pages' =>
        { input => $latex, pages => '4,1-2,2', name => 'picked' });
    is(scalar @out, 1, 'extract-pages: one file');
    my ($f, $path) = @{ $out[0] // [ {}, '' ] };
    is($f->{name}, 'picked', "extract-pages: the task's name");
    is($f->{properties}{page_count}, 4, 'extract-pages: page_count 4');
    ok(qpdf_ok($path), 'extract-pages: qpdf --check');
    is_deeply([ map { page_text($path, $_) } 1 .. 4 ],
              [ map { page_text($latex_pdf, $_) } 4, 1, 2, 2 ],
              'extract-pages: pages 4, 1, 2, 2');
}

# render: PNGs of the size mutool draw gives, named after their pages
{
    my ($t, @out) = run_task('render', render =>
        { input => $habibi, dpi => 72, pages => '1,4' });
    is_deeply($t->{parameters}, { input => $habibi, dpi => 72, pages => '1,4' },
              'render: parameters');
    is_deeply([ map { $_->[0]{name} } @out ], [ 'habibi-1', 'habibi-4' ],
              'render: named after the pages');
    for my $o (@out) {
        my ($f, $path) = @$o;
        my ($page) = $f->{name} =~ /-(\d+)$/;
        system("mutool draw -r 72 -o '$dir/tmp/m.png' '$habibi_pdf' $page "
               . '>/dev/null 2>&1');
        is($f->{type}, 'image/png', "render $f->{name}: a PNG");
        is(px($path), px("$dir/tmp/m.png"), "render $f->{name}: mutool's size");
        is("$f->{properties}{width} $f->{properties}{height}", px($path),
           "render $f->{name}: width and height");
    }

    # the default dpi, one page: no suffix on a single output
    ($t, @out) = run_task('render at 300 dpi', render =>
        { input => $latex, pages => '3' });
    is($t->{parameters}{dpi}, 300, 'render: dpi 300 by default');
    my ($f, $path) = @{ $out[0] // [ {}, '' ] };
    is($f->{name}, 'latex', 'render of one page: the input name');
    system("mutool draw -r 300 -o '$dir/tmp/m.png' '$latex_pdf' 3 "
           . '>/dev/null 2>&1');
    is(px($path), px("$dir/tmp/m.png"), 'render at 300 dpi: mutool\'s size');
}

# rotate, compress, info (ext)
{
    my ($t, @out) = run_task('rotate', rotate =>
        { input => $habibi, angle => 90, pages => '1-2' });
    my $path = $out[0][1] // '';
    ok(qpdf_ok($path), 'rotate: qpdf --check');
    is_deeply([ `pdfinfo -f 1 -l 4 '$path' 2>/dev/null` =~ /rot:\s+(\d+)/g ],
              [ 180, 270, 270, 0 ], 'rotate: 90 added to pages 1 and 2');

    ($t, @out) = run_task('compress', compress => { input => $geo });
    $path = $out[0][1] // '';
    ok(qpdf_ok($path), 'compress: qpdf --check');
    cmp_ok(-s $path, '<=', -s pdf('pysf_GeoTopo-komprimiert.pdf'),
           'compress: not larger than the input');
    is($out[0][0]{properties}{page_count}, 117, 'compress: page_count');

    ($t) = run_task('info', info => { input => $habibi });
    my $r = $t->{result};
    is($r->{page_count}, 4, 'info: page_count');
    is_deeply([ map { $_->{rotation} } @{ $r->{pages} // [] } ],
              [ 90, 180, 270, 0 ], 'info: rotations');
    is($r->{pages}[0]{width}, 595.28, 'info: width in points');
    ok($r->{pages}[0]{has_text}, 'info: has_text');
    is($r->{metadata}{producer}, 'pypdf', 'info: metadata');
    ok(!exists $r->{generated_files}, 'info: no file');
}

# validation by the module
{
    my @cases = (
        [ rotate => { input => $latex, angle => 45 }, 'angle' ],
        [ rotate => { input => $latex }, 'angle' ],
        [ info => { input => $latex, name => 'x' }, 'name' ],
        [ compress => { input => $latex, dpi => 72 }, 'dpi' ],
        [ 'extract-pages' => { input => $latex, pages => '2,5' }, 'pages' ],
        [ render => { input => $latex, pages => '9' }, 'pages' ],
    );
    for my $c (@cases) {
        my ($op, $body, $key) = @$c;
        my $r = $s->create_task(pdf => $op, $body);
        is($r->{status}, 422, "$op " . enc($body) . ': 422');
        is(join(' ', sort keys %{ $r->{json}{errors} // {} }), $key,
           "$op: the error is on $key");
    }
}

# passwords: missing or wrong fails encrypted_input and says so; the
# right one (user or owner) opens it; a page count unknown at upload is
# checked when the task runs
{
    my ($t) = run_task('split without password', split => { input => $locked },
                       'failed');
    is($t->{result}{details}{code}, 'encrypted_input', 'no password: the code');
    like($t->{result}{error}, qr/no password was given/,
         'no password: said so');

    ($t) = run_task('render with a wrong password', render =>
                    { input => $locked, password => 'nope' }, 'failed');
    is($t->{result}{details}{code}, 'encrypted_input', 'wrong password: code');
    like($t->{result}{error}, qr/password does not open/,
         'wrong password: said so');

    my @out;
    ($t, @out) = run_task('extract-pages with the user password',
        'extract-pages' => { input => $locked, pages => '20,1',
                             password => 'user' });
    my $path = $out[0][1] // '';
    ok(qpdf_ok($path), 'decrypted output: qpdf --check');
    like(page_text($path, 1), qr/Original page 19/, 'page 20 first');

    ($t, @out) = run_task('split with the owner password', split =>
                          { input => $locked, password => 'owner' });
    is(scalar @out, 20, 'owner password: 20 pages');

    my $info = $s->request(GET => "/v1/files/$xi")->{json};
    ok(!defined $info->{properties}{page_count},
       'an unreadable page tree: page_count null at upload');
    ($t) = run_task('extract-pages beyond an encrypted document',
        'extract-pages' => { input => $xi, pages => '1,99',
                             password => $xi_pw },
        'failed');
    is($t->{result}{details}{code}, 'page_out_of_range',
       'page_out_of_range once opened');
    is($t->{result}{details}{page}, 99, 'page_out_of_range: the page');

    ($t) = run_task('info of the long-password file', info =>
                    { input => $xi, password => $xi_pw });
    ok($t->{result}{encrypted}, 'info: encrypted');
    cmp_ok($t->{result}{page_count} // 0, '>', 0, 'info: its page count');
}

is(join(' ', $s->staging_settled), '', 'staging is empty');

done_testing();
