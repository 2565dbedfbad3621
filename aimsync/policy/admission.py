"""A ValidatingAdmissionPolicy decision for one object, as kube-apiserver 1.36 makes it
(k8s.io/apiserver/pkg/admission/plugin/policy/validating: dispatcher.go, validator.go;
matching/matching.go; webhook/matchconditions/matcher.go).

Offline, every object is judged as a CREATE by server-side apply: `oldObject` is null,
`request.operation` is CREATE, `request.userInfo` is empty (who applies is not known before the
run), `namespaceObject` is the namespace with the labels `policies/` declares for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from msgspec import Struct, field

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


class Resource(Struct, frozen=True):
    """What the API server matches rules against: group, version, resource, and scope."""

    group: str
    version: str
    resource: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


Paths = tuple[tuple[str, ...], ...]


class LazyObject(Mapping[str, Any]):
    """An object built when first read (a spec dumped from its model): one that no policy
    matches is never built, and `part` builds only the fields on some paths."""

    def __init__(self, build: Callable[[Paths | None], dict[str, Any]],
                 json: Callable[[Paths], bytes | None] | None = None) -> None:
        self._build = build
        self._json = json
        self._value: dict[str, Any] | None = None

    @property
    def value(self) -> dict[str, Any]:
        if self._value is None:
            self._value = self._build(None)
        return self._value

    def part(self, paths: Paths) -> dict[str, Any]:
        """At least the fields on `paths` (the whole object if it was built)."""
        return self._value if self._value is not None else self._build(paths)

    def key(self, paths: Paths) -> bytes | None:
        """The fields on `paths` as JSON: equal for equal fields, different for different
        ones (None: no such key)."""
        return self._json(paths) if self._json is not None else None

    def __getitem__(self, key: str) -> Any:
        return self.value[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.value)

    def __len__(self) -> int:
        return len(self.value)

    def __contains__(self, key: object) -> bool:
        return key in self.value


class Candidate(Struct, frozen=True):
    """One object the API server would be asked to create."""

    resource: Resource
    name: str
    namespace: str  # "" for a cluster-scoped object
    obj: Mapping[str, Any]
    plain: bool = False  # obj holds JSON's types only (a model's JSON dump): not checked again

    @property
    def labels(self) -> Mapping[str, str]:
        metadata = self.obj.get("metadata")
        labels = metadata.get("labels") if isinstance(metadata, dict) else None
        return labels if isinstance(labels, dict) else {}


class Decision(Struct, frozen=True):
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

_PLAIN = frozenset({str, int, float, bool, type(None)})


def _json_like(value: object) -> bool:
    """Only the types of JSON (and tuples), with string keys: values whose repr() is a key
    that tells apart what CEL tells apart (True, 1 and 1.0 are one dict key to Python)."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            assert isinstance(item, dict)
            if not all(type(key) is str for key in item):
                return False
            stack.extend(item.values())
        elif kind is list or kind is tuple:
            assert isinstance(item, (list, tuple))
            stack.extend(item)
        elif kind not in _PLAIN:
            return False
    return True


def _read(obj: Mapping[str, Any], trie: Trie) -> dict[str, Any]:
    """What an expression that reads the paths of `trie` can see of `obj`: as _pruned, but a
    value that is no mapping where a path goes on stays whole (reading into it fails in a
    way that depends on it)."""
    out: dict[str, Any] = {}
    for key, sub in trie.items():
        if key in obj:
            value = obj[key]
            out[key] = _read(value, sub) if sub is not None and isinstance(value, dict) else value
    return out


def _by_rules(match: MatchResources, candidate: Candidate, *, no_rules: bool) -> bool:
    return resources_match(MatchResources(match.rules, match.exclude), candidate, {},
                           any_resource_if_no_rules=no_rules)


def _selected(match: MatchResources, candidate: Candidate, labels: Mapping[str, str]) -> bool:
    """The selectors of `match` (its rules aside)."""
    if candidate.namespace and not match.namespace_selector.empty and (
        not match.namespace_selector.matches(labels)
    ):
        return False
    return match.object_selector.empty or match.object_selector.matches(candidate.labels)


# A memo is dropped when it finds less than one in eight of the first lookups: where no two
# objects read alike, computing its keys costs more than it saves.
_TRIAL = 64


class _Tally(Struct):
    lookups: int = 0
    hits: int = 0

    def pays(self) -> bool:
        return self.lookups < _TRIAL or self.hits * 8 >= self.lookups

    def count(self, hit: bool) -> None:
        self.lookups += 1
        self.hits += hit


