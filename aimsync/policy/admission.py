"""A ValidatingAdmissionPolicy decision for one object, as kube-apiserver 1.36 makes it
(k8s.io/apiserver/pkg/admission/plugin/policy/validating: dispatcher.go, validator.go;
matching/matching.go; webhook/matchconditions/matcher.go).

Offline, every object is judged as a CREATE by server-side apply: `oldObject` is null,
`request.operation` is CREATE, `request.userInfo` is empty (who applies is not known before the
run), `namespaceObject` is the namespace with the labels `policies/` declares for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aimsync.policy.cel import CelError, Program, is_true, new_context, with_params
from aimsync.policy.model import (
    Action,
    Binding,
    FailurePolicy,
    MatchResources,
    ParamObject,
    Policy,
    PolicySet,
    ResourceRule,
    Validation,
)

MAX_MESSAGE_BYTES = 5 * 1024  # celconfig.MaxEvaluatedMessageExpressionSizeBytes
_OBJECT_PATH = re.compile(
    r"(?<![\w.])object((?:\s*\.\s*[A-Za-z_]\w*|\._aimsync_opt_select\('[A-Za-z_]\w*'\))*)"
    r"(\s*[\[(])?"
)
_SEGMENT = re.compile(r"\.\s*([A-Za-z_]\w*)|\._aimsync_opt_select\('([A-Za-z_]\w*)'\)")


@dataclass(frozen=True)
class Resource:
    """What the API server matches rules against: group, version, resource, and scope."""

    group: str
    version: str
    resource: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


@dataclass(frozen=True)
class Candidate:
    """One object the API server would be asked to create."""

    resource: Resource
    name: str
    namespace: str  # "" for a cluster-scoped object
    obj: Mapping[str, Any]

    @property
    def labels(self) -> Mapping[str, str]:
        metadata = self.obj.get("metadata")
        labels = metadata.get("labels") if isinstance(metadata, dict) else None
        return labels if isinstance(labels, dict) else {}


@dataclass(frozen=True)
class Decision:
    """One finding of a policy about an object: what the API server would do with it."""

    policy: Policy
    binding: Binding | None
    action: Action
    message: str  # the decision's message (what follows "denied request: ")
    reason: str = "Invalid"
    validation: Validation | None = None
    error: bool = False  # an expression failed to evaluate (failurePolicy applied)
    param: ParamObject | None = None
    direct: bool = False  # denied whatever the binding's validationActions (dispatcher.go)

    @property
    def api_message(self) -> str:
        """Word for word what kube-apiserver answers (Deny), warns (Warn) or audits."""
        if self.action is Action.WARN:
            assert self.binding is not None
            return (f"Validation failed for ValidatingAdmissionPolicy '{self.policy.name}' with "
                    f"binding '{self.binding.name}': {self.message}")
        if self.binding is None:
            return f"ValidatingAdmissionPolicy '{self.policy.name}' denied request: {self.message}"
        return (f"ValidatingAdmissionPolicy '{self.policy.name}' with binding "
                f"'{self.binding.name}' denied request: {self.message}")


# -- matching -------------------------------------------------------------------------------


def _exact_or_wildcard(items: Sequence[str], requested: str) -> bool:
    return "*" in items or requested in items


def rule_matches(rule: ResourceRule, resource: Resource, name: str, namespace: str) -> bool:
    """rules.Matcher.Matches for a CREATE, plus resourceNames."""
    if rule.scope == "Namespaced" and (resource.resource == "namespaces" or not namespace):
        return False
    if rule.scope == "Cluster" and not (resource.resource == "namespaces" or not namespace):
        return False
    if not ("*" in rule.operations or "CREATE" in rule.operations):
        return False
    if not _exact_or_wildcard(rule.api_groups, resource.group):
        return False
    if not _exact_or_wildcard(rule.api_versions, resource.version):
        return False
    for entry in rule.resources:
        res, _, sub = entry.partition("/")
        if (res in ("*", resource.resource)) and (sub in ("*", "")):
            return not rule.resource_names or name in rule.resource_names
    return False


def resources_match(
    match: MatchResources, candidate: Candidate, namespace_labels: Mapping[str, str],
    *, any_resource_if_no_rules: bool,
) -> bool:
    """matching.Matcher.Matches: namespace selector, object selector, excluded rules, rules."""
    if candidate.namespace and not match.namespace_selector.empty and (
        not match.namespace_selector.matches(namespace_labels)
    ):
        return False
    if not match.object_selector.empty and not match.object_selector.matches(candidate.labels):
        return False
    args = (candidate.resource, candidate.name, candidate.namespace)
    if any(rule_matches(rule, *args) for rule in match.exclude):
        return False
    if not match.rules:
        return any_resource_if_no_rules
    return any(rule_matches(rule, *args) for rule in match.rules)


def policy_matches_resource(policy: Policy, resource: Resource) -> bool:
    """Could the policy's rules match some object of this resource (selectors aside)?"""
    return any(
        rule_matches(rule, resource, name, "ns" if resource.namespaced else "")
        for rule in policy.match.rules
        for name in (rule.resource_names or ("",))
    )


