#!/usr/bin/perl
# Runs every mutant of MUTDIR through scandoc-engine's CLI under the
# helper's limits and classifies the outcomes.
#   perl fuzz-run.pl MUTDIR RESULTS.tsv [WORKERS] [FILTER-REGEX]
# Env: ENGINE (default /tmp/build-fuzz/scandoc-engine), MEMORY (bytes,
# default 2 GiB as scandoc_helper_memory), WALL (seconds, default 30),
# NOVALIDATE=1 skips identify/qpdf checks of outputs, MEMORY=0 runs
# without RLIMIT_AS (ASan builds), FAST=1 leaves OCR out of the PDF
# operations, WORK=DIR is the scratch folder.
use strict;
use warnings;
use JSON::PP;
use Digest::MD5 qw(md5_hex);
use POSIX qw(:sys_wait_h);

my ($mutdir, $results, $workers, $filter) = @ARGV;
$workers ||= 2;
my $engine = $ENV{ENGINE} // '/tmp/build-fuzz/scandoc-engine';
my $memory = $ENV{MEMORY} // 2147483648;
my $wall = $ENV{WALL} // 30;
my $json = JSON::PP->new->canonical;
my %known = map { $_ => 1 } qw(unsupported_file_type corrupt_input
    encrypted_input page_out_of_range limit_exceeded input_failed);

my %password = (
    pdfjs_bug1782186 => 'Hello', pdfjs_issue21579 => "p\xc3\xa4ssw\xc3\xb6rt",
    pdfjs_issue3371 => 'ELXRTQWS', pdfjs_issue6010_2 => "\xc3\xa6\xc3\xb8\xc3\xa5",
    'pdfjs_saslprep-r6' => 'SaSLprep', 'qpdf_20-pages' => 'user',
    pdfjs_issue15893_reduced => 'test',
);

my @image_ops = (
    [ 'convert', 'target_format=image/png' ],
    [ 'apply-effect', 'effect=scanner' ],
    [ 'detect-documents' ],
    [ 'scan', 'effect=grayscale', 'scan_mode=standard' ],
);
my @image_rot = (
    [ 'convert', 'target_format=image/jpeg', 'quality=50' ],
    [ 'convert', 'target_format=image/webp', 'quality=50' ],
    [ 'apply-effect', 'effect=grayscale' ],
    [ 'apply-effect', 'effect=black-background' ],
    [ 'extract-text', 'format=plain' ],
    [ 'extract-text', 'format=markdown' ],
    [ 'scan', 'effect=black-background', 'scan_mode=none' ],
    [ 'warp', 'vertices=[{"x":0,"y":0},{"x":20,"y":1},{"x":21,"y":15},{"x":1,"y":14}]' ],
);
my @pdf_ops = (
    [ 'info' ],
    [ 'render', 'dpi=72', 'pages=1' ],
);
my @pdf_rot = $ENV{FAST} ? (
    [ 'merge' ], [ 'split' ], [ 'compress' ], [ 'rotate', 'angle=90' ],
    [ 'extract-pages', 'pages=1,1' ], [ 'render', 'dpi=72' ],
    [ 'compress' ], [ 'rotate', 'angle=270' ],
    [ 'extract-text', 'format=plain', 'pages=1' ],
) : (
    [ 'merge' ], [ 'split' ], [ 'compress' ], [ 'rotate', 'angle=90' ],
    [ 'extract-text', 'format=plain', 'pages=1' ], [ 'ocr', 'pages=1' ],
    [ 'extract-pages', 'pages=1,1' ], [ 'extract-text', 'format=html' ],
    [ 'render', 'dpi=72' ],
);

opendir my $dh, $mutdir or die;
my @files = sort grep { !/^\./ && (!$filter || /$filter/) } readdir $dh;
my (%seen, @jobs);
for my $f (@files) {
    open my $fh, '<:raw', "$mutdir/$f" or die;
    my $d = do { local $/; <$fh> };
    next if $seen{md5_hex($d)}++;
    my ($seed) = $f =~ /^(.*?)__/;
    my $h = hex(substr(md5_hex($f), 0, 8));
    my @ops;
    if ($f =~ /\.pdf$/) {
        @ops = (@pdf_ops, $pdf_rot[$h % @pdf_rot], $pdf_rot[($h >> 8) % @pdf_rot]);
    } elsif ($f =~ /\.(png|jpg|webp)$/) {
        @ops = (@image_ops, $image_rot[$h % @image_rot], $image_rot[($h >> 8) % @image_rot]);
    }
    my %u;
    push @jobs, [ $f, grep { !$u{join ' ', @$_}++ } @ops ];
}
print scalar(@files), " files, ", scalar(keys %seen), " distinct, ",
      scalar(@jobs), " files to run\n";

