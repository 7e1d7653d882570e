//! Hostile ONNX files found by fuzzing (`docs/fuzzing.md`): each must fail to import with a
//! typed error, never panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use verinfer_onnx::import::{import, ImportOptions};
use verinfer_onnx::OnnxError;

/// A 19-byte model whose only initializer is a STRING tensor with raw data: tract-onnx's
/// tensor loader reaches `unimplemented!` for it, which aborted `verinfer compile`.
#[test]
fn attack_onnx_string_initializer_panics() {
    let bytes = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/fuzz/onnx_import/found-string-initializer"),
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("verinfer-onnx-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("string.onnx");
    std::fs::write(&path, bytes).unwrap();
    let r = std::panic::catch_unwind(|| import(&path, &ImportOptions::default()));
    std::fs::remove_dir_all(&dir).unwrap();
    match r {
        Ok(Err(OnnxError::Malformed { reason, .. })) => {
            assert!(reason.contains("data type"), "{reason}");
        }
        Ok(other) => panic!("expected a Malformed error, got {other:?}"),
        Err(_) => panic!("importing a STRING initializer panicked"),
    }
}
