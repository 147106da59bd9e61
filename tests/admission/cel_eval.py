"""Evaluate a ValidatingAdmissionPolicy's CEL the way the API server binds it.

Reads JSON on stdin: {"policy": <the ValidatingAdmissionPolicy>, "action": "Deny" or
"Warn", "requests": [{"object", "oldObject", "request", "namespaceObject"}, ...]}
and prints one JSON result per request: {"allowed", "messages", "warnings", "audit",
"error"}. Variables are evaluated in order, each seeing the ones before it under
`variables`; then every validation; a false one contributes its messageExpression
(or message). A CEL error follows the policy's failurePolicy (Fail: rejected). Audit
annotations whose valueExpression gives null are left out, as the API server does.
Uses cel-python (`celpy`), a pure-Python implementation of standard CEL.
"""

import json
import sys

import celpy


def evaluate(env, source, activation):
    program = env.program(env.compile(source))
    return program.evaluate(activation)


def plain(value):
    """A CEL value as plain Python (for JSON)."""
    if value is None:
        return None
    if isinstance(value, celpy.celtypes.BoolType):
        return bool(value)
    if isinstance(value, (celpy.celtypes.StringType, str)):
        return str(value)
    if isinstance(value, celpy.celtypes.MapType):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, celpy.celtypes.ListType):
        return [plain(v) for v in value]
    return value


def admit(env, spec, action, request):
    activation = {
        name: celpy.json_to_cel(request.get(name))
        for name in ("object", "oldObject", "request", "namespaceObject")
    }
    variables = {}
    try:
        for variable in spec.get("variables", []):
            activation["variables"] = celpy.json_to_cel(variables)
            value = evaluate(env, variable["expression"], activation)
            if isinstance(value, celpy.CELEvalError):
                raise ValueError(f"variable {variable['name']}: {value}")
            variables[variable["name"]] = plain(value)
        activation["variables"] = celpy.json_to_cel(variables)
        messages = []
        for validation in spec.get("validations", []):
            ok = evaluate(env, validation["expression"], activation)
            if isinstance(ok, celpy.CELEvalError):
                raise ValueError(f"validation {validation['expression']}: {ok}")
            if not bool(ok):
                if "messageExpression" in validation:
                    messages.append(str(evaluate(env, validation["messageExpression"], activation)))
                else:
                    messages.append(validation.get("message", "failed"))
        audit = {}
        for annotation in spec.get("auditAnnotations", []):
            value = evaluate(env, annotation["valueExpression"], activation)
            if isinstance(value, celpy.CELEvalError):
                raise ValueError(f"audit {annotation['key']}: {value}")
            if value is not None:
                audit[annotation["key"]] = str(value)
    except Exception as error:  # noqa: BLE001 - any evaluation failure is reported
        failed = spec.get("failurePolicy", "Fail") == "Fail"
        return {"allowed": not failed, "messages": [], "warnings": [], "audit": {}, "error": str(error)}
    deny = action == "Deny" and bool(messages)
    return {
        "allowed": not deny,
        "messages": messages if action == "Deny" else [],
        "warnings": messages if action == "Warn" else [],
        "audit": audit,
        "error": None,
    }


def main():
    data = json.load(sys.stdin)
    env = celpy.Environment()
    spec = data["policy"]["spec"]
    results = [admit(env, spec, data["action"], r) for r in data["requests"]]
    json.dump(results, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
