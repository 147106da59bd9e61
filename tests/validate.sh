#!/usr/bin/env bash
# Schema validation of compiled output: builds every example in examples/ with the
# given netpc binary (default target/release/netpc) and validates every emitted
# NetworkPolicy (namespace folders and failsafe/) with kubernetes-validate, strict mode,
# against Kubernetes 1.29.0 and the newest version kubernetes-validate ships, and the
# label guard (admission/: ValidatingAdmissionPolicy v1, Kubernetes 1.30+) against
# 1.30.0 and the newest. Also checks that every kustomization.yaml only lists files
# that exist. Then the same for the probe kit of every example (`netpc probe EXAMPLE
# -o DIR`: namespaces, policies for the mirror namespaces, server pods, headless
# Services, client Jobs), and that `kubectl kustomize` renders every kit object.
# `KIT_ONLY=1` checks only the kits.
#
# usage: tests/validate.sh [NETPC]      (needs `pip install kubernetes-validate`)
set -euo pipefail
cd "$(dirname "$0")/.."
netpc="${1:-target/release/netpc}"
command -v kubernetes-validate >/dev/null || {
    echo "kubernetes-validate not found: pip install kubernetes-validate" >&2
    exit 2
}
newest="$(python3 -c 'import kubernetes_validate.utils as u; print(u.latest_version())')"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0
validate_kits() {
    for example in examples/*/; do
        name="$(basename "$example")"
        kit="$work/kit-$name"
        "$netpc" probe "$example" -o "$kit" --color never 2>/dev/null
        files=("$kit"/setup/namespaces.yaml "$kit"/setup/policies.yaml "$kit"/setup/servers.yaml "$kit"/clients/jobs.yaml)
        for version in 1.29.0 "$newest"; do
            if kubernetes-validate --strict --quiet --kubernetes-version "$version" "${files[@]}"; then
                echo "ok: probe kit of $name against Kubernetes $version, strict"
            else
                echo "FAILED: probe kit of $name against Kubernetes $version" >&2
                status=1
            fi
        done
        if command -v kubectl >/dev/null; then
            documents="$(cat "${files[@]}" | grep -c '^---$')"
            rendered="$(kubectl kustomize "$kit" | grep -c '^kind: ' || true)"
            if [ "$documents" = "$rendered" ]; then
                echo "ok: probe kit of $name: kubectl kustomize renders its $documents objects"
            else
                echo "FAILED: probe kit of $name: kubectl kustomize renders $rendered of $documents objects" >&2
                status=1
            fi
        fi
    done
}
validate_kits
if [ -n "${KIT_ONLY:-}" ]; then
    exit "$status"
fi
for example in examples/*/; do
    name="$(basename "$example")"
    out="$work/$name"
    "$netpc" build "$example" -o "$out" --color never
    mapfile -t files < <(find "$out" -name '*.yaml' ! -name kustomization.yaml ! -name labels.yaml ! -path "$out/admission/*" | sort)
    mapfile -t guard < <(find "$out/admission" -name '*.yaml' ! -name kustomization.yaml 2>/dev/null | sort)
    if [ "${#guard[@]}" -gt 0 ]; then
        for version in 1.30.0 "$newest"; do
            if kubernetes-validate --strict --quiet --kubernetes-version "$version" "${guard[@]}"; then
                echo "ok: $name admission/ (${#guard[@]} files) against Kubernetes $version, strict"
            else
                echo "FAILED: $name admission/ against Kubernetes $version" >&2
                status=1
            fi
        done
    fi
    [ "${#files[@]}" -gt 0 ] || { echo "$name: no policy files" >&2; status=1; continue; }
    for version in 1.29.0 "$newest"; do
        if kubernetes-validate --strict --quiet --kubernetes-version "$version" "${files[@]}"; then
            echo "ok: $name (${#files[@]} files) against Kubernetes $version, strict"
        else
            echo "FAILED: $name against Kubernetes $version" >&2
            status=1
        fi
    done
    # kustomize (kubectl's) accepts the folder and applies exactly the --stdout objects.
    if command -v kubectl >/dev/null; then
        kubectl kustomize "$out" > "$work/$name.kustomized.yaml"
        "$netpc" build "$example" --stdout --color never > "$work/$name.stdout.yaml"
        if python3 - "$work/$name.kustomized.yaml" "$work/$name.stdout.yaml" <<'PY'
import json, sys, yaml
def docs(path):
    with open(path) as f:
        return sorted(json.dumps(d, sort_keys=True) for d in yaml.safe_load_all(f) if d)
a, b = docs(sys.argv[1]), docs(sys.argv[2])
sys.exit(0 if a == b and a else 1)
PY
        then
            echo "ok: $name: kubectl kustomize gives the --stdout objects"
        else
            echo "FAILED: $name: kubectl kustomize differs from --stdout" >&2
            status=1
        fi
    fi
    # Every resource a kustomization lists exists.
    while IFS= read -r kustomization; do
        dir="$(dirname "$kustomization")"
        while IFS= read -r resource; do
            [ -e "$dir/$resource" ] || { echo "$kustomization: missing $resource" >&2; status=1; }
        done < <(sed -n 's/^- //p' "$kustomization")
        # Each kustomization renders alone (default load restrictions), in fifo order.
        if command -v kubectl >/dev/null && ! kubectl kustomize "$dir" >/dev/null; then
            echo "FAILED: kubectl kustomize $dir" >&2
            status=1
        fi
    done < <(find "$out" -name kustomization.yaml)
done
exit "$status"
