package Test::Scandoc::Server;

# The processes a scandoc test needs: one private Redis, one nginx (master +
# 2 workers) with the built module, two tenants with a key each, and an HTTP
# client that can also send malformed requests.  Used by the data-driven
# runner (Test::Scandoc) and directly by the end-to-end scenario scripts.
#
# Everything lives in t/servroot-<script>/ (git-ignored, kept after the run
# so a failure can be inspected) and every port is found free at run time.
# Only processes started here are ever signalled, by pid.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(basename dirname);
use File::Path qw(make_path remove_tree);
use Fcntl qw(:flock);
use File::Spec;
use IO::Socket::INET;
use JSON::PP ();
use POSIX qw(WNOHANG _exit setsid);
use Time::HiRes qw(sleep time);

our $ROOT = abs_path(dirname(__FILE__) . '/../../../..');
our $BUILD = $ENV{SCANDOC_BUILD} // "$ROOT/build";
our $NGINX = $ENV{SCANDOC_NGINX} // '/usr/sbin/nginx';
our $CORPUS = "$ROOT/t/data/corpus";

# UTF-8 on the wire, characters in Perl
my $json = JSON::PP->new->utf8->canonical->allow_nonref;

# Every object created here, so an END block can stop their processes even
# when a test dies half way.
my @LIVE;

sub module_path { "$BUILD/nginx/objs/ngx_http_scandoc_module.so" }
sub engine_path { "$BUILD/scandoc-engine" }
sub corpus { my $f = pop; "$CORPUS/$f" }

# A port nobody listens on right now: bind to port 0 and let the kernel
# choose (others run servers on fixed ports on this machine).
# A port the kernel hands out for port 0 comes from the ephemeral range,
# which every outgoing connection of the suite draws from too: between
# this choice and nginx's bind() a client socket could take it.  So the
# ports come from below that range, and a lock file held until this
# process exits keeps test files run in parallel (prove -j) or a second
# suite on the machine off each other's ports.
my @PORT_LOCKS;

sub free_port {
    my ($lo) = (slurp('/proc/sys/net/ipv4/ip_local_port_range') // '32768')
               =~ /(\d+)/;
    $lo = 32768 if $lo < 12000;
    my $dir = "/tmp/scandoc-test-ports";
    chmod 01777, $dir if mkdir $dir;
    for (1 .. 1000) {
        my $port = 10000 + int(rand($lo - 10000));
        open(my $lock, '>', "$dir/$port") or next;
        next unless flock($lock, LOCK_EX | LOCK_NB);
        my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                      LocalPort => $port, Proto => 'tcp',
                                      ReuseAddr => 1)
            or next;
        close $s;
        push @PORT_LOCKS, $lock;
        return $port;
    }
    die "cannot find a free port below $lo";
}

sub slurp {
    my ($path) = @_;
    open my $fh, '<:raw', $path or return undef;
    local $/;
    my $data = <$fh>;
    return $data;
}

sub spew {
    my ($path, $data) = @_;
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $data;
    close $fh or die "$path: $!";
}

# new(name => 'servroot suffix', redis_password => P, redis_db => N,
# redis_host => H): starts Redis (with requirepass P; the API's data in
# database N), loads the Function library, creates the tenants.  nginx is
# started separately (start_nginx); its scandoc_redis names the host H
# (default 127.0.0.1) and carries password= and db= accordingly.
sub new {
    my ($class, %args) = @_;
    my $name = $args{name} // basename($0, '.t');
    my $self = bless {
        dir        => "$ROOT/t/servroot-$name",
        redis_port => free_port(),
        port       => free_port(),
        keys       => {},
        redis_password => $args{redis_password},
        redis_db       => $args{redis_db} // 0,
        redis_host     => $args{redis_host},
    }, $class;
    remove_tree($self->{dir});
    make_path(map { "$self->{dir}/$_" }
              qw(conf logs redis storage storage/.body tmp));
    push @LIVE, $self;
    $self->start_redis;
    $self->load_library;
    $self->create_tenants;
    return $self;
}

