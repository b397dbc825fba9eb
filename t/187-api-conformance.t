# Conformance with API.md, found by an audit of the running service: each
# check here failed before its fix.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::Scandoc::Server;

my $s = Test::Scandoc::Server->new;
$s->start_nginx;
sub corpus { Test::Scandoc::Server::corpus(@_) }

my @ids = map { $s->upload_id(corpus('tessjs_simple.png'), "p$_") } 1 .. 3;

# Pagination: take and from are query arguments, so their values are
# percent-decoded like any URL's ("take=%32" is take=2, API.md: an
# integer 1-100); a malformed escape is still a 422.
my $l = $s->request(GET => '/v1/files?take=%32');
is($l->{status}, 200, 'take=%32 is take=2');
is_deeply([ map { $_->{id} } @{ $l->{json}{data} || [] } ], [ @ids[2, 1] ],
          '... two items, newest first');

(my $esc = $ids[1]) =~ s/_/%5F/;
$l = $s->request(GET => "/v1/files?take=1&from=$esc");
is($l->{status}, 200, 'from with an escaped "_" is the id');
is_deeply([ map { $_->{id} } @{ $l->{json}{data} || [] } ], [ $ids[1] ],
          '... and the page starts there');

$l = $s->request(GET => '/v1/files?take=%3');
is($l->{status}, 422, 'a malformed escape in take: 422');
ok($l->{json}{errors}{take}, '... on take');

$l = $s->request(GET => '/v1/files?take=%00');
is($l->{status}, 422, 'an escaped NUL in take: 422');

# callback_url (API.md: an absolute http or https URL): one that no
# webhook could be delivered to is refused at creation.
for my $url ('https://example.com:99999/hook', 'https://-/hook',
             'https://exa_mple.com/hook', 'https://example-.com/',
             'https://a..b/', 'http://example.com:/x', 'https://[zz]/',
             'https://user@example.com/', 'https://:443/') {
    my $r = $s->create_task(image => convert => { input => $ids[0],
        target_format => 'image/png', callback_url => $url });
    is($r->{status}, 422, "callback_url $url: 422");
    is_deeply($r->{json}{errors}{callback_url},
              [ 'The callback_url field must be an absolute http or https URL.' ],
              "callback_url $url: on callback_url");
}
for my $url ('https://hooks.example.com:8443/scandoc?x=1', 'http://127.0.0.1:65535/',
             'https://[::1]:9000/h', 'https://xn--bcher-kva.example./h',
             'HTTP://EXAMPLE.COM') {
    my $r = $s->create_task(image => convert => { input => $ids[0],
        target_format => 'image/png', callback_url => $url });
    is($r->{status}, 202, "callback_url $url: 202");
    is($r->{json}{callback_url}, $url, "callback_url $url: kept as given");
}

done_testing;
