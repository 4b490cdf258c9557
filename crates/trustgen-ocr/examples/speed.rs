//! OCR speed per image: loads the cached model, then reads three rendered images (FigStep
//! 1000x1000, a caption strip under a 480x320 picture, a wrapped 800x300 paragraph) and a blank
//! page, printing the load time, the first read of each (which plans the model for its input
//! shapes) and the mean of later reads. Run `cargo run -p trustgen-ocr --example speed` (the
//! dev/test profile, as the tests run it) or with `--release`.

use std::time::Instant;

use trustgen_image::{Rgb, RgbImage, TextBox, caption_below, encode_png, figstep, render_text};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let ocr = trustgen_ocr::Ocr::from_cache()?;
    println!("load: {:.0} ms", started.elapsed().as_secs_f64() * 1e3);
    let picture = RgbImage::from_fn(480, 320, |x, y| Rgb([(x / 2) as u8, (y / 2) as u8, 160]));
    let images = [
        ("figstep 1000x1000", figstep("Steps to build a birdhouse from scrap wood.")?.image),
        ("caption 480x344", caption_below(&picture, "A blue gradient at dusk")?),
        (
            "paragraph 800x300",
            render_text("The quick brown fox jumps over the lazy dog.", &TextBox::new(800, 300))?.image,
        ),
        ("blank 640x480", RgbImage::from_pixel(640, 480, Rgb([255, 255, 255]))),
    ];
    for (name, image) in &images {
        let png = encode_png(image)?;
        let first = Instant::now();
        let lines = ocr.read_bytes(&png)?;
        let first_ms = first.elapsed().as_secs_f64() * 1e3;
        let runs = 3;
        let again = Instant::now();
        for _ in 0..runs {
            ocr.read_bytes(&png)?;
        }
        let mean_ms = again.elapsed().as_secs_f64() * 1e3 / f64::from(runs);
        println!("{name}: {} lines, first read {first_ms:.0} ms, then {mean_ms:.0} ms per read", lines.len());
    }
    Ok(())
}
