// SPDX-License-Identifier: MIT
/*
 * BERT's uncased tokenizer, following google-research/bert tokenization.py
 * step by step: BasicTokenizer (_clean_text, _tokenize_chinese_chars,
 * whitespace split, lower + _run_strip_accents, _run_split_on_punc) and
 * WordpieceTokenizer (greedy longest match, "##", max 100 chars).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "edgebert/tokenizer.h"
#include "model_internal.h"
#include "unicode.h"

#define MAX_WORD_CHARS	100

struct eb_tokenizer {
	uint32_t count;
	const uint32_t *off;		/* count + 1 offsets into str */
	const char *str;
	uint32_t *hash;			/* open addressing: id + 1, 0 = empty */
	uint32_t hash_mask;
	uint32_t cls, sep, unk;
	char *file;			/* vocab.txt contents, if owned */
	uint32_t *file_off;
};

static uint32_t fnv1a(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static int lookup(const struct eb_tokenizer *t, const char *s, size_t n)
{
	uint32_t i = fnv1a(s, n) & t->hash_mask, id;

	for (; t->hash[i]; i = (i + 1) & t->hash_mask) {
		id = t->hash[i] - 1;
		if (t->off[id + 1] - t->off[id] == n && !memcmp(t->str + t->off[id], s, n))
			return (int)id;
	}
	return -ENOENT;
}

int eb_tokenizer_id(const struct eb_tokenizer *t, const char *token)
{
	return lookup(t, token, strlen(token));
}

uint32_t eb_tokenizer_vocab_size(const struct eb_tokenizer *t)
{
	return t->count;
}

/* Index the vocab; a later duplicate wins, as in BERT's dict. */
static int build(struct eb_tokenizer *t, char *err, size_t errlen)
{
	uint32_t size = 16, id, i;
	int cls, sep, unk;

	while (size < 2 * t->count)
		size *= 2;
	t->hash = calloc(size, sizeof(*t->hash));
	if (!t->hash)
		return -ENOMEM;
	t->hash_mask = size - 1;
	for (id = 0; id < t->count; id++) {
		const char *s = t->str + t->off[id];
		size_t n = t->off[id + 1] - t->off[id];
		int old = lookup(t, s, n);

		if (old >= 0) {
			for (i = fnv1a(s, n) & t->hash_mask; t->hash[i] != (uint32_t)old + 1;
			     i = (i + 1) & t->hash_mask)
				;
		} else {
			for (i = fnv1a(s, n) & t->hash_mask; t->hash[i];
			     i = (i + 1) & t->hash_mask)
				;
		}
		t->hash[i] = id + 1;
	}
	cls = eb_tokenizer_id(t, "[CLS]");
	sep = eb_tokenizer_id(t, "[SEP]");
	unk = eb_tokenizer_id(t, "[UNK]");
	if (cls < 0 || sep < 0 || unk < 0) {
		if (err && errlen)
			snprintf(err, errlen, "vocabulary lacks [CLS], [SEP] or [UNK]");
		return -EINVAL;
	}
	t->cls = (uint32_t)cls;
	t->sep = (uint32_t)sep;
	t->unk = (uint32_t)unk;
	return 0;
}

int eb_tokenizer_from_model(const struct eb_model *m, struct eb_tokenizer **out)
{
	const struct eb_ebm *e = eb_model_ebm(m);
	struct eb_tokenizer *t;
	int ret;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->count = e->vocab_count;
	t->off = e->vocab_off;
	t->str = e->vocab_str;
	ret = build(t, NULL, 0);
	if (ret) {
		eb_tokenizer_free(t);
		return ret;
	}
	/* the model names its special tokens */
	t->cls = e->cls_id;
	t->sep = e->sep_id;
	t->unk = e->unk_id;
	*out = t;
	return 0;
}

static int read_file(const char *path, char **buf, size_t *len)
{
	struct stat st;
	ssize_t r;
	size_t got = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = -EISDIR;
		goto out;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		ret = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, *buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ret = r ? -errno : -EIO;
			free(*buf);
			goto out;
		}
		got += (size_t)r;
	}
	*len = got;
out:
	close(fd);
	return ret;
}

static int is_strip(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

int eb_tokenizer_open(const char *path, struct eb_tokenizer **out, char *err,
		      size_t errlen)
{
	struct eb_tokenizer *t;
	size_t len = 0, i, start, end, eol, w;
	uint32_t lines = 0;
	int ret;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	ret = read_file(path, &t->file, &len);
	if (ret) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		free(t);
		return ret;
	}
	for (i = 0; i < len; i++)
		lines += t->file[i] == '\n';
	lines += len && t->file[len - 1] != '\n';
	t->file_off = malloc(((size_t)lines + 1) * sizeof(*t->file_off));
	if (!t->file_off) {
		eb_tokenizer_free(t);
		return -ENOMEM;
	}
	/* strip each line in place, packing the tokens to the front */
	for (i = 0, w = 0; i < len; i = eol + 1) {
		for (eol = i; eol < len && t->file[eol] != '\n'; eol++)
			;
		for (start = i; start < eol && is_strip(t->file[start]); start++)
			;
		for (end = eol; end > start && is_strip(t->file[end - 1]); end--)
			;
		t->file_off[t->count++] = (uint32_t)w;
		memmove(t->file + w, t->file + start, end - start);
		w += end - start;
	}
	t->file_off[t->count] = (uint32_t)w;
	t->off = t->file_off;
	t->str = t->file;
	if (!t->count) {
		if (err && errlen)
			snprintf(err, errlen, "%s: empty vocabulary", path);
		eb_tokenizer_free(t);
		return -EINVAL;
	}
	ret = build(t, err, errlen);
	if (ret) {
		eb_tokenizer_free(t);
		return ret;
	}
	*out = t;
	return 0;
}

