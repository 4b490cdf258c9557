//! Windowed builds: a builder that attaches images builds only the window of items the host
//! asks for ([`BuildInput::window`]), so a run holds one window of images at a time.
//!
//! The builder selects and orders its items exactly as before (the whole build's selection,
//! seeding, limit and case ids), then takes [`Window::of`] the input over that many items and
//! builds only the items of [`Window::range`] (or iterates [`Window::take`]), asking the image
//! generator only for those. [`Window::output`] returns the cases with the whole build's number
//! of items, which tells the host to ask for the next window. Skipped entries of an item belong
//! to its window; entries about the whole build (a missing data file, a count of dropped rows)
//! go through [`Window::once`], so they are reported with the first window only.
//!
//! A case's id and anything else derived from its position must come from the item's index in
//! the whole build (the index [`Window::take`] yields), never from the number of cases built so
//! far in this call: the cases of the windows, concatenated, must equal the whole build
//! (`testing::check_windows` checks it for every task).
//!
//! ```
//! use trustgen_plugin_api::{BuildInput, BuildOutput, BuildWindow, TestCase};
//! use trustgen_plugin_kit::window::Window;
//!
//! fn build(input: &BuildInput) -> BuildOutput {
//!     let items = ["red", "green", "blue"]; // selected and ordered as always
//!     let window = Window::of(input, items.len());
//!     let cases = window
//!         .take(items)
//!         .map(|(i, colour)| TestCase::new(format!("demo/colours/{i}"), "colours", vec![]).with_ground_truth(colour))
//!         .collect();
//!     window.output(cases, Vec::new())
//! }
//!
//! let whole = build(&BuildInput::new("colours", 1));
//! assert_eq!((whole.cases.len(), whole.items), (3, None));
//! let second = build(&BuildInput::new("colours", 1).with_window(BuildWindow::new(2, 2)));
//! assert_eq!((second.cases[0].id.as_str(), second.items), ("demo/colours/2", Some(3)));
//! ```

use std::ops::Range;

use trustgen_plugin_api::{BuildInput, BuildOutput, Skipped, TestCase};

/// The items of a build that one call builds (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    range: Range<usize>,
    total: usize,
    windowed: bool,
}

impl Window {
    /// The window `input` asks for among the whole build's `total` items; all of them when it
    /// asks for none.
    pub fn of(input: &BuildInput, total: usize) -> Window {
        match input.window {
            Some(window) => Window { range: window.range(total), total, windowed: true },
            None => Window { range: 0..total, total, windowed: false },
        }
    }

    /// The indices (in the whole build's order) of the items to build.
    pub fn range(&self) -> Range<usize> {
        self.range.clone()
    }

    /// Whether item `i` of the whole build is in the window.
    pub fn contains(&self, i: usize) -> bool {
        self.range.contains(&i)
    }

    /// The whole build's number of items.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Whether this call builds the first window (or the whole build): the one that reports the
    /// whole build's own skipped entries.
    pub fn is_first(&self) -> bool {
        !self.windowed || self.range.start == 0
    }

    /// The window's items of the whole build's `items`, each with its index in the whole build.
    pub fn take<I: IntoIterator>(&self, items: I) -> impl Iterator<Item = (usize, I::Item)> + use<I> {
        let range = self.range.clone();
        items.into_iter().enumerate().skip(range.start).take(range.len())
    }

    /// The whole build's own skipped entries (not of one item): `skipped` in the first window,
    /// nothing in the others, so each is reported once.
    pub fn once(&self, skipped: Vec<Skipped>) -> Vec<Skipped> {
        if self.is_first() { skipped } else { Vec::new() }
    }

    /// The output of this call: `cases` and `skipped`, with the whole build's number of items
    /// when a window was asked (none otherwise: the whole build).
    pub fn output(&self, cases: Vec<TestCase>, skipped: Vec<Skipped>) -> BuildOutput {
        BuildOutput::new(cases).with_skipped(skipped).with_items(self.windowed.then_some(self.total))
    }
}

#[cfg(test)]
mod tests {
    use trustgen_plugin_api::BuildWindow;

    use super::*;

    fn window(start: usize, len: usize, total: usize) -> Window {
        Window::of(&BuildInput::new("t", 1).with_window(BuildWindow::new(start, len)), total)
    }

    #[test]
    fn a_window_takes_its_items_with_their_whole_build_index_and_clamps_at_the_end() {
        let taken: Vec<(usize, char)> = window(3, 3, 5).take("abcde".chars()).collect();
        assert_eq!(taken, [(3, 'd'), (4, 'e')]);
        assert_eq!(window(7, 3, 5).range(), 5..5);
        assert!(window(3, 3, 5).contains(4) && !window(3, 3, 5).contains(2));
        let whole = Window::of(&BuildInput::new("t", 1), 5);
        assert_eq!(whole.take("abcde".chars()).count(), 5);
        assert_eq!((whole.output(Vec::new(), Vec::new()).items, whole.is_first()), (None, true));
        assert_eq!(window(3, 3, 5).output(Vec::new(), Vec::new()).items, Some(5));
    }

    #[test]
    fn whole_build_skipped_entries_are_reported_with_the_first_window_only() {
        let entries = || vec![Skipped::new("(task)", "no rows")];
        assert_eq!(window(0, 2, 5).once(entries()), entries());
        assert!(window(2, 2, 5).once(entries()).is_empty());
        assert_eq!(window(0, 2, 0).once(entries()), entries(), "an empty build reports them too");
    }
}
