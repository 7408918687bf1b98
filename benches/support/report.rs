//! Where every benchmark writes its result: `<target>/bench/<name>.json` in the shape of BENCH.md.

use std::path::PathBuf;

use anyhow::Context;

/// Writes `report` to `<target>/bench/<name>.json` and returns the path. `<target>` is `CARGO_TARGET_DIR`
/// when set, else the `target/` this benchmark was built in (its executable is
/// `<target>/release/deps/<bench>`), so the root's and the bots' benchmarks land in one folder.
pub fn write(name: &str, report: &serde_json::Value) -> anyhow::Result<PathBuf> {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => std::env::current_exe()?
            .ancestors()
            .nth(3)
            .context("no target folder above the benchmark's executable")?
            .to_path_buf(),
    };
    let path = target.join("bench").join(format!("{name}.json"));
    std::fs::create_dir_all(path.parent().context("no parent")?)?;
    std::fs::write(&path, serde_json::to_string_pretty(report)? + "\n")?;
    Ok(path)
}
