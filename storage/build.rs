//! Build script: rebuilds the crate when a migration changes. `sqlx::migrate!` embeds the
//! migration files at compile time; without this, a new or edited migration is not picked up
//! by an incremental build.

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
