//! The SQLite cache on its own: read-your-writes before the commit, persistence, statistics, clearing.

use expect_test::expect;
use trustgen_plugin_api::{ModelReply, ReplyStatus};

use crate::Cache;

#[test]
fn replies_are_readable_at_once_persist_and_are_counted() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("nested").join("cache.sqlite");
    let cache = Cache::open(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cache.get("k1"), None);
    let reply = ModelReply::text("hello");
    let filtered = ModelReply::new(ReplyStatus::ContentFiltered).with_error("blocked");
    for i in 0..600 {
        cache.put(&format!("bulk{i}"), "openai", "gpt-x", &reply);
    }
    cache.put("k1", "openai", "gpt-x", &reply);
    cache.put("k2", "anthropic", "claude", &filtered);
    // Served from memory or disk, whichever: the caller cannot tell.
    assert_eq!(cache.get("k1"), Some(reply.clone()));
    cache.flush().unwrap_or_else(|e| panic!("{e}"));
    drop(cache);

    let cache = Cache::open(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cache.get("k2"), Some(filtered));
    assert_eq!(cache.get("bulk599"), Some(reply));
    let stats = cache.stats().unwrap_or_else(|e| panic!("{e}"));
    assert!(stats.file_bytes > 0 && stats.bytes > 0);
    assert!(stats.oldest.is_some() && stats.oldest <= stats.newest);
    expect![[r#"
        (
            602,
            {
                (
                    "anthropic",
                    "claude",
                ): 1,
                (
                    "openai",
                    "gpt-x",
                ): 601,
            },
        )
    "#]]
    .assert_debug_eq(&(stats.entries, stats.per_model));
    assert_eq!(cache.clear().unwrap_or_else(|e| panic!("{e}")), 602);
    assert_eq!(cache.get("k1"), None);
    assert_eq!(cache.stats().unwrap_or_else(|e| panic!("{e}")).entries, 0);
}

#[test]
fn an_unusable_cache_path_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap_or_else(|e| panic!("{e}"));
    let error = Cache::open(&file.join("cache.sqlite")).map(|_| ()).unwrap_err().to_string();
    let error = error.replace(&dir.path().display().to_string(), "DIR");
    expect!["cache DIR/a-file: cannot create the directory: File exists (os error 17); hint: check permissions or set TRUSTGEN_CACHE_DIR"].assert_eq(&error);
}
