/* config.h - every cap and tunable of phonehome in one place.
 * Options that override a cap at run time say so in the comment. */
#ifndef PH_CONFIG_H
#define PH_CONFIG_H

#define PH_VERSION "0.1.0"

/* flow table */
#define PH_MAX_FLOWS 262144            /* live flows; --max-flows overrides */
#define PH_STATE_POOL 4096             /* per-flow state blocks a worker keeps for reuse (util_pool) */
#define PH_FLOW_IDLE_TCP_S 600         /* idle TCP flow expiry, seconds (Suricata: 600 established) */
#define PH_FLOW_IDLE_UDP_S 120         /* idle UDP flow expiry, seconds */
#define PH_FLOW_EXPIRE_EVERY_S 10      /* how often (capture time) to sweep idle flows */
#define PH_MAX_ACCEPT 4096             /* --accept entries, all files together */

/* TCP reassembly, per flow direction */
#define PH_REASM_MAX_OOO_BYTES 262144  /* out-of-order bytes queued per direction; --max-reassembly */
#define PH_REASM_MAX_OOO_SEGS 256      /* out-of-order segments queued */
#define PH_REASM_MEMCAP (256u << 20)   /* all queued out-of-order bytes, all flows */

/* classification */
#define PH_MAX_THREADS 8               /* workers by default at most (--threads); one per processor */
#define PH_SHARD_BATCH (256 << 10)     /* bytes of frames handed to a worker at once */
#define PH_HASH_LEAD (256 << 20)       /* bytes the custody hash may read ahead of libpcap */
#define PH_CAPZ_IN (256 << 10)         /* compressed capture: bytes read at once */
#define PH_CAPZ_WINDOW (1 << 20)       /* compressed capture: decompressed bytes at once */
#define PH_CAPZ_KEEP (64 << 10)        /* of which kept for stdio's seeks back over its buffer */
#define PH_CAPZ_ZSTD_WINDOW_LOG 27     /* zstd frames needing a window above 128 MiB are refused */
#define PH_NG_MAX_BLOCK (16u << 20)    /* pcapng of mixed link types: a larger block is damage (libpcap's cap) */
#define PH_NG_MAX_IFS 64               /* its interfaces kept; packets of later ones are counted, not read */
#define PH_MAX_INPUTS 100000          /* -r files: a week rotated every minute is 10,080 */
#define PH_MAX_INPUTS_TEXT "100000"
#define PH_TMP_NOTED 16                /* report files being written, removed on a second ^C */
#define PH_TMP_TREE_DEPTH 16           /* a noted directory (Chromium's profile) removed this deep */
#define PH_SHARD_QUEUE 8               /* batches queued per worker: 2 MiB each, bounded */
#define PH_NDPI_MAX_PACKETS 12         /* packets fed to nDPI before giving up (ndpiReader: 80 TCP, 24 UDP) */

/* HTTP extraction, per flow direction */
#define PH_HTTP_MAX_HEADER 16384       /* request line + headers */
#define PH_HTTP_MAX_BODY (1u << 20)    /* body bytes kept for scanning; rest counted */
#define PH_HTTP_MAX_DECODED (4u << 20) /* decompressed body bytes kept */
#define PH_HTTP_MAX_FIELD 256          /* host, method, uri copies kept per request */

/* HTTP/3 (RFC 9114), per QUIC connection */
#define PH_H3_MAX_FRAME 65536          /* HEADERS or SETTINGS frame buffered; a larger one stops its stream */
#define PH_H3_MAX_STREAMS 32           /* streams tracked; the oldest request stream is flushed beyond */
#define PH_H3_MAX_HELD 262144          /* bytes of a request stream held while its header block waits for the encoder stream */
#define PH_H3_QPACK_MAX_TABLE 65536    /* QPACK dynamic table accepted; the peer's SETTINGS sets it lower */
#define PH_H3_QPACK_MAX_BLOCKED 100    /* header blocks waiting for the encoder stream (RFC 9204 2.1.2) */
/* QUIC (quic.c) */
#define PH_QUIC_MAX_CRYPTO 16384       /* Initial CRYPTO bytes gathered for the ClientHello (Chrome's spans several packets) */
#define PH_QUIC_MAX_STREAMS 256        /* streams open at once per connection (done ones leave in order); beyond, counted, not scanned */
#define PH_QUIC_MAX_OOO_BYTES 262144   /* out-of-order stream bytes queued per connection */
#define PH_QUIC_MAX_CIDS 8             /* server connection IDs remembered per connection */
#define PH_QUIC_SERVER_UNI 4           /* the server's first unidirectional streams read for its control stream */
#define PH_QUIC_MAX_SERVER_CTRL 1024   /* bytes read at their start: SETTINGS is the control stream's first frame */
#define PH_QUIC_CID_MAP 16384          /* connection-ID slots per worker (half used at most): moved connections found by CID */

/* DNS */
#define PH_DNS_CACHE_SIZE 65536        /* address -> name entries */
#define PH_DNS_MAX_NAME 256            /* longest name kept (RFC 1035: 255) */
#define PH_DNS_MAX_ANSWERS 64          /* answers read per response */

/* leak matching */
#define PH_MATCH_MAX_PATTERN 256       /* longest pattern; the stream tail keeps this */
#define PH_EVIDENCE_CONTEXT 40         /* bytes of context each side of a leak */
#define PH_MAX_LEAKS_PER_FLOW 256      /* distinct leaks kept per flow */
#define PH_UPLOAD_MIN_VALUES 3         /* phone numbers / e-mails in one unit that make it an upload (contacts) */
#define PH_MAX_LEAKS (1u << 20)        /* leaks kept in the report */
#define PH_LEAKS_OFFLOAD 4096          /* new leaks between two moves of ended flows' leaks to disk */
#define PH_MATCH_MAX_HITS 65536        /* raw matcher hits kept per scan; the scan stops beyond */
#define PH_IDENTITY_MAX_BYTES (16u << 20) /* largest identity file read */

/* devices on the LAN (source MACs, DHCP, DHCPv6, ARP, NDP) */
#define PH_MAX_DEVICES 1024            /* MACs remembered: devices, gateways, bystanders */
#define PH_MAX_DEVICE_ADDRS 16384      /* addresses tied to a device (IPv6 temporary ones pile up) */
#define PH_DEVICE_ADDRS_LISTED 64      /* addresses listed per device in the report; the rest counted */
#define PH_GATEWAY_PREFIXES 3          /* a MAC sending from this many public /64s (IPv4: addresses) is a gateway */
#define PH_LAN_PREFIXES 16             /* global IPv6 /64s on the LAN (RA prefixes, devices' DAD and DHCPv6) */
#define PH_MAX_UNSCANNED_ADDRS 1024    /* distinct global addresses counted in the not-scanned warning */

/* the file name PCAPdroid proposes when it exports its TLS key log (MainActivity.startExportSslkeylogfile) */
#define PH_PCAPDROID_KEYLOG "sslkeylogfile.txt"

/* geolocation */
#define PH_GEO_CACHE_SIZE 65536        /* address -> geo entries */
#define PH_GEO_REC_CACHE 2048          /* a database's records read (per worker and database; a power of 2) */

/* ended flows in temporary files (report_spill.c) */
#define PH_SPILL_HINTS 256             /* packages named by spilled flows' hints, kept apart (more: one more pass) */

/* memory */
#define PH_MALLOC_MMAP_THRESHOLD (128 << 10)  /* glibc: blocks from here up are mmap'd, fixed (main.c) */

#endif
