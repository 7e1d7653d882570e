//! Rebuild the bindings whenever a committed artifact changes.
fn main() {
    println!("cargo:rerun-if-changed=../../contracts/artifacts");
}
