//! Decoding graph-digest words back into the IR: the inverse of [`crate::encode`].
//!
//! Its existence is the injectivity argument — every word list decodes to at most one graph
//! (names aside), so two graphs with different semantics never share a digest — and it is the
//! reference for the Solidity arbiter's decoder, which reads one node's words after opening
//! its leaf against the model id.

use thiserror::Error;
use verinfer_ir::{
    AffineMap, AffineRow, Binary, Bits, Contract, Div, Gather, ISqrt, Lookup, Move, Op, Operand,
    ParamId, ParamKind, Reduce, Requant, Scale, Shape, TensorInfo, ValueId,
};

use crate::encode::{
    tag, Word, BINARY_KINDS, ENCODING_VERSION, GRAPH_DOMAIN, PARAM_KINDS, REDUCE_KINDS,
};

/// Words that are not a valid encoding.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DecodeError {
    /// The words end early.
    #[error("words end at {at} while reading {what}")]
    Truncated {
        /// Position.
        at: usize,
        /// What was being read.
        what: &'static str,
    },
    /// A word outside the range of the field it encodes.
    #[error("word {at} = {word} is not a valid {what}")]
    Invalid {
        /// Position.
        at: usize,
        /// The word.
        word: Word,
        /// Field.
        what: &'static str,
    },
    /// Words left over after a complete encoding.
    #[error("{0} words left over after a complete encoding")]
    Trailing(usize),
}

/// A decoded node leaf (everything but the name and origin).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSemantics {
    /// The primitive.
    pub op: Op,
    /// Operands.
    pub inputs: Vec<Operand>,
    /// Facts of each operand, in operand order.
    pub input_infos: Vec<TensorInfo>,
    /// Facts of the parameter the op names in its attributes (a `Lookup`'s table, a `Move`'s
    /// index map); `None` for the other ops.
    pub attr_info: Option<TensorInfo>,
    /// Output facts.
    pub out: TensorInfo,
}

/// A decoded parameter entry of the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamHeader {
    /// Role.
    pub kind: ParamKind,
    /// Shape, scale, bound.
    pub info: TensorInfo,
    /// Element count.
    pub len: u64,
}

/// A decoded header leaf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphHeader {
    /// Input facts.
    pub inputs: Vec<TensorInfo>,
    /// Parameter entries.
    pub params: Vec<ParamHeader>,
    /// Output value ids.
    pub outputs: Vec<ValueId>,
    /// Number of nodes.
    pub num_nodes: u64,
}

struct Dec<'a> {
    w: &'a [Word],
    at: usize,
}

