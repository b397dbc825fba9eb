# apply-effect in scandoc-engine (CLI): every effect on colour, gray,
# palette and transparent inputs gives a PNG that ImageMagick decodes, of
# the input's size and the expected colour type, with true properties;
# grayscale is Rec. 601 luminance; scanner flattens a photographed page's
# uneven light to white and keeps its ink; black-background puts it on
# black; the pixel limit is checked from the header.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Scandoc::Engine qw(need_engine tmp run cli outdir identify);

my $data = "$FindBin::Bin/data";

need_engine(qw(convert identify));

my $tmp = tmp();

sub effect {
    my ($effect, $file, @more) = @_;
    return cli('apply-effect', '--param', "effect=$effect", @more,
               '-o', outdir(), $file);
}

sub magick {
    my ($path, $format) = @_;
    my ($status, $out) = run('convert', $path, '-format', $format, 'info:');
    return $status == 0 ? $out : undef;
}


# inputs of every kind the engine decodes into something else
my %inputs = (
    'colour photo (webp)' => "$data/photos/xlh_a4-on-white-background.webp",
    'gray page (png)' => "$data/pages/linn.png",
    'gray + alpha (png)' => "$data/engine/pytess_test_la.png",
    'colour jpeg' => "$data/engine/pytess_test.jpg",
);

system('convert', '-size', '120x90', 'gradient:red-blue', '-colors', '16',
       '-type', 'Palette', "PNG8:$tmp/palette.png") == 0 or die "convert";
system('convert', '-size', '120x90', 'xc:none', '-fill', '#20408080',
       '-draw', 'rectangle 10,10 80,60', "PNG32:$tmp/rgba.png") == 0
    or die "convert";
$inputs{'palette (png)'} = "$tmp/palette.png";
$inputs{'rgba (png)'} = "$tmp/rgba.png";

for my $name (sort keys %inputs) {
    my $in = $inputs{$name};
    my $src = identify($in) or die "identify $in";
    my $colour = $src->[3] =~ /TrueColor|Palette/ && $src->[3] !~ /Gray/;

    for my $effect (qw(grayscale scanner black-background)) {
        my $r = effect($effect, $in);
        ok($r->{ok}, "$name, $effect: completed") or diag($r->{error});
        my $out = $r->{outputs}[0] // {};
        my $id = identify($out->{path} // '/nonexistent') // [];
        is_deeply([ @$id[0 .. 2] ], [ 'PNG', @$src[1, 2] ],
                  "$name, $effect: a PNG of the input's size");
        my $type = $effect eq 'black-background' && $colour
                   ? qr/TrueColor|Palette/ : qr/Gray|Bilevel/;
        like($id->[3] // '', $type, "$name, $effect: $type");
        is_deeply($out->{properties},
                  { width => $src->[1], height => $src->[2],
                    size => -s $out->{path} },
                  "$name, $effect: properties");
        is($out->{type}, 'image/png', "$name, $effect: image/png");
    }
}


# grayscale is luminance: 0.299 R + 0.587 G + 0.114 B
{
    my $in = "$tmp/rgb.png";
    system('convert', '-size', '20x20', 'xc:#ff0000', 'xc:#00ff00',
           'xc:#0000ff', 'xc:#808040', '+append', "PNG24:$in") == 0
        or die "convert";
    my $r = effect('grayscale', $in);
    my @want = (76, 150, 29, int(0.299 * 128 + 0.587 * 128 + 0.114 * 64
                                 + 0.5));
    for my $k (0 .. 3) {
        my $at = sprintf '%%[fx:int(255*p{%d,10}.r+0.5)]', 20 * $k + 10;
        my $v = magick($r->{outputs}[0]{path}, $at);
        ok(defined $v && abs($v - $want[$k]) <= 1,
           "grayscale: luminance $want[$k] (got " . ($v // 'none') . ')');
    }
}


# scanner and black-background on a photographed page: the page as scan
# crops it, shaded left to right by the photo's light
{
    my $photo = "$data/photos/xlh_a4-on-white-background.webp";
    my $page = "$tmp/page.png";
    system('convert', $photo, '-crop', '900x1300+100+180', '+repage',
           $page) == 0 or die "convert";

    my $gray = effect('grayscale', $page)->{outputs}[0]{path};
    my $scan = effect('scanner', $page)->{outputs}[0]{path};
    my $black = effect('black-background', $page)->{outputs}[0]{path};

    # paper is what most of a page is: the median level (0..1) of the
    # whole image or of a vertical strip at x
    my $median = sub {
        my ($path, $x) = @_;
        my @crop = defined $x ? ('-crop', "200x1000+$x+150") : ();
        my ($s, $bytes) = run('convert', $path, @crop, '-depth', '8',
                              'gray:-');
        my @hist = (0) x 256;
        $hist[$_]++ for unpack('C*', $bytes);
        my ($sum, $v) = (0, 0);
        $sum += $hist[ $v++ ] while $sum < length($bytes) / 2;
        return ($v - 1) / 255;
    };
    my $paper = sub { $median->($_[0]) };
    my $side = sub { $median->(@_) };

    diag(sprintf 'paper level: grayscale %.2f, scanner %.2f, black %.2f',
         $paper->($gray), $paper->($scan), $paper->($black));
    cmp_ok($paper->($scan), '>=', 0.98, 'scanner: paper is white');
    cmp_ok($paper->($gray), '<', 0.9, 'grayscale: paper as photographed');
    cmp_ok(abs($side->($scan, 0) - $side->($scan, 700)), '<', 0.02,
           'scanner: even from left to right');
    cmp_ok(magick($scan, '%[fx:minima]'), '<=', 0.1, 'scanner: ink is dark');

    # ink: the share of dark pixels stays about what the photo has
    my $ink = sub { magick($_[0], '%[fx:mean]') };
    cmp_ok(1 - $ink->($scan), '>', 0.01, 'scanner: the text is kept');

    cmp_ok($paper->($black), '<=', 0.02, 'black-background: paper is black');
    cmp_ok(magick($black, '%[fx:maxima]'), '>=', 0.8,
           'black-background: content is light');
}


# the pixel limit, from the header
{
    my $r = effect('scanner', "$data/photos/xlh_inner-lines.webp",
                   '--limit', 'max_pixels=1000000');
    is($r->{code}, 'limit_exceeded', 'over max_pixels: limit_exceeded');
    is($r->{details}{limit}, 'max_pixels', 'over max_pixels: details');
}

done_testing();
