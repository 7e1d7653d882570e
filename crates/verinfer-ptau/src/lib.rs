//! A reader for snarkjs `.ptau` files (powers of tau over BN254: the Hermez / perpetual
//! powers-of-tau ceremony files and anything `snarkjs powersoftau` writes), so that a setup
//! comes from a public multi-party ceremony instead of local randomness: phase 1 of the Groth16
//! keys (`verinfer-zk`'s ceremony) and the universal SRS of the HyperKZG commitment
//! (`verinfer-sumcheck`'s `pcs`). One reader for both, in its own crate below either backend.
//!
//! We parse the format ourselves: it is small (a section table and arrays of affine points),
//! every byte of it decides what the keys are, and there is no maintained Rust crate for it.
//! The layout follows snarkjs 0.7 (`powersoftau_new.js`, `powersoftau_preparephase2.js`,
//! `zkey_new.js`) and `@iden3/binfileutils`:
//!
//! * `"ptau"`, u32 version (1), u32 section count, then sections: u32 id, u64 size, bytes.
//! * Section 1, the header: u32 n8 (32), the base-field modulus q (n8 bytes, little-endian),
//!   u32 power, u32 ceremony power.
//! * 2 `tauG1` (τ^i·G1, i < 2^(power+1) − 1), 3 `tauG2` (2^power), 4 `alphaTauG1` and
//!   5 `betaTauG1` (2^power each), 6 `betaG2` (one point), 7 the contributions (not read).
//! * A *prepared* file (`snarkjs powersoftau prepare phase2`) adds 12 `lTauG1`, 13 `lTauG2`,
//!   14 `lAlphaTauG1`, 15 `lBetaTauG1`: the same values in the Lagrange basis of the size-2^p
//!   domain, for p = 0..=power one block after the other (12 also has p = power + 1).
//! * Points are uncompressed affine, each coordinate 32 bytes little-endian in Montgomery form
//!   (R = 2^256, which is arkworks' internal form too), G2 coordinates as c0 then c1; the point
//!   at infinity is all zeros.
//!
//! Everything a file claims is checked before it is used: magic, version, the section table
//! against the file's length, every section's size against the power, the modulus against
//! BN254's, and every point read on the curve and in its prime-order subgroup. Reads are
//! bounded by the file's actual length, so a hostile file gets a [`PtauError`] naming the
//! problem, never a panic or an allocation it did not pay for in bytes. Only the points a
//! circuit needs are read (a power-28 file is hundreds of gigabytes).

use std::io::{Read, Seek, SeekFrom};

use ark_bn254::{Fq, Fq2};
use ark_ec::short_weierstrass::{Affine, SWCurveConfig};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, BigInteger, PrimeField};
use blake2::{Blake2b512, Digest};
use rayon::prelude::*;

/// Largest power accepted: BN254's scalar field has 2-adicity 28, so no radix-2 domain (and
/// no public ceremony) is larger.
pub const MAX_POWER: u32 = 28;

/// Most sections a file may declare (snarkjs writes 7, or 11 when prepared).
pub const MAX_SECTIONS: u32 = 64;

/// Bytes of a G1 point on the wire.
pub const G1_BYTES: u64 = 64;
/// Bytes of a G2 point on the wire.
pub const G2_BYTES: u64 = 128;

/// Points decoded per read (bounds the buffer whatever the request).
const CHUNK_POINTS: u64 = 1 << 14;

