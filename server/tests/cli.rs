//! The `portal` binary as an operator meets it: help, and a one-line error with a non-zero exit
//! for each kind of bad start-up input, never a panic or a backtrace.

use std::process::{Command, Output};

fn portal(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portal"));
    command.args(args).env("RUST_LOG", "off");
    for (key, _) in std::env::vars().filter(|(key, _)| key.starts_with("PORTAL_")) {
        command.env_remove(key);
    }
    command.envs(env.iter().copied());
    command.output().expect("the portal binary runs")
}

/// The process failed with one line on stderr that contains `expected`, and did not panic.
fn assert_one_line_error(output: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "should fail: {stderr}");
    assert!(!stderr.contains("panicked"), "panicked: {stderr}");
    assert!(
        !stderr.contains("RUST_BACKTRACE"),
        "backtrace hint: {stderr}"
    );
    let lines: Vec<_> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected, got: {stderr}");
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains(expected),
        "{stderr}"
    );
}

#[test]
fn help_lists_the_commands() {
    let output = portal(&["--help"], &[]);
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for word in ["serve", "migrate", "--config", "--log-json"] {
        assert!(help.contains(word), "{word} missing from:\n{help}");
    }
}

#[test]
fn an_unknown_configuration_variable_is_named() {
    let output = portal(&["migrate"], &[("PORTAL_LISTEN_ADRESS", "0.0.0.0:1")]);
    assert_one_line_error(&output, "PORTAL_LISTEN_ADRESS");
}

#[test]
fn an_unknown_key_in_the_configuration_file_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("portal.toml");
    std::fs::write(&file, "databse_url = \"sqlite://x.db\"\n").expect("write");
    let output = portal(&["--config", file.to_str().expect("utf-8"), "migrate"], &[]);
    assert_one_line_error(&output, "unknown key `databse_url`");
}

#[test]
fn an_unwritable_sqlite_path_is_a_one_line_error() {
    let output = portal(
        &["migrate"],
        &[("PORTAL_DATABASE_URL", "sqlite:///proc/portal/portal.db")],
    );
    assert_one_line_error(&output, "SQLite");
}

#[test]
fn an_unreachable_postgres_is_a_one_line_error_without_the_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = format!("postgres://portal:s3cret-pw@127.0.0.1:{port}/portal");
    let output = portal(&["migrate"], &[("PORTAL_DATABASE_URL", &url)]);
    assert_one_line_error(
        &output,
        &format!("could not connect to PostgreSQL at 127.0.0.1:{port}"),
    );
    assert!(!String::from_utf8_lossy(&output.stderr).contains("s3cret-pw"));
}

#[test]
fn a_port_in_use_is_a_one_line_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = taken.local_addr().expect("address").to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}/portal.db", dir.path().display());
    let output = portal(
        &["serve"],
        &[
            ("PORTAL_LISTEN_ADDR", &address),
            ("PORTAL_DATABASE_URL", &database),
        ],
    );
    assert_one_line_error(&output, &format!("could not listen on {address}"));
}

#[test]
fn migrate_creates_and_migrates_an_sqlite_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}/nested/portal.db", dir.path().display());
    let output = portal(&["migrate"], &[("PORTAL_DATABASE_URL", &database)]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("nested/portal.db").is_file());
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_portal"))
        .arg("serve")
        .env("RUST_LOG", "off")
        .env("PORTAL_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env(
            "PORTAL_DATABASE_URL",
            format!("sqlite://{}/portal.db", dir.path().display()),
        )
        .spawn()
        .expect("the portal starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the portal never listened"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(killed.is_ok_and(|status| status.success()));
    let status = child.wait().expect("the portal exits");
    assert!(status.success(), "exit status after SIGTERM: {status}");
}
