"""Issue 10 benchmark: what FEEL expressions and DMN decisions cost in the dev engine.

    .venv/bin/python bench/devengine_feel_dmn.py [--repeat 5]

FEEL: a handful of typical expressions (conditions, mappings, a loop, temporal arithmetic,
a filter, a built-in), each parsed once (the engine parses at deploy time) and evaluated
many times against JSON variables, as the engine does for a condition or a mapping. Reported:
the parse cost and the evaluation cost per expression (CPU time), best of `--repeat` runs.

DMN: a 50-rule decision table (two inputs: a number range and a string list), evaluated
through the engine's DecisionBook (variables in, JSON out) with hit policies FIRST (the
match at rule 25, and at rule 50), UNIQUE (rule 50: every rule is tested) and COLLECT SUM
(every rule matches its own range and a catch-all column). Reported: the cost per
evaluation (CPU time), and the parse cost of the DMN resource at deploy.
"""

import argparse
import time
from collections.abc import Callable
from typing import Any

from zeebe_devengine.core.decisions import DecisionBook
from zeebe_devengine.core.keys import KeyGenerator
from zeebe_devengine.dmn.builder import dmn, table
from zeebe_devengine.feel.evaluate import evaluate, lookup_in
from zeebe_devengine.feel.parser import parse

VARIABLES: dict[str, Any] = {
    "useVersion": 2,
    "applicant": {"age": 34, "country": "FR", "name": "Ada"},
    "order": {"items": [{"price": 9.5, "quantity": 2}, {"price": 20, "quantity": 1}] * 5},
    "dueDate": "2030-01-15",
    "names": ["a", "b", "c", "d"],
    "orders": [{"id": n, "amount": n * 10} for n in range(20)],
    "score": 712,
}

EXPRESSIONS = [
    ("condition", "useVersion = 2"),
    ("path and list", 'applicant.age >= 18 and applicant.country in ["DE", "FR", "IT"]'),
    ("if-then-else", 'if score > 700 then "A" else if score > 600 then "B" else "C"'),
    ("for and sum", "sum(for item in order.items return item.price * item.quantity)"),
    ("filter and count", "count(orders[amount > 100])"),
    ("temporal", 'date(dueDate) - date("2030-01-01") < duration("P30D")'),
    ("string built-in", 'upper case(string join(names, ", "))'),
    ("context literal", '{name: applicant.name, adult: applicant.age >= 18, tier: "gold"}'),
]


def best_per_call(action: Callable[[], object], calls: int, repeat: int) -> float:
    """Best of `repeat` runs of `calls` calls, in CPU microseconds per call.

    CPU time of this process, not wall time: on a machine shared with other jobs the wall
    clock mostly measures the neighbours.
    """
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for _ in range(calls):
            action()
        best = min(best, (time.process_time() - start) / calls)
    return best * 1e6


def feel(repeat: int) -> None:
    lookup = lookup_in(VARIABLES)
    print(f"{'FEEL expression':<20} {'parse':>10} {'evaluate':>10}   result")
    for label, text in EXPRESSIONS:
        parse_us = best_per_call(lambda text=text: parse(text), 2_000, repeat)
        expression = parse(text)
        result = evaluate(expression, lookup)
        assert not result.warnings, result.warnings
        eval_us = best_per_call(lambda e=expression: evaluate(e, lookup), 5_000, repeat)
        print(f"{label:<20} {parse_us:>8.1f} µs {eval_us:>8.1f} µs   {result.value!r}"[:100])


def rules(count: int) -> list[tuple[list[str], list[str]]]:
    countries = ['"DE"', '"FR"', '"IT"', '"ES"', '"NL"']
    return [
        ([f"[{n * 10}..{n * 10 + 9}]", f"{countries[n % 5]}, {countries[(n + 1) % 5]}"], [str(n)])
        for n in range(count)
    ]


def decision_book(hit_policy: str, aggregation: str | None = None) -> DecisionBook:
    entries = rules(50)
    if aggregation:  # every rule matches: its range widened to everything
        entries = [(["-", "-"], outputs) for _, outputs in entries]
    document = dmn(
        table(
            "risk",
            entries,
            inputs=("applicant.score", "applicant.country"),
            hit_policy=hit_policy,
            aggregation=aggregation,
        )
    )
    book = DecisionBook(KeyGenerator())
    [(name, content, graph)] = book.parse([("risk.dmn", document)])
    book.store(name, content, graph, deployment_key=1)
    return book


def decisions(repeat: int) -> None:
    document = dmn(table("risk", rules(50), inputs=("applicant.score", "applicant.country")))
    book = DecisionBook(KeyGenerator())
    parse_us = best_per_call(lambda: book.parse([("risk.dmn", document)]), 50, repeat)
    print(f"\nDMN, 50-rule table, 2 inputs: parse at deploy {parse_us / 1000:.2f} ms")
    cases = [
        ("FIRST, match at rule 25", "FIRST", None, 245, "DE"),
        ("FIRST, match at rule 50", "FIRST", None, 495, "DE"),
        ("UNIQUE, match at rule 50", "UNIQUE", None, 495, "DE"),
        ("COLLECT SUM, 50 matches", "COLLECT", "SUM", 1, "DE"),
    ]
    for label, policy, aggregation, score, country in cases:
        book = decision_book(policy, aggregation)
        variables = {"applicant": {"score": score, "country": country}}
        result = book.evaluate_by_id("risk", variables)
        assert not result.evaluation.failure, result.evaluation.failure
        cost = best_per_call(lambda b=book, v=variables: b.evaluate_by_id("risk", v), 500, repeat)
        print(f"{label:<28} {cost:>8.1f} µs per evaluation   -> {result.evaluation.output}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    feel(args.repeat)
    decisions(args.repeat)


if __name__ == "__main__":
    main()