# -- what an object must carry for the expressions (converted once) --------------------------


def object_paths(programs: Iterable[Program]) -> list[tuple[str, ...]] | None:
    """The fields of `object` the expressions can read, or None for the whole object: an
    expression that passes `object` itself, indexes it or reads it in any way but a chain of
    field selections reads everything. Converting only what is read is what makes the Rust
    engine fast (its conversion from Python costs microseconds per value)."""
    paths: set[tuple[str, ...]] = set()
    for program in programs:
        if "object" not in program.names:
            continue
        source = _code_only(program.compiled.source)
        for match in _OBJECT_PATH.finditer(source):
            if source[max(0, match.start() - 3):match.start()].endswith("old"):
                continue
            segments = [a or b for a, b in _SEGMENT.findall(match.group(1))]
            if match.group(2) and match.group(2).strip() == "(" and segments:
                segments = segments[:-1]  # a method call on the last selected value
            elif match.group(2) and match.group(2).strip() == "[":
                pass  # indexing the last value: that value whole
            if not segments:
                return None
            paths.add(tuple(segments))
    shortest = sorted(paths, key=len)
    kept: list[tuple[str, ...]] = []
    for path in shortest:
        if not any(path[:len(k)] == k for k in kept):
            kept.append(path)
    return kept


def _code_only(source: str) -> str:
    from aimsync.policy.cel import _masked  # the same scanner as the rewrites

    return _masked(source)


Trie = dict[str, "Trie | None"]  # a path's next segments; None: the whole value


def path_trie(paths: Sequence[tuple[str, ...]]) -> Trie:
    trie: Trie = {}
    for path in paths:
        node = trie
        for key in path[:-1]:
            child = node.setdefault(key, {})
            if child is None:
                break
            node = child
        else:
            node[path[-1]] = None
    return trie


def _pruned(obj: Mapping[str, Any], trie: Trie) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, sub in trie.items():
        if key not in obj:
            continue
        value = obj[key]
        if sub is None:
            out[key] = value
        elif isinstance(value, dict):
            out[key] = _pruned(value, sub)
    return out


def pruned(obj: Mapping[str, Any], paths: Sequence[tuple[str, ...]] | None) -> dict[str, Any]:
    """`obj` with only the subtrees at `paths` (None: all of it)."""
    if paths is None:
        return dict(obj)
    return _pruned(obj, path_trie(paths))


# -- evaluation -----------------------------------------------------------------------------


