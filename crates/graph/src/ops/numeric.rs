//! Element-type-generic arithmetic for every numeric [`Tensor`] variant: the binary ops with ONNX's integer rules
//! (wrapping arithmetic, Mod's two conventions, Pow into the base's type), comparisons, Max/Min/Mean, Where,
//! BitShift, and the sign-style unary ops that integers have too (Abs, Neg, Sign).
//!
//! The per-type behaviour lives in the [`Elem`] trait so each op is written once and instantiated per type.

use super::{Attributes, GraphError, Tensor, broadcast_shapes, input};
use ndarray::{ArrayD, IxDyn, Zip};

/// What an element type must provide for the generic kernels.
pub(super) trait Elem: Copy + PartialOrd + PartialEq + Default + Send + Sync + 'static {
    /// True for floating types (division by zero is then IEEE, not an error).
    const FLOAT: bool;
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    /// Division; the caller rules out an integer zero divisor.
    fn div(self, o: Self) -> Self;
    /// Mod with `fmod = 0`: the result takes the divisor's sign (integers only; floats need fmod = 1).
    fn modulo(self, o: Self) -> Self;
    /// Mod with `fmod = 1`: C's fmod, the result takes the dividend's sign.
    fn fmod(self, o: Self) -> Self;
    fn abs(self) -> Self;
    fn neg(self) -> Self;
    fn sign(self) -> Self;
    fn to_f64(self) -> f64;
    /// Conversion with `as` semantics (saturating from floats, NaN → 0).
    fn from_f64(v: f64) -> Self;
    fn is_zero(self) -> bool;
}

macro_rules! int_elem {
    ($($t:ty),*) => {$(
        impl Elem for $t {
            const FLOAT: bool = false;
            fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            fn sub(self, o: Self) -> Self { self.wrapping_sub(o) }
            fn mul(self, o: Self) -> Self { self.wrapping_mul(o) }
            fn div(self, o: Self) -> Self { self.wrapping_div(o) }
            fn modulo(self, o: Self) -> Self {
                let r = self.wrapping_rem(o);
                #[allow(unused_comparisons)]
                let differ = (r < 0) != (o < 0);
                if r != 0 && differ { r.wrapping_add(o) } else { r }
            }
            fn fmod(self, o: Self) -> Self { self.wrapping_rem(o) }
            #[allow(unused_comparisons)]
            fn abs(self) -> Self { if self < 0 { (0 as $t).wrapping_sub(self) } else { self } }
            fn neg(self) -> Self { (0 as $t).wrapping_sub(self) }
            #[allow(unused_comparisons)]
            fn sign(self) -> Self { if self > 0 { 1 } else if self < 0 { (0 as $t).wrapping_sub(1) } else { 0 } }
            fn to_f64(self) -> f64 { self as f64 }
            fn from_f64(v: f64) -> Self { v as $t }
            fn is_zero(self) -> bool { self == 0 }
        }
    )*};
}
int_elem!(i8, u8, i16, u16, i32, u32, i64, u64);

