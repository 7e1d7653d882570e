//! The one unsafe call of the crate: mapping a model file read-only.
//!
//! Why a map: a 7B model is 4–14 GB; mapping it lets the OS page weights in as kernels read
//! them, never copying the file into the heap (`Vec<u8>`) or converting it to `i32`.
//!
//! Why it is sound here: `memmap2::Mmap::map` is unsafe because the bytes may change under the
//! program if another process writes the file while it is mapped (and reads past a file
//! truncated meanwhile fault). The map is read-only and private to this process's view; model
//! files are treated as immutable once loaded (llama.cpp has the same contract), and a node
//! that must not trust its disk re-derives the model id from the mapped bytes at load.
#![allow(unsafe_code)]

use std::fs::File;

use memmap2::Mmap;

/// Maps `file` read-only. The caller keeps the file unmodified while the map lives (see the
/// module comment); the Hugging Face importer maps `.safetensors` files through this too.
pub fn map(file: &File) -> std::io::Result<Mmap> {
    // SAFETY: see the module comment — the file is not modified while the map lives.
    unsafe { Mmap::map(file) }
}
