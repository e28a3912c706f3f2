// SPDX-License-Identifier: MIT
/*
 * The engine on the real device, through edgebert.ko: results equal the
 * CPU backend's bit for bit (the CPU backend modeling the device's
 * hardware), many sentences in
 * flight, 8 processes at once, a hung and a failed job, two devices.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "check_main.h"
#include "core/cost.h"
#include "devq.h"
#include "edgebert.h"
#include "edgebert_cmd.h"
#include "model_internal.h"

#define NSENT	200
#define MAXTOK	24

struct corpus {
	uint32_t ids[NSENT][MAXTOK];
	uint32_t len[NSENT];
};

static void make_corpus(const struct eb_model *m, uint64_t seed, uint32_t maxlen,
			struct corpus *c)
{
	const struct eb_ebm *e = eb_model_ebm(m);
	uint32_t i, k;

	if (maxlen > e->dims.max_position)
		maxlen = e->dims.max_position;
	if (maxlen > MAXTOK)
		maxlen = MAXTOK;
	for (i = 0; i < NSENT; i++) {
		c->len[i] = 3 + i % (maxlen - 2);
		c->ids[i][0] = e->cls_id;
		for (k = 1; k + 1 < c->len[i]; k++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			c->ids[i][k] = 5 + (uint32_t)(seed >> 33) % (e->dims.vocab_size - 5);
		}
		c->ids[i][c->len[i] - 1] = e->sep_id;
	}
}

static struct eb_model *open_model(const char *path)
{
	struct eb_model *m;
	char err[256];

	ck_assert_msg(eb_model_open(path, &m, err, sizeof(err)) == 0, "%s", err);
	return m;
}

/* A random model from the project's tool (in the guest's PATH). */
static struct eb_model *random_model(const char *dims, unsigned int seed)
{
	char cmd[256], path[64];

	snprintf(path, sizeof(path), "/tmp/rand-%s-%u.ebm", dims, seed);
	if (access(path, R_OK)) {
		snprintf(cmd, sizeof(cmd), "edgebert-model random %s --dims %s --seed %u", path,
			 dims, seed);
		ck_assert_int_eq(system(cmd), 0);
	}
	return open_model(path);
}

static struct eb_model *fixture_model(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/tiny.ebm", eb_test_fixture_dir());
	return open_model(path);
}

/* An engine; hw: the hardware a CPU engine models (NULL: the default). */
static struct eb_engine *engine_hw(const struct eb_model *m, enum eb_backend be, int dev,
				   const char *task, enum eb_exit_policy pol, uint64_t target,
				   const struct eb_hw *hw)
{
	struct eb_engine_opts o;
	struct eb_engine *eng;
	char err[512];
	int ret;

	eb_engine_opts_init(&o);
	o.backend = be;
	o.device = dev;
	o.task = task;
	o.policy = pol;
	o.target_ns = target;
	o.hw = hw;
	ret = eb_engine_open(m, &o, &eng, err, sizeof(err));
	ck_assert_msg(ret == 0, "engine: %s (%d)", err, ret);
	return eng;
}

static struct eb_engine *engine(const struct eb_model *m, enum eb_backend be, int dev,
				const char *task, enum eb_exit_policy pol, uint64_t target)
{
	return engine_hw(m, be, dev, task, pol, target, NULL);
}

/*
 * Put device dev at point opp with an empty job, as the CPU backend assumes
 * a fresh engine's device to be (the nominal point, as after power-on).
 */
static void device_to_opp(unsigned int dev, uint32_t opp)
{
	struct eb_device *d;
	struct eb_bo bo;
	uint32_t h;
	struct eb_job_desc job = { .bos = &h, .bo_count = 1, .cmd_size = 8, .opp = opp };

	ck_assert_int_eq(eb_device_open(dev, &d), 0);
	ck_assert_int_eq(eb_bo_create(d, 4096, 0, &bo), 0);
	h = bo.handle;
	((uint32_t *)bo.map)[0] = EDGEBERT_CMD(EDGEBERT_CMD_NOP, 2);
	ck_assert_int_eq(eb_job_submit(d, &job, NULL), 0);
	ck_assert_int_eq(eb_bo_wait(d, &bo, 10000000000ll), 0);
	eb_bo_destroy(d, &bo);
	eb_device_close(d);
}

