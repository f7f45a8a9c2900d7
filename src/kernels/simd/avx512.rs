//! AVX-512 (F+DQ) implementation of `Simd` for `f32` (16 lanes) and `f64` (8 lanes).
//!
//! Every `unsafe` block here calls intrinsics that need avx512f/avx512dq; they are sound
//! because an `Avx512` value exists only after `try_new` saw those features at run time.
//! AVX-512 brings `scalef`/`getexp`/`getmant`, which replace the bit tricks of the AVX2 path.

use std::arch::x86_64::*;
use std::mem::MaybeUninit;

use super::Simd;

/// Proof that the CPU has AVX-512F and AVX-512DQ (and therefore AVX2 and FMA).
#[derive(Clone, Copy, Debug)]
pub struct Avx512 {
    _proof: (),
}

impl Avx512 {
    /// Returns the token if this CPU supports AVX-512F, AVX-512DQ, AVX2 and FMA.
    pub fn try_new() -> Option<Self> {
        (is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512dq")
            && is_x86_feature_detected!("avx2")
            && is_x86_feature_detected!("fma"))
        .then_some(Self { _proof: () })
    }
}

const ROUND_NEAREST: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

impl Simd<f32> for Avx512 {
    const LANES: usize = 16;
    type V = __m512;
    type M = __mmask16;

