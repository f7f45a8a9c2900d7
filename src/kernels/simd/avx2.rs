//! AVX2+FMA implementation of `Simd` for `f32` (8 lanes) and `f64` (4 lanes).
//!
//! Every `unsafe` block here calls intrinsics that need avx/avx2/fma; they are sound because
//! an `Avx2` value exists only after `try_new` saw those features at run time.

use std::arch::x86_64::*;
use std::mem::MaybeUninit;

use super::Simd;

/// Proof that the CPU has AVX2 and FMA.
#[derive(Clone, Copy, Debug)]
pub struct Avx2 {
    _proof: (),
}

impl Avx2 {
    /// Returns the token if this CPU supports AVX2 and FMA.
    pub fn try_new() -> Option<Self> {
        (is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")).then_some(Self { _proof: () })
    }
}

const ROUND_NEAREST: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

impl Simd<f32> for Avx2 {
    const LANES: usize = 8;
    type V = __m256;
    type M = __m256;

    #[inline(always)]
    fn splat(self, x: f32) -> __m256 {
        // SAFETY: the token proves avx (see module docs).
        unsafe { _mm256_set1_ps(x) }
    }
    #[inline(always)]
    fn load(self, src: &[f32]) -> __m256 {
        let src = &src[..8];
        // SAFETY: the token proves avx; `src` has 8 elements, unaligned access is allowed.
        unsafe { _mm256_loadu_ps(src.as_ptr()) }
    }
    #[inline(always)]
    fn store(self, dst: &mut [f32], v: __m256) {
        let dst = &mut dst[..8];
        // SAFETY: the token proves avx; `dst` has 8 writable elements.
        unsafe { _mm256_storeu_ps(dst.as_mut_ptr(), v) }
    }
    #[inline(always)]
    fn store_uninit(self, dst: &mut [MaybeUninit<f32>], v: __m256) {
        let dst = &mut dst[..8];
        // SAFETY: the token proves avx; `dst` has 8 writable elements.
        unsafe { _mm256_storeu_ps(dst.as_mut_ptr().cast::<f32>(), v) }
    }
    #[inline(always)]
    fn stream(self, dst: &mut [MaybeUninit<f32>], v: __m256) {
        let dst = &mut dst[..8];
        assert!(dst.as_ptr().addr().is_multiple_of(32), "unaligned stream store");
        // SAFETY: the token proves avx; `dst` has 8 writable elements, 32-byte aligned.
        unsafe { _mm256_stream_ps(dst.as_mut_ptr().cast::<f32>(), v) }
    }
    #[inline(always)]
    fn fence(self) {
        // SAFETY: sfence is SSE, implied by the token's features.
        unsafe { _mm_sfence() }
    }
    #[inline(always)]
    fn add(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves avx.
        unsafe { _mm256_add_ps(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves avx.
        unsafe { _mm256_sub_ps(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves avx.
        unsafe { _mm256_mul_ps(a, b) }
    }
    #[inline(always)]
    fn div(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves avx.
        unsafe { _mm256_div_ps(a, b) }
    }
    #[inline(always)]
    fn mul_add(self, a: __m256, b: __m256, c: __m256) -> __m256 {
        // SAFETY: the token proves fma.
        unsafe { _mm256_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    fn min(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves avx.
        unsafe { _mm256_min_ps(a, b) }
    }
    #[inline(always)]
    fn max(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves avx.
        unsafe { _mm256_max_ps(a, b) }
    }
    #[inline(always)]
    fn sqrt(self, a: __m256) -> __m256 {
        // SAFETY: the token proves avx.
        unsafe { _mm256_sqrt_ps(a) }
    }
    #[inline(always)]
    fn abs(self, a: __m256) -> __m256 {
        // SAFETY: the token proves avx.
        unsafe { _mm256_andnot_ps(_mm256_set1_ps(-0.0), a) }
    }
    #[inline(always)]
    fn neg(self, a: __m256) -> __m256 {
        // SAFETY: the token proves avx.
        unsafe { _mm256_xor_ps(_mm256_set1_ps(-0.0), a) }
    }
    #[inline(always)]
    fn or_sign(self, mag: __m256, sign: __m256) -> __m256 {
        // SAFETY: the token proves avx.
        unsafe { _mm256_or_ps(mag, _mm256_and_ps(sign, _mm256_set1_ps(-0.0))) }
    }
    #[inline(always)]
    fn round(self, a: __m256) -> __m256 {
        // SAFETY: the token proves avx.
        unsafe { _mm256_round_ps::<ROUND_NEAREST>(a) }
    }
    #[inline(always)]
    fn scale2(self, x: __m256, n: __m256) -> __m256 {
        // Two half-size factors so that 2^n1 and 2^n2 are both normal floats even when 2^n
        // itself is subnormal or overflows: one final rounding, correct under/overflow.
        // SAFETY: the token proves avx2.
        unsafe {
            let ni = _mm256_cvtps_epi32(n);
            let n1 = _mm256_srai_epi32::<1>(ni);
            let n2 = _mm256_sub_epi32(ni, n1);
            let bias = _mm256_set1_epi32(127);
            let p1 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(n1, bias)));
            let p2 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(n2, bias)));
            _mm256_mul_ps(_mm256_mul_ps(x, p1), p2)
        }
    }
    #[inline(always)]
    fn frexp(self, x: __m256) -> (__m256, __m256) {
        // SAFETY: the token proves avx2.
        unsafe {
            let bits = _mm256_castps_si256(x);
            let e = _mm256_sub_epi32(_mm256_srli_epi32::<23>(bits), _mm256_set1_epi32(127));
            let m = _mm256_or_si256(
                _mm256_and_si256(bits, _mm256_set1_epi32(0x007f_ffff)),
                _mm256_set1_epi32(0x3f80_0000),
            );
            (_mm256_castsi256_ps(m), _mm256_cvtepi32_ps(e))
        }
    }
    #[inline(always)]
    fn gt(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves avx.
        unsafe { _mm256_cmp_ps::<_CMP_GT_OQ>(a, b) }
    }
    #[inline(always)]
    fn ge(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves avx.
        unsafe { _mm256_cmp_ps::<_CMP_GE_OQ>(a, b) }
    }
    #[inline(always)]
    fn lt(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves avx.
        unsafe { _mm256_cmp_ps::<_CMP_LT_OQ>(a, b) }
    }
    #[inline(always)]
    fn eq(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves avx.
        unsafe { _mm256_cmp_ps::<_CMP_EQ_OQ>(a, b) }
    }
    #[inline(always)]
    fn is_nan(self, a: __m256) -> __m256 {
        // SAFETY: the token proves avx.
        unsafe { _mm256_cmp_ps::<_CMP_UNORD_Q>(a, a) }
    }
    #[inline(always)]
    fn mask_or(self, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves avx.
        unsafe { _mm256_or_ps(a, b) }
    }
    #[inline(always)]
    fn mask_not(self, a: __m256) -> __m256 {
        // SAFETY: the token proves avx.
        unsafe { _mm256_xor_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(-1))) }
    }
    #[inline(always)]
    fn mask_any(self, a: __m256) -> bool {
        // SAFETY: the token proves avx.
        unsafe { _mm256_movemask_ps(a) != 0 }
    }
    #[inline(always)]
    fn select(self, m: __m256, a: __m256, b: __m256) -> __m256 {
        // SAFETY: the token proves avx.
        unsafe { _mm256_blendv_ps(b, a, m) }
    }
}

impl Simd<f64> for Avx2 {
    const LANES: usize = 4;
    type V = __m256d;
    type M = __m256d;

