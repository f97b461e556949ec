//! Helpers for tests that run `adsync` as a child process.

use std::time::Duration;

use super::client;

/// Sends SIGTERM to `child` and awaits its exit. A process still running 30 s later is
/// killed and the test fails: graceful shutdown must not hang.
pub async fn terminate(child: &mut tokio::process::Child) -> std::process::ExitStatus {
    let pid = child.id().expect("the process is running");
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "SIGTERM sent to {pid}");
    match tokio::time::timeout(Duration::from_secs(30), child.wait()).await {
        Ok(status) => status.expect("wait for the process"),
        Err(_) => {
            let _ = child.start_kill();
            panic!("process {pid} did not stop within 30 s of SIGTERM");
        }
    }
}

/// Polls `{base}/healthz` until the server answers (its start is the signal; a process
/// that exits or never answers fails the test).
pub async fn wait_until_up(base: &str, child: &mut tokio::process::Child) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let http = client();
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("adsync exited before serving: {status}");
        }
        assert!(tokio::time::Instant::now() < deadline, "{base} did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
