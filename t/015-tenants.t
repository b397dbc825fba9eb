# Tenant isolation: another tenant's objects answer 404 exactly as missing
# ones do, and never appear in its lists.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;

my $s = Test::Scandoc::Server->new;
$s->start_nginx;

my $file = $s->upload_id(Test::Scandoc::Server::corpus('tessjs_simple.png'), 'mine');
my $task = $s->create_task_id(image => convert =>
    { input => $file, target_format => 'image/jpeg', quality => 80 });

for my $path ("/v1/files/$file", "/v1/files/$file/download", "/v1/tasks/$task") {
    my $r = $s->request(GET => $path, key => 'other');
    is($r->{status}, 404, "other tenant: GET $path is 404");
    my ($id) = $path =~ m{/((?:file|task)_\w+)};
    like($r->{json}{message} // '', qr/with id \Q$id\E not found\./,
         'same message as a missing object');
}
is($s->request(DELETE => "/v1/files/$file", key => 'other')->{status}, 404,
   'other tenant cannot delete the file');
is($s->request(DELETE => "/v1/tasks/$task", key => 'other')->{status}, 404,
   'other tenant cannot delete the task');

# using another tenant's file as an input is a 404 on input
my $r = $s->create_task(image => convert =>
    { input => $file, target_format => 'image/png' }, key => 'other');
is($r->{status}, 404, "other tenant's file as input: 404");
like($r->{json}{message} // '', qr/File with id \Q$file\E not found\./, 'names the file');

for my $what (qw(files tasks events)) {
    my $l = $s->request(GET => "/v1/$what", key => 'other');
    is($l->{status}, 200, "other tenant lists $what");
    my @ids = map { $_->{id} } @{ $l->{json}{data} // [] };
    is(scalar(grep { $_ eq $file || $_ eq $task } @ids), 0,
       "none of the first tenant's objects in its $what");
    # the first tenant's id as a cursor is unknown to this tenant
    my $from = $what eq 'files' ? $file : $what eq 'tasks' ? $task : undef;
    next unless $from;
    my $p = $s->request(GET => "/v1/$what?from=$from", key => 'other');
    is($p->{status}, 422, "from= another tenant's id is a 422");
    ok(exists(($p->{json}{errors} // {})->{from}), 'keyed from');
}

# the owner still sees everything
is($s->request(GET => "/v1/files/$file")->{status}, 200, 'owner sees the file');
is($s->request(GET => "/v1/tasks/$task")->{status}, 200, 'owner sees the task');

done_testing();