/// Why a `.ptau` file was refused.
#[derive(Debug, thiserror::Error)]
pub enum PtauError {
    /// Reading failed for a reason other than the file ending early.
    #[error("read error: {0}")]
    Io(#[from] std::io::Error),
    /// The file ends inside something it declared.
    #[error("truncated: the file ends inside {0}")]
    Truncated(&'static str),
    /// The first four bytes are not `ptau`.
    #[error("not a .ptau file: magic {0:?}, expected \"ptau\"")]
    Magic([u8; 4]),
    /// A format version this reader does not know.
    #[error("unsupported .ptau version {0} (this reader knows version 1)")]
    Version(u32),
    /// More sections than any snarkjs file has.
    #[error("{0} sections declared; at most {MAX_SECTIONS} are accepted")]
    TooManySections(u32),
    /// A section runs past the end of the file.
    #[error(
        "section {id} claims {size} bytes at offset {offset}, past the end of the {len}-byte file"
    )]
    SectionPastEnd {
        /// Section id.
        id: u32,
        /// Declared size.
        size: u64,
        /// Where its data starts.
        offset: u64,
        /// The file's length.
        len: u64,
    },
    /// A section that must be unique appears twice.
    #[error("section {0} appears more than once")]
    DuplicateSection(u32),
    /// A required section is absent.
    #[error("section {id} ({name}) is missing")]
    MissingSection {
        /// Section id.
        id: u32,
        /// Its snarkjs name.
        name: &'static str,
    },
    /// The Lagrange-basis sections are absent.
    #[error(
        "not prepared for phase 2 (no Lagrange sections 12-15): use a \"final\" file of a public \
         ceremony, or run `snarkjs powersoftau prepare phase2` on it"
    )]
    NotPrepared,
    /// The header section is malformed.
    #[error("header: {0}")]
    Header(String),
    /// The modulus is not BN254's base field.
    #[error("the file is for another curve: its base-field modulus is not BN254's")]
    WrongCurve,
    /// The power is out of range.
    #[error("power {power} is above {MAX_POWER}, BN254's largest radix-2 domain")]
    PowerTooLarge {
        /// The declared power.
        power: u32,
    },
    /// A section's size does not match the power.
    #[error("section {id} ({name}) is {actual} bytes; power {power} needs {expected}")]
    SectionSize {
        /// Section id.
        id: u32,
        /// Its snarkjs name.
        name: &'static str,
        /// Declared size.
        actual: u64,
        /// The size the power implies.
        expected: u64,
        /// The file's power.
        power: u32,
    },
    /// A point is not a valid curve point.
    #[error("section {id} ({name}) point {index}: {what}")]
    BadPoint {
        /// Section id.
        id: u32,
        /// Its snarkjs name.
        name: &'static str,
        /// Index within the section.
        index: u64,
        /// What is wrong.
        what: &'static str,
    },
    /// The file's power is below what the circuit needs.
    #[error(
        "the circuit needs a domain of 2^{needed} ({rows} rows: constraints plus instance \
         variables); this .ptau has power {power} (at most 2^{power}): use a larger file"
    )]
    TooSmall {
        /// log2 of the circuit's domain.
        needed: u32,
        /// Constraints plus instance variables.
        rows: usize,
        /// The file's power.
        power: u32,
    },
    /// A request outside what the file holds (a bug of the caller, reported, not panicked).
    #[error("section {id} ({name}) has no points {first}..{end}")]
    OutOfRange {
        /// Section id.
        id: u32,
        /// Its snarkjs name.
        name: &'static str,
        /// First point asked for.
        first: u64,
        /// One past the last.
        end: u64,
    },
    /// The sections do not describe one consistent τ, α, β (see `from_ptau`).
    #[error("inconsistent phase 1: {0}")]
    Inconsistent(String),
}

/// The sections this reader uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// 2: τ^i·G1.
    TauG1,
    /// 3: τ^i·G2.
    TauG2,
    /// 4: α·τ^i·G1.
    AlphaTauG1,
    /// 5: β·τ^i·G1.
    BetaTauG1,
    /// 6: β·G2.
    BetaG2,
    /// 12: L_i(τ)·G1 for every domain size.
    LTauG1,
    /// 13: L_i(τ)·G2.
    LTauG2,
    /// 14: α·L_i(τ)·G1.
    LAlphaTauG1,
    /// 15: β·L_i(τ)·G1.
    LBetaTauG1,
}

impl Section {
    /// Every section this reader checks.
    pub const ALL: [Self; 9] = [
        Self::TauG1,
        Self::TauG2,
        Self::AlphaTauG1,
        Self::BetaTauG1,
        Self::BetaG2,
        Self::LTauG1,
        Self::LTauG2,
        Self::LAlphaTauG1,
        Self::LBetaTauG1,
    ];

    /// The section id in the file.
    #[must_use]
    pub const fn id(self) -> u32 {
        match self {
            Self::TauG1 => 2,
            Self::TauG2 => 3,
            Self::AlphaTauG1 => 4,
            Self::BetaTauG1 => 5,
            Self::BetaG2 => 6,
            Self::LTauG1 => 12,
            Self::LTauG2 => 13,
            Self::LAlphaTauG1 => 14,
            Self::LBetaTauG1 => 15,
        }
    }

