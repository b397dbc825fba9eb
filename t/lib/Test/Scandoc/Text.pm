# Text accuracy for the tests and bench/run: the character error rate of
# a text against its ground truth, after whitespace normalization.
package Test::Scandoc::Text;

use strict;
use warnings;

use Exporter qw(import);

our @EXPORT_OK = qw(normalize distance cer);

sub normalize {
    my ($s) = @_;
    $s =~ s/\s+/ /g;
    $s =~ s/^ | $//g;
    return $s;
}

# Levenshtein distance computed in a diagonal band of width k, doubled
# until the distance fits in it (then it is exact): O(n k), not O(n m).
sub distance {
    my ($s, $t) = @_;
    my @a = split //, $s;
    my @b = split //, $t;
    my ($n, $m) = (scalar @a, scalar @b);
    return $m unless $n;
    return $n unless $m;
    my $max = $n > $m ? $n : $m;

    for (my $k = 32; ; $k *= 2) {
        my $inf = $n + $m + 1;
        my @prev = map { $_ <= $k ? $_ : $inf } 0 .. $m;
        for my $i (1 .. $n) {
            my @cur = ($inf) x ($m + 1);
            $cur[0] = $i <= $k ? $i : $inf;
            my $lo = $i - $k < 1 ? 1 : $i - $k;
            my $hi = $i + $k > $m ? $m : $i + $k;
            my $c = $a[$i - 1];
            for my $j ($lo .. $hi) {
                my $d = $prev[$j - 1] + ($c eq $b[$j - 1] ? 0 : 1);
                $d = $prev[$j] + 1 if $prev[$j] + 1 < $d;
                $d = $cur[$j - 1] + 1 if $cur[$j - 1] + 1 < $d;
                $cur[$j] = $d;
            }
            @prev = @cur;
        }
        return $prev[$m] if $prev[$m] <= $k || $k >= $max;
    }
}

sub cer {
    my ($truth, $text) = @_;
    my ($g, $h) = (normalize($truth), normalize($text));
    return distance($g, $h) / length($g);
}

1;
