//! The `portal` binary as Kubernetes runs it: environment configuration, rollouts onto a schema
//! a newer release migrated, SIGTERM with a drain and a bounded grace, and clients that send
//! half a request. These need a real process (signals, exit codes, stderr), so they start the
//! binary cargo built for this package.

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

const PORTAL: &str = env!("CARGO_BIN_EXE_portal");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// `portal` with a fresh configuration: SQLite in `data`, no metrics listener, the given
/// variables on top. Nothing of the test process's own `PORTAL_*` environment leaks in.
fn portal(data: &Path, port: u16, vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(PORTAL);
    for (key, _) in std::env::vars() {
        if key.starts_with("PORTAL_") || key == "RUST_LOG" {
            command.env_remove(key);
        }
    }
    command
        .env(
            "PORTAL_DATABASE_URL",
            format!("sqlite://{}/portal.db", data.display()),
        )
        .env("PORTAL_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("PORTAL_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("PORTAL_METRICS_ADDR", "off")
        .env("PORTAL_SITE_ROOT", data)
        .envs(vars.iter().copied())
        .stdin(Stdio::null());
    command
}

/// A running `portal serve`, killed when dropped; its log goes to a file in `data`.
struct Serving {
    child: Child,
    address: SocketAddr,
    log: std::path::PathBuf,
}

impl Serving {
    fn start(data: &Path, vars: &[(&str, &str)]) -> Self {
        let port = free_port();
        let log = data.join(format!("portal-{port}.log"));
        let child = portal(data, port, vars)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("portal starts");
        let serving = Self {
            child,
            address: SocketAddr::from(([127, 0, 0, 1], port)),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok((200, _)) = get(serving.address, "/healthz") {
                return serving;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the portal never answered:\n{}", serving.log());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "SIGTERM sent");
    }

    /// Waits up to `limit` for the process to end; its exit status, or `None` if still running.
    fn wait(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 GET; the status and body.
fn get(address: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {response:?}")))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// A connection that has sent the start of a request and then nothing more.
fn half_sent_request(address: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(address).expect("connects");
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: portal\r\nX-Slow: ")
        .expect("writes");
    stream
}

#[test]
fn an_older_release_starts_and_is_ready_on_a_schema_a_newer_release_migrated() {
    let data = tempfile::tempdir().expect("temporary folder");
    let status = portal(data.path(), free_port(), &[])
        .arg("migrate")
        .status()
        .expect("runs");
    assert!(status.success(), "portal migrate");

    // What the next release's migration leaves behind: a version this binary does not carry.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        use sqlx::Connection;
        let url = format!("sqlite://{}/portal.db", data.path().display());
        let mut db = sqlx::SqliteConnection::connect(&url).await.expect("opens");
        sqlx::query(
            "INSERT INTO _sqlx_migrations \
             (version, description, success, checksum, execution_time) \
             VALUES (99990101000000, 'a column of the next release', 1, x'00', 1)",
        )
        .execute(&mut db)
        .await
        .expect("inserts");
    });

    let output = portal(data.path(), free_port(), &[])
        .arg("migrate")
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "migrating again (a rollback's migration Job) works: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let serving = Serving::start(data.path(), &[]);
    let (status, body) = get(serving.address, "/readyz").expect("answers");
    assert_eq!(status, 200, "{body}\n{}", serving.log());
}

#[test]
fn sigterm_drains_then_stops_within_the_grace_although_a_client_hangs() {
    let data = tempfile::tempdir().expect("temporary folder");
    let mut serving = Serving::start(
        data.path(),
        &[
            ("PORTAL_SHUTDOWN_DRAIN_SECONDS", "2"),
            ("PORTAL_SHUTDOWN_GRACE_SECONDS", "2"),
            // Longer than the whole shutdown: only the grace can end the hung connection.
            ("PORTAL_HEADER_READ_TIMEOUT_SECONDS", "600"),
        ],
    );
    assert_eq!(get(serving.address, "/readyz").expect("answers").0, 200);
    let _hung = half_sent_request(serving.address);
    std::thread::sleep(Duration::from_millis(200));

    let signalled = Instant::now();
    serving.terminate();
    // During the drain, readiness fails while requests are still served.
    let mut saw_draining = false;
    while signalled.elapsed() < Duration::from_millis(1500) {
        if let Ok((503, body)) = get(serving.address, "/readyz") {
            assert!(body.contains("shutting down"), "{body}");
            saw_draining = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        saw_draining,
        "/readyz did not fail during the drain:\n{}",
        serving.log()
    );
    let (status, _) = get(serving.address, "/healthz").expect("still served during the drain");
    assert_eq!(status, 200);

    let exit = serving.wait(Duration::from_secs(30));
    let stopped_after = signalled.elapsed();
    let exit = exit.unwrap_or_else(|| {
        panic!(
            "still running 30 s after SIGTERM (drain 2 s, grace 2 s):\n{}",
            serving.log()
        )
    });
    assert!(exit.success(), "exit status {exit}:\n{}", serving.log());
    assert!(
        stopped_after >= Duration::from_secs(2),
        "stopped after {stopped_after:?}, before the drain was over"
    );
    let log = serving.log();
    assert!(
        log.contains("connections still open after the grace period"),
        "the hung client outlived the grace and the log says so:\n{log}"
    );
}

#[test]
fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let data = tempfile::tempdir().expect("temporary folder");
    let serving = Serving::start(data.path(), &[("PORTAL_HEADER_READ_TIMEOUT_SECONDS", "1")]);
    let mut stream = half_sent_request(serving.address);
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout set");
    let mut answer = Vec::new();
    // The portal closes the connection (hyper may first answer 408); a read that hits the
    // 20 s timeout instead means the connection was held.
    let read = stream.read_to_end(&mut answer);
    assert!(
        read.is_ok(),
        "the half-sent request still held its connection after 20 s: {read:?}"
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    // And the portal serves others meanwhile.
    assert_eq!(get(serving.address, "/healthz").expect("answers").0, 200);
}

#[test]
fn kubernetes_service_links_and_number_like_secrets_do_not_stop_start_up() {
    let data = tempfile::tempdir().expect("temporary folder");
    let serving = Serving::start(
        data.path(),
        &[
            ("PORTAL_PORT", "tcp://10.96.0.12:80"),
            ("PORTAL_PORT_80_TCP", "tcp://10.96.0.12:80"),
            ("PORTAL_SERVICE_HOST", "10.96.0.12"),
            ("PORTAL_SERVICE_PORT", "80"),
            ("PORTAL_KUBECTL_CLIENT_SECRET", "12345678"),
            ("PORTAL_KUBELOGIN_PORTS", "8000,18000"),
        ],
    );
    assert_eq!(get(serving.address, "/readyz").expect("answers").0, 200);
}

#[test]
fn with_log_json_a_start_up_failure_is_a_json_line_too() {
    let data = tempfile::tempdir().expect("temporary folder");
    for json in [vec!["--log-json"], vec![]] {
        let mut command = portal(
            data.path(),
            free_port(),
            &[("PORTAL_KUBELOGIN_PORTS", "8000,x")],
        );
        if json.is_empty() {
            command.env("PORTAL_LOG_JSON", "true");
        }
        let output = command.args(json).arg("serve").output().expect("runs");
        assert!(
            !output.status.success(),
            "a bad configuration stops start-up"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.trim().is_empty(), "it says why");
        for line in stderr.lines() {
            let line: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("not JSON ({error}): {line}"));
            assert_eq!(line["level"], "ERROR", "{line}");
            let error = line["fields"]["error"].as_str().unwrap_or_default();
            assert!(
                error.contains("kubelogin_ports") && error.contains("\"x\""),
                "{line}"
            );
        }
    }
}

#[test]
fn portal_config_shows_the_effective_configuration_and_refuses_a_bad_one() {
    let data = tempfile::tempdir().expect("temporary folder");
    let output = portal(
        data.path(),
        free_port(),
        &[
            ("PORTAL_OIDC_CLIENT_SECRET", "do-not-print-me"),
            ("PORTAL_ADMIN_GROUPS", "platform-admins,ops"),
        ],
    )
    .arg("config")
    .output()
    .expect("runs");
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("do-not-print-me"), "{stdout}");
    assert!(
        stdout.contains("admin_groups = [\"platform-admins\",\"ops\"]  # PORTAL_ADMIN_GROUPS"),
        "{stdout}"
    );
    assert!(
        stdout.contains("oidc_client_secret = \"[REDACTED]\""),
        "{stdout}"
    );

    let output = portal(
        data.path(),
        free_port(),
        &[("PORTAL_LISTEN_ADDR", "localhost")],
    )
    .arg("config")
    .output()
    .expect("runs");
    assert!(!output.status.success(), "a bad value exits non-zero");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("listen_addr"), "{stderr}");
}

/// A GET with extra request headers; the raw response head and body.
fn get_with(address: SocketAddr, path: &str, headers: &str) -> String {
    let mut stream =
        TcpStream::connect_timeout(&address, Duration::from_secs(5)).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout set");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\n{headers}Connection: close\r\n\r\n"
    )
    .expect("writes");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("reads");
    response
}

fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    let head = response.split("\r\n\r\n").next().unwrap_or_default();
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

#[test]
fn every_request_is_logged_once_at_info_with_its_route_status_and_request_id() {
    let data = tempfile::tempdir().expect("temporary folder");
    let serving = Serving::start(data.path(), &[]);
    let response = get_with(
        serving.address,
        "/faq/kubectl-run-refused?q=secret-looking",
        "X-Request-Id: lb-1234.a\r\n",
    );
    assert_eq!(
        header(&response, "x-request-id"),
        Some("lb-1234.a"),
        "{response}"
    );
    let response = get_with(serving.address, "/no-such-page", "");
    let generated = header(&response, "x-request-id")
        .expect("an id is made")
        .to_owned();
    assert_eq!(generated.len(), 32, "{generated}");

    // The lines are written as the responses go out; give the writer a moment.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut log = serving.log();
    while !log.contains(&generated) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        log = serving.log();
    }
    let lines: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("lb-1234.a"))
        .collect();
    let request_lines: Vec<&&str> = lines
        .iter()
        .filter(|line| line.contains(" request ") || line.ends_with(" request"))
        .collect();
    assert_eq!(request_lines.len(), 1, "one request line:\n{log}");
    let line = request_lines[0];
    for part in [
        "INFO",
        "method=GET",
        "route=/faq/{slug}",
        "status=200",
        "latency_ms=",
    ] {
        assert!(line.contains(part), "{part} in {line}");
    }
    assert!(
        !log.contains("secret-looking"),
        "the query is not logged:\n{log}"
    );
    assert!(
        log.lines().any(|line| line.contains(&generated)
            && line.contains("route=unmatched")
            && line.contains("status=404")),
        "{log}"
    );
}

