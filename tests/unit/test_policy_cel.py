"""The CEL of admission policies: the Kubernetes libraries aimsync supplies on the Rust engine,
the rewrites of syntax its parser lacks, and errors worded as cel-go words them."""

from __future__ import annotations

from typing import Any

import pytest

from aimsync.policy.cel import CelError, compile_expression, new_context, rewrite

OBJECT: dict[str, Any] = {
    "metadata": {"name": "chat", "labels": {"team": "ml"}},
    "spec": {"image": "docker.io/amd/aim:0.8.5", "replicas": 2,
             "env": [{"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "s"}}}]},
}


def run(expression: str, obj: dict[str, Any] | None = None) -> object:
    return compile_expression(expression).run(new_context({"object": obj or OBJECT}))


@pytest.mark.parametrize(("expression", "expected"), [
    # strings (cel-go ext.Strings v2)
    ("'abc'.charAt(1)", "b"), ("'abc'.charAt(3)", ""), ("'hello'.indexOf('l')", 2),
    ("'hello'.indexOf('l', 3)", 3), ("'hello'.lastIndexOf('l')", 3),
    ("'TacoCat'.lowerAscii()", "tacocat"), ("'TacoCat'.upperAscii()", "TACOCAT"),
    ("'a-b-c'.replace('-', '+', 1)", "a+b-c"), ("'a,b,c'.split(',')", ["a", "b", "c"]),
    ("'a,b,c'.split(',', 2)", ["a", "b,c"]), ("'tacocat'.substring(4)", "cat"),
    ("'tacocat'.substring(0, 4)", "taco"), ("'  x '.trim()", "x"),
    ("['a', 'b'].join('-')", "a-b"), ("strings.quote('a\"b')", '"a\\"b"'),
    ("'%s is %d'.format(['x', 2])", "x is 2"), ("'%.2f'.format([1.5])", "1.50"),
    # lists (k8s library.Lists, cel-go ext.Lists v3)
    ("[1, 2, 3].isSorted()", True), ("[3, 1].isSorted()", False), ("[1, 2, 3].sum()", 6),
    ("[2, 1, 3].min()", 1), ("[2, 1, 3].max()", 3), ("[1, 2, 1].indexOf(1)", 0),
    ("[1, 2, 1].lastIndexOf(1)", 2), ("[1, 2, 1].distinct()", [1, 2]),
    ("[[1], [2, [3]]].flatten()", [1, 2, [3]]), ("[[1], [2, [3]]].flatten(2)", [1, 2, 3]),
    ("lists.range(3)", [0, 1, 2]), ("[1, 2].reverse()", [2, 1]), ("[1, 2, 3].slice(1, 2)", [2]),
    ("[3, 1, 2].sort()", [1, 2, 3]), ("[1, 2].first().value()", 1),
    ("[].first().hasValue()", False), ("[1, 2].last().value()", 2),
    # sets
    ("sets.contains([1, 2], [2])", True), ("sets.equivalent([1, 2], [2, 1])", True),
    ("sets.intersects([1], [2])", False),
    # regex (library.Regex)
    ("'abc 123'.find('[0-9]+')", "123"), ("'a1b22'.findAll('[0-9]+')", ["1", "22"]),
    ("'a1b22'.findAll('[0-9]+', 1)", ["1"]), ("'abc'.matches('^a')", True),
    # quantity (library.Quantity)
    ("quantity('1Gi').isLessThan(quantity('2Gi'))", True),
    ("quantity('1Gi').isGreaterThan(quantity('1G'))", True),
    ("quantity('1024') == quantity('1Ki')", True),
    ("quantity('500m').compareTo(quantity('1'))", -1),
    ("quantity('1Gi').add(quantity('1Gi')).asInteger()", 2 * 2**30),
    ("quantity('2').sub(1).asInteger()", 1), ("quantity('1.5').isInteger()", False),
    ("quantity('1.5').asApproximateFloat()", 1.5), ("quantity('-1').sign()", -1),
    ("isQuantity('1Gi')", True), ("isQuantity('1Gb')", False),
    # url (library.URLs)
    ("url('https://user@example.com:8443/a%20b?x=1&x=2').getScheme()", "https"),
    ("url('https://example.com:8443/p').getHost()", "example.com:8443"),
    ("url('https://example.com:8443/p').getHostname()", "example.com"),
    ("url('https://example.com:8443/p').getPort()", "8443"),
    ("url('https://example.com/a%20b').getEscapedPath()", "/a%20b"),
    ("url('https://example.com/?x=1&x=2').getQuery()", {"x": ["1", "2"]}),
    ("isURL('https://example.com')", True), ("isURL('example.com')", False),
    # optional types (rewritten)
    ("object.?metadata.?labels.?team.orValue('none')", "ml"),
    ("object.?metadata.?labels.?owner.orValue('none')", "none"),
    ("object.metadata.labels[?'team'].hasValue()", True),
    ("object.spec.env.exists(e, e.name == 'HF_TOKEN' && has(e.valueFrom))", True),
    ("'a.?b'.size()", 4),  # a string is not rewritten
])
def test_kubernetes_libraries(expression: str, expected: object) -> None:
    assert run(expression) == expected


@pytest.mark.parametrize(("expression", "message"), [
    ("object.spec.foo == 1", "no such key: foo"),
    ("object.spec.replicas + 'a' == 1", "no such overload"),
    ("object.spec.replicas / 0 == 1", "division by zero"),
    ("quantity('1x') == quantity('1')", "quantities must match the regular expression"),
    ("'abc'.charAt(5) == ''", "index out of range: 5"),
    ("url('x') == url('y')", "URL parse error during conversion from string"),
])
def test_runtime_errors_are_worded_as_cel_go_words_them(expression: str, message: str) -> None:
    with pytest.raises(CelError, match=message):
        run(expression)


@pytest.mark.parametrize(("expression", "message"), [
    ("object.spec.replicas >", "Syntax error"),
    ("foo.bar == 1", "undeclared reference to 'foo'"),
    ("authorizer.group('').resource('x').check('get').allowed()", "not supported offline"),
    ("object.spec.env.all(i, e, e.name != '')", "two-variable comprehensions"),
    ("ip('10.0.0.1').family() == 4", "ip library"),
    # no part of the API server's environment (base.go): refused as it refuses them
    ("cel.bind(r, object.spec.replicas, r * r) == 4", "undeclared reference to 'cel'"),
    ("math.greatest(1, 2) == 2", "undeclared reference to 'math'"),
])
def test_what_does_not_compile(expression: str, message: str) -> None:
    with pytest.raises(CelError, match=message):
        compile_expression(expression)


def test_the_rewrites_keep_string_literals() -> None:
    assert rewrite("x.?a == 'y.?b'") == "x._aimsync_opt_select('a') == 'y.?b'"
    assert rewrite("x[?'a.?b'].hasValue()") == "x._aimsync_opt_index('a.?b').hasValue()"


def test_variables_are_inlined_and_remembered() -> None:
    program = compile_expression("variables.n > 1", {"n": "object.spec.replicas"})
    assert program.uses == ("n",)
    assert program.run(new_context({"object": OBJECT})) is True
    with pytest.raises(CelError, match="undefined field 'missing'"):
        compile_expression("variables.missing", {})