class _Step(Struct):
    """A program as run for one parameter object, and what of an object it reads."""

    variant: Program
    object: bool
    trie: Trie | None  # the paths of `object` it reads (None: all of it)
    namespace: bool  # reads namespaceObject
    request: bool
    tally: _Tally = field(default_factory=_Tally)


class _Plan(Struct):
    """The bound policies whose rules match objects of a resource and scope, each pair with
    a binding whose rules match too."""

    resource: Resource
    pairs: tuple[tuple[Policy, Binding], ...]
    selects: bool  # a namespace or object selector of theirs applies
    deciding: _Deciding | None = None  # what decides for all the pairs


class _Deciding(Struct):
    """What the deciding expressions (no messages) of some bound policies read."""

    ids: tuple[tuple[int, int], ...]  # the policies and bindings (they live as long)
    object: bool
    trie: Trie | None  # the paths of `object` they read (None: all of it)
    paths: Paths | None  # the same, sorted (what to dump of a spec)
    namespace: bool
    request: bool
    params: bool
    tally: _Tally = field(default_factory=_Tally)

    @staticmethod
    def of(ids: tuple[tuple[int, int], ...], programs: list[Program], params: bool,
           ) -> _Deciding:
        paths = object_paths(programs)
        return _Deciding(ids, any("object" in p.names for p in programs),
                         None if paths is None else path_trie(paths),
                         None if paths is None else tuple(sorted(paths)),
                         any("namespaceObject" in p.names for p in programs),
                         any("request" in p.names for p in programs), params)


def _no_selectors(match: MatchResources) -> bool:
    return match.namespace_selector.empty and match.object_selector.empty


_WHOLE = 0  # the key of "the whole object" among the tries of one object's reads


