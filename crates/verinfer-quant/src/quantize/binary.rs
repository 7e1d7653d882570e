//! Elementwise binary nodes (`Mul`, `Add`/`Sub`/`Max`/`Min`): the operands' multipliers at a
//! common scale, the accumulator's scale and the output's (docs/quantization.md).

use super::*;

impl Q<'_> {
    pub(super) fn binary(
        &mut self,
        i: usize,
        kind: BinaryKind,
        af: f64,
        bf: f64,
        s_stat: i32,
    ) -> Result<(Operand, TensorInfo), QuantError> {
        let fnode = &self.fg.nodes[i];
        let (name, origin, shape) = (
            fnode.name.clone(),
            fnode.origin.clone(),
            Shape(fnode.shape.clone()),
        );
        let (ra, rb) = (fnode.inputs[0], fnode.inputs[1]);
        let bits = self.bits;
        let Mults {
            a,
            b,
            a_mult,
            b_mult,
            s_acc,
            s_out,
        } = if kind == BinaryKind::Mul {
            let (m, k) = factor(af * bf);
            let (a, b) = self.mul_operands(ra, rb, m)?;
            let s_exact =
                a.1.scale.exponent() + b.1.scale.exponent() + i32::try_from(k).unwrap_or(0);
            Mults {
                a,
                b,
                a_mult: m,
                b_mult: 1,
                s_acc: s_exact,
                s_out: s_stat,
            }
        } else {
            self.add_operands(ra, rb, kind, af, bf, s_stat)?
        };
        let out = facts(shape, s_out, bits)?;
        let op = Op::Binary(Binary {
            kind,
            a_mult,
            b_mult,
            requant: requant_to(s_acc, s_out, bits),
        });
        Ok(self.push_node(name, origin, op, vec![a.0, b.0], out))
    }

    /// Add/Sub/Max/Min: the operands (a constant side takes the other side's scale), their
    /// multipliers `af`, `bf` at a common scale, the accumulator's scale and the output's.
    fn add_operands(
        &mut self,
        ra: FRef,
        rb: FRef,
        kind: BinaryKind,
        af: f64,
        bf: f64,
        s_stat: i32,
    ) -> Result<Mults, QuantError> {
        let (a, b) = match (ra, rb) {
            (FRef::Const(_), other) => {
                let bo = self.operand(other, None)?;
                (self.operand(ra, Some(bo.1.scale.exponent()))?, bo)
            }
            (other, FRef::Const(_)) => {
                let ao = self.operand(other, None)?;
                let bs = ao.1.scale.exponent();
                (ao, self.operand(rb, Some(bs))?)
            }
            _ => (self.operand(ra, None)?, self.operand(rb, None)?),
        };
        let (sa, sb) = (a.1.scale.exponent(), b.1.scale.exponent());
        let sc = sa.max(sb);
        let am = af * 2f64.powi(sc - sa);
        let bm = bf * 2f64.powi(sc - sb);
        let integral = am.fract() == 0.0
            && bm.fract() == 0.0
            && am.abs() < 2f64.powi(31)
            && bm.abs() < 2f64.powi(31);
        let extra = if integral {
            0
        } else {
            #[allow(clippy::cast_possible_truncation)]
            let e = am.abs().max(bm.abs()).log2().floor() as i32;
            (MULT_BITS - 1 - e).clamp(0, 40)
        };
        #[allow(clippy::cast_possible_truncation)]
        let (am_q, bm_q) = (
            (am * 2f64.powi(extra)).round() as i64,
            (bm * 2f64.powi(extra)).round() as i64,
        );
        let s_out = match kind {
            BinaryKind::Max | BinaryKind::Min => s_stat.min(sc),
            _ => s_stat,
        };
        Ok(Mults {
            a,
            b,
            a_mult: am_q,
            b_mult: bm_q,
            s_acc: sc + extra,
            s_out,
        })
    }
}

/// A binary node's operands, their multipliers, the scale of `a_mult·a ∘ b_mult·b` and the
/// output's.
struct Mults {
    a: (Operand, TensorInfo),
    b: (Operand, TensorInfo),
    a_mult: i64,
    b_mult: i64,
    s_acc: i32,
    s_out: i32,
}