impl Dec<'_> {
    fn next(&mut self, what: &'static str) -> Result<Word, DecodeError> {
        let v = *self
            .w
            .get(self.at)
            .ok_or(DecodeError::Truncated { at: self.at, what })?;
        self.at += 1;
        Ok(v)
    }

    fn int<T: TryFrom<Word>>(&mut self, what: &'static str) -> Result<T, DecodeError> {
        let at = self.at;
        let word = self.next(what)?;
        T::try_from(word).map_err(|_| DecodeError::Invalid { at, word, what })
    }

    fn invalid(&self, word: Word, what: &'static str) -> DecodeError {
        DecodeError::Invalid {
            at: self.at.saturating_sub(1),
            word,
            what,
        }
    }

    /// A kind word: the index of the kind in `kinds`, the encoder's word order.
    fn kind<K: Copy>(&mut self, kinds: &[K], what: &'static str) -> Result<K, DecodeError> {
        let w = self.next(what)?;
        usize::try_from(w)
            .ok()
            .and_then(|i| kinds.get(i).copied())
            .ok_or_else(|| self.invalid(w, what))
    }

    /// A length prefix, bounded by the words left (each element takes at least one word).
    fn len(&mut self, what: &'static str) -> Result<usize, DecodeError> {
        let at = self.at;
        let n: usize = self.int(what)?;
        if n > self.w.len() - self.at {
            return Err(DecodeError::Invalid {
                at,
                word: n as Word,
                what,
            });
        }
        Ok(n)
    }

    fn usizes(&mut self, what: &'static str) -> Result<Vec<usize>, DecodeError> {
        let n = self.len(what)?;
        (0..n).map(|_| self.int(what)).collect()
    }

    fn i64s(&mut self, what: &'static str) -> Result<Vec<i64>, DecodeError> {
        let n = self.len(what)?;
        (0..n).map(|_| self.int(what)).collect()
    }

    fn bits(&mut self) -> Result<Bits, DecodeError> {
        let b: u32 = self.int("bits")?;
        Bits::new(b).map_err(|_| self.invalid(Word::from(b), "bits"))
    }

    fn info(&mut self) -> Result<TensorInfo, DecodeError> {
        let shape = Shape(self.usizes("shape")?);
        let s: i32 = self.int("scale")?;
        let scale = Scale::new(s).map_err(|_| self.invalid(Word::from(s), "scale"))?;
        let bits = self.bits()?;
        Ok(TensorInfo { shape, scale, bits })
    }

    /// The parameter an op names in its attributes and its facts.
    fn attr_param(&mut self, what: &'static str) -> Result<(ParamId, TensorInfo), DecodeError> {
        let p = ParamId(self.int(what)?);
        Ok((p, self.info()?))
    }

    /// The layout of the ops that name a parameter (Lookup, Move): its id and facts (the facts
    /// kept in `info`), then one integer attribute.
    fn param_and_int(
        &mut self,
        param: &'static str,
        int: &'static str,
        info: &mut Option<TensorInfo>,
    ) -> Result<(ParamId, i32), DecodeError> {
        let (p, facts) = self.attr_param(param)?;
        *info = Some(facts);
        Ok((p, self.int(int)?))
    }

    fn requant(&mut self) -> Result<Requant, DecodeError> {
        Ok(Requant {
            mult: self.int("requant mult")?,
            shift: self.int("requant shift")?,
            bits: self.bits()?,
        })
    }

    fn map(&mut self) -> Result<AffineMap, DecodeError> {
        let n = self.len("affine rows")?;
        let rows = (0..n)
            .map(|_| {
                Ok(AffineRow {
                    out: self.i64s("affine out coefficients")?,
                    red: self.i64s("affine reduction coefficients")?,
                    offset: self.int("affine offset")?,
                })
            })
            .collect::<Result<_, DecodeError>>()?;
        Ok(AffineMap { rows })
    }

    fn flag(&mut self, what: &'static str) -> Result<bool, DecodeError> {
        match self.next(what)? {
            0 => Ok(false),
            1 => Ok(true),
            w => Err(self.invalid(w, what)),
        }
    }

    /// The op, and the facts of the parameter it names (read right after that parameter's id).
    fn op(&mut self) -> Result<(Op, Option<TensorInfo>), DecodeError> {
        let t = self.next("op tag")?;
        let mut attr_info = None;
        let op = match t {
            tag::CONTRACT => Op::Contract(Contract {
                out_iter: self.usizes("out_iter")?,
                red: self.usizes("red")?,
                x_map: self.map()?,
                w_map: self.map()?,
                bias_map: if self.flag("bias flag")? {
                    Some(self.map()?)
                } else {
                    None
                },
                bias_shift: self.int("bias_shift")?,
                requant: self.requant()?,
            }),
            tag::RESCALE => Op::Rescale(self.requant()?),
            tag::BINARY => Op::Binary(Binary {
                kind: self.kind(&BINARY_KINDS, "binary kind")?,
                a_mult: self.int("a_mult")?,
                b_mult: self.int("b_mult")?,
                requant: self.requant()?,
            }),
            tag::LOOKUP => {
                let (table, lo) = self.param_and_int("table", "lo", &mut attr_info)?;
                Op::Lookup(Lookup { table, lo })
            }
            tag::REDUCE => Op::Reduce(Reduce {
                kind: self.kind(&REDUCE_KINDS, "reduce kind")?,
                axes: self.usizes("axes")?,
                keep_dims: self.flag("keep_dims")?,
                requant: self.requant()?,
            }),
            tag::DIV => Op::Div(Div {
                shift: self.int("div shift")?,
                requant: self.requant()?,
            }),
            tag::MOVE => {
                let (map, fill) = self.param_and_int("index map", "fill", &mut attr_info)?;
                Op::Move(Move { map, fill })
            }
            tag::GATHER => Op::Gather(Gather {
                axis: self.int("axis")?,
            }),
            tag::ISQRT => Op::ISqrt(ISqrt {
                shift: self.int("isqrt shift")?,
                requant: self.requant()?,
            }),
            w => return Err(self.invalid(w, "op tag")),
        };
        Ok((op, attr_info))
    }

    /// An operand and its facts.
    fn operand(&mut self) -> Result<(Operand, TensorInfo), DecodeError> {
        let o = match self.next("operand tag")? {
            tag::OPERAND_VALUE => Operand::Value(ValueId(self.int("value id")?)),
            tag::OPERAND_PARAM => Operand::Param(ParamId(self.int("param id")?)),
            w => return Err(self.invalid(w, "operand tag")),
        };
        Ok((o, self.info()?))
    }

    fn end(&self) -> Result<(), DecodeError> {
        match self.w.len() - self.at {
            0 => Ok(()),
            n => Err(DecodeError::Trailing(n)),
        }
    }
}

/// Decode a node leaf's words.
///
/// # Errors
/// Truncated words, an unknown tag, a field out of range, or trailing words.
pub fn decode_node(words: &[Word]) -> Result<NodeSemantics, DecodeError> {
    let mut d = Dec { w: words, at: 0 };
    let (op, attr_info) = d.op()?;
    let n = d.len("operand count")?;
    let (inputs, input_infos) = (0..n)
        .map(|_| d.operand())
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .unzip();
    let out = d.info()?;
    d.end()?;
    Ok(NodeSemantics {
        op,
        inputs,
        input_infos,
        attr_info,
        out,
    })
}

/// Decode the header leaf's words.
///
/// # Errors
/// Another domain or version, truncated words, a field out of range, or trailing words.
pub fn decode_header(words: &[Word]) -> Result<GraphHeader, DecodeError> {
    let mut d = Dec { w: words, at: 0 };
    let domain = d.next("domain")?;
    if domain != GRAPH_DOMAIN {
        return Err(d.invalid(domain, "graph domain tag"));
    }
    let version = d.next("version")?;
    if version != ENCODING_VERSION {
        return Err(d.invalid(version, "encoding version"));
    }
    let n = d.len("input count")?;
    let inputs = (0..n).map(|_| d.info()).collect::<Result<_, _>>()?;
    let n = d.len("param count")?;
    let params = (0..n)
        .map(|_| {
            Ok(ParamHeader {
                kind: d.kind(&PARAM_KINDS, "param kind")?,
                info: d.info()?,
                len: d.int("param length")?,
            })
        })
        .collect::<Result<_, _>>()?;
    let n = d.len("output count")?;
    let outputs = (0..n)
        .map(|_| Ok(ValueId(d.int("output value")?)))
        .collect::<Result<_, _>>()?;
    let num_nodes = d.int("node count")?;
    d.end()?;
    Ok(GraphHeader {
        inputs,
        params,
        outputs,
        num_nodes,
    })
}
