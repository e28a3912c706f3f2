// SPDX-License-Identifier: MIT
/*
 * The BERT tokenizer. Expected pieces were worked out by hand from
 * google-research/bert tokenization.py; ids are looked up by piece so the
 * cases read as text. The full bert-base-uncased vocab comes from
 * ../shared/data (next to the checkout); the small fixture vocab checks
 * the WordPiece search itself.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "edgebert/tokenizer.h"

#define BERT_VOCAB	"../shared/data/vocab/bert-base-uncased-vocab.txt"

static struct eb_tokenizer *tok;

/* Tokenize text (len bytes) and compare with space-separated pieces. */
static void expect_n(const char *text, size_t len, const char *pieces)
{
	uint32_t ids[600], want[600];
	char buf[1024], *p, *save;
	int n, m = 0, id;

	snprintf(buf, sizeof(buf), "[CLS] %s [SEP]", pieces);
	for (p = strtok_r(buf, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
		id = eb_tokenizer_id(tok, p);
		ck_assert_msg(id >= 0, "piece \"%s\" not in the vocab", p);
		want[m++] = (uint32_t)id;
	}
	n = eb_tokenize(tok, text, len, ids, 600);
	ck_assert_int_eq(n, m);
	ck_assert_mem_eq(ids, want, (size_t)m * sizeof(*ids));
}

static void expect(const char *text, const char *pieces)
{
	expect_n(text, strlen(text), pieces);
}

static void open_small(void)
{
	char path[512], err[256];

	snprintf(path, sizeof(path), "%s/vocab-small.txt", eb_test_fixture_dir());
	ck_assert_msg(!eb_tokenizer_open(path, &tok, err, sizeof(err)), "%s", err);
}

static void open_bert(void)
{
	char err[256];

	ck_assert_msg(!eb_tokenizer_open(BERT_VOCAB, &tok, err, sizeof(err)), "%s", err);
}

static void close_tok(void)
{
	eb_tokenizer_free(tok);
	tok = NULL;
}

START_TEST(wordpiece_search)
{
	/* ids are line numbers; a later duplicate line wins, as in BERT */
	ck_assert_int_eq(eb_tokenizer_id(tok, "hello"), 16);
	ck_assert_int_eq(eb_tokenizer_id(tok, "spaced"), 15);	/* stripped */
	ck_assert_int_eq(eb_tokenizer_id(tok, "nope"), -ENOENT);
	ck_assert_uint_eq(eb_tokenizer_vocab_size(tok), 19);
	/* longest match first: "un" then "##aff" (not "##a" "##ff") */
	expect("unaffable", "un ##aff ##able");
	expect("affable", "aff ##able");
	expect("xxx", "x ##x ##x");
	/* a word not covered completely is one [UNK], not pieces + [UNK] */
	expect("unaffablez", "[UNK]");
	expect("Hello, World!", "hello , world !");
	expect("", "");
}
END_TEST

START_TEST(long_words_and_truncation)
{
	char w[202];
	uint32_t ids[8];

	memset(w, 'x', sizeof(w));
	/* 100 characters are still split; 101 are [UNK] */
	expect_n(w, 4, "x ##x ##x ##x");
	ck_assert_int_eq(eb_tokenize(tok, w, 100, ids, 8), 8);
	ck_assert_uint_eq(ids[7], 3);		/* [SEP] ends a truncated text */
	expect_n(w, 101, "[UNK]");
	expect_n(w, 202, "[UNK]");
	ck_assert_int_eq(eb_tokenize(tok, "hello world", 11, ids, 3), 3);
	ck_assert_uint_eq(ids[0], 2);
	ck_assert_uint_eq(ids[1], 16);
	ck_assert_uint_eq(ids[2], 3);
	ck_assert_int_eq(eb_tokenize(tok, "hello", 5, ids, 2), 2);
	ck_assert_int_eq(eb_tokenize(tok, "hello", 5, ids, 1), -EINVAL);
}
END_TEST

START_TEST(vocab_errors)
{
	struct eb_tokenizer *t;
	char err[256];

	ck_assert_int_eq(eb_tokenizer_open("/nonexistent/vocab.txt", &t, err, sizeof(err)),
			 -ENOENT);
	ck_assert_ptr_null(t);
	ck_assert_int_eq(eb_tokenizer_open("/", &t, err, sizeof(err)), -EISDIR);
	ck_assert_int_eq(eb_tokenizer_open("/dev/null", &t, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "empty"), "%s", err);
}
END_TEST

START_TEST(bert_known_ids)
{
	uint32_t ids[16];
	static const uint32_t hello[] = { 101, 7592, 1010, 2088, 999, 102 };

	ck_assert_uint_eq(eb_tokenizer_vocab_size(tok), 30522);
	ck_assert_int_eq(eb_tokenize(tok, "Hello, world!", 13, ids, 16), 6);
	ck_assert_mem_eq(ids, hello, sizeof(hello));
}
END_TEST

START_TEST(bert_accents_and_case)
{
	expect("The café naïve résumé", "the cafe naive resume");
	expect("JOSÉ Müller", "jose muller");
	/* no canonical decomposition: ø and ß stay */
	expect("Øresund straße", "ø ##res ##und st ##raße");
	/* Cyrillic, Greek (with a final sigma from lowercasing) */
	expect("ПРИВЕТ мир", "п ##р ##и ##в ##е ##т м ##и ##р");
	expect("ΑΘΗΝΑ ΟΔΟΣ", "α ##θ ##η ##ν ##α ο ##δ ##ος");
	/* a lone combining accent disappears */
	expect("e\xcc\x81t\xc3\xa9", "et ##e");
}
END_TEST

START_TEST(bert_punctuation)
{
	expect("don't stop U.S.A.", "don ' t stop u . s . a .");
	/* ASCII symbols count as punctuation in BERT */
	expect("$5 ^_^ `x`", "$ 5 ^ _ ^ ` x `");
	/* Unicode punctuation: em dash, guillemets, ellipsis */
	expect("a\xe2\x80\x94" "b \xc2\xab" "c\xc2\xbb", "a — b « c »");
	expect("wait\xe2\x80\xa6", "wait …");
}
END_TEST

START_TEST(bert_cjk_and_unknown)
{
	expect("北京", "北 京");
	expect("中国ab", "中 国 ab");
	/* a symbol (So, not punctuation) that is not in the vocab */
	expect("\xe2\x98\x83 snow", "[UNK] snow");
}
END_TEST

START_TEST(bert_whitespace_and_control)
{
	/* greedy longest match: "whites" beats "white" */
	expect("  lots   of\twhitespace \r\n ", "lots of whites ##pace");
	/* no-break space (Zs) splits; controls vanish without splitting */
	expect("a\xc2\xa0" "b", "a b");
	expect_n("a\x01" "b\x00" "c", 5, "abc");
	expect("zero\xe2\x80\x8bwidth", "zero ##wi ##dt ##h");	/* U+200B is Cf */
	/* invalid UTF-8 is dropped */
	expect("na\xffve caf\xc3", "nave caf");
}
END_TEST

Suite *eb_test_suite(void)
{
	Suite *s = suite_create("tokenizer");
	TCase *small = tcase_create("small-vocab");
	TCase *bert = tcase_create("bert-base-uncased");
	FILE *f;

	tcase_add_checked_fixture(small, open_small, close_tok);
	tcase_add_test(small, wordpiece_search);
	tcase_add_test(small, long_words_and_truncation);
	tcase_add_test(small, vocab_errors);
	suite_add_tcase(s, small);

	/* the shared data sits next to the checkout (DESIGN §6) */
	f = fopen(BERT_VOCAB, "r");
	if (f) {
		fclose(f);
		tcase_add_checked_fixture(bert, open_bert, close_tok);
		tcase_add_test(bert, bert_known_ids);
		tcase_add_test(bert, bert_accents_and_case);
		tcase_add_test(bert, bert_punctuation);
		tcase_add_test(bert, bert_cjk_and_unknown);
		tcase_add_test(bert, bert_whitespace_and_control);
		suite_add_tcase(s, bert);
	} else {
		fprintf(stderr, "tokenizer: %s missing, BERT vocab cases skipped\n", BERT_VOCAB);
	}
	return s;
}