/* The compute results: what the core computes, independent of the hardware model. */
static void same_compute(const struct eb_result *a, const struct eb_result *b)
{
	ck_assert_int_eq(a->status, b->status);
	ck_assert_uint_eq(a->exit_layer, b->exit_layer);
	ck_assert_uint_eq(a->label, b->label);
	ck_assert_str_eq(a->label_name, b->label_name);
	ck_assert_uint_eq(a->labels, b->labels);
	ck_assert_mem_eq(a->logits, b->logits, sizeof(a->logits));
	ck_assert_mem_eq(a->entropy, b->entropy, sizeof(a->entropy));
}

/* Everything but where it ran. */
static void same_result(const struct eb_result *a, const struct eb_result *b)
{
	struct eb_result x = *a, y = *b;

	x.device = y.device = 0;
	same_compute(a, b);
	ck_assert_uint_eq(a->predicted_layer, b->predicted_layer);
	ck_assert_uint_eq(a->opp_start, b->opp_start);
	ck_assert_uint_eq(a->opp_after, b->opp_after);
	ck_assert_uint_eq(a->cycles, b->cycles);
	ck_assert_uint_eq(a->device_ns, b->device_ns);
	ck_assert_uint_eq(a->energy_pj, b->energy_pj);
	ck_assert_mem_eq(&x, &y, sizeof(x));
}

/*
 * CPU and device engines over a corpus, sentence by sentence; the CPU
 * engine models the device's hardware, so everything must be equal.
 */
static void compare(const struct eb_model *m, const char *task, unsigned int dev,
		    enum eb_exit_policy pol, double target_frac, unsigned int n)
{
	static struct corpus c;
	struct eb_engine *cpu, *devq;
	struct eb_result a, b;
	struct eb_hw hw;
	uint64_t target = 0;
	uint32_t first, count;
	unsigned int i;

	make_corpus(m, 99 + dev, 24, &c);
	devq = engine(m, EB_BACKEND_DEVICE, (int)dev, task, pol, 0);
	ck_assert_int_eq(eb_engine_hw(devq, 0, &hw), 0);
	eb_engine_close(devq);
	if (target_frac != 1.0) {
		cpu = engine_hw(m, EB_BACKEND_CPU, 0, task, pol, 0, &hw);
		ck_assert_int_eq(eb_engine_classify_ids(cpu, c.ids[0], NULL, c.len[0], &a), 0);
		target = (uint64_t)(a.target_ns * target_frac);
		eb_engine_close(cpu);
	}
	cpu = engine_hw(m, EB_BACKEND_CPU, 0, task, pol, target, &hw);
	devq = engine(m, EB_BACKEND_DEVICE, (int)dev, task, pol, target);
	eb_engine_opp_window(devq, &first, &count);
	device_to_opp(dev, first + count - 1);
	for (i = 0; i < n; i++) {
		int ra = eb_engine_classify_ids(cpu, c.ids[i], NULL, c.len[i], &a);
		int rb = eb_engine_classify_ids(devq, c.ids[i], NULL, c.len[i], &b);

		ck_assert_int_eq(ra, rb);
		ck_assert_int_eq(b.device, (int)dev);
		if (!ra)
			same_result(&a, &b);
	}
	eb_engine_close(devq);
	eb_engine_close(cpu);
}

START_TEST(device_equals_cpu_tiny)
{
	struct eb_model *fx = fixture_model(), *r = random_model("tiny", 7);

	compare(fx, NULL, 0, EB_EXIT_PAPER, 1.0, 60);
	compare(fx, NULL, 0, EB_EXIT_OFF, 1.0, 30);
	compare(r, "dense", 0, EB_EXIT_PAPER, 0.7, 40);
	compare(r, "sparse", 0, EB_EXIT_REPREDICT, 1.0, 40);
	compare(r, "sparse", 0, EB_EXIT_REPREDICT, 0.6, 40);
	compare(fx, NULL, 0, EB_EXIT_PAPER, 1e-6, 5);	/* infeasible: -ERANGE on both */
	eb_model_close(r);
	eb_model_close(fx);
}
END_TEST

