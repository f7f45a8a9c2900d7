//! The element types the kernels run on (`f32`, `f64`): scalar math used by the reference
//! paths, and the per-type constants (clamps, polynomial coefficients) of the vector math.

use std::fmt::Debug;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub};

use super::Isa;
use super::simd::Kernel;

/// A floating-point element type the kernels support: `f32` or `f64`.
///
/// The trait is sealed; its hidden supertrait carries the per-type dispatch and constants.
pub trait Float:
    Copy
    + Send
    + Sync
    + Debug
    + Default
    + PartialEq
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + Sum
    + 'static
    + sealed::Element
{
    const ZERO: Self;
    const ONE: Self;
    const NAN: Self;
    const INFINITY: Self;
    const NEG_INFINITY: Self;

    /// Converts from `f64` with the usual rounding (`as`).
    fn from_f64(x: f64) -> Self;
    /// Widens (or keeps) to `f64`.
    fn to_f64(self) -> f64;
    fn is_nan(self) -> bool;
    fn abs(self) -> Self;
    fn sqrt(self) -> Self;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn tanh(self) -> Self;
    /// TensorFlow's log of `self` when `self` is subnormal and TensorFlow's answer is not the
    /// -inf that denormals-are-zero (`kernels::flush_denormals`) gives, else None. Decided
    /// from the bits, which denormals-are-zero does not touch.
    fn ln_subnormal(self) -> Option<Self>;

    /// Computes the logistic function `1 / (1 + e^-x)`, in the form that keeps full relative
    /// accuracy on both sides of 0 (`e^x / (1 + e^x)` for negative `x`).
    fn sigmoid(self) -> Self {
        let e = (-self.abs()).exp();
        let num = if self >= Self::ZERO { Self::ONE } else { e };
        num / (Self::ONE + e)
    }
}

pub(crate) mod sealed {
    use super::*;

    /// Per-type plumbing the generic kernels need but callers never name.
    pub trait Element: Sized + 'static {
        /// Runs `k` on `isa` with the vector width of this element type.
        fn dispatch<K: Kernel<Self>>(isa: Isa, k: K) -> K::Output
        where
            Self: Float;

        /// Number of explicit mantissa bits (23 or 52).
        const MANT_BITS: i32;
        /// Smallest positive normal number.
        const MIN_POSITIVE: Self;
        /// `exp` inputs are clamped to `[EXP_MIN, EXP_MAX]`: beyond them the result is
        /// already 0 or +inf, and inside them `2^n` stays in the range `Simd::scale2` handles.
        const EXP_MIN: Self;
        const EXP_MAX: Self;
        /// `ln 2` split so that `n * LN2_HI` is exact for every exponent `n` we meet
        /// (Cody–Waite reduction); `LN2_LO` is the rest.
        const LN2_HI: Self;
        const LN2_LO: Self;
        /// Taylor coefficients `1/2!, 1/3!, ...` of `(e^r - 1 - r) / r^2` on `|r| <= ln2/2`,
        /// lowest degree first, truncated where the next term is below 0.05 ulp.
        const EXPM1_POLY: &'static [Self];
        /// fdlibm's `Lg1..` coefficients: `log(1+f) = 2s + s*R(s^2)`, `s = f/(2+f)`,
        /// `R(z) = z*(Lg1 + z*(Lg2 + ...))`, minimax on `|s| <= 0.1716`.
        const LOG_POLY: &'static [Self];
    }
}

/// Reciprocal factorials `1/k!` for `k = 2..`, the expm1 Taylor tail.
const INV_FACT: [f64; 13] = [
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
    1.0 / 40320.0,
    1.0 / 362880.0,
    1.0 / 3628800.0,
    1.0 / 39916800.0,
    1.0 / 479001600.0,
    1.0 / 6227020800.0,
    1.0 / 87178291200.0,
];

const INV_FACT_F32: [f32; 6] = [
    INV_FACT[0] as f32,
    INV_FACT[1] as f32,
    INV_FACT[2] as f32,
    INV_FACT[3] as f32,
    INV_FACT[4] as f32,
    INV_FACT[5] as f32,
];

