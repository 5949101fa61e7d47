"""Columns: the longest path from the start events, once the flows closing a loop are set aside.

`out` maps every node to its outgoing flows as (flow index, target) pairs, in model order.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

Successors = dict[str, list[tuple[int, str]]]


def back_edges(out: Successors, roots: Iterable[str]) -> set[int]:
    """The flows that close a cycle in a depth-first walk from `roots`, in that order."""
    back: set[int] = set()
    state: dict[str, int] = {}  # 1 on the walk's stack, 2 done
    for root in roots:
        if state.get(root):
            continue
        state[root] = 1
        stack = [(root, iter(out[root]))]
        while stack:
            node, successors = stack[-1]
            for index, target in successors:
                if state.get(target) == 1:
                    back.add(index)
                elif not state.get(target):
                    state[target] = 1
                    stack.append((target, iter(out[target])))
                    break
            else:
                state[node] = 2
                stack.pop()
    return back


def longest_path(
    nodes: list[str], out: Successors, back: set[int], order: dict[str, int]
) -> dict[str, int]:
    """Column of every node: one more than its furthest predecessor, loops ignored."""
    forward = {n: [(i, t) for i, t in out[n] if i not in back] for n in nodes}
    indegree = _indegrees(nodes, forward)
    col = {n: 0 for n in nodes}
    ready = [(order[n], n) for n in nodes if not indegree[n]]
    heapq.heapify(ready)
    while ready:
        _, node = heapq.heappop(ready)
        for _, target in forward[node]:
            col[target] = max(col[target], col[node] + 1)
            indegree[target] -= 1
            if not indegree[target]:
                heapq.heappush(ready, (order[target], target))
    return col


def _indegrees(nodes: list[str], forward: Successors) -> dict[str, int]:
    indegree = {n: 0 for n in nodes}
    for node in nodes:
        for _, target in forward[node]:
            indegree[target] += 1
    return indegree
