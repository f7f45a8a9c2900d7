//! Kernel tests: every ISA this CPU has against the scalar reference, with odd offsets and
//! sentinels around the slices, plus accuracy bounds of the vector math.

mod accuracy;
mod elementwise;
mod matmul;
mod nn;
mod reduce;

use super::{Float, Isa};

/// Largest vector width in elements; lengths up to `3 * LANES + 1` cover body, remainder and
/// tail in every ISA.
pub const LANES: usize = 16;
/// Slice start offsets: aligned, and odd ones that misalign every vector access.
pub const OFFSETS: [usize; 3] = [0, 1, 3];
/// Elements of padding on each side of a test slice.
const PAD: usize = 16;

/// Test-only helpers that need the bit layout of the element type.
pub trait TestFloat: Float {
    /// A NaN with a payload no kernel produces, so an over-write is visible even if it
    /// writes NaN.
    fn sentinel() -> Self;
    fn is_sentinel(self) -> bool;
    /// Distance in units in the last place between `self` and an exact reference value.
    fn ulps_from(self, exact: f64) -> f64;
    const EPS: f64;
}

impl TestFloat for f32 {
    fn sentinel() -> Self {
        f32::from_bits(0x7fc0_5a5a)
    }
    fn is_sentinel(self) -> bool {
        self.to_bits() == 0x7fc0_5a5a
    }
    fn ulps_from(self, exact: f64) -> f64 {
        ulps(f64::from(self), exact, 24, -149)
    }
    const EPS: f64 = f32::EPSILON as f64;
}

impl TestFloat for f64 {
    fn sentinel() -> Self {
        f64::from_bits(0x7ff8_0000_5a5a_5a5a)
    }
    fn is_sentinel(self) -> bool {
        self.to_bits() == 0x7ff8_0000_5a5a_5a5a
    }
    fn ulps_from(self, exact: f64) -> f64 {
        ulps(self, exact, 53, -1074)
    }
    const EPS: f64 = f64::EPSILON;
}

/// `|got - exact|` in ulps of a `digits`-bit format whose smallest subnormal is
/// `2^min_exp`. Exact specials (NaN, inf, equal values) count 0 when matched, inf otherwise.
fn ulps(got: f64, exact: f64, digits: i32, min_exp: i32) -> f64 {
    if got == exact || (got.is_nan() && exact.is_nan()) {
        return 0.0;
    }
    if !got.is_finite() || !exact.is_finite() {
        return f64::INFINITY;
    }
    let e = if exact == 0.0 {
        min_exp
    } else {
        (exact.abs().log2().floor() as i32 - (digits - 1)).max(min_exp)
    };
    (got - exact).abs() / 2f64.powi(e)
}

/// The ISAs to test: all that this CPU runs.
pub fn isas() -> Vec<Isa> {
    Isa::available()
}

/// A small deterministic generator (xorshift64*), so tests need no extra crate.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn vec<T: Float>(&mut self, n: usize, lo: f64, hi: f64) -> Vec<T> {
        (0..n).map(|_| T::from_f64(self.uniform(lo, hi))).collect()
    }
}

/// A slice of `len` elements at `offset` inside a buffer padded with sentinels.
pub struct Padded<T: TestFloat> {
    buf: Vec<T>,
    start: usize,
    len: usize,
}

impl<T: TestFloat> Padded<T> {
    pub fn new(values: &[T], offset: usize) -> Self {
        let start = PAD + offset;
        let mut buf = vec![T::sentinel(); start + values.len() + PAD];
        buf[start..start + values.len()].copy_from_slice(values);
        Self {
            buf,
            start,
            len: values.len(),
        }
    }
    pub fn zeros(len: usize, offset: usize) -> Self {
        Self::new(&vec![T::ZERO; len], offset)
    }
    pub fn get(&self) -> &[T] {
        &self.buf[self.start..self.start + self.len]
    }
    pub fn get_mut(&mut self) -> &mut [T] {
        &mut self.buf[self.start..self.start + self.len]
    }
    /// Panics if anything outside the slice changed.
    pub fn check_pads(&self, what: &str) {
        let (before, rest) = self.buf.split_at(self.start);
        let after = &rest[self.len..];
        assert!(
            before.iter().chain(after).all(|x| x.is_sentinel()),
            "{what}: wrote outside the output slice"
        );
    }
}

/// Asserts `got` matches `want` bit-for-bit up to NaN payloads and the sign of zero.
/// Equal values (the sign of a zero included: 0.0 and -0.0 differ here), NaN equal to NaN.
pub fn assert_same<T: Float>(got: &[T], want: &[T], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let same_zero = g.to_f64().is_sign_negative() == w.to_f64().is_sign_negative();
        assert!(
            (g == w && same_zero) || (g.is_nan() && w.is_nan()),
            "{what}: [{i}] got {g:?}, want {w:?}"
        );
    }
}

/// Asserts `|got - want| <= tol * scale` element-wise (NaNs must match).
pub fn assert_close<T: Float>(got: &[T], want: &[T], tol: f64, scale: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let (g, w) = (g.to_f64(), w.to_f64());
        let ok = g == w || (g.is_nan() && w.is_nan()) || (g - w).abs() <= tol * scale.max(w.abs());
        assert!(ok, "{what}: [{i}] got {g:e}, want {w:e} (tol {tol:e})");
    }
}

/// Kahan–Babuška (Neumaier) summation in f64: the reference for sums.
pub fn kahan(x: impl IntoIterator<Item = f64>) -> f64 {
    let (mut sum, mut c) = (0.0f64, 0.0f64);
    for v in x {
        let t = sum + v;
        c += if sum.abs() >= v.abs() {
            (sum - t) + v
        } else {
            (v - t) + sum
        };
        sum = t;
    }
    sum + c
}
