/* SPDX-License-Identifier: MIT */
/*
 * EdgeBERT command stream: what a job's command buffer holds (docs/device.md,
 * "Commands"). edgebert.ko passes it to the device without parsing it;
 * libedgebert writes it and the device executes it.
 */
#ifndef _EDGEBERT_CMD_H_
#define _EDGEBERT_CMD_H_

/* Word 0 of every command: opcode | length in u32 words, header included. */
#define EDGEBERT_CMD(op, len)	((unsigned int)(op) | (unsigned int)(len) << 16)
#define EDGEBERT_CMD_OP(h)	((h) & 0xffff)
#define EDGEBERT_CMD_LEN(h)	((h) >> 16)

enum edgebert_cmd_op {			/* length in words */
	EDGEBERT_CMD_NOP = 0x00,	/* >= 1 */
	EDGEBERT_CMD_SET_OPP = 0x01,	/* 2 */
	EDGEBERT_CMD_LOAD_TASK = 0x02,	/* 14 */
	EDGEBERT_CMD_EMBED = 0x03,	/* 5 */
	EDGEBERT_CMD_LAYER = 0x04,	/* 1 */
	EDGEBERT_CMD_OFFRAMP = 0x05,	/* 3 */
	EDGEBERT_CMD_WRITE_RESULTS = 0x06,	/* 4 */
	EDGEBERT_CMD_STORE_STATE = 0x07,	/* 4 */
	EDGEBERT_CMD_LOAD_STATE = 0x08,	/* 4 */
};

/* OFFRAMP flags: when the off-ramp ends the job. */
#define EDGEBERT_OFFRAMP_EXIT_BELOW	(1u << 0)	/* entropy < threshold */
#define EDGEBERT_OFFRAMP_EXIT_ALWAYS	(1u << 1)	/* forced exit */
#define EDGEBERT_OFFRAMP_FLAGS \
	(EDGEBERT_OFFRAMP_EXIT_BELOW | EDGEBERT_OFFRAMP_EXIT_ALWAYS)

/* An EMBED token word: id | type << 24. */
#define EDGEBERT_TOKEN(id, type)	((unsigned int)(id) | (unsigned int)(type) << 24)

#endif /* _EDGEBERT_CMD_H_ */
