# Redis with requirepass and the API's data in database 1
# (`scandoc_redis localhost:PORT password=... db=1;`): tenants made with
# scandoc-admin (SCANDOC_REDIS_PASSWORD, SCANDOC_REDIS_DB), then upload, a
# task, its output and the lists work end to end, and nothing lands in db 0.
# A PDF password given to a task opens the file.  The address is a host
# name, resolved when the configuration is read.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;

my $pw = 'redis-secret-' . join '', map { ('a' .. 'z')[rand 26] } 1 .. 12;
my $s = Test::Scandoc::Server->new(redis_password => $pw, redis_db => 1,
                                  redis_host => 'localhost');
$s->start_nginx;
like($s->current_conf, qr/scandoc_redis localhost:\d+ password=\Q$pw\E db=1;/,
     'scandoc_redis with a host name, password= and db=1');

# the Redis really wants the password
my $port = $s->redis_port;
like(`redis-cli -p $port PING 2>&1`, qr/NOAUTH/, 'Redis refuses clients without the password');

# upload, task, output
my $png = Test::Scandoc::Server::corpus('tessjs_simple.png');
my $file = $s->upload_id($png, 'simple');
like($file, qr/^file_[a-z0-9]{16}$/, 'upload');
my $id = $s->create_task_id(image => convert => { input => $file, target_format => 'image/jpeg',
                                                  quality => 80 });
my $t = $s->wait_task($id);
is($t->{status}, 'completed', 'the task completed') or diag(Test::Scandoc::Server::json_encode($t));
my $out = $t->{result}{generated_files}[0] // {};
is($out->{type}, 'image/jpeg', 'a JPEG generated');
my $d = $s->download($out->{id} // 'file_0000000000000000');
is($d->{status}, 200, 'the output downloads');
is(substr($d->{body}, 0, 3), "\xff\xd8\xff", '... and is a JPEG');
is(scalar @{ $s->request(GET => '/v1/files')->{json}{data} // [] }, 2, 'files list');
ok((grep { $_->{type} eq 'task.completed' } $s->all_events), 'events list');
is($s->request(GET => "/v1/files/$file", key => 'other')->{status}, 404,
   'the other tenant still sees nothing');

# where the data is
is($s->redis_cli('EXISTS', "sd1:file:$file"), 1, 'the file is in db 1');
is($s->redis_cli('-n', 0, 'DBSIZE'), 0, 'db 0 is empty');

# a PDF password opens the file; parameters echo the accepted body
# (API.md: "the accepted body with defaults filled in")
{
    my $locked = $s->upload_id("$Test::Scandoc::Server::ROOT/t/data/pdf/qpdf_20-pages.pdf", 'locked');
    my $r = $s->create_task(pdf => 'extract-pages' => { input => $locked, pages => '2',
                                                         password => 'user' });
    is($r->{status}, 202, 'extract-pages with a password: 202');
    is($r->{json}{parameters}{password}, 'user', 'the Task answered echoes the body');
    my $pt = $s->wait_task($r->{json}{id});
    is($pt->{status}, 'completed', 'the engine had the password: completed')
        or diag(Test::Scandoc::Server::json_encode($pt));
    is($pt->{parameters}{password}, 'user', 'GET echoes the body');
}

done_testing();
