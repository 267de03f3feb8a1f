"""`canary report [NAME]`: how the rollout's canary (v2, or v3 after 2 -> 3) compares with its
baseline in the recorded outcomes, with a verdict."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workers.cli.common import add_database_option, add_json_option, database, print_json
from workers.settings import DEFAULT_ROLLOUT

if TYPE_CHECKING:
    import argparse

#: `--fail-on worse` and the verdict is "v2 worse": distinct from 1 (an error) and 2 (usage),
#: so a pipeline step can tell "v2 is worse" from "the report could not be made".
EXIT_V2_WORSE = 3

_DEFAULTS: dict[str, Any] = {
    "ratio": 2.0,
    "alpha": 0.05,
    "beta": 0.2,
    "min_attempts": 50,
    "min_failures": 5,
    "columns": 24,
}


def register(subparsers: "argparse._SubParsersAction[Any]") -> None:
    parser = subparsers.add_parser(
        "report",
        help="baseline against canary (v1 vs v2 unless the rollout names others): rates, latency,"
        " split and a verdict",
        description=(
            "Compare the versions of a rollout from the outcomes the workers recorded: success,"
            " rejection and technical-failure rates with 95% intervals, latency, the observed"
            " split against the configured rate, and a verdict from a sequential test that"
            " stays valid however often it is checked."
        ),
    )
    parser.add_argument(
        "name", nargs="?", default=DEFAULT_ROLLOUT, metavar="NAME",
        help=f"rollout (default {DEFAULT_ROLLOUT})",
    )  # fmt: skip
    parser.add_argument(
        "--since",
        metavar="DURATION",
        help="only the last DURATION, e.g. 30m, 6h, 7d (default: all)",
    )
    parser.add_argument("--plot", metavar="FILE", help="also write the chart to FILE (.svg, .png)")
    parser.add_argument(
        "--fail-on",
        choices=["worse"],
        help=f"exit {EXIT_V2_WORSE} when the verdict is 'v2 worse' (the canary's number; a pipeline"
        " step gates on it)",
    )
    test = parser.add_argument_group("sequential test")
    test.add_argument(
        "--ratio", type=float, default=_DEFAULTS["ratio"],
        help="H1: the canary fails this many times as often as the baseline (default %(default)s)",
    )  # fmt: skip
    test.add_argument(
        "--alpha", type=float, default=_DEFAULTS["alpha"],
        help="false-alarm level for 'v2 worse' (default %(default)s)",
    )  # fmt: skip
    test.add_argument(
        "--beta", type=float, default=_DEFAULTS["beta"],
        help="miss level: 'v2 no worse' though it fails RATIO times as often (default %(default)s)",
    )  # fmt: skip
    test.add_argument(
        "--min-attempts", type=int, default=_DEFAULTS["min_attempts"], metavar="N",
        help="no verdict before each version has N attempts (default %(default)s)",
    )  # fmt: skip
    test.add_argument(
        "--min-failures", type=int, default=_DEFAULTS["min_failures"], metavar="N",
        help="no verdict before N technical failures in all (default %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--columns", type=int, default=_DEFAULTS["columns"], metavar="N",
        help="time buckets in the chart (default %(default)s)",
    )  # fmt: skip
    add_database_option(parser)
    add_json_option(parser)
    parser.set_defaults(handler=run, arguments=ReportArgs)


@dataclass(frozen=True, slots=True)
class ReportArgs:
    """`canary report`, as parsed."""

    name: str
    since: str | None
    plot: str | None
    ratio: float
    alpha: float
    beta: float
    min_attempts: int
    min_failures: int
    columns: int
    database_url: str | None
    json: bool
    fail_on: str | None


async def run(args: ReportArgs, environ: Mapping[str, str]) -> int:
    from workers.durations import parse_span  # noqa: PLC0415
    from workers.errors import InputError  # noqa: PLC0415
    from workers.operate.report import ReportSettings, build_report  # noqa: PLC0415
    from workers.operate.report.model import Verdict  # noqa: PLC0415
    from workers.operate.report.plot import check_plot_path, write_plot  # noqa: PLC0415
    from workers.operate.report.render import print_report  # noqa: PLC0415

    # Everything a person typed is checked before the database is touched.
    since = None if args.since is None else parse_span(args.since, flag="--since")
    settings = ReportSettings(
        ratio=args.ratio,
        alpha=args.alpha,
        beta=args.beta,
        min_attempts=args.min_attempts,
        min_failures=args.min_failures,
        columns=args.columns,
    )
    try:
        settings.check()
    except ValueError as exc:
        raise InputError(str(exc)) from None
    plot = None if args.plot is None else Path(args.plot)
    if plot is not None:
        check_plot_path(plot)

    async with database(args.database_url, environ) as conn:
        report = await build_report(conn, args.name, since, settings=settings)
    if plot is not None:
        write_plot(report, plot)
    if args.json:
        print_json(report.to_json())
    else:
        print_report(report)
        if plot is not None:
            print(f"chart written to {plot}")
    if args.fail_on == "worse" and report.test.verdict is Verdict.WORSE:
        return EXIT_V2_WORSE
    return 0