    #[inline(always)]
    fn splat(self, x: f32) -> __m512 {
        // SAFETY: the token proves avx512f (see module docs).
        unsafe { _mm512_set1_ps(x) }
    }
    #[inline(always)]
    fn load(self, src: &[f32]) -> __m512 {
        let src = &src[..16];
        // SAFETY: the token proves avx512f; `src` has 16 elements, unaligned access is allowed.
        unsafe { _mm512_loadu_ps(src.as_ptr()) }
    }
    #[inline(always)]
    fn store(self, dst: &mut [f32], v: __m512) {
        let dst = &mut dst[..16];
        // SAFETY: the token proves avx512f; `dst` has 16 writable elements.
        unsafe { _mm512_storeu_ps(dst.as_mut_ptr(), v) }
    }
    #[inline(always)]
    fn store_uninit(self, dst: &mut [MaybeUninit<f32>], v: __m512) {
        let dst = &mut dst[..16];
        // SAFETY: the token proves avx512f; `dst` has 16 writable elements.
        unsafe { _mm512_storeu_ps(dst.as_mut_ptr().cast::<f32>(), v) }
    }
    #[inline(always)]
    fn stream(self, dst: &mut [MaybeUninit<f32>], v: __m512) {
        let dst = &mut dst[..16];
        assert!(dst.as_ptr().addr().is_multiple_of(64), "unaligned stream store");
        // SAFETY: the token proves avx512f; `dst` has 16 writable elements, 64-byte aligned.
        unsafe { _mm512_stream_ps(dst.as_mut_ptr().cast::<f32>(), v) }
    }
    #[inline(always)]
    fn fence(self) {
        // SAFETY: sfence is SSE, implied by the token's features.
        unsafe { _mm_sfence() }
    }
    #[inline(always)]
    fn add(self, a: __m512, b: __m512) -> __m512 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_add_ps(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m512, b: __m512) -> __m512 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_sub_ps(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m512, b: __m512) -> __m512 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_mul_ps(a, b) }
    }
    #[inline(always)]
    fn div(self, a: __m512, b: __m512) -> __m512 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_div_ps(a, b) }
    }
    #[inline(always)]
    fn mul_add(self, a: __m512, b: __m512, c: __m512) -> __m512 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    fn min(self, a: __m512, b: __m512) -> __m512 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_min_ps(a, b) }
    }
    #[inline(always)]
    fn max(self, a: __m512, b: __m512) -> __m512 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_max_ps(a, b) }
    }
    #[inline(always)]
    fn sqrt(self, a: __m512) -> __m512 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_sqrt_ps(a) }
    }
    #[inline(always)]
    fn abs(self, a: __m512) -> __m512 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_abs_ps(a) }
    }
    #[inline(always)]
    fn neg(self, a: __m512) -> __m512 {
        // SAFETY: the token proves avx512dq.
        unsafe { _mm512_xor_ps(_mm512_set1_ps(-0.0), a) }
    }
    #[inline(always)]
    fn or_sign(self, mag: __m512, sign: __m512) -> __m512 {
        // SAFETY: the token proves avx512dq.
        unsafe { _mm512_or_ps(mag, _mm512_and_ps(sign, _mm512_set1_ps(-0.0))) }
    }
    #[inline(always)]
    fn round(self, a: __m512) -> __m512 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_roundscale_ps::<ROUND_NEAREST>(a) }
    }
    #[inline(always)]
    fn scale2(self, x: __m512, n: __m512) -> __m512 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_scalef_ps(x, n) }
    }
    #[inline(always)]
    fn frexp(self, x: __m512) -> (__m512, __m512) {
        // SAFETY: the token proves avx512f.
        unsafe {
            (
                _mm512_getmant_ps::<_MM_MANT_NORM_1_2, _MM_MANT_SIGN_ZERO>(x),
                _mm512_getexp_ps(x),
            )
        }
    }
    #[inline(always)]
    fn gt(self, a: __m512, b: __m512) -> __mmask16 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_cmp_ps_mask::<_CMP_GT_OQ>(a, b) }
    }
    #[inline(always)]
    fn ge(self, a: __m512, b: __m512) -> __mmask16 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_cmp_ps_mask::<_CMP_GE_OQ>(a, b) }
    }
    #[inline(always)]
    fn lt(self, a: __m512, b: __m512) -> __mmask16 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_cmp_ps_mask::<_CMP_LT_OQ>(a, b) }
    }
    #[inline(always)]
    fn eq(self, a: __m512, b: __m512) -> __mmask16 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(a, b) }
    }
    #[inline(always)]
    fn is_nan(self, a: __m512) -> __mmask16 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(a, a) }
    }
    #[inline(always)]
    fn mask_or(self, a: __mmask16, b: __mmask16) -> __mmask16 {
        a | b
    }
    #[inline(always)]
    fn mask_not(self, a: __mmask16) -> __mmask16 {
        !a
    }
    #[inline(always)]
    fn mask_any(self, a: __mmask16) -> bool {
        a != 0
    }
    #[inline(always)]
    fn select(self, m: __mmask16, a: __m512, b: __m512) -> __m512 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_mask_blend_ps(m, b, a) }
    }
}

impl Simd<f64> for Avx512 {
    const LANES: usize = 8;
    type V = __m512d;
    type M = __mmask8;

