package Test::Scandoc::Engine;

# What the scandoc-engine tests (t/engine.t, t/detect.t, t/effects.t,
# t/ocr.t) share: the engine binary's path, a command runner that never
# lets a child's stderr or a full pipe get in the way, the one-shot CLI,
# a --serve session, fresh output folders, and images read back by an
# independent tool (ImageMagick's identify).  The server scenarios use
# identify and dwebp from here too.
#
#   engine()              $SCANDOC_ENGINE, else $SCANDOC_BUILD/scandoc-engine
#                         (build/ by default)
#   need_engine(@tools)   skip_all unless the engine is built and every
#                         command of @tools is installed
#   run(\%o, @cmd)        (wait status, stdout, stderr); %o: stdin => path,
#                         input => string fed to stdin, env => { NAME =>
#                         value, undef removes it }.  \%o may be left out.
#   cli(@args)            the engine's one-shot CLI: checks (a test) that it
#                         ended by itself, returns the decoded result line
#   serve(\@jobs, %o)     one --serve helper fed @jobs (hashes, or raw lines);
#                         returns { status, results => [..], progress =>
#                         [..], stderr }; %o: env, args (more options)
#   outdir()              a new, not yet existing folder under tmp()
#   files_in($dir)        the files of a folder (no dot files)
#   identify($path)       [ format, width, height, type ] or undef
#   image_size($path)     (width, height) as identify reads them
#   dwebp_size($path)     (width, height) as dwebp decodes them, or ()

use strict;
use warnings;

use Cwd qw(abs_path);
use Exporter 'import';
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use JSON::PP ();
use Test::More;

our @EXPORT_OK = qw(engine need_engine tmp run cli serve outdir files_in
                    identify image_size dwebp_size);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

our $ROOT = abs_path(dirname(__FILE__) . '/../../../..');

my $json = JSON::PP->new->utf8->canonical;
my ($tmp, $outn, $runs) = (undef, 0, 0);

sub engine {
    return $ENV{SCANDOC_ENGINE}
        // ($ENV{SCANDOC_BUILD} // "$ROOT/build") . '/scandoc-engine';
}

sub have_command {
    my ($cmd) = @_;
    return system('sh', '-c', "command -v '$cmd' >/dev/null 2>&1") == 0;
}

sub need_engine {
    my (@tools) = @_;
    my $e = engine();
    plan skip_all => "$e is not built (make engine)" unless -x $e;
    for my $t (@tools) {
        plan skip_all => "$t is not installed" unless have_command($t);
    }
}

sub tmp { return $tmp //= tempdir(CLEANUP => 1) }

sub outdir { return tmp() . '/out-' . ++$outn }

sub files_in {
    my ($dir) = @_;
    opendir(my $d, $dir) or return ();
    return grep { !/^\./ } readdir($d);
}

sub slurp_raw {
    my ($path) = @_;
    open(my $fh, '<:raw', $path) or return '';
    local $/;
    return scalar(<$fh>) // '';
}

# stdout through a pipe, stderr (and a string stdin) through files, so
# neither side can block on a full pipe.
sub run {
    my $o = ref $_[0] eq 'HASH' ? shift : {};
    my (@cmd) = @_;
    my $n = ++$runs;
    my $err = tmp() . "/stderr-$n";
    my $stdin = $o->{stdin} // '/dev/null';
    if (defined $o->{input}) {
        $stdin = tmp() . "/stdin-$n";
        open(my $fh, '>:raw', $stdin) or die "$stdin: $!";
        print $fh $o->{input};
        close($fh) or die "$stdin: $!";
    }
    my $pid = open(my $out, '-|') // die "fork: $!";
    if ($pid == 0) {
        open(STDIN, '<', $stdin) or exit 126;
        open(STDERR, '>', $err) or exit 126;
        my $env = $o->{env} // {};
        for my $k (keys %$env) {
            if (defined $env->{$k}) { $ENV{$k} = $env->{$k} }
            else { delete $ENV{$k} }
        }
        exec(@cmd) or exit 127;
    }
    local $/;
    my $stdout = <$out> // '';
    close($out);
    my $status = $?;
    my $stderr = slurp_raw($err);
    unlink($err);
    return ($status, $stdout, $stderr);
}

sub result_line {
    my ($out) = @_;
    my ($line) = grep { /^\{"ok"/ } split /\n/, $out;
    return $line ? $json->decode($line)
                 : { ok => JSON::PP::false, code => 'none',
                     error => "no result line: $out" };
}

# One-shot CLI: the decoded result line, after checking that the process
# ended by itself (no signal).
sub cli {
    my (@args) = @_;
    my ($status, $out) = run(engine(), @args);
    is($status & 127, 0, "no signal: $args[0]"
                         . (@args > 1 ? ' ' . ($args[-1] =~ s{.*/}{}r) : ''));
    return result_line($out);
}

# One helper fed every job (a hash is sent as JSON, a string as it is),
# with OMP_THREAD_LIMIT=1 as the module gives it unless %o{env} says
# otherwise.
sub serve {
    my ($jobs, %o) = @_;
    my $input = join '', map { (ref $_ ? $json->encode($_) : $_) . "\n" }
                             @$jobs;
    my ($status, $out, $err) = run(
        { input => $input, env => { OMP_THREAD_LIMIT => 1,
                                    %{ $o{env} // {} } } },
        engine(), '--serve', @{ $o{args} // [] });
    my @lines = map { eval { $json->decode($_) } // { unparsed => $_ } }
                split /\n/, $out;
    return { status => $status, stdout => $out, stderr => $err,
             results => [ grep { exists $_->{ok} } @lines ],
             progress => [ grep { exists $_->{progress} } @lines ] };
}

sub identify {
    my ($path) = @_;
    my ($status, $out) = run('identify', '-format', '%m %w %h %[type]',
                             $path);
    return $status == 0 && length $out ? [ split ' ', $out ] : undef;
}

sub image_size {
    my ($path) = @_;
    my $id = identify($path) or return;
    return @$id[1, 2];
}

sub dwebp_size {
    my ($path) = @_;
    my ($status, undef, $err) = run('dwebp', $path, '-o', '/dev/null');
    return () if $status != 0;
    return $err =~ /Dimensions: (\d+) x (\d+)/ ? ($1, $2) : ();
}

1;