/* ALBERT-base dims, on a device whose eNVM holds its embeddings. */
START_TEST(device_equals_cpu_base)
{
	struct eb_model *m = random_model("base", 3);
	const void *img;
	size_t len;
	int n = eb_device_count(), d;

	const void *blob;
	size_t blob_len;

	eb_model_envm_image(m, &img, &len);
	eb_model_task_blob(m, 1, &blob, &blob_len);
	for (d = 0; d < n; d++) {
		struct eb_device *dev;
		int fits;

		ck_assert_int_eq(eb_device_open((unsigned int)d, &dev), 0);
		fits = eb_device_caps(dev)->envm_size >= len &&
		       eb_device_caps(dev)->sram_weight_size >= blob_len;
		eb_device_close(dev);
		if (fits)
			break;
	}
	if (d == n) {
		fprintf(stderr, "skipped: no device with an eNVM of %zu and a weight SRAM of %zu bytes\n",
			len, blob_len);
		eb_model_close(m);
		return;
	}
	compare(m, "sparse", (unsigned int)d, EB_EXIT_PAPER, 1.0, 4);
	eb_model_close(m);
}
END_TEST

/* Many sentences in flight from one thread: each delivered once, right. */
START_TEST(async_many_in_flight)
{
	static struct corpus c;
	static struct eb_result want[NSENT];
	struct eb_model *m = fixture_model();
	struct eb_engine *cpu = engine(m, EB_BACKEND_CPU, 0, NULL, EB_EXIT_PAPER, 0);
	struct eb_engine *dev = engine(m, EB_BACKEND_DEVICE, 0, NULL, EB_EXIT_PAPER, 0);
	struct eb_result got[16];
	struct eb_engine_stats st;
	int seen[NSENT] = { 0 }, k, total = 0, i;

	struct eb_telemetry *tel;
	struct eb_telemetry_event ev[64];
	int jobs_seen = 0;

	make_corpus(m, 5, 24, &c);
	for (i = 0; i < NSENT; i++)
		ck_assert_int_eq(eb_engine_classify_ids(cpu, c.ids[i], NULL, c.len[i], &want[i]), 0);
	ck_assert_int_eq(eb_telemetry_open(&tel), 0);
	for (i = 0; i < NSENT; i++)
		ck_assert_int_eq(eb_engine_submit_ids(dev, c.ids[i], NULL, c.len[i], (uint64_t)i), 0);
	while ((k = eb_engine_poll(dev, got, 16, -1)) > 0) {
		for (int j = 0; j < k; j++) {
			ck_assert_uint_lt(got[j].tag, NSENT);
			seen[got[j].tag]++;
			same_compute(&got[j], &want[got[j].tag]);
		}
		total += k;
	}
	ck_assert_int_eq(k, 0);
	ck_assert_int_eq(total, NSENT);
	for (i = 0; i < NSENT; i++)
		ck_assert_int_eq(seen[i], 1);
	eb_engine_get_stats(dev, &st);
	ck_assert_uint_eq(st.sentences, NSENT);
	/* completions come in batches: fewer waits than jobs */
	ck_assert_uint_lt(st.waits, st.jobs);
	fprintf(stderr, "async: %d sentences, %llu jobs, %llu io_uring waits\n", NSENT,
		(unsigned long long)st.jobs, (unsigned long long)st.waits);
	/* the same jobs, seen by any process on the netlink group */
	while ((k = eb_telemetry_read(tel, ev, 64, 200)) > 0)
		for (int j = 0; j < k; j++)
			jobs_seen += ev[j].kind == EB_TELEMETRY_JOB_DONE && ev[j].device >= 128;
	ck_assert_int_ge(k, 0);
	ck_assert_int_gt(jobs_seen, 0);
	eb_telemetry_close(tel);
	eb_engine_close(dev);
	eb_engine_close(cpu);
	eb_model_close(m);
}
END_TEST

