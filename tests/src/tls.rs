//! A certificate authority of the test's own, and a serving certificate it signed for
//! `127.0.0.1` and `localhost`: what the identity provider needs to serve https, and what
//! kube-apiserver (`--oidc-ca-file`), the portal (`oidc_ca_file`) and the test's own HTTP
//! client are told to trust.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use std::path::PathBuf;

/// PEM files in a folder that lives as long as this value.
#[derive(Debug)]
pub struct TestCa {
    /// The CA certificate.
    pub ca_cert: PathBuf,
    /// The serving certificate (for `127.0.0.1` and `localhost`) and its key.
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    _dir: tempfile::TempDir,
}

impl TestCa {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a folder for the certificates");
        let ca_key = KeyPair::generate().expect("a CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca.distinguished_name
            .push(DnType::CommonName, "portal tests CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca.self_signed(&ca_key).expect("the CA certificate");

        let server_key = KeyPair::generate().expect("a serving key");
        let mut server =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .expect("serving certificate parameters");
        server
            .distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        let server_cert = server
            .signed_by(&server_key, &ca_cert, &ca_key)
            .expect("the serving certificate");

        let write = |name: &str, pem: String| {
            let path = dir.path().join(name);
            std::fs::write(&path, pem).expect("write a PEM file");
            path
        };
        Self {
            ca_cert: write("ca.crt", ca_cert.pem()),
            server_cert: write("server.crt", server_cert.pem()),
            server_key: write("server.key", server_key.serialize_pem()),
            _dir: dir,
        }
    }

    /// An HTTP client that trusts this CA (and keeps cookies, follows no redirects, like
    /// [`super::login::http_browser`]).
    pub fn browser(&self) -> reqwest::Client {
        let pem = std::fs::read(&self.ca_cert).expect("read the CA");
        reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("a certificate"))
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("an HTTP client")
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}