    /// snarkjs's name for it.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::TauG1 => "tauG1",
            Self::TauG2 => "tauG2",
            Self::AlphaTauG1 => "alphaTauG1",
            Self::BetaTauG1 => "betaTauG1",
            Self::BetaG2 => "betaG2",
            Self::LTauG1 => "lTauG1",
            Self::LTauG2 => "lTauG2",
            Self::LAlphaTauG1 => "lAlphaTauG1",
            Self::LBetaTauG1 => "lBetaTauG1",
        }
    }

    const fn point_bytes(self) -> u64 {
        match self {
            Self::TauG2 | Self::BetaG2 | Self::LTauG2 => G2_BYTES,
            _ => G1_BYTES,
        }
    }

    /// How many points the section holds at `power` (at most 2^30, so no overflow).
    #[must_use]
    pub const fn points(self, power: u32) -> u64 {
        let n = 1u64 << power;
        match self {
            Self::TauG1 => 2 * n - 1,
            Self::TauG2 | Self::AlphaTauG1 | Self::BetaTauG1 => n,
            Self::BetaG2 => 1,
            // One block per domain size 2^p, p = 0..=power (+1 for lTauG1).
            Self::LTauG1 => 4 * n - 1,
            Self::LTauG2 | Self::LAlphaTauG1 | Self::LBetaTauG1 => 2 * n - 1,
        }
    }

    const fn is_lagrange(self) -> bool {
        matches!(
            self,
            Self::LTauG1 | Self::LTauG2 | Self::LAlphaTauG1 | Self::LBetaTauG1
        )
    }
}

/// A point type as `.ptau` stores it.
pub trait PtauPoint: Sized + Send {
    /// Bytes on the wire.
    const BYTES: usize;
    /// Decode and validate one point (`b` is exactly [`Self::BYTES`] long).
    ///
    /// # Errors
    /// What is wrong with it.
    fn decode(b: &[u8]) -> Result<Self, &'static str>;
}

/// A base-field element from 32 little-endian bytes in Montgomery form.
fn fq(b: &[u8]) -> Result<Fq, &'static str> {
    let mut limbs = [0u64; 4];
    for (l, c) in limbs.iter_mut().zip(b.chunks_exact(8)) {
        let c: [u8; 8] = c.try_into().map_err(|_| "short coordinate")?;
        *l = u64::from_le_bytes(c);
    }
    let v = BigInt::new(limbs);
    if v >= Fq::MODULUS {
        return Err("a coordinate is not below the field modulus");
    }
    // snarkjs stores x·2^256 mod q, which is exactly arkworks' Montgomery representation.
    Ok(Fq::new_unchecked(v))
}

fn check<C: SWCurveConfig>(p: Affine<C>) -> Result<Affine<C>, &'static str> {
    if !p.is_on_curve() {
        return Err("not on the curve");
    }
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err("not in the prime-order subgroup");
    }
    Ok(p)
}

/// A coordinate field as `.ptau` stores it.
pub trait PtauField: Sized {
    /// Bytes on the wire.
    const BYTES: usize;
    /// Decode one element (`b` is exactly [`Self::BYTES`] long).
    ///
    /// # Errors
    /// What is wrong with it.
    fn decode(b: &[u8]) -> Result<Self, &'static str>;
}

impl PtauField for Fq {
    const BYTES: usize = 32;
    fn decode(b: &[u8]) -> Result<Self, &'static str> {
        fq(b)
    }
}

impl PtauField for Fq2 {
    const BYTES: usize = 64;
    fn decode(b: &[u8]) -> Result<Self, &'static str> {
        let (c0, c1) = b.split_at_checked(32).ok_or("short coordinate")?;
        Ok(Self::new(fq(c0)?, fq(c1)?))
    }
}

impl<C: SWCurveConfig> PtauPoint for Affine<C>
where
    C::BaseField: PtauField,
{
    const BYTES: usize = 2 * <C::BaseField as PtauField>::BYTES;
    fn decode(b: &[u8]) -> Result<Self, &'static str> {
        if b.len() != Self::BYTES {
            return Err("short point");
        }
        if b.iter().all(|&x| x == 0) {
            return Ok(Self::zero());
        }
        let (x, y) = b.split_at(Self::BYTES / 2);
        check(Self::new_unchecked(
            PtauField::decode(x)?,
            PtauField::decode(y)?,
        ))
    }
}

/// Where a section's data lies.
#[derive(Clone, Copy, Debug)]
struct Span {
    offset: u64,
    size: u64,
}