/* 8 processes x 200 sentences at once; every completion reaches its owner once. */
START_TEST(eight_processes)
{
	static struct corpus c;
	static struct eb_result want[NSENT];
	struct eb_model *m = fixture_model();
	struct eb_engine *cpu = engine(m, EB_BACKEND_CPU, 0, NULL, EB_EXIT_PAPER, 0);
	struct timespec t0, t1;
	pid_t pid[8];
	int i, status, bad = 0;

	make_corpus(m, 11, 24, &c);
	for (i = 0; i < NSENT; i++)
		ck_assert_int_eq(eb_engine_classify_ids(cpu, c.ids[i], NULL, c.len[i], &want[i]), 0);
	eb_engine_close(cpu);
	/* the device must hold the embeddings before the children race to program it */
	eb_engine_close(engine(m, EB_BACKEND_DEVICE, 0, NULL, EB_EXIT_PAPER, 0));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 8; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (!pid[i]) {
			struct eb_engine_opts o;
			struct eb_engine *e;
			struct eb_result got[16];
			struct eb_engine_stats st;
			int seen[NSENT] = { 0 }, k, n = 0, j, fail = 0;

			eb_engine_opts_init(&o);
			o.backend = EB_BACKEND_DEVICE;
			o.device = EB_DEVICE_ALL;
			if (eb_engine_open(m, &o, &e, NULL, 0))
				_exit(10);
			for (j = 0; j < NSENT; j++)
				if (eb_engine_submit_ids(e, c.ids[j], NULL, c.len[j], (uint64_t)j))
					_exit(11);
			while ((k = eb_engine_poll(e, got, 16, -1)) > 0) {
				for (int q = 0; q < k; q++) {
					const struct eb_result *g = &got[q];

					if (g->tag >= NSENT || g->status ||
					    g->exit_layer != want[g->tag].exit_layer ||
					    memcmp(g->logits, want[g->tag].logits, sizeof(g->logits))) {
						if (!fail)
							fprintf(stderr, "child %d: tag %llu status %d exit %u (want %u) device %d\n",
								i, (unsigned long long)g->tag, g->status, g->exit_layer,
								g->tag < NSENT ? want[g->tag].exit_layer : 0, g->device);
						fail = 1;
					} else
						seen[g->tag]++;
				}
				n += k;
			}
			eb_engine_get_stats(e, &st);
			for (j = 0; j < NSENT; j++)
				fail |= seen[j] != 1;
			eb_engine_close(e);
			if (fail || n != NSENT || k < 0 || st.sentences != NSENT)
				fprintf(stderr, "child %d: fail %d, %d results, poll %d, %llu delivered\n",
					i, fail, n, k, (unsigned long long)st.sentences);
			_exit(fail || n != NSENT || k < 0 || st.sentences != NSENT ? 12 : 0);
		}
	}
	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "child %d: status %#x\n", i, status);
			bad++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "8 x %d sentences on the device: %.2f s, %.0f sentences/s\n", NSENT,
		(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
		8 * NSENT / ((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9));
	ck_assert_int_eq(bad, 0);
	eb_model_close(m);
}
END_TEST

/* BAR0 of device 0, to arm FAULT_CTRL (docs/device.md; needs faults=on and root). */
static volatile uint32_t *fault_regs(void)
{
	struct eb_device *d;
	char path[256];
	const char *node;
	void *p;
	int f;

	ck_assert_int_eq(eb_device_open(0, &d), 0);
	if (!(eb_device_caps(d)->features & EDGEBERT_FEATURE_FAULT_INJECT)) {
		eb_device_close(d);
		return NULL;
	}
	node = strrchr(eb_device_path(d), '/') + 1;
	snprintf(path, sizeof(path), "/sys/class/drm/%s/device/resource0", node);
	eb_device_close(d);
	f = open(path, O_RDWR | O_SYNC);
	ck_assert_int_ge(f, 0);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	close(f);
	ck_assert_ptr_ne(p, MAP_FAILED);
	return p;
}

