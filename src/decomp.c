/* decomp.c - HTTP content-coding decoders: gzip, deflate (zlib and raw), br, zstd (RFC 9110 8.4).
 * Each stage writes into one of two ping-pong buffers that grow up to the output cap. */
#include "decomp.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <brotli/decode.h>
#include <zstd.h>

#define ZSTD_WINDOW_LOG_MAX 24      /* refuse frames needing a window above 16 MiB */

enum { ST_DONE = 0, ST_MORE = 1, ST_CAPPED = 2, ST_ERR = -1 };

struct obuf {
	uint8_t *p;
	size_t len, cap;
};

struct decomp {
	size_t max_out;
	struct obuf ob[2];
	z_stream zs;
	int zinit;
	ZSTD_DCtx *zd;
};

/* Decoder state whose output buffers grow up to max_out bytes each. */
struct decomp *decomp_new(size_t max_out)
{
	struct decomp *d = util_xcalloc(1, sizeof(*d));

	d->max_out = max_out;
	return d;
}

/* Release the decoder and its buffers. */
void decomp_free(struct decomp *d)
{
	if (!d)
		return;
	if (d->zinit)
		inflateEnd(&d->zs);
	ZSTD_freeDCtx(d->zd);
	free(d->ob[0].p);
	free(d->ob[1].p);
	free(d);
}

/* The coding named by a token (case-insensitive, "x-gzip" = gzip). */
enum decomp_coding decomp_coding_parse(const char *tok, size_t len)
{
	static const struct { const char *name; enum decomp_coding c; } tab[] = {
		{ "gzip", DECOMP_GZIP }, { "x-gzip", DECOMP_GZIP }, { "deflate", DECOMP_DEFLATE },
		{ "br", DECOMP_BR }, { "zstd", DECOMP_ZSTD }, { "identity", DECOMP_IDENTITY },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strlen(tab[i].name) == len && strncasecmp(tab[i].name, tok, len) == 0)
			return tab[i].c;
	return DECOMP_UNKNOWN;
}

/* Canonical name of a coding. */
const char *decomp_coding_name(enum decomp_coding c)
{
	switch (c) {
	case DECOMP_IDENTITY: return "identity";
	case DECOMP_GZIP: return "gzip";
	case DECOMP_DEFLATE: return "deflate";
	case DECOMP_BR: return "br";
	case DECOMP_ZSTD: return "zstd";
	default: return "unknown";
	}
}

/* Make room after ob->len: 0 when there is some, -1 when the cap is reached. */
static int ob_room(struct obuf *ob, size_t max)
{
	size_t ncap;

	if (ob->len < ob->cap)
		return 0;
	if (ob->cap >= max)
		return -1;
	ncap = ob->cap ? ob->cap * 2 : 16384;
	if (ncap > max)
		ncap = max;
	ob->p = util_xrealloc(ob->p, ncap);
	ob->cap = ncap;
	return 0;
}

/* inflate with the given windowBits; gzip members may follow one another. */
static int dec_zlib(struct decomp *d, int wbits, const uint8_t *in, size_t inlen, struct obuf *ob)
{
	z_stream *z = &d->zs;
	int r;

	if (!d->zinit) {
		memset(z, 0, sizeof(*z));
		if (inflateInit2(z, wbits) != Z_OK)
			return ST_ERR;
		d->zinit = 1;
	} else if (inflateReset2(z, wbits) != Z_OK) {
		return ST_ERR;
	}
	z->next_in = (Bytef *)in;
	z->avail_in = (uInt)inlen;
	for (;;) {
		if (ob_room(ob, d->max_out) < 0)
			return ST_CAPPED;
		z->next_out = ob->p + ob->len;
		z->avail_out = (uInt)(ob->cap - ob->len);
		r = inflate(z, Z_NO_FLUSH);
		ob->len = ob->cap - z->avail_out;
		if (r == Z_STREAM_END) {
			/* concatenated gzip members decode as one body; other trailing bytes are ignored */
			if (wbits > 15 && z->avail_in >= 2 && z->next_in[0] == 0x1f && z->next_in[1] == 0x8b) {
				inflateReset(z);
				continue;
			}
			return ST_DONE;
		}
		if (r != Z_OK && r != Z_BUF_ERROR)
			return ST_ERR;
		if (z->avail_out != 0 && z->avail_in == 0)
			return ST_MORE;
	}
}

