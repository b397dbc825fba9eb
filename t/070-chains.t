# Chains: a task whose input is an unfinished task waits for it and runs on
# its output; a failed or cancelled parent fails its waiters with
# input_failed.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;

my $s = Test::Scandoc::Server->new;
$s->start_nginx;
sub corpus { Test::Scandoc::Server::corpus(@_) }

my $png = $s->upload_id(corpus('tessjs_simple.png'), 'simple');
my $pdf = $s->upload_id(corpus('qpdf_minimal.pdf'), 'potato');
# the parent converts a big image, so the children are posted before it runs
my $big = $s->upload_id($s->make_noise_png(3000, 3000), 'noise');

# convert -> merge posted before the convert finished
{
    # (WebP at quality 100: seconds of work, so the merge surely comes first)
    my $conv = $s->create_task_id(image => convert =>
        { input => $big, target_format => 'image/webp', quality => 100 });
    my $merge = $s->create_task_id(pdf => merge => { input => [ $pdf, $conv ] });
    my $m = $s->get_task($merge);
    is($m->{status}, 'pending', 'the merge waits for its input task');
    is_deeply($m->{parameters}{input}, [ $pdf, $conv ], 'with the task id as input');

    my $done = $s->wait_task($merge);
    is($done->{status}, 'completed', 'the merge completes')
        or diag(Test::Scandoc::Server::json_encode($done));
    my $c = $s->get_task($conv);
    is($c->{status}, 'completed', 'after its parent completed');
    ok($c->{updated_at} le $done->{updated_at}, 'the parent finished first');

    my $out = $done->{result}{generated_files}[0]{id};
    my $d = $s->download($out // 'file_none');
    my $path = $s->dir . '/tmp/chain.pdf';
    Test::Scandoc::Server::spew($path, $d->{body});
    chomp(my $n = `qpdf --show-npages '$path' 2>&1`);
    is($n, 2, 'one page from the PDF, one from the converted image');

    my @ev = grep { $_->{type} =~ /^task\./ } $s->all_events;
    my @order = map { "$_->{type} " . ($_->{data}{id} eq $conv ? 'convert' : 'merge') } @ev;
    is_deeply(\@order, [ 'task.created convert', 'task.created merge',
                         'task.completed convert', 'task.completed merge' ],
              'events in order');
}

# a chain of three, posted at once
{
    my $a = $s->create_task_id(image => convert =>
        { input => $big, target_format => 'image/png' });
    my $b = $s->create_task_id(image => convert =>
        { input => $a, target_format => 'image/webp', quality => 40 });
    my $c = $s->create_task_id(image => convert =>
        { input => $b, target_format => 'image/jpeg', quality => 40, name => 'end' });
    my $t = $s->wait_task($c);
    is($t->{status}, 'completed', 'a three-task chain completes');
    is($t->{result}{generated_files}[0]{type}, 'image/jpeg', 'on the last output');
}

# a parent that fails (the engine refuses its input) fails its waiter
{
    # a parent failing for sure: warp of an image is not implemented yet, and
    # when it is, vertices of the whole image still make a valid task; so use
    # a PDF-producing merge whose output is then given to an image operation:
    # the rule "wrong kind" is applied when the parent finishes.
    my $m = $s->create_task_id(pdf => merge => { input => [ $big ] });
    my $child = $s->create_task_id(image => convert =>
        { input => $m, target_format => 'image/png' });
    is($s->get_task($child)->{status}, 'pending', 'parked on the merge');
    my $t = $s->wait_task($child);
    is($t->{status}, 'failed', 'the parent produced a PDF: the image op fails');
    is($t->{result}{details}{code}, 'input_failed', 'with input_failed');
}

{
    # a parent that fails because its own parent was cancelled: the failure
    # travels down the chain
    my $g = $s->create_task_id(image => convert =>
        { input => $big, target_format => 'image/webp', quality => 100 });
    my $p = $s->create_task_id(image => convert =>
        { input => $g, target_format => 'image/png' });
    my $child = $s->create_task_id(image => convert =>
        { input => $p, target_format => 'image/jpeg', quality => 50 });
    is($s->request(DELETE => "/v1/tasks/$g")->{status}, 204, 'cancel the grandparent');
    my $pt = $s->wait_task($p);
    is($pt->{status}, 'failed', 'the parent failed');
    is($pt->{result}{details}{code}, 'input_failed', 'with input_failed');
    my $t = $s->wait_task($child);
    is($t->{status}, 'failed', 'its waiter failed too');
    is($t->{result}{details}{code}, 'input_failed', 'with input_failed');

    # a failed task as input at creation: 422 at once
    my $r = $s->create_task(image => convert => { input => $p, target_format => 'image/png' });
    is($r->{status}, 422, 'a failed task as input: 422') or diag($r->{body});
    ok(exists(($r->{json}{errors} // {})->{input}), 'keyed input');
}

# a cancelled parent fails its waiter
{
    my $p = $s->create_task_id(image => convert =>
        { input => $big, target_format => 'image/webp', quality => 100 });
    my $child = $s->create_task_id(pdf => merge => { input => [ $p, $pdf ] });
    is($s->request(DELETE => "/v1/tasks/$p")->{status}, 204, 'cancel the parent');
    my $t = $s->wait_task($child);
    is($t->{status}, 'failed', 'the waiter failed');
    is($t->{result}{details}{code}, 'input_failed', 'with input_failed');
}

# a deleted task as input at creation: 422 at once
{
    my $p = $s->create_task_id(image => convert =>
        { input => $png, target_format => 'image/png' });
    $s->wait_task($p);
    $s->request(DELETE => "/v1/tasks/$p");
    my $r = $s->create_task(image => convert => { input => $p, target_format => 'image/png' });
    is($r->{status}, 422, 'a deleted task as input: 422 (API.md)') or diag($r->{body});
}

done_testing();
