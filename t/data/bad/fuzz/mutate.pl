#!/usr/bin/perl
# Deterministic mutant generator for scandoc-engine fuzzing.
#   perl mutate.pl SEEDDIR OUTDIR
# Every seed gets the same mutants on every run (fixed xorshift PRNG,
# seeded from the file name).  Mutant names: <seed>__<mutation>.<ext>
use strict;
use warnings;
use Compress::Zlib qw(crc32 compress uncompress);

my ($seeddir, $outdir) = @ARGV;
mkdir $outdir;

my $state;
sub srnd { my $s = 2463534242; $s = ($s * 33 + ord) & 0xffffffff for split //, $_[0]; $state = $s || 1 }
sub rnd {    # 0 .. n-1
    my ($n) = @_;
    $state ^= ($state << 13) & 0xffffffff;
    $state ^= $state >> 17;
    $state ^= ($state << 5) & 0xffffffff;
    return $n ? $state % $n : $state;
}

sub slurp { open my $f, '<:raw', $_[0] or die "$_[0]: $!"; local $/; <$f> }

my $n = 0;
sub out {
    my ($base, $ext, $name, $data) = @_;
    return if !defined $data;
    $name =~ s/[^A-Za-z0-9_.=+-]/_/g;
    my $p = "$outdir/${base}__$name.$ext";
    open my $f, '>:raw', $p or die "$p: $!";
    print $f $data;
    close $f;
    $n++;
}

sub kind {
    my ($d) = @_;
    return 'png'  if substr($d, 0, 8) eq "\x89PNG\r\n\x1a\n";
    return 'jpeg' if substr($d, 0, 3) eq "\xff\xd8\xff";
    return 'webp' if substr($d, 0, 4) eq 'RIFF' && substr($d, 8, 4) eq 'WEBP';
    return 'pdf'  if index(substr($d, 0, 1024), '%PDF-') >= 0;
    return 'other';
}

# ---- generic mutations ----
sub generic {
    my ($d, $emit) = @_;
    my $len = length $d;
    my %seen;
    for my $k (1, 8, 16, 24, 33, 64, 100, 200, int($len * .25), int($len * .5),
               int($len * .75), int($len * .9), $len - 1, $len - 2, $len - 10)
    {
        next if $k <= 0 || $k >= $len || $seen{$k}++;
        $emit->("trunc$k", substr($d, 0, $k));
    }
    for my $cnt (1, 2, 4, 16, 64) {
        for my $v (0 .. 2) {
            my $m = $d;
            for (1 .. $cnt) {
                my $o = rnd($len);
                substr($m, $o, 1) = chr(ord(substr($m, $o, 1)) ^ (1 + rnd(255)));
            }
            $emit->("flip${cnt}_$v", $m);
        }
    }
    # flips in the header area, where parsers take sizes from
    for my $v (0 .. 5) {
        my $m = $d;
        my $lim = $len < 64 ? $len : 64;
        for (1 .. 2) {
            my $o = rnd($lim);
            substr($m, $o, 1) = chr(rnd(256));
        }
        $emit->("hflip_$v", $m);
    }
    for my $size (16, 256, int($len / 3)) {
        next if $size <= 0 || $size >= $len;
        my $o = rnd($len - $size);
        my $m = $d;
        substr($m, $o, $size) = "\0" x $size;
        $emit->("zero${size}\@$o", $m);
        $m = $d;
        substr($m, $o, $size) = "\xff" x $size;
        $emit->("ff${size}\@$o", $m);
    }
    for my $v (0 .. 1) {
        my $o = rnd($len);
        my $l = 1 + rnd(64);
        $l = $len - $o if $o + $l > $len;
        my $m = $d;
        substr($m, $o, 0) = substr($d, $o, $l) x 4;
        $emit->("dup$v\@$o", $m);
        $m = $d;
        substr($m, rnd($len), 0) = join '', map { chr rnd(256) } 1 .. 32;
        $emit->("ins$v", $m);
    }
}

# ---- PNG ----
sub png_chunks {
    my ($d) = @_;
    my @c;
    my $o = 8;
    while ($o + 12 <= length $d) {
        my ($l, $t) = unpack 'Na4', substr($d, $o, 8);
        last if $o + 12 + $l > length $d;
        push @c, [$t, substr($d, $o + 8, $l)];
        $o += 12 + $l;
    }
    return @c;
}
sub png_build {
    my (@c) = @_;
    return "\x89PNG\r\n\x1a\n" . join '', map {
        pack('N', length $_->[1]) . $_->[0] . $_->[1] . pack('N', crc32($_->[0] . $_->[1]))
    } @c;
}
sub png {
    my ($d, $emit) = @_;
    my @c = png_chunks($d);
    return unless @c && $c[0][0] eq 'IHDR';
    my ($w, $h, $bd, $ct, $cm, $fm, $il) = unpack 'NNCCCCC', $c[0][1];
    my $ihdr = sub {
        my ($name, @v) = @_;
        my @cc = map { [@$_] } @c;
        $cc[0][1] = pack 'NNCCCCC', @v;
        $emit->($name, png_build(@cc));
        # same without fixing the CRC
        my $m = $d;
        substr($m, 16, 13) = pack 'NNCCCCC', @v;
        $emit->("${name}_badcrc", $m);
    };
    $ihdr->('w_max', 0x7fffffff, $h, $bd, $ct, $cm, $fm, $il);
    $ihdr->('h_max', $w, 0x7fffffff, $bd, $ct, $cm, $fm, $il);
    $ihdr->('wh_65535', 65535, 65535, $bd, $ct, $cm, $fm, $il);
    $ihdr->('wh_7000', 7000, 7000, $bd, $ct, $cm, $fm, $il);
    $ihdr->('w_ffffffff', 0xffffffff, $h, $bd, $ct, $cm, $fm, $il);
    $ihdr->('w0', 0, $h, $bd, $ct, $cm, $fm, $il);
    $ihdr->('w1', 1, $h, $bd, $ct, $cm, $fm, $il);
    $ihdr->('h1', $w, 1, $bd, $ct, $cm, $fm, $il);
    $ihdr->('w_x2', $w * 2, $h, $bd, $ct, $cm, $fm, $il);
    $ihdr->('h_x3', $w, $h * 3, $bd, $ct, $cm, $fm, $il);
    $ihdr->('wide_1row', 16000000, 1, $bd, $ct, $cm, $fm, $il);
    $ihdr->("bd$_", $w, $h, $_, $ct, $cm, $fm, $il) for grep { $_ != $bd } 1, 3, 16, 0;
    $ihdr->("ct$_", $w, $h, $bd, $_, $cm, $fm, $il) for grep { $_ != $ct } 0, 2, 3, 4, 6, 7;
    $ihdr->('interlace', $w, $h, $bd, $ct, $cm, $fm, 1 - ($il & 1));
    $ihdr->('filter9', $w, $h, $bd, $ct, $cm, 9, $il);
    # chunk-level
    my @t = map { $_->[0] } @c;
    my ($iend) = grep { $t[$_] eq 'IEND' } 0 .. $#t;
    my @idat = grep { $t[$_] eq 'IDAT' } 0 .. $#t;
    $emit->('dup_ihdr', png_build($c[0], @c));
    $emit->('dup_idat', png_build(map { $t[$_] eq 'IDAT' ? ($c[$_], $c[$_]) : $c[$_] } 0 .. $#c)) if @idat;
    $emit->('no_iend', png_build(grep { $_->[0] ne 'IEND' } @c));
    $emit->('no_idat', png_build(grep { $_->[0] ne 'IDAT' } @c));
    $emit->('iend_first', png_build($c[0], ['IEND', ''], @c[1 .. $#c]));
    $emit->('plte_after_idat', png_build((grep { $_->[0] ne 'PLTE' } @c[0 .. $#c - 1]), ['PLTE', "\0\0\0" x 2], $c[-1]));
    $emit->('plte_short', png_build($c[0], ['PLTE', "\1\2\3"], @c[1 .. $#c]));
    $emit->('plte_256x', png_build($c[0], ['PLTE', "\1\2\3" x 300], @c[1 .. $#c]));
    $emit->('trns_big', png_build($c[0], ['tRNS', "\0" x 1000], @c[1 .. $#c]));
    $emit->('iccp_bomb', png_build($c[0], ['iCCP', "x\0\0" . compress("\0" x 4000000)], @c[1 .. $#c]));
    $emit->('ztxt_bomb', png_build($c[0], ['zTXt', "k\0\0" . compress("A" x 3000000)], @c[1 .. $#c]));
    $emit->('actl', png_build($c[0], ['acTL', pack('NN', 0xffffffff, 0)], @c[1 .. $#c]));
    # a chunk length beyond the file
    {
        my $m = $d;
        my $o = 8 + 12 + length $c[0][1];
        substr($m, $o, 4) = pack 'N', 0x7ffffff0;
        $emit->('len2_huge', $m);
        substr($m, 8, 4) = pack 'N', 0xffffffff;
        $emit->('len_ihdr_huge', $m);
    }
    # decoded data mutated, recompressed with right CRCs
    if (@idat) {
        my $z = join '', map { $c[$_][1] } @idat;
        my $raw = uncompress($z);
        if (defined $raw && length $raw) {
            my $rebuild = sub {
                my ($name, $r) = @_;
                my @cc = grep { $_->[0] ne 'IDAT' } @c;
                splice @cc, $idat[0], 0, ['IDAT', compress($r)];
                $emit->($name, png_build(@cc));
            };
            $rebuild->('raw_short', substr($raw, 0, int(length($raw) / 2)));
            $rebuild->('raw_long', $raw . ("\x01" x 5000));
            $rebuild->('raw_empty', '');
            my $r = $raw;
            substr($r, 0, 1) = "\x07";
            $rebuild->('raw_badfilter', $r);
            for my $v (0 .. 3) {
                $r = $raw;
                for (1 .. 32) { my $o = rnd(length $r); substr($r, $o, 1) = chr rnd(256) }
                $rebuild->("raw_flip$v", $r);
            }
        }
    }
}

# ---- JPEG ----
sub jpeg_segments {
    my ($d) = @_;
    my @s;
    my $o = 2;
    while ($o + 4 <= length $d) {
        last if substr($d, $o, 1) ne "\xff";
        my $m = ord substr($d, $o + 1, 1);
        if ($m == 0xd9) { last }
        my $l = unpack 'n', substr($d, $o + 2, 2);
        push @s, [$m, $o, $l];
        if ($m == 0xda) { last }
        $o += 2 + $l;
    }
    return @s;
}
sub jpeg {
    my ($d, $emit) = @_;
    my @s = jpeg_segments($d);
    my ($sof) = grep { $_->[0] >= 0xc0 && $_->[0] <= 0xcf && $_->[0] != 0xc4 && $_->[0] != 0xc8 && $_->[0] != 0xcc } @s;
    if ($sof) {
        my $o = $sof->[1] + 4;   # precision, height, width, ncomp
        my $set = sub {
            my ($name, $off, $fmt, $v) = @_;
            my $m = $d;
            substr($m, $o + $off, length pack($fmt, $v)) = pack $fmt, $v;
            $emit->($name, $m);
        };
        $set->('h_ffff', 1, 'n', 0xffff);
        $set->('w_ffff', 3, 'n', 0xffff);
        $set->('h0', 1, 'n', 0);
        $set->('w0', 3, 'n', 0);
        $set->('h_x4', 1, 'n', 4 * unpack 'n', substr($d, $o + 1, 2));
        $set->('prec12', 0, 'C', 12);
        $set->('prec0', 0, 'C', 0);
        $set->('ncomp0', 5, 'C', 0);
        $set->('ncomp4', 5, 'C', 4);
        $set->('ncomp255', 5, 'C', 255);
        $set->('samp_bad', 7, 'C', 0x0f);
        $set->('samp_zero', 7, 'C', 0);
        $set->('qtab9', 8, 'C', 9);
        {
            my $m = $d;
            substr($m, $sof->[1] + 1, 1) = "\xc2";
            $emit->('sof_prog', $m);
            substr($m, $sof->[1] + 1, 1) = "\xc3";
            $emit->('sof_lossless', $m);
            substr($m, $sof->[1] + 1, 1) = "\xc9";
            $emit->('sof_arith', $m);
        }
        # SOF twice
        {
            my $seg = substr($d, $sof->[1], 2 + $sof->[2]);
            my $m = $d;
            substr($m, $sof->[1], 0) = $seg;
            $emit->('dup_sof', $m);
        }
    }
    for my $seg (grep { $_->[0] == 0xc4 || $_->[0] == 0xdb || $_->[0] == 0xda } @s) {
        my $tag = sprintf '%02x', $seg->[0];
        my $m = $d;
        substr($m, $seg->[1] + 2, 2) = pack 'n', 0xffff;
        $emit->("seglen_ffff_$tag", $m);
        $m = $d;
        substr($m, $seg->[1] + 2, 2) = pack 'n', 2;
        $emit->("seglen_2_$tag", $m);
        $m = $d;
        substr($m, $seg->[1] + 4, $seg->[2] - 2) = "\xff" x ($seg->[2] - 2) if $seg->[2] > 2;
        $emit->("segff_$tag", $m);
        $m = $d;
        substr($m, $seg->[1], 2 + $seg->[2]) = '';
        $emit->("drop_$tag", $m);
        last if $tag eq 'da';
    }
    # scan data corruption
    my ($sos) = grep { $_->[0] == 0xda } @s;
    if ($sos) {
        my $start = $sos->[1] + 2 + $sos->[2];
        my $m = $d;
        substr($m, $start + 10, 0) = "\xff\xd0\xff\xd7\xff\xc0\x00\x02";
        $emit->('scan_markers', $m);
        $m = $d;
        substr($m, $start + 5, 0) = "\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00";
        $emit->('scan_sos_again', $m);
        $m = $d;
        $m =~ s/\xff\xd9\z//;
        $emit->('no_eoi', $m);
        $emit->('scan_zero', substr($d, 0, $start) . ("\0" x (length($d) - $start)));
        $emit->('scan_half', substr($d, 0, $start + int((length($d) - $start) / 2)) . "\xff\xd9");
    }
    $emit->('app1_huge', substr($d, 0, 2) . "\xff\xe1\xff\xffExif\0\0" . substr($d, 2));
    $emit->('exif_bad', substr($d, 0, 2) . "\xff\xe1\x00\x20Exif\0\0MM\0\x2a\xff\xff\xff\xf0" . ("\0" x 16) . substr($d, 2));
}

# ---- WebP ----
sub webp {
    my ($d, $emit) = @_;
    my $set = sub {
        my ($name, $off, $bytes) = @_;
        return if $off + length $bytes > length $d;
        my $m = $d;
        substr($m, $off, length $bytes) = $bytes;
        $emit->($name, $m);
    };
    $set->('riff_huge', 4, pack 'V', 0xfffffff0);
    $set->('riff_small', 4, pack 'V', 4);
    $set->('chunk_huge', 16, pack 'V', 0xfffffff0);
    $set->('chunk_zero', 16, pack 'V', 0);
    my $fourcc = substr($d, 12, 4);
    if ($fourcc eq 'VP8 ') {
        # frame tag(3) start code(3) then 14-bit width, height
        $set->('vp8_wh_max', 26, pack 'vv', 0x3fff, 0x3fff);
        $set->('vp8_w0', 26, pack 'v', 0);
        $set->('vp8_scale', 26, pack 'vv', 0xc140, 0xc0b4);
        $set->('vp8_startcode', 23, "\0\0\0");
        $set->('vp8_part_huge', 20, "\xff\xff\xff");
    } elsif ($fourcc eq 'VP8L') {
        # signature 0x2f then 14-bit w-1, 14-bit h-1
        $set->('vp8l_wh_max', 21, pack 'V', 0x0fffffff);
        $set->('vp8l_sig', 20, "\x00");
        $set->('vp8l_version', 24, "\xe0");
    } elsif ($fourcc eq 'VP8X') {
        $set->('vp8x_canvas_max', 24, "\xff\xff\xff\xff\xff\xff");
        $set->('vp8x_flags_anim', 20, "\x02");
        $set->('vp8x_flags_all', 20, "\x3e");
    }
    # animated / extended headers in front of a plain bitstream
    if ($fourcc eq 'VP8 ' || $fourcc eq 'VP8L') {
        my ($w, $h) = (320, 180);
        my $vp8x = 'VP8X' . pack('V', 10) . "\x10\0\0\0" . substr(pack('V', $w - 1), 0, 3) . substr(pack('V', $h - 1), 0, 3);
        my $body = substr($d, 12);
        my $mk = sub { my $b = 'WEBP' . $_[0]; 'RIFF' . pack('V', length $b) . $b };
        $emit->('vp8x_wrap', $mk->($vp8x . $body));
        my $alph = 'ALPH' . pack('V', 9) . "\x01garbage!" . "\0";
        $emit->('vp8x_alph_bad', $mk->($vp8x . $alph . $body));
        my $vp8xa = 'VP8X' . pack('V', 10) . "\x02\0\0\0" . substr(pack('V', 99999), 0, 3) . substr(pack('V', 99999), 0, 3);
        my $anmf = 'ANMF' . pack('V', 16 + length $body) . ("\0" x 6) . substr(pack('V', 15999), 0, 3) . substr(pack('V', 15999), 0, 3) . "\0\0\0\0" . $body;
        $emit->('anim', $mk->($vp8xa . 'ANIM' . pack('V', 6) . ("\0" x 6) . $anmf));
        $emit->('dup_bitstream', $mk->($body . $body));
    }
}

# ---- PDF ----
sub pdf {
    my ($d, $emit) = @_;
    my $subst = sub {
        my ($name, $re, $rep, $all) = @_;
        my $m = $d;
        my $ok = $all ? ($m =~ s/$re/$rep->()/ge) : ($m =~ s/$re/$rep->()/e);
        $emit->($name, $m) if $ok;
    };
    for my $v ('2147483647', '-1', '0', '99999999', '4294967296', '1e9') {
        $subst->("count_$v", qr{/Count\s+\d+}, sub { "/Count $v" }, 1);
    }
    for my $v ('0', '99999999999', '-5', '1') {
        $subst->("startxref_$v", qr{startxref\s+\d+}, sub { "startxref\n$v" });
    }
    for my $v ('999999999', '0', '-1', '2147483647', '1') {
        $subst->("length_$v", qr{/Length\s+\d+(\s+0\s+R)?}, sub { "/Length $v" }, 1);
    }
    $subst->('xref_offsets_garbage', qr{(\d{10}) (\d{5}) n}, sub { sprintf '%010d 00000 n', rnd(1000000000) }, 1);
    $subst->('xref_offsets_zero', qr{(\d{10}) (\d{5}) n}, sub { '0000000000 00000 n' }, 1);
    $subst->('xref_count_huge', qr{xref\s+0\s+\d+}, sub { "xref\n0 99999999" });
    $subst->('xref_first_huge', qr{xref\s+0\s+}, sub { "xref\n2147483640 " });
    $subst->('size_huge', qr{/Size\s+\d+}, sub { '/Size 2147483647' }, 1);
    $subst->('size_neg', qr{/Size\s+\d+}, sub { '/Size -3' }, 1);
    $subst->('prev_loop', qr{trailer\s*<<}, sub { "trailer\n<< /Prev 0 " });
    $subst->('mediabox_huge', qr{/MediaBox\s*\[[^\]]*\]}, sub { '/MediaBox [0 0 99999 99999]' }, 1);
    $subst->('mediabox_1e30', qr{/MediaBox\s*\[[^\]]*\]}, sub { '/MediaBox [0 0 1e30 1e30]' }, 1);
    $subst->('mediabox_neg', qr{/MediaBox\s*\[[^\]]*\]}, sub { '/MediaBox [0 0 -612 -792]' }, 1);
    $subst->('mediabox_zero', qr{/MediaBox\s*\[[^\]]*\]}, sub { '/MediaBox [0 0 0 0]' }, 1);
    $subst->('mediabox_short', qr{/MediaBox\s*\[[^\]]*\]}, sub { '/MediaBox [0]' }, 1);
    $subst->('mediabox_nan', qr{/MediaBox\s*\[[^\]]*\]}, sub { '/MediaBox [0 0 nan inf]' }, 1);
    $subst->('mediabox_wide', qr{/MediaBox\s*\[[^\]]*\]}, sub { '/MediaBox [0 0 14400 1]' }, 1);
    $subst->('userunit', qr{/Type\s*/Page\b}, sub { '/Type /Page /UserUnit 75000' }, 1);
    $subst->('rotate_45', qr{/Type\s*/Page\b}, sub { '/Type /Page /Rotate 45' }, 1);
    $subst->('rotate_huge', qr{/Type\s*/Page\b}, sub { '/Type /Page /Rotate 2147483647' }, 1);
    $subst->('page_as_pages', qr{/Type\s*/Page\b}, sub { '/Type /Pages' }, 1);
    $subst->('pages_as_page', qr{/Type\s*/Pages\b}, sub { '/Type /Page' }, 1);
    $subst->('kids_self', qr{/Kids\s*\[}, sub { '/Kids [1 0 R 2 0 R 3 0 R ' }, 1);
    $subst->('kids_null', qr{/Kids\s*\[[^\]]*\]}, sub { '/Kids [null 0 [] <<>>]' }, 1);
    $subst->('kids_many', qr{/Kids\s*\[}, sub { '/Kids [' . ('1 0 R ' x 5000) }, 0);
    $subst->('parent_loop', qr{/Parent\s+\d+\s+0\s+R}, sub { '/Parent 4 0 R' }, 1);
    $subst->('root_bad', qr{/Root\s+\d+\s+0\s+R}, sub { '/Root 9999 0 R' }, 1);
    $subst->('obj_huge', qr{\b1 0 obj}, sub { '2147483647 0 obj' });
    $subst->('gen_huge', qr{\b(\d+) 0 obj}, sub { "$1 65535 obj" }, 1);
    $subst->('no_endstream', qr{endstream}, sub { '' }, 1);
    $subst->('no_endobj', qr{endobj}, sub { '' }, 1);
    $subst->('no_stream_kw', qr{\bstream\r?\n}, sub { '' }, 1);
    for my $f (qw(DCTDecode JBIG2Decode CCITTFaxDecode LZWDecode RunLengthDecode JPXDecode ASCII85Decode ASCIIHexDecode Crypt)) {
        $subst->("filter_$f", qr{/Filter\s*(/\w+|\[[^\]]*\])}, sub { "/Filter /$f" }, 1);
    }
    $subst->('filter_chain', qr{/Filter\s*(/\w+|\[[^\]]*\])}, sub { '/Filter [/FlateDecode /FlateDecode /LZWDecode /ASCII85Decode]' }, 1);
    $subst->('predictor', qr{/Filter\s*/FlateDecode}, sub { '/Filter /FlateDecode /DecodeParms << /Predictor 15 /Columns 99999999 /Colors 60 /BitsPerComponent 16 >>' }, 1);
    $subst->('img_wh_huge', qr{/Width\s+\d+}, sub { '/Width 2147483647' }, 1);
    $subst->('img_h_huge', qr{/Height\s+\d+}, sub { '/Height 1000000' }, 1);
    $subst->('img_wh_0', qr{/Width\s+\d+}, sub { '/Width 0' }, 1);
    $subst->('img_bpc', qr{/BitsPerComponent\s+\d+}, sub { '/BitsPerComponent 7' }, 1);
    $subst->('img_bpc32', qr{/BitsPerComponent\s+\d+}, sub { '/BitsPerComponent 32' }, 1);
    $subst->('colorspace_bad', qr{/ColorSpace\s*/\w+}, sub { '/ColorSpace [/Indexed /DeviceRGB 255 <00>]' }, 1);
    $subst->('colorspace_icc', qr{/ColorSpace\s*/\w+}, sub { '/ColorSpace [/ICCBased 1 0 R]' }, 1);
    $subst->('smask_self', qr{/Subtype\s*/Image}, sub { '/Subtype /Image /SMask 1 0 R' }, 1);
    $subst->('font_bad', qr{/FontFile\d?\s+\d+\s+0\s+R}, sub { '/FontFile2 1 0 R' }, 1);
    $subst->('encrypt_R99', qr{/R\s+\d+}, sub { '/R 99' }, 1);
    $subst->('encrypt_V99', qr{/V\s+\d+}, sub { '/V 99' }, 1);
    $subst->('encrypt_len', qr{/Length\s+(40|128|256)\b}, sub { '/Length 4096' }, 1);
    $subst->('encrypt_O_short', qr{/O\s*(<[0-9A-Fa-f\s]*>|\((?:[^\\)]|\\.)*\))}, sub { '/O <00>' }, 1);
    $subst->('encrypt_U_short', qr{/U\s*(<[0-9A-Fa-f\s]*>|\((?:[^\\)]|\\.)*\))}, sub { '/U <00>' }, 1);
    $subst->('annots_bad', qr{/Type\s*/Page\b}, sub { '/Type /Page /Annots [ << /Subtype /Widget /Rect [0 0 1e38 1e38] /AP << /N 1 0 R >> >> 1 0 R null ]' }, 1);
    $subst->('resources_loop', qr{/Resources\s+\d+\s+0\s+R}, sub { '/Resources << /XObject << /X1 1 0 R >> /Font << /F1 1 0 R >> >>' }, 1);
    $subst->('outlines_loop', qr{/Type\s*/Catalog}, sub { '/Type /Catalog /Outlines << /First << /Next 1 0 R >> /Count 5 >>' }, 1);
    $subst->('pagelabels_bad', qr{/Type\s*/Catalog}, sub { '/Type /Catalog /PageLabels << /Nums [0 << /S /D /St -2147483648 >> 1 null 99999999 5] >>' }, 1);
    $subst->('objstm_n_huge', qr{/N\s+\d+}, sub { '/N 2147483647' }, 1);
    $subst->('objstm_first_huge', qr{/First\s+\d+}, sub { '/First 999999999' }, 1);
    $subst->('w_huge', qr{/W\s*\[[^\]]*\]}, sub { '/W [1 99 1]' }, 1);
    $subst->('w_zero', qr{/W\s*\[[^\]]*\]}, sub { '/W [0 0 0]' }, 1);
    $subst->('index_huge', qr{/Type\s*/XRef}, sub { '/Type /XRef /Index [0 2147483647]' }, 1);
    # deep nesting, inserted as a dictionary value
    $subst->('nest_arrays', qr{/Type\s*/Page\b}, sub { '/Type /Page /Junk ' . ('[' x 100000) . (']' x 100000) }, 0);
    $subst->('nest_dicts', qr{/Type\s*/Page\b}, sub { '/Type /Page /Junk ' . ('<</A ' x 20000) . ('>>' x 20000) }, 0);
    # contents: operator soup in an uncompressed stream
    $subst->('contents_ops', qr{/Contents\s+\d+\s+0\s+R}, sub { '/Contents 1 0 R' }, 1);
    # duplicate every object once (later definitions win in a rebuilt xref)
    {
        my $m = $d;
        if ($m =~ s/(\n\d+ 0 obj\b.*?endobj)/$1$1/s) { $emit->('dup_obj', $m) }
    }
    # a second, corrupt incremental update
    $emit->('incremental_bad', $d . "\n1 0 obj\n<< /Type /Pages /Kids [1 0 R] /Count 1 >>\nendobj\nxref\n0 2\n0000000000 65535 f \n9999999999 00000 n \ntrailer\n<< /Size 2 /Root 1 0 R /Prev " . length($d) . " >>\nstartxref\n" . length($d) . "\n%%EOF\n");
    # big content stream in a tiny page: many operators
    $emit->('gstate_bomb', $d =~ s{(/Contents\s+)\d+\s+0\s+R}{${1}[]}r) if $d =~ /Contents/;
}

opendir my $dh, $seeddir or die;
for my $f (sort grep { !/^\./ } readdir $dh) {
    my $d = slurp("$seeddir/$f");
    my $k = kind($d);
    (my $base = $f) =~ s/\.[^.]+$//;
    my $ext = $k eq 'other' ? ($f =~ /\.(\w+)$/)[0] : $k eq 'jpeg' ? 'jpg' : $k;
    srnd($f);
    my $emit = sub { out($base, $ext, $_[0], $_[1]) };
    generic($d, $emit);
    png($d, $emit)  if $k eq 'png';
    jpeg($d, $emit) if $k eq 'jpeg';
    webp($d, $emit) if $k eq 'webp';
    pdf($d, $emit)  if $k eq 'pdf';
}
print "$n mutants\n";