# Only the HTTP client and API helpers, for a server started elsewhere (the
# make-run test): nothing is started or stopped.
sub client {
    my ($class, %a) = @_;
    return bless { port => $a{port}, keys => { main => $a{key} } }, $class;
}

sub dir { $_[0]{dir} }
sub port { $_[0]{port} }
sub redis_port { $_[0]{redis_port} }
sub storage { "$_[0]{dir}/storage" }
sub error_log_path { "$_[0]{dir}/logs/error.log" }
sub key { my ($self, $who) = @_; $self->{keys}{$who // 'main'} }
sub tenant { my ($self, $who) = @_; $self->{tenants}{$who // 'main'} }

# Fork and exec a command with its output going to a log file; returns the pid.
# The child leaves our process group so a ^C on prove reaches it only through
# our own cleanup (which waits for it properly).
sub spawn {
    my ($log, @cmd) = @_;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        setsid();
        # SIGTERM when the test dies, even by SIGKILL (prctl
        # PR_SET_PDEATHSIG), so no server outlives its test
        eval { require 'syscall.ph'; syscall(&SYS_prctl, 1, 15) };
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log or _exit(127);
        open STDERR, '>&', \*STDOUT;
        exec @cmd or _exit(127);
    }
    return $pid;
}

# Waits for $pid to exit for at most $secs; returns true when it did.
sub reap {
    my ($pid, $secs) = @_;
    my $until = time + $secs;
    while (time < $until) {
        my $r = waitpid($pid, WNOHANG);
        return 1 if $r == $pid || $r == -1;
        sleep 0.05;
    }
    return 0;
}

# Polls $cond until it returns true or $secs pass; returns its last value.
sub poll_until {
    my ($secs, $cond) = @_;
    my $until = time + $secs;
    while (1) {
        my $v = $cond->();
        return $v if $v || time >= $until;
        sleep 0.1;
    }
}

### Redis

# appendonly as in production: the Redis-down test restarts this Redis on
# the same directory and checks that nothing acknowledged was lost.
sub start_redis {
    my ($self, %opt) = @_;
    my $d = $self->{dir};
    spew("$d/redis/redis.conf", join "\n",
         "port $self->{redis_port}", "bind 127.0.0.1",
         "unixsocket $d/redis/redis.sock", "unixsocketperm 777",
         "dir $d/redis", "appendonly yes",
         "appendfsync " . ($opt{appendfsync} // 'everysec'),
         "maxmemory-policy noeviction", 'save ""', "daemonize no",
         "logfile $d/logs/redis.log",
         (defined $self->{redis_password}
              ? "requirepass $self->{redis_password}" : ()), "");
    $self->{redis_pid} = spawn("$d/logs/redis.out", 'redis-server',
                               "$d/redis/redis.conf");
    poll_until(10, sub { ($self->redis_cli('PING') // '') eq 'PONG' })
        or die "redis did not start (see $d/logs/redis.log)";
}

sub redis_cli {
    my ($self, @args) = @_;
    # a forking open, so the child can drop "Could not connect" noise
    my $pid = open my $fh, '-|';
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDERR, '>', '/dev/null';
        $ENV{REDISCLI_AUTH} = $self->{redis_password}
            if defined $self->{redis_password};
        exec 'redis-cli', '-p', $self->{redis_port}, '-n', $self->{redis_db},
             @args or _exit(127);
    }
    local $/;
    my $out = <$fh>;
    close $fh;
    $out =~ s/\n\z// if defined $out;
    return $out;
}

# SHUTDOWN (saves the AOF) or SIGKILL, as the fault tests need.
sub stop_redis {
    my ($self, $how) = @_;
    my $pid = delete $self->{redis_pid} or return;
    if (($how // 'shutdown') eq 'kill') {
        kill 'KILL', $pid;
    } else {
        $self->redis_cli('SHUTDOWN');
        kill 'TERM', $pid unless reap($pid, 10);
    }
    reap($pid, 10) or kill 'KILL', $pid;
    reap($pid, 5);
}

# Workers load the library themselves; the admin command needs it before any
# worker ran, so load it here ("already exists" is fine).
sub load_library {
    my ($self) = @_;
    my $lua = slurp("$ROOT/redis/scandoc.lua") // die "redis/scandoc.lua: $!";
    local %ENV = %ENV;
    $ENV{REDISCLI_AUTH} = $self->{redis_password}
        if defined $self->{redis_password};
    open my $fh, '|-', "redis-cli -p $self->{redis_port} -x FUNCTION LOAD "
                       . ">>$self->{dir}/logs/function-load.log 2>&1"
        or die "redis-cli: $!";
    print $fh $lua;
    close $fh;
}

sub admin {
    my ($self, @args) = @_;
    local %ENV = %ENV;
    $ENV{SCANDOC_REDIS} = "127.0.0.1:$self->{redis_port}";
    $ENV{SCANDOC_REDIS_DB} = $self->{redis_db};
    $ENV{SCANDOC_REDIS_PASSWORD} = $self->{redis_password}
        if defined $self->{redis_password};
    open my $fh, '-|', $ENV{SCANDOC_ADMIN} // "$ROOT/tools/scandoc-admin", @args
        or die "scandoc-admin: $!";
    local $/;
    my $out = <$fh> // '';
    close $fh;
    die "scandoc-admin @args failed (exit " . ($? >> 8) . "): $out" if $?;
    $out =~ s/\s+\z//;
    return $out;
}

# Two tenants: 'main' (the default of every request) and 'other' (for the
# isolation checks).
sub create_tenants {
    my ($self) = @_;
    for my $who (qw(main other)) {
        my $tenant = $self->admin('tenant', 'create', "test-$who");
        my $key = $self->admin('key', 'create', $tenant, "test-$who");
        $self->{tenants}{$who} = $tenant;
        $self->{keys}{$who} = $key;
    }
}

### nginx

# The server block scandoc tests use unless they bring their own `config`:
# the API, the problem renderer and the internal files location, wired as in
# conf.example.
sub default_server_config {
    my ($self) = @_;
    my $storage = $self->storage;
    return <<"EOF";
        error_page 400 401 403 404 405 408 411 412 413 414 416 429 494 500 501 502 503 504 505 /_scandoc/problem;
        location = /_scandoc/problem { internal; scandoc_problem; client_max_body_size 0; }
        location /_scandoc_files/ {
            internal;
            alias $storage/;
            aio threads;
        }
        location /v1/ {
            scandoc;
            client_max_body_size 50m;
            client_body_buffer_size 64k;
        }
EOF
}

# The whole nginx.conf.  %c: main_config, http_config, config (the server
# block's content), http_scandoc (replaces the scandoc http directives: the
# nginx -t tests use it to leave one out or break it), user (the workers'
# user when running as root).
sub nginx_conf {
    my ($self, %c) = @_;
    my $d = $self->{dir};
    my $storage = $self->storage;
    my $module = module_path();
    my $engine = engine_path();
    # as root the workers run as root unless a test asks for another user
    # (an unprivileged worker user cannot write a root-owned storage)
    my $user = $> != 0 ? '' : 'user ' . ($c{user} // 'root') . ";\n";
    my $redis = ($self->{redis_host} // '127.0.0.1') . ":$self->{redis_port}";
    $redis .= " password=$self->{redis_password}"
        if defined $self->{redis_password};
    $redis .= " db=$self->{redis_db}" if $self->{redis_db};
    my $scandoc = $c{http_scandoc} // <<"EOF";
    scandoc_redis $redis;
    scandoc_storage $storage;
    scandoc_engine $engine;
    scandoc_thread_pool scandoc slots=2;
    scandoc_io_pool scandoc_io;
    scandoc_files_location /_scandoc_files/;
EOF
    my $server = $c{config} // $self->default_server_config;
    my $main = $c{main_config} // '';
    my $http = $c{http_config} // '';
    return <<"EOF";
# generated by t/lib/Test/Scandoc/Server.pm
${user}daemon off;
master_process on;
worker_processes 2;
pid $d/logs/nginx.pid;
error_log $d/logs/error.log debug;
load_module $module;
thread_pool scandoc threads=2;
thread_pool scandoc_io threads=2;
$main
events {
    worker_connections 1024;
}

http {
    access_log $d/logs/access.log;
    default_type application/octet-stream;
    # the body spool must be on storage's filesystem (uploads are renamed)
    client_body_temp_path $storage/.body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    limit_req_status 429;
$scandoc
$http
    server {
        listen 127.0.0.1:$self->{port};
        server_name localhost;
$server
    }
}
EOF
}

sub write_conf {
    my ($self, $conf) = @_;
    my $path = "$self->{dir}/conf/nginx.conf";
    spew($path, $conf);
    return $path;
}

# `nginx -t` on a configuration; returns (exit status, output).
sub nginx_t {
    my ($self, $conf) = @_;
    my $path = $self->write_conf($conf);
    my $out = `$NGINX -t -p $self->{dir}/ -e $self->{dir}/logs/error.log -c $path 2>&1`;
    return ($? >> 8, $out);
}

sub nginx_running { defined $_[0]{nginx_pid} }
sub master_pid { $_[0]{nginx_pid} }

# Starts nginx in the foreground (daemon off: the master is our child) and
# waits until it accepts connections and both workers are up.
sub start_nginx {
    my ($self, %c) = @_;
    $self->stop_nginx if $self->nginx_running;
    my $conf = $c{conf} // $self->nginx_conf(%c);
    $self->{conf} = $conf;
    my $path = $self->write_conf($conf);
    my $d = $self->{dir};
    $self->{nginx_pid} = spawn("$d/logs/nginx.out", $NGINX, '-p', "$d/",
                               '-e', "$d/logs/error.log", '-c', $path);
    my $up = poll_until(15, sub {
        return 0 if waitpid($self->{nginx_pid}, WNOHANG) == $self->{nginx_pid};
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $self->{port}, Timeout => 1);
        return $s && $self->worker_pids >= 2;
    });
    unless ($up) {
        my $out = slurp("$d/logs/nginx.out") // '';
        delete $self->{nginx_pid};
        die "nginx did not start:\n$out\n" . $self->error_log_tail(20);
    }
    return $self->{nginx_pid};
}

sub current_conf { $_[0]{conf} }

# Graceful stop (QUIT, as a service manager would), SIGKILL after 30 s.
sub stop_nginx {
    my ($self, $sig) = @_;
    my $pid = delete $self->{nginx_pid} or return;
    kill $sig // 'QUIT', $pid;
    unless (reap($pid, 30)) {
        kill 'KILL', $pid;
        reap($pid, 5);
    }
    # The helpers die with their worker (PR_SET_DEATHSIG); make sure no
    # stray one outlives the test.
    poll_until(5, sub { !grep { kill 0, $_ } @{ $self->{known_helpers} // [] } });
}

# Sends SIGHUP and waits until a new generation of workers replaced the old
# one; returns the new worker pids.
sub reload_nginx {
    my ($self, %c) = @_;
    if (%c) { $self->{conf} = $self->nginx_conf(%c); $self->write_conf($self->{conf}) }
    my %old = map { $_ => 1 } $self->worker_pids;
    kill 'HUP', $self->{nginx_pid};
    poll_until(30, sub {
        my @now = $self->worker_pids;
        my @new = grep { !$old{$_} } @now;
        return @new >= 2;
    });
    return grep { !$old{$_} } $self->worker_pids;
}

### processes

# Children of $ppid, from /proc (no pgrep: it matches names, we want pids).
sub children_of {
    my ($ppid) = @_;
    my @kids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        my $s = slurp($stat) // next;
        # comm may contain spaces and parentheses: split after the last ')'
        my ($rest) = $s =~ /\)\s(.*)\z/s or next;
        my (undef, $pp) = split ' ', $rest;
        push @kids, (split m{/}, $stat)[2] if $pp == $ppid;
    }
    return sort { $a <=> $b } @kids;
}

sub cmdline {
    my ($pid) = @_;
    my $c = slurp("/proc/$pid/cmdline") // return '';
    $c =~ tr/\0/ /;
    return $c;
}

# Workers of the current master (old generations shutting down included).
sub worker_pids {
    my ($self) = @_;
    my $m = $self->{nginx_pid} or return ();
    return grep { cmdline($_) =~ /worker process/ } children_of($m);
}

# Engine helpers: children of the workers that run scandoc-engine.
sub helper_pids {
    my ($self) = @_;
    my @h = grep { cmdline($_) =~ /scandoc-engine/ }
            map { children_of($_) } $self->worker_pids;
    my %k = map { $_ => 1 } @{ $self->{known_helpers} // [] }, @h;
    $self->{known_helpers} = [ keys %k ];
    return @h;
}

sub kill_worker {
    my ($self, $pid, $sig) = @_;
    kill $sig // 'KILL', $pid;
}

### logs

# error.log content; with $from, only what came after that byte offset.
sub error_log {
    my ($self, $from) = @_;
    my $log = slurp($self->error_log_path) // '';
    return defined $from ? substr($log, $from) : $log;
}

sub error_log_size { -s $_[0]->error_log_path // 0 }

sub error_log_tail {
    my ($self, $n) = @_;
    my @l = split /\n/, $self->error_log;
    @l = @l[-$n .. -1] if @l > $n;
    return join("\n", @l) . "\n";
}

### HTTP

# request(METHOD, PATH, key => main|other|none|<literal>, bearer => 1,
#         headers => [Name => value, ...], body => bytes, raw => full request)
# Returns { status, reason, headers => { lc name => [values] }, body, json }.
sub request {
    my ($self, $method, $path, %o) = @_;
    my $raw = $o{raw};
    unless (defined $raw) {
        my @h = ('Host' => "127.0.0.1:$self->{port}", 'Connection' => 'close');
        my $who = $o{key} // 'main';
        if ($who ne 'none') {
            my $key = $self->{keys}{$who} // $who;
            push @h, $o{bearer} ? ('Authorization' => "Bearer $key")
                                : ('x-api-key' => $key);
        }
        push @h, @{ $o{headers} // [] };
        my $body = $o{body};
        push @h, 'Content-Length' => length $body
            if defined $body && !grep { lc $_ eq 'content-length' }
                                      @{ $o{headers} // [] };
        $raw = "$method $path HTTP/1.1\r\n";
        while (my ($k, $v) = splice @h, 0, 2) { $raw .= "$k: $v\r\n" }
        $raw .= "\r\n" . ($body // '');
    }
    return $self->send_raw($raw, head => $method eq 'HEAD');
}

sub send_raw {
    my ($self, $raw, %o) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $self->{port}, Timeout => 10)
        or die "connect to nginx on $self->{port}: $!";
    binmode $s;
    # Write in pieces: nginx may answer (413) and close before it read it all.
    local $SIG{PIPE} = 'IGNORE';
    my $off = 0;
    while ($off < length $raw) {
        my $n = syswrite($s, $raw, 65536, $off);
        last unless $n;
        $off += $n;
    }
    my $resp = '';
    my $deadline = time + 60;
    while (time < $deadline) {
        my $rin = '';
        vec($rin, fileno($s), 1) = 1;
        select(my $rout = $rin, undef, undef, 1) or next;
        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $resp .= $buf;
    }
    close $s;
    return parse_response($resp, $o{head});
}

sub parse_response {
    my ($resp, $head) = @_;
    my ($hdr, $body) = split /\r\n\r\n/, $resp, 2;
    my %r = (raw => $resp, headers => {}, body => $body // '');
    my @lines = split /\r\n/, $hdr // '';
    my $status_line = shift @lines // '';
    ($r{status}, $r{reason}) = $status_line =~ m{^HTTP/\d\.\d (\d{3}) ?(.*)$};
    $r{status} //= 0;
    for (@lines) {
        my ($k, $v) = /^([^:]+):\s*(.*)$/ or next;
        push @{ $r{headers}{lc $k} }, $v;
    }
    if (!$head && lc(header(\%r, 'transfer-encoding') // '') eq 'chunked') {
        my ($in, $out) = ($r{body}, '');
        while ($in =~ s/^([0-9a-fA-F]+)[^\r]*\r\n//) {
            my $n = hex $1;
            last if $n == 0;
            $out .= substr($in, 0, $n, '');
            $in =~ s/^\r\n//;
        }
        $r{body} = $out;
    }
    $r{json} = eval { $json->decode($r{body}) } if length $r{body};
    return \%r;
}

# The one value of a header (the last, if repeated).
sub header {
    my ($r, $name) = @_;
    my $v = $r->{headers}{lc $name} or return undef;
    return $v->[-1];
}

### API helpers for scenarios

my $BOUNDARY = 'scandoc-test-boundary-7d1f3a';

# multipart/form-data body from (name => value) pairs; a file part is given
# as [filename, bytes].  Returns (body, content type).
sub multipart {
    my (@parts) = @_;
    my $body = '';
    while (my ($name, $v) = splice @parts, 0, 2) {
        $body .= "--$BOUNDARY\r\n";
        if (ref $v) {
            $body .= "Content-Disposition: form-data; name=\"$name\"; "
                   . "filename=\"$v->[0]\"\r\n"
                   . "Content-Type: application/octet-stream\r\n\r\n$v->[1]\r\n";
        } else {
            $body .= "Content-Disposition: form-data; name=\"$name\"\r\n\r\n$v\r\n";
        }
    }
    $body .= "--$BOUNDARY--\r\n";
    return ($body, "multipart/form-data; boundary=$BOUNDARY");
}

# Uploads a file (a path) under $name with the multipart form; returns the
# response.
sub upload {
    my ($self, $path, $name, %o) = @_;
    my $bytes = slurp($path) // die "$path: $!";
    my ($body, $ct) = multipart(name => $name // basename($path),
                                file => [basename($path), $bytes]);
    return $self->request(POST => '/v1/files', %o, body => $body,
                          headers => ['Content-Type' => $ct]);
}

# Uploads and returns the File's id, dying when the upload is refused (for
# scenario set-up, where a refusal is not what is being tested).
sub upload_id {
    my ($self, $path, $name, %o) = @_;
    my $r = $self->upload($path, $name, %o);
    die "upload of $path: $r->{status} $r->{body}" unless $r->{status} == 201;
    return $r->{json}{id};
}

# POST /v1/{image,pdf}-operations/{op}; $body is a Perl structure.
sub create_task {
    my ($self, $kind, $op, $body, %o) = @_;
    return $self->request(POST => "/v1/$kind-operations/$op", %o,
                          body => $json->encode($body),
                          headers => ['Content-Type' => 'application/json']);
}

sub create_task_id {
    my ($self, @a) = @_;
    my $r = $self->create_task(@a);
    die "create task @a[0,1]: $r->{status} $r->{body}" unless $r->{status} == 202;
    return $r->{json}{id};
}

sub get_task {
    my ($self, $id, %o) = @_;
    return $self->request(GET => "/v1/tasks/$id", %o)->{json};
}

# Polls a task until it is completed or failed (bounded: a hang is a
# failure, not a slow test); returns the last Task seen.
sub wait_task {
    my ($self, $id, %o) = @_;
    my $last;
    poll_until($o{timeout} // 120, sub {
        my $r = $self->request(GET => "/v1/tasks/$id", %o);
        $last = $r->{json} if $r->{status} == 200;
        return $last && ($last->{status} // '') =~ /^(completed|failed)$/;
    });
    return $last;
}

# Every event of the tenant, oldest first, following the `next` links.
sub all_events {
    my ($self, %o) = @_;
    my @ev;
    my $url = '/v1/events?take=100';
    while ($url) {
        my $r = $self->request(GET => $url, %o);
        die "GET $url: $r->{status} $r->{body}" unless $r->{status} == 200;
        push @ev, @{ $r->{json}{data} };
        my $next = $r->{json}{links}{next} or last;
        ($url) = $next =~ m{^https?://[^/]+(/.*)$};
    }
    return reverse @ev;
}

# A PNG of random noise, $w x $h: slow to encode, so a convert of it runs
# long enough to be interrupted (noise does not compress, so the work is
# proportional to the pixels).  Made with ImageMagick; returns the path.
# Made once for all test files (it takes seconds) in t/servroot-cache/,
# written under a temporary name and renamed: files run in parallel.
sub make_noise_png {
    my ($self, $w, $h) = @_;
    my $cache = "$ROOT/t/servroot-cache";
    make_path($cache);
    my $path = "$cache/noise-${w}x$h.png";
    return $path if -s $path;
    system('convert', '-size', "${w}x$h", 'xc:gray', '+noise', 'Random',
           "PNG24:$path.$$") == 0 or die "convert (ImageMagick) failed";
    rename "$path.$$", $path or die "$path: $!";
    return $path;
}

# Events of one task, oldest first, as their types.
sub task_event_types {
    my ($self, $task_id, %o) = @_;
    return map { $_->{type} }
           grep { $_->{type} =~ /^task\./ && $_->{data}{id} eq $task_id }
           $self->all_events(%o);
}

# What is left in the staging folder, files and folders (work in progress
# of no running task): a task's folder left empty counts too.
sub staging_leftovers {
    my ($self) = @_;
    my $d = $self->storage . '/.staging';
    return () unless -d $d;
    my @left = `find '$d' -mindepth 1`;
    chomp @left;
    return @left;
}

# A task is reported before its staging folder is removed (the CLEAN step
# of ngx_scandoc_queue.c runs after REPORT, on the io pool), so a test that
# has just seen the last task finish waits for that step before looking.
sub staging_settled {
    my ($self) = @_;
    poll_until(15, sub { !$self->staging_leftovers });
    return $self->staging_leftovers;
}

# How many attempts a task had: white-box (the task record in Redis, as
# redis/scandoc.lua keeps it), so the fault tests can prove a retry happened.
sub task_attempts {
    my ($self, $id) = @_;
    return $self->redis_cli('HGET', "sd1:task:$id", 'attempt') // 0;
}

# Helpers that are using the CPU right now (busy with a job): CPU time of
# each helper sampled twice.
sub busy_helpers {
    my ($self) = @_;
    my $cpu = sub {
        my $st = slurp("/proc/$_[0]/stat") // return 0;
        my ($rest) = $st =~ /\)\s(.*)\z/s or return 0;
        my @f = split ' ', $rest;
        return $f[11] + $f[12];           # utime + stime
    };
    my %before = map { $_ => $cpu->($_) } $self->helper_pids;
    sleep 0.5;
    return grep { $cpu->($_) > $before{$_} } keys %before;
}

sub parent_of {
    my ($pid) = @_;
    my $st = slurp("/proc/$pid/stat") // return undef;
    my ($rest) = $st =~ /\)\s(.*)\z/s or return undef;
    return (split ' ', $rest)[1];
}

sub download {
    my ($self, $id, %o) = @_;
    return $self->request(GET => "/v1/files/$id/download", %o);
}

sub json_encode { $json->encode($_[-1]) }
sub json_decode { $json->decode($_[-1]) }

### cleanup

sub shutdown {
    my ($self) = @_;
    $self->stop_nginx;
    $self->stop_redis('shutdown');
}

sub DESTROY { }

END {
    my $status = $?;
    $_->shutdown for grep { $_ } @LIVE;
    @LIVE = ();
    $? = $status;
}

# A ^C or a kill of prove must not leave servers behind.
for my $sig (qw(INT TERM)) {
    $SIG{$sig} = sub { $_->shutdown for @LIVE; @LIVE = (); _exit(1) };
}

1;
