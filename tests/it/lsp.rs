//! `netpc lsp` as an editor drives it: the binary is started, JSON-RPC is framed with
//! Content-Length headers over its stdin and stdout, and every answer is asserted on
//! (positions, hover text, edits). Each wait has a timeout, so a hang fails the test.
//! The workspace has two program files and a `use`d module whose path, written before
//! a name on the same line, is not ASCII, so UTF-16 and UTF-8 columns differ there.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(20);

const APP: &str = "\
// Shop: the web front end and its API (ünïcödé comment).
namespace shop;
use std/dns;
use \"lib/cömmön-𝄞.netp\"; service web { port 8080; }
service api { select app = api; port 443, metrics 9100; }
external s3 = 52.216.0.0/15 except 52.217.0.0/16;
web needs apx:443, s3:443, metadata:80;
export api to ops;
";

const OPS: &str = "\
namespace ops {
  use std/dns;
  service prom { port 9090; }
  prom needs shop/api:metrics;
}
";

const MODULE: &str =
    "// Cloud metadata, for every namespace.\nexternal metadata = 169.254.169.254/32;\n";

struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: u64,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_netpc"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (send, messages) = channel();
        std::thread::spawn(move || {
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.unwrap()];
                stdout.read_exact(&mut body).unwrap();
                if send.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        Server {
            child,
            stdin,
            messages,
            next_id: 0,
        }
    }

    fn send(&mut self, message: &Value) {
        let body = serde_json::to_vec(message).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(&body).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The whole response (`result` or `error`) to a request.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait(|m| m["id"] == json!(id) && m.get("method").is_none())
    }

    fn wait(&mut self, matches: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self
                .messages
                .recv_timeout(TIMEOUT)
                .expect("netpc lsp did not answer in time");
            if matches(&message) {
                return message;
            }
        }
    }

    /// The next diagnostics published for the file whose URI ends with `name`.
    fn diagnostics(&mut self, name: &str) -> Vec<Value> {
        let message = self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"].as_str().unwrap().ends_with(name)
        });
        message["params"]["diagnostics"].as_array().unwrap().clone()
    }

    fn initialize(&mut self, root: &Path, encodings: Value) -> Value {
        let uri = url(root, "");
        let answer = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri.trim_end_matches('/'),
                "capabilities": {"general": {"positionEncodings": encodings}},
            }),
        );
        self.notify("initialized", json!({}));
        answer["result"]["capabilities"].clone()
    }

    fn stop(mut self) {
        let answer = self.request("shutdown", Value::Null);
        assert_eq!(answer["result"], Value::Null);
        self.notify("exit", Value::Null);
        for _ in 0..100 {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{status}");
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        panic!("netpc lsp did not exit after `exit`");
    }
}

fn url(root: &Path, file: &str) -> String {
    let root = std::fs::canonicalize(root).unwrap();
    let url = format!("file://{}/{file}", root.display());
    url.replace('ö', "%C3%B6").replace('𝄞', "%F0%9D%84%9E")
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lib")).unwrap();
    std::fs::write(dir.path().join("app.netp"), APP.replace("apx", "api")).unwrap();
    std::fs::write(dir.path().join("ops.netp"), OPS).unwrap();
    std::fs::write(dir.path().join("lib/cömmön-𝄞.netp"), MODULE).unwrap();
    dir
}

fn at(uri: &str, line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
}

fn range(l1: u32, c1: u32, l2: u32, c2: u32) -> Value {
    json!({"start": {"line": l1, "character": c1}, "end": {"line": l2, "character": c2}})
}

fn place(uri: &str, l1: u32, c1: u32, l2: u32, c2: u32) -> Value {
    json!({"uri": uri, "range": range(l1, c1, l2, c2)})
}

fn with(mut params: Value, key: &str, value: Value) -> Value {
    params[key] = value;
    params
}

