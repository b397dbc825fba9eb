# The helpers' memory limit through the server (`scandoc_helper_memory
# 160m`, RLIMIT_AS; the engine itself needs about 110 MB of address space
# to start): work that needs more fails the task cleanly with
# limit_exceeded and details.limit "memory", at once (a limit is not a
# crash: no retry), nginx's workers are untouched and the next task runs.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;

my $s = Test::Scandoc::Server->new;
$s->start_nginx(http_config => "    scandoc_helper_memory 160m;\n");
my @workers = sort $s->worker_pids;
sub enc { Test::Scandoc::Server::json_encode(@_) }

sub over_memory {
    my ($label, $id) = @_;
    my $t = $s->wait_task($id, timeout => 60);
    is($t->{status}, 'failed', "$label: failed") or diag(enc($t));
    is($t->{result}{details}{code}, 'limit_exceeded', "$label: limit_exceeded")
        or diag(enc($t->{result}));
    is($t->{result}{details}{limit}, 'memory', "$label: the limit is memory");
    is($s->task_attempts($id), 1, "$label: one attempt, no retry");
    is_deeply([ $s->task_event_types($id) ], [ 'task.created', 'task.failed' ],
              "$label: failed once");
}

# a 600 dpi rendering of an A4 page needs ~100 MB of pixels
my $geo = $s->upload_id("$Test::Scandoc::Server::ROOT/t/data/pdf/pysf_GeoTopo-komprimiert.pdf", 'GeoTopo');
over_memory('render at 600 dpi',
            $s->create_task_id(pdf => render => { input => $geo, dpi => 600, pages => '1' }));

# decoding a 4000x4000 RGB noise PNG needs its 48 MB of bytes and 64 MB of
# pixels beyond what the helper holds
my $noise = $s->upload_id($s->make_noise_png(4000, 4000), 'noise');
over_memory('convert of a 16-megapixel PNG',
            $s->create_task_id(image => convert => { input => $noise,
                                                     target_format => 'image/jpeg',
                                                     quality => 80 }));

# nothing else suffered
is_deeply([ sort $s->worker_pids ], \@workers, 'the nginx workers are the same processes');
is_deeply([ $s->staging_settled ], [], 'nothing left in staging');
my $file = $s->upload_id(Test::Scandoc::Server::corpus('tessjs_simple.png'), 'simple');
my $n = $s->wait_task($s->create_task_id(image => convert => { input => $file,
                                                                target_format => 'image/png' }));
is($n->{status}, 'completed', 'a task within the limit completes') or diag(enc($n));
my $r = $s->wait_task($s->create_task_id(pdf => render => { input => $geo, dpi => 72,
                                                             pages => '1' }));
is($r->{status}, 'completed', 'the same page at 72 dpi renders') or diag(enc($r));

done_testing();
