//! Redemption benchmark: arrives in the next commit.
fn main() {}
