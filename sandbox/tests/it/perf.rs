//! The large dataset's shape, paged in full over HTTP.

use adsync_sandbox::{DatasetName, SandboxConfig};

use crate::insights::{FIELDS, range, time_range};
use crate::{auto, spawn};

/// The large dataset's shape and full pages of it over HTTP. How fast that is belongs to
/// the benchmarks (docs/benchmarks.md), not to a test.
#[tokio::test]
async fn large_dataset_has_its_shape_and_pages_fully() {
    let ds = adsync_sandbox::Dataset::generate(DatasetName::Large, 42);
    assert_eq!(ds.all_ads().len(), 2000);
    let potential: i64 = ds.all_ads().iter().map(|a| (a.end - a.start).num_days() + 1).sum();
    assert!((600_000..=730_000).contains(&potential), "{potential}");

    let app = spawn(SandboxConfig {
        dataset: DatasetName::Large,
        ..auto()
    })
    .await;
    let t = app.login().await;
    let acc = app.sb.dataset().accounts()[0].id.clone();
    let (since, until) = range(&app, 365);
    let tr = time_range(since, until);
    let q = [
        ("access_token", t.as_str()),
        ("level", "ad"),
        ("fields", FIELDS),
        ("time_range", tr.as_str()),
        ("time_increment", "1"),
        ("limit", "500"),
    ];
    let mut page = app.get(&format!("{acc}/insights"), &q).await;
    for _ in 0..6 {
        assert_eq!(page.body["data"].as_array().map(Vec::len), Some(500));
        let next = page.body["paging"]["next"].as_str().expect("next").to_string();
        page = app.get_url(&next).await;
    }
}
