// SPDX-License-Identifier: MIT
/*
 * The EdgeBERT cost model (docs/cost-model.md). Integer arithmetic only, so
 * the QEMU device that charges with it, the runtime that predicts with it
 * and the kernel driver that validates OPP tables agree to the last unit.
 */
#include <errno.h>

#include "cost.h"

/* 1 kHz = 1e3 cycles/s: ns = cycles * 1e6 / kHz. */
#define NS_PER_KHZ_CYCLE	1000000ull
/* Energies are accumulated in attojoules (1 fJ = 1000 aJ, 1 pJ = 1e6 aJ). */
#define AJ_PER_FJ		1000ull
#define AJ_PER_PJ		1000000ull

void eb_hw_default(struct eb_hw *hw)
{
	uint32_t i, n = 16, span;

	*hw = (struct eb_hw){
		.mac_lanes = 256,
		.vector_lanes = 16,
		.freq_max_khz = 1000000,
		.volt_min_uv = 500000,
		.volt_max_uv = 800000,
		.ldo_step_uv = 20000,
		.ldo_settle_ns = 10,
		.adpll_relock_ns = 500,
		.mac_energy_fj = 400,
		.vector_energy_fj = 1000,
		.leakage_uw = 20000,
		.envm_read_fj_per_byte = 8000,
		.sram_read_fj_per_byte = 500,
		.opp_count = n,
	};
	span = hw->volt_max_uv - hw->volt_min_uv;
	for (i = 0; i < n; i++) {
		hw->opp[i].volt_uv = hw->volt_min_uv + (uint32_t)((uint64_t)span * i / (n - 1));
		hw->opp[i].freq_khz = eb_hw_law_freq_khz(hw, hw->opp[i].volt_uv);
	}
}

/*
 * Products of up to eight u32 factors, exact: 256 bits as u32 limbs, least
 * significant first. Only the alpha-power law needs them.
 */
#define BIG_LIMBS	8

static void big_product(const uint32_t *f, int n, uint32_t *out)
{
	int i, j;

	for (j = 0; j < BIG_LIMBS; j++)
		out[j] = 0;
	out[0] = 1;
	for (i = 0; i < n; i++) {
		uint64_t carry = 0;

		for (j = 0; j < BIG_LIMBS; j++) {
			uint64_t t = (uint64_t)out[j] * f[i] + carry;

			out[j] = (uint32_t)t;
			carry = t >> 32;
		}
	}
}

static int big_le(const uint32_t *a, const uint32_t *b)
{
	int j;

	for (j = BIG_LIMBS - 1; j >= 0; j--)
		if (a[j] != b[j])
			return a[j] < b[j];
	return 1;
}

/*
 * f(V) = Fmax * ((V - Vth)/(Vmax - Vth))^(3/2) * Vmax / V, rounded down to
 * 1 MHz. A frequency f is allowed iff
 *	f^2 * V^2 * (Vmax - Vth)^3 <= Fmax^2 * Vmax^2 * (V - Vth)^3,
 * two products of seven u32 factors compared exactly; the largest allowed
 * whole MHz is found by bisection. At and above Vmax the law gives Fmax.
 */
uint32_t eb_hw_law_freq_khz(const struct eb_hw *hw, uint32_t volt_uv)
{
	uint32_t d, dmax, lo = 0, hi;
	uint32_t rhs[BIG_LIMBS], lhs[BIG_LIMBS];

	if (volt_uv <= EB_VTH_UV || hw->volt_max_uv <= EB_VTH_UV)
		return 0;
	if (volt_uv >= hw->volt_max_uv)
		return hw->freq_max_khz / 1000 * 1000;
	d = volt_uv - EB_VTH_UV;
	dmax = hw->volt_max_uv - EB_VTH_UV;
	big_product((const uint32_t[]){ hw->freq_max_khz, hw->freq_max_khz,
					hw->volt_max_uv, hw->volt_max_uv, d, d, d },
		    7, rhs);
	hi = hw->freq_max_khz / 1000;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo + 1) / 2, f = mid * 1000;

		big_product((const uint32_t[]){ f, f, volt_uv, volt_uv, dmax, dmax, dmax },
			    7, lhs);
		if (big_le(lhs, rhs))
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo * 1000;
}

