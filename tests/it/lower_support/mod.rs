//! Hand-built IR for lowering tests: a tiny builder that also writes a fake `.netp`
//! text so every span points at readable source (diagnostics render as users see them).
//! Callers add namespaces and services in sorted order (the IR invariant); needs are
//! sorted by `finish`.

#![allow(
    dead_code,
    reason = "helpers shared by test modules that each use a part"
)]

mod objects;

pub use objects::ReferenceObject;

use std::collections::BTreeMap;
use std::path::PathBuf;

use netpc::ir::*;
use netpc::source::{FileId, Origin, Sources, Span};

pub struct Builder {
    pub program: Program,
    text: String,
}

pub fn tcp(first: u16) -> Port {
    Port {
        protocol: Protocol::Tcp,
        kind: PortKind::Range { first, last: first },
    }
}

pub fn port(protocol: Protocol, first: u16, last: u16) -> Port {
    Port {
        protocol,
        kind: PortKind::Range { first, last },
    }
}

pub fn named(name: &str, number: u16) -> Port {
    Port {
        protocol: Protocol::Tcp,
        kind: PortKind::Named {
            name: name.to_owned(),
            number: Some(number),
        },
    }
}

pub fn list(ports: &[Port]) -> Ports {
    let mut ports = ports.to_vec();
    ports.sort();
    ports.dedup();
    Ports::List(ports)
}

const FILE: FileId = FileId(0);

impl Builder {
    pub fn new(identity: IdentityStyle) -> Builder {
        Builder {
            program: Program {
                namespaces: Vec::new(),
                services: Vec::new(),
                externals: Vec::new(),
                needs: Vec::new(),
                isolations: Vec::new(),
                identity,
                exempt: ExemptLabel::default(),
                guard: None,
                cni: None,
                cluster: Default::default(),
            },
            text: String::new(),
        }
    }

    fn line(&mut self, text: &str) -> Span {
        let start = self.text.len();
        self.text.push_str(text);
        let span = Span::new(FILE, start, self.text.len());
        self.text.push('\n');
        span
    }

    pub fn namespace(&mut self, name: &str, managed: bool) -> NamespaceId {
        let span = if managed {
            self.line(&format!("namespace {name} {{ }}"))
        } else {
            self.line(&format!("external namespace {name} {{ }}"))
        };
        self.program.namespaces.push(Namespace {
            name: name.to_owned(),
            managed,
            set: None,
            set_requirements: Vec::new(),
            enforcement: Enforcement::ON,
            span,
        });
        NamespaceId(self.program.namespaces.len() as u32 - 1)
    }

    pub fn enforcement_off(&mut self, ns: NamespaceId) {
        let span = self.line("enforcement off;");
        let off = netpc::ir::Switch {
            on: false,
            selected: false,
            span: Some(span),
        };
        self.program.namespaces[ns.0 as usize].enforcement = Enforcement {
            ingress: off,
            egress: off,
        };
    }

    /// A service selected by `app=<name>`, with `ports` as (name, first, last, protocol).
    pub fn service(&mut self, ns: NamespaceId, name: &str, ports: &[ServicePort]) -> ServiceId {
        let selector = BTreeMap::from([("app".to_owned(), name.to_owned())]);
        self.service_with(ns, name, selector, ports)
    }

    pub fn service_with(
        &mut self,
        ns: NamespaceId,
        name: &str,
        selector: BTreeMap<String, String>,
        ports: &[ServicePort],
    ) -> ServiceId {
        let span = self.line(&format!("service {name};"));
        self.program.services.push(Service {
            name: name.to_owned(),
            namespace: ns,
            explicit_selector: selector.get("app").is_none_or(|v| v != name),
            selector: selector.into(),
            requirements: Vec::new(),
            ports: ports.to_vec(),
            span,
        });
        ServiceId(self.program.services.len() as u32 - 1)
    }

    pub fn service_port(
        &mut self,
        name: Option<&str>,
        first: u16,
        last: u16,
        protocol: Protocol,
    ) -> ServicePort {
        let span = self.line(&format!("port {first};"));
        ServicePort {
            name: name.map(str::to_owned),
            first,
            last,
            protocol,
            span,
        }
    }

    pub fn external(
        &mut self,
        ns: Option<NamespaceId>,
        name: &str,
        cidrs: &[&str],
        except: &[&str],
    ) -> ExternalId {
        let span = self.line(&format!("external {name} = {};", cidrs.join(", ")));
        let mut cidrs: Vec<ipnet::IpNet> = cidrs.iter().map(|c| c.parse().unwrap()).collect();
        cidrs.sort();
        let mut except: Vec<ipnet::IpNet> = except.iter().map(|c| c.parse().unwrap()).collect();
        except.sort();
        self.program.externals.push(External {
            name: name.to_owned(),
            namespace: ns,
            cidrs,
            except,
            span,
        });
        ExternalId(self.program.externals.len() as u32 - 1)
    }

    pub fn need(&mut self, subject: Endpoint, target: Endpoint, ports: Ports) {
        let subject_name = self.program.endpoint_name(subject);
        let target_name = self.program.endpoint_name(target);
        let start = self.text.len();
        self.text.push_str(&subject_name);
        let subject_span = Span::new(FILE, start, self.text.len());
        self.text.push_str(" needs ");
        let target_start = self.text.len();
        self.text.push_str(&target_name);
        if let Ports::List(list) = &ports {
            self.text.push_str(&format!(":{{{} ports}}", list.len()));
        }
        let target_span = Span::new(FILE, target_start, self.text.len());
        self.text.push(';');
        let statement = Span::new(FILE, start, self.text.len());
        self.text.push('\n');
        self.program.needs.push(Need {
            subject,
            target,
            ports,
            origin: NeedOrigin {
                statement,
                subject: subject_span,
                target: target_span,
                export: None,
                via_use: None,
            },
        });
    }

    pub fn finish(mut self) -> (Program, Sources) {
        self.program.needs.sort_by_key(|n| (n.subject, n.target));
        let mut sources = Sources::new();
        sources.add(Origin::File(PathBuf::from("test.netp")), self.text);
        (self.program, sources)
    }
}

/// Every file of the output, concatenated with `==> path <==` headers.
pub fn render_files(files: &[netpc::emit::File]) -> String {
    let mut out = String::new();
    for file in files {
        out.push_str(&format!("==> {} <==\n{}", file.path, file.text));
    }
    out
}

/// The emitted YAML of every policy reads back (through serde_yaml) as the same value as
/// its k8s-openapi reference object, key order aside.
pub fn assert_view_matches_object(plan: &netpc::lower::Plan) {
    for ns in &plan.namespaces {
        for policy in ns.ingress.iter().chain(&ns.egress).chain(&ns.failsafe) {
            let object = serde_json::to_value(plan.object(ns, policy)).unwrap();
            let text = netpc::emit::policy_yaml(plan, ns, policy).unwrap();
            let read: serde_json::Value = serde_yaml::from_str(&text).unwrap();
            assert_eq!(read, object, "{}/{}", ns.name, policy.name);
        }
    }
}