#define FAULT_CTRL	(0x600 / 4)
#define FAULT_HANG	(1u << 0)
#define FAULT_FAIL	(1u << 1)

static double since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* A hung job: its sentence fails with -ETIMEDOUT after the reset; the next one works. */
START_TEST(hung_job_is_reset)
{
	volatile uint32_t *regs = fault_regs();
	struct eb_model *m;
	struct eb_engine *cpu, *dev;
	struct eb_result a, b;
	struct timespec t0;
	static struct corpus c;

	if (!regs) {
		fprintf(stderr, "skipped: device 0 without faults=on\n");
		return;
	}
	m = fixture_model();
	make_corpus(m, 3, 24, &c);
	cpu = engine(m, EB_BACKEND_CPU, 0, NULL, EB_EXIT_PAPER, 0);
	dev = engine(m, EB_BACKEND_DEVICE, 0, NULL, EB_EXIT_PAPER, 0);
	regs[FAULT_CTRL] = FAULT_HANG;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(eb_engine_classify_ids(dev, c.ids[0], NULL, c.len[0], &b), -ETIMEDOUT);
	ck_assert_int_eq(b.status, -ETIMEDOUT);
	ck_assert_double_lt(since(&t0), 30.0);	/* job_timeout_ms is 5 s; TCG is slow */
	ck_assert_int_eq(eb_engine_classify_ids(cpu, c.ids[1], NULL, c.len[1], &a), 0);
	ck_assert_int_eq(eb_engine_classify_ids(dev, c.ids[1], NULL, c.len[1], &b), 0);
	same_compute(&a, &b);
	munmap((void *)regs, 4096);
	eb_engine_close(dev);
	eb_engine_close(cpu);
	eb_model_close(m);
}
END_TEST

/* A failed job is its submitter's error only: another client goes on. */
START_TEST(failed_job_only_its_submitter)
{
	volatile uint32_t *regs = fault_regs();
	struct eb_model *m;
	struct eb_engine *a, *b;
	struct eb_result ra, rb, want;
	static struct corpus c;

	if (!regs) {
		fprintf(stderr, "skipped: device 0 without faults=on\n");
		return;
	}
	m = fixture_model();
	make_corpus(m, 4, 24, &c);
	a = engine(m, EB_BACKEND_DEVICE, 0, NULL, EB_EXIT_PAPER, 0);
	b = engine(m, EB_BACKEND_DEVICE, 0, NULL, EB_EXIT_PAPER, 0);
	ck_assert_int_eq(eb_engine_classify_ids(b, c.ids[2], NULL, c.len[2], &want), 0);
	regs[FAULT_CTRL] = FAULT_FAIL;
	ck_assert_int_eq(eb_engine_classify_ids(a, c.ids[2], NULL, c.len[2], &ra), -EIO);
	ck_assert_int_eq(eb_engine_classify_ids(b, c.ids[2], NULL, c.len[2], &rb), 0);
	same_compute(&rb, &want);
	ck_assert_int_eq(eb_engine_classify_ids(a, c.ids[2], NULL, c.len[2], &ra), 0);
	same_compute(&ra, &want);
	munmap((void *)regs, 4096);
	eb_engine_close(b);
	eb_engine_close(a);
	eb_model_close(m);
}
END_TEST

/* Two devices: pick either, or spread a batch over both. */
START_TEST(two_devices)
{
	static const char *const text[] = { "w7 w8 w9", "w10 w11", "w12 w13 w14 w15" };
	struct eb_model *m;
	struct eb_engine *e;
	struct eb_result r[48], one;
	const char *t[48];
	int used[2] = { 0 }, i;

	if (eb_device_count() < 2) {
		fprintf(stderr, "skipped: one device\n");
		return;
	}
	m = fixture_model();
	for (i = 0; i < 2; i++) {
		e = engine(m, EB_BACKEND_DEVICE, i, NULL, EB_EXIT_PAPER, 0);
		ck_assert_int_eq(eb_engine_classify(e, text[0], &one), 0);
		ck_assert_int_eq(one.device, i);
		eb_engine_close(e);
	}
	for (i = 0; i < 48; i++)
		t[i] = text[i % 3];
	e = engine(m, EB_BACKEND_DEVICE, EB_DEVICE_ALL, NULL, EB_EXIT_PAPER, 0);
	ck_assert_uint_eq(eb_engine_device_count(e), (unsigned int)eb_device_count());
	ck_assert_int_eq(eb_engine_classify_batch(e, t, 48, r), 0);
	for (i = 0; i < 48; i++) {
		ck_assert_int_ge(r[i].device, 0);
		if (r[i].device < 2)
			used[r[i].device]++;
		same_compute(&r[i], &r[i % 3]);
	}
	ck_assert_int_gt(used[0], 0);
	ck_assert_int_gt(used[1], 0);
	eb_engine_close(e);
	eb_model_close(m);
}
END_TEST

