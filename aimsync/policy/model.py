"""The documents of `policies/`, read as the API server reads them (strict: unknown fields,
wrong types and bad values are located errors that say what is allowed).

- `admissionregistration.k8s.io/v1` ValidatingAdmissionPolicy and
  ValidatingAdmissionPolicyBinding (the fields of Kubernetes 1.36, defaults included);
- parameter objects, of whatever kind a policy's `paramKind` names (a ConfigMap, a CRD);
- `v1` Namespace: the labels a namespace carries (for namespaceSelector, namespaceObject and
  label-selected budgets); without one a namespace has only `kubernetes.io/metadata.name`;
- `aimsync.io/v1alpha1` GPUBudget (aimsync/policy/budget.py says what it counts).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from enum import StrEnum
from typing import Any

from msgspec import Struct, field

from aimsync.core.fields import FieldPath, format_field_path
from aimsync.findings import Findings, Location
from aimsync.load.repository import SourceDocument
from aimsync.policy.cel import CelError, Program, compile_expression

ADMISSION_API = "admissionregistration.k8s.io/v1"
POLICY_KIND = "ValidatingAdmissionPolicy"
BINDING_KIND = "ValidatingAdmissionPolicyBinding"
AIMSYNC_API = "aimsync.io/v1alpha1"
BUDGET_KIND = "GPUBudget"
NAMESPACE_KIND = "Namespace"
KNOWN = (f"{ADMISSION_API} {POLICY_KIND}, {ADMISSION_API} {BINDING_KIND}, {AIMSYNC_API} "
         f"{BUDGET_KIND}, v1 {NAMESPACE_KIND}, or the kind a policy's paramKind names")

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_CEL_IDENTIFIER = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9]*$")
REASONS = ("Unauthorized", "Forbidden", "Invalid", "RequestEntityTooLarge")
OPERATIONS = ("*", "CREATE", "UPDATE", "DELETE", "CONNECT")
SCOPES = ("*", "Cluster", "Namespaced")


class Action(StrEnum):
    DENY = "Deny"
    WARN = "Warn"
    AUDIT = "Audit"


class FailurePolicy(StrEnum):
    FAIL = "Fail"
    IGNORE = "Ignore"


class Where(Struct, frozen=True):
    """A policy document and how to point into it."""

    source: SourceDocument

    @property
    def file(self) -> str:
        return self.source.file

    def at(self, path: FieldPath) -> Location:
        position, _ = self.source.document.position_of(path)
        return Location(self.source.file, position.line, position.column)

    def ref(self, path: FieldPath) -> str:
        """`policies/x.yaml:12 (spec.validations[0])`, for messages."""
        location = self.at(path)
        return f"{location.path}:{location.line} ({format_field_path(path)})"


class Requirement(Struct, frozen=True):
    key: str
    operator: str  # In | NotIn | Exists | DoesNotExist
    values: tuple[str, ...] = ()


class LabelSelector(Struct, frozen=True):
    """metav1.LabelSelector; the empty selector matches everything."""

    match_labels: Mapping[str, str] = field(default_factory=dict)
    expressions: tuple[Requirement, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.match_labels and not self.expressions

    def matches(self, labels: Mapping[str, str]) -> bool:
        for key, value in self.match_labels.items():
            if labels.get(key) != value:
                return False
        for requirement in self.expressions:
            present = requirement.key in labels
            if requirement.operator == "In" and (
                not present or labels[requirement.key] not in requirement.values
            ):
                return False
            if requirement.operator == "NotIn" and present and (
                labels[requirement.key] in requirement.values
            ):
                return False
            if requirement.operator == "Exists" and not present:
                return False
            if requirement.operator == "DoesNotExist" and present:
                return False
        return True


class ResourceRule(Struct, frozen=True):
    api_groups: tuple[str, ...]
    api_versions: tuple[str, ...]
    resources: tuple[str, ...]
    operations: tuple[str, ...]
    scope: str = "*"
    resource_names: tuple[str, ...] = ()


class MatchResources(Struct, frozen=True):
    rules: tuple[ResourceRule, ...] = ()
    exclude: tuple[ResourceRule, ...] = ()
    namespace_selector: LabelSelector = field(default_factory=LabelSelector)
    object_selector: LabelSelector = field(default_factory=LabelSelector)
    match_policy: str = "Equivalent"


class NamedExpression(Struct, frozen=True):
    name: str
    program: Program
    path: FieldPath


class Validation(Struct, frozen=True):
    program: Program
    message: str
    message_program: Program | None
    reason: str
    path: FieldPath

    @property
    def expression(self) -> str:
        return self.program.source


class AuditAnnotation(Struct, frozen=True):
    key: str
    program: Program
    path: FieldPath


class ParamKind(Struct, frozen=True):
    api_version: str
    kind: str


class ParamRef(Struct, frozen=True):
    name: str | None
    namespace: str | None
    selector: LabelSelector | None
    not_found: str  # Allow | Deny


class Policy(Struct, frozen=True):
    name: str
    where: Where
    match: MatchResources
    failure_policy: FailurePolicy
    validations: tuple[Validation, ...]
    variables: tuple[NamedExpression, ...]
    match_conditions: tuple[NamedExpression, ...]
    audit_annotations: tuple[AuditAnnotation, ...]
    param_kind: ParamKind | None

    def deciding_programs(self) -> Iterator[Program]:
        """What decides (messages aside); variables are inlined into these."""
        for condition in self.match_conditions:
            yield condition.program
        for validation in self.validations:
            yield validation.program
        for annotation in self.audit_annotations:
            yield annotation.program

    def programs(self) -> Iterator[Program]:
        for variable in self.variables:
            yield variable.program
        for condition in self.match_conditions:
            yield condition.program
        for validation in self.validations:
            yield validation.program
            if validation.message_program is not None:
                yield validation.message_program
        for annotation in self.audit_annotations:
            yield annotation.program


class Binding(Struct, frozen=True):
    name: str
    where: Where
    policy_name: str
    actions: tuple[Action, ...]
    match: MatchResources | None
    param_ref: ParamRef | None


class ParamObject(Struct, frozen=True):
    api_version: str
    kind: str
    name: str
    namespace: str | None
    labels: Mapping[str, str]
    value: dict[str, Any]
    where: Where


class BudgetLimit(Struct, frozen=True):
    accelerator_model: str
    max_units: int
    path: FieldPath


class GPUBudget(Struct, frozen=True):
    """A maximum of accelerator units per accelerator model, over a set of namespaces."""

    name: str
    where: Where
    namespaces: tuple[str, ...]  # empty: every namespace (unless a selector is given)
    namespace_selector: LabelSelector | None
    per_namespace: bool
    limits: tuple[BudgetLimit, ...]
    node_capacity: bool
    action: Action


class PolicySet(Struct):
    """Everything `policies/` holds, valid parts only (the findings say what was not)."""

    policies: dict[str, Policy] = field(default_factory=dict)
    bindings: list[Binding] = field(default_factory=list)
    params: list[ParamObject] = field(default_factory=list)
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)
    budgets: list[GPUBudget] = field(default_factory=list)
    files: int = 0

    @property
    def empty(self) -> bool:
        return not self.policies and not self.budgets

    def namespace_labels(self, namespace: str) -> dict[str, str]:
        """As the API server labels every namespace, plus what policies/ declares."""
        return {**self.namespaces.get(namespace, {}), "kubernetes.io/metadata.name": namespace}

    def bound(self) -> Iterator[tuple[Policy, Binding]]:
        for binding in self.bindings:
            policy = self.policies.get(binding.policy_name)
            if policy is not None:
                yield policy, binding


# -- reading --------------------------------------------------------------------------------


class _Invalid(Exception):
    def __init__(self, path: FieldPath, message: str, rule: str = "policy.invalid") -> None:
        self.path, self.message, self.rule = path, message, rule


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "null"


class _Reader:
    """Typed access to one document; every problem is collected with its field path."""

    def __init__(self, where: Where, findings: Findings) -> None:
        self.where, self.findings, self.failed = where, findings, False

    def problem(self, path: FieldPath, message: str, rule: str = "policy.invalid") -> None:
        self.failed = True
        self.findings.error(self.where.at(path), message, field=format_field_path(path),
                            rule=rule)

    def mapping(self, value: object, path: FieldPath, allowed: Sequence[str]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise _Invalid(path, f"expected a mapping, got {_type_name(value)}")
        for key in value:
            if key not in allowed:
                self.problem((*path, key), f"unknown field {key!r}; allowed fields: "
                             + ", ".join(allowed), rule="policy.unknown-field")
        return value

    def string(self, value: object, path: FieldPath, *, required: bool = False) -> str:
        if value is None:
            if required:
                raise _Invalid(path, "Required value")
            return ""
        if not isinstance(value, str):
            raise _Invalid(path, f"expected a string, got {_type_name(value)}")
        if required and not value.strip():
            raise _Invalid(path, "Required value: must not be empty")
        return value

    def choice(self, value: object, path: FieldPath, allowed: Sequence[str], default: str) -> str:
        if value is None:
            return default
        text = self.string(value, path)
        if text not in allowed:
            raise _Invalid(path, f"Unsupported value: {text!r}: supported values: "
                           + ", ".join(f'"{a}"' for a in allowed))
        return text

    def strings(self, value: object, path: FieldPath, *, required: bool = False,
                blank_items: bool = False) -> tuple[str, ...]:
        """A list of strings; `blank_items`: an entry may be "" (the core API group)."""
        if value is None:
            if required:
                raise _Invalid(path, "Required value")
            return ()
        if not isinstance(value, list):
            raise _Invalid(path, f"expected a list of strings, got {_type_name(value)}")
        out = []
        for i, item in enumerate(value):
            if blank_items and item == "":
                out.append("")
                continue
            out.append(self.string(item, (*path, i), required=True))
        if required and not out:
            raise _Invalid(path, "Required value: at least one entry")
        return tuple(out)

    def items(self, value: object, path: FieldPath) -> list[tuple[FieldPath, Any]]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise _Invalid(path, f"expected a list, got {_type_name(value)}")
        return [((*path, i), item) for i, item in enumerate(value)]

    def expression(self, value: object, path: FieldPath,
                   variables: Mapping[str, str] | None = None) -> Program | None:
        source = self.string(value, path, required=True)
        try:
            return compile_expression(source, variables)
        except CelError as exc:
            self.problem(path, f"compilation failed: {exc}", rule="policy.cel")
            return None

    def selector(self, value: object, path: FieldPath) -> LabelSelector:
        data = self.mapping(value, path, ("matchLabels", "matchExpressions"))
        labels: dict[str, str] = {}
        for key, item in self.mapping(data.get("matchLabels"), (*path, "matchLabels"),
                                      list((data.get("matchLabels") or {}).keys())).items():
            here = (*path, "matchLabels", key)
            text = self.string(item, here)
            if not _valid_label_key(str(key)):
                raise _Invalid(here, f"{key!r} is not a valid label key")
            if not _LABEL_VALUE.match(text) or len(text) > 63:
                raise _Invalid(here, f"{text!r} is not a valid label value (at most 63 "
                               "characters: letters, digits, '-', '_', '.')")
            labels[str(key)] = text
        requirements = []
        for here, item in self.items(data.get("matchExpressions"), (*path, "matchExpressions")):
            entry = self.mapping(item, here, ("key", "operator", "values"))
            key = self.string(entry.get("key"), (*here, "key"), required=True)
            operator = self.choice(entry.get("operator"), (*here, "operator"),
                                   ("In", "NotIn", "Exists", "DoesNotExist"), "")
            if not operator:
                raise _Invalid((*here, "operator"), "Required value")
            values = self.strings(entry.get("values"), (*here, "values"))
            if operator in ("In", "NotIn") and not values:
                raise _Invalid((*here, "values"), "Required value: must be specified when "
                               "`operator` is 'In' or 'NotIn'")
            if operator in ("Exists", "DoesNotExist") and values:
                raise _Invalid((*here, "values"), "Forbidden: may not be specified when "
                               "`operator` is 'Exists' or 'DoesNotExist'")
            requirements.append(Requirement(key, operator, values))
        return LabelSelector(labels, tuple(requirements))


def _valid_label_key(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return False
    return bool(name) and len(name) <= 63 and bool(_LABEL_NAME.match(name))


def _rule(reader: _Reader, value: object, path: FieldPath) -> ResourceRule:
    data = reader.mapping(value, path, ("apiGroups", "apiVersions", "resources", "operations",
                                        "scope", "resourceNames"))
    operations = reader.strings(data.get("operations"), (*path, "operations"), required=True)
    for i, operation in enumerate(operations):
        if operation not in OPERATIONS:
            raise _Invalid((*path, "operations", i), f"Unsupported value: {operation!r}: "
                           "supported values: " + ", ".join(f'"{o}"' for o in OPERATIONS))
    resources = reader.strings(data.get("resources"), (*path, "resources"), required=True)
    groups = reader.strings(data.get("apiGroups"), (*path, "apiGroups"), required=True,
                            blank_items=True)
    versions = reader.strings(data.get("apiVersions"), (*path, "apiVersions"), required=True)
    scope = reader.choice(data.get("scope"), (*path, "scope"), SCOPES, "*")
    names = reader.strings(data.get("resourceNames"), (*path, "resourceNames"))
    return ResourceRule(groups, versions, resources, operations, scope, names)


def _match(reader: _Reader, value: object, path: FieldPath, *, policy: bool) -> MatchResources:
    data = reader.mapping(value, path, ("resourceRules", "excludeResourceRules",
                                        "namespaceSelector", "objectSelector", "matchPolicy"))
    rules = tuple(_rule(reader, item, here)
                  for here, item in reader.items(data.get("resourceRules"),
                                                 (*path, "resourceRules")))
    if policy and not rules:
        raise _Invalid((*path, "resourceRules"), "Required value: a policy names the "
                       "resources it checks (apiGroups, apiVersions, resources, operations)")
    exclude = tuple(_rule(reader, item, here)
                    for here, item in reader.items(data.get("excludeResourceRules"),
                                                   (*path, "excludeResourceRules")))
    return MatchResources(
        rules, exclude,
        reader.selector(data.get("namespaceSelector"), (*path, "namespaceSelector")),
        reader.selector(data.get("objectSelector"), (*path, "objectSelector")),
        reader.choice(data.get("matchPolicy"), (*path, "matchPolicy"),
                      ("Exact", "Equivalent"), "Equivalent"),
    )


def _named(
    reader: _Reader, value: object, path: FieldPath, kind: str,
    variables: dict[str, str] | None = None,
) -> list[NamedExpression]:
    """Named expressions; for variables, each is inlined into `variables` as it compiles
    (a variable may read the variables before it)."""
    out: list[NamedExpression] = []
    seen: set[str] = set()
    for here, item in reader.items(value, path):
        entry = reader.mapping(item, here, ("name", "expression"))
        name = reader.string(entry.get("name"), (*here, "name"), required=True)
        if kind == "variable" and not _CEL_IDENTIFIER.match(name):
            reader.problem((*here, "name"), f"name is not a valid CEL identifier: {name!r} "
                           "(letters, digits and '_', not starting with a digit)")
        if name in seen:
            reader.problem((*here, "name"), f"Duplicate value: {name!r}")
        seen.add(name)
        program = reader.expression(entry.get("expression"), (*here, "expression"), variables)
        if program is not None:
            out.append(NamedExpression(name, program, (*here, "expression")))
            if variables is not None:
                variables[name] = program.compiled.source
    return out


def _metadata(reader: _Reader, value: object, *, namespaced: bool = False) -> dict[str, Any]:
    data = reader.mapping(value, ("metadata",), ("name", "namespace", "labels", "annotations",
                                                 "uid", "resourceVersion", "generation",
                                                 "creationTimestamp", "managedFields"))
    name = reader.string(data.get("name"), ("metadata", "name"), required=True)
    if len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        raise _Invalid(("metadata", "name"), f"{name!r} is not a valid name: lowercase "
                       "letters, digits, '-' and '.', starting and ending with a letter or digit")
    if data.get("namespace") is not None and not namespaced:
        raise _Invalid(("metadata", "namespace"), "a cluster-scoped object has no namespace")
    return data


def _policy(reader: _Reader, data: dict[str, Any]) -> Policy | None:
    reader.mapping(data, (), ("apiVersion", "kind", "metadata", "spec"))
    name = _metadata(reader, data.get("metadata"))["name"]
    spec = reader.mapping(data.get("spec"), ("spec",), (
        "paramKind", "matchConstraints", "validations", "failurePolicy", "auditAnnotations",
        "matchConditions", "variables"))
    param_kind = None
    if spec.get("paramKind") is not None:
        kind = reader.mapping(spec["paramKind"], ("spec", "paramKind"), ("apiVersion", "kind"))
        param_kind = ParamKind(
            reader.string(kind.get("apiVersion"), ("spec", "paramKind", "apiVersion"),
                          required=True),
            reader.string(kind.get("kind"), ("spec", "paramKind", "kind"), required=True),
        )
    if spec.get("matchConstraints") is None:
        raise _Invalid(("spec", "matchConstraints"), "Required value")
    match = _match(reader, spec.get("matchConstraints"), ("spec", "matchConstraints"),
                   policy=True)
    failure = FailurePolicy(reader.choice(spec.get("failurePolicy"), ("spec", "failurePolicy"),
                                          ("Fail", "Ignore"), "Fail"))
    defined: dict[str, str] = {}
    variables = _named(reader, spec.get("variables"), ("spec", "variables"), "variable", defined)
    validations = []
    for here, item in reader.items(spec.get("validations"), ("spec", "validations")):
        entry = reader.mapping(item, here, ("expression", "message", "messageExpression",
                                            "reason"))
        program = reader.expression(entry.get("expression"), (*here, "expression"), defined)
        message = reader.string(entry.get("message"), (*here, "message"))
        if "\n" in message:
            reader.problem((*here, "message"), "message must not contain line breaks")
        message_program = None
        if entry.get("messageExpression") is not None:
            message_program = reader.expression(entry.get("messageExpression"),
                                                (*here, "messageExpression"), defined)
        reason = reader.choice(entry.get("reason"), (*here, "reason"), REASONS, "Invalid")
        if program is not None:
            validations.append(Validation(program, message, message_program, reason, here))
    annotations = []
    for here, item in reader.items(spec.get("auditAnnotations"), ("spec", "auditAnnotations")):
        entry = reader.mapping(item, here, ("key", "valueExpression"))
        key = reader.string(entry.get("key"), (*here, "key"), required=True)
        program = reader.expression(entry.get("valueExpression"), (*here, "valueExpression"),
                                    defined)
        if program is not None:
            annotations.append(AuditAnnotation(key, program, here))
    if not spec.get("validations") and not spec.get("auditAnnotations"):
        raise _Invalid(("spec", "validations"), "Required value: validations or "
                       "auditAnnotations must contain at least one item")
    conditions = _named(reader, spec.get("matchConditions"), ("spec", "matchConditions"),
                        "condition")
    if reader.failed:
        return None
    return Policy(name, reader.where, match, failure, tuple(validations), tuple(variables),
                  tuple(conditions), tuple(annotations), param_kind)


def _binding(reader: _Reader, data: dict[str, Any]) -> Binding | None:
    reader.mapping(data, (), ("apiVersion", "kind", "metadata", "spec"))
    name = _metadata(reader, data.get("metadata"))["name"]
    spec = reader.mapping(data.get("spec"), ("spec",), ("policyName", "paramRef",
                                                        "matchResources", "validationActions"))
    policy_name = reader.string(spec.get("policyName"), ("spec", "policyName"), required=True)
    names = reader.strings(spec.get("validationActions"), ("spec", "validationActions"),
                           required=True)
    actions: list[Action] = []
    for i, action in enumerate(names):
        if action not in set(Action):
            raise _Invalid(("spec", "validationActions", i), f"Unsupported value: {action!r}: "
                           'supported values: "Audit", "Deny", "Warn"')
        if Action(action) in actions:
            raise _Invalid(("spec", "validationActions", i), f"Duplicate value: {action!r}")
        actions.append(Action(action))
    if Action.DENY in actions and Action.WARN in actions:
        raise _Invalid(("spec", "validationActions"), "Invalid value: must not contain both "
                       "Deny and Warn (repeating the same validation failure information in "
                       "the API response and headers serves no purpose)")
    match = None
    if spec.get("matchResources") is not None:
        match = _match(reader, spec["matchResources"], ("spec", "matchResources"), policy=False)
    param_ref = None
    if spec.get("paramRef") is not None:
        path: FieldPath = ("spec", "paramRef")
        ref = reader.mapping(spec["paramRef"], path, ("name", "namespace", "selector",
                                                      "parameterNotFoundAction"))
        ref_name = reader.string(ref.get("name"), (*path, "name")) or None
        selector = (reader.selector(ref["selector"], (*path, "selector"))
                    if ref.get("selector") is not None else None)
        if (ref_name is None) == (selector is None):
            raise _Invalid(path, "exactly one of name or selector must be specified")
        not_found = reader.choice(ref.get("parameterNotFoundAction"),
                                  (*path, "parameterNotFoundAction"), ("Allow", "Deny"), "")
        if not not_found:
            raise _Invalid((*path, "parameterNotFoundAction"), "Required value: Allow or Deny")
        namespace = reader.string(ref.get("namespace"), (*path, "namespace")) or None
        param_ref = ParamRef(ref_name, namespace, selector, not_found)
    if reader.failed:
        return None
    return Binding(name, reader.where, policy_name, tuple(actions), match, param_ref)


def _budget(reader: _Reader, data: dict[str, Any]) -> GPUBudget | None:
    reader.mapping(data, (), ("apiVersion", "kind", "metadata", "spec"))
    name = _metadata(reader, data.get("metadata"))["name"]
    spec = reader.mapping(data.get("spec"), ("spec",), (
        "namespaces", "namespaceSelector", "perNamespace", "limits", "nodeCapacity", "action"))
    namespaces = reader.strings(spec.get("namespaces"), ("spec", "namespaces"))
    selector = None
    if spec.get("namespaceSelector") is not None:
        if namespaces:
            raise _Invalid(("spec", "namespaceSelector"), "give namespaces or "
                           "namespaceSelector, not both")
        selector = reader.selector(spec["namespaceSelector"], ("spec", "namespaceSelector"))
    per_namespace = spec.get("perNamespace", False)
    if not isinstance(per_namespace, bool):
        raise _Invalid(("spec", "perNamespace"), f"expected true or false, got "
                       f"{_type_name(per_namespace)}")
    node_capacity = spec.get("nodeCapacity", False)
    if not isinstance(node_capacity, bool):
        raise _Invalid(("spec", "nodeCapacity"), f"expected true or false, got "
                       f"{_type_name(node_capacity)}")
    limits = []
    seen: set[str] = set()
    for here, item in reader.items(spec.get("limits"), ("spec", "limits")):
        entry = reader.mapping(item, here, ("acceleratorModel", "maxUnits"))
        model = reader.string(entry.get("acceleratorModel"), (*here, "acceleratorModel"),
                              required=True)
        units = entry.get("maxUnits")
        if isinstance(units, bool) or not isinstance(units, int) or units < 0:
            raise _Invalid((*here, "maxUnits"), "Required value: a whole number of accelerator "
                           "units, 0 or more (amd.com/gpu requests; a partition counts as one)")
        if model in seen:
            raise _Invalid((*here, "acceleratorModel"), f"Duplicate value: {model!r}")
        seen.add(model)
        limits.append(BudgetLimit(model, units, (*here, "maxUnits")))
    if not limits and not node_capacity:
        raise _Invalid(("spec", "limits"), "Required value: limits (acceleratorModel, "
                       "maxUnits) or nodeCapacity: true")
    action = Action(reader.choice(spec.get("action"), ("spec", "action"),
                                  ("Deny", "Warn", "Audit"), "Deny"))
    if reader.failed:
        return None
    return GPUBudget(name, reader.where, namespaces, selector, per_namespace, tuple(limits),
                     node_capacity, action)


def _namespace(reader: _Reader, data: dict[str, Any]) -> tuple[str, dict[str, str]] | None:
    reader.mapping(data, (), ("apiVersion", "kind", "metadata", "spec", "status"))
    metadata = _metadata(reader, data.get("metadata"))
    labels = {}
    for key, value in reader.mapping(metadata.get("labels"), ("metadata", "labels"),
                                     list((metadata.get("labels") or {}).keys())).items():
        labels[str(key)] = reader.string(value, ("metadata", "labels", key))
    if reader.failed:
        return None
    return str(metadata["name"]), labels


def _param(where: Where, data: dict[str, Any]) -> ParamObject | None:
    metadata = data.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str):
        return None
    labels = metadata.get("labels") if isinstance(metadata.get("labels"), dict) else {}
    namespace = metadata.get("namespace")
    return ParamObject(
        str(data["apiVersion"]), str(data["kind"]), metadata["name"],
        namespace if isinstance(namespace, str) else None,
        {str(k): str(v) for k, v in (labels or {}).items()}, data, where,
    )


def read_policy_set(documents: Sequence[SourceDocument], findings: Findings) -> PolicySet:
    """The policies of the repository; every invalid document is a located error."""
    out = PolicySet(files=len({d.file for d in documents}))
    candidates: list[tuple[Where, dict[str, Any]]] = []
    for document in documents:
        where = Where(document)
        data = document.document.value
        if data is None:
            continue
        if not isinstance(data, dict):
            findings.error(where.at(()), f"a policy document is a mapping, got "
                           f"{_type_name(data)}", rule="policy.invalid")
            continue
        api_version, kind = data.get("apiVersion"), data.get("kind")
        reader = _Reader(where, findings)
        try:
            if api_version == ADMISSION_API and kind == POLICY_KIND:
                policy = _policy(reader, data)
                if policy is not None:
                    if policy.name in out.policies:
                        first = out.policies[policy.name].where.at(("metadata", "name"))
                        reader.problem(("metadata", "name"), f"{POLICY_KIND} {policy.name!r} "
                                       f"is defined twice: also at {first}")
                    else:
                        out.policies[policy.name] = policy
            elif api_version == ADMISSION_API and kind == BINDING_KIND:
                binding = _binding(reader, data)
                if binding is not None:
                    out.bindings.append(binding)
            elif api_version == AIMSYNC_API and kind == BUDGET_KIND:
                budget = _budget(reader, data)
                if budget is not None:
                    out.budgets.append(budget)
            elif api_version == "v1" and kind == NAMESPACE_KIND:
                namespace = _namespace(reader, data)
                if namespace is not None:
                    out.namespaces[namespace[0]] = namespace[1]
            elif isinstance(api_version, str) and isinstance(kind, str):
                candidates.append((where, data))
            else:
                raise _Invalid(("kind",) if isinstance(api_version, str) else ("apiVersion",),
                               f"apiVersion and kind are required; allowed in policies/: {KNOWN}")
        except _Invalid as exc:
            reader.problem(exc.path, exc.message, exc.rule)
    param_kinds = {(p.param_kind.api_version, p.param_kind.kind)
                   for p in out.policies.values() if p.param_kind is not None}
    for where, data in candidates:
        if (data["apiVersion"], data["kind"]) not in param_kinds:
            findings.error(where.at(("kind",)), f"{data['apiVersion']} {data['kind']} is not "
                           f"read from policies/; allowed: {KNOWN}", field="kind",
                           rule="policy.unknown-kind")
            continue
        param = _param(where, data)
        if param is None:
            findings.error(where.at(("metadata",)), "a parameter object needs metadata.name",
                           field="metadata.name", rule="policy.invalid")
        else:
            out.params.append(param)
    for binding in out.bindings:
        if binding.policy_name not in out.policies:
            findings.warning(binding.where.at(("spec", "policyName")),
                             f"binds {POLICY_KIND} {binding.policy_name!r}, which policies/ "
                             "does not define: it checks nothing", field="spec.policyName",
                             rule="policy.unbound")
    bound = {b.policy_name for b in out.bindings}
    for policy in out.policies.values():
        if policy.name not in bound:
            findings.warning(policy.where.at(("metadata", "name")),
                             f"{POLICY_KIND} {policy.name!r} has no "
                             f"{BINDING_KIND}: it checks nothing (add a binding with "
                             "validationActions Deny, Warn or Audit)",
                             field="metadata.name", rule="policy.unbound")
    return out
