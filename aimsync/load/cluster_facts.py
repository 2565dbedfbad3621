"""Cluster facts from a file: what `kubectl get nodes -o yaml` (or `-o json`) prints."""

from __future__ import annotations

from pathlib import Path

from aimsync.core.facts import ClusterFacts, Node
from aimsync.findings import Findings, Location
from aimsync.load.files import TooLarge, UnreadableFile, read_regular_file
from aimsync.load.yaml_reader import YamlLimits, read_yaml_documents

MAX_FACTS_BYTES = 64 * 1024 * 1024


def load_cluster_facts(path: Path, findings: Findings) -> ClusterFacts:
    """Nodes from a Node List, a single Node, or a stream of Node documents."""
    shown = str(path)
    try:
        text = read_regular_file(path, MAX_FACTS_BYTES).decode("utf-8")
    except TooLarge:
        findings.error(Location(shown), "cluster facts file is larger than 64 MiB",
                       rule="facts.read")
        return ClusterFacts.unknown()
    except UnreadableFile as exc:
        findings.error(Location(shown), f"cannot read cluster facts: {exc}", rule="facts.read")
        return ClusterFacts.unknown()
    except UnicodeDecodeError:
        findings.error(Location(shown), "cluster facts are not UTF-8 text", rule="facts.read")
        return ClusterFacts.unknown()
    documents, problem = read_yaml_documents(
        text, YamlLimits(max_depth=64, max_nodes_per_document=5_000_000,
                         max_bytes_per_document=2 * MAX_FACTS_BYTES)
    )
    if problem is not None:
        findings.error(
            Location(shown, problem.position.line, problem.position.column),
            problem.message,
            rule="facts.yaml",
        )
        return ClusterFacts.unknown()
    nodes: list[Node] = []
    for document in documents:
        value = document.value
        items = value.get("items") if isinstance(value, dict) and "items" in value else [value]
        if not isinstance(items, list):
            items = []
        for index, item in enumerate(items):
            if not isinstance(item, dict) or item.get("kind", "Node") != "Node":
                findings.error(
                    Location(shown, document.start.line, document.start.column),
                    f"item {index} is not a Node; pass the output of `kubectl get nodes -o yaml`",
                    rule="facts.not-a-node",
                )
                continue
            nodes.append(Node.from_api(item))
    return ClusterFacts(tuple(sorted(nodes, key=lambda n: n.name)))
