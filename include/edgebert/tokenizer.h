/* SPDX-License-Identifier: MIT */
/*
 * libedgebert: the BERT uncased tokenizer (BasicTokenizer + WordPiece, as
 * google-research/bert tokenization.py): clean text, split CJK ideographs,
 * lowercase, strip accents, split punctuation, then greedy longest-match-
 * first WordPiece with "##" continuations; words over 100 characters and
 * words that cannot be covered become [UNK].
 *
 * A tokenizer is immutable once made: share it between threads freely.
 * Functions return 0 (or a count) or a negative errno.
 */
#ifndef EDGEBERT_TOKENIZER_H
#define EDGEBERT_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

struct eb_tokenizer;

/*
 * From a BERT vocab.txt (one token per line, id = line number). It must
 * contain [CLS], [SEP] and [UNK]. Errors: from open(2)/read(2), -EINVAL
 * (empty or missing special tokens, with a message in err), -ENOMEM.
 */
int eb_tokenizer_open(const char *vocab_path, struct eb_tokenizer **tok,
		      char *err, size_t errlen);

/* From a model's vocabulary; the model must outlive the tokenizer. */
int eb_tokenizer_from_model(const struct eb_model *model, struct eb_tokenizer **tok);

void eb_tokenizer_free(struct eb_tokenizer *tok);

/*
 * Tokenize len bytes of UTF-8 (invalid bytes are dropped) into
 * [CLS] pieces... [SEP], truncating the pieces so that at most max_ids ids
 * (>= 2) are written. Returns the number of ids, or -EINVAL.
 */
int eb_tokenize(const struct eb_tokenizer *tok, const char *text, size_t len,
		uint32_t *ids, uint32_t max_ids);

/* Id of a vocabulary token, or -ENOENT. */
int eb_tokenizer_id(const struct eb_tokenizer *tok, const char *token);

uint32_t eb_tokenizer_vocab_size(const struct eb_tokenizer *tok);

#ifdef __cplusplus
}
#endif

#endif /* EDGEBERT_TOKENIZER_H */
