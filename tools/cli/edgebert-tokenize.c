// SPDX-License-Identifier: MIT
/* edgebert-tokenize: BERT uncased tokenization of stdin, one line at a time. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgebert/model.h"
#include "edgebert/tokenizer.h"

static const char usage[] =
"Usage: edgebert-tokenize (--vocab FILE | -m MODEL) [--max-len N]\n"
"\n"
"Tokenize text the way BERT uncased does and print token ids.\n"
"\n"
"Each line read from standard input is one text. For each, one line is\n"
"written to standard output: the token ids, separated by single spaces,\n"
"starting with [CLS] and ending with [SEP]. Tokenization is BERT's\n"
"BasicTokenizer (control characters removed, CJK ideographs split,\n"
"lowercased, accents stripped, punctuation split on whitespace) followed\n"
"by WordPiece (greedy longest match first, \"##\" continuations; a word\n"
"longer than 100 characters or that no pieces cover becomes [UNK]).\n"
"Invalid UTF-8 bytes are dropped.\n"
"\n"
"Options:\n"
"  -v, --vocab FILE    BERT vocab.txt: one token per line, id = line number - 1\n"
"  -m, --model MODEL   use the vocabulary of an .ebm model\n"
"  -n, --max-len N     truncate to N ids, [CLS] and [SEP] included\n"
"                      (default: the model's max_position, else 512)\n"
"  -h, --help          show this help\n"
"\n"
"Example:\n"
"  echo 'Hello, world!' | edgebert-tokenize --vocab bert-base-uncased-vocab.txt\n"
"  101 7592 1010 2088 999 102\n"
"\n"
"Exit status: 0 on success, 1 on errors (unreadable vocab or model, I/O),\n"
"2 on bad usage.\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vocab", required_argument, NULL, 'v' },
		{ "model", required_argument, NULL, 'm' },
		{ "max-len", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *vocab = NULL, *model_path = NULL;
	struct eb_model *model = NULL;
	struct eb_tokenizer *tok = NULL;
	struct eb_model_info info;
	unsigned long max_len = 0;
	char err[512], *line = NULL, *end;
	size_t cap = 0;
	uint32_t *ids = NULL;
	ssize_t len;
	int c, n, i, ret = 1;

	while ((c = getopt_long(argc, argv, "v:m:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			vocab = optarg;
			break;
		case 'm':
			model_path = optarg;
			break;
		case 'n':
			errno = 0;
			max_len = strtoul(optarg, &end, 10);
			if (errno || *end || max_len < 2 || max_len > 1u << 20) {
				fprintf(stderr, "edgebert-tokenize: --max-len: want a number >= 2, got '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc || !vocab == !model_path) {
		fprintf(stderr, "edgebert-tokenize: give exactly one of --vocab or -m\n\n%s", usage);
		return 2;
	}
	if (model_path) {
		if (eb_model_open(model_path, &model, err, sizeof(err))) {
			fprintf(stderr, "edgebert-tokenize: %s\n", err);
			return 1;
		}
		eb_model_get_info(model, &info);
		if (!max_len)
			max_len = info.max_position;
		if (eb_tokenizer_from_model(model, &tok) < 0) {
			fprintf(stderr, "edgebert-tokenize: %s: no usable vocabulary\n", model_path);
			goto out;
		}
	} else if (eb_tokenizer_open(vocab, &tok, err, sizeof(err))) {
		fprintf(stderr, "edgebert-tokenize: %s\n", err);
		return 1;
	}
	if (!max_len)
		max_len = 512;
	ids = malloc(max_len * sizeof(*ids));
	if (!ids) {
		fprintf(stderr, "edgebert-tokenize: out of memory\n");
		goto out;
	}
	while ((len = getline(&line, &cap, stdin)) >= 0) {
		if (len && line[len - 1] == '\n')
			len--;
		n = eb_tokenize(tok, line, (size_t)len, ids, (uint32_t)max_len);
		for (i = 0; i < n; i++)
			printf(i ? " %u" : "%u", ids[i]);
		putchar('\n');
	}
	if (ferror(stdin) || fflush(stdout)) {
		fprintf(stderr, "edgebert-tokenize: %s\n", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(line);
	free(ids);
	eb_tokenizer_free(tok);
	eb_model_close(model);
	return ret;
}
