//! Kernels of the small dense models (convolutions, a transformer block): register tiles
//! of `i16` operands ([`tile`]) and vector requantization of `i32` values ([`scale`]), each
//! under this module's rules ([`super`]) and stating why it is sound.

pub(crate) mod scale;
pub(crate) mod tile;
