#!/usr/bin/perl
# mkmmdb.pl - writes the deterministic test MaxMind DBs used by unit and end-to-end tests.
# Usage: perl tests/gen/mkmmdb.pl OUTDIR  -> test-city.mmdb, test-asn.mmdb, test-flat.mmdb
use strict;
use warnings;
use File::Path ();

if (!eval { require MaxMind::DB::Writer::Tree; 1 }) {
	print STDERR "mkmmdb: missing perl module MaxMind::DB::Writer::Tree (run `make deps`: libmaxmind-db-writer-perl)\n";
	exit 1;
}
die "usage: $0 OUTDIR\n" unless @ARGV == 1;
my $dir = $ARGV[0];
-d $dir or File::Path::make_path($dir) or die "mkmmdb: $dir: $!\n";

use constant EPOCH => 1700000000;

# The address plan other engineers' captures rely on: network, country, city, lat, lon, asn, org.
my @plan = (
	['220.181.0.0/16', 'CN', 'Beijing', 39.9042, 116.4074, 23724, 'IDC, China Telecommunications Corporation'],
	['49.44.0.0/16', 'IN', 'Mumbai', 19.0760, 72.8777, 55836, 'Reliance Jio Infocomm Limited'],
	['142.250.0.0/15', 'US', 'Mountain View', 37.4056, -122.0775, 15169, 'GOOGLE'],
	['103.1.0.0/16', 'SG', 'Singapore', 1.29, 103.85, 131111, 'Example SG'],
	['240e::/20', 'CN', 'Beijing', 39.9042, 116.4074, 4134, 'CHINANET-BACKBONE'],
	['2405:200::/29', 'IN', 'Mumbai', 19.0760, 72.8777, 55836, 'Reliance Jio Infocomm Limited'],
	# Deliberately wrong, like the real default database: private ranges must never be looked up.
	['192.168.0.0/16', 'AU', 'Sydney', -33.8688, 151.2093, 0, ''],
);

my %types = (
	autonomous_system_number => 'uint32',
	build_epoch              => 'uint64',
);

sub tree {
	my ($type, $desc) = @_;
	return MaxMind::DB::Writer::Tree->new(
		ip_version               => 6,
		record_size              => 28,
		database_type            => $type,
		languages                => ['en'],
		description              => { en => $desc },
		merge_strategy           => 'none',
		alias_ipv6_to_ipv4       => 1,
		remove_reserved_networks => 0,
		_build_epoch             => EPOCH,
		map_key_type_callback    => sub {
			my $k = shift;
			# GeoIP2 stores coordinates as doubles; the flat layout here as floats.
			return $type =~ /^Geo/ ? 'double' : 'float' if $k =~ /^(?:latitude|longitude)$/;
			return 'map' if $k =~ /^(?:country|registered_country|names|location)$/;
			return $type =~ /^Geo/ ? 'map' : 'utf8_string' if $k eq 'city';
			return $types{$k} // 'utf8_string';
		},
	);
}

sub write_db {
	my ($t, $name) = @_;
	my $path = "$dir/$name";
	open my $fh, '>:raw', "$path.tmp" or die "mkmmdb: $path.tmp: $!\n";
	$t->write_tree($fh);
	close $fh or die "mkmmdb: $path.tmp: $!\n";
	rename "$path.tmp", $path or die "mkmmdb: $path: $!\n";
	print "mkmmdb: wrote $path\n";
}

my $city = tree('GeoIP2-City', 'phonehome test city database');
my $asn  = tree('GeoLite2-ASN', 'phonehome test ASN database');
my $flat = tree('ip-location-db city test', 'phonehome test flat database');

for my $p (@plan) {
	my ($net, $cc, $name, $lat, $lon, $as, $org) = @$p;
	$city->insert_network($net, {
		country            => { iso_code => $cc, names => { en => $cc } },
		registered_country => { iso_code => $cc, names => { en => $cc } },
		city               => { names => { en => $name } },
		location           => { latitude => $lat, longitude => $lon },
	});
	$flat->insert_network($net, {
		country_code => $cc,
		city         => $name,
		latitude     => $lat,
		longitude    => $lon,
	});
	$asn->insert_network($net, {
		autonomous_system_number       => $as,
		autonomous_system_organization => $org,
	}) if $as;
}

write_db($city, 'test-city.mmdb');
write_db($asn, 'test-asn.mmdb');
write_db($flat, 'test-flat.mmdb');
