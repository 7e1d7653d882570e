//! Where the contiguous operand rows of a contraction come from: the operand itself, rows
//! packed once at plan time, rows packed per run, or rows gathered on demand.

use rayon::prelude::*;

use super::access::Access;
use super::elem::Elem;

/// Elements of a row table packed per run at most (beyond it rows are gathered on demand).
const RUN_PACK_LIMIT: usize = 1 << 26;

/// How rows are obtained.
enum Source<T> {
    /// Rows are contiguous, in-bounds slices of the operand itself (`i32` rows only).
    Direct,
    /// Constant operand packed at plan time: row `key` at `[key·k, (key+1)·k)`, zeros for padding.
    Packed(Vec<T>),
    /// Packed like [`Source::Packed`] at the start of each run (rows reused by many outputs).
    PackAtRun,
    /// Gathered into per-task scratch when needed (rows used about once).
    Gather,
}

/// One operand of a contraction: its access tables and row source.
pub(crate) struct Side<T> {
    access: Access,
    source: Source<T>,
}

impl<T: Elem> Side<T> {
    /// Choose the source: `param` is the operand's data when it is constant, `numel` its
    /// element count and `nout` the number of output elements.
    pub(crate) fn new(access: Access, param: Option<&[i32]>, numel: usize, nout: usize) -> Self {
        let borrow = T::borrow(&[]).is_some();
        let size = access.nkeys.saturating_mul(access.k);
        let direct = access.is_direct();
        let source = if direct && borrow {
            Source::Direct
        } else if let Some(data) =
            param.filter(|_| size <= numel.saturating_mul(4).saturating_add(1 << 16))
        {
            Source::Packed(pack(&access, data))
        } else if param.is_none()
            && (direct || nout / access.nkeys.max(1) >= 2)
            && size <= RUN_PACK_LIMIT
        {
            Source::PackAtRun
        } else {
            Source::Gather
        };
        Self { access, source }
    }

    /// Access tables.
    pub(crate) fn access(&self) -> &Access {
        &self.access
    }

    /// Where row `key` starts in the buffer [`Self::rows`] gives, when that does not depend on
    /// the run (as [`Rows::span`] gives it; `None` for rows gathered on demand).
    pub(crate) fn row_start(&self, key: usize) -> Option<usize> {
        match self.source {
            Source::Direct if T::borrow(&[]).is_some() => Some(self.access.direct_start(key)),
            Source::Packed(_) | Source::PackAtRun => Some(key * self.access.k),
            Source::Direct | Source::Gather => None,
        }
    }

    /// Rows packed for this run, when the source says so.
    pub(crate) fn pack_for_run(&self, data: &[i32]) -> Option<Vec<T>> {
        match self.source {
            Source::PackAtRun => Some(pack(&self.access, data)),
            Source::Direct | Source::Packed(_) | Source::Gather => None,
        }
    }

    /// The row view for one run; `run_packed` is what [`Self::pack_for_run`] returned.
    pub(crate) fn rows<'a>(&'a self, data: &'a [i32], run_packed: Option<&'a [T]>) -> Rows<'a, T> {
        let k = self.access.k;
        match (&self.source, run_packed, T::borrow(data)) {
            (Source::Direct, _, Some(rows)) => Rows::Direct {
                rows,
                access: &self.access,
            },
            (Source::Packed(p), _, _) => Rows::Packed { rows: p, k },
            (Source::PackAtRun, Some(p), _) => Rows::Packed { rows: p, k },
            (Source::Direct | Source::PackAtRun | Source::Gather, _, _) => Rows::Gather {
                data,
                access: &self.access,
            },
        }
    }
}

