#!/usr/bin/perl
# build-asn.pl - builds a GeoLite2-ASN-layout MaxMind DB from ip-location-db ASN CSVs.
# Usage: perl geoip/build-asn.pl OUT.mmdb asn-ipv4.csv asn-ipv6.csv  (lines: start,end,asn,org)
use strict;
use warnings;

my @missing;
for my $m (qw(MaxMind::DB::Writer::Tree)) {
	eval "require $m; 1" or push @missing, $m;
}
if (@missing) {
	print STDERR "build-asn: missing perl module @missing (run `make deps`: libmaxmind-db-writer-perl)\n";
	exit 1;
}

die "usage: $0 OUT.mmdb asn-ipv4.csv [asn-ipv6.csv]\n" if @ARGV < 2;
my ($out, @csv) = @ARGV;

my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version            => 6,
	record_size           => 28,
	database_type         => 'GeoLite2-ASN',
	languages             => ['en'],
	description           => { en => 'phonehome ASN database built from @ip-location-db/asn (RouteViews, NRO, DB-IP; CC BY 4.0)' },
	merge_strategy        => 'none',
	alias_ipv6_to_ipv4    => 1,
	remove_reserved_networks => 1,
	map_key_type_callback => sub {
		my $k = shift;
		return 'uint32' if $k eq 'autonomous_system_number';
		return 'utf8_string';
	},
);

# Ranges inside the aliased IPv6 space (IPv4-mapped, Teredo, 6to4) cannot be inserted.
sub aliased {
	my $ip = lc shift;
	return $ip =~ /^2001:0*:/ || $ip =~ /^2001::/ || $ip =~ /^2002:/ || $ip =~ /^::ffff:/;
}

# start,end,asn,org: org is last, so a 4-way split keeps its commas; quotes are CSV's.
sub fields {
	my @f = split /,/, shift, 4;
	$f[3] =~ s/^"(.*)"\z/$1 =~ s{""}{"}gr/se if defined $f[3];
	return @f;
}

my ($n, $skipped, $bad) = (0, 0, 0);
my %orgs;    # one shared hash per (asn, org): 500k ranges share ~80k records
for my $file (@csv) {
	open my $fh, '<:encoding(UTF-8)', $file or die "build-asn: $file: $!\n";
	while (my $line = <$fh>) {
		$line =~ s/\r?\n\z//;
		next if $line eq '';
		my ($start, $end, $asn, $org) = fields($line);
		if (!defined $asn || $asn !~ /^\d+$/ || $asn > 4294967295) {
			$bad++;
			next;
		}
		if (aliased($start) || aliased($end)) {
			$skipped++;
			next;
		}
		my $data = $orgs{"$asn\0" . ($org // '')} //= {
			autonomous_system_number => $asn + 0,
			(defined $org && $org ne '' ? (autonomous_system_organization => $org) : ()),
		};
		if (!eval { $tree->insert_range($start, $end, $data); 1 }) {
			$bad++;
			next;
		}
		$n++;
	}
	close $fh;
}
die "build-asn: no ranges read from @csv\n" if $n == 0;

open my $ofh, '>:raw', $out or die "build-asn: $out: $!\n";
$tree->write_tree($ofh);
close $ofh or die "build-asn: $out: $!\n";
print "build-asn: $n ranges, $skipped in aliased IPv6 space skipped, $bad unusable\n";