#[test]
fn an_editor_session() {
    let dir = workspace();
    let app = url(dir.path(), "app.netp");
    let ops = url(dir.path(), "ops.netp");
    let module = url(dir.path(), "lib/cömmön-𝄞.netp");
    let mut server = Server::start();
    let capabilities = server.initialize(dir.path(), json!(["utf-16"]));
    assert_eq!(capabilities["positionEncoding"], "utf-16");
    assert_eq!(capabilities["documentFormattingProvider"], true);

    // Opened with an error (not yet saved): the same diagnostic as `check`.
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": app, "languageId": "netp", "version": 1, "text": APP}}),
    );
    let published = server.diagnostics("app.netp");
    assert_eq!(published.len(), 1, "{published:#?}");
    let error = &published[0];
    assert_eq!(error["code"], "E200");
    assert_eq!(error["severity"], 1);
    assert_eq!(error["range"], range(6, 10, 6, 13));
    assert_eq!(
        error["message"],
        "unknown name `apx` in namespace `shop`: not a service, group or external here\nhelp: did you mean `api`?"
    );
    assert_eq!(error["data"]["help"], "did you mean `api`?");

    // Fixed by an incremental change: the file's diagnostics are cleared.
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": app, "version": 2},
               "contentChanges": [{"range": range(6, 10, 6, 13), "text": "api"}]}),
    );
    assert_eq!(server.diagnostics("app.netp"), Vec::<Value>::new());

    let hover = server.request("textDocument/hover", at(&app, 6, 11));
    assert_eq!(hover["result"]["range"], range(6, 10, 6, 13));
    assert_eq!(
        hover["result"]["contents"]["value"],
        "**service** `shop/api`\n\nselector: `app=api`\n\nports: `443/TCP`, `metrics 9100/TCP`\n\nclients:\n\n- `ops/prom` on `metrics (9100)/TCP`\n- `shop/web` on `443/TCP`\n\nlabel contract: `app: \"api\"`\n- named port `metrics`: containerPort 9100/TCP\n"
    );
    let hover = server.request("textDocument/hover", at(&app, 6, 5));
    assert_eq!(
        hover["result"]["contents"]["value"],
        "**needs**\n\n\
         - `shop/web` → `shop/api` on `443/TCP`: `shop/allow-ingress-api`, `shop/allow-egress-to-api`\n\
         - `shop/web` → `metadata` on `80/TCP`: `shop/allow-egress-to-metadata`\n\
         - `shop/web` → `s3` on `443/TCP`: `shop/allow-egress-to-s3`\n"
    );
    let hover = server.request("textDocument/hover", at(&app, 6, 20));
    assert_eq!(
        hover["result"]["contents"]["value"],
        "**external** `shop/s3`\n\nranges: `52.216.0.0/15`\n\nexcept: `52.217.0.0/16`\n"
    );
    // After the non-ASCII path, in UTF-16 code units.
    let hover = server.request("textDocument/hover", at(&app, 3, 35));
    assert_eq!(hover["result"]["range"], range(3, 34, 3, 37));

    let definition = server.request("textDocument/definition", at(&app, 6, 11));
    assert_eq!(definition["result"], place(&app, 4, 8, 4, 11));
    let definition = server.request("textDocument/definition", at(&app, 6, 29));
    assert_eq!(definition["result"], place(&module, 1, 9, 1, 17));
    let definition = server.request("textDocument/definition", at(&app, 3, 8));
    assert_eq!(definition["result"], place(&module, 0, 0, 0, 0));

    let references = server.request(
        "textDocument/references",
        with(
            at(&app, 6, 11),
            "context",
            json!({"includeDeclaration": true}),
        ),
    );
    assert_eq!(
        references["result"],
        json!([
            place(&app, 4, 8, 4, 11),
            place(&app, 6, 10, 6, 13),
            place(&app, 7, 7, 7, 10),
            place(&ops, 3, 18, 3, 21),
        ])
    );

    completions(&mut server, &app, &ops);
    formatting(&mut server, &app);
    renames(&mut server, &app, &ops);
    server.stop();
}

