//! QR images of discount codes: encoded as PNG for the customer, decoded from the photos cashiers send
//! (Telegram recompresses photos to JPEG; PNG documents work too).

use image::{GrayImage, ImageFormat, Luma};
use qrcode::{Color, EcLevel, QrCode};

/// Pixels per QR module and modules of quiet zone around the code.
const SCALE: u32 = 8;
const QUIET: u32 = 4;

/// A PNG picture of a QR code carrying `text`.
pub fn png(text: &str) -> Result<Vec<u8>, String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| e.to_string())?;
    let modules = code.width() as u32;
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let image = GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (x / SCALE, y / SCALE);
        let inside =
            (QUIET..QUIET + modules).contains(&mx) && (QUIET..QUIET + modules).contains(&my);
        let dark =
            inside && colors[((my - QUIET) * modules + (mx - QUIET)) as usize] == Color::Dark;
        Luma([if dark { 0 } else { 255 }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

/// The text of the first QR code found in a PNG or JPEG picture, if any.
pub fn decode(bytes: &[u8]) -> Option<String> {
    let image = image::load_from_memory(bytes).ok()?.to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        image.width() as usize,
        image.height() as usize,
        |x, y| image.get_pixel(x as u32, y as u32).0[0],
    );
    prepared
        .detect_grids()
        .into_iter()
        .find_map(|grid| grid.decode().ok().map(|(_, text)| text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_survives_png_and_jpeg() {
        let png = png("ABCDE23456").unwrap();
        assert_eq!(decode(&png).as_deref(), Some("ABCDE23456"));
        let image = image::load_from_memory(&png).unwrap();
        let mut jpeg = std::io::Cursor::new(Vec::new());
        image.write_to(&mut jpeg, ImageFormat::Jpeg).unwrap();
        assert_eq!(decode(jpeg.get_ref()).as_deref(), Some("ABCDE23456"));
    }

    #[test]
    fn a_picture_without_a_code_decodes_to_nothing() {
        let blank = GrayImage::from_pixel(64, 64, Luma([255]));
        let mut out = std::io::Cursor::new(Vec::new());
        blank.write_to(&mut out, ImageFormat::Png).unwrap();
        assert_eq!(decode(out.get_ref()), None);
        assert_eq!(decode(b"not a picture"), None);
    }
}