impl Elem for f32 {
    const FLOAT: bool = true;
    fn add(self, o: Self) -> Self {
        self + o
    }
    fn sub(self, o: Self) -> Self {
        self - o
    }
    fn mul(self, o: Self) -> Self {
        self * o
    }
    fn div(self, o: Self) -> Self {
        self / o
    }
    fn modulo(self, o: Self) -> Self {
        let r = self % o;
        if r != 0.0 && (r < 0.0) != (o < 0.0) { r + o } else { r }
    }
    fn fmod(self, o: Self) -> Self {
        self % o
    }
    fn abs(self) -> Self {
        self.abs()
    }
    fn neg(self) -> Self {
        -self
    }
    fn sign(self) -> Self {
        if self > 0.0 {
            1.0
        } else if self < 0.0 {
            -1.0
        } else {
            self
        }
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn is_zero(self) -> bool {
        self == 0.0
    }
}

/// Applies `$body` (generic over `$t: Elem`) to the array of any numeric tensor, `$other` for bool.
macro_rules! with_num {
    ($x:expr, $a:ident, $body:expr, $other:expr) => {
        match $x {
            Tensor::F32($a) => $body,
            Tensor::I64($a) => $body,
            Tensor::I32($a) => $body,
            Tensor::I8($a) => $body,
            Tensor::U8($a) => $body,
            Tensor::I16($a) => $body,
            Tensor::U16($a) => $body,
            Tensor::U32($a) => $body,
            Tensor::U64($a) => $body,
            Tensor::Bool(_) => $other,
        }
    };
}

/// Like [`with_num`] for two tensors of the same variant; `$other` when the variants differ or are bool.
macro_rules! with_num2 {
    ($x:expr, $y:expr, $a:ident, $b:ident, $variant:ident, $body:expr, $other:expr) => {
        match ($x, $y) {
            (Tensor::F32($a), Tensor::F32($b)) => {
                #[allow(unused_imports)]
                use Tensor::F32 as $variant;
                $body
            }
            (Tensor::I64($a), Tensor::I64($b)) => {
                #[allow(unused_imports)]
                use Tensor::I64 as $variant;
                $body
            }
            (Tensor::I32($a), Tensor::I32($b)) => {
                #[allow(unused_imports)]
                use Tensor::I32 as $variant;
                $body
            }
            (Tensor::I8($a), Tensor::I8($b)) => {
                #[allow(unused_imports)]
                use Tensor::I8 as $variant;
                $body
            }
            (Tensor::U8($a), Tensor::U8($b)) => {
                #[allow(unused_imports)]
                use Tensor::U8 as $variant;
                $body
            }
            (Tensor::I16($a), Tensor::I16($b)) => {
                #[allow(unused_imports)]
                use Tensor::I16 as $variant;
                $body
            }
            (Tensor::U16($a), Tensor::U16($b)) => {
                #[allow(unused_imports)]
                use Tensor::U16 as $variant;
                $body
            }
            (Tensor::U32($a), Tensor::U32($b)) => {
                #[allow(unused_imports)]
                use Tensor::U32 as $variant;
                $body
            }
            (Tensor::U64($a), Tensor::U64($b)) => {
                #[allow(unused_imports)]
                use Tensor::U64 as $variant;
                $body
            }
            _ => $other,
        }
    };
}
pub(super) use with_num;

/// Broadcasts `a` and `b` to their common shape and combines them elementwise with `f`.
pub(super) fn zip2<T: Copy, U>(
    a: &ArrayD<T>,
    b: &ArrayD<T>,
    attrs: &Attributes,
    f: impl Fn(T, T) -> U,
) -> Result<ArrayD<U>, GraphError> {
    let shape = broadcast_shapes(a.shape(), b.shape(), attrs)?;
    let bad = || GraphError::shape(&attrs.op, format!("cannot broadcast {:?} with {:?}", a.shape(), b.shape()));
    let av = a.broadcast(IxDyn(&shape)).ok_or_else(bad)?;
    let bv = b.broadcast(IxDyn(&shape)).ok_or_else(bad)?;
    Ok(Zip::from(&av).and(&bv).map_collect(|&x, &y| f(x, y)))
}

fn mismatch(op_type: &str, a: &Tensor, b: &Tensor, attrs: &Attributes) -> GraphError {
    GraphError::shape(
        &attrs.op,
        format!(
            "{op_type} needs two numeric inputs of one element type, got {} and {}",
            a.dtype_name(),
            b.dtype_name()
        ),
    )
}

fn binary_elem<T: Elem>(
    op_type: &str,
    a: &ArrayD<T>,
    b: &ArrayD<T>,
    attrs: &Attributes,
) -> Result<ArrayD<T>, GraphError> {
    let int_zero = !T::FLOAT && b.iter().any(|v| v.is_zero());
    if int_zero && matches!(op_type, "Div" | "Mod") {
        return Err(GraphError::shape(&attrs.op, format!("integer {op_type} by zero")));
    }
    match op_type {
        "Add" => zip2(a, b, attrs, T::add),
        "Sub" => zip2(a, b, attrs, T::sub),
        "Mul" => zip2(a, b, attrs, T::mul),
        "Div" => zip2(a, b, attrs, T::div),
        "Max" => zip2(a, b, attrs, |x, y| if x.to_f64().is_nan() || x >= y { x } else { y }),
        "Min" => zip2(a, b, attrs, |x, y| if x.to_f64().is_nan() || x <= y { x } else { y }),
        "Mod" => {
            let fmod = attrs.int_or("fmod", 0)?;
            match fmod {
                0 => zip2(a, b, attrs, T::modulo),
                1 => zip2(a, b, attrs, T::fmod),
                other => Err(GraphError::attribute(&attrs.op, "fmod", format!("must be 0 or 1, got {other}"))),
            }
        }
        _ => Err(GraphError::UnsupportedOp { op: attrs.op.clone(), op_type: op_type.to_string() }),
    }
}

/// Add, Sub, Mul, Div, Max, Min, Mod on two tensors of one numeric element type, numpy-broadcast.
pub(super) fn binary(op_type: &str, a: &Tensor, b: &Tensor, attrs: &Attributes) -> Result<Tensor, GraphError> {
    with_num2!(a, b, x, y, V, Ok(V(binary_elem(op_type, x, y, attrs)?)), Err(mismatch(op_type, a, b, attrs)))
}

/// Max, Min, Sum, Mean of one or more inputs (opset ≥ 8 broadcasts them), folded pairwise.
pub(super) fn variadic(op_type: &str, inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let mut acc = input(inputs, 0, attrs)?.clone();
    let pair = if op_type == "Max" || op_type == "Min" { op_type } else { "Add" };
    for k in 1..inputs.len() {
        acc = binary(pair, &acc, input(inputs, k, attrs)?, attrs)?;
    }
    if op_type == "Mean" {
        let n = inputs.len() as f32;
        return match acc {
            Tensor::F32(a) => Ok(Tensor::F32(a.mapv(|v| v / n))),
            other => Err(GraphError::shape(&attrs.op, format!("Mean needs float inputs, got {}", other.dtype_name()))),
        };
    }
    Ok(acc)
}

/// Pow: the result has the base's element type; the exponent may be any numeric type.
pub(super) fn pow(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let base = input(inputs, 0, attrs)?;
    let exp = input(inputs, 1, attrs)?;
    let e: ArrayD<f64> = with_num!(exp, a, a.mapv(Elem::to_f64), {
        return Err(GraphError::shape(&attrs.op, "Pow's exponent must be numeric, got bool"));
    });
    if let (Tensor::F32(b), Tensor::F32(ex)) = (base, exp) {
        return Ok(Tensor::F32(zip2(b, ex, attrs, f32::powf)?));
    }
    macro_rules! go {
        ($a:expr, $v:ident) => {{
            let b = $a.mapv(Elem::to_f64);
            Tensor::$v(zip2(&b, &e, attrs, |x, y| Elem::from_f64(x.powf(y)))?)
        }};
    }
    Ok(match base {
        Tensor::F32(a) => go!(a, F32),
        Tensor::I64(a) => go!(a, I64),
        Tensor::I32(a) => go!(a, I32),
        Tensor::I8(a) => go!(a, I8),
        Tensor::U8(a) => go!(a, U8),
        Tensor::I16(a) => go!(a, I16),
        Tensor::U16(a) => go!(a, U16),
        Tensor::U32(a) => go!(a, U32),
        Tensor::U64(a) => go!(a, U64),
        Tensor::Bool(_) => return Err(GraphError::shape(&attrs.op, "Pow's base must be numeric, got bool")),
    })
}

/// Equal, Less, Greater, LessOrEqual, GreaterOrEqual → bool (Equal also on bools).
pub(super) fn compare(op_type: &str, inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let a = input(inputs, 0, attrs)?;
    let b = input(inputs, 1, attrs)?;
    fn cmp<T: PartialOrd + Copy>(
        op: &str,
        a: &ArrayD<T>,
        b: &ArrayD<T>,
        attrs: &Attributes,
    ) -> Result<ArrayD<bool>, GraphError> {
        match op {
            "Equal" => zip2(a, b, attrs, |x, y| x == y),
            "Less" => zip2(a, b, attrs, |x, y| x < y),
            "Greater" => zip2(a, b, attrs, |x, y| x > y),
            "LessOrEqual" => zip2(a, b, attrs, |x, y| x <= y),
            _ => zip2(a, b, attrs, |x, y| x >= y),
        }
    }
    if let (Tensor::Bool(x), Tensor::Bool(y)) = (a, b) {
        return Ok(Tensor::Bool(cmp(op_type, x, y, attrs)?));
    }
    with_num2!(a, b, x, y, _V, Ok(Tensor::Bool(cmp(op_type, x, y, attrs)?)), Err(mismatch(op_type, a, b, attrs)))
}

/// And, Or, Xor on bools (broadcast), Not.
pub(super) fn logical(op_type: &str, inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let bools = |i: usize| match input(inputs, i, attrs)? {
        Tensor::Bool(a) => Ok(a),
        other => Err(GraphError::shape(&attrs.op, format!("{op_type} needs bool inputs, got {}", other.dtype_name()))),
    };
    let x = bools(0)?;
    Ok(Tensor::Bool(match op_type {
        "Not" => x.mapv(|v| !v),
        "And" => zip2(x, bools(1)?, attrs, |p, q| p && q)?,
        "Or" => zip2(x, bools(1)?, attrs, |p, q| p || q)?,
        _ => zip2(x, bools(1)?, attrs, |p, q| p ^ q)?,
    }))
}

/// Where(condition, X, Y): three-way numpy broadcast.
pub(super) fn where_op(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let Tensor::Bool(c) = input(inputs, 0, attrs)? else {
        return Err(GraphError::shape(&attrs.op, "Where's condition must be bool"));
    };
    let x = input(inputs, 1, attrs)?;
    let y = input(inputs, 2, attrs)?;
    let shape = broadcast_shapes(&broadcast_shapes(c.shape(), x.shape(), attrs)?, y.shape(), attrs)?;
    let bad =
        || GraphError::shape(&attrs.op, format!("cannot broadcast {:?}, {:?}, {:?}", c.shape(), x.shape(), y.shape()));
    let cv = c.broadcast(IxDyn(&shape)).ok_or_else(bad)?;
    macro_rules! sel {
        ($a:expr, $b:expr) => {{
            let av = $a.broadcast(IxDyn(&shape)).ok_or_else(bad)?;
            let bv = $b.broadcast(IxDyn(&shape)).ok_or_else(bad)?;
            Zip::from(&cv).and(&av).and(&bv).map_collect(|&k, &p, &q| if k { p } else { q })
        }};
    }
    if let (Tensor::Bool(a), Tensor::Bool(b)) = (x, y) {
        return Ok(Tensor::Bool(sel!(a, b)));
    }
    with_num2!(x, y, a, b, V, Ok(V(sel!(a, b))), Err(mismatch("Where", x, y, attrs)))
}

/// Abs, Neg, Sign on any numeric type.
pub(super) fn signed_unary(op_type: &str, x: &Tensor, attrs: &Attributes) -> Result<Tensor, GraphError> {
    macro_rules! go {
        ($a:expr, $v:ident) => {
            Tensor::$v(match op_type {
                "Abs" => $a.mapv(Elem::abs),
                "Neg" => $a.mapv(Elem::neg),
                _ => $a.mapv(Elem::sign),
            })
        };
    }
    Ok(match x {
        Tensor::F32(a) => go!(a, F32),
        Tensor::I64(a) => go!(a, I64),
        Tensor::I32(a) => go!(a, I32),
        Tensor::I8(a) => go!(a, I8),
        Tensor::U8(a) => go!(a, U8),
        Tensor::I16(a) => go!(a, I16),
        Tensor::U16(a) => go!(a, U16),
        Tensor::U32(a) => go!(a, U32),
        Tensor::U64(a) => go!(a, U64),
        Tensor::Bool(_) => {
            return Err(GraphError::shape(&attrs.op, format!("{op_type} needs a numeric input, got bool")));
        }
    })
}

/// BitShift on unsigned integers; `direction` is LEFT or RIGHT, shifts of the width or more give 0.
pub(super) fn bit_shift(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let a = input(inputs, 0, attrs)?;
    let b = input(inputs, 1, attrs)?;
    let left = match attrs.string_or("direction", "")?.as_str() {
        "LEFT" => true,
        "RIGHT" => false,
        other => {
            return Err(GraphError::attribute(&attrs.op, "direction", format!("must be LEFT or RIGHT, got '{other}'")));
        }
    };
    macro_rules! go {
        ($x:expr, $y:expr, $t:ty, $v:ident) => {
            Tensor::$v(zip2($x, $y, attrs, |p: $t, q: $t| {
                // Negative or too-wide shifts leave only the sign fill: -1 for a right shift of a negative value.
                #[allow(unused_comparisons)]
                let s = if q < 0 { None } else { u32::try_from(q).ok().filter(|&s| s < <$t>::BITS) };
                #[allow(unused_comparisons)]
                let fill = if !left && p < 0 { (0 as $t).wrapping_sub(1) } else { 0 };
                match s {
                    Some(s) if left => p.wrapping_shl(s),
                    Some(s) => p.wrapping_shr(s),
                    None => fill,
                }
            })?)
        };
    }
    // Signed types are opset 28 (arithmetic right shift).
    Ok(match (a, b) {
        (Tensor::U8(x), Tensor::U8(y)) => go!(x, y, u8, U8),
        (Tensor::U16(x), Tensor::U16(y)) => go!(x, y, u16, U16),
        (Tensor::U32(x), Tensor::U32(y)) => go!(x, y, u32, U32),
        (Tensor::U64(x), Tensor::U64(y)) => go!(x, y, u64, U64),
        (Tensor::I8(x), Tensor::I8(y)) => go!(x, y, i8, I8),
        (Tensor::I16(x), Tensor::I16(y)) => go!(x, y, i16, I16),
        (Tensor::I32(x), Tensor::I32(y)) => go!(x, y, i32, I32),
        (Tensor::I64(x), Tensor::I64(y)) => go!(x, y, i64, I64),
        _ => {
            return Err(GraphError::shape(
                &attrs.op,
                format!("BitShift needs two integer inputs of one type, got {} and {}", a.dtype_name(), b.dtype_name()),
            ));
        }
    })
}

/// Range(start, limit, delta): `max(ceil((limit - start) / delta), 0)` values.
pub(super) fn range(inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Tensor, GraphError> {
    let scalar = |i: usize| -> Result<&Tensor, GraphError> {
        let t = input(inputs, i, attrs)?;
        if t.len() != 1 {
            return Err(GraphError::shape(
                &attrs.op,
                format!("Range input #{i} must be a scalar, has shape {:?}", t.shape()),
            ));
        }
        Ok(t)
    };
    let (s, l, d) = (scalar(0)?, scalar(1)?, scalar(2)?);
    fn build<T: Elem>(s: T, l: T, d: T, attrs: &Attributes) -> Result<ArrayD<T>, GraphError> {
        if d.is_zero() {
            return Err(GraphError::shape(&attrs.op, "Range's delta is zero"));
        }
        let n = ((l.to_f64() - s.to_f64()) / d.to_f64()).ceil().max(0.0);
        if !n.is_finite() || n > super::MAX_ELEMENTS as f64 {
            return Err(GraphError::TooLarge(format!("op '{}': Range of {n} elements", attrs.op)));
        }
        let n = n as usize;
        let mut v = Vec::with_capacity(n);
        let mut cur = s;
        for _ in 0..n {
            v.push(cur);
            cur = cur.add(d);
        }
        ArrayD::from_shape_vec(IxDyn(&[n]), v).map_err(|e| GraphError::shape(&attrs.op, e.to_string()))
    }
    match (s, l, d) {
        (Tensor::F32(_), Tensor::F32(_), Tensor::F32(_)) => {
            let v = |t: &Tensor| t.to_f32_vec().first().copied().unwrap_or_default();
            Ok(Tensor::F32(build(v(s), v(l), v(d), attrs)?))
        }
        _ => {
            let v = |t: &Tensor| t.to_i64_vec(&attrs.op).map(|v| v.first().copied().unwrap_or_default());
            let out = build(v(s)?, v(l)?, v(d)?, attrs)?;
            Ok(match s {
                Tensor::I32(_) => Tensor::I32(out.mapv(|x| x as i32)),
                Tensor::I16(_) => Tensor::I16(out.mapv(|x| x as i16)),
                _ => Tensor::I64(out),
            })
        }
    }
}
