//! Per-function timing on 1000×1000 images (an example, not a timed test):
//! `cargo run --release -p trustgen-image --example timing [OUTPUT_DIR]`.
//! With OUTPUT_DIR, every result is also written there as PNG for a visual check.

use std::path::PathBuf;
use std::time::Instant;

use trustgen_image::*;
use trustgen_plugin_api::SeededRng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).map(PathBuf::from);
    if let Some(dir) = &out {
        std::fs::create_dir_all(dir)?;
    }
    let save = |name: &str, image: &RgbImage| -> Result<(), Box<dyn std::error::Error>> {
        if let Some(dir) = &out {
            std::fs::write(dir.join(format!("{name}.png")), encode_png(image)?)?;
        }
        Ok(())
    };
    let time = |name: &str, f: &mut dyn FnMut() -> Result<RgbImage, ImageError>| -> Result<RgbImage, ImageError> {
        let start = Instant::now();
        let image = f()?;
        println!("{name:<32} {:>8.1} ms", start.elapsed().as_secs_f64() * 1000.0);
        Ok(image)
    };

    // A photo-like test scene: sky gradient, ground, a sun, some text.
    let mut scene = RgbImage::from_fn(1000, 1000, |x, y| {
        let (fx, fy) = (x as f32 / 1000.0, y as f32 / 1000.0);
        let sun = ((fx - 0.7).powi(2) + (fy - 0.25).powi(2)).sqrt() < 0.08;
        if sun {
            Rgb([250, 220, 60])
        } else if fy < 0.6 {
            Rgb([(90.0 + 100.0 * fy) as u8, (150.0 + 80.0 * fy) as u8, 240])
        } else {
            Rgb([(60.0 + 60.0 * fx) as u8, (140.0 - 40.0 * fy) as u8, (40.0 + 30.0 * (fx * 37.0).sin().abs()) as u8])
        }
    });
    let label = render_text("A sunny field", &TextBox::new(400, 120))?.image;
    image::imageops::replace(&mut scene, &label, 50, 700);

    let fig = time("figstep", &mut || figstep("Steps to grow tomatoes on a balcony.").map(|r| r.image))?;
    save("figstep", &fig)?;
    let png = {
        let start = Instant::now();
        let png = encode_png(&scene)?;
        println!("{:<32} {:>8.1} ms ({} bytes)", "encode_png", start.elapsed().as_secs_f64() * 1000.0, png.len());
        png
    };
    time("decode (png)", &mut || decode(&png, DecodeLimits::default()))?;
    let jpeg = encode_jpeg(&scene, 85)?;
    time("decode (jpeg q85)", &mut || decode(&jpeg, DecodeLimits::default()))?;
    time("encode_jpeg q85", &mut || encode_jpeg(&scene, 85).map(|_| scene.clone()))?;
    let start = Instant::now();
    let fit = jpeg_within(&scene, 50_000, 95)?;
    println!(
        "{:<32} {:>8.1} ms (quality {}, {} bytes)",
        "jpeg_within 50 kB",
        start.elapsed().as_secs_f64() * 1000.0,
        fit.quality,
        fit.bytes.len()
    );
    let captioned = time("caption_below", &mut || caption_below(&scene, "A field under the sun at noon"))?;
    save("caption", &captioned)?;
    let composed = time("compose_horizontal (3)", &mut || {
        compose_horizontal(&[scene.clone(), fig.clone(), captioned.clone()], 10, Rgb([255, 255, 255]))
    })?;
    save("compose", &composed)?;
    time("rotate_quarter 90", &mut || Ok(rotate_quarter(&scene, QuarterTurn::Cw90)))?;
    let rotated = time("rotate_degrees 30 expand", &mut || rotate_degrees(&scene, 30.0, Rgb([0, 0, 0]), true))?;
    save("rotate30", &rotated)?;
    time("flip horizontal", &mut || Ok(flip(&scene, Flip::Horizontal)))?;
    save("scene", &scene)?;
    // A contact sheet of every corruption at severity 3 (scene first), 250 px each, 5 columns.
    let mut sheet = RgbImage::from_pixel(5 * 250, 4 * 250, Rgb([255, 255, 255]));
    image::imageops::replace(&mut sheet, &image::imageops::thumbnail(&scene, 250, 250), 0, 0);
    for (i, corruption) in Corruption::ALL.into_iter().enumerate() {
        let mut rng = SeededRng::derive(7, corruption.name());
        let image =
            time(&format!("corrupt {} s3", corruption.name()), &mut || corrupt(&scene, corruption, 3, &mut rng))?;
        let cell = i + 1;
        let thumb = image::imageops::thumbnail(&image, 250, 250);
        image::imageops::replace(&mut sheet, &thumb, (cell % 5) as i64 * 250, (cell / 5) as i64 * 250);
    }
    save("corruptions", &sheet)?;
    Ok(())
}