    #[inline(always)]
    fn splat(self, x: f64) -> __m256d {
        // SAFETY: the token proves avx.
        unsafe { _mm256_set1_pd(x) }
    }
    #[inline(always)]
    fn load(self, src: &[f64]) -> __m256d {
        let src = &src[..4];
        // SAFETY: the token proves avx; `src` has 4 elements, unaligned access is allowed.
        unsafe { _mm256_loadu_pd(src.as_ptr()) }
    }
    #[inline(always)]
    fn store(self, dst: &mut [f64], v: __m256d) {
        let dst = &mut dst[..4];
        // SAFETY: the token proves avx; `dst` has 4 writable elements.
        unsafe { _mm256_storeu_pd(dst.as_mut_ptr(), v) }
    }
    #[inline(always)]
    fn store_uninit(self, dst: &mut [MaybeUninit<f64>], v: __m256d) {
        let dst = &mut dst[..4];
        // SAFETY: the token proves avx; `dst` has 4 writable elements.
        unsafe { _mm256_storeu_pd(dst.as_mut_ptr().cast::<f64>(), v) }
    }
    #[inline(always)]
    fn stream(self, dst: &mut [MaybeUninit<f64>], v: __m256d) {
        let dst = &mut dst[..4];
        assert!(dst.as_ptr().addr().is_multiple_of(32), "unaligned stream store");
        // SAFETY: the token proves avx; `dst` has 4 writable elements, 32-byte aligned.
        unsafe { _mm256_stream_pd(dst.as_mut_ptr().cast::<f64>(), v) }
    }
    #[inline(always)]
    fn fence(self) {
        // SAFETY: sfence is SSE, implied by the token's features.
        unsafe { _mm_sfence() }
    }
    #[inline(always)]
    fn add(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: the token proves avx.
        unsafe { _mm256_add_pd(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: the token proves avx.
        unsafe { _mm256_sub_pd(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: the token proves avx.
        unsafe { _mm256_mul_pd(a, b) }
    }
    #[inline(always)]
    fn div(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: the token proves avx.
        unsafe { _mm256_div_pd(a, b) }
    }
    #[inline(always)]
    fn mul_add(self, a: __m256d, b: __m256d, c: __m256d) -> __m256d {
        // SAFETY: the token proves fma.
        unsafe { _mm256_fmadd_pd(a, b, c) }
    }
    #[inline(always)]
    fn min(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: the token proves avx.
        unsafe { _mm256_min_pd(a, b) }
    }
    #[inline(always)]
    fn max(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: the token proves avx.
        unsafe { _mm256_max_pd(a, b) }
    }
    #[inline(always)]
    fn sqrt(self, a: __m256d) -> __m256d {
        // SAFETY: the token proves avx.
        unsafe { _mm256_sqrt_pd(a) }
    }
    #[inline(always)]
    fn abs(self, a: __m256d) -> __m256d {
        // SAFETY: the token proves avx.
        unsafe { _mm256_andnot_pd(_mm256_set1_pd(-0.0), a) }
    }
    #[inline(always)]
    fn neg(self, a: __m256d) -> __m256d {
        // SAFETY: the token proves avx.
        unsafe { _mm256_xor_pd(_mm256_set1_pd(-0.0), a) }
    }
    #[inline(always)]
    fn or_sign(self, mag: __m256d, sign: __m256d) -> __m256d {
        // SAFETY: the token proves avx.
        unsafe { _mm256_or_pd(mag, _mm256_and_pd(sign, _mm256_set1_pd(-0.0))) }
    }
    #[inline(always)]
    fn round(self, a: __m256d) -> __m256d {
        // SAFETY: the token proves avx.
        unsafe { _mm256_round_pd::<ROUND_NEAREST>(a) }
    }
    #[inline(always)]
    fn scale2(self, x: __m256d, n: __m256d) -> __m256d {
        // Same two-factor scheme as f32; |n| <= 2044 fits the 32-bit conversion.
        // SAFETY: the token proves avx2.
        unsafe {
            let ni = _mm256_cvtpd_epi32(n);
            let n1 = _mm_srai_epi32::<1>(ni);
            let n2 = _mm_sub_epi32(ni, n1);
            let bias = _mm_set1_epi32(1023);
            let pow2 = |k: __m128i| {
                _mm256_castsi256_pd(_mm256_slli_epi64::<52>(_mm256_cvtepi32_epi64(_mm_add_epi32(
                    k, bias,
                ))))
            };
            _mm256_mul_pd(_mm256_mul_pd(x, pow2(n1)), pow2(n2))
        }
    }
    #[inline(always)]
    fn frexp(self, x: __m256d) -> (__m256d, __m256d) {
        // AVX2 has no i64 -> f64 conversion: the exponent field is placed in the mantissa of
        // 2^52 and 2^52 + 1023 is subtracted back out.
        // SAFETY: the token proves avx2.
        unsafe {
            let bits = _mm256_castpd_si256(x);
            let magic = _mm256_set1_epi64x(0x4330_0000_0000_0000);
            let e_bits = _mm256_or_si256(_mm256_srli_epi64::<52>(bits), magic);
            let e = _mm256_sub_pd(
                _mm256_castsi256_pd(e_bits),
                _mm256_set1_pd(4_503_599_627_371_519.0),
            );
            let m = _mm256_or_si256(
                _mm256_and_si256(bits, _mm256_set1_epi64x(0x000f_ffff_ffff_ffff)),
                _mm256_set1_epi64x(0x3ff0_0000_0000_0000),
            );
            (_mm256_castsi256_pd(m), e)
        }
    }
    #[inline(always)]
    fn gt(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: the token proves avx.
        unsafe { _mm256_cmp_pd::<_CMP_GT_OQ>(a, b) }
    }
    #[inline(always)]
    fn ge(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: the token proves avx.
        unsafe { _mm256_cmp_pd::<_CMP_GE_OQ>(a, b) }
    }
    #[inline(always)]
    fn lt(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: the token proves avx.
        unsafe { _mm256_cmp_pd::<_CMP_LT_OQ>(a, b) }
    }
    #[inline(always)]
    fn eq(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: the token proves avx.
        unsafe { _mm256_cmp_pd::<_CMP_EQ_OQ>(a, b) }
    }
    #[inline(always)]
    fn is_nan(self, a: __m256d) -> __m256d {
        // SAFETY: the token proves avx.
        unsafe { _mm256_cmp_pd::<_CMP_UNORD_Q>(a, a) }
    }
    #[inline(always)]
    fn mask_or(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: the token proves avx.
        unsafe { _mm256_or_pd(a, b) }
    }
    #[inline(always)]
    fn mask_not(self, a: __m256d) -> __m256d {
        // SAFETY: the token proves avx.
        unsafe { _mm256_xor_pd(a, _mm256_castsi256_pd(_mm256_set1_epi32(-1))) }
    }
    #[inline(always)]
    fn mask_any(self, a: __m256d) -> bool {
        // SAFETY: the token proves avx.
        unsafe { _mm256_movemask_pd(a) != 0 }
    }
    #[inline(always)]
    fn select(self, m: __m256d, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: the token proves avx.
        unsafe { _mm256_blendv_pd(b, a, m) }
    }
}