/// Pages under load, with clients that hang up half-way through their answer: every answer that
/// is read whole is a 200 that ends with the document, and the log holds no panic. (Leptos
/// re-walks a page's suspended parts on another thread while they resolve; a page torn down
/// under that walk read a disposed value, see `security::finish_when_client_leaves`.) Bounded:
/// 64 clients for 15 s, plus 32 that hang up.
#[test]
fn pages_under_load_and_clients_that_hang_up_never_make_the_portal_panic() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let serving = Serving::start(data.path(), &[("RUST_LOG", "warn")]);
    let address = serving.address;
    const PAGES: &[&str] = &[
        "/",
        "/faq",
        "/faq?q=why+cant+i+kubectl+run",
        "/faq/kubectl-run-refused",
        "/networkpolicies?preset=default-deny-all-except-dns",
        "/networkpolicies/run?pod=blah&image=harbor.example.com/team/tools:1.0&ns=demo",
        "/kubeconfig",
        "/no-such-page",
    ];
    let until = Instant::now() + Duration::from_secs(15);
    let readers: Vec<_> = (0..64)
        .map(|client| {
            std::thread::spawn(move || {
                let mut answered = 0_u32;
                let mut turn = client;
                while Instant::now() < until {
                    let path = PAGES[turn % PAGES.len()];
                    turn += 1;
                    let (status, body) = get(address, path)
                        .unwrap_or_else(|error| panic!("{path}: no answer: {error}"));
                    let expected = if path == "/no-such-page" { 404 } else { 200 };
                    assert_eq!(status, expected, "{path}");
                    // The body may be chunked: the document ends before the last chunk.
                    assert!(body.contains("</html>"), "{path} was cut short");
                    answered += 1;
                }
                answered
            })
        })
        .collect();
    let hang_ups: Vec<_> = (0..32)
        .map(|client| {
            std::thread::spawn(move || {
                let mut turn = client;
                while Instant::now() < until {
                    let path = PAGES[turn % PAGES.len()];
                    turn += 1;
                    let Ok(mut stream) = TcpStream::connect(address) else {
                        continue;
                    };
                    let _ = write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\n\r\n");
                    // Some hang up after the answer's first bytes; the rest at any moment in
                    // the first millisecond, while the page is being rendered.
                    if turn % 4 == 0 {
                        let mut start = [0_u8; 64];
                        let _ = stream.read(&mut start);
                    } else {
                        let micros = (turn as u64 * 37) % 1000;
                        std::thread::sleep(Duration::from_micros(micros));
                    }
                    drop(stream);
                }
            })
        })
        .collect();
    let answered: u32 = readers
        .into_iter()
        .map(|reader| reader.join().expect("a client failed"))
        .sum();
    for hang_up in hang_ups {
        hang_up.join().expect("joins");
    }
    // What was cut off has had time to finish (or fail) on the server.
    std::thread::sleep(Duration::from_secs(1));
    let log = serving.log();
    assert!(answered > 100, "only {answered} pages were answered");
    assert!(
        !log.contains("panicked"),
        "the portal panicked under load ({answered} pages):\n{log}"
    );
}

