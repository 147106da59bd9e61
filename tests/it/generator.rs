//! Random valid `.netp` programs for the differential test, decoded from a sequence of
//! choices (`Vec<u32>`): every choice is taken modulo its number of options and a
//! missing choice is 0, so proptest's shrinking (shorter vectors, smaller numbers)
//! shrinks toward the simplest program. Covers managed and external namespaces,
//! namespace sets (by labels, shared between sets, set-based terms, `select *;`),
//! set-based `select` terms (`in`, `notin`, `k`, `!k`),
//! services with single ports, ranges, named ports, TCP/UDP/SCTP and no ports, explicit
//! selectors, needs within and across namespaces (with the exports they require), `*`
//! and `N/*`, groups, IPv4/IPv6 externals with `except` (global and per namespace),
//! both identity styles, `anywhere` as subject and target, enforcement on/off/selected, both directions or one, `isolate`, per program and per namespace, a custom
//! exempt label, `std/dns` and the other std modules, and a `use "lib.netp"` module
//! file (in some namespaces or program-wide). Programs are valid by construction: the
//! test fails when one does not check.

use std::fmt::Write;

/// Reads choices; 0 once they run out.
pub struct Choices<'a> {
    data: &'a [u32],
    at: usize,
}

impl Choices<'_> {
    pub fn new(data: &[u32]) -> Choices<'_> {
        Choices { data, at: 0 }
    }

    /// A number in `0..n`.
    fn pick(&mut self, n: u32) -> u32 {
        let value = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        if n == 0 { 0 } else { value % n }
    }

    fn chance(&mut self, percent: u32) -> bool {
        // 0 (the shrunk value) means "no": the simpler program.
        let v = self.pick(100);
        v != 0 && v <= percent
    }
}

#[derive(Clone, Debug)]
struct Port {
    text: String,
    /// (name, protocol suffix) of a named port.
    name: Option<String>,
    /// Numbers usable in a need, with the protocol suffix.
    sample: String,
}

#[derive(Clone, Debug)]
struct Service {
    name: String,
    ports: Vec<Port>,
}

#[derive(Clone, Debug)]
struct Namespace {
    name: String,
    managed: bool,
    /// For a namespace set (never managed): its `select` line.
    set: Option<String>,
    services: Vec<Service>,
}

/// `n0`, or now and then a long name so client labels must be shortened.
fn name(c: &mut Choices, prefix: &str, index: usize, filler: char) -> String {
    if c.chance(8) {
        format!(
            "{prefix}{index}-{}",
            filler.to_string().repeat(40 + c.pick(20) as usize)
        )
    } else {
        format!("{prefix}{index}")
    }
}

const PROTOCOLS: [&str; 4] = ["", "/tcp", "/udp", "/sctp"];
const PORT_NAMES: [&str; 3] = ["metrics", "http", "admin"];

/// A program, the module file it may `use "lib.netp"`, and a choice of `--enforcement`
/// override.
pub struct Generated {
    pub text: String,
    pub module: Option<String>,
    pub enforcement: netpc::ir::EnforcementOverride,
}

