//! Issue 16: golden tests of `netpc fmt`'s layout, one per comment placement and per
//! layout rule. Each snapshot holds the input and the output; each output is checked
//! to be a fixed point (formatting it again changes nothing) and to keep every comment
//! in order.

use netpc::source::FileId;
use netpc::syntax::trivia;

/// Format `input`, check idempotence and comments, and snapshot input and output.
fn golden(name: &str, input: &str) {
    let output = match netpc::fmt::format(FileId(0), input) {
        Ok(output) => output,
        Err(errors) => panic!("{name}: {errors:?}"),
    };
    let again = netpc::fmt::format(FileId(0), &output).unwrap();
    assert_eq!(again, output, "{name}: formatting the output changed it");
    assert_eq!(trivia::comments(&output), trivia::comments(input), "{name}");
    let shown = format!("----- input\n{input}\n----- output\n{output}");
    insta::assert_snapshot!(name, shown);
}

#[test]
fn comment_at_end_of_line() {
    golden(
        "comment_at_end_of_line",
        "namespace shop {   // the shop\n  service db;      # the database\n  service api { port 8080; }   // one line\n  api needs db:5432;// no space\n}  // end of shop\n",
    );
}

#[test]
fn comment_on_its_own_line() {
    golden(
        "comment_on_its_own_line",
        "// A header comment.\n// Second line.\n\n\nnamespace shop {\n// flush left\n      // far right\n  service db;\n\n\n  # after two blank lines\n  service api;\n}\n",
    );
}

#[test]
fn comment_inside_braces() {
    golden(
        "comment_inside_braces",
        "namespace shop { // nothing yet\n}\nnamespace empty {}\nservice s { // todo\n}\nservice t {\n  # a selector comes later\n}\nservice u { select app = u; // why\n}\n",
    );
}

#[test]
fn comment_before_close() {
    golden(
        "comment_before_close",
        "namespace shop {\n  service db {\n    port 5432;\n    // last line of the service\n  }\n  // last line of the namespace\n\n}\n",
    );
}

#[test]
fn comment_between_list_items() {
    golden(
        "comment_between_list_items",
        "web, // the web tier\n  batch needs api:443, // the API\n  db:5432, # the database\n  cache:{6379, // main\n  6380}, queue:5672;\ngroup g = a, // first\n  b;\nservice s {\n  select app = s, // the app\n    tier = web;\n  port 80, // http\n    443;\n}\nexternal e = 10.0.0.0/8 // private\n  except 10.1.0.0/16;\n",
    );
}

#[test]
fn comment_at_file_end() {
    golden(
        "comment_at_file_end",
        "namespace a;\nservice s;\n\n\n// the end\n# really\n\n\n",
    );
}

#[test]
fn only_comments_and_empty_files() {
    golden(
        "only_comments",
        "\n\n  // just a note   \n\n\n  # and another\n",
    );
    golden("empty_file", "");
    golden("blank_file", "  \n\n\t\n");
}

#[test]
fn messy_layout_becomes_canonical() {
    golden(
        "messy_layout",
        "use std / dns ;namespace   shop{service db{port 5432 ;}service api{select app=api,tier = \"web\";port 8080,metrics  9100/udp;}api needs db:5432;web needs api:{ 8080 , metrics , };export api to * ;}\nexempt label netp.io/exempt=\"true\";enforcement   egress off;guard labels warn;identity selectors;\nnamespace other;\n\tservice x;",
    );
}

#[test]
fn blank_lines_are_kept_once_and_dropped_at_block_edges() {
    golden(
        "blank_lines",
        "\n\nnamespace a {\n\n\n  service s;\n\n\n\n  service t;\n\n}\n\n\n\nnamespace b;\n",
    );
}

#[test]
fn long_needs_are_aligned_one_target_per_line() {
    golden(
        "long_needs",
        "frontend needs productcatalogservice:3550, currencyservice:7000, cartservice:7070, recommendationservice:8080, adservice:9555;\nsome-very-long-subject-name, another-rather-long-subject needs productcatalogservice:3550, currencyservice:7000;\n",
    );
}

#[test]
fn runs_of_one_line_services_and_needs_are_aligned() {
    golden(
        "aligned_runs",
        "service frontend { port 8080; }\nservice db { port 5432; }\n// a comment line keeps the run\nservice redis-cart { port 6379; }\nservice loadgenerator;\nservice a { port 1; }\n\nservice bb { port 2; }\nservice ccc { select app = c; port 3; }\nweb needs api:80;\nbatch-jobs needs api:80;\n\ninternet, ingress-nginx/controller-of-the-edge needs api:443;\napi needs db:5432;\n",
    );
}

#[test]
fn long_lists_break_one_element_per_line() {
    golden(
        "long_lists",
        "group everything-we-run = frontend, cartservice, productcatalogservice, currencyservice, paymentservice;\nexternal internet = 0.0.0.0/0, ::/0 except 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7, fe80::/10;\nservice s {\n  select app.kubernetes.io/name = storefront, app.kubernetes.io/component = web, tier = edge;\n  port 80, 443, 8080, 8443, metrics 9100, admin 9200/udp, 10000-10100, 20000-20100/sctp;\n}\n",
    );
}

#[test]
fn line_endings_byte_order_mark_and_tabs() {
    golden(
        "crlf_bom_tabs",
        "\u{feff}namespace a {\r\n\tservice s;\t// tab\r\n\r\n\r\n\tservice t;\r\n}\r\n",
    );
}

#[test]
fn syntax_errors_are_reported_not_formatted() {
    let errors = netpc::fmt::format(FileId(0), "namespace a {\n  service s\n}\n").unwrap_err();
    let codes: Vec<&str> = errors.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["E100"]);
    let errors = netpc::fmt::format(FileId(0), "namespace a {\n  service s;\n").unwrap_err();
    let codes: Vec<&str> = errors.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["E101"]);
}

#[test]
fn namespace_sets() {
    golden(
        "namespace_sets",
        "namespaces   ops {select team=ops ,tier = \"prod\"; // by labels\n service prometheus{select app=prometheus;}}\nnamespaces all{select *;}\n",
    );
}

#[test]
fn set_based_select_terms() {
    golden(
        "set_based_select_terms",
        "namespace shop { service api { select app=api,tier  in(web ,api),! debug , track; } }\nnamespaces ops{select team notin (a,b),!legacy;}\n",
    );
}
