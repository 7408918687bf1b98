//! Texts the core itself composes (the deal document, the message carrying a signing code), read from
//! `locales/ru.ftl`, which is compiled in. Only the subset of Fluent those entries use is understood: a
//! `key = value` entry, indented continuation lines, and `{ $name }` placeables.

const RU: &str = include_str!("../../locales/ru.ftl");

/// The Russian text of `key` with `args` substituted; the key itself when it is missing (a test checks
/// every key used here exists).
pub fn ru(key: &str, args: &[(&str, &str)]) -> String {
    let Some(template) = entry(RU, key) else {
        return key.to_string();
    };
    let mut text = template;
    for (name, value) in args {
        text = text.replace(&format!("{{ ${name} }}"), value);
    }
    text
}

/// The value of `key` in `source`, continuation lines joined with newlines.
pub fn entry(source: &str, key: &str) -> Option<String> {
    let mut lines = source.lines();
    let first = lines.find_map(|line| {
        let (name, value) = line.split_once('=')?;
        (name.trim_end() == key && !line.starts_with(' ')).then(|| value.trim().to_string())
    })?;
    let mut parts: Vec<String> = if first.is_empty() {
        vec![]
    } else {
        vec![first]
    };
    for line in lines {
        if !line.starts_with(' ') || line.trim().is_empty() {
            break;
        }
        parts.push(line.trim().to_string());
    }
    Some(parts.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_with_continuation_lines_and_placeables_is_read() {
        let source = "a = one\nb =\n    first { $x }\n    second\nc = three\n";
        assert_eq!(entry(source, "a").as_deref(), Some("one"));
        assert_eq!(entry(source, "b").as_deref(), Some("first { $x }\nsecond"));
        assert_eq!(entry(source, "missing"), None);
    }

    #[test]
    fn the_document_texts_exist_in_russian() {
        for key in [
            "deal-document-title",
            "deal-document-body",
            "deal-document-plan-step",
            "deal-document-split",
            "signing-code-message",
            "signing-record-title",
            "signing-record-deal",
            "signing-record-document",
            "signing-record-no-document",
            "signing-record-signed",
            "signing-record-unsigned",
            "signing-record-chain-ok",
            "signing-record-chain-broken",
            "signing-record-events",
            "signing-record-event",
            "signing-record-text",
        ] {
            assert!(entry(RU, key).is_some(), "{key} missing from ru.ftl");
        }
        assert!(ru("signing-code-message", &[("code", "123456")]).contains("123456"));
    }
}