int eb_hw_validate(const struct eb_hw *hw)
{
	uint32_t i;

	if (!hw->mac_lanes || !hw->vector_lanes || !hw->freq_max_khz ||
	    !hw->ldo_step_uv || hw->volt_min_uv <= EB_VTH_UV ||
	    hw->volt_min_uv > hw->volt_max_uv ||
	    !hw->opp_count || hw->opp_count > EB_MAX_OPPS)
		return -EINVAL;
	for (i = 0; i < hw->opp_count; i++) {
		const struct eb_opp *o = &hw->opp[i];

		if (o->volt_uv < hw->volt_min_uv || o->volt_uv > hw->volt_max_uv ||
		    !o->freq_khz || o->freq_khz > eb_hw_law_freq_khz(hw, o->volt_uv))
			return -EINVAL;
		/* Index order is the policy's energy order: strictly rising V, rising f. */
		if (i && (o->volt_uv <= o[-1].volt_uv || o->freq_khz < o[-1].freq_khz))
			return -EINVAL;
	}
	return 0;
}

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

void eb_work_add(struct eb_work *acc, const struct eb_work *w)
{
	acc->macs += w->macs;
	acc->macs_gated += w->macs_gated;
	acc->vector_ops += w->vector_ops;
	acc->envm_bytes += w->envm_bytes;
	acc->sram_bytes += w->sram_bytes;
}

/*
 * Embedding: word vectors (AdaptivFloat8, sparse) come from eNVM; position
 * and token-type vectors and the E->H projection from SRAM. Per token: two
 * adds of E lanes, a layernorm over E, the projection E*H.
 */
void eb_work_embed(const struct eb_dims *d, uint32_t seq, uint64_t envm_bytes,
		   struct eb_work *w)
{
	uint64_t s = seq, e = d->embed_dim, h = d->hidden;

	*w = (struct eb_work){
		.macs = s * e * h,
		.vector_ops = s * e * (2 * EB_VOPS_ADD + EB_VOPS_LAYERNORM),
		.envm_bytes = envm_bytes,
		.sram_bytes = e * h + 2 * s * e,
	};
}

/*
 * One encoder layer over seq tokens. Weights (4 H*H attention matrices, the
 * two H*F FFN matrices) are read once from SRAM per layer and used by every
 * token, so each zero weight gates seq MACs.
 */
void eb_work_layer(const struct eb_dims *d, uint32_t seq, const uint32_t *span_keys,
		   uint64_t zero_weights, struct eb_work *w)
{
	uint64_t s = seq, h = d->hidden, f = d->ffn;
	uint64_t dh = d->heads ? h / d->heads : 0, weights = 4 * h * h + 2 * h * f;
	uint32_t i;

	*w = (struct eb_work){
		/* Q, K, V and output projections, FFN in and out. */
		.macs = 4 * s * h * h + 2 * s * h * f,
		/* Two layernorms, two residual adds, GELU over F. */
		.vector_ops = s * h * 2 * (EB_VOPS_LAYERNORM + EB_VOPS_ADD) + s * f * EB_VOPS_GELU,
		.sram_bytes = weights,
	};
	for (i = 0; i < d->heads && i < EB_MAX_HEADS; i++) {
		uint64_t keys = span_keys[i] < seq ? span_keys[i] : seq;

		/* Scores Q.K^T and context P.V over the head's span only. */
		w->macs += 2 * s * keys * dh;
		w->vector_ops += s * keys * EB_VOPS_SOFTMAX;
	}
	w->macs_gated = zero_weights * s;
	if (w->macs_gated > w->macs)
		w->macs_gated = w->macs;
}

/* Off-ramp on [CLS]: Linear(H,H), tanh, Linear(H,labels), softmax, entropy. */
void eb_work_offramp(const struct eb_dims *d, uint32_t labels, struct eb_work *w)
{
	uint64_t h = d->hidden, l = labels;

	*w = (struct eb_work){
		.macs = h * h + h * l,
		.vector_ops = h * EB_VOPS_TANH + l * (EB_VOPS_SOFTMAX + EB_VOPS_ENTROPY),
		.sram_bytes = h * h + h * l,
	};
}