/* Auto picks the device; the eNVM is programmed once, then only checked. */
START_TEST(auto_backend_and_envm)
{
	struct eb_model *m = random_model("tiny", 21), *fx = fixture_model();
	struct eb_engine_stats st;
	struct eb_engine *e;

	e = engine(m, EB_BACKEND_AUTO, 0, NULL, EB_EXIT_PAPER, 0);
	ck_assert_int_eq(eb_engine_backend(e), EB_BACKEND_DEVICE);
	eb_engine_get_stats(e, &st);
	ck_assert_uint_eq(st.envm_programs, 1);	/* the fixture's embeddings were there */
	eb_engine_close(e);
	e = engine(m, EB_BACKEND_AUTO, 0, NULL, EB_EXIT_PAPER, 0);
	eb_engine_get_stats(e, &st);
	ck_assert_uint_eq(st.envm_programs, 0);
	eb_engine_close(e);
	/* back to the fixture's for the other suites */
	eb_engine_close(engine(fx, EB_BACKEND_DEVICE, 0, NULL, EB_EXIT_PAPER, 0));
	eb_model_close(fx);
	eb_model_close(m);
}
END_TEST

/* Without CAP_SYS_ADMIN a stale eNVM is a clear error, not a silent wrong answer. */
START_TEST(envm_needs_root)
{
	struct eb_model *m;
	struct eb_engine_opts o;
	struct eb_engine *e;
	char err[512] = "";
	int ret;

	if (geteuid() != 0) {
		fprintf(stderr, "skipped: not root\n");
		return;
	}
	/* the fixture's embeddings are in; a different model's are not */
	eb_model_close(fixture_model());
	m = random_model("tiny", 33);
	/* the render node open to everyone, as a distribution's udev rules make it */
	ck_assert_int_eq(system("chmod 0666 /dev/dri/renderD*"), 0);
	if (setresuid(65534, 65534, 0)) {	/* keep the saved uid to come back */
		eb_model_close(m);
		return;
	}
	eb_engine_opts_init(&o);
	o.backend = EB_BACKEND_DEVICE;
	ret = eb_engine_open(m, &o, &e, err, sizeof(err));
	ck_assert_int_eq(setresuid(0, 0, 0), 0);
	if (ret == -EACCES && !strstr(err, "eNVM")) {
		fprintf(stderr, "skipped: render node not accessible to nobody (%s)\n", err);
	} else {
		ck_assert_int_eq(ret, -EPERM);
		ck_assert_msg(strstr(err, "root") && strstr(err, "ebctl"), "%s", err);
	}
	eb_model_close(m);
}
END_TEST

Suite *eb_test_suite(void)
{
	Suite *s = suite_create("engine_device");
	TCase *tc = tcase_create("device");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, device_equals_cpu_tiny);
	tcase_add_test(tc, async_many_in_flight);
	tcase_add_test(tc, eight_processes);
	tcase_add_test(tc, hung_job_is_reset);
	tcase_add_test(tc, failed_job_only_its_submitter);
	tcase_add_test(tc, two_devices);
	tcase_add_test(tc, auto_backend_and_envm);
	tcase_add_test(tc, envm_needs_root);
	tcase_add_test(tc, device_equals_cpu_base);
	suite_add_tcase(s, tc);
	return s;
}
