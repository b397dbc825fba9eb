# `nginx -t` accepts conf.example and the suite's configuration, and rejects
# a bad scandoc configuration with a message naming the directive, without
# connecting to Redis (none listens on the address used here) or spawning
# anything.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;

my $s = Test::Scandoc::Server->new;
my $dir = $s->dir;
my $storage = $s->storage;
my $engine = Test::Scandoc::Server::engine_path();
my $nobody = Test::Scandoc::Server::free_port();   # no Redis there
my %user;                                          # see 'not writable'

# The scandoc http directives with one of them replaced (or removed, undef).
sub scandoc_http {
    my (%over) = @_;
    my %d = (
        scandoc_redis       => "127.0.0.1:$nobody",
        scandoc_storage     => $storage,
        scandoc_engine      => $engine,
        scandoc_thread_pool => 'scandoc slots=2',
        scandoc_io_pool     => 'scandoc_io',
        %over,
    );
    return join '', map { defined $d{$_} ? "    $_ $d{$_};\n" : '' } sort keys %d;
}

sub nginx_t {
    my ($name, %over) = @_;
    # the unwritable-storage case needs its worker user
    my %u = $name =~ /not writable/ ? %user : ();
    return $s->nginx_t($s->nginx_conf(http_scandoc => scandoc_http(%over), %u));
}

{
    my ($rc, $out) = nginx_t('good');
    is($rc, 0, 'the suite configuration passes nginx -t') or diag($out);
    ok(!(grep { /scandoc-engine/ } map { Test::Scandoc::Server::cmdline($_) }
         Test::Scandoc::Server::children_of($$)), 'nothing spawned');
}

{
    # conf.example with make run's substitutions
    local $ENV{SCANDOC_DATA} = "$dir/run-data";
    local $ENV{BUILD} = $Test::Scandoc::Server::BUILD;
    my $conf = `$Test::Scandoc::Server::ROOT/tools/run --conf`;
    chomp $conf;
    is($?, 0, 'tools/run --conf writes a configuration');
    my $out = `$Test::Scandoc::Server::NGINX -t -p $dir/run-data/ -e $dir/logs/error.log -c $conf 2>&1`;
    is($? >> 8, 0, 'conf.example passes nginx -t') or diag($out);
}

my @bad = (
    [ 'missing scandoc_redis', qr/scandoc_redis/, scandoc_redis => undef ],
    [ 'unknown engine pool', qr/scandoc_thread_pool|nosuchpool/,
      scandoc_thread_pool => 'nosuchpool slots=2' ],
    [ 'unknown io pool', qr/scandoc_io_pool|nosuchpool/,
      scandoc_io_pool => 'nosuchpool' ],
    [ 'one pool for engine and io', qr/scandoc_(io|thread)_pool/,
      scandoc_io_pool => 'scandoc' ],
    [ 'storage missing', qr/scandoc_storage/,
      scandoc_storage => "$dir/no/such/storage" ],
    [ 'engine missing', qr/scandoc_engine/,
      scandoc_engine => "$dir/no/such/scandoc-engine" ],
    [ 'missing scandoc_storage', qr/scandoc_storage/, scandoc_storage => undef ],
    [ 'unknown Redis host', qr/scandoc_redis/,
      scandoc_redis => 'no-such-host.invalid:6379' ],
);

# Storage that exists but the workers cannot write: as root, run them as
# nobody (the storage is root's, mode 0755); otherwise a read-only folder.
if ($> == 0) {
    %user = (user => 'nobody nogroup');
    mkdir "$dir/rootonly";
    chmod 0755, "$dir/rootonly";
    push @bad, [ 'storage not writable by the workers', qr/scandoc_storage/,
                 scandoc_storage => "$dir/rootonly" ];
} else {
    mkdir "$dir/readonly";
    chmod 0555, "$dir/readonly";
    push @bad, [ 'storage not writable', qr/scandoc_storage/,
                 scandoc_storage => "$dir/readonly" ];
}

for my $case (@bad) {
    my ($name, $re, %over) = @$case;
    my ($rc, $out) = nginx_t($name, %over);
    isnt($rc, 0, "$name: nginx -t fails");
    like($out, $re, "$name: the message names the directive") or diag($out);
    unlike($out, qr/connect|Connection refused/i, "$name: nothing connected");
}

# client_body_temp_path on another filesystem than storage: uploads would be
# a blocking copy instead of a rename.
SKIP: {
    my $other = '/dev/shm';
    skip "no second filesystem ($other) on this machine", 2
        unless -d $other && (stat $other)[0] != (stat $storage)[0];
    my $tmp = "$other/scandoc-t-$$";
    mkdir $tmp;
    my $conf = $s->nginx_conf(http_scandoc => scandoc_http(),
                              http_config => "    client_body_temp_path $tmp;\n");
    # the suite's own client_body_temp_path comes first: drop it
    $conf =~ s/^\s*client_body_temp_path \Q$storage\E.*\n//m;
    my $path = $s->write_conf($conf);
    my $out = `$Test::Scandoc::Server::NGINX -t -p $dir/ -e $dir/logs/error.log -c $path 2>&1`;
    rmdir $tmp;
    isnt($? >> 8, 0, 'body spool on another filesystem: nginx -t fails');
    like($out, qr/client_body_temp_path|scandoc_storage/,
         'the message names the directive') or diag($out);
}

done_testing();
