// SPDX-License-Identifier: MIT
/*
 * The .ebm reader against damaged files: truncation at every section
 * boundary, CRC damage, wrong versions, inconsistent dims, and random byte
 * flips with the CRCs fixed up so the content checks see them (run this
 * suite under make check-asan to catch any out-of-bounds read).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/af8.h"
#include "core/ebm.h"
#include "core/le.h"
#include "edgebert/model.h"

static uint8_t *orig, *img;
static size_t size;
static struct eb_ebm e;
static char err[256];

static void load(void)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tiny.ebm", eb_test_fixture_dir());
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	size = (size_t)ftell(f);
	rewind(f);
	ck_assert_int_eq(posix_memalign((void **)&orig, 64, size), 0);
	ck_assert_int_eq(posix_memalign((void **)&img, 64, size), 0);
	ck_assert_uint_eq(fread(orig, 1, size, f), size);
	fclose(f);
}

static void unload(void)
{
	free(orig);
	free(img);
}

static uint32_t nsec(void)
{
	return eb_get32(img + 16);
}

static uint8_t *entry(uint32_t i)
{
	return img + EB_EBM_HDR + i * EB_EBM_ENTRY;
}

static uint8_t *sec(uint32_t i)
{
	return img + eb_get64(entry(i) + 8);
}

/* Recompute every CRC, so damage reaches the content checks. */
static void fix_crcs(void)
{
	uint64_t off, len;
	uint32_t i;

	if (nsec() > 16)	/* damaged count: leave the table alone */
		return;
	for (i = 0; i < nsec(); i++) {
		off = eb_get64(entry(i) + 8);
		len = eb_get64(entry(i) + 16);
		if (off <= size && len <= size - off)
			eb_put32(entry(i) + 24, eb_crc32(0, img + off, len));
	}
	eb_put32(img + 32, eb_crc32(0, img + EB_EBM_HDR, nsec() * EB_EBM_ENTRY));
	eb_put32(img + 60, eb_crc32(0, img, 60));
}

static int parse(size_t len)
{
	return eb_ebm_parse(img, len, &e, err, sizeof(err));
}

static void reset(void)
{
	memcpy(img, orig, size);
}