@dataclass
class Evaluator:
    """Evaluates the policies of a PolicySet against objects, with one CEL context for all:
    each object is converted once, each parameter object once."""

    policies: PolicySet
    _paths: dict[Resource, Trie | None] = field(default_factory=dict)
    _candidate: Candidate | None = None
    _shown: int | None = None  # the candidate whose object the context holds
    _context: Any = None
    _uses: set[str] = field(default_factory=set)
    _param_names: dict[int, str] = field(default_factory=dict)
    _variants: dict[tuple[int, str], Program] = field(default_factory=dict)
    _matches: dict[tuple[int, int, bool, str], bool] = field(default_factory=dict)
    _named: dict[int, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        programs = [p for policy in self.policies.policies.values() for p in policy.programs()]
        self._context = new_context({"params": None, "oldObject": None, "request": None,
                                     "namespaceObject": None}, programs)
        self._uses = {name for program in programs for name in program.names}
        for index, param in enumerate(self.policies.params):
            name = f"_aimsync_param_{index}"
            self._param_names[id(param)] = name
            self._context.add_variable(name, param.value)

    def evaluate(self, candidate: Candidate) -> list[Decision]:
        """Every decision of every bound policy that matches the object, in the order the
        API server makes them (policies, then bindings, then validations)."""
        labels = self.policies.namespace_labels(candidate.namespace) if candidate.namespace else {}
        decisions: list[Decision] = []
        prepared = False
        for policy in self.policies.policies.values():
            if not self._resources_match(policy.match, candidate, labels, False):
                continue
            for binding in self.policies.bindings:
                if binding.policy_name != policy.name:
                    continue
                if binding.match is not None and not self._resources_match(
                    binding.match, candidate, labels, True
                ):
                    continue
                if not prepared:
                    self._prepare(candidate, labels)
                    prepared = True
                decisions.extend(self._binding(policy, binding, candidate))
        return decisions

    def _resources_match(self, match: MatchResources, candidate: Candidate,
                         labels: Mapping[str, str], no_rules: bool) -> bool:
        named = self._named.get(id(match))
        if named is None:
            named = self._named[id(match)] = any(
                rule.resource_names for rule in (*match.rules, *match.exclude))
        # the resources are constants of aimsync.policy.check: their ids are stable
        key = (id(match), id(candidate.resource), bool(candidate.namespace),
               candidate.name if named else "")
        by_rules = self._matches.get(key)
        if by_rules is None:
            bare = Candidate(candidate.resource, candidate.name, candidate.namespace, {})
            plain = MatchResources(match.rules, match.exclude)
            by_rules = self._matches[key] = resources_match(
                plain, bare, {}, any_resource_if_no_rules=no_rules)
        if not by_rules:
            return False
        if candidate.namespace and not match.namespace_selector.empty and (
            not match.namespace_selector.matches(labels)
        ):
            return False
        return match.object_selector.empty or match.object_selector.matches(candidate.labels)

    def _prepare(self, candidate: Candidate, labels: Mapping[str, str]) -> None:
        self._candidate, self._shown = candidate, None
        if "namespaceObject" in self._uses:
            namespace = None
            if candidate.namespace:
                namespace = {"apiVersion": "v1", "kind": "Namespace",
                             "metadata": {"name": candidate.namespace, "labels": dict(labels)},
                             "spec": {"finalizers": ["kubernetes"]},
                             "status": {"phase": "Active"}}
            self._context.add_variable("namespaceObject", namespace)
        if "request" in self._uses:
            self._context.add_variable("request", _request(candidate))

    def _show_object(self, program: Program) -> None:
        """The object with only what the policies that can match it read, converted once per
        object (the engine's conversion from Python costs microseconds per string)."""
        if "object" not in program.names or self._candidate is None:
            return
        key = id(self._candidate)
        if self._shown != key:
            trie = self._resource_trie(self._candidate.resource)
            obj = self._candidate.obj
            self._context.add_variable("object", dict(obj) if trie is None else _pruned(obj, trie))
            self._shown = key

    def _resource_trie(self, resource: Resource) -> Trie | None:
        if resource not in self._paths:
            paths = object_paths(
                program for policy in self.policies.policies.values()
                if policy_matches_resource(policy, resource) for program in policy.programs()
            )
            self._paths[resource] = None if paths is None else path_trie(paths)
        return self._paths[resource]

    def _binding(self, policy: Policy, binding: Binding, candidate: Candidate) -> list[Decision]:
        try:
            params = list(_collect_params(self.policies, policy, binding, candidate.namespace))
        except _ConfigError as exc:
            if policy.failure_policy is FailurePolicy.IGNORE:
                return []
            return [Decision(policy, binding, Action.DENY,
                             f"failed to configure binding: {exc}", error=True, direct=True)]
        out: list[Decision] = []
        for param in params:
            for decision in self._validate(policy, binding, param):
                if decision.action is not Action.DENY or decision.direct:
                    out.append(decision)  # an audit annotation, or its failure
                    continue
                for action in binding.actions:
                    out.append(Decision(policy, binding, action, decision.message,
                                        decision.reason, decision.validation, decision.error,
                                        param))
        return out

    def _program(self, program: Program, param: ParamObject | None) -> Program:
        if param is None or "params" not in program.names:
            return program
        name = self._param_names[id(param)]
        key = (id(program), name)
        variant = self._variants.get(key)
        if variant is None:
            variant = self._variants[key] = with_params(program, name)
        return variant

    def _run(self, program: Program, param: ParamObject | None) -> tuple[object, str | None]:
        self._show_object(program)
        try:
            return self._program(program, param).run(self._context), None
        except CelError as exc:
            return None, f"expression '{program.source}' resulted in error: {exc}"

    def _validate(self, policy: Policy, binding: Binding,
                  param: ParamObject | None) -> Iterator[Decision]:
        fail = policy.failure_policy is FailurePolicy.FAIL
        # matchConditions: a false one wins; otherwise errors count (matcher.go)
        errors = []
        for condition in policy.match_conditions:
            value, error = self._run(condition.program, param)
            if error is not None:
                errors.append(error)
            elif value is False:
                return
        if errors:
            if fail:
                message = errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
                yield Decision(policy, binding, Action.DENY, message, error=True)
            return
        for validation in policy.validations:
            value, error = self._run(validation.program, param)
            if error is not None:
                if fail:
                    error = self._attributed(policy, validation.program, param) or error
                    yield Decision(policy, binding, Action.DENY, error, validation=validation,
                                   error=True)
                continue
            if is_true(value):
                continue
            yield Decision(policy, binding, Action.DENY, self._message(validation, param),
                           validation.reason, validation)
        for annotation in policy.audit_annotations:
            value, error = self._run(annotation.program, param)
            if error is not None:
                if fail:
                    error = self._attributed(policy, annotation.program, param) or error
                    yield Decision(policy, binding, Action.DENY, error, error=True, direct=True)
            elif isinstance(value, str) and value.strip():
                yield Decision(policy, binding, Action.AUDIT,
                               f"audit annotation {annotation.key}: {value.strip()}")
            elif value is not None and not isinstance(value, str):
                yield Decision(policy, binding, Action.DENY,
                               f"valueExpression '{annotation.program.source}' resulted in "
                               "unsupported return type. Return type must be either string "
                               "or null.", error=True, direct=True)

    def _attributed(self, policy: Policy, program: Program,
                    param: ParamObject | None) -> str | None:
        """The API server's wording when the error comes from a variable the expression
        reads (variables are lazy there: `composited variable "x" fails to evaluate`)."""
        if not program.uses:
            return None
        failed: dict[str, str] = {}
        for variable in policy.variables:
            own = next((f for f in variable.program.uses if f in failed), None)
            if own is not None:
                failed[variable.name] = (f"composited variable \"{own}\" fails to evaluate: "
                                         f"{failed[own]}")
                continue
            self._show_object(variable.program)
            try:
                self._program(variable.program, param).run(self._context)
            except CelError as exc:
                failed[variable.name] = str(exc)
        name = next((u for u in program.uses if u in failed), None)
        if name is None:
            return None
        return (f"expression '{program.source}' resulted in error: composited variable "
                f"\"{name}\" fails to evaluate: {failed[name]}")

    def _message(self, validation: Validation, param: ParamObject | None) -> str:
        message = ""
        if validation.message_program is not None:
            value, _ = self._run(validation.message_program, param)
            if isinstance(value, str):
                message = value.strip()
                if len(message.encode()) > MAX_MESSAGE_BYTES or "\n" in message:
                    message = ""
        if not message and validation.message:
            message = validation.message.strip()
        return message or f"failed expression: {validation.expression.strip()}"


class _ConfigError(Exception):
    pass


def _collect_params(
    policies: PolicySet, policy: Policy, binding: Binding, namespace: str
) -> Iterator[ParamObject | None]:
    """generic.CollectParams, over the parameter objects of policies/."""
    kind, ref = policy.param_kind, binding.param_ref
    if kind is None or ref is None:
        yield None
        return
    candidates = [p for p in policies.params
                  if (p.api_version, p.kind) == (kind.api_version, kind.kind)]
    namespaced = any(p.namespace for p in candidates) or kind.kind in NAMESPACED_PARAM_KINDS
    if namespaced:
        where = ref.namespace or namespace
        if not where:
            raise _ConfigError("cannot use namespaced paramRef in policy binding that matches "
                               "cluster-scoped resources")
        candidates = [p for p in candidates if p.namespace == where]
    elif ref.namespace:
        raise _ConfigError("paramRef.namespace must not be provided for a cluster-scoped "
                           "`paramKind`")
    if ref.name is not None:
        found = [p for p in candidates if p.name == ref.name]
    else:
        assert ref.selector is not None
        found = sorted((p for p in candidates if ref.selector.matches(p.labels)),
                       key=lambda p: (p.namespace or "", p.name))
    if not found and ref.not_found == "Deny":
        raise _ConfigError("no params found for policy binding with `Deny` "
                           "parameterNotFoundAction")
    yield from found


NAMESPACED_PARAM_KINDS = frozenset({"ConfigMap", "Secret"})


def _request(candidate: Candidate) -> dict[str, object]:
    resource = candidate.resource
    kind = {"group": resource.group, "version": resource.version, "kind": resource.kind}
    gvr = {"group": resource.group, "version": resource.version, "resource": resource.resource}
    request: dict[str, object] = {
        "uid": "", "kind": kind, "resource": gvr, "requestKind": kind,
        "requestResource": gvr, "name": candidate.name, "operation": "CREATE",
        "userInfo": {}, "dryRun": False,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": "PatchOptions",
                    "fieldManager": "aimsync"},
    }
    if candidate.namespace:
        request["namespace"] = candidate.namespace
    return request


def failing_field(decision: Decision) -> tuple[str, ...]:
    """The field of `object` a failing validation reads first (where to point the finding)."""
    if decision.validation is None:
        return ()
    source = decision.validation.program.compiled.source
    for match in _OBJECT_PATH.finditer(_code_only(source)):
        segments = [a or b for a, b in _SEGMENT.findall(match.group(1))]
        if match.group(2) and match.group(2).strip() == "(" and segments:
            segments = segments[:-1]
        if segments and tuple(segments) != ("metadata", "name"):
            return tuple(segments)
    return ()