/// An opened, validated `.ptau` file: its table and header are checked, its points are read
/// (and each checked) on demand.
#[derive(Debug)]
pub struct Ptau<R> {
    src: R,
    len: u64,
    power: u32,
    ceremony_power: u32,
    spans: [Option<Span>; 16],
}

fn read_exact<R: Read>(r: &mut R, buf: &mut [u8], what: &'static str) -> Result<(), PtauError> {
    r.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            PtauError::Truncated(what)
        } else {
            PtauError::Io(e)
        }
    })
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        w.copy_from_slice(s);
    }
    u32::from_le_bytes(w)
}

impl Ptau<std::io::BufReader<std::fs::File>> {
    /// Open and validate a file.
    ///
    /// # Errors
    /// [`PtauError`] for an unreadable or malformed file.
    pub fn open(path: &std::path::Path) -> Result<Self, PtauError> {
        Self::from_reader(std::io::BufReader::new(std::fs::File::open(path)?))
    }
}

impl<R: Read + Seek> Ptau<R> {
    /// Validate the section table and header of a `.ptau` held by `src`.
    ///
    /// # Errors
    /// [`PtauError`] naming the first problem found.
    pub fn from_reader(mut src: R) -> Result<Self, PtauError> {
        let len = src.seek(SeekFrom::End(0))?;
        src.seek(SeekFrom::Start(0))?;
        let mut head = [0u8; 12];
        read_exact(&mut src, &mut head, "the file header")?;
        let magic: [u8; 4] = [head[0], head[1], head[2], head[3]];
        if &magic != b"ptau" {
            return Err(PtauError::Magic(magic));
        }
        let version = u32_at(&head, 4);
        if version != 1 {
            return Err(PtauError::Version(version));
        }
        let count = u32_at(&head, 8);
        if count > MAX_SECTIONS {
            return Err(PtauError::TooManySections(count));
        }
        let mut spans: [Option<Span>; 16] = [None; 16];
        let mut pos = 12u64;
        for _ in 0..count {
            src.seek(SeekFrom::Start(pos))?;
            let mut h = [0u8; 12];
            read_exact(&mut src, &mut h, "the section table")?;
            let id = u32_at(&h, 0);
            let mut s = [0u8; 8];
            s.copy_from_slice(&h[4..]);
            let size = u64::from_le_bytes(s);
            let offset = pos + 12;
            let end = offset.checked_add(size).filter(|&e| e <= len);
            let Some(end) = end else {
                return Err(PtauError::SectionPastEnd {
                    id,
                    size,
                    offset,
                    len,
                });
            };
            // Unknown section ids are skipped, as snarkjs does; known ones must be unique.
            if let Some(slot) = usize::try_from(id).ok().and_then(|i| spans.get_mut(i)) {
                if slot.is_some() {
                    return Err(PtauError::DuplicateSection(id));
                }
                *slot = Some(Span { offset, size });
            }
            pos = end;
        }
        let (power, ceremony_power) = read_header(&mut src, spans[1])?;
        let mut p = Self {
            src,
            len,
            power,
            ceremony_power,
            spans,
        };
        p.check_sizes()?;
        Ok(p)
    }

    fn check_sizes(&mut self) -> Result<(), PtauError> {
        for s in Section::ALL {
            let id = s.id();
            let Some(span) = self.spans[id as usize] else {
                if s.is_lagrange() {
                    return Err(PtauError::NotPrepared);
                }
                return Err(PtauError::MissingSection { id, name: s.name() });
            };
            let expected = s.points(self.power) * s.point_bytes();
            if span.size != expected {
                return Err(PtauError::SectionSize {
                    id,
                    name: s.name(),
                    actual: span.size,
                    expected,
                    power: self.power,
                });
            }
        }
        Ok(())
    }

    /// The file's power: it holds domains up to 2^power.
    #[must_use]
    pub fn power(&self) -> u32 {
        self.power
    }

    /// The power of the ceremony the file was cut from (28 for the Hermez files).
    #[must_use]
    pub fn ceremony_power(&self) -> u32 {
        self.ceremony_power
    }