fn labels(answer: &Value) -> Vec<String> {
    answer["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["label"].as_str().unwrap().to_owned())
        .collect()
}

fn completions(server: &mut Server, app: &str, ops: &str) {
    // After `shop/` in a file that is not open: the services of `shop`, and `*`.
    let answer = server.request("textDocument/completion", at(ops, 3, 18));
    assert_eq!(labels(&answer), ["api", "web", "*"]);
    // A word begun: only what starts with it.
    let answer = server.request("textDocument/completion", at(app, 6, 12));
    assert_eq!(labels(&answer), ["api"]);
    // Nothing typed yet: keywords, names in scope (the module's too), namespaces.
    let all = labels(&server.request("textDocument/completion", at(app, 6, 10)));
    for expected in [
        "needs", "service", "api", "s3", "metadata", "web", "shop", "ops",
    ] {
        assert!(all.iter().any(|l| l == expected), "{expected} in {all:?}");
    }
    assert!(!all.iter().any(|l| l == "prom"), "{all:?}");
}

fn formatting(server: &mut Server, app: &str) {
    let answer = server.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": app}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let edits = answer["result"].as_array().unwrap();
    assert_eq!(edits.len(), 1, "{edits:?}");
    assert_eq!(edits[0]["range"], range(0, 0, 8, 0));
    let text = edits[0]["newText"].as_str().unwrap();
    assert!(
        text.contains("use \"lib/cömmön-𝄞.netp\";\nservice web { port 8080; }\n"),
        "{text}"
    );
    assert_eq!(
        text,
        netpc::fmt::format(netpc::source::FileId(0), &APP.replace("apx", "api")).unwrap()
    );
}

fn renames(server: &mut Server, app: &str, ops: &str) {
    let answer = server.request("textDocument/prepareRename", at(app, 7, 8));
    assert_eq!(answer["result"], range(7, 7, 7, 10));
    let answer = server.request(
        "textDocument/rename",
        with(at(app, 7, 8), "newName", json!("backend")),
    );
    let edit = |l1, c1, l2, c2| json!({"range": range(l1, c1, l2, c2), "newText": "backend"});
    assert_eq!(
        answer["result"]["changes"],
        json!({
            app: [edit(4, 8, 4, 11), edit(6, 10, 6, 13), edit(7, 7, 7, 10)],
            ops: [edit(3, 18, 3, 21)],
        })
    );
    let taken = server.request(
        "textDocument/rename",
        with(at(app, 7, 8), "newName", json!("web")),
    );
    assert_eq!(
        taken["error"]["message"],
        "`web` is already taken by the service `shop/web` (app.netp:4)"
    );
    let invalid = server.request(
        "textDocument/rename",
        with(at(app, 7, 8), "newName", json!("Api_2")),
    );
    assert!(
        invalid["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("`Api_2` is not a valid name"),
        "{invalid}"
    );
    let nothing = server.request("textDocument/prepareRename", at(app, 2, 9));
    assert!(nothing["error"]["message"].is_string(), "{nothing}");
}

/// A client that offers UTF-8 gets it, and columns count bytes.
#[test]
fn utf8_positions_when_offered() {
    let dir = workspace();
    let app = url(dir.path(), "app.netp");
    let mut server = Server::start();
    let capabilities = server.initialize(dir.path(), json!(["utf-8", "utf-16"]));
    assert_eq!(capabilities["positionEncoding"], "utf-8");
    let hover = server.request("textDocument/hover", at(&app, 3, 39));
    assert_eq!(hover["result"]["range"], range(3, 38, 3, 41));
    server.stop();
}

/// A file that is not open gets its diagnostics too, and they are cleared when a
/// change elsewhere fixes them.
#[test]
fn diagnostics_of_other_files() {
    let dir = workspace();
    std::fs::write(
        dir.path().join("ops.netp"),
        OPS.replace("shop/api", "shop/apx"),
    )
    .unwrap();
    let app = url(dir.path(), "app.netp");
    let mut server = Server::start();
    server.initialize(dir.path(), json!(["utf-16"]));
    let text = APP.replace("apx", "api");
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": app, "languageId": "netp", "version": 1, "text": text}}),
    );
    // Each compilation publishes the open file first, then the others.
    assert_eq!(server.diagnostics("app.netp"), Vec::<Value>::new());
    let published = server.diagnostics("ops.netp");
    assert_eq!(published.len(), 1, "{published:#?}");
    assert_eq!(published[0]["code"], "E200");
    assert_eq!(published[0]["range"], range(3, 18, 3, 21));
    // Renaming `api` to `apx` in the open file makes the other file right.
    let renamed = text.replace("api", "apx");
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": app, "version": 2}, "contentChanges": [{"text": renamed}]}),
    );
    assert_eq!(server.diagnostics("app.netp"), Vec::<Value>::new());
    assert_eq!(server.diagnostics("ops.netp"), Vec::<Value>::new());
    server.stop();
}
