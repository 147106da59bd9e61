//! Renaming namespaces inside a compiled NetworkPolicy (as JSON) for the kit's mirror
//! namespaces: `metadata.namespace` and every `namespaceSelector` on
//! `kubernetes.io/metadata.name`, in `matchLabels` and in `In`/`NotIn` expressions.
//! Names not in the map are left as they are. Pure.

use std::collections::HashMap;

use serde_json::Value;

/// Rename namespaces in a policy: `metadata.namespace` and every `namespaceSelector`
/// on `kubernetes.io/metadata.name` (labels and `In`/`NotIn` expressions).
pub fn rewrite(value: &mut Value, rename: &HashMap<&str, &str>) {
    let swap = |v: &mut Value| {
        if let Some(new) = v.as_str().and_then(|s| rename.get(s)) {
            *v = Value::String((*new).to_owned());
        }
    };
    if let Some(ns) = value.pointer_mut("/metadata/namespace") {
        swap(ns);
    }
    walk(value, &mut |selector: &mut Value| {
        let key = crate::lower::NAMESPACE_NAME_LABEL;
        if let Some(v) = selector.get_mut("matchLabels").and_then(|m| m.get_mut(key)) {
            swap(v);
        }
        if let Some(list) = selector
            .get_mut("matchExpressions")
            .and_then(Value::as_array_mut)
        {
            for expr in list.iter_mut().filter(|e| e["key"] == key) {
                if let Some(values) = expr.get_mut("values").and_then(Value::as_array_mut) {
                    values.iter_mut().for_each(swap);
                }
            }
        }
    });
}

/// Call `f` on every `namespaceSelector` object inside `value`.
fn walk(value: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "namespaceSelector" {
                    f(child);
                } else {
                    walk(child, f);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| walk(v, f)),
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail by panicking")]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn namespace_selectors_and_the_namespace_are_renamed() {
        let mut policy = json!({
            "metadata": {"namespace": "grid"},
            "spec": {"ingress": [{"from": [
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}},
                {"namespaceSelector": {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["grid", "other"]}]}},
            ]}]}
        });
        let rename: HashMap<&str, &str> = [("grid", "p-grid"), ("monitoring", "p-monitoring")]
            .into_iter()
            .collect();
        rewrite(&mut policy, &rename);
        assert_eq!(policy["metadata"]["namespace"], "p-grid");
        assert_eq!(
            policy["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
            "p-monitoring"
        );
        assert_eq!(
            policy["spec"]["ingress"][0]["from"][1]["namespaceSelector"]["matchExpressions"][0]["values"],
            json!(["p-grid", "other"])
        );
    }
}
