//! The connection to the cluster where approved namespaces are created.

use crate::config::Config;
use anyhow::Context;
use std::time::Duration;

/// A client for the configured cluster: the `kubeconfig` file when set, otherwise the in-cluster
/// ServiceAccount when the portal runs in Kubernetes, otherwise `None` (no cluster: approved
/// requests wait). Fails only when a configured kubeconfig cannot be used; an API server that
/// does not answer is not an error here, provisioning reports it per request.
pub async fn connect(config: &Config) -> anyhow::Result<Option<kube::Client>> {
    let mut kube_config = if let Some(path) = &config.kubeconfig {
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
    // Fail fast when the API server is gone, so a request is marked failed with the reason
    // instead of hanging, and the provisioning claim never outlives its work.
    kube_config.connect_timeout = Some(Duration::from_secs(5));
    kube_config.read_timeout = Some(Duration::from_secs(20));
    kube_config.write_timeout = Some(Duration::from_secs(20));
    let client =
        kube::Client::try_from(kube_config).context("could not build a Kubernetes client")?;
    Ok(Some(client))
}
