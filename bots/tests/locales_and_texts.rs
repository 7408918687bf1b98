//! Every key of every locale loads and formats without a Fluent error (a syntax error in an .ftl file
//! panics at first use), and no user-visible string is written inline in `bots/src`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use dvorik::domain::Language;
use dvorik_bots::i18n::{self, FluentValue};

fn locales_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../locales")
}

/// Message keys of a Fluent file and the variables each uses.
fn messages(path: &Path) -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ')
            && let Some((key, _)) = line.split_once('=')
        {
            out.push((key.trim().to_string(), Vec::new()));
        }
        let Some((_, vars)) = out.last_mut() else {
            continue;
        };
        for part in line.split('$').skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            if !name.is_empty() && !vars.contains(&name) {
                vars.push(name);
            }
        }
    }
    out
}

#[test]
fn every_key_of_every_locale_formats_in_its_language() {
    let mut checked = 0;
    for lang in Language::ALL {
        let path = locales_dir().join(format!("{}.ftl", lang.code()));
        for (key, vars) in messages(&path) {
            let args: HashMap<Cow<'static, str>, FluentValue<'static>> = vars
                .iter()
                .map(|v| (Cow::Owned(v.clone()), FluentValue::from(3)))
                .collect();
            let text = i18n::check(lang, &key, &args)
                .unwrap_or_else(|e| panic!("{}: {key}: {e}", path.display()));
            assert!(!text.trim().is_empty(), "{key} is empty in {}", lang.code());
            checked += 1;
        }
    }
    assert!(checked > 200, "only {checked} messages checked");
}

#[test]
fn every_error_code_is_translated_by_the_bots() {
    for lang in Language::ALL {
        for code in dvorik::Error::CODES {
            let key = dvorik::error::locale_key_of(code);
            let text = i18n::t(lang, &key);
            assert_ne!(text, key, "{key} missing in {}", lang.code());
        }
    }
}

/// Calls that put text in front of a user; their text argument must come from `tr`/`t`/a variable,
/// never a string literal.
const SENDING_CALLS: &[&str] = &[
    "send_message(",
    ".caption(",
    "edit_message_text(",
    "answer_callback_query(",
    "InlineKeyboardButton::callback(",
    "InlineKeyboardButton::url(",
    "KeyboardButton::new(",
    "BotCommand::new(",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text inside the parentheses that open at the start of `rest` (string literals respected).
fn call_arguments(rest: &str) -> &str {
    let mut depth = 1;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &rest[..i];
                }
            }
            _ => {}
        }
    }
    rest
}

/// The string literals in `code`.
fn literals(code: &str) -> Vec<&str> {
    code.split('"').skip(1).step_by(2).collect()
}

/// Whether a literal reads like words for people: spaces, non-ASCII letters or capitals. Locale keys
/// (`client-greeting`) and callback tags (`sub:check`, `qr:{}`) do not.
fn reads_like_text(literal: &str) -> bool {
    literal
        .chars()
        .any(|c| c.is_whitespace() || (c.is_alphabetic() && !c.is_ascii_lowercase()))
}

fn offences_in(source: &str, keys: &[String]) -> Vec<String> {
    let flat: String = source.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    let mut found = Vec::new();
    for call in SENDING_CALLS {
        for (at, _) in flat.match_indices(call) {
            let args = call_arguments(&flat[at + call.len()..]);
            for literal in literals(args) {
                if reads_like_text(literal) && !keys.iter().any(|k| k == literal) {
                    found.push(format!("{call}…\"{literal}\""));
                }
            }
        }
    }
    found
}

#[test]
fn no_user_visible_string_is_written_inline_in_the_bots() {
    let keys: Vec<String> = messages(&locales_dir().join("en.ftl"))
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    // The terminal chat of `dvorik sim` and the CLI are developer tooling, not bot messages.
    files.retain(|f| !f.ends_with("sim_chat.rs") && !f.ends_with("main.rs"));
    assert!(files.len() > 10, "the bots' sources were not found");
    let mut offences = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap();
        for offence in offences_in(&source, &keys) {
            offences.push(format!("{}: {offence}", file.display()));
        }
    }
    assert!(
        offences.is_empty(),
        "inline user-visible strings: {offences:#?}"
    );
}

#[test]
fn the_scan_finds_inline_text_and_passes_keys_and_tags() {
    let keys = vec!["client-greeting".to_string()];
    let inline = r#"bot.send_message(chat, "Hello there").await?;
        bot.send_message(chat, format!("Привет {name}")).await?;
        InlineKeyboardButton::callback("Check", "sub:check");"#;
    assert_eq!(
        offences_in(inline, &keys).len(),
        3,
        "{:?}",
        offences_in(inline, &keys)
    );
    let fine = r#"bot.send_message(chat, tr(lang, "client-greeting", &[("name", s(name))])).await?;
        InlineKeyboardButton::callback(t(lang, "button-history"), "hist");
        tracing::warn!("not a message (logs are for developers)");"#;
    assert!(
        offences_in(fine, &keys).is_empty(),
        "{:?}",
        offences_in(fine, &keys)
    );
}
