//! Drawing helpers for generated visual-question cases whose answers are known by construction:
//! filled shapes of a named colour at a position ([`fill_shape`]) and seeded scenes
//! ([`Scene::sample`]) of counted, coloured shapes with an optional coloured sign carrying a word.
//!
//! A scene is a 384×384 picture on a light grey background: a 4×3 grid of cells in the upper
//! 288 pixels, each holding at most one shape (56 px across, jittered by up to 8 px), and, when
//! the scene has one, a sign (a 208×64 coloured board with a black-outlined word) centred in the
//! bottom strip. Every shape of a kind has the same colour, so "what colour is the circle" has one
//! answer; the kinds and colours of one scene are distinct.

use image::{Rgb, RgbImage};
use trustgen_plugin_api::SeededRng;

use crate::ImageError;
use crate::text::draw_text_centered;

/// A shape to fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shape {
    /// An axis-aligned square.
    Square,
    /// A disc.
    Circle,
    /// An upward isosceles triangle.
    Triangle,
    /// A square standing on a corner.
    Diamond,
}

impl Shape {
    /// Every shape.
    pub const ALL: [Shape; 4] = [Shape::Square, Shape::Circle, Shape::Triangle, Shape::Diamond];

    /// The English noun (`square`, `circle`, `triangle`, `diamond`).
    pub fn name(self) -> &'static str {
        match self {
            Shape::Square => "square",
            Shape::Circle => "circle",
            Shape::Triangle => "triangle",
            Shape::Diamond => "diamond",
        }
    }

    /// The plural noun.
    pub fn plural(self) -> &'static str {
        match self {
            Shape::Square => "squares",
            Shape::Circle => "circles",
            Shape::Triangle => "triangles",
            Shape::Diamond => "diamonds",
        }
    }
}

/// A named colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour {
    /// The English name, lower case.
    pub name: &'static str,
    /// The RGB value.
    pub rgb: Rgb<u8>,
}

/// Six colours far apart from each other and from the grey background, named as people name them.
pub const PALETTE: [Colour; 6] = [
    Colour { name: "red", rgb: Rgb([220, 30, 30]) },
    Colour { name: "green", rgb: Rgb([30, 160, 50]) },
    Colour { name: "blue", rgb: Rgb([30, 70, 220]) },
    Colour { name: "yellow", rgb: Rgb([245, 210, 20]) },
    Colour { name: "purple", rgb: Rgb([130, 40, 170]) },
    Colour { name: "orange", rgb: Rgb([245, 130, 20]) },
];

/// The words a sign may carry: short, common, unambiguous when read.
pub const SIGN_WORDS: [&str; 10] = ["OPEN", "STOP", "EXIT", "SALE", "PARK", "CAFE", "BOOK", "LAKE", "FARM", "BANK"];

/// Fills `shape` of `size` pixels across centred on (`cx`, `cy`) in `colour`; pixels outside the
/// image are clipped.
pub fn fill_shape(image: &mut RgbImage, shape: Shape, cx: i64, cy: i64, size: u32, colour: Rgb<u8>) {
    let r = i64::from(size) / 2;
    let (w, h) = (i64::from(image.width()), i64::from(image.height()));
    for y in (cy - r).max(0)..=(cy + r).min(h - 1) {
        for x in (cx - r).max(0)..=(cx + r).min(w - 1) {
            let (dx, dy) = (x - cx, y - cy);
            let inside = match shape {
                Shape::Square => true,
                Shape::Circle => dx * dx + dy * dy <= r * r,
                // Apex at (cx, cy - r), base from (cx - r, cy + r) to (cx + r, cy + r).
                Shape::Triangle => 2 * dx.abs() <= dy + r,
                Shape::Diamond => dx.abs() + dy.abs() <= r,
            };
            if inside {
                image.put_pixel(x as u32, y as u32, colour);
            }
        }
    }
}

/// One kind of shape in a scene: every one of them has the same colour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The shape.
    pub shape: Shape,
    /// Its colour.
    pub colour: Colour,
    /// The cell (column, row) of each one.
    pub cells: Vec<(u32, u32)>,
}

/// A coloured sign with a word on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sign {
    /// The board's colour.
    pub colour: Colour,
    /// The word written on it.
    pub word: String,
}

