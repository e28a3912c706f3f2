// SPDX-License-Identifier: MIT
#include "msg.h"

void eb_msg_str(struct eb_msg *m, const char *s)
{
	if (!m->buf || !m->cap)
		return;
	while (*s && m->len + 1 < m->cap)
		m->buf[m->len++] = *s++;
	m->buf[m->len] = '\0';
}

void eb_msg_u64(struct eb_msg *m, uint64_t v)
{
	char tmp[24];
	int i = (int)sizeof(tmp) - 1;

	tmp[i] = '\0';
	do
		tmp[--i] = (char)('0' + v % 10);
	while (v /= 10);
	eb_msg_str(m, tmp + i);
}

int eb_msg_fail(struct eb_msg *m, int err, const char *s)
{
	eb_msg_str(m, s);
	return err;
}
