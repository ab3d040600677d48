/* test_quic.c - unit tests of the QUIC reader and its packet protection against RFC 9001
 * Appendix A (v1 client Initial: secrets, keys, header protection, the whole protected packet;
 * A.5 ChaCha20 short header) and RFC 9369 Appendix A (v2 client Initial), RFC 9000 A.1 varints;
 * CRYPTO and STREAM reassembly on packets sealed here. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include "keylog.h"
#include "quic.h"
#include "report.h"
#include "quic_decrypt.h"
#include "tls_decrypt.h"

/* Hex (spaces ignored) into out; the byte count. */
static size_t hex(const char *s, uint8_t *out)
{
	size_t n = 0;
	while (*s) {
		if (*s == ' ' || *s == '\n') {
			s++;
			continue;
		}
		unsigned v;
		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static void expect_hex(const uint8_t *got, size_t n, const char *want)
{
	uint8_t w[2048];
	size_t wn = hex(want, w);
	assert_int_equal(n, wn);
	assert_memory_equal(got, w, n);
}

static const char *DCID = "8394c8f03e515708";

/* RFC 9001 A.2: the client's Initial, 1200 bytes. */
static const char *V1_PACKET =
	"c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
	"d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
	"1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
	"8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
	"30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
	"457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
	"4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
	"4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
	"485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
	"059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
	"7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
	"9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
	"be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
	"68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
	"c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
	"f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
	"291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
	"25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
	"14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
	"ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
	"e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
	"c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
	"203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
	"cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
	"fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
	"a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
	"90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
	"162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
	"40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
	"6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
	"8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
	"be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
	"54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
	"760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
	"f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
	"056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
	"7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
	"e221af44860018ab0856972e194cd934";

/* RFC 9369 A.2: the same Initial in QUIC v2. */
static const char *V2_PACKET =
	"d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485"
	"dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04"
	"9f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d"
	"250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a"
	"12834e3f249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500"
	"cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd68"
	"18f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff33"
	"12ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3"
	"d396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd"
	"6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520"
	"bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045"
	"636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1f"
	"ac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c12"
	"16ccce2d0193f958bb3850a833f7ae432b65bc5a53975c155aa4bcb4f7b2c4e5"
	"4df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4"
	"fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b"
	"8017c25ca9052ca1079d8b78aebd47876d330a30f6a8c6d61dd1ab5589329de7"
	"14d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff9"
	"9c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91"
	"abfe43960977c87471cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd"
	"80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db"
	"848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18"
	"d703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15"
	"c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc"
	"7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61"
	"f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e70710"
	"10d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b"
	"3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e"
	"06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7ca7331dce"
	"8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d1"
	"34b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1"
	"e86215c2d54e6670e07383a27bbffb5addf47d66aa85a0c6f9f32e59d85a44dd"
	"5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e3"
	"8d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89"
	"d5974ee12e5cf7d5da4d6a31123041f33e61407e76cffcdcfd7e19ba58cf4b53"
	"6f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19"
	"9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96b"
	"a18b2faa745b6fe189cf772a9f84cbfc";

/* RFC 9001 A.2 / RFC 9369 A.2: the first bytes of the unprotected payload (a CRYPTO frame
 * with the ClientHello). */
static const char *CRYPTO_HEAD = "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868";

/* RFC 9001 A.1: Initial secrets and the client's keys. */
static void test_v1_keys(void **state)
{
	(void)state;
	uint8_t dcid[8], cs[32], ss[32];
	hex(DCID, dcid);
	assert_int_equal(quicd_initial_secrets(QUIC_V1, dcid, 8, cs, ss), 0);
	expect_hex(cs, 32, "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea");
	expect_hex(ss, 32, "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b");
	struct quicd_keys k = { 0 };
	assert_int_equal(quicd_keys_set(&k, NULL, QUIC_V1, cs, 32), 0);
	expect_hex(k.key, 16, "1f369613dd76d5467730efcbe3b1a22d");
	expect_hex(k.iv, 12, "fa044b2f42a3fd3b46fb255c");
	expect_hex(k.hpkey, 16, "9f50449e04a0e810283a1e9933adedd2");
	uint8_t sample[16], mask[5];
	hex("d1b1c98dd7689fb8ec11d242b123dc9b", sample);
	assert_int_equal(quicd_hp_mask(&k, sample, mask), 0);
	expect_hex(mask, 5, "437b9aec36");  /* RFC 9001 A.2 */
	assert_int_equal(quicd_keys_set(&k, NULL, QUIC_V1, ss, 32), 0);
	expect_hex(k.key, 16, "cf3a5331653c364c88f0f379b6067e37");
	expect_hex(k.iv, 12, "0ac1493ca1905853b0bba03e");
	expect_hex(k.hpkey, 16, "c206b8d9b9f0f37644430b490eeaa314");
	quicd_keys_free(&k);
}

/* RFC 9369 A.1: v2's salt and "quicv2" labels. */
static void test_v2_keys(void **state)
{
	(void)state;
	uint8_t dcid[8], cs[32], ss[32];
	hex(DCID, dcid);
	assert_int_equal(quicd_initial_secrets(QUIC_V2, dcid, 8, cs, ss), 0);
	expect_hex(cs, 32, "14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b");
	expect_hex(ss, 32, "0263db1782731bf4588e7e4d93b7463907cb8cd8200b5da55a8bd488eafc37c1");
	struct quicd_keys k = { 0 };
	assert_int_equal(quicd_keys_set(&k, NULL, QUIC_V2, cs, 32), 0);
	expect_hex(k.key, 16, "8b1a0bc121284290a29e0971b5cd045d");
	expect_hex(k.iv, 12, "91f73e2351d8fa91660e909f");
	expect_hex(k.hpkey, 16, "45b95e15235d6f45a6b19cbcb0294ba9");
	uint8_t sample[16], mask[5];
	hex("ffe67b6abcdb4298b485dd04de806071", sample);
	assert_int_equal(quicd_hp_mask(&k, sample, mask), 0);
	expect_hex(mask, 5, "94a0c95e80");
	assert_int_equal(quicd_keys_set(&k, NULL, QUIC_V2, ss, 32), 0);
	expect_hex(k.key, 16, "82db637861d55e1d011f19ea71d5d2a7");
	expect_hex(k.iv, 12, "dd13c276499c0249d3310652");
	expect_hex(k.hpkey, 16, "edf6d05c83121201b436e16877593c3a");
	quicd_keys_free(&k);
}

/* Opens a protected long-header Initial by hand: header, packet number, payload head. */
static void open_by_hand(uint32_t version, const char *packet, const char *header)
{
	static uint8_t pkt[1200], out[1200];
	uint8_t dcid[8], cs[32], ss[32], mask[5];
	hex(DCID, dcid);
	assert_int_equal(hex(packet, pkt), 1200);
	struct quic_long h;
	assert_int_equal(quic_parse_long(pkt, 1200, &h), 0);
	assert_int_equal(h.version, version);
	assert_int_equal(h.type, QUIC_INITIAL);
	assert_int_equal(h.pn_off, 18);
	assert_int_equal(h.end, 1200);
	assert_int_equal(quicd_initial_secrets(version, dcid, 8, cs, ss), 0);
	struct quicd_keys k = { 0 };
	assert_int_equal(quicd_keys_set(&k, NULL, version, cs, 32), 0);
	assert_int_equal(quicd_hp_mask(&k, pkt + 18 + 4, mask), 0);
	pkt[0] ^= mask[0] & 0x0f;
	unsigned pnl = (pkt[0] & 3) + 1;
	for (unsigned i = 0; i < pnl; i++)
		pkt[18 + i] ^= mask[1 + i];
	expect_hex(pkt, 18 + pnl, header);
	size_t hl = 18 + pnl;
	assert_int_equal(quicd_open(&k, 2, pkt, hl, pkt + hl, 1200 - hl, out), 0);
	expect_hex(out, 32, CRYPTO_HEAD);
	out[0] ^= 1;
	pkt[hl] ^= 1;  /* a flipped bit fails the tag */
	assert_int_equal(quicd_open(&k, 2, pkt, hl, pkt + hl, 1200 - hl, out), -1);
	quicd_keys_free(&k);
}

static void test_v1_packet_by_hand(void **state)
{
	(void)state;
	open_by_hand(QUIC_V1, V1_PACKET, "c300000001088394c8f03e5157080000449e00000002");
}

static void test_v2_packet_by_hand(void **state)
{
	(void)state;
	open_by_hand(QUIC_V2, V2_PACKET, "d36b3343cf088394c8f03e5157080000449e00000002");
}

struct seen {
	size_t hello_len;
	uint8_t hello[512];
	size_t units;
};

static void on_hello(void *arg, const uint8_t *p, size_t len)
{
	struct seen *s = arg;
	s->hello_len = len;
	memcpy(s->hello, p, len < sizeof s->hello ? len : sizeof s->hello);
}

static void on_unit(void *arg, const struct http_unit *u)
{
	(void)u;
	((struct seen *)arg)->units++;
}

/* The whole packet through the connection reader: ClientHello, SNI, ALPN, version. */
static void conn_reads(uint32_t version, const char *packet)
{
	static uint8_t pkt[1200];
	hex(packet, pkt);
	assert_int_equal(quic_is_initial(pkt, 1200), 1);
	struct quic_conn *q = quic_conn_new(NULL, NULL);
	struct quic_sink sk = { on_hello, on_unit, NULL };
	struct seen s = { 0 };
	quic_conn_client(q, pkt, 1200, &sk, &s);
	assert_int_equal(s.hello_len, 241);
	expect_hex(s.hello, 8, "010000ed0303ebf8");
	assert_string_equal(quic_conn_sni(q), "example.com");
	assert_string_equal(quic_conn_alpn(q), "alpn");
	assert_int_equal(quic_conn_version(q), version);
	assert_int_equal(quic_conn_keys(q), 0);  /* no key log: nothing said about keys */
	assert_int_equal(s.units, 0);
	quic_conn_free(q);
}

static void test_v1_conn(void **state)
{
	(void)state;
	conn_reads(QUIC_V1, V1_PACKET);
}

static void test_v2_conn(void **state)
{
	(void)state;
	conn_reads(QUIC_V2, V2_PACKET);
}

/* Every truncation of the packet: no crash, no ClientHello from a packet cut short. */
static void test_truncated(void **state)
{
	(void)state;
	static uint8_t pkt[1200];
	hex(V1_PACKET, pkt);
	struct quic_sink sk = { on_hello, on_unit, NULL };
	for (size_t n = 0; n < 1200; n += 7) {
		struct quic_conn *q = quic_conn_new(NULL, NULL);
		struct seen s = { 0 };
		quic_conn_client(q, pkt, n, &sk, &s);
		assert_int_equal(s.hello_len, 0);
		quic_conn_free(q);
	}
}

/* RFC 9001 A.5: ChaCha20-Poly1305 short header (header protection by ChaCha20). */
static void test_chacha20_short(void **state)
{
	(void)state;
	uint8_t secret[32], pkt[64], out[64], mask[5];
	hex("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b", secret);
	struct quicd_keys k = { 0 };
	assert_int_equal(quicd_keys_set(&k, tlsd_suite_find(0x1303), QUIC_V1, secret, 32), 0);
	expect_hex(k.key, 32, "c6d98ff3441c3fe1b2182094f69caa2ed4b716b65488960a7a984979fb23e1c8");
	expect_hex(k.iv, 12, "e0459b3474bdd0e44a41c144");
	expect_hex(k.hpkey, 32, "25a282b9e82f06f21f488917a4fc8f1b73573685608597d0efcb076b0ab7a7a4");
	size_t n = hex("4cfe4189655e5cd55c41f69080575d7999c25a5bfb", pkt);
	assert_int_equal(quicd_hp_mask(&k, pkt + 1 + 4, mask), 0);
	expect_hex(mask, 5, "aefefe7d03");
	pkt[0] ^= mask[0] & 0x1f;
	unsigned pnl = (pkt[0] & 3) + 1;
	for (unsigned i = 0; i < pnl; i++)
		pkt[1 + i] ^= mask[1 + i];
	expect_hex(pkt, 1 + pnl, "4200bff4");
	assert_int_equal(quicd_open(&k, 654360564, pkt, 1 + pnl, pkt + 1 + pnl, n - 1 - pnl, out), 0);
	expect_hex(out, n - 1 - pnl - 16, "01");
	/* a key update ("quic ku") gives other keys, the same header protection */
	struct quicd_keys next = { 0 };
	assert_int_equal(quicd_keys_next(&k, &next), 0);
	assert_memory_equal(next.hpkey, k.hpkey, 32);
	assert_memory_not_equal(next.key, k.key, 32);
	assert_int_equal(quicd_open(&next, 654360564, pkt, 1 + pnl, pkt + 1 + pnl, n - 1 - pnl, out), -1);
	quicd_keys_free(&next);
	quicd_keys_free(&k);
}

/* RFC 9000 A.1: variable-length integers. */
static void test_varint(void **state)
{
	(void)state;
	uint8_t b[8];
	uint64_t v;
	size_t pos = 0, n = hex("c2197c5eff14e88c", b);
	assert_int_equal(quic_varint(b, n, &pos, &v), 0);
	assert_true(v == 151288809941952652ull && pos == 8);
	pos = 0;
	n = hex("9d7f3e7d", b);
	assert_int_equal(quic_varint(b, n, &pos, &v), 0);
	assert_int_equal(v, 494878333);
	pos = 0;
	n = hex("7bbd", b);
	assert_int_equal(quic_varint(b, n, &pos, &v), 0);
	assert_int_equal(v, 15293);
	pos = 0;
	assert_int_equal(quic_varint(b, 1, &pos, &v), -1);  /* truncated */
}


/* ---- sealing, as a sender would: for reassembly tests ---- */

static const uint8_t T_DCID[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t T_SCID[4] = { 0xaa, 0xbb, 0xcc, 0xdd };

static size_t protect(struct quicd_keys *k, uint64_t pn, uint8_t *pkt, size_t pn_off, const uint8_t *pt, size_t n)
{
	uint8_t nonce[12], mask[5];
	int l;
	size_t hl = pn_off + 4;
	for (int i = 0; i < 4; i++)
		pkt[pn_off + i] = (uint8_t)(pn >> (24 - 8 * i));
	memcpy(nonce, k->iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] ^= (uint8_t)(pn >> (56 - 8 * i));
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, k->cs->cipher, NULL);
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	assert_true(EVP_EncryptInit_ex2(x, c, k->key, nonce, NULL) > 0 && EVP_EncryptUpdate(x, NULL, &l, pkt, (int)hl) > 0 &&
		    EVP_EncryptUpdate(x, pkt + hl, &l, pt, (int)n) > 0 && EVP_EncryptFinal_ex(x, pkt + hl + n, &l) > 0 &&
		    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, pkt + hl + n) > 0);
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_free(c);
	assert_int_equal(quicd_hp_mask(k, pkt + pn_off + 4, mask), 0);
	pkt[0] ^= mask[0] & (pkt[0] & 0x80 ? 0x0f : 0x1f);
	for (int i = 0; i < 4; i++)
		pkt[pn_off + i] ^= mask[1 + i];
	return hl + n + 16;
}

/* A v1 Initial from the client (server 0) or the server, carrying frames pt[0,n) padded to 64. */
static size_t initial(struct quicd_keys *k, int server, uint64_t pn, const uint8_t *pt, size_t n, uint8_t *pkt)
{
	uint8_t buf[1200] = { 0 };
	memcpy(buf, pt, n);
	n = n < 64 ? 64 : n;
	size_t pos = 0;
	pkt[pos++] = 0xc3;
	pkt[pos++] = 0, pkt[pos++] = 0, pkt[pos++] = 0, pkt[pos++] = 1;
	pkt[pos++] = 8;
	memcpy(pkt + pos, T_DCID, 8), pos += 8;
	pkt[pos++] = server ? 4 : 0;
	if (server)
		memcpy(pkt + pos, T_SCID, 4), pos += 4;
	pkt[pos++] = 0;
	pkt[pos++] = (uint8_t)(0x40 | (4 + n + 16) >> 8);
	pkt[pos++] = (uint8_t)(4 + n + 16);
	return protect(k, pn, pkt, pos, buf, n);
}

/* A 1-RTT packet of the client to the server's CID, carrying pt[0,n) (padded to 24). */
static size_t short_pkt(struct quicd_keys *k, uint64_t pn, const uint8_t *pt, size_t n, uint8_t *pkt)
{
	uint8_t buf[256] = { 0 };
	memcpy(buf, pt, n);
	pkt[0] = 0x43;
	memcpy(pkt + 1, T_SCID, 4);
	return protect(k, pn, pkt, 5, buf, n < 24 ? 24 : n);
}

struct got {
	uint8_t bytes[256];
	size_t n, hellos;
};

static void got_hello(void *arg, const uint8_t *p, size_t len)
{
	(void)p, (void)len;
	((struct got *)arg)->hellos++;
}

static void got_unit(void *arg, const struct http_unit *u)
{
	struct got *g = arg;
	assert_string_equal(u->encoding, "quic");
	if (u->where == HTTP_WHERE_PAYLOAD && g->n + u->len <= sizeof g->bytes)
		memcpy(g->bytes + g->n, u->p, u->len), g->n += u->len;
}

/* A ClientHello over three Initials sent out of order; then 1-RTT STREAM frames out of order,
 * overlapping and retransmitted: each byte is handed on once, in order. */
static void test_reassembly(void **state)
{
	(void)state;
	uint8_t ch[128], pt[256], pkt[1400], cs[32], ss[32], random[32], app[32];
	size_t n = 0;
	for (int i = 0; i < 32; i++)
		random[i] = (uint8_t)(0x30 + i), app[i] = (uint8_t)(0x99 ^ i);
	static const uint8_t head[] = { 0x01, 0x00, 0x00, 0x00, 0x03, 0x03 };
	memcpy(ch, head, 6), n = 6;
	memcpy(ch + n, random, 32), n += 32;
	static const uint8_t mid[] = { 0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00, 0x00, 0x20,
				       0x00, 0x00, 0x00, 0x12, 0x00, 0x10, 0x00, 0x00, 0x0d };
	memcpy(ch + n, mid, sizeof mid), n += sizeof mid;
	memcpy(ch + n, "split.example", 13), n += 13;
	/* ALPN "doq": not HTTP/3, so the streams are handed on as they are (h3.c has its own tests) */
	static const uint8_t alpn[] = { 0x00, 0x10, 0x00, 0x06, 0x00, 0x04, 0x03, 'd', 'o', 'q' };
	memcpy(ch + n, alpn, sizeof alpn), n += sizeof alpn;
	ch[3] = (uint8_t)(n - 4);
	char line[200];
	int l = sprintf(line, "QUIC_CLIENT_TRAFFIC_SECRET_0 ");
	for (int i = 0; i < 32; i++)
		l += sprintf(line + l, "%02x", random[i]);
	line[l++] = ' ';
	for (int i = 0; i < 32; i++)
		l += sprintf(line + l, "%02x", app[i]);
	line[l++] = '\n';
	struct keylog *kl = keylog_new();
	assert_int_equal(keylog_add_text(kl, line, (size_t)l), 0);
	struct quicd_keys ci = { 0 }, si = { 0 }, ak = { 0 };
	assert_int_equal(quicd_initial_secrets(QUIC_V1, T_DCID, 8, cs, ss), 0);
	quicd_keys_set(&ci, NULL, QUIC_V1, cs, 32);
	quicd_keys_set(&si, NULL, QUIC_V1, ss, 32);
	assert_int_equal(quicd_keys_set(&ak, NULL, QUIC_V1, app, 32), 0);
	struct quic_conn *q = quic_conn_new(kl, NULL);
	struct quic_sink sk = { got_hello, got_unit, NULL };
	struct got g = { 0 };
	size_t cut[4] = { 0, 20, 45, n }, order[3] = { 2, 0, 1 };
	for (int i = 0; i < 3; i++) {
		size_t a = cut[order[i]], b = cut[order[i] + 1];
		pt[0] = 0x06, pt[1] = (uint8_t)a, pt[2] = (uint8_t)(b - a);
		memcpy(pt + 3, ch + a, b - a);
		size_t pl = initial(&ci, 0, (uint64_t)i, pt, 3 + b - a, pkt);
		quic_conn_client(q, pkt, pl, &sk, &g);
		assert_int_equal(g.hellos, i == 2);
	}
	assert_string_equal(quic_conn_sni(q), "split.example");
	pt[0] = 0x01;  /* PING: the server's Initial names its connection ID */
	size_t pl = initial(&si, 1, 0, pt, 1, pkt);
	quic_conn_server(q, pkt, pl);
	static const struct { uint8_t off; const char *s; } fr[] = { { 6, "abcdef" }, { 0, "012345" }, { 0, "012345abcdef" },
								     { 12, "XYZ" }, { 10, "efXY" } };
	for (size_t i = 0; i < sizeof fr / sizeof fr[0]; i++) {
		size_t sl = strlen(fr[i].s);
		pt[0] = 0x0e, pt[1] = 0x00, pt[2] = fr[i].off, pt[3] = (uint8_t)sl;  /* STREAM 0, OFF, LEN */
		memcpy(pt + 4, fr[i].s, sl);
		pl = short_pkt(&ak, i, pt, 4 + sl, pkt);
		quic_conn_client(q, pkt, pl, &sk, &g);
	}
	assert_int_equal(g.n, 15);
	assert_memory_equal(g.bytes, "012345abcdefXYZ", 15);
	assert_int_equal(quic_conn_keys(q), TLS_KEYS_DECRYPTED);
	pkt[pl - 1] ^= 1;  /* a damaged packet: failed, not handed on */
	quic_conn_client(q, pkt, pl, &sk, &g);
	assert_int_equal(g.n, 15);
	struct report_stats st = { 0 };
	quic_conn_account(q, &st);
	assert_int_equal(st.quic_packets_failed, 1);
	assert_int_equal(st.tls_decrypted_flows, 1);
	quic_conn_free(q);
	keylog_free(kl);
	quicd_keys_free(&ci);
	quicd_keys_free(&si);
	quicd_keys_free(&ak);
}

/* 0-RTT (RFC 9001 5.1): a resumed client's early STREAM data, opened with its
 * CLIENT_EARLY_TRAFFIC_SECRET before any ServerHello: AES-128-GCM, and ChaCha20-Poly1305 (the
 * same secret length, tried when the first guess fails to authenticate). */
static void test_zero_rtt(void **state)
{
	(void)state;
	static const uint16_t suites[] = { 0x1301, 0x1303 };
	for (int c = 0; c < 2; c++) {
		uint8_t ch[128], pt[256], pkt[1400], cs[32], ss[32], random[32], early[32];
		size_t n = 0;
		for (int i = 0; i < 32; i++)
			random[i] = (uint8_t)(0x50 + i + c), early[i] = (uint8_t)(0x3c ^ i);
		static const uint8_t head[] = { 0x01, 0x00, 0x00, 0x00, 0x03, 0x03 };
		memcpy(ch, head, 6), n = 6;
		memcpy(ch + n, random, 32), n += 32;
		static const uint8_t tail[] = { 0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00, 0x00, 0x0a,
						0x00, 0x10, 0x00, 0x06, 0x00, 0x04, 0x03, 'd', 'o', 'q' };  /* ALPN doq: raw */
		memcpy(ch + n, tail, sizeof tail), n += sizeof tail;
		ch[3] = (uint8_t)(n - 4);
		char line[200];
		int l = sprintf(line, "CLIENT_EARLY_TRAFFIC_SECRET ");
		for (int i = 0; i < 32; i++)
			l += sprintf(line + l, "%02x", random[i]);
		line[l++] = ' ';
		for (int i = 0; i < 32; i++)
			l += sprintf(line + l, "%02x", early[i]);
		line[l++] = '\n';
		struct keylog *kl = keylog_new();
		assert_int_equal(keylog_add_text(kl, line, (size_t)l), 0);
		struct quicd_keys ci = { 0 }, ek = { 0 };
		assert_int_equal(quicd_initial_secrets(QUIC_V1, T_DCID, 8, cs, ss), 0);
		quicd_keys_set(&ci, NULL, QUIC_V1, cs, 32);
		assert_int_equal(quicd_keys_set(&ek, tlsd_suite_find(suites[c]), QUIC_V1, early, 32), 0);
		struct quic_conn *q = quic_conn_new(kl, NULL);
		struct quic_sink sk = { got_hello, got_unit, NULL };
		struct got g = { 0 };
		pt[0] = 0x06, pt[1] = 0, pt[2] = (uint8_t)n;
		memcpy(pt + 3, ch, n);
		size_t pl = initial(&ci, 0, 0, pt, 3 + n, pkt);
		quic_conn_client(q, pkt, pl, &sk, &g);
		assert_int_equal(g.hellos, 1);
		static const char data[] = "GET /a?imei=356938035643809";
		size_t dl = sizeof data - 1;
		pt[0] = 0x0f, pt[1] = 0x00, pt[2] = 0x00, pt[3] = (uint8_t)dl;  /* STREAM 0, OFF, LEN, FIN */
		memcpy(pt + 4, data, dl);
		size_t pos = 0, body = 4 + dl < 24 ? 24 : 4 + dl;
		memset(pt + 4 + dl, 0, body - 4 - dl);
		pkt[pos++] = 0xd3;  /* long header, 0-RTT (v1 type 1), 4-byte packet number */
		pkt[pos++] = 0, pkt[pos++] = 0, pkt[pos++] = 0, pkt[pos++] = 1;
		pkt[pos++] = 8;
		memcpy(pkt + pos, T_DCID, 8), pos += 8;
		pkt[pos++] = 0;
		pkt[pos++] = (uint8_t)(0x40 | (4 + body + 16) >> 8);
		pkt[pos++] = (uint8_t)(4 + body + 16);
		pl = protect(&ek, 1, pkt, pos, pt, body);
		quic_conn_client(q, pkt, pl, &sk, &g);
		assert_int_equal(g.n, dl);
		assert_memory_equal(g.bytes, data, dl);
		assert_int_equal(quic_conn_keys(q), TLS_KEYS_DECRYPTED);
		struct report_stats st = { 0 };
		quic_conn_account(q, &st);
		assert_int_equal(st.quic_packets_failed, 0);
		assert_int_equal(st.quic_packets_decrypted, 2);
		quic_conn_free(q);
		keylog_free(kl);
		quicd_keys_free(&ci);
		quicd_keys_free(&ek);
	}
}

/* The CID map: short headers found by their DCID at every length in use; deletions (which
 * move later slots of a probe run back) lose no other CID; another connection's CID is not taken. */
static void test_cid_map(void **state)
{
	(void)state;
	struct quic_cids *m = quic_cids_new();
	static uint8_t cid[3000][QUIC_MAX_CID];
	static int owner[3000];
	uint8_t pkt[64];
	int dir;
	uint32_t x = 12345;
	assert_null(quic_cids_find(m, pkt, sizeof pkt, &dir));
	for (int i = 0; i < 3000; i++) {
		for (int j = 0; j < QUIC_MAX_CID; j++)
			x = x * 1103515245u + 12345u, cid[i][j] = (uint8_t)(x >> 16);
		cid[i][0] = (uint8_t)i, cid[i][1] = (uint8_t)(i >> 8);  /* distinct */
		assert_int_equal(quic_cids_add(m, cid[i], 4 + i % 3 * 4, i & 1, &owner[i]), 0);
	}
	assert_int_equal(quic_cids_add(m, cid[7], 8, 0, &owner[8]), -1);  /* cid 7 is 8 bytes and owner 7's */
	assert_int_equal(quic_cids_add(m, cid[7], 0, 0, &owner[7]), -1);  /* zero-length */
	for (int i = 0; i < 3000; i += 2)
		quic_cids_del(m, cid[i], 4 + i % 3 * 4, &owner[i]);
	quic_cids_del(m, cid[1], 4 + 1 % 3 * 4, &owner[3]);  /* not its owner: kept */
	for (int i = 0; i < 3000; i++) {
		pkt[0] = 0x41;
		memcpy(pkt + 1, cid[i], QUIC_MAX_CID);
		void *o = quic_cids_find(m, pkt, sizeof pkt, &dir);
		if (i & 1) {
			assert_ptr_equal(o, &owner[i]);
			assert_int_equal(dir, 1);
		} else {
			assert_true(o == NULL || o != &owner[i]);  /* gone (a shorter live CID may prefix it) */
		}
	}
	pkt[0] = 0x01;  /* greased fixed bit (RFC 9287): still a short header */
	memcpy(pkt + 1, cid[1], QUIC_MAX_CID);
	assert_ptr_equal(quic_cids_find(m, pkt, sizeof pkt, &dir), &owner[1]);
	pkt[0] = 0xc1;  /* a long header */
	assert_null(quic_cids_find(m, pkt, sizeof pkt, &dir));
	quic_cids_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_keys),
		cmocka_unit_test(test_v2_keys),
		cmocka_unit_test(test_v1_packet_by_hand),
		cmocka_unit_test(test_v2_packet_by_hand),
		cmocka_unit_test(test_v1_conn),
		cmocka_unit_test(test_v2_conn),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_chacha20_short),
		cmocka_unit_test(test_varint),
		cmocka_unit_test(test_reassembly),
		cmocka_unit_test(test_cid_map),
		cmocka_unit_test(test_zero_rtt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