impl Float for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const NAN: Self = f32::NAN;
    const INFINITY: Self = f32::INFINITY;
    const NEG_INFINITY: Self = f32::NEG_INFINITY;

    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn is_nan(self) -> bool {
        self.is_nan()
    }
    fn abs(self) -> Self {
        self.abs()
    }
    fn sqrt(self) -> Self {
        self.sqrt()
    }
    fn exp(self) -> Self {
        self.exp()
    }
    fn ln(self) -> Self {
        self.ln()
    }
    fn tanh(self) -> Self {
        self.tanh()
    }
    fn ln_subnormal(self) -> Option<Self> {
        // Bits, not `is_subnormal`: std may classify with float compares, which read 0.
        let mag = self.to_bits() & 0x7fff_ffff;
        if mag == 0 || mag >= 0x0080_0000 {
            return None;
        }
        // TensorFlow's float32 log (Eigen's plog, which takes the exponent from the bits)
        // gives ln(2^-150) for every positive subnormal, and NaN for a negative one.
        Some(if self.to_bits() >> 31 == 1 {
            f32::NAN
        } else {
            (-150.0 * std::f64::consts::LN_2) as f32
        })
    }
}

// Constants are kept digit-for-digit as published (fdlibm, musl) so they can be checked.
#[allow(clippy::excessive_precision)]
impl sealed::Element for f32 {
    fn dispatch<K: Kernel<Self>>(isa: Isa, k: K) -> K::Output {
        super::simd::dispatch::<f32, K>(isa, k)
    }

    const MANT_BITS: i32 = 23;
    const MIN_POSITIVE: Self = f32::MIN_POSITIVE;
    // ln(2^-149) ~ -103.3 and ln(f32::MAX) ~ 88.7, with margin.
    const EXP_MIN: Self = -104.0;
    const EXP_MAX: Self = 89.0;
    // 0x3f317180: the low 12 mantissa bits are zero, so n * LN2_HI is exact for |n| < 2^12.
    const LN2_HI: Self = 0.693_145_751_953_125;
    const LN2_LO: Self = 1.428_606_765_330_187e-6;
    // Degree 7 in total: the first omitted term r^8/8! is ~5e-9 at |r| = ln2/2.
    const EXPM1_POLY: &'static [Self] = &INV_FACT_F32;
    // musl logf's four-term minimax fit, enough for 24 bits.
    const LOG_POLY: &'static [Self] = &[
        0.666_666_626_930_236_816_4,
        0.400_009_721_517_562_866_2,
        0.284_987_866_878_509_521_5,
        0.242_790_788_412_094_116_2,
    ];
}

impl Float for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const NAN: Self = f64::NAN;
    const INFINITY: Self = f64::INFINITY;
    const NEG_INFINITY: Self = f64::NEG_INFINITY;

    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn is_nan(self) -> bool {
        self.is_nan()
    }
    fn abs(self) -> Self {
        self.abs()
    }
    fn sqrt(self) -> Self {
        self.sqrt()
    }
    fn exp(self) -> Self {
        self.exp()
    }
    fn ln(self) -> Self {
        self.ln()
    }
    fn tanh(self) -> Self {
        self.tanh()
    }
    fn ln_subnormal(self) -> Option<Self> {
        // TensorFlow's float64 log reads a subnormal as 0 (-inf), as the vector code does.
        None
    }
}

// Constants are kept digit-for-digit as published (fdlibm, musl) so they can be checked.
#[allow(clippy::excessive_precision)]
impl sealed::Element for f64 {
    fn dispatch<K: Kernel<Self>>(isa: Isa, k: K) -> K::Output {
        super::simd::dispatch::<f64, K>(isa, k)
    }

    const MANT_BITS: i32 = 52;
    const MIN_POSITIVE: Self = f64::MIN_POSITIVE;
    // ln(2^-1074) ~ -744.4 and ln(f64::MAX) ~ 709.8, with margin.
    const EXP_MIN: Self = -746.0;
    const EXP_MAX: Self = 710.0;
    // fdlibm's split: the low 32 bits of LN2_HI are zero.
    const LN2_HI: Self = 6.931_471_803_691_238_164_9e-1;
    const LN2_LO: Self = 1.908_214_929_270_587_700_02e-10;
    // Degree 14 in total: the first omitted term r^15/15! is ~1e-19 at |r| = ln2/2.
    const EXPM1_POLY: &'static [Self] = &INV_FACT;
    const LOG_POLY: &'static [Self] = &[
        6.666_666_666_666_735_130e-1,
        3.999_999_999_940_941_908e-1,
        2.857_142_874_366_239_149e-1,
        2.222_219_843_214_978_396e-1,
        1.818_357_216_161_805_012e-1,
        1.531_383_769_920_937_332e-1,
        1.479_819_860_511_658_591e-1,
    ];
}
