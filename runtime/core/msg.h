/* SPDX-License-Identifier: MIT */
/*
 * Error messages without stdio (the core has no printf): a bounded string
 * builder. Parsers fill one and return -errno.
 */
#ifndef EB_CORE_MSG_H
#define EB_CORE_MSG_H

#include <stddef.h>
#include <stdint.h>

struct eb_msg {
	char *buf;		/* may be NULL */
	size_t cap;
	size_t len;
};

static inline struct eb_msg eb_msg_init(char *buf, size_t cap)
{
	if (buf && cap)
		buf[0] = '\0';
	return (struct eb_msg){ .buf = buf, .cap = cap };
}

/* Forget everything after the first len characters. */
static inline void eb_msg_cut(struct eb_msg *m, size_t len)
{
	if (m->buf && m->cap && len < m->cap)
		m->buf[m->len = len] = '\0';
}

void eb_msg_str(struct eb_msg *m, const char *s);
void eb_msg_u64(struct eb_msg *m, uint64_t v);

/* Appends "s" and returns err: "return eb_msg_fail(m, -EINVAL, ...);". */
int eb_msg_fail(struct eb_msg *m, int err, const char *s);

#endif /* EB_CORE_MSG_H */