/* "deflate" is meant zlib-wrapped but is often sent raw: try the wrapper when the header says so. */
static int dec_deflate(struct decomp *d, const uint8_t *in, size_t inlen, struct obuf *ob)
{
	int wrapped = inlen >= 2 && (((in[0] & 0x0f) == 8 && ((in[0] << 8) | in[1]) % 31 == 0) ||
				     (in[0] == 0x1f && in[1] == 0x8b));
	int r;

	if (wrapped) {
		r = dec_zlib(d, 15 + 32, in, inlen, ob);
		if (r != ST_ERR || ob->len > 0)
			return r;
		ob->len = 0;
	}
	return dec_zlib(d, -15, in, inlen, ob);
}

/* Brotli (RFC 7932) through the streaming decoder. */
static int dec_br(struct decomp *d, const uint8_t *in, size_t inlen, struct obuf *ob)
{
	BrotliDecoderState *s = BrotliDecoderCreateInstance(NULL, NULL, NULL);
	size_t avail_in = inlen, avail_out;
	const uint8_t *next_in = in;
	uint8_t *next_out;
	BrotliDecoderResult r;
	int ret;

	if (!s)
		return ST_ERR;
	for (;;) {
		if (ob_room(ob, d->max_out) < 0) {
			ret = ST_CAPPED;
			break;
		}
		next_out = ob->p + ob->len;
		avail_out = ob->cap - ob->len;
		r = BrotliDecoderDecompressStream(s, &avail_in, &next_in, &avail_out, &next_out, NULL);
		ob->len = ob->cap - avail_out;
		if (r == BROTLI_DECODER_RESULT_SUCCESS) {
			ret = ST_DONE;
			break;
		}
		if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) {
			ret = ST_MORE;
			break;
		}
		if (r != BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
			ret = ST_ERR;
			break;
		}
	}
	BrotliDecoderDestroyInstance(s);
	return ret;
}

/* Zstandard (RFC 8878); several frames in a row decode as one body. */
static int dec_zstd(struct decomp *d, const uint8_t *in, size_t inlen, struct obuf *ob)
{
	ZSTD_inBuffer ib = { in, inlen, 0 };
	size_t r = 1;

	if (!d->zd) {
		d->zd = ZSTD_createDCtx();
		if (!d->zd)
			return ST_ERR;
	}
	ZSTD_DCtx_reset(d->zd, ZSTD_reset_session_and_parameters);
	ZSTD_DCtx_setParameter(d->zd, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX);
	for (;;) {
		ZSTD_outBuffer obf;

		if (ob_room(ob, d->max_out) < 0)
			return ST_CAPPED;
		obf.dst = ob->p;
		obf.size = ob->cap;
		obf.pos = ob->len;
		r = ZSTD_decompressStream(d->zd, &obf, &ib);
		ob->len = obf.pos;
		if (ZSTD_isError(r))
			return ST_ERR;
		if (ib.pos == ib.size && obf.pos < obf.size)
			return r == 0 ? ST_DONE : ST_MORE;
	}
}

/* One decoding stage into ob. */
static int dec_one(struct decomp *d, enum decomp_coding c, const uint8_t *in, size_t inlen,
		   struct obuf *ob)
{
	ob->len = 0;
	switch (c) {
	case DECOMP_GZIP: return dec_zlib(d, 15 + 32, in, inlen, ob);
	case DECOMP_DEFLATE: return dec_deflate(d, in, inlen, ob);
	case DECOMP_BR: return dec_br(d, in, inlen, ob);
	case DECOMP_ZSTD: return dec_zstd(d, in, inlen, ob);
	default: return ST_ERR;
	}
}

/* Decode in through cod[0..n) (outermost first); 0 decoded (maybe capped), -1 failed. */
int decomp_chain(struct decomp *d, const enum decomp_coding *cod, int n, const uint8_t *in,
		 size_t inlen, int cut, const uint8_t **out, size_t *outlen)
{
	const uint8_t *cur = in;
	size_t curlen = inlen;
	int failed = 0;

	for (int i = 0; i < n; i++) {
		struct obuf *ob = &d->ob[i & 1];
		int r = dec_one(d, cod[i], cur, curlen, ob);

		cur = ob->p;
		curlen = ob->len;
		/* an unfinished stream is fine when its input was cut short (caps, connection end) */
		if (r == ST_ERR || (r == ST_MORE && !cut)) {
			failed = 1;
			break;
		}
		if (r != ST_DONE)
			cut = 1;
	}
	*out = cur ? cur : in;
	*outlen = curlen;
	return failed ? -1 : 0;
}
