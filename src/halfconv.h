/* halfconv.h — IEEE half and bfloat16 conversions (bit-exact, round to
 * nearest even). */
#ifndef P2O_HALFCONV_H
#define P2O_HALFCONV_H

#include <stdint.h>
#include <string.h>

static inline float p2o_bits_to_float(uint32_t u)
{
	float f;
	memcpy(&f, &u, 4);
	return f;
}

static inline uint32_t p2o_float_to_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	return u;
}

static inline float p2o_bf16_to_float(uint16_t h)
{
	return p2o_bits_to_float((uint32_t)h << 16);
}

static inline float p2o_half_to_float(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16;
	uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff;

	if (exp == 0x1f) /* inf or nan */
		return p2o_bits_to_float(sign | 0x7f800000u | (man << 13));
	if (exp == 0) {
		if (man == 0)
			return p2o_bits_to_float(sign);
		/* subnormal: man * 2^-24 */
		float v = (float)man * (1.0f / 16777216.0f);
		return sign ? -v : v;
	}
	return p2o_bits_to_float(sign | ((exp + 112) << 23) | (man << 13));
}

static inline uint16_t p2o_float_to_half(float f)
{
	uint32_t u = p2o_float_to_bits(f);
	uint32_t sign = (u >> 16) & 0x8000;
	int32_t exp = (int32_t)((u >> 23) & 0xff) - 127 + 15;
	uint32_t man = u & 0x7fffff;

	if (((u >> 23) & 0xff) == 0xff) /* inf/nan */
		return (uint16_t)(sign | 0x7c00 | (man ? 0x200 : 0));
	if (exp >= 0x1f)
		return (uint16_t)(sign | 0x7c00);
	if (exp <= 0) {
		if (exp < -10)
			return (uint16_t)sign;
		man |= 0x800000;
		uint32_t shift = (uint32_t)(14 - exp);
		uint32_t half = man >> shift;
		uint32_t rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
		if (rem > mid || (rem == mid && (half & 1)))
			half++;
		return (uint16_t)(sign | half);
	}
	uint32_t h = sign | ((uint32_t)exp << 10) | (man >> 13);
	uint32_t rem = man & 0x1fff;
	if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
		h++; /* may carry into the exponent: that is correct rounding */
	return (uint16_t)h;
}

#endif
