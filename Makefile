# phonehome - privacy traffic auditor.  `make`, `make check`, `make demo`.
PREFIX   ?= /usr/local
GEOIPDIR ?= /var/lib/phonehome
CC       ?= cc
PKGS     := libpcap libndpi libmaxminddb jansson libhs zlib libcrypto libbrotlidec libzstd libnghttp3
OPT      ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra $(OPT) -D_GNU_SOURCE \
            -DPH_DATADIR='"$(PREFIX)/share/phonehome"' \
            -DPH_GEOIPDIR='"$(GEOIPDIR)"' $(shell pkg-config --cflags $(PKGS))
LDLIBS   += $(shell pkg-config --libs $(PKGS)) -lm
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

SRC      := $(filter-out src/main.c,$(wildcard src/*.c))
UNIT     := $(wildcard tests/unit/test_*.c)

# Two builds side by side: build/ (release) and build/san/ (sanitizers, used by check).
OBJ      := $(SRC:src/%.c=build/obj/%.o)
SOBJ     := $(SRC:src/%.c=build/san/obj/%.o)
UBIN     := $(UNIT:tests/unit/%.c=build/san/%)

DEBIAN_PKGS := build-essential pkg-config libpcap-dev libndpi-dev libndpi-bin libmaxminddb-dev \
  mmdb-bin libjansson-dev libhyperscan-dev zlib1g-dev libssl-dev libcmocka-dev python3-scapy \
  libmaxmind-db-writer-perl libbrotli-dev libzstd-dev npm tcpdump iproute2 valgrind time chromium \
  openssl curl nghttp2-server nghttp2-client python3-brotli zstd python3-jsonschema libnghttp3-dev ngtcp2-client ngtcp2-server
DEBIAN_PKGS += tshark  # make apps: every generated app-attribution capture reads back in tshark
DEBIAN_PKGS += dpkg-dev git lintian  # make deb(-test): dpkg-buildflags, dpkg-shlibdeps, the changelog from git, lintian

# What `make fuzz` and `make bench` need beyond that (installed by their own -deps targets).
FUZZ_PKGS  := clang libclang-rt-14-dev
BENCH_PKGS := tshark ngrep time valgrind tcpreplay

.PHONY: all check deps-audit fuzz-deps unit e2e apps eve-schema threads live sweep crosscheck deps geoip demo clean install sample report-pdf deb deb-test
.PHONY: bench bench-memory bench-quic bench-live bench-deps fuzz fuzz-corpus limits valgrind tls quic diff
all: phonehome

phonehome: build/libphonehome.a build/obj/main.o
	$(CC) $(CFLAGS) -o $@ build/obj/main.o build/libphonehome.a $(LDLIBS)

build/libphonehome.a: $(OBJ)
	ar rcs $@ $^

build/obj/%.o: src/%.c $(wildcard src/*.h) | build/obj
	$(CC) $(CFLAGS) -c -o $@ $<

build/san/phonehome: build/san/libphonehome.a build/san/obj/main.o
	$(CC) $(CFLAGS) $(SAN) -o $@ build/san/obj/main.o build/san/libphonehome.a $(LDLIBS)

build/san/libphonehome.a: $(SOBJ)
	ar rcs $@ $^

build/san/obj/%.o: src/%.c $(wildcard src/*.h) | build/san/obj
	$(CC) $(CFLAGS) $(SAN) -c -o $@ $<

build/san/test_%: tests/unit/test_%.c build/san/libphonehome.a
	$(CC) $(CFLAGS) $(SAN) -Isrc -o $@ $< build/san/libphonehome.a $(LDLIBS) -lcmocka

build/obj build/san/obj:
	mkdir -p $@

# The README's test command: unit tests, end-to-end tests and the capture sweep,
# all on the sanitizer build.
check: deps-audit unit e2e apps eve-schema diff threads live tls quic sweep crosscheck limits valgrind precision

# Every import, program, pkg-config name and Perl module the build and tests use comes from
# a package declared here (or pulled in by one, or Priority required).
deps-audit:
	@/usr/bin/python3 tests/deps_audit.py

# Live capture in two network namespaces (root; skipped with a message otherwise).
live: build/san/phonehome
	@PHONEHOME=build/san/phonehome /usr/bin/python3 tests/e2e/e2e_live.py

# HTTPS decryption with a key log: TLS 1.2/1.3, HTTP/1.1 and HTTP/2, in two network namespaces (root).
tls: build/san/phonehome
	@PHONEHOME=build/san/phonehome /usr/bin/python3 tests/e2e/e2e_tls.py

# QUIC with a key log: ngtcp2's client and server (HTTP/3) in two network namespaces (root).
quic: build/san/phonehome
	@PHONEHOME=build/san/phonehome /usr/bin/python3 tests/e2e/e2e_quic.py

unit: $(UBIN) build/test/test-city.mmdb
	@bash tests/run-unit.sh $(UBIN)

build/test/test-city.mmdb: tests/gen/mkmmdb.pl
	perl tests/gen/mkmmdb.pl build/test

e2e: build/san/phonehome
	@PHONEHOME=build/san/phonehome bash tests/e2e/run.sh

# Which app sent it: PCAPdroid pcap trailers and pcapng, NFLOG (tests/gen/apps.py; tshark reads them).
apps: build/san/phonehome
	@PHONEHOME=build/san/phonehome /usr/bin/python3 tests/e2e/e2e_apps.py

# Every EVE record validates against Suricata's schema (../shared/suricata/eve-schema.json):
# the sample, the e2e captures, TLS decrypted with a key log, real captures with DNS, HTTP, TLS.
eve-schema: build/san/phonehome build/test/test-city.mmdb
	@PHONEHOME=build/san/phonehome /usr/bin/python3 tests/e2e/e2e_eve_schema.py

# phonehome diff on a generated before/after pair (tests/gen/retest.py): diff.json, text, diff.html in Chromium.
diff: build/san/phonehome build/test/test-city.mmdb
	@PHONEHOME=build/san/phonehome /usr/bin/python3 tests/e2e/e2e_diff.py

# One worker and three give the same report (the sample and the 40 largest shared captures).
threads: build/san/phonehome
	@/usr/bin/python3 tests/e2e/e2e_threads.py build/san/phonehome build/e2e-threads

sweep: build/san/phonehome
	@PHONEHOME=build/san/phonehome bash tests/sweep.sh

# App protocols agree with Debian's ndpiReader 4.2 on a handful of real captures.
CROSSCHECK := xiaomi.pcap http.pcapng 443-chrome.pcap dns_doh.pcap whatsapp_login_call.pcap \
  wechat.pcap quic.pcap netflix.pcap facebook.pcap BGP_Cisco_hdlc_slarp.pcap dlt_ppp.pcap
crosscheck: build/san/phonehome
	@/usr/bin/python3 tests/ndpi_crosscheck.py build/san/phonehome $(CROSSCHECK:%=../shared/pcaps/ndpi/%)

# Suspected leaks without --identity on every shared real capture equal the reviewed list
# (tests/precision/expected.json), on the release build.
precision: phonehome
	@/usr/bin/python3 tests/precision/precision.py ./phonehome

# Attack and fault tests (bounded memory, truncated and corrupt inputs, full disk, SIGPIPE)
# on the release build, whose peak RSS is what a user gets.
limits: phonehome build/limits/mkflood
	@/usr/bin/python3 tests/limits/limits.py ./phonehome build/limits

build/limits/mkflood: tests/limits/mkflood.c | build/limits
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

# memcheck over a few real captures: zero errors, zero definite or indirect leaks.
valgrind: phonehome
	@bash tests/valgrind.sh ./phonehome

# Benchmark (not part of check; fetches the GeoIP databases, which its leak count needs:
# the injected leaks are counted where they go abroad): builds build/bench/bench.pcap from the real captures
# when missing, times phonehome and the reference tools, prints the table.
BENCH_TOOLS := build/bench/mkcap build/bench/pcapread build/bench/flowtable build/bench/hsscan
bench: phonehome $(BENCH_TOOLS) bench-deps geoip
	@bash bench/run.sh ./phonehome build/bench

bench-deps:
	@bash tests/deps.sh $(BENCH_PKGS)

# Memory flat in the capture's size (not part of check; a 10 GB corpus on disk): peak RSS at
# 1 GB and 10 GB of the bench's corpus, and ndpiReader's at 1 GB.
bench-memory: phonehome build/bench/mkcap bench-deps geoip
	@bash bench/memory.sh ./phonehome build/bench-memory

# What decrypting QUIC costs (not part of check; root, gtlsclient/gtlsserver, tcpdump): HTTP/3
# uploads captured in the script's own namespaces, phonehome timed with and without --keylog.
bench-quic: phonehome
	@/usr/bin/python3 bench/quic.py ./phonehome build/bench-quic

# Live rate (not part of check; root): tcpreplay at rising rates into a veth pair in network
# namespaces of its own, phonehome -i on the other end; kernel drops and leaks found per rate.
bench-live: phonehome build/bench/mkcap build/bench/pcapread bench-deps geoip
	@bash bench/live.sh ./phonehome build/bench-live

build/bench/mkcap build/bench/pcapread: build/bench/%: bench/%.c | build/bench
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

build/bench/flowtable build/bench/hsscan: build/bench/%: bench/%.c build/libphonehome.a | build/bench
	$(CC) $(CFLAGS) -Isrc -o $@ $< build/libphonehome.a $(LDLIBS)

# libFuzzer targets (clang); FUZZ_SECONDS per target, corpus seeded from fixtures and real captures.
FUZZ        := decode reasm http dns identity decomp h2 tls keylog tlsdec h3 quic
FUZZ_SECONDS ?= 60
FUZZ_FLAGS  := -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FOBJ        := $(SRC:src/%.c=build/fuzz/obj/%.o)
fuzz: fuzz-deps $(FUZZ:%=build/fuzz/fuzz_%) fuzz-corpus
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ)

fuzz-deps:
	@bash tests/deps.sh $(FUZZ_PKGS)

fuzz-corpus: build/san/test_h3
	@bash tests/fuzz/corpus.sh build/fuzz/corpus

build/fuzz/obj/%.o: src/%.c $(wildcard src/*.h) | build/fuzz/obj
	clang $(CFLAGS) $(FUZZ_FLAGS) -c -o $@ $<

build/fuzz/libfuzz.a: $(FOBJ)
	ar rcs $@ $^

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c build/fuzz/libfuzz.a
	clang $(CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -Isrc -o $@ $< build/fuzz/libfuzz.a $(LDLIBS)

build/bench build/limits build/fuzz/obj build/deb/obj:
	mkdir -p $@

deps:
	@bash tests/deps.sh $(DEBIAN_PKGS)

geoip:
	@bash geoip/fetch.sh geoip

# Regenerates the shipped sample (a Redmi-1S-like session) with the project's generator.
sample:
	/usr/bin/python3 tests/gen/sample.py tests/sample/redmi1s.pcap

demo: deps geoip phonehome
	./phonehome -r tests/sample/redmi1s.pcap --identity rules/identity-example.json --home IN

# The auditor's report of the sample, with report.pdf printed by headless Chromium (REPORT=DIR).
REPORT ?= build/report
report-pdf: phonehome
	./phonehome -r tests/sample/redmi1s.pcap --identity rules/identity-example.json --home IN -o $(REPORT) --pdf

# Debian package build/deb/phonehome_VERSION-1_ARCH.deb: a second build for /usr with
# Debian's hardening flags (build/deb/obj), stripped into the package by .ci/mkdeb.sh.
DEB_FLAGS = DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get
DOBJ      := $(SRC:src/%.c=build/deb/obj/%.o) build/deb/obj/main.o
build/deb/%: PREFIX = /usr
build/deb/%: GEOIPDIR = /var/lib/phonehome
build/deb/%: OPT = $(shell $(DEB_FLAGS) CPPFLAGS) $(shell $(DEB_FLAGS) CFLAGS)

build/deb/obj/%.o: src/%.c $(wildcard src/*.h) | build/deb/obj
	$(CC) $(CFLAGS) -c -o $@ $<

build/deb/phonehome: $(DOBJ)
	$(CC) $(CFLAGS) $(shell $(DEB_FLAGS) LDFLAGS) -o $@ $^ $(LDLIBS)

deb: build/deb/phonehome
	@bash .ci/mkdeb.sh build/deb/phonehome build/deb

# Installs the package (root, Debian 12), audits the sample from another directory, fetches
# the databases (PH_DEB_NO_FETCH=1 skips it), audits again, purges.
deb-test:
	@bash tests/deb/install-test.sh

install: phonehome
	install -D -m 755 phonehome $(DESTDIR)$(PREFIX)/bin/phonehome
	install -D -m 755 geoip/phonehome-geoip $(DESTDIR)$(PREFIX)/bin/phonehome-geoip
	install -D -m 644 phonehome.1 $(DESTDIR)$(PREFIX)/share/man/man1/phonehome.1
	install -D -m 644 geoip/phonehome-geoip.1 $(DESTDIR)$(PREFIX)/share/man/man1/phonehome-geoip.1
	install -d $(DESTDIR)$(PREFIX)/share/phonehome/rules $(DESTDIR)$(PREFIX)/share/phonehome/geoip
	install -m 644 rules/* $(DESTDIR)$(PREFIX)/share/phonehome/rules/
	install -m 755 geoip/fetch.sh $(DESTDIR)$(PREFIX)/share/phonehome/geoip/
	install -m 644 geoip/build-asn.pl $(DESTDIR)$(PREFIX)/share/phonehome/geoip/
	-install -m 644 geoip/*.mmdb $(DESTDIR)$(PREFIX)/share/phonehome/geoip/

clean:
	rm -rf build phonehome
