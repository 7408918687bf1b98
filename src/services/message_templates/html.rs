//! Telegram's HTML subset (`parse_mode = HTML`), checked before anything is saved or sent, so a broadcast
//! never fails on "can't parse entities" halfway through its audience.
//!
//! Allowed: `b strong i em u ins s strike del`, `span class="tg-spoiler"`, `tg-spoiler`, `a href`,
//! `code` (with `class="language-…"` only directly inside `pre`), `pre`, `blockquote` (optionally
//! `expandable`). Tags nest properly; `a` holds no other link, `pre`/`code` hold no other tags (but `code`
//! in `pre`), `blockquote` is not nested. A `<` or `&` that is not part of a tag or of an entity (`&lt;`
//! `&gt;` `&amp;` `&quot;` or numeric) is refused, as Telegram requires.

/// Why a text is refused; [`HtmlError::reason`] is the reason code shown to the admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HtmlError {
    TagNotAllowed(String),
    AttributeNotAllowed { tag: String, attribute: String },
    MissingAttribute { tag: String, attribute: String },
    InvalidUrl,
    NestingNotAllowed(String),
    UnexpectedClosingTag(String),
    UnclosedTag(String),
    UnescapedLt,
    InvalidEntity,
}

impl HtmlError {
    /// A stable code with the offending tag: `tag_not_allowed:script`, `unclosed_tag:b`,
    /// `attribute_not_allowed:span.style`.
    pub fn reason(&self) -> String {
        match self {
            Self::TagNotAllowed(tag) => format!("tag_not_allowed:{tag}"),
            Self::AttributeNotAllowed { tag, attribute } => {
                format!("attribute_not_allowed:{tag}.{attribute}")
            }
            Self::MissingAttribute { tag, attribute } => {
                format!("missing_attribute:{tag}.{attribute}")
            }
            Self::InvalidUrl => "invalid_url".into(),
            Self::NestingNotAllowed(tag) => format!("nesting_not_allowed:{tag}"),
            Self::UnexpectedClosingTag(tag) => format!("unexpected_closing_tag:{tag}"),
            Self::UnclosedTag(tag) => format!("unclosed_tag:{tag}"),
            Self::UnescapedLt => "unescaped_lt".into(),
            Self::InvalidEntity => "invalid_entity".into(),
        }
    }
}

const FORMATTING: &[&str] = &[
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "tg-spoiler",
];

/// Checks `text` and returns its visible length in UTF-16 code units (what Telegram's limits count).
pub fn validate(text: &str) -> Result<usize, HtmlError> {
    let mut stack: Vec<String> = Vec::new();
    let mut visible = 0usize;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                let end = rest.find('>').ok_or(HtmlError::UnescapedLt)?;
                tag(&rest[1..end], &mut stack)?;
                rest = &rest[end + 1..];
            }
            '&' => {
                let len = entity_len(rest).ok_or(HtmlError::InvalidEntity)?;
                visible += 1;
                rest = &rest[len..];
            }
            c => {
                visible += c.len_utf16();
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    match stack.pop() {
        Some(open) => Err(HtmlError::UnclosedTag(open)),
        None => Ok(visible),
    }
}

/// The byte length of the entity at the start of `text`, if it is one Telegram knows.
fn entity_len(text: &str) -> Option<usize> {
    let end = text.find(';')?;
    let name = &text[1..end];
    let known = match name.strip_prefix('#') {
        Some(num) => match num.strip_prefix(['x', 'X']) {
            Some(hex) => {
                !hex.is_empty() && hex.len() <= 6 && hex.chars().all(|c| c.is_ascii_hexdigit())
            }
            None => !num.is_empty() && num.len() <= 7 && num.chars().all(|c| c.is_ascii_digit()),
        },
        None => matches!(name, "lt" | "gt" | "amp" | "quot"),
    };
    known.then_some(end + 1)
}