class Evaluator:
    """Evaluates the policies of a PolicySet against objects, with one CEL context for all.

    An expression's value depends only on what it reads: the fields of `object` its paths
    name, `namespaceObject` and `request` if it reads them, and its parameter object. Each
    value is computed once per distinct input and remembered, and so is "admitted without a
    word" per distinct input of the deciding expressions (specs written from one template
    read alike). An object is converted into CEL values (microseconds per value) only when
    one of its expressions has to run, and then once, with only what the policies read."""

    def __init__(self, policies: PolicySet) -> None:
        self.policies = policies
        self._param_names: dict[int, str] = {}
        self._variants: dict[tuple[int, str], Program] = {}
        self._bindings: dict[str, list[Binding]] = {}
        self._plans: dict[tuple[int, bool, str], _Plan] = {}
        self._named: bool | None = None  # whether a rule names resources
        self._paths: dict[int, tuple[Resource, Trie | None, Paths | None]] = {}
        self._steps: dict[tuple[int, int], _Step] = {}
        self._tries: dict[tuple[tuple[str, ...], ...], Trie] = {}
        self._namespaces: dict[str, dict[str, str]] = {}
        self._memo: dict[tuple[object, ...], tuple[object, str | None]] = {}
        self._deciding: dict[tuple[tuple[int, int], ...], _Deciding] = {}
        self._admitted: set[tuple[object, ...]] = set()
        # the object being judged
        self._candidate: Candidate | None = None
        self._labels: Mapping[str, str] = {}
        self._object: dict[str, Any] | None = None
        self._plain: bool = False
        self._keys: dict[int, str] = {}  # per trie (by id): what it reads
        self._shown: set[str] = set()  # its variables the context holds
        programs = [p for policy in self.policies.policies.values() for p in policy.programs()]
        self._context: Any = new_context({"params": None, "oldObject": None, "request": None,
                                          "namespaceObject": None}, programs)
        for index, param in enumerate(self.policies.params):
            name = f"_aimsync_param_{index}"
            self._param_names[id(param)] = name
            self._context.add_variable(name, param.value)
        for binding in self.policies.bindings:
            self._bindings.setdefault(binding.policy_name, []).append(binding)

    def evaluate(self, candidate: Candidate) -> list[Decision]:
        """Every decision of every bound policy that matches the object, in the order the
        API server makes them (policies, then bindings, then validations)."""
        labels = self._namespace_labels(candidate.namespace) if candidate.namespace else {}
        plan = self._plan(candidate)
        selected = plan.pairs
        if plan.selects:
            selected = tuple(
                (policy, binding) for policy, binding in plan.pairs
                if _selected(policy.match, candidate, labels)
                and (binding.match is None or _selected(binding.match, candidate, labels)))
        if not selected:
            return []
        self._prepare(candidate, labels)
        # An object the policies admit without a word is admitted so for what decides it:
        # another one that reads alike needs no expression looked up at all.
        reads = self._deciding_reads(plan, selected)
        admitted = self._admitted_key(candidate, reads) if reads.tally.pays() else None
        if admitted is not None:
            reads.tally.count(admitted in self._admitted)
            if admitted in self._admitted:
                return []
        decisions = [d for policy, binding in selected
                     for d in self._binding(policy, binding, candidate)]
        if admitted is not None and not decisions:
            self._admitted.add(admitted)
        return decisions

    def _deciding_reads(self, plan: _Plan,
                        selected: tuple[tuple[Policy, Binding], ...]) -> _Deciding:
        # the same pairs for every object of a plan without selectors: looked up once
        reads = plan.deciding if selected is plan.pairs else None
        if reads is None:
            ids = tuple((id(policy), id(binding)) for policy, binding in selected)
            reads = self._deciding.get(ids)
            if reads is None:
                reads = self._deciding[ids] = _Deciding.of(
                    ids, [program for policy, _ in selected
                          for program in policy.deciding_programs()],
                    any(policy.param_kind is not None for policy, _ in selected))
            if selected is plan.pairs:
                plan.deciding = reads
        return reads

    def _admitted_key(self, candidate: Candidate, reads: _Deciding) -> tuple[object, ...] | None:
        """What decides whether the selected bindings admit the object without a word: the
        parameter objects (by namespace) and what the deciding expressions read (messages
        run only for a failure, which is a word)."""
        key: list[object] = [reads.ids]
        if reads.object:
            obj = candidate.obj
            seen: str | bytes | None = None
            if candidate.plain and isinstance(obj, LazyObject) and reads.paths is not None:
                # a spec dumped for just these paths is what they read (the fields that the
                # messages read are dumped only when one is needed)
                seen = obj.key(reads.paths)
            if seen is None:
                seen = self._seen(reads.trie)
            if seen is None:
                return None
            key.append(seen)
        if reads.namespace:
            key += [candidate.namespace, tuple(self._labels.items())]
        elif reads.params:  # which parameter objects apply can depend on it
            key.append(candidate.namespace)
        if reads.request:
            key += [candidate.resource, candidate.name, candidate.namespace]
        return tuple(key)

    def _namespace_labels(self, namespace: str) -> dict[str, str]:
        labels = self._namespaces.get(namespace)
        if labels is None:
            labels = self._namespaces[namespace] = self.policies.namespace_labels(namespace)
        return labels

    def _plan(self, candidate: Candidate) -> _Plan:
        """The bound policies whose rules match the object, with the bindings whose rules do
        (selectors aside): the same for every object of a resource and scope (and name,
        when a rule names resources)."""
        if self._named is None:
            self._named = any(
                rule.resource_names
                for match in (*(p.match for p in self.policies.policies.values()),
                              *(b.match for b in self.policies.bindings if b.match))
                for rule in (*match.rules, *match.exclude))
        key = (id(candidate.resource), bool(candidate.namespace),
               candidate.name if self._named else "")
        plan = self._plans.get(key)
        if plan is None or plan.resource is not candidate.resource:  # the id of another one
            bare = Candidate(candidate.resource, candidate.name, candidate.namespace, {})
            pairs = tuple(
                (policy, binding)
                for policy in self.policies.policies.values()
                if policy.name in self._bindings
                and _by_rules(policy.match, bare, no_rules=False)
                for binding in self._bindings[policy.name]
                if binding.match is None or _by_rules(binding.match, bare, no_rules=True))
            selects = any(
                not _no_selectors(policy.match)
                or (binding.match is not None and not _no_selectors(binding.match))
                for policy, binding in pairs)
            plan = self._plans[key] = _Plan(candidate.resource, pairs, selects)
        return plan

    def _prepare(self, candidate: Candidate, labels: Mapping[str, str]) -> None:
        self._candidate, self._labels = candidate, labels
        self._object = None
        self._keys.clear()
        self._shown.clear()

    def _read_object(self) -> dict[str, Any]:
        """The object, at least what the policies that can match it read (built once). What
        an expression reads of it decides what it reads of the object the context holds
        (the same paths, cut where all the policies' paths stop)."""
        if self._object is None:
            candidate = self._candidate
            assert candidate is not None
            obj = candidate.obj
            if isinstance(obj, LazyObject):
                paths = self._resource_trie(candidate.resource)[1]
                self._object = obj.value if paths is None else obj.part(paths)
            else:
                self._object = obj if type(obj) is dict else dict(obj)
            self._plain = candidate.plain or _json_like(self._object)
        return self._object

    def _resource_trie(self, resource: Resource) -> tuple[Trie | None, Paths | None]:
        """What the policies that can match objects of the resource read of them."""
        known = self._paths.get(id(resource))
        if known is None or known[0] is not resource:  # the id of another one
            paths = object_paths(
                program for policy in self.policies.policies.values()
                if policy_matches_resource(policy, resource) for program in policy.programs()
            )
            known = self._paths[id(resource)] = (
                resource, None if paths is None else path_trie(paths),
                None if paths is None else tuple(sorted(paths)))
        return known[1], known[2]

    def _step(self, program: Program, param: ParamObject | None) -> _Step:
        step = self._steps.get((id(program), id(param)))
        if step is None:  # the first time: a variant for the parameter, the paths it reads
            variant = self._program(program, param)
            trie: Trie | None = None
            if "object" in variant.names:
                paths = object_paths([program])
                if paths is not None:  # programs that read the same paths share one key
                    trie = self._tries.setdefault(tuple(sorted(paths)), path_trie(paths))
            step = self._steps[(id(program), id(param))] = _Step(
                variant, "object" in variant.names, trie,
                "namespaceObject" in variant.names, "request" in variant.names)
        return step

    def _seen(self, trie: Trie | None) -> str | None:
        """What an expression reading the paths of `trie` sees of the object, as a key
        (None: not told apart safely)."""
        obj = self._object if self._object is not None else self._read_object()
        if not self._plain:
            return None
        which = _WHOLE if trie is None else id(trie)
        seen = self._keys.get(which)
        if seen is None:
            seen = self._keys[which] = repr(obj if trie is None else _read(obj, trie))
        return seen

    def _key(self, step: _Step) -> tuple[object, ...] | None:
        """Everything the value of the step's program depends on (None: not told apart
        safely)."""
        candidate = self._candidate
        assert candidate is not None
        key: tuple[object, ...] = (id(step.variant),)  # it lives as long as the policies
        if step.object:
            seen = self._seen(step.trie)
            if seen is None:
                return None
            key += (seen,)
        if step.namespace:
            key += (candidate.namespace, tuple(self._labels.items()))
        if step.request:
            key += (candidate.resource, candidate.name, candidate.namespace)
        return key

    def _show(self, variant: Program) -> None:
        """The context given the variables of the object that `variant` reads."""
        candidate = self._candidate
        assert candidate is not None
        names = variant.names
        if "object" in names and "object" not in self._shown:
            # only what the policies that can match it read: converting a value costs
            # microseconds
            obj, trie = self._read_object(), self._resource_trie(candidate.resource)[0]
            self._context.add_variable(
                "object", dict(obj) if trie is None else _pruned(obj, trie))
            self._shown.add("object")
        if "namespaceObject" in names and "namespaceObject" not in self._shown:
            namespace = None
            if candidate.namespace:
                namespace = {"apiVersion": "v1", "kind": "Namespace",
                             "metadata": {"name": candidate.namespace,
                                          "labels": dict(self._labels)},
                             "spec": {"finalizers": ["kubernetes"]},
                             "status": {"phase": "Active"}}
            self._context.add_variable("namespaceObject", namespace)
            self._shown.add("namespaceObject")
        if "request" in names and "request" not in self._shown:
            self._context.add_variable("request", _request(candidate))
            self._shown.add("request")

    def _binding(self, policy: Policy, binding: Binding, candidate: Candidate) -> list[Decision]:
        try:
            params: list[ParamObject | None] = [None]
            if policy.param_kind is not None and binding.param_ref is not None:
                params = list(_collect_params(self.policies, policy, binding,
                                              candidate.namespace))
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
        step = self._steps.get((id(program), id(param))) or self._step(program, param)
        key = self._key(step) if step.tally.pays() else None
        if key is not None:
            known = self._memo.get(key)
            step.tally.count(known is not None)
            if known is not None:
                return known
        self._show(step.variant)
        try:
            result: tuple[object, str | None] = step.variant.run(self._context), None
        except CelError as exc:
            result = None, f"expression '{program.source}' resulted in error: {exc}"
        if key is not None:
            self._memo[key] = result
        return result

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
            variant = self._program(variable.program, param)
            self._show(variant)
            try:
                variant.run(self._context)
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
