//! Unit tests of the tensor module: constructors, broadcasting and the plain loops.

use super::*;

/// `dense` and `filled` build what ndarray's n-d constructors build (shape, strides and
/// values) at every rank, zero-size dims included, and refuse a length that does not fit.
#[test]
fn dense_arrays_match_ndarrays_own() {
    let shapes: [&[usize]; 9] = [
        &[],
        &[0],
        &[5],
        &[1, 1],
        &[3, 0],
        &[2, 3],
        &[1, 4],
        &[2, 3, 4],
        &[2, 1, 3, 2],
    ];
    for shape in shapes {
        let n: usize = shape.iter().product();
        let v: Vec<i64> = (0..n as i64).map(|i| 3 * i - 7).collect();
        let want = ArrayD::from_shape_vec(IxDyn(shape), v.clone()).expect("ndarray");
        let got = dense(shape, v).expect("dense");
        assert_eq!(got.shape(), want.shape(), "{shape:?}");
        assert_eq!(got.strides(), want.strides(), "{shape:?}");
        assert_eq!(got, want, "{shape:?}");
        let f = filled(shape, 2.5f32);
        assert_eq!(f, ArrayD::from_elem(IxDyn(shape), 2.5f32), "{shape:?}");
        assert_eq!(f.strides(), want.strides(), "{shape:?}");
        assert!(
            dense(shape, vec![0u8; n + 1]).is_err(),
            "{shape:?} took n + 1 values"
        );
    }
}

#[test]
fn broadcasting_follows_numpy() {
    assert_eq!(broadcast_shape(&[2, 3], &[3]).ok(), Some(vec![2, 3]));
    assert_eq!(broadcast_shape(&[4, 1], &[1, 5]).ok(), Some(vec![4, 5]));
    assert_eq!(broadcast_shape(&[], &[2]).ok(), Some(vec![2]));
    assert_eq!(broadcast_shape(&[0, 1], &[3]).ok(), Some(vec![0, 3]));
    assert!(broadcast_shape(&[2, 3], &[4]).is_err());
}

/// The plain loops (same shape, a single value, repeated rows) agree with ndarray's
/// broadcasting, which a non-contiguous copy of the same operand still takes.
#[test]
fn plain_broadcast_loops_match_ndarray() {
    let arr = |shape: &[usize], seed: usize| {
        let n: usize = shape.iter().product();
        let v = (0..n).map(|i| ((i * 5 + seed) % 17) as f64 - 8.0).collect();
        ArrayD::from_shape_vec(IxDyn(shape), v)
            .expect("shape")
            .into_shared()
    };
    // The same values at every other element of a wider buffer: ndarray's general path.
    let strided = |a: &ArcArray<f64, IxDyn>| {
        if a.ndim() == 0 {
            return a.clone();
        }
        let mut wide_shape = a.shape().to_vec();
        *wide_shape.last_mut().expect("rank >= 1") *= 2;
        let wide: Vec<f64> = a.iter().flat_map(|&v| [v, f64::NAN]).collect();
        let mut v = ArrayD::from_shape_vec(IxDyn(&wide_shape), wide)
            .expect("shape")
            .into_shared();
        v.slice_axis_inplace(ndarray::Axis(a.ndim() - 1), ndarray::Slice::new(0, None, 2));
        assert!(v.as_slice().is_none() || v.len() <= 1);
        v
    };
    let cases: [(&[usize], &[usize]); 7] = [
        (&[1, 2], &[2]),
        (&[2], &[1, 2]),
        (&[3, 4, 5], &[4, 5]),
        (&[1, 5], &[3, 4, 5]),
        (&[2, 3], &[]),
        (&[0, 3], &[3]),
        (&[2, 3], &[2, 3]),
    ];
    let f = |p: f64, q: f64| p * 3.0 - q;
    for (sa, sb) in cases {
        let (a, b) = (arr(sa, 1), arr(sb, 2));
        let fast = zip_broadcast("T", &a, &b, f).expect("broadcastable");
        let general = zip_broadcast("T", &strided(&a), &strided(&b), f).expect("broadcastable");
        assert_eq!(fast, general, "{sa:?} {sb:?}");
    }
}

#[test]
fn values_must_match_the_shape() {
    assert!(Tensor::from_f64s(DType::F32, &[2, 2], &[1.0; 3]).is_err());
    let t = Tensor::from_f64s(DType::I64, &[3], &[1.0, 2.0, 3.0]).expect("valid");
    assert_eq!(t.to_i64_vec(), vec![1, 2, 3]);
    assert_eq!(t.nbytes(), 24);
}

#[test]
fn negative_axes_count_from_the_end() {
    assert_eq!(norm_axis(-1, 3).ok(), Some(2));
    assert!(norm_axis(3, 3).is_err());
    assert!(norm_axis(-4, 3).is_err());
    assert!(norm_axis(0, 0).is_err(), "a scalar has no axis 0");
}