/// One tag (`inner` is what lies between `<` and `>`), checked against the open ones.
fn tag(inner: &str, stack: &mut Vec<String>) -> Result<(), HtmlError> {
    if let Some(name) = inner.strip_prefix('/') {
        let name = name.trim().to_ascii_lowercase();
        return match stack.pop() {
            Some(open) if open == name => Ok(()),
            _ => Err(HtmlError::UnexpectedClosingTag(name)),
        };
    }
    let inner = inner.trim_end_matches('/');
    let (name, attrs) = match inner.find(char::is_whitespace) {
        Some(i) => (&inner[..i], &inner[i..]),
        None => (inner, ""),
    };
    let name = name.to_ascii_lowercase();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(HtmlError::UnescapedLt);
    }
    let allowed = FORMATTING.contains(&name.as_str())
        || matches!(name.as_str(), "span" | "a" | "code" | "pre" | "blockquote");
    if !allowed {
        return Err(HtmlError::TagNotAllowed(name));
    }
    let parent = stack.last().map(String::as_str);
    let inside = |tag: &str| stack.iter().any(|open| open == tag);
    let nested = match name.as_str() {
        "a" => inside("a") || inside("pre") || inside("code"),
        "blockquote" => inside("blockquote") || inside("pre") || inside("code"),
        "code" => inside("code") || (inside("pre") && parent != Some("pre")),
        _ => inside("pre") || inside("code"),
    };
    if nested {
        return Err(HtmlError::NestingNotAllowed(name));
    }
    check_attributes(&name, &attributes(attrs)?, parent)?;
    stack.push(name);
    Ok(())
}

fn check_attributes(
    name: &str,
    attrs: &[(String, Option<String>)],
    parent: Option<&str>,
) -> Result<(), HtmlError> {
    let not_allowed = |attribute: &str| HtmlError::AttributeNotAllowed {
        tag: name.into(),
        attribute: attribute.into(),
    };
    let missing = |attribute: &str| HtmlError::MissingAttribute {
        tag: name.into(),
        attribute: attribute.into(),
    };
    for (attr, value) in attrs {
        let ok = match (name, attr.as_str(), value.as_deref()) {
            ("a", "href", Some(_)) => true,
            ("span", "class", Some("tg-spoiler")) => true,
            ("code", "class", Some(class)) => {
                parent == Some("pre")
                    && class.strip_prefix("language-").is_some_and(|lang| {
                        !lang.is_empty()
                            && lang
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || "+-_#.".contains(c))
                    })
            }
            ("blockquote", "expandable", None) => true,
            _ => false,
        };
        if !ok {
            return Err(not_allowed(attr));
        }
    }
    let value_of = |key: &str| {
        attrs
            .iter()
            .find(|(a, _)| a == key)
            .and_then(|(_, v)| v.clone())
    };
    match name {
        "a" => {
            let href = value_of("href").ok_or_else(|| missing("href"))?;
            if !super::content::url_ok(&decode_entities(&href), true) {
                return Err(HtmlError::InvalidUrl);
            }
        }
        "span" if value_of("class").is_none() => return Err(missing("class")),
        _ => {}
    }
    Ok(())
}

/// `name="value"`, `name='value'`, `name=value` or a bare `name`, lowercased names.
fn attributes(mut text: &str) -> Result<Vec<(String, Option<String>)>, HtmlError> {
    let mut out = Vec::new();
    loop {
        text = text.trim_start();
        if text.is_empty() {
            return Ok(out);
        }
        let name_end = text
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(text.len());
        let name = text[..name_end].to_ascii_lowercase();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(HtmlError::UnescapedLt);
        }
        text = text[name_end..].trim_start();
        let Some(after_eq) = text.strip_prefix('=') else {
            out.push((name, None));
            continue;
        };
        let after_eq = after_eq.trim_start();
        let (value, rest) = match after_eq.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let body = &after_eq[1..];
                let end = body.find(q).ok_or(HtmlError::UnescapedLt)?;
                (&body[..end], &body[end + 1..])
            }
            _ => {
                let end = after_eq.find(char::is_whitespace).unwrap_or(after_eq.len());
                (&after_eq[..end], &after_eq[end..])
            }
        };
        if value.contains('<') {
            return Err(HtmlError::UnescapedLt);
        }
        out.push((name, Some(value.to_string())));
        text = rest;
    }
}