my $tmp = $ENV{WORK} // "/tmp/fuzz/work";
mkdir $tmp;
my @pids;
for my $w (0 .. $workers - 1) {
    my $pid = fork // die;
    if ($pid == 0) {
        open my $out, '>', "$results.$w" or die;
        $out->autoflush(1);
        for (my $i = $w; $i < @jobs; $i += $workers) {
            my ($f, @ops) = @{ $jobs[$i] };
            # the ops run only on files the probe accepts, as uploads
            my $line = run_one($w, $f, 'probe');
            print $out $line, "\n";
            next unless (split /\t/, $line)[2] eq 'OK';
            print $out run_one($w, $f, @$_), "\n" for @ops;
        }
        close $out;
        exit 0;
    }
    push @pids, $pid;
}
waitpid($_, 0) for @pids;
system("cat $results.* > $results && rm -f $results.*");

sub slurp { open my $f, '<:raw', $_[0] or return ''; local $/; my $d = <$f>; $d // '' }

sub run_one {
    my ($w, $f, $op, @params) = @_;
    my $dir = "$tmp/w$w";
    system('rm', '-rf', $dir);
    mkdir $dir;
    my ($seed) = $f =~ /^(.*?)__/;
    my @args = ($engine, $memory ? ('--memory', $memory) : ());
    if ($op eq 'probe') {
        push @args, '--probe', "$mutdir/$f";
    } else {
        push @args, $op, (map { ('--param', $_) } @params);
        push @args, '--password', $password{$seed} if $password{$seed};
        push @args, '-o', "$dir/out", "$mutdir/$f";
    }
    my $kb = int($memory / 1024) + 65536;
    my $pid = fork // die;
    if ($pid == 0) {
        open STDOUT, '>', "$dir/stdout";
        open STDERR, '>', "$dir/stderr";
        $ENV{OMP_THREAD_LIMIT} = 1;
        exec('/usr/bin/time', '-f', '%e %M', '-o', "$dir/time",
             'timeout', '-k', '3', $wall, 'sh', '-c',
             ($memory ? "ulimit -v $kb; " : '') . "exec \"\$@\"", 'sh', @args);
        exit 127;
    }
    waitpid($pid, 0);
    my $time = slurp("$dir/time");
    my ($sec, $rss) = $time =~ /([\d.]+) (\d+)\s*$/;
    my $out = slurp("$dir/stdout");
    my $err = slurp("$dir/stderr");
    my ($class, $code, $detail) = ('?', '', '');
    if ($time =~ /terminated by signal (\d+)/) {
        $class = "SIGNAL$1";
    } elsif ($time =~ /non-zero status (\d+)/ && ($1 == 124 || $1 == 137)) {
        $class = 'HANG';
    } else {
        my ($st) = $time =~ /non-zero status (\d+)/;
        $st //= 0;
        my ($line) = grep { /^\{"ok"/ } split /\n/, $out;
        my $r = $line ? eval { $json->decode($line) } : undef;
        if (!$r) {
            $class = "NOJSON_rc$st";
        } elsif ($r->{ok}) {
            $class = $st == 0 ? 'OK' : "OKRC$st";
            $detail = validate($r) unless $ENV{NOVALIDATE};
            $class = 'BADOUTPUT' if $detail;
        } else {
            $code = $r->{code} // '';
            $class = $st != 1 ? "FAILRC$st"
                   : $known{$code} ? 'FAIL' : 'VAGUE';
            $detail = $r->{error} // '';
        }
    }
    if ($class !~ /^(OK|FAIL)$/) {
        $detail .= " | stderr: " . substr($err =~ s/\s+/ /gr, -300);
    }
    $detail =~ s/[\t\n]/ /g;
    return join "\t", $f, join(' ', $op, @params), $class, $code,
                      $sec // '', $rss // '', substr($detail, 0, 600);
}

sub validate {
    my ($r) = @_;
    for my $o (@{ $r->{outputs} // [] }) {
        my $p = $o->{path};
        return "missing output $p" unless -f $p;
        my $size = -s $p;
        return "size $size != $o->{properties}{size}"
            if $size != ($o->{properties}{size} // -1);
        if ($o->{type} eq 'application/pdf') {
            my $rc = system("qpdf --check '$p' >/dev/null 2>&1");
            # 3: warnings only
            return "qpdf --check rc " . ($rc >> 8) if $rc && ($rc >> 8) != 3;
        } else {
            my $id = `identify -format '%m %w %h' '$p' 2>/dev/null`;
            return "identify failed" unless $id =~ /^(\w+) (\d+) (\d+)/;
            return "size mismatch $id vs $o->{properties}{width}x$o->{properties}{height}"
                if $2 != $o->{properties}{width} || $3 != $o->{properties}{height};
        }
    }
    return '';
}