/// A picture whose content is known: groups of counted shapes and an optional sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scene {
    /// The shape groups (distinct shapes, distinct colours).
    pub groups: Vec<Group>,
    /// The sign, if any (its colour differs from every group's).
    pub sign: Option<Sign>,
    /// Per-shape jitter in pixels, by cell, drawn with the scene.
    jitter: Vec<(i64, i64)>,
}

/// Scene size in pixels.
pub const SCENE_SIZE: u32 = 384;
const COLUMNS: u32 = 4;
const ROWS: u32 = 3;
const CELL: u32 = 96;
const SHAPE_PX: u32 = 56;
const BACKGROUND: Rgb<u8> = Rgb([238, 238, 238]);

impl Scene {
    /// A seeded scene: `kinds` (1–3) groups of distinct shapes and colours, each with 1–4 shapes
    /// in distinct cells, and a sign (a word of [`SIGN_WORDS`] on a board of another colour) when
    /// `with_sign`.
    pub fn sample(rng: &mut SeededRng, kinds: usize, with_sign: bool) -> Result<Scene, ImageError> {
        if !(1..=3).contains(&kinds) {
            return Err(ImageError::InvalidArgument(format!("a scene has 1 to 3 kinds of shape, got {kinds}")));
        }
        let shapes: Vec<Shape> =
            rng.sample_indices(Shape::ALL.len(), kinds).into_iter().map(|i| Shape::ALL[i]).collect();
        let colours = rng.sample_indices(PALETTE.len(), kinds + 1);
        let mut cells = rng.sample_indices((COLUMNS * ROWS) as usize, (COLUMNS * ROWS) as usize);
        let mut groups = Vec::with_capacity(kinds);
        for (k, shape) in shapes.into_iter().enumerate() {
            let n = 1 + rng.below(4);
            let taken: Vec<(u32, u32)> = cells.drain(..n).map(|c| (c as u32 % COLUMNS, c as u32 / COLUMNS)).collect();
            groups.push(Group { shape, colour: PALETTE[colours[k]], cells: taken });
        }
        let sign = with_sign.then(|| Sign {
            colour: PALETTE[colours[kinds]],
            word: SIGN_WORDS[rng.below(SIGN_WORDS.len())].to_string(),
        });
        let jitter = (0..COLUMNS * ROWS).map(|_| (rng.below(17) as i64 - 8, rng.below(17) as i64 - 8)).collect();
        Ok(Scene { groups, sign, jitter })
    }

    /// The group of `shape`, if the scene has that shape.
    pub fn group(&self, shape: Shape) -> Option<&Group> {
        self.groups.iter().find(|g| g.shape == shape)
    }

    /// Draws the scene (384×384).
    pub fn render(&self) -> Result<RgbImage, ImageError> {
        let mut image = RgbImage::from_pixel(SCENE_SIZE, SCENE_SIZE, BACKGROUND);
        for group in &self.groups {
            for &(col, row) in &group.cells {
                let (jx, jy) = self.jitter.get((row * COLUMNS + col) as usize).copied().unwrap_or((0, 0));
                let cx = i64::from(col * CELL + CELL / 2) + jx;
                let cy = i64::from(row * CELL + CELL / 2) + jy;
                fill_shape(&mut image, group.shape, cx, cy, SHAPE_PX, group.colour.rgb);
            }
        }
        if let Some(sign) = &self.sign {
            let (w, h) = (208u32, 64u32);
            let (left, top) = ((SCENE_SIZE - w) / 2, ROWS * CELL + (SCENE_SIZE - ROWS * CELL - h) / 2);
            for y in top..top + h {
                for x in left..left + w {
                    let edge = x < left + 3 || x >= left + w - 3 || y < top + 3 || y >= top + h - 3;
                    image.put_pixel(x, y, if edge { Rgb([40, 40, 40]) } else { sign.colour.rgb });
                }
            }
            let (cx, cy) = ((left + w / 2) as f32, (top + h / 2) as f32);
            // White letters on the darker boards, black on yellow and orange.
            let luma = 0.299 * f32::from(sign.colour.rgb.0[0])
                + 0.587 * f32::from(sign.colour.rgb.0[1])
                + 0.114 * f32::from(sign.colour.rgb.0[2]);
            let ink = if luma > 140.0 { Rgb([0, 0, 0]) } else { Rgb([255, 255, 255]) };
            draw_text_centered(&mut image, &sign.word, cx, cy, 44.0, ink)?;
        }
        Ok(image)
    }
}