/// The four named entities and `&amp;` decoded (enough for URLs in `href`).
fn decode_entities(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(text: &str) -> String {
        validate(text).unwrap_err().reason()
    }

    #[test]
    fn telegram_formatting_is_accepted() {
        let ok = [
            "plain text",
            "<b>bold</b>, <strong>bold</strong>, <i>it</i>, <em>it</em>, <u>u</u>, <ins>u</ins>",
            "<s>s</s> <strike>s</strike> <del>s</del> <span class=\"tg-spoiler\">x</span> <tg-spoiler>x</tg-spoiler>",
            "<b>bold <i>italic bold <s>and struck</s></i></b>",
            "<a href=\"https://example.com/?a=1&amp;b=2\">link</a> <a href='tg://user?id=1'>me</a>",
            "<code>x &lt; y</code> <pre>block</pre> <pre><code class=\"language-rust\">fn main() {}</code></pre>",
            "<blockquote>quote</blockquote> <blockquote expandable>long</blockquote>",
            "1 &gt; 0 &amp;&amp; &quot;q&quot; &#169; &#x1F600; -> ok",
        ];
        for text in ok {
            assert!(validate(text).is_ok(), "{text}: {:?}", validate(text));
        }
        assert_eq!(validate("<b>ab</b>&amp;").unwrap(), 3);
        assert_eq!(
            validate("😀").unwrap(),
            2,
            "UTF-16 units, as Telegram counts"
        );
    }

    #[test]
    fn a_bad_tag_is_named() {
        assert_eq!(
            reason("<script>alert(1)</script>"),
            "tag_not_allowed:script"
        );
        assert_eq!(reason("line<br/>break"), "tag_not_allowed:br");
        assert_eq!(
            reason("<span style=\"color:red\">x</span>"),
            "attribute_not_allowed:span.style"
        );
        assert_eq!(reason("<span>x</span>"), "missing_attribute:span.class");
        assert_eq!(reason("<a>x</a>"), "missing_attribute:a.href");
        assert_eq!(
            reason("<a href=\"javascript:alert(1)\">x</a>"),
            "invalid_url"
        );
        assert_eq!(
            reason("<b onclick=\"x\">x</b>"),
            "attribute_not_allowed:b.onclick"
        );
        assert_eq!(
            reason("<code class=\"language-rust\">x</code>"),
            "attribute_not_allowed:code.class"
        );
    }

    #[test]
    fn tags_must_nest_and_close() {
        assert_eq!(reason("<b>x"), "unclosed_tag:b");
        assert_eq!(reason("<b><i>x</b></i>"), "unexpected_closing_tag:b");
        assert_eq!(reason("x</i>"), "unexpected_closing_tag:i");
        assert_eq!(reason("<pre><b>x</b></pre>"), "nesting_not_allowed:b");
        assert_eq!(
            reason("<a href=\"https://a.b\"><a href=\"https://c.d\">x</a></a>"),
            "nesting_not_allowed:a"
        );
        assert_eq!(
            reason("<blockquote><blockquote>x</blockquote></blockquote>"),
            "nesting_not_allowed:blockquote"
        );
    }

    #[test]
    fn stray_angle_brackets_and_ampersands_are_refused() {
        assert_eq!(reason("1 < 2"), "unescaped_lt");
        assert_eq!(reason("Tom & Jerry"), "invalid_entity");
        assert_eq!(reason("&nbsp;"), "invalid_entity");
        assert_eq!(reason("< b>x"), "unescaped_lt");
    }
}