/// Pack every row of `data` (in parallel over fixed blocks of rows).
fn pack<T: Elem>(access: &Access, data: &[i32]) -> Vec<T> {
    let k = access.k.max(1);
    let mut rows = vec![T::default(); access.nkeys * access.k];
    let per_task = crate::par::chunk_len(k);
    if !crate::par::worth_parallel(rows.len(), per_task * k) {
        // One block: no parallel dispatch.
        for (key, row) in rows.chunks_exact_mut(k).enumerate() {
            access.gather(data, key, row);
        }
        return rows;
    }
    rows.par_chunks_mut(per_task * k)
        .enumerate()
        .for_each(|(t, block)| {
            for (i, row) in block.chunks_exact_mut(k).enumerate() {
                access.gather(data, t * per_task + i, row);
            }
        });
    rows
}

/// Per-task cache of the last gathered row.
pub(crate) struct RowCache<T> {
    buf: Vec<T>,
    key: usize,
}

impl<T: Elem> RowCache<T> {
    /// Scratch for rows of `k` elements.
    pub(crate) fn new(k: usize) -> Self {
        Self {
            buf: vec![T::default(); k],
            key: usize::MAX,
        }
    }
}

/// Rows of one operand during one run.
pub(crate) enum Rows<'a, T> {
    /// Slices of the operand.
    Direct {
        /// Operand data.
        rows: &'a [T],
        /// Access tables.
        access: &'a Access,
    },
    /// A packed table.
    Packed {
        /// Rows, `k` elements each.
        rows: &'a [T],
        /// Row length.
        k: usize,
    },
    /// Gathered on demand.
    Gather {
        /// Operand data.
        data: &'a [i32],
        /// Access tables.
        access: &'a Access,
    },
}

impl<T: Elem> Rows<'_, T> {
    /// Whether rows are slices that need no scratch (so several can be held at once).
    pub(crate) fn is_slice(&self) -> bool {
        match self {
            Rows::Direct { .. } | Rows::Packed { .. } => true,
            Rows::Gather { .. } => false,
        }
    }

    /// The operand and its access tables when rows are gathered on demand.
    pub(crate) fn gathered(&self) -> Option<(&[i32], &Access)> {
        match self {
            Rows::Gather { data, access } => Some((data, access)),
            Rows::Direct { .. } | Rows::Packed { .. } => None,
        }
    }

    /// The buffer every row is a slice of, when [`Self::is_slice`] (the buffer of
    /// [`Self::span`]).
    pub(crate) fn buffer(&self) -> Option<&[T]> {
        match self {
            Rows::Direct { rows, .. } | Rows::Packed { rows, .. } => Some(rows),
            Rows::Gather { .. } => None,
        }
    }

    /// Row `key` as a slice, when [`Self::is_slice`] (empty otherwise).
    #[inline]
    pub(crate) fn slice(&self, key: usize) -> &[T] {
        match self {
            Rows::Direct { rows, access } => {
                let s = access.direct_start(key);
                &rows[s..s + access.k]
            }
            Rows::Packed { rows, k } => &rows[key * k..(key + 1) * k],
            Rows::Gather { .. } => &[],
        }
    }

    /// The buffer row `key` is a slice of and its start there, when [`Self::is_slice`]: rows
    /// whose starts differ by `k` are adjacent in the buffer.
    #[inline]
    pub(crate) fn span(&self, key: usize) -> Option<(&[T], usize)> {
        match self {
            Rows::Direct { rows, access } => Some((rows, access.direct_start(key))),
            Rows::Packed { rows, k } => Some((rows, key * k)),
            Rows::Gather { .. } => None,
        }
    }

    /// Row `key`, `k` elements with zeros for padding.
    #[inline]
    pub(crate) fn row<'s>(&'s self, key: usize, cache: &'s mut RowCache<T>) -> &'s [T] {
        match self {
            Rows::Direct { .. } | Rows::Packed { .. } => self.slice(key),
            Rows::Gather { data, access } => {
                if cache.key != key {
                    access.gather(data, key, &mut cache.buf);
                    cache.key = key;
                }
                &cache.buf
            }
        }
    }
}
