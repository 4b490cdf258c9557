//! The git commit a binary was built from, for `trustgen --version`.
//!
//! build.rs includes this file (`#[path]`) and sets `TRUSTGEN_COMMIT` from [`describe`]; the binary
//! includes it for its tests only. Git is optional: a build from a packaged crate, or on a machine
//! without git, says [`UNKNOWN`].

use std::path::{Path, PathBuf};
use std::process::Command;

/// What `--version` shows when git or the repository is unavailable.
pub(crate) const UNKNOWN: &str = "commit unknown";

fn git_output(git: &str, dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new(git).current_dir(dir).args(args).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// `0123456789` (the short hash of HEAD) for a clean tree, `0123456789-dirty` when a tracked file
/// differs from HEAD (untracked files do not count), [`UNKNOWN`] when `git` cannot be run or `dir`
/// is not in a repository.
pub(crate) fn describe(git: &str, dir: &Path) -> String {
    let Some(hash) = git_output(git, dir, &["rev-parse", "--short=10", "HEAD"]).filter(|h| !h.is_empty()) else {
        return UNKNOWN.to_string();
    };
    // `--no-optional-locks`: a build must not rewrite the index (which build.rs watches).
    match git_output(git, dir, &["--no-optional-locks", "status", "--porcelain", "--untracked-files=no"]) {
        Some(changes) if changes.is_empty() => hash,
        // A status that cannot be read is not claimed clean.
        _ => format!("{hash}-dirty"),
    }
}

/// The files whose change must re-run build.rs: the checked-out commit (HEAD, its branch ref,
/// packed refs), the index, and the sources that go into the binary (`workspace` paths that exist).
pub(crate) fn watched(git: &str, dir: &Path, workspace: &[PathBuf]) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = workspace.iter().filter(|p| p.exists()).cloned().collect();
    let resolve = |arg: &str| git_output(git, dir, &["rev-parse", arg]).map(|p| dir.join(p));
    if let Some(git_dir) = resolve("--git-dir") {
        paths.extend([git_dir.join("HEAD"), git_dir.join("index")]);
    }
    if let Some(common) = resolve("--git-common-dir") {
        paths.push(common.join("packed-refs"));
        if let Some(branch) = git_output(git, dir, &["symbolic-ref", "-q", "HEAD"]) {
            paths.push(common.join(branch));
        }
    }
    paths.retain(|p| p.exists());
    paths
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use super::{UNKNOWN, describe, watched};

    fn git(dir: &Path, args: &[&str]) -> String {
        let output = Command::new("git")
            .current_dir(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"])
            .args(args)
            .output()
            .expect("git runs");
        assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    #[test]
    fn clean_dirty_and_untracked() {
        let repo = tempfile::tempdir().unwrap();
        git(repo.path(), &["init", "-q"]);
        std::fs::write(repo.path().join("a.txt"), "one\n").unwrap();
        git(repo.path(), &["add", "a.txt"]);
        git(repo.path(), &["commit", "-q", "-m", "first"]);
        let hash = git(repo.path(), &["rev-parse", "--short=10", "HEAD"]);
        assert_eq!(hash.len(), 10);
        assert_eq!(describe("git", repo.path()), hash);

        std::fs::write(repo.path().join("new.txt"), "untracked\n").unwrap();
        assert_eq!(describe("git", repo.path()), hash, "an untracked file does not make the tree dirty");

        std::fs::write(repo.path().join("a.txt"), "two\n").unwrap();
        assert_eq!(describe("git", repo.path()), format!("{hash}-dirty"));

        git(repo.path(), &["commit", "-q", "-am", "second"]);
        let second = git(repo.path(), &["rev-parse", "--short=10", "HEAD"]);
        assert_ne!(second, hash);
        assert_eq!(describe("git", repo.path()), second);
    }

    #[test]
    fn watches_head_the_branch_the_index_and_existing_sources() {
        let repo = tempfile::tempdir().unwrap();
        git(repo.path(), &["init", "-q", "-b", "trunk"]);
        std::fs::write(repo.path().join("a.txt"), "one\n").unwrap();
        git(repo.path(), &["add", "a.txt"]);
        git(repo.path(), &["commit", "-q", "-m", "first"]);
        let sources = [repo.path().join("a.txt"), repo.path().join("missing")];
        let rel: Vec<String> = watched("git", repo.path(), &sources)
            .iter()
            .map(|p| p.strip_prefix(repo.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(rel, ["a.txt", ".git/HEAD", ".git/index", ".git/refs/heads/trunk"]);
    }

    #[test]
    fn fallbacks() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(describe("/nonexistent/git", dir.path()), UNKNOWN, "git not installed");
        // Only meaningful when the temporary directory is not itself inside a repository.
        if Command::new("git")
            .current_dir(dir.path())
            .args(["rev-parse", "--git-dir"])
            .output()
            .unwrap()
            .status
            .success()
        {
            return;
        }
        assert_eq!(describe("git", dir.path()), UNKNOWN, "not a repository");
    }
}
