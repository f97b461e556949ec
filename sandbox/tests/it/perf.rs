use adsync_sandbox::{DatasetName, SandboxConfig};

use crate::insights::{FIELDS, range, time_range};
use crate::{auto, spawn};

#[tokio::test]
async fn large_dataset_is_cheap_and_fast_to_page() {
    let started = std::time::Instant::now();
    let ds = adsync_sandbox::Dataset::generate(DatasetName::Large, 42);
    assert!(
        started.elapsed() < std::time::Duration::from_millis(200),
        "generate: {:?}",
        started.elapsed()
    );
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
    let first = app.get(&format!("{acc}/insights"), &q).await;
    assert_eq!(first.body["data"].as_array().map(Vec::len), Some(500));
    let next = first.body["paging"]["next"].as_str().expect("next").to_string();
    let started = std::time::Instant::now();
    for _ in 0..5 {
        let p = app.get_url(&next).await;
        assert_eq!(p.body["data"].as_array().map(Vec::len), Some(500));
    }
    let per_page = started.elapsed() / 5;
    assert!(
        per_page < std::time::Duration::from_millis(250),
        "page of 500 rows: {per_page:?}"
    );
    eprintln!("large: page of 500 ad-day rows over HTTP in {per_page:?}");
}