/* x * (v / vmax)^2 and x * v / vmax, v <= vmax < 2^32, x small enough. */
static uint64_t scale_v2(uint64_t x, uint32_t v, uint32_t vmax)
{
	return x * v / vmax * v / vmax;
}

/* Leakage power at v, in nW (nW * ns = aJ). */
static uint64_t leak_nw(const struct eb_hw *hw, uint32_t v)
{
	return (uint64_t)hw->leakage_uw * 1000 * v / hw->volt_max_uv;
}

/*
 * cycles = ceil(macs / mac_lanes) + ceil(vector_ops / vector_lanes): the
 * special functions consume the MAC array's results, so they do not overlap.
 * ns = ceil(cycles / f). Energy (rounded to the nearest pJ):
 *	(macs - gated + gated / EB_GATED_MAC_DIV) * E_mac * (V/Vmax)^2
 *	+ vector_ops * E_vec * (V/Vmax)^2
 *	+ P_leak * (V/Vmax) * ns
 *	+ envm_bytes * E_envm + sram_bytes * E_sram	(memories: fixed rail)
 * Per-op energies at V are computed once in aJ, then multiplied by counts.
 */
void eb_cost_of(const struct eb_hw *hw, const struct eb_work *w, uint32_t opp,
		struct eb_cost *c)
{
	const struct eb_opp *o;
	uint32_t v, vmax = hw->volt_max_uv;
	uint64_t gated, mac_aj, vec_aj, aj;

	if (!hw->opp_count) {
		*c = (struct eb_cost){ 0 };
		return;
	}
	/* Callers pass a validated index; clamp rather than read out of bounds. */
	o = &hw->opp[opp < hw->opp_count ? opp : hw->opp_count - 1];
	v = o->volt_uv < vmax ? o->volt_uv : vmax;

	c->cycles = ceil_div(w->macs, hw->mac_lanes) +
		    ceil_div(w->vector_ops, hw->vector_lanes);
	c->ns = o->freq_khz ? ceil_div(c->cycles * NS_PER_KHZ_CYCLE, o->freq_khz) : 0;

	mac_aj = scale_v2((uint64_t)hw->mac_energy_fj * AJ_PER_FJ, v, vmax);
	vec_aj = scale_v2((uint64_t)hw->vector_energy_fj * AJ_PER_FJ, v, vmax);
	gated = w->macs_gated < w->macs ? w->macs_gated : w->macs;

	aj = (w->macs - gated) * mac_aj + gated * mac_aj / EB_GATED_MAC_DIV +
	     w->vector_ops * vec_aj + leak_nw(hw, v) * c->ns +
	     (w->envm_bytes * hw->envm_read_fj_per_byte +
	      w->sram_bytes * hw->sram_read_fj_per_byte) * AJ_PER_FJ;
	c->energy_pj = (aj + AJ_PER_PJ / 2) / AJ_PER_PJ;
}

uint64_t eb_transition_ns(const struct eb_hw *hw, uint32_t from, uint32_t to)
{
	const struct eb_opp *a, *b;
	uint32_t dv;

	if (from >= hw->opp_count || to >= hw->opp_count || from == to)
		return 0;
	a = &hw->opp[from];
	b = &hw->opp[to];
	dv = a->volt_uv > b->volt_uv ? a->volt_uv - b->volt_uv : b->volt_uv - a->volt_uv;
	return (hw->ldo_step_uv ? ceil_div(dv, hw->ldo_step_uv) : 0) * hw->ldo_settle_ns +
	       (a->freq_khz != b->freq_khz ? hw->adpll_relock_ns : 0);
}

uint64_t eb_transition_pj(const struct eb_hw *hw, uint32_t from, uint32_t to)
{
	uint32_t v;

	if (from >= hw->opp_count || to >= hw->opp_count || from == to)
		return 0;
	v = hw->opp[from].volt_uv > hw->opp[to].volt_uv ? hw->opp[from].volt_uv :
							   hw->opp[to].volt_uv;
	if (v > hw->volt_max_uv)
		v = hw->volt_max_uv;
	return (leak_nw(hw, v) * eb_transition_ns(hw, from, to) + AJ_PER_PJ / 2) / AJ_PER_PJ;
}
