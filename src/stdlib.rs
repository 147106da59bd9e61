//! The standard library: `.netp` modules from `stdlib/`, embedded in the binary so
//! `use std/NAME;` works without any file on disk.

/// Every module as (name, source text), sorted by name.
pub const MODULES: &[(&str, &str)] = &[
    ("dns", include_str!("../stdlib/dns.netp")),
    (
        "dns-nodelocal",
        include_str!("../stdlib/dns-nodelocal.netp"),
    ),
    (
        "dns-openshift",
        include_str!("../stdlib/dns-openshift.netp"),
    ),
    (
        "ingress-nginx",
        include_str!("../stdlib/ingress-nginx.netp"),
    ),
    (
        "kube-apiserver",
        include_str!("../stdlib/kube-apiserver.netp"),
    ),
    ("prometheus", include_str!("../stdlib/prometheus.netp")),
    (
        "same-namespace",
        include_str!("../stdlib/same-namespace.netp"),
    ),
];

/// The source of `std/NAME`, if there is such a module.
pub fn module(name: &str) -> Option<&'static str> {
    MODULES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// The names of all modules, for did-you-mean and documentation.
pub fn names() -> impl Iterator<Item = &'static str> {
    MODULES.iter().map(|(n, _)| *n)
}
