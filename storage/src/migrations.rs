//! The embedded migrations of each dialect, and the checksums databases recorded for them.
//!
//! sqlx refuses to start when a migration's checksum (SHA-384 of its whole file, comments
//! included) differs from the one a database recorded when it ran it. A shipped migration's
//! statements never change, but its comments may be reworded; its checksum as shipped is then
//! kept in [`SHIPPED_CHECKSUMS`], so databases that ran the file as shipped and new ones
//! record and compare the same. A test proves that every such file differs from what shipped
//! in comment lines only.

use std::borrow::Cow;

use sqlx::migrate::Migrator;

static SQLITE: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("../migrations/postgres");

/// Our migrations table. The apalis SQLite queue shares the database file and keeps its own
/// migrations in `_sqlx_migrations`; a separate table keeps the two histories apart.
pub const TABLE: &str = "adsync_migrations";

/// Migrations whose comments were reworded after they shipped: (dialect, version, SHA-384 of
/// the file as shipped, hex).
const SHIPPED_CHECKSUMS: &[(&str, i64, &str)] = &[
    (
        "postgres",
        4,
        "7deb6e5648615e578ff1dc92f5258251f0b2cf56d5eddb49d5e79a62dd581c56eb56a4c75c5e1ae4cb4984e1c9d6375f",
    ),
    (
        "postgres",
        5,
        "b6ab9d6d12e9f2690f857632726f2739a5e1072dc9c68dc988e987df10d30f52359a1381acd0b1413d0e50a5acaaf486",
    ),
    (
        "postgres",
        6,
        "c6d76131668a53f83d5796aa10f67258a9d15b4647f6eaf6019cb2216e9d50fcb2054b782d5e1f6e78ad5cfa9236fa1d",
    ),
    (
        "postgres",
        7,
        "38c4be8065a5a91c043493bd1265e5fa148b75fef1946e94c58e3a0830023184d3ed4cbedf4052e9894493e19a51e28e",
    ),
    (
        "postgres",
        8,
        "39a889eb132c1a470ea7bfc0bf41b81eddf5309f130ee616a080d33967b3b3cc870bc580dbe4e534dfe842469607847c",
    ),
    (
        "postgres",
        9,
        "17a518000166a54a764aec9e51c4343100be8e0e812242af348b69ddaa346e60ab2a685494ff01e9fb21d951f8d3fada",
    ),
    (
        "sqlite",
        4,
        "1ea348f63ada0287c68b91d9d8e8d2e8708a704bec5e727a91ce5450cf55061301252ca17cccedde3ed417d206256c8e",
    ),
];

/// The migrations of `dialect` (`"sqlite"` or `"postgres"`), on adsync's table, with the
/// checksums as shipped.
pub fn migrator(dialect: &str) -> Migrator {
    let embedded = if dialect == "postgres" { &POSTGRES } else { &SQLITE };
    let migrations = embedded
        .migrations
        .iter()
        .cloned()
        .map(|mut m| {
            if let Some(shipped) = shipped_checksum(dialect, m.version) {
                m.checksum = Cow::Owned(shipped);
            }
            m
        })
        .collect::<Vec<_>>();
    let mut m = Migrator {
        migrations: migrations.into(),
        ..Migrator::DEFAULT
    };
    m.dangerous_set_table_name(TABLE);
    m
}

fn shipped_checksum(dialect: &str, version: i64) -> Option<Vec<u8>> {
    let (_, _, hex) = SHIPPED_CHECKSUMS
        .iter()
        .find(|(d, v, _)| *d == dialect && *v == version)?;
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha384};

    /// SHA-384 of each reworded file's lines that are not comments, as shipped: the same
    /// statements, in the same order.
    const SHIPPED_STATEMENTS: &[(&str, i64, &str)] = &[
        (
            "postgres",
            4,
            "e351d8ead6620f2c453497c84b15bed4d6ffb73d810983973e5c56afbe14a3bca8da4dc4a48e760ae63dfae66b978ab1",
        ),
        (
            "postgres",
            5,
            "d24bcdc3a525bf03d03f89865709da09ffdb293d86df78f1624ab0931d982def065f74504948b0523e4749062d622303",
        ),
        (
            "postgres",
            6,
            "03478bbda06eb8187be884ad0b3fad4ca9a84505e27d0adc12cdadc323cbb62e92db877525175a08bffbdde0761dcd38",
        ),
        (
            "postgres",
            7,
            "62647db70ff9f3d2fbd209db87dc9a2601e386759d849e9f7c148190f4fbf56d2eb093d8813a11cf6e7d91b5c3617428",
        ),
        (
            "postgres",
            8,
            "aaa5697916f34d96c29687fedeb8e0879e87ef01d4783247e483d4da6fba88d7a67fc2313afc03425038dbbb3edf4e6a",
        ),
        (
            "postgres",
            9,
            "2ee136c151d330c5cd9c4d3fc8a92c94538d98c7494796a216910c1e10718b0551e159d39ee01e76c07fa55fdcac0888",
        ),
        (
            "sqlite",
            4,
            "1cc69cb5ddfd3c3f2ed465dd5fed9ceabf49c5de4b281d6411116d1f6696578ddd07d28fcc9dc5b4efc975c1382c85cb",
        ),
    ];

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn reworded_migrations_differ_from_what_shipped_in_comments_only() {
        assert_eq!(SHIPPED_STATEMENTS.len(), SHIPPED_CHECKSUMS.len());
        for (dialect, version, statements) in SHIPPED_STATEMENTS {
            let embedded = if *dialect == "postgres" { &POSTGRES } else { &SQLITE };
            let m = embedded
                .migrations
                .iter()
                .find(|m| m.version == *version)
                .expect("migration");
            let code: Vec<&str> = m
                .sql
                .as_str()
                .split('\n')
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect();
            assert_eq!(
                hex(&Sha384::digest(code.join("\n").as_bytes())),
                *statements,
                "{dialect} {version}: only comments may change in a shipped migration"
            );
            assert_ne!(
                hex(&m.checksum),
                shipped_checksum(dialect, *version).map(|c| hex(&c)).unwrap_or_default(),
                "{dialect} {version}: the file is reworded, or it needs no entry"
            );
        }
    }

    #[test]
    fn every_reworded_migration_runs_with_its_shipped_checksum() {
        for (dialect, version, shipped) in SHIPPED_CHECKSUMS {
            let m = migrator(dialect);
            let run = m.migrations.iter().find(|m| m.version == *version).expect("migration");
            assert_eq!(hex(&run.checksum), *shipped, "{dialect} {version}");
        }
        let untouched = migrator("sqlite");
        let first = untouched.migrations.iter().find(|m| m.version == 1).expect("0001");
        assert_eq!(
            hex(&first.checksum),
            hex(&Sha384::digest(first.sql.as_str().as_bytes())),
            "the others keep their own"
        );
    }
}
