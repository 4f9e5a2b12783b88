//! The connection to the cluster: where approved namespaces are created, and what the access
//! view watches.

use crate::config::Config;
use anyhow::Context;
use std::time::Duration;

/// The connection settings for the configured cluster: the `kubeconfig` file when set,
/// otherwise the in-cluster ServiceAccount when the portal runs in Kubernetes, otherwise `None`
/// (no cluster: approved requests wait, the access pages say so). A developer's own
/// `KUBECONFIG` is deliberately not picked up: the portal acts with its own identity only.
/// Fails only when a configured kubeconfig cannot be used; an API server that does not answer is
/// not an error here.
pub async fn connection(config: &Config) -> anyhow::Result<Option<kube::Config>> {
    let kube_config = if let Some(path) = &config.kubeconfig {
        let kubeconfig = kube::config::Kubeconfig::read_from(path)
            .with_context(|| format!("could not read the kubeconfig {}", path.display()))?;
        kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
            .await
            .with_context(|| format!("the kubeconfig {} is not usable", path.display()))?
    } else if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
        kube::Config::incluster().context("could not read the in-cluster ServiceAccount")?
    } else {
        return Ok(None);
    };
    Ok(Some(kube_config))
}

/// A client for provisioning: it fails fast when the API server is gone, so a request is marked
/// failed with the reason instead of hanging, and a provisioning claim never outlives its work.
pub fn provisioning_client(connection: &kube::Config) -> anyhow::Result<kube::Client> {
    let mut config = connection.clone();
    config.connect_timeout = Some(Duration::from_secs(5));
    config.read_timeout = Some(Duration::from_secs(20));
    config.write_timeout = Some(Duration::from_secs(20));
    kube::Client::try_from(config).context("could not build a Kubernetes client")
}

/// A client for watches, which stay open for minutes without a byte: only connecting is bounded.
pub fn watch_client(connection: &kube::Config) -> anyhow::Result<kube::Client> {
    let mut config = connection.clone();
    config.connect_timeout = Some(Duration::from_secs(5));
    kube::Client::try_from(config).context("could not build a Kubernetes client")
}

/// Both clients' connection, for tests and tools: `None` without a cluster.
pub async fn connect(config: &Config) -> anyhow::Result<Option<kube::Client>> {
    connection(config)
        .await?
        .map(|connection| provisioning_client(&connection))
        .transpose()
}
