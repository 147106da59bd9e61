//! What `netpc --version` says: the package version, the commit it was built from (when
//! it was built from a git checkout; see build.rs) and the Kubernetes API version of the
//! k8s-openapi schemas its manifests follow.

use std::sync::LazyLock;

/// The commit netpc was built from (`git rev-parse --short HEAD`), empty when unknown.
pub const COMMIT: &str = env!("NETPC_COMMIT");

/// The Kubernetes API version of the schemas netpc targets, such as `1.37`.
pub const KUBERNETES: &str = env!("NETPC_KUBERNETES");

static TEXT: LazyLock<String> = LazyLock::new(|| {
    let version = env!("CARGO_PKG_VERSION");
    if COMMIT.is_empty() {
        format!("{version} (Kubernetes API {KUBERNETES})")
    } else {
        format!("{version} (commit {COMMIT}, Kubernetes API {KUBERNETES})")
    }
});

/// `0.1.0 (commit 6fa1813, Kubernetes API 1.37)`.
pub fn text() -> &'static str {
    TEXT.as_str()
}
