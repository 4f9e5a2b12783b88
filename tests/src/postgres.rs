//! Databases for the behavioural storage tests: a fresh SQLite file, or a fresh database on a
//! real PostgreSQL server.
//!
//! Unless `PORTAL_TEST_POSTGRES_URL` names a server (any database on it; the harness creates one
//! database per test beside it), the harness runs Debian's PostgreSQL itself: `initdb` into a
//! temporary folder (as the `postgres` user when the tests run as root, because PostgreSQL
//! refuses to run as root) and a server on a free loopback port, shared by all tests of one test
//! binary and stopped when that binary exits.

use secrecy::SecretString;
use server::config::Config;
use sqlx::{Connection, Executor, PgConnection};
use std::{
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    sync::{Mutex, OnceLock},
    time::{Duration, Instant},
};

/// A database just for one test.
#[derive(Debug)]
pub struct TestDatabase {
    /// The URL to hand to the portal's configuration.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A fresh SQLite file in a temporary folder.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        Self {
            url: format!("sqlite://{}/portal.db", dir.path().display()),
            _dir: Some(dir),
        }
    }

    /// A fresh, empty database on the shared PostgreSQL server.
    pub async fn postgres() -> Self {
        let server_url = shared_server_url();
        let name = format!("portal_test_{}", uuid::Uuid::new_v4().simple());
        // A server that has just opened its port may still refuse logins while it starts up.
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut admin = loop {
            match PgConnection::connect(&server_url).await {
                Ok(connection) => break connection,
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("connect to PostgreSQL: {error}"),
            }
        };
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create the test database");
        let url = replace_database(&server_url, &name);
        Self { url, _dir: None }
    }

    /// A portal configuration that uses this database.
    pub fn config(&self) -> Config {
        Config {
            database_url: SecretString::from(self.url.clone()),
            ..Config::default()
        }
    }
}

/// `postgres://u@h:p/db?x` with `db` replaced by `name`.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

fn shared_server_url() -> String {
    if let Ok(url) = std::env::var("PORTAL_TEST_POSTGRES_URL") {
        return url;
    }
    static SERVER: OnceLock<PgServer> = OnceLock::new();
    SERVER.get_or_init(PgServer::start).url.clone()
}

/// A throwaway PostgreSQL server. It stops when the test binary exits: its supervisor shell
/// waits on a pipe from this process, shuts the server down when the pipe closes, and removes
/// its folder (which lives in a static, never dropped).
struct PgServer {
    url: String,
    _supervisor: Mutex<(Child, ChildStdin)>,
    _dir: tempfile::TempDir,
}

impl PgServer {
    fn start() -> Self {
        let bin = postgres_bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("portal-pg-")
            .tempdir()
            .expect("temporary folder");
        let data = dir.path().join("data");
        let as_root = is_root();
        if as_root {
            // PostgreSQL will not run as root; hand the folder to the postgres user.
            run(Command::new("chown")
                .arg("-R")
                .arg("postgres:postgres")
                .arg(dir.path()));
        }
        run(command(as_root, &bin.join("initdb"))
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
                "-D",
            ])
            .arg(&data));
        let port = super::free_port();
        let script = format!(
            "'{postgres}' -D '{data}' -p {port} -k '{dir}' -c listen_addresses=127.0.0.1 \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c max_connections=200 >'{dir}/server.log' 2>&1 & pid=$!; \
             cat >/dev/null; kill -INT $pid; wait $pid; rm -rf '{dir}'",
            postgres = bin.join("postgres").display(),
            data = data.display(),
            dir = dir.path().display(),
        );
        let mut supervisor = command(as_root, Path::new("/bin/sh"))
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .spawn()
            .expect("start PostgreSQL");
        let stdin = supervisor.stdin.take().expect("the supervisor's stdin");
        let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
        wait_until_accepting(port, dir.path());
        Self {
            url,
            _supervisor: Mutex::new((supervisor, stdin)),
            _dir: dir,
        }
    }
}

fn wait_until_accepting(port: u16, dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
    panic!("PostgreSQL did not start within 60 s; its log:\n{log}");
}

fn command(as_postgres_user: bool, program: &Path) -> Command {
    if as_postgres_user {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command) {
    let output = command.output().expect("run a PostgreSQL tool");
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Debian installs the server binaries off PATH, under /usr/lib/postgresql/VERSION/bin.
fn postgres_bin_dir() -> PathBuf {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|entry| entry.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    candidates.sort();
    candidates
        .into_iter()
        .rev()
        .find(|bin| bin.join("initdb").is_file())
        .expect(
            "PostgreSQL server binaries (Debian package postgresql); .ci/setup.sh installs them",
        )
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn replaces_the_database_in_a_url() {
        assert_eq!(
            replace_database("postgres://u@h:5/postgres", "t"),
            "postgres://u@h:5/t"
        );
        assert_eq!(
            replace_database("postgres://u@h:5/x?sslmode=disable", "t"),
            "postgres://u@h:5/t?sslmode=disable"
        );
        assert_eq!(
            replace_database("postgres://u@h:5", "t"),
            "postgres://u@h:5/t"
        );
    }
}
