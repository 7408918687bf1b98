//! `parse_mode` as Telegram applies it: HTML, MarkdownV2 or Markdown in, the plain text the user sees
//! out — or the "can't parse entities" error Telegram would answer, so formatting bugs surface here.

/// The text a user sees, or the reason Telegram would refuse it (after "can't parse entities: ").
pub(crate) fn plain_text(text: &str, parse_mode: Option<&str>) -> Result<String, String> {
    match parse_mode {
        None | Some("") => Ok(text.to_owned()),
        Some(mode) if mode.eq_ignore_ascii_case("html") => html(text),
        Some(mode) if mode.eq_ignore_ascii_case("markdownv2") => markdown_v2(text),
        Some(mode) if mode.eq_ignore_ascii_case("markdown") => markdown(text),
        Some(other) => Err(format!("unsupported parse_mode \"{other}\"")),
    }
}

const HTML_TAGS: &[&str] = &[
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "tg-emoji",
    "code",
    "pre",
    "blockquote",
    "tg-time",
];

fn html(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut open: Vec<String> = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().unwrap_or_default();
        match c {
            '<' => {
                let Some(end) = text[i..].find('>') else {
                    return Err(format!("Unclosed start tag at byte offset {i}"));
                };
                let inner = &text[i + 1..i + end];
                if let Some(name) = inner.strip_prefix('/') {
                    let name = name.trim().to_ascii_lowercase();
                    match open.pop() {
                        Some(top) if top == name => {}
                        Some(top) => {
                            return Err(format!(
                                "Unmatched end tag at byte offset {i}, expected \"</{top}>\", found \"</{name}>\""
                            ));
                        }
                        None => return Err(format!("Unexpected end tag at byte offset {i}")),
                    }
                } else {
                    let name = inner
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    if !HTML_TAGS.contains(&name.as_str()) {
                        return Err(format!(
                            "Unsupported start tag \"{name}\" at byte offset {i}"
                        ));
                    }
                    open.push(name);
                }
                i += end + 1;
            }
            '>' => {
                return Err(format!(
                    "Unexpected character '>' at byte offset {i}; use &gt;"
                ));
            }
            '&' => {
                let rest = &text[i + 1..];
                let entity = rest
                    .find(';')
                    .filter(|&n| n <= 10)
                    .and_then(|n| decode_entity(&rest[..n]).map(|ch| (n, ch)));
                match entity {
                    Some((n, ch)) => {
                        out.push(ch);
                        i += n + 2;
                    }
                    None => {
                        out.push('&');
                        i += 1;
                    }
                }
            }
            _ => {
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    if let Some(tag) = open.pop() {
        return Err(format!(
            "Can't find end tag corresponding to start tag \"{tag}\""
        ));
    }
    Ok(out)
}

fn decode_entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

const V2_RESERVED: &[char] = &[
    '_', '*', '[', ']', '(', ')', '~', '`', '>', '#', '+', '-', '=', '|', '{', '}', '.', '!',
];

fn markdown_v2(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    // Open entities: marker and byte offset where it started.
    let mut open: Vec<(&'static str, usize)> = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut line_start = true;
    while let Some((i, c)) = chars.next() {
        let at_line_start = line_start;
        line_start = c == '\n';
        if c == '\\' {
            match chars.next() {
                Some((_, escaped)) => out.push(escaped),
                None => return Err(format!("Character '\\' at byte offset {i} escapes nothing")),
            }
            continue;
        }
        if c == '`' {
            // Code: everything literal up to the closing backtick(s); only \ escapes inside.
            let fence = text[i..].starts_with("```");
            let marker = if fence { "```" } else { "`" };
            if fence {
                chars.next();
                chars.next();
            }
            let mut closed = false;
            while let Some((j, d)) = chars.next() {
                if d == '\\' {
                    if let Some((_, e)) = chars.next() {
                        out.push(e);
                    }
                    continue;
                }
                if text[j..].starts_with(marker) {
                    for _ in 1..marker.len() {
                        chars.next();
                    }
                    closed = true;
                    break;
                }
                out.push(d);
            }
            if !closed {
                return Err(format!("Can't find end of Code entity at byte offset {i}"));
            }
            continue;
        }
        let marker: Option<&'static str> = match c {
            '*' => Some("*"),
            '~' => Some("~"),
            '_' if text[i..].starts_with("__") => Some("__"),
            '_' => Some("_"),
            '|' if text[i..].starts_with("||") => Some("||"),
            '[' => Some("["),
            _ => None,
        };
        if let Some(marker) = marker {
            if marker.len() == 2 {
                chars.next();
            }
            if marker == "[" {
                open.push(("[", i));
            } else if open.last().is_some_and(|(m, _)| *m == marker) {
                open.pop();
            } else {
                open.push((marker, i));
            }
            continue;
        }
        if c == ']' && open.last().is_some_and(|(m, _)| *m == "[") {
            open.pop();
            if chars.peek().is_some_and(|(_, d)| *d == '(') {
                // The link target is not shown; it ends at the first unescaped ')'.
                let mut closed = false;
                for (_, d) in chars.by_ref() {
                    if d == ')' {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return Err(format!("Can't find end of a URL at byte offset {i}"));
                }
            }
            continue;
        }
        if c == '>' && at_line_start {
            // Block quotation marker.
            continue;
        }
        if V2_RESERVED.contains(&c) {
            return Err(format!(
                "Character '{c}' is reserved and must be escaped with the preceding '\\'"
            ));
        }
        out.push(c);
    }
    if let Some((marker, at)) = open.pop() {
        return Err(format!(
            "Can't find end of the entity \"{marker}\" starting at byte offset {at}"
        ));
    }
    Ok(out)
}

fn markdown(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut open: Option<(char, usize)> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match (c, open) {
            ('*' | '_' | '`', None) => open = Some((c, i)),
            (c, Some((m, _))) if c == m => open = None,
            ('[', None) => open = Some(('[', i)),
            (']', Some(('[', _))) => {
                open = None;
                if chars.peek().is_some_and(|(_, d)| *d == '(') {
                    for (_, d) in chars.by_ref() {
                        if d == ')' {
                            break;
                        }
                    }
                }
            }
            _ => out.push(c),
        }
    }
    if let Some((m, at)) = open {
        return Err(format!(
            "Can't find end of the entity \"{m}\" starting at byte offset {at}"
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::plain_text;

    #[test]
    fn html_tags_are_removed_and_entities_decoded() {
        assert_eq!(
            plain_text("<b>Hi</b> &lt;3 &amp; <a href=\"x\">link</a>", Some("HTML")).unwrap(),
            "Hi <3 & link"
        );
    }

    #[test]
    fn html_with_an_unknown_or_unclosed_tag_is_refused() {
        assert!(
            plain_text("<br>", Some("HTML"))
                .unwrap_err()
                .contains("Unsupported start tag")
        );
        assert!(
            plain_text("<b>bold", Some("HTML"))
                .unwrap_err()
                .contains("end tag")
        );
        assert!(
            plain_text("<b><i>x</b></i>", Some("HTML"))
                .unwrap_err()
                .contains("Unmatched end tag")
        );
    }

    #[test]
    fn markdown_v2_needs_reserved_characters_escaped() {
        assert_eq!(
            plain_text("*Hi*, you\\!", Some("MarkdownV2")).unwrap(),
            "Hi, you!"
        );
        assert!(
            plain_text("Done.", Some("MarkdownV2"))
                .unwrap_err()
                .contains("Character '.' is reserved")
        );
        assert_eq!(
            plain_text("[site](http://x.y/a) `a.b`", Some("MarkdownV2")).unwrap(),
            "site a.b"
        );
    }
}