    /// The file's length in bytes.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file is empty (never, once opened).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Points `first..first + count` of section `s`, each validated.
    ///
    /// # Errors
    /// [`PtauError::OutOfRange`] past the section, [`PtauError::BadPoint`] for an invalid
    /// point, or a read error.
    pub fn points<P: PtauPoint>(
        &mut self,
        s: Section,
        first: u64,
        count: u64,
    ) -> Result<Vec<P>, PtauError> {
        let (id, name) = (s.id(), s.name());
        let span = self.spans[id as usize].ok_or(PtauError::MissingSection { id, name })?;
        let bytes = P::BYTES as u64;
        let end = first.checked_add(count);
        let fits = end
            .and_then(|e| e.checked_mul(bytes))
            .is_some_and(|b| b <= span.size)
            && bytes == s.point_bytes();
        if !fits {
            return Err(PtauError::OutOfRange {
                id,
                name,
                first,
                end: end.unwrap_or(u64::MAX),
            });
        }
        self.src
            .seek(SeekFrom::Start(span.offset + first * bytes))?;
        // `count` is bounded by the section, which is bounded by the file's length.
        let mut out = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
        let mut buf = Vec::new();
        let mut done = 0u64;
        while done < count {
            let k = (count - done).min(CHUNK_POINTS);
            buf.resize(usize::try_from(k * bytes).unwrap_or(0), 0);
            read_exact(&mut self.src, &mut buf, name)?;
            let base = first + done;
            let chunk: Result<Vec<P>, PtauError> = buf
                .par_chunks(P::BYTES)
                .enumerate()
                .map(|(i, b)| {
                    P::decode(b).map_err(|what| PtauError::BadPoint {
                        id,
                        name,
                        index: base + i as u64,
                        what,
                    })
                })
                .collect();
            out.extend(chunk?);
            done += k;
        }
        Ok(out)
    }

    /// The Lagrange-basis block of section `s` for the domain of size 2^`log_n`.
    ///
    /// # Errors
    /// As [`Ptau::points`]; [`PtauError::OutOfRange`] for a domain the file does not cover or
    /// a section that is not a Lagrange one.
    pub fn lagrange<P: PtauPoint>(&mut self, s: Section, log_n: u32) -> Result<Vec<P>, PtauError> {
        if !s.is_lagrange() || log_n > MAX_POWER + 1 {
            return Err(PtauError::OutOfRange {
                id: s.id(),
                name: s.name(),
                first: 0,
                end: 0,
            });
        }
        let n = 1u64 << log_n;
        // Blocks for sizes 1, 2, …, n/2 come first: 2^log_n − 1 points.
        self.points(s, n - 1, n)
    }

    /// BLAKE2b-512 of the whole file: the hash public ceremonies publish (`b2sum`).
    ///
    /// # Errors
    /// A read error.
    pub fn blake2b(&mut self) -> Result<[u8; 64], PtauError> {
        self.src.seek(SeekFrom::Start(0))?;
        let mut h = Blake2b512::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let k = self.src.read(&mut buf)?;
            if k == 0 {
                break;
            }
            h.update(&buf[..k]);
        }
        let mut out = [0u8; 64];
        out.copy_from_slice(&h.finalize());
        Ok(out)
    }
}

/// Section 1: u32 n8, q, u32 power, u32 ceremony power.
fn read_header<R: Read + Seek>(src: &mut R, span: Option<Span>) -> Result<(u32, u32), PtauError> {
    let span = span.ok_or(PtauError::MissingSection {
        id: 1,
        name: "header",
    })?;
    if span.size != 4 + 32 + 4 + 4 {
        return Err(PtauError::Header(format!(
            "{} bytes, expected 44 (n8 = 32, q, power, ceremony power)",
            span.size
        )));
    }
    src.seek(SeekFrom::Start(span.offset))?;
    let mut b = [0u8; 44];
    read_exact(src, &mut b, "the header section")?;
    let n8 = u32_at(&b, 0);
    if n8 != 32 {
        return Err(PtauError::Header(format!(
            "field element size {n8}, expected 32 (BN254)"
        )));
    }
    if b[4..36] != Fq::MODULUS.to_bytes_le()[..] {
        return Err(PtauError::WrongCurve);
    }
    let (power, ceremony_power) = (u32_at(&b, 36), u32_at(&b, 40));
    if power > MAX_POWER {
        return Err(PtauError::PowerTooLarge { power });
    }
    if ceremony_power < power {
        return Err(PtauError::Header(format!(
            "power {power} is above the ceremony power {ceremony_power}"
        )));
    }
    Ok((power, ceremony_power))
}
