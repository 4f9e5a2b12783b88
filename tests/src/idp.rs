//! A real OpenID Provider for login tests: `tests/idp/start.sh` (Node and the npm package
//! `oidc-provider`), shared by the tests of one binary and stopped when the binary exits (it
//! exits when its stdin, a pipe from this process, closes).
//!
//! Users (password = username): `alice` (group team-a), `bob` (team-b), `carol` (team-a and
//! team-b), `root` and `erin` (platform-admins: two, for four-eyes approval). The portal's client is `welkin-portal` / `portal-secret`,
//! registered for `/auth/callback` on any loopback port.

use std::{
    io::{BufRead, BufReader},
    process::{Child, ChildStdin, Command, Stdio},
    sync::{Mutex, OnceLock},
};

#[derive(Debug)]
pub struct TestIdp {
    /// The issuer, exactly as the provider announces it (`http://127.0.0.1:PORT`).
    pub issuer: String,
    _process: Mutex<(Child, ChildStdin)>,
}

impl TestIdp {
    pub fn shared() -> &'static TestIdp {
        static IDP: OnceLock<TestIdp> = OnceLock::new();
        IDP.get_or_init(|| Self::start(None, None))
    }

    /// A provider of the calling test's own over https (`https://127.0.0.1:PORT`), as
    /// kube-apiserver requires of an issuer, with a certificate `ca` signed, reading its users
    /// from `users` (see [`TestIdp::with_users_file`]). It stops when dropped.
    pub fn with_tls(ca: &super::TestCa, users: &std::path::Path) -> Self {
        Self::start(Some(users), Some(ca))
    }

    /// A provider of the calling test's own, reading its users from `users` (a copy of
    /// `tests/idp/users.json` the test may edit while it runs: the provider reads it on every
    /// login and refresh). It stops when dropped.
    pub fn with_users_file(users: &std::path::Path) -> Self {
        Self::start(Some(users), None)
    }

    fn start(users: Option<&std::path::Path>, tls: Option<&super::TestCa>) -> Self {
        let mut command = Command::new(super::repo_root().join("tests/idp/start.sh"));
        command
            .args(["--port", "0", "--exit-on-stdin-close"])
            .env("IDP_PORTAL_ANY_PORT", "1");
        if let Some(users) = users {
            command.env("IDP_USERS", users);
        }
        if let Some(ca) = tls {
            command
                .arg("--tls-cert")
                .arg(&ca.server_cert)
                .arg("--tls-key")
                .arg(&ca.server_key);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tests/idp/start.sh (needs node and npm)");
        let stdin = child.stdin.take().expect("the provider's stdin");
        let stdout = child.stdout.take().expect("the provider's stdout");
        let mut lines = BufReader::new(stdout).lines();
        let issuer = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(issuer) = line.strip_prefix("idp ready ") {
                        break issuer.trim().to_owned();
                    }
                }
                _ => panic!("the test identity provider exited before it was ready"),
            }
        };
        // Keep draining stdout so the provider never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self {
            issuer,
            _process: Mutex::new((child, stdin)),
        }
    }
}
