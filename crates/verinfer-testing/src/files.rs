//! What every checksummed file format's reader must refuse.

/// `parse` refuses `bytes` with any one byte XORed with `flip`, and every proper prefix of
/// `bytes` (a file cut short anywhere).
pub fn assert_every_flip_and_cut_rejected<T, E>(
    bytes: &[u8],
    flip: u8,
    parse: impl Fn(&[u8]) -> Result<T, E>,
) {
    for i in 0..bytes.len() {
        let mut c = bytes.to_vec();
        c[i] ^= flip;
        assert!(parse(&c).is_err(), "flip at byte {i} accepted");
    }
    for n in 0..bytes.len() {
        assert!(parse(&bytes[..n]).is_err(), "truncation to {n} accepted");
    }
}
