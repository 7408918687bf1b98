//! A document version as PDF: A4, DejaVu Sans embedded (Cyrillic), the title, the body wrapped to the
//! page and a footer line naming the version and the SHA-256 of the body. The font ships in
//! `assets/fonts/` under its own license (`assets/fonts/LICENSE-DejaVu`: redistribution allowed with the
//! notice). The PDF is a rendering of the stored text; the text and its hash remain the record.

use printpdf::{Mm, PdfDocument};

use crate::error::{Error, Result};

const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// Characters per line at 11 pt on the 170 mm text width (DejaVu Sans is wide).
const WRAP: usize = 80;
const LINES_PER_PAGE: usize = 52;

fn pdf_error(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("PDF rendering: {e}"))
}

/// `text` broken into lines of at most [`WRAP`] characters, at spaces where possible.
pub fn wrap(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split(' ') {
            let fits = line.chars().count() + word.chars().count() < WRAP;
            if !line.is_empty() && !fits {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
            while line.chars().count() > WRAP {
                let head: String = line.chars().take(WRAP).collect();
                line = line.chars().skip(WRAP).collect();
                lines.push(head);
            }
        }
        lines.push(line);
    }
    lines
}

/// The PDF bytes of a document version.
pub fn render(title: &str, body: &str, version: i32, sha256: &str) -> Result<Vec<u8>> {
    let footer = format!("Версия {version} · SHA-256 {sha256}");
    let mut lines = wrap(body);
    lines.push(String::new());
    lines.extend(wrap(&footer));
    render_lines(title, lines)
}

/// The PDF bytes of `title` over `lines` (already wrapped), as many pages as they need.
pub fn render_lines(title: &str, lines: Vec<String>) -> Result<Vec<u8>> {
    let (doc, page, layer) = PdfDocument::new(title, Mm(210.0), Mm(297.0), "text");
    let font = doc.add_external_font(FONT).map_err(pdf_error)?;
    let mut layer = doc.get_page(page).get_layer(layer);
    layer.use_text(title, 14.0, Mm(20.0), Mm(277.0), &font);
    let mut y = 265.0;
    let mut on_page = 0;
    for line in lines {
        if on_page == LINES_PER_PAGE {
            let (page, index) = doc.add_page(Mm(210.0), Mm(297.0), "text");
            layer = doc.get_page(page).get_layer(index);
            y = 277.0;
            on_page = 0;
        }
        layer.use_text(line, 11.0, Mm(20.0), Mm(y), &font);
        y -= 5.0;
        on_page += 1;
    }
    doc.save_to_bytes().map_err(pdf_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_at_spaces_and_overlong_words_are_cut() {
        let text = format!("{} {}", "слово ".repeat(30).trim(), "я".repeat(100));
        let lines = wrap(&text);
        assert!(lines.iter().all(|l| l.chars().count() <= WRAP), "{lines:?}");
        assert!(lines[0].ends_with("слово"));
        assert_eq!(
            lines.concat().replace(' ', "").chars().count(),
            30 * 5 + 100
        );
    }

    #[test]
    fn a_pdf_is_produced_with_the_font_embedded() {
        let bytes = render("Договор «Тест»", "Сумма: 100,00 руб.", 1, &"a".repeat(64)).unwrap();
        assert!(bytes.starts_with(b"%PDF"));
        assert!(bytes.len() > 10_000, "the font is embedded");
    }
}