void eb_tokenizer_free(struct eb_tokenizer *t)
{
	if (!t)
		return;
	free(t->hash);
	free(t->file);
	free(t->file_off);
	free(t);
}

/* ---- text ---- */

/* Next code point of UTF-8; invalid or overlong sequences give U+FFFD. */
static uint32_t utf8_next(const uint8_t *s, size_t len, size_t *i)
{
	uint32_t c = s[*i], cp, min;
	size_t n, k;

	if (c < 0x80) {
		*i += 1;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1, cp = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3, cp = c & 0x07, min = 0x10000;
	} else {
		*i += 1;
		return 0xfffd;
	}
	for (k = 1; k <= n; k++) {
		if (*i + k >= len || (s[*i + k] & 0xc0) != 0x80) {
			*i += k;
			return 0xfffd;
		}
		cp = cp << 6 | (s[*i + k] & 0x3f);
	}
	*i += n + 1;
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0xfffd;
	return cp;
}

static size_t utf8_put(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* BERT's _is_chinese_char: the CJK ideograph blocks. */
static int is_cjk(uint32_t cp)
{
	return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
	       (cp >= 0x20000 && cp <= 0x2a6df) || (cp >= 0x2a700 && cp <= 0x2b73f) ||
	       (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf) ||
	       (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f);
}

static int is_cased_letter(uint32_t cp)
{
	return eb_uc_fold(cp) != cp || (cp >= 'a' && cp <= 'z') ||
	       (cp >= 0x3b1 && cp <= 0x3c9);
}

struct out {
	uint32_t *ids;
	uint32_t n, max;		/* max: room for pieces */
};

static void emit(struct out *o, uint32_t id)
{
	if (o->n < o->max)
		o->ids[o->n++] = id;
}

/* WordPiece of one basic token (UTF-8, nchars code points). */
static void wordpiece(const struct eb_tokenizer *t, const char *w, size_t len,
		      size_t nchars, struct out *o)
{
	char buf[4 * MAX_WORD_CHARS + 2];
	size_t start = 0, end, first = o->n;
	int id = -ENOENT;

	if (nchars > MAX_WORD_CHARS) {
		emit(o, t->unk);
		return;
	}
	while (start < len) {
		for (end = len; end > start; end--) {
			if (end < len && ((uint8_t)w[end] & 0xc0) == 0x80)
				continue;	/* not at a character boundary */
			if (start) {
				buf[0] = buf[1] = '#';
				memcpy(buf + 2, w + start, end - start);
				id = lookup(t, buf, end - start + 2);
			} else {
				id = lookup(t, w, end);
			}
			if (id >= 0)
				break;
		}
		if (end == start) {	/* no piece matches: the whole word is [UNK] */
			o->n = first;
			emit(o, t->unk);
			return;
		}
		emit(o, (uint32_t)id);
		start = end;
	}
}

int eb_tokenize(const struct eb_tokenizer *t, const char *text, size_t len,
		uint32_t *ids, uint32_t max_ids)
{
	const uint8_t *s = (const uint8_t *)text;
	struct out o = { .ids = ids + 1, .max = max_ids - 2 };
	char word[4 * MAX_WORD_CHARS + 8];
	size_t i = 0, wlen = 0, nchars = 0, j;
	uint32_t cp, next, prev = 0;
	int split;

	if (max_ids < 2)
		return -EINVAL;
	/* one pass: a basic token ends at whitespace, punctuation or CJK */
	while (i <= len) {
		if (i < len) {
			cp = utf8_next(s, len, &i);
			if (cp == 0 || cp == 0xfffd || eb_uc_is_control(cp))
				continue;
		} else {
			cp = ' ';
			i++;
		}
		split = eb_uc_is_space(cp) || eb_uc_is_punct(cp) || is_cjk(cp);
		if (!split) {
			/* Python's lower(): a final capital sigma becomes ς */
			if (cp == 0x3a3 && nchars && is_cased_letter(prev)) {
				j = i;
				next = j < len ? utf8_next(s, len, &j) : ' ';
				cp = is_cased_letter(next) ? 0x3c3 : 0x3c2;
			}
			prev = cp;
			cp = eb_uc_fold(cp);
			if (!cp)
				continue;	/* an accent, stripped */
			nchars++;
			if (wlen + 4 <= sizeof(word) - 4)
				wlen += utf8_put(cp, word + wlen);
			continue;
		}
		if (nchars)
			wordpiece(t, word, wlen, nchars, &o);
		wlen = nchars = 0;
		prev = 0;
		if (!eb_uc_is_space(cp)) {	/* punctuation and CJK are tokens */
			cp = eb_uc_fold(cp);
			wlen = utf8_put(cp, word);
			wordpiece(t, word, wlen, 1, &o);
			wlen = 0;
		}
	}
	ids[0] = t->cls;
	ids[o.n + 1] = t->sep;
	return (int)o.n + 2;
}
