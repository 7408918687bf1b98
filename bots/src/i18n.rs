//! Every text a user sees, from `locales/*.ftl` (embedded at compile time). [`tr`] looks one message up
//! in the user's language; Fluent picks the plural form (Russian: 1 скидка, 3 скидки, 5 скидок).

use std::borrow::Cow;
use std::collections::HashMap;

use dvorik::domain::Language;
pub use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};

fluent_templates::static_loader! {
    // Compile-time data, not configuration: the embedded message catalogue.
    static LOCALES = {
        locales: "../locales",
        fallback_language: "ru",
        // No Unicode isolation marks around arguments: codes must be copyable as typed.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static RU: LanguageIdentifier = langid!("ru");
static EN: LanguageIdentifier = langid!("en");

fn id(lang: Language) -> &'static LanguageIdentifier {
    match lang {
        Language::Ru => &RU,
        Language::En => &EN,
    }
}

/// The message `key` in `lang`, with `args` filled in. A missing key is logged and shows as the key.
pub fn tr(lang: Language, key: &str, args: &[(&'static str, FluentValue<'static>)]) -> String {
    let map: HashMap<Cow<'static, str>, FluentValue<'static>> = args
        .iter()
        .map(|(name, value)| (Cow::Borrowed(*name), value.clone()))
        .collect();
    let found = if map.is_empty() {
        LOCALES.try_lookup(id(lang), key)
    } else {
        LOCALES.try_lookup_with_args(id(lang), key, &map)
    };
    found.unwrap_or_else(|| {
        tracing::error!(key, lang = lang.code(), "missing message");
        key.to_string()
    })
}

/// [`tr`] with no arguments.
pub fn t(lang: Language, key: &str) -> String {
    tr(lang, key, &[])
}

/// A text argument.
pub fn s(value: impl Into<String>) -> FluentValue<'static> {
    FluentValue::from(value.into())
}

/// A number argument (selects plural forms).
pub fn n(value: impl Into<f64>) -> FluentValue<'static> {
    FluentValue::from(value.into())
}

/// The translated message of a core error.
pub fn error_text(lang: Language, err: &dvorik::Error) -> String {
    t(lang, &err.locale_key())
}

/// Looks `key` up in one language without falling back, reporting Fluent errors (tests).
pub fn check(
    lang: Language,
    key: &str,
    args: &HashMap<Cow<'static, str>, FluentValue<'static>>,
) -> Result<String, String> {
    LOCALES
        .lookup_single_language(id(lang), key, Some(args))
        .map_err(|e| format!("{e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_plurals_follow_the_number() {
        let header = |count: u32| {
            tr(
                Language::Ru,
                "client-discounts-header",
                &[("count", n(count))],
            )
        };
        assert!(header(1).contains("1 действующая скидка"), "{}", header(1));
        assert!(header(3).contains("3 действующие скидки"), "{}", header(3));
        assert!(header(5).contains("5 действующих скидок"), "{}", header(5));
        assert!(
            header(21).contains("21 действующая скидка"),
            "{}",
            header(21)
        );
        assert!(
            tr(Language::En, "client-discounts-header", &[("count", n(2))])
                .contains("2 active discounts")
        );
    }

    #[test]
    fn arguments_are_not_wrapped_in_isolation_marks() {
        let text = tr(Language::En, "button-qr", &[("code", s("ABCDE-23456"))]);
        assert_eq!(text, "QR ABCDE-23456");
    }
}