START_TEST(valid)
{
	reset();
	ck_assert_int_eq(parse(size), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(e.dims.hidden, 32);
	ck_assert_uint_eq(e.task_count, 2);
	ck_assert_str_eq(e.task[1].name, "sparse");
	ck_assert_uint_eq(nsec(), 7);
}
END_TEST

START_TEST(truncated)
{
	uint32_t i;
	size_t cut[64], n = 0, k;

	reset();
	cut[n++] = 0;
	cut[n++] = 10;
	cut[n++] = EB_EBM_HDR;
	cut[n++] = EB_EBM_HDR + 40;
	for (i = 0; i < nsec(); i++) {
		size_t off = eb_get64(entry(i) + 8), len = eb_get64(entry(i) + 16);

		cut[n++] = off;
		cut[n++] = off + 1;
		cut[n++] = off + len / 2;
		cut[n++] = off + len - 1;
	}
	cut[n++] = size - 1;
	for (k = 0; k < n; k++) {
		/* as is: file_size says more */
		reset();
		ck_assert_int_eq(parse(cut[k]), -EOVERFLOW);
		/* with file_size (and the header CRC) claiming the cut length */
		if (cut[k] >= EB_EBM_HDR) {
			eb_put64(img + 24, cut[k]);
			eb_put32(img + 60, eb_crc32(0, img, 60));
			ck_assert_int_lt(parse(cut[k]), 0);
		}
	}
	reset();
	ck_assert_int_eq(parse(size - 1), -EOVERFLOW);
	ck_assert_msg(strstr(err, "truncated"), "%s", err);
}
END_TEST

START_TEST(crc_damage)
{
	static const char *const names[] = {
		"CONFIG", "VOCAB", "EMBEDDINGS", "TASK_META", "TASK_WEIGHTS",
		"TASK_META", "TASK_WEIGHTS",
	};
	uint32_t i, b;

	for (i = 0; i < nsec(); i++) {
		reset();
		sec(i)[eb_get64(entry(i) + 16) / 2] ^= 0x10;
		ck_assert_int_eq(parse(size), -EBADMSG);
		ck_assert_msg(strstr(err, names[i]) && strstr(err, "CRC"), "%s", err);
	}
	for (b = 0; b < 4; b++) {
		reset();
		img[60 + b] ^= 0xff;	/* header CRC */
		ck_assert_int_eq(parse(size), -EBADMSG);
		reset();
		img[32 + b] ^= 0x01;	/* table CRC */
		ck_assert_int_eq(parse(size), -EBADMSG);
		reset();
		entry(3)[24 + b] ^= 0x80;	/* a section's CRC */
		ck_assert_int_eq(parse(size), -EBADMSG);
	}
}
END_TEST

START_TEST(version)
{
	reset();
	eb_put16(img + 8, 2);
	fix_crcs();
	ck_assert_int_eq(parse(size), -EPROTONOSUPPORT);
	ck_assert_msg(strstr(err, "version 2.0"), "%s", err);
	/* a newer minor is fine */
	reset();
	eb_put16(img + 10, 7);
	fix_crcs();
	ck_assert_int_eq(parse(size), 0);
	reset();
	img[0] = 'X';
	ck_assert_int_eq(parse(size), -EINVAL);
	ck_assert_msg(strstr(err, "magic"), "%s", err);
}
END_TEST

/* Edit one u32 of a section, fix the CRCs, expect an error naming it. */
static void expect_bad(uint32_t s, size_t off, uint32_t v, int ret, const char *what)
{
	reset();
	eb_put32(sec(s) + off, v);
	fix_crcs();
	ck_assert_int_eq(parse(size), ret);
	ck_assert_msg(strstr(err, what), "wanted \"%s\" in \"%s\"", what, err);
}

START_TEST(inconsistent)
{
	expect_bad(0, 16, 33, -EINVAL, "heads");		/* H % heads */
	expect_bad(0, 16, 64, -EINVAL, "dims differ");	/* blob has 32 */
	expect_bad(0, 0, 65, -EINVAL, "vocab");
	expect_bad(0, 28, 25, -EINVAL, "layers");
	expect_bad(0, 32, 3, -EINVAL, "task");		/* no task 2 sections */
	expect_bad(0, 40, 64, -EINVAL, "special token");
	expect_bad(1, 0, 63, -EINVAL, "VOCAB");
	expect_bad(3, 32, 2, -EINVAL, "TASK_META");		/* labels */
	expect_bad(4, 36, 2, -EINVAL, "ramp.cls.w");	/* blob labels */
	expect_bad(4, 48, 5, -EINVAL, "tensor_count");
	expect_bad(4, 64 + 16 + 0, 7, -EINVAL, "pos_emb");	/* rows */
	expect_bad(2, 4, 17, -EINVAL, "EMBEDDINGS");
	/* section offsets: misaligned, overlapping, past the end */
	reset();
	eb_put64(entry(2) + 8, eb_get64(entry(2) + 8) + 8);
	fix_crcs();
	ck_assert_int_eq(parse(size), -EINVAL);
	reset();
	eb_put64(entry(6) + 16, 1ull << 62);
	fix_crcs();
	ck_assert_int_eq(parse(size), -EOVERFLOW);
	/* a task name used twice */
	reset();
	memcpy(sec(5), "dense", 6);
	fix_crcs();
	ck_assert_int_eq(parse(size), -EINVAL);
	ck_assert_msg(strstr(err, "duplicate task"), "%s", err);
}
END_TEST

/* Random damage with valid CRCs: must fail cleanly or parse, never crash. */
START_TEST(fuzz)
{
	uint64_t s = 0x9e3779b97f4a7c15ull;
	unsigned int it, k, ok = 0;

	for (it = 0; it < 3000; it++) {
		reset();
		for (k = 0; k < 1 + it % 4; k++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			img[s % size] ^= (uint8_t)(1u << (s >> 40) % 8);
		}
		fix_crcs();
		ok += parse(size) == 0;
	}
	/* flips in weights values are legal; most others are caught */
	ck_assert_uint_lt(ok, 3000);
}
END_TEST

START_TEST(open_errors)
{
	struct eb_model *m;
	char path[512];
	FILE *f;

	ck_assert_int_eq(eb_model_open("/nonexistent.ebm", &m, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_null(m);
	ck_assert_msg(strstr(err, "nonexistent"), "%s", err);
	ck_assert_int_eq(eb_model_open("/", &m, err, sizeof(err)), -EISDIR);
	snprintf(path, sizeof(path), "%s/tiny.ebm", eb_test_fixture_dir());
	ck_assert_int_eq(eb_model_open(path, &m, NULL, 0), 0);
	eb_model_close(m);
	/* the memory variant copies: damage after the call is harmless */
	reset();
	ck_assert_int_eq(eb_model_open_mem(img, size - 64, &m, err, sizeof(err)), -EOVERFLOW);
	ck_assert_int_eq(eb_model_open_mem(img, size, &m, err, 8), 0);
	eb_model_close(m);
	f = fopen("/dev/null", "r");
	fclose(f);
	ck_assert_int_eq(eb_model_open("/dev/null", &m, err, sizeof(err)), -EINVAL);
}
END_TEST

/* What the device does: parse a task blob and the eNVM image on their own. */
START_TEST(device_blobs)
{
	struct eb_task_weights tw;
	struct eb_tensor word;
	struct eb_dims d;
	uint8_t *copy;

	reset();
	ck_assert_int_eq(parse(size), 0);
	d = e.dims;
	ck_assert_int_eq(posix_memalign((void **)&copy, 8, e.task[1].weights_size), 0);
	memcpy(copy, e.task[1].weights, e.task[1].weights_size);
	ck_assert_int_eq(eb_task_weights_parse(copy, e.task[1].weights_size, &d, &tw,
					       err, sizeof(err)), 0);
	ck_assert_uint_eq(tw.labels, 3);
	ck_assert_uint_eq(tw.q_w.enc, EB_ENC_AF8_SPARSE);
	ck_assert_int_eq(eb_task_weights_parse(copy, e.task[1].weights_size - 8, &d, &tw,
					       err, sizeof(err)), -EOVERFLOW);
	d.ffn = 128;
	ck_assert_int_eq(eb_task_weights_parse(copy, e.task[1].weights_size, &d, &tw,
					       err, sizeof(err)), -EINVAL);
	d = e.dims;
	ck_assert_int_eq(eb_embeddings_parse(e.envm, e.envm_size, &d, &word, err,
					     sizeof(err)), 0);
	ck_assert_uint_eq(word.rows, 64);
	free(copy);
}
END_TEST

Suite *eb_test_suite(void)
{
	Suite *s = suite_create("ebm");
	TCase *tc = tcase_create("reader");

	tcase_add_unchecked_fixture(tc, load, unload);
	tcase_add_test(tc, valid);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, crc_damage);
	tcase_add_test(tc, version);
	tcase_add_test(tc, inconsistent);
	tcase_add_test(tc, fuzz);
	tcase_add_test(tc, open_errors);
	tcase_add_test(tc, device_blobs);
	suite_add_tcase(s, tc);
	return s;
}