    #[inline(always)]
    fn splat(self, x: f64) -> __m512d {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_set1_pd(x) }
    }
    #[inline(always)]
    fn load(self, src: &[f64]) -> __m512d {
        let src = &src[..8];
        // SAFETY: the token proves avx512f; `src` has 8 elements, unaligned access is allowed.
        unsafe { _mm512_loadu_pd(src.as_ptr()) }
    }
    #[inline(always)]
    fn store(self, dst: &mut [f64], v: __m512d) {
        let dst = &mut dst[..8];
        // SAFETY: the token proves avx512f; `dst` has 8 writable elements.
        unsafe { _mm512_storeu_pd(dst.as_mut_ptr(), v) }
    }
    #[inline(always)]
    fn store_uninit(self, dst: &mut [MaybeUninit<f64>], v: __m512d) {
        let dst = &mut dst[..8];
        // SAFETY: the token proves avx512f; `dst` has 8 writable elements.
        unsafe { _mm512_storeu_pd(dst.as_mut_ptr().cast::<f64>(), v) }
    }
    #[inline(always)]
    fn stream(self, dst: &mut [MaybeUninit<f64>], v: __m512d) {
        let dst = &mut dst[..8];
        assert!(dst.as_ptr().addr().is_multiple_of(64), "unaligned stream store");
        // SAFETY: the token proves avx512f; `dst` has 8 writable elements, 64-byte aligned.
        unsafe { _mm512_stream_pd(dst.as_mut_ptr().cast::<f64>(), v) }
    }
    #[inline(always)]
    fn fence(self) {
        // SAFETY: sfence is SSE, implied by the token's features.
        unsafe { _mm_sfence() }
    }
    #[inline(always)]
    fn add(self, a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_add_pd(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_sub_pd(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_mul_pd(a, b) }
    }
    #[inline(always)]
    fn div(self, a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_div_pd(a, b) }
    }
    #[inline(always)]
    fn mul_add(self, a: __m512d, b: __m512d, c: __m512d) -> __m512d {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_fmadd_pd(a, b, c) }
    }
    #[inline(always)]
    fn min(self, a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_min_pd(a, b) }
    }
    #[inline(always)]
    fn max(self, a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_max_pd(a, b) }
    }
    #[inline(always)]
    fn sqrt(self, a: __m512d) -> __m512d {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_sqrt_pd(a) }
    }
    #[inline(always)]
    fn abs(self, a: __m512d) -> __m512d {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_abs_pd(a) }
    }
    #[inline(always)]
    fn neg(self, a: __m512d) -> __m512d {
        // SAFETY: the token proves avx512dq.
        unsafe { _mm512_xor_pd(_mm512_set1_pd(-0.0), a) }
    }
    #[inline(always)]
    fn or_sign(self, mag: __m512d, sign: __m512d) -> __m512d {
        // SAFETY: the token proves avx512dq.
        unsafe { _mm512_or_pd(mag, _mm512_and_pd(sign, _mm512_set1_pd(-0.0))) }
    }
    #[inline(always)]
    fn round(self, a: __m512d) -> __m512d {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_roundscale_pd::<ROUND_NEAREST>(a) }
    }
    #[inline(always)]
    fn scale2(self, x: __m512d, n: __m512d) -> __m512d {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_scalef_pd(x, n) }
    }
    #[inline(always)]
    fn frexp(self, x: __m512d) -> (__m512d, __m512d) {
        // SAFETY: the token proves avx512f.
        unsafe {
            (
                _mm512_getmant_pd::<_MM_MANT_NORM_1_2, _MM_MANT_SIGN_ZERO>(x),
                _mm512_getexp_pd(x),
            )
        }
    }
    #[inline(always)]
    fn gt(self, a: __m512d, b: __m512d) -> __mmask8 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_cmp_pd_mask::<_CMP_GT_OQ>(a, b) }
    }
    #[inline(always)]
    fn ge(self, a: __m512d, b: __m512d) -> __mmask8 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_cmp_pd_mask::<_CMP_GE_OQ>(a, b) }
    }
    #[inline(always)]
    fn lt(self, a: __m512d, b: __m512d) -> __mmask8 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_cmp_pd_mask::<_CMP_LT_OQ>(a, b) }
    }
    #[inline(always)]
    fn eq(self, a: __m512d, b: __m512d) -> __mmask8 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(a, b) }
    }
    #[inline(always)]
    fn is_nan(self, a: __m512d) -> __mmask8 {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_cmp_pd_mask::<_CMP_UNORD_Q>(a, a) }
    }
    #[inline(always)]
    fn mask_or(self, a: __mmask8, b: __mmask8) -> __mmask8 {
        a | b
    }
    #[inline(always)]
    fn mask_not(self, a: __mmask8) -> __mmask8 {
        !a
    }
    #[inline(always)]
    fn mask_any(self, a: __mmask8) -> bool {
        a != 0
    }
    #[inline(always)]
    fn select(self, m: __mmask8, a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: the token proves avx512f.
        unsafe { _mm512_mask_blend_pd(m, b, a) }
    }
}