/// Clients that hang up while their page is still being rendered, and nothing else: the portal
/// finishes each page on its own and never tears one down mid-render. Without that, each of
/// three runs of this test logged panics ("… already been disposed"); with it, four runs logged
/// none. 192 clients for 20 s, each waiting up to 20 ms before it hangs up, on pages with
/// `<Suspense>`.
#[test]
fn pages_cut_off_while_they_render_never_make_the_portal_panic() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let serving = Serving::start(data.path(), &[("RUST_LOG", "warn")]);
    let address = serving.address;
    const PAGES: &[&str] = &[
        "/kubeconfig",
        "/",
        "/faq/kubectl-run-refused",
        "/faq?q=why+cant+i+kubectl+run",
    ];
    let until = Instant::now() + Duration::from_secs(20);
    let clients: Vec<_> = (0..192)
        .map(|client| {
            std::thread::spawn(move || {
                let mut turn = client;
                let mut cut_off = 0_u64;
                while Instant::now() < until {
                    let path = PAGES[turn % PAGES.len()];
                    turn += 1;
                    let Ok(mut stream) = TcpStream::connect(address) else {
                        continue;
                    };
                    let _ = write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\n\r\n");
                    let micros = (turn as u64 * 37) % 20_000;
                    std::thread::sleep(Duration::from_micros(micros));
                    drop(stream);
                    cut_off += 1;
                }
                cut_off
            })
        })
        .collect();
    let cut_off: u64 = clients
        .into_iter()
        .map(|client| client.join().expect("a client failed"))
        .sum();
    // What was cut off has had time to finish on the server.
    std::thread::sleep(Duration::from_secs(1));
    assert!(cut_off > 1000, "only {cut_off} pages were asked for");
    assert_eq!(
        get(address, "/healthz").map(|(status, _)| status).ok(),
        Some(200)
    );
    let log = serving.log();
    assert!(
        !log.contains("panicked"),
        "the portal panicked ({cut_off} pages cut off):\n{log}"
    );
}