/// A module file: its own external namespace, service and external, and needs that
/// apply in every namespace that uses it (`*` is the using namespace's pods).
fn module(c: &mut Choices) -> String {
    let mut out = String::from(
        "external namespace m-ext {\n  service m0 { port 7000, admin 7100/udp; }\n}\nexternal m-net = 198.18.0.0/15 except 198.18.128.0/17;\n",
    );
    let lines = [
        "* needs m-ext/m0;",
        "* needs m-ext/m0:admin;",
        "* needs m-net:443;",
        "m-ext/m0 needs *:{8080, metrics};",
        "m-net needs *:22;",
        "* needs *:9000-9100/udp;",
    ];
    for line in lines {
        if c.chance(40) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

pub fn program(c: &mut Choices) -> Generated {
    let mut out = String::new();
    let labels_style = c.pick(2) == 0;
    if !labels_style {
        out.push_str("identity selectors;\n");
    }
    match c.pick(10) {
        1 | 2 => out.push_str("exempt label break-glass.example.com/exempt = \"yes\";\n"),
        3 => out.push_str("exempt label debug;\n"),
        _ => {}
    }
    match c.pick(20) {
        1 => out.push_str("enforcement off;\n"),
        2 => out.push_str("enforcement egress off;\n"),
        3 => out.push_str("enforcement ingress off;\n"),
        4 => out.push_str("enforcement ingress off;\nenforcement egress on;\n"),
        5 => out.push_str("enforcement selected;\n"),
        6 => out.push_str("enforcement egress selected;\n"),
        _ => {}
    }
    let mut enforcement = netpc::ir::EnforcementOverride::default();
    match c.pick(20) {
        1 => enforcement = netpc::ir::EnforcementOverride::both(false),
        2 => enforcement = netpc::ir::EnforcementOverride::both(true),
        3 => enforcement.egress = Some(false),
        4 => enforcement.ingress = Some(false),
        5 => {
            enforcement.ingress = Some(true);
            enforcement.egress = Some(false);
        }
        _ => {}
    }

    // Externals: global e0.., each IPv4 and/or IPv6 with optional excepts.
    let n_externals = c.pick(3) as usize;
    for e in 0..n_externals {
        let mut cidrs = Vec::new();
        let mut except = Vec::new();
        let family = c.pick(3);
        if family != 1 {
            match c.pick(3) {
                0 => {
                    cidrs.push(format!("10.{e}.0.0/16"));
                    if c.chance(50) {
                        except.push(format!("10.{e}.{}.0/24", c.pick(256)));
                    }
                }
                1 => {
                    cidrs.push("0.0.0.0/0".to_owned());
                    except.push(format!("10.{e}.0.0/16"));
                }
                _ => cidrs.push(format!("192.168.{e}.{}/32", c.pick(256))),
            }
        }
        if family != 0 {
            cidrs.push(format!("fd00:{e}::/32"));
            if c.chance(50) {
                except.push(format!("fd00:{e}:{:x}::/48", c.pick(65536)));
            }
        }
        let except = if except.is_empty() {
            String::new()
        } else {
            format!(" except {}", except.join(", "))
        };
        let _ = writeln!(out, "external e{e} = {}{except};", cidrs.join(", "));
    }

    // Namespaces n0.. and their services s0..
    let n_namespaces = 1 + c.pick(3) as usize;
    let mut namespaces = Vec::new();
    for n in 0..n_namespaces {
        let managed = n == 0 || c.pick(3) != 0;
        let n_services = if managed { c.pick(4) } else { 1 + c.pick(2) } as usize;
        let mut services = Vec::new();
        for index in 0..n_services {
            let service_name = name(c, "s", index, 'y');
            let mut ports = Vec::new();
            let n_ports = c.pick(4) as usize;
            let mut names = PORT_NAMES.to_vec();
            for p in 0..n_ports {
                // Disjoint blocks: port p lives in 1000*(p+1) ..= 1000*(p+1)+99.
                let base = 1000 * (p as u32 + 1);
                let proto = PROTOCOLS[c.pick(4) as usize];
                let port = match c.pick(3) {
                    0 => {
                        let n = base + c.pick(100);
                        Port {
                            text: format!("{n}{proto}"),
                            name: None,
                            sample: format!("{n}{proto}"),
                        }
                    }
                    1 => {
                        let first = base + c.pick(50);
                        let last = first + c.pick(50);
                        let inner = first + c.pick(last - first + 1);
                        Port {
                            text: format!("{first}-{last}{proto}"),
                            name: None,
                            sample: if c.chance(50) {
                                format!("{inner}{proto}")
                            } else {
                                format!("{first}-{last}{proto}")
                            },
                        }
                    }
                    _ => {
                        let name = names.remove(c.pick(names.len() as u32) as usize);
                        let n = base + c.pick(100);
                        let explicit = match proto {
                            "" => "/tcp",
                            other => other,
                        };
                        Port {
                            text: format!("{name} {n}{proto}"),
                            name: Some(name.to_owned()),
                            sample: if c.chance(30) {
                                format!("{name}{explicit}")
                            } else {
                                name.to_owned()
                            },
                        }
                    }
                };
                ports.push(port);
                if names.is_empty() {
                    break;
                }
            }
            services.push(Service {
                name: service_name,
                ports,
            });
        }
        // Some unmanaged namespaces are sets chosen by labels, sometimes every
        // namespace (whose services then also match managed namespaces' pods).
        let set = (!managed && c.chance(40)).then(|| match c.pick(7) {
            0 => "select *;".to_owned(),
            1 => "select team = t0;".to_owned(),
            2 => "select team = t0, tier = front;".to_owned(),
            3 => "select team in (t0, t1), !legacy;".to_owned(),
            4 => "select team notin (t1);".to_owned(),
            5 => "select team, tier notin (back);".to_owned(),
            _ => format!("select team = t{n};"),
        });
        namespaces.push(Namespace {
            name: name(c, "n", n, 'x'),
            managed,
            set,
            services,
        });
    }

    let mut uses_apiserver = false;
    if c.chance(5) {
        out.push_str("use std/dns;\n");
    }
    let module = c.chance(15).then(|| module(c));
    let module_everywhere = module.is_some() && c.chance(30);
    if module_everywhere {
        out.push_str("use \"lib.netp\";\n");
    }
    // Per managed namespace: its services, groups, namespaced externals, needs; the
    // exports other namespaces' needs require are collected and written after.
    let mut exports: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n_namespaces];
    let mut blocks: Vec<String> = vec![String::new(); n_namespaces];
    for n in 0..n_namespaces {
        let ns = &namespaces[n];
        let block = &mut blocks[n];
        for (s, service) in ns.services.iter().enumerate() {
            let select = match c.pick(10) {
                1 | 2 => format!(
                    " select app.kubernetes.io/name = n{n}-s{s}, tier = t{};",
                    c.pick(3)
                ),
                // Set-based terms beside a unique equality: a namespace's selectors
                // stay disjoint.
                3 => format!(
                    " select app.kubernetes.io/name = n{n}-s{s}, tier in (t{}, t2), !debug;",
                    c.pick(2)
                ),
                4 => format!(
                    " select app.kubernetes.io/name = n{n}-s{s}, track notin (canary), tier;"
                ),
                // In a set, only set-based terms: they also match other namespaces' pods.
                5 if ns.set.is_some() => " select tier in (t0, t1);".to_owned(),
                6 if ns.set.is_some() => " select app.kubernetes.io/name, !debug;".to_owned(),
                // One equality shared by services kept apart by their terms alone,
                // so each one's probe pod is a near miss for the others.
                7 => format!(" select app.kubernetes.io/name = n{n}-pair, tier in (p{s}, q{s});"),
                8 if s == 0 => format!(" select app.kubernetes.io/name = n{n}-pair, !tier;"),
                _ => String::new(),
            };
            let ports = if service.ports.is_empty() {
                String::new()
            } else {
                format!(
                    " port {};",
                    service
                        .ports
                        .iter()
                        .map(|p| p.text.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let _ = writeln!(block, "  service {} {{{select}{ports} }}", service.name);
        }
        if !ns.managed {
            continue;
        }
        match c.pick(14) {
            1 => block.push_str("  enforcement off;\n"),
            2 => block.push_str("  enforcement on;\n"),
            3 => block.push_str("  enforcement egress off;\n"),
            4 => block.push_str("  enforcement ingress off;\n"),
            5 => block.push_str("  enforcement egress on;\n"),
            6 | 7 => block.push_str("  enforcement selected;\n"),
            8 => block.push_str("  enforcement ingress selected;\n"),
            9 => block.push_str("  enforcement egress selected;\n"),
            _ => {}
        }
        // `isolate`: pods a selected direction isolates though no need names them
        // (W600 where the direction is not selected, which changes nothing).
        if !ns.services.is_empty() && c.chance(30) {
            let direction = ["", "ingress ", "egress "][c.pick(3) as usize];
            let pick = c.pick(ns.services.len() as u32 + 1) as usize;
            let member = ns.services.get(pick).map_or("*", |s| s.name.as_str());
            let _ = writeln!(block, "  isolate {direction}{member};");
        }
        if c.pick(3) != 0 {
            block.push_str("  use std/dns;\n");
        }
        for module in [
            "same-namespace",
            "prometheus",
            "ingress-nginx",
            "kube-apiserver",
        ] {
            if c.chance(5) {
                let _ = writeln!(block, "  use std/{module};");
                uses_apiserver |= module == "kube-apiserver";
            }
        }
        if module.is_some() && !module_everywhere && c.chance(50) {
            block.push_str("  use \"lib.netp\";\n");
        }
        let local_external = c.chance(20);
        if local_external {
            let _ = writeln!(
                block,
                "  external x{n} = 172.16.{n}.0/24, fd01:{n}::/64 except fd01:{n}:0:0:8000::/65;"
            );
        }
        let n_groups = if ns.services.len() >= 2 { c.pick(2) } else { 0 };
        for g in 0..n_groups {
            let a = c.pick(ns.services.len() as u32);
            let b = c.pick(ns.services.len() as u32);
            let (a, b) = (&ns.services[a as usize].name, &ns.services[b as usize].name);
            let members = if a == b {
                a.clone()
            } else {
                format!("{a}, {b}")
            };
            let _ = writeln!(block, "  group g{g} = {members};");
        }
        // A group used only as a subject: its members may be services of other
        // namespaces, every pod of another namespace, or externals.
        let mut subject_group = None;
        if c.chance(20) {
            let mut members = Vec::new();
            let mut external = false;
            for _ in 0..1 + c.pick(3) {
                let m = c.pick(namespaces.len() as u32) as usize;
                let other = &namespaces[m];
                match c.pick(3) {
                    0 if !other.services.is_empty() => {
                        let s = &other.services[c.pick(other.services.len() as u32) as usize];
                        members.push(if m == n {
                            s.name.clone()
                        } else {
                            format!("{}/{}", other.name, s.name)
                        });
                    }
                    1 if n_externals > 0 => {
                        external = true;
                        members.push(format!("e{}", c.pick(n_externals as u32)));
                    }
                    _ if m != n => members.push(format!("{}/*", other.name)),
                    _ => {}
                }
            }
            members.sort();
            members.dedup();
            if !members.is_empty() {
                let _ = writeln!(block, "  group h{n} = {};", members.join(", "));
                subject_group = Some(external);
            }
        }
        let n_needs = c.pick(8);
        for _ in 0..n_needs {
            let mut subjects = Vec::new();
            let mut subject_external = false;
            for _ in 0..1 + c.pick(2) {
                let (text, external) = match subject_group {
                    Some(external) if c.chance(25) => (format!("h{n}"), external),
                    _ => subject(c, &namespaces, n, n_externals, local_external, n_groups),
                };
                subject_external |= external;
                subjects.push(text);
            }
            let mut targets = Vec::new();
            for _ in 0..1 + c.pick(2) {
                if let Some(t) = target(
                    c,
                    &namespaces,
                    n,
                    n_externals,
                    local_external && !subject_external,
                    n_groups,
                    subject_external,
                    &mut exports,
                ) {
                    targets.push(t);
                }
            }
            if targets.is_empty() {
                continue;
            }
            subjects.sort();
            subjects.dedup();
            targets.sort();
            targets.dedup();
            let _ = writeln!(
                block,
                "  {} needs {};",
                subjects.join(", "),
                targets.join(", ")
            );
        }
    }
    for (owner, list) in exports.iter_mut().enumerate() {
        list.sort();
        list.dedup();
        let everywhere = c.chance(25);
        for &(s, to) in list.iter() {
            let service = &namespaces[owner].services[s].name;
            if everywhere {
                let _ = writeln!(blocks[owner], "  export {service} to *;");
                continue;
            }
            let _ = writeln!(
                blocks[owner],
                "  export {service} to {};",
                namespaces[to].name
            );
        }
    }
    if uses_apiserver {
        out.push_str("external kube-apiserver = 10.96.0.1/32, fd02::1/128;\n");
    }
    for (n, block) in blocks.iter().enumerate() {
        if let Some(select) = &namespaces[n].set {
            let _ = write!(
                out,
                "namespaces {} {{\n  {select}\n{block}}}\n",
                namespaces[n].name
            );
            continue;
        }
        let kind = if namespaces[n].managed {
            "namespace"
        } else {
            "external namespace"
        };
        let _ = write!(out, "{kind} {} {{\n{block}}}\n", namespaces[n].name);
    }
    Generated {
        text: out,
        module,
        enforcement,
    }
}

/// A subject written in namespace `n`; true when it is an address range.
fn subject(
    c: &mut Choices,
    namespaces: &[Namespace],
    n: usize,
    n_externals: usize,
    local_external: bool,
    n_groups: u32,
) -> (String, bool) {
    let here = &namespaces[n];
    match c.pick(6) {
        1 => ("*".to_owned(), false),
        2 if n_externals > 0 => (format!("e{}", c.pick(n_externals as u32)), true),
        2 if local_external => (format!("x{n}"), true),
        3 if n_groups > 0 => (format!("g{}", c.pick(n_groups)), false),
        // Every source (ingress at the target only), like an external subject.
        5 if c.chance(25) => ("anywhere".to_owned(), true),
        4 => {
            // A service (or every pod) of another namespace.
            let m = c.pick(namespaces.len() as u32) as usize;
            let other = &namespaces[m];
            if m == n || other.services.is_empty() || c.chance(20) {
                if m == n {
                    ("*".to_owned(), false)
                } else {
                    (format!("{}/*", other.name), false)
                }
            } else {
                (
                    format!(
                        "{}/{}",
                        other.name,
                        other.services[c.pick(other.services.len() as u32) as usize].name
                    ),
                    false,
                )
            }
        }
        _ if !here.services.is_empty() => (
            here.services[c.pick(here.services.len() as u32) as usize]
                .name
                .clone(),
            false,
        ),
        _ => ("*".to_owned(), false),
    }
}

/// A target with its ports, written in namespace `n`; `None` when no valid one fits.
#[allow(
    clippy::too_many_arguments,
    reason = "one need is built from all of its parts, each a choice of the generator"
)]
fn target(
    c: &mut Choices,
    namespaces: &[Namespace],
    n: usize,
    n_externals: usize,
    local_external: bool,
    n_groups: u32,
    subject_external: bool,
    exports: &mut [Vec<(usize, usize)>],
) -> Option<String> {
    let here = &namespaces[n];
    let choice = c.pick(6);
    match choice {
        1 | 2 if !subject_external && (n_externals > 0 || local_external) => {
            let name = if n_externals > 0 && (choice == 1 || !local_external) {
                format!("e{}", c.pick(n_externals as u32))
            } else {
                format!("x{n}")
            };
            Some(with_ports(c, name, None, true, false))
        }
        3 => Some(with_ports(c, "*".to_owned(), None, false, false)),
        // Every destination (egress at the subject only).
        5 if !subject_external && c.chance(25) => {
            Some(with_ports(c, "anywhere".to_owned(), None, true, false))
        }
        4 => {
            let m = c.pick(namespaces.len() as u32) as usize;
            let other = &namespaces[m];
            if m == n {
                return Some(with_ports(c, "*".to_owned(), None, false, false));
            }
            if other.services.is_empty() || (!other.managed && c.chance(25)) {
                // `N/*` across namespaces only into an external namespace.
                return (!other.managed)
                    .then(|| with_ports(c, format!("{}/*", other.name), None, false, false));
            }
            let s = c.pick(other.services.len() as u32) as usize;
            if other.managed {
                exports[m].push((s, n));
            }
            Some(with_ports(
                c,
                format!("{}/{}", other.name, other.services[s].name),
                Some(&other.services[s]),
                false,
                false,
            ))
        }
        5 if n_groups > 0 => {
            // Bare group targets would need every member to declare ports: give ports
            // valid on any service without declared ports, or skip.
            let g = c.pick(n_groups);
            let all_portless = here.services.iter().all(|s| s.ports.is_empty());
            all_portless.then(|| format!("g{g}:{}", 2000 + c.pick(100)))
        }
        _ if !here.services.is_empty() => {
            let s = c.pick(here.services.len() as u32) as usize;
            Some(with_ports(
                c,
                here.services[s].name.clone(),
                Some(&here.services[s]),
                false,
                false,
            ))
        }
        _ => None,
    }
}

/// `name`, `name:PORT` or `name:{P, Q}`. `service`: the target service (its declared
/// ports constrain the choice); externals take numbers only.
fn with_ports(
    c: &mut Choices,
    name: String,
    service: Option<&Service>,
    external: bool,
    _group: bool,
) -> String {
    let declared = service.map(|s| s.ports.as_slice()).unwrap_or_default();
    let must_name_ports = service.is_some() && declared.is_empty();
    if !must_name_ports && c.pick(3) == 0 {
        return name;
    }
    let mut ports = Vec::new();
    for _ in 0..1 + c.pick(3) {
        if !declared.is_empty() {
            let port = &declared[c.pick(declared.len() as u32) as usize];
            ports.push(port.sample.clone());
            let _ = &port.name;
            continue;
        }
        let proto = PROTOCOLS[c.pick(4) as usize];
        ports.push(match c.pick(4) {
            0 => format!("{}{proto}", 1 + c.pick(65535)),
            1 => {
                let first = 1000 + c.pick(3000);
                format!("{first}-{}{proto}", first + c.pick(100))
            }
            2 if !external => PORT_NAMES[c.pick(3) as usize].to_owned(),
            _ => format!("{}{proto}", 1000 + c.pick(4000)),
        });
    }
    ports.sort();
    ports.dedup();
    if ports.len() == 1 {
        format!("{name}:{}", ports[0])
    } else {
        format!("{name}:{{{}}}", ports.join(", "))
    }
}
