# phonehome - privacy traffic auditor.  `make`, `make check`, `make demo`.
PREFIX   ?= /usr/local
CC       ?= cc
PKGS     := libpcap libndpi libmaxminddb jansson libhs zlib libcrypto libbrotlidec libzstd
OPT      ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra $(OPT) -D_GNU_SOURCE \
            -DPH_DATADIR='"$(PREFIX)/share/phonehome"' $(shell pkg-config --cflags $(PKGS))
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
  libmaxmind-db-writer-perl libbrotli-dev libzstd-dev npm tcpdump iproute2

.PHONY: all check unit e2e sweep crosscheck deps geoip demo clean install sample
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
check: unit e2e sweep crosscheck

unit: $(UBIN) build/test/test-city.mmdb
	@bash tests/run-unit.sh $(UBIN)

build/test/test-city.mmdb: tests/gen/mkmmdb.pl
	perl tests/gen/mkmmdb.pl build/test

e2e: build/san/phonehome
	@PHONEHOME=build/san/phonehome bash tests/e2e/run.sh

sweep: build/san/phonehome
	@PHONEHOME=build/san/phonehome bash tests/sweep.sh

# App protocols agree with Debian's ndpiReader 4.2 on a handful of real captures.
CROSSCHECK := xiaomi.pcap http.pcapng 443-chrome.pcap dns_doh.pcap whatsapp_login_call.pcap \
  wechat.pcap quic.pcap netflix.pcap facebook.pcap
crosscheck: build/san/phonehome
	@/usr/bin/python3 tests/ndpi_crosscheck.py build/san/phonehome $(CROSSCHECK:%=../shared/pcaps/ndpi/%)

deps:
	@bash tests/deps.sh $(DEBIAN_PKGS)

geoip:
	@bash geoip/fetch.sh geoip

# Regenerates the shipped sample (a Redmi-1S-like session) with the project's generator.
sample:
	/usr/bin/python3 tests/gen/sample.py tests/sample/redmi1s.pcap

demo: deps geoip phonehome
	./phonehome -r tests/sample/redmi1s.pcap --identity rules/identity-example.json --home IN

install: phonehome
	install -D -m 755 phonehome $(DESTDIR)$(PREFIX)/bin/phonehome
	install -D -m 644 phonehome.1 $(DESTDIR)$(PREFIX)/share/man/man1/phonehome.1
	install -d $(DESTDIR)$(PREFIX)/share/phonehome/rules $(DESTDIR)$(PREFIX)/share/phonehome/geoip
	install -m 644 rules/* $(DESTDIR)$(PREFIX)/share/phonehome/rules/
	-install -m 644 geoip/*.mmdb $(DESTDIR)$(PREFIX)/share/phonehome/geoip/

clean:
	rm -rf build phonehome
