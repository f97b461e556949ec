//! Throwaway PostgreSQL databases for the tests and `adsync bench`: created empty on the
//! server of an admin URL, dropped with their connections afterwards. One place for both, so
//! a test and a benchmark measure the same kind of database.

use super::StorageError;

/// A database made for one test or benchmark run; [`ScratchPostgres::drop_database`] removes it.
#[derive(Debug)]
pub struct ScratchPostgres {
    admin_url: String,
    name: String,
    /// Where the database is: the admin URL's server, user and options.
    pub url: String,
}

impl ScratchPostgres {
    /// Creates database `name` (letters, digits and `_` only) on `admin_url`'s server.
    pub async fn create(admin_url: &str, name: &str) -> Result<Self, StorageError> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(StorageError::Unavailable(format!("{name:?} is not a database name")));
        }
        let url = postgres_database_url(admin_url, name)
            .map_err(|e| StorageError::Unavailable(format!("the admin URL is not a URL: {e}")))?;
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(admin_url).await?;
        // A name cannot be a bind parameter; it is checked above.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await?;
        Ok(Self {
            admin_url: admin_url.to_string(),
            name: name.to_string(),
            url,
        })
    }

    /// Drops the database, closing whatever connections are still open on it.
    pub async fn drop_database(&self) -> Result<(), StorageError> {
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&self.admin_url).await?;
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await?;
        Ok(())
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The URL of database `name` on the same PostgreSQL server as `server_url`, keeping its
/// user, host and options (`?sslmode=...`).
pub fn postgres_database_url(server_url: &str, name: &str) -> Result<String, url::ParseError> {
    let mut url = url::Url::parse(server_url)?;
    url.set_path(&format!("/{name}"));
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scratch_database_keeps_the_servers_options() {
        assert_eq!(
            postgres_database_url("postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "t1").as_deref(),
            Ok("postgres://postgres@127.0.0.1:5432/t1?sslmode=disable")
        );
        assert_eq!(
            postgres_database_url("postgres://u:p@db/postgres", "t2").as_deref(),
            Ok("postgres://u:p@db/t2")
        );
        assert!(postgres_database_url("not a url", "t3").is_err());
    }

    #[tokio::test]
    async fn a_name_that_is_not_an_identifier_is_refused_before_any_connection() {
        for name in ["", "a;DROP DATABASE postgres", "a-b", "x y"] {
            let err = ScratchPostgres::create("postgres://nobody@127.0.0.1:1/postgres", name)
                .await
                .expect_err(name);
            assert!(err.to_string().contains("not a database name"), "{name}: {err}");
        }
    }
}
