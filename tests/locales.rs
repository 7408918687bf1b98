//! Every locale file has the same keys, and every core error code has a message in every language.

use std::collections::BTreeSet;
use std::path::Path;

/// The message keys of a Fluent file: lines `key = …` that start at column 0 (comments, attributes and
/// continuation lines excluded). Also checks each key is defined once and has a non-empty value.
fn keys(path: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut keys = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        if line.is_empty()
            || line.starts_with('#')
            || line.starts_with(' ')
            || line.starts_with('.')
        {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("{}:{}: not `key = value`", path.display(), n + 1));
        let key = key.trim();
        assert!(
            key.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{}:{}: bad key {key:?}",
            path.display(),
            n + 1
        );
        assert!(
            !value.trim().is_empty() || text.lines().nth(n + 1).is_some_and(|l| l.starts_with(' ')),
            "{}:{}: empty message",
            path.display(),
            n + 1
        );
        assert!(
            keys.insert(key.to_string()),
            "{}:{}: {key} defined twice",
            path.display(),
            n + 1
        );
    }
    keys
}

fn locale_files() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ftl"))
        .collect();
    files.sort();
    files
}

#[test]
fn there_is_a_locale_file_for_every_supported_language() {
    for language in dvorik::domain::Language::ALL {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(format!("{}.ftl", language.code()));
        assert!(path.exists(), "{} is missing", path.display());
    }
}

#[test]
fn every_locale_file_has_the_same_keys() {
    let files = locale_files();
    let reference = keys(&files[0]);
    for file in &files[1..] {
        let other = keys(file);
        let missing: Vec<_> = reference.difference(&other).collect();
        let extra: Vec<_> = other.difference(&reference).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{}: missing {missing:?}, extra {extra:?} (against {})",
            file.display(),
            files[0].display()
        );
    }
}

#[test]
fn every_error_code_has_a_message_in_every_language() {
    for file in locale_files() {
        let keys = keys(&file);
        for code in dvorik::Error::CODES {
            let key = dvorik::error::locale_key_of(code);
            assert!(keys.contains(&key), "{} has no {key}", file.display());
        }
    }
}
