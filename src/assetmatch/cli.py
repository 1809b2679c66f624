"""The ``assetmatch`` command: the inventory and the matcher for people who do not write Python.

Built on typer (click). Every command opens a store (a GeoPackage path or a ``postgresql://``
URL), does one thing and prints data on stdout; messages, warnings and progress go to stderr,
so ``--json`` output can be piped. Errors are one friendly line on stderr with an exit code
(:data:`EXIT_CODES`); ``--debug`` shows the traceback instead.

Help and outputs are in Chinese or English (``--lang zh|en``, or ``ASSETMATCH_LANG``; default
``zh``). ``python -m assetmatch`` runs the same command.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import re
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.core

logger = logging.getLogger(__name__)

#: Exit codes of the command (also in ``assetmatch --help`` and the README).
EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_BUG = 0, 1, 2, 3, 4
EXIT_CODES: dict[int, tuple[str, str]] = {
    EXIT_OK: ("成功", "ok"),
    EXIT_REFUSED: (
        "数据被拒绝（含部分导入：有行被拒绝）",
        "data refused (including a partial import: some rows refused)",
    ),
    EXIT_USAGE: ("参数或用法错误", "bad arguments or usage"),
    EXIT_NOT_FOUND: (
        "库、文件或资产不存在，库无法读写，或报告无法生成（缺字体或排版引擎）",
        "store, file or asset not found, the store cannot be read or written, "
        "or a report cannot be made (its font or layout engine missing)",
    ),
    EXIT_BUG: (
        "程序内部错误（请用 --debug 运行并报告）",
        "internal error (run with --debug, report it)",
    ),
}
LANGS = ("zh", "en")


class Lang(enum.StrEnum):
    """Language of help and outputs."""

    zh = "zh"
    en = "en"


class Coords(enum.StrEnum):
    """How lon/lat in a source were taken."""

    wgs84 = "wgs84"
    gcj02 = "gcj02"
    bd09 = "bd09"


class OnError(enum.StrEnum):
    """What an import does with bad rows."""

    skip = "skip"
    raise_ = "raise"


class Scope(enum.StrEnum):
    """Scope of a service API key."""

    read = "read"
    write = "write"


# ====================================================================== state and output


class _State:
    """Options of the whole command (``--lang``, ``--debug``), set anew by each run."""

    def __init__(self, lang: str = "zh", debug: bool = False, progress: bool | None = None) -> None:
        self.lang = lang
        self.debug = debug
        self.progress = progress


_STATE: ContextVar[_State | None] = ContextVar("assetmatch_cli_state", default=None)


def _state() -> _State:
    state = _STATE.get()
    return state if state is not None else _State(_default_lang())


def _default_lang() -> str:
    lang = os.environ.get("ASSETMATCH_LANG", "zh")
    return lang if lang in LANGS else "zh"


def _w(zh: str, en: str) -> str:
    """The text in the command's language."""
    return zh if _state().lang == "zh" else en


def _out(text: str = "") -> None:
    """Data: to stdout."""
    typer.echo(text)


def _err(text: str) -> None:
    """Messages: to stderr."""
    typer.echo(text, err=True)


class _Bar:
    """What :func:`_progress` yields: tell it how far the work got.

    Drawn by rich on a terminal, or written as plain lines (``--progress`` off a terminal,
    for logs), or not at all.
    """

    def __init__(self, label: str, total: int | None, bar: Any = None, lines: bool = False):
        self._label, self._total, self._bar, self._lines = label, total, bar, lines
        self._done = 0
        self._task = bar.add_task(label, total=total) if bar is not None else None
        if lines:
            _err(f"{label} …")

    def advance(self, n: int = 1) -> None:
        """``n`` more steps done."""
        self._done += n
        self._show(self._done, self._total, None)

    def __call__(self, done: int, total: int, what: str | None = None) -> None:
        """A ``progress(done, total, what)`` callback, as the library's long calls take."""
        self._done, self._total = done, total
        self._show(done, total, what)

    def _show(self, done: int, total: int | None, what: str | None) -> None:
        if self._bar is not None:
            kw = {"description": f"{self._label} {what}"} if what else {}
            self._bar.update(self._task, completed=done, total=total, **kw)
        elif self._lines:
            count = f"{done}/{total}" if total is not None else str(done)
            _err(f"{self._label} {count}" + (f" {what}" if what else ""))


@contextmanager
def _progress(label: str, total: int | None = None) -> Iterator[_Bar]:
    """A progress bar (a spinner without ``total``) on stderr: drawn on a terminal, plain
    lines with ``--progress`` elsewhere, nothing with ``--no-progress`` or off a terminal.

    stdout never carries progress, so ``--json`` output can be piped.
    """
    mode = _state().progress
    if mode is None:
        mode = sys.stderr.isatty()
    if not mode:
        yield _Bar(label, total)
        return
    if not sys.stderr.isatty():
        yield _Bar(label, total, lines=True)
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
    if total is not None:
        columns += [BarColumn(), TextColumn("{task.completed}/{task.total}")]
    columns.append(TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        yield _Bar(label, total, bar)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], right: set[int]) -> str:
    """Rows aligned in columns, Chinese characters counted double width."""
    cells = [[str(h) for h in header]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(_width(r[j]) for r in cells) for j in range(len(header))]
    lines = []
    for r in cells:
        parts = []
        for j, v in enumerate(r):
            pad = " " * (widths[j] - _width(v))
            parts.append(pad + v if j in right else v + pad)
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def _num(v: Any, digits: int = 0) -> str | None:
    """A number for a table: thousands separated, ``None`` for missing."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    if f != f:  # NaN
        return None
    return f"{f:,.{digits}f}"


# ====================================================================== errors


class _RefusedError(Exception):
    """The CLI refuses (exit 1) after having printed what it could (e.g. a partial import)."""


def _exit_code(exc: BaseException) -> int:
    from ._errors import NotFoundError, ReportError, SourceError, StoreError

    service = sys.modules.get("assetmatch.service.errors")  # only raised once imported
    if service is not None and isinstance(exc, service.ServiceError):
        return EXIT_USAGE  # the service cannot start as asked (host without keys…)
    if isinstance(exc, NotFoundError | StoreError | SourceError | ReportError | OSError):
        return EXIT_NOT_FOUND
    return EXIT_REFUSED


def _message(exc: BaseException) -> str:
    """One line saying what went wrong (with the problems of a validation error after it)."""
    from ._errors import ValidationError

    text = str(exc) if not isinstance(exc, OSError) else _os_message(exc)
    if _state().lang == "zh" and not _CJK.search(text):
        text = f"{_zh_kind(exc)}：{text}"
    if isinstance(exc, ValidationError) and exc.problems:
        head = text.splitlines()[0].rstrip(":")
        shown = [f"  - {p}" for p in exc.problems[:20]]
        if len(exc.problems) > 20:
            shown.append(
                _w(f"  …另有 {len(exc.problems) - 20} 条", f"  … {len(exc.problems) - 20} more")
            )
        return "\n".join([head, *shown])
    return " ".join(text.split()) or type(exc).__name__


_CJK = re.compile("[\u3400-\u9fff]")


def _zh_kind(exc: BaseException) -> str:
    """What kind of failure ``exc`` is, in Chinese: the lead of a library message that is English.

    The library's own messages are English (they name fields, files and values); under
    ``--lang zh`` the reader gets the kind of failure in Chinese first, then the details.
    """
    from . import _errors as e

    kinds: list[tuple[type[BaseException], str]] = [
        (e.UnknownAssetError, "资产不在库中"),
        (e.NotFoundError, "未找到"),
        (e.StoreConflictError, "与另一处写入冲突，本次未保存任何内容，请重试"),
        (e.StoreError, "资产库无法打开或写入"),
        (e.OfferConflictError, "该场地当前不能推介给此投资方，未作记录"),
        (e.SourceError, "导入文件无法读取"),
        (e.ReportError, "报告无法生成"),
        (e.CRSError, "坐标系有误"),
        (e.LandUseError, "用地分类代码有误"),
        (e.ValidationError, "输入有误"),
        (e.PlotDependencyError, "缺少绘图所需的包"),
        (e.ClusterError, "dask 计算无法启动"),
        (OSError, "文件或系统错误"),
    ]
    return next((zh for cls, zh in kinds if isinstance(exc, cls)), "出错")


def _os_message(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"


class _Group(typer.core.TyperGroup):
    """The root command: localised help, and library errors turned into one line and a code."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        lang = _lang_in(args)
        _STATE.set(_State(lang, debug="--debug" in args))
        _localise(self, lang, ctx)
        return super().parse_args(ctx, args)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Click's ``main``, with its usage errors in the command's language.

        Click prints its own errors (a missing argument, an unknown option or command, a value
        it cannot parse) in English; under ``--lang zh`` they are printed in Chinese, with the
        same exit code (2).
        """
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        argv = list(args) if args is not None else sys.argv[1:]
        try:
            rv = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except _CLICK_ERROR as exc:
            shows_help = type(exc).__name__ == "NoArgsIsHelpError"  # its message is the help
            if _lang_in(argv) == "zh" and isinstance(exc, _USAGE_ERROR) and not shows_help:
                _show_usage_zh(exc)
            elif typer.core.HAS_RICH and self.rich_markup_mode is not None:
                from typer import rich_utils

                rich_utils.rich_format_error(exc)
            else:
                exc.show()
            sys.exit(exc.exit_code)
        except typer.Abort:
            _err("已中止" if _lang_in(argv) == "zh" else "Aborted!")
            sys.exit(1)
        # standalone_mode=False returns the exit code of an Exit, else what the command returned
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)

    def invoke(self, ctx: Any) -> Any:
        from ._errors import AssetmatchError

        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except _RefusedError as exc:
            _err(f"assetmatch: {exc}")
            raise typer.Exit(EXIT_REFUSED) from None
        except (AssetmatchError, OSError) as exc:
            if _state().debug:
                raise
            _err(f"assetmatch: {_message(exc)}")
            raise typer.Exit(_exit_code(exc)) from None
        except BrokenPipeError:  # the reader (| head) went away: stop quietly
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - flushing at exit must not fail
            raise typer.Exit(EXIT_OK) from None
        except KeyboardInterrupt:
            _err(_w("assetmatch: 已中断", "assetmatch: interrupted"))
            raise typer.Exit(130) from None
        except Exception as exc:
            if _state().debug:
                raise
            _err(
                f"assetmatch: {type(exc).__name__}: {' '.join(str(exc).split())} "
                + _w("（内部错误；用 --debug 查看详情）", "(internal error; --debug shows where)")
            )
            raise typer.Exit(EXIT_BUG) from None


#: Click's exception classes as typer (which bundles its own click) raises them.
_USAGE_ERROR: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError"
)
_CLICK_ERROR: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)

#: Click's usage messages (``format_message()``) and their Chinese; the first match is used.
_ZH_USAGE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.S), zh)
    for pattern, zh in (
        (r"^Missing argument (.+?)\.?$", "缺少参数 \\1。"),
        (r"^Missing option (.+?)\.?$", "缺少选项 \\1。"),
        (r"^Missing parameter:? (.+?)\.?$", "缺少参数 \\1。"),
        (r"^No such option: (\S+?)\.? Did you mean (.+)\?$", "没有选项 \\1；是否想用 \\2？"),
        (r"^No such option: (\S+?) \(Possible options: (.+)\)$", "没有选项 \\1（可用：\\2）。"),
        (r"^No such option: (\S+?)\.?$", "没有选项 \\1。"),
        (r"^No such command (.+?)\. Did you mean (.+)\?$", "没有命令 \\1；是否想用 \\2？"),
        (r"^No such command (.+?)\.?$", "没有命令 \\1。"),
        (r"^Got unexpected extra arguments? ?(?:\(s\))? \((.+)\)$", "多余的参数：\\1"),
        (r"^Option (.+?) requires an argument\.?$", "选项 \\1 需要一个值。"),
        (r"^Option (.+?) requires (\d+) arguments\.?$", "选项 \\1 需要 \\2 个值。"),
        (r"^Invalid value for (.+?) \(env var: (.+?)\): (.*)$", "\\1（环境变量 \\2）的值无效：\\3"),
        (r"^Invalid value for (.+?): (.*)$", "\\1 的值无效：\\2"),
    )
)


def _usage_zh(message: str) -> str:
    """Click's usage ``message`` in Chinese (the values and names it quotes stay as they are)."""
    for pattern, zh in _ZH_USAGE:
        m = pattern.match(message.strip())
        if m:
            return m.expand(zh)
    return message if _CJK.search(message) else f"用法有误：{message}"


def _show_usage_zh(exc: Any) -> None:
    """Print a click usage error as click does, in Chinese: usage line, help hint, the error."""
    ctx = exc.ctx
    lines = []
    if ctx is not None:
        usage = ctx.get_usage()
        lines.append(re.sub(r"^Usage:\s*", "用法：", usage))
        if ctx.command.get_help_option(ctx) is not None:
            lines.append(f"帮助：{ctx.command_path} {ctx.help_option_names[0]}")
        lines.append("")
    lines.append(f"错误：{_usage_zh(exc.format_message())}")
    _err("\n".join(lines))


def _lang_in(args: Sequence[str]) -> str:
    """The ``--lang`` among the arguments (before click parses them), else the default."""
    for i, a in enumerate(args):
        if a == "--":
            break
        if a == "--lang" and i + 1 < len(args) and args[i + 1] in LANGS:
            return args[i + 1]
        if a.startswith("--lang=") and a[7:] in LANGS:
            return a[7:]
    return _default_lang()


def _bad(param: str, zh: str, en: str) -> typer.BadParameter:
    return typer.BadParameter(_w(zh, en), param_hint=param)


# ====================================================================== the app

app = typer.Typer(
    name="assetmatch",
    cls=_Group,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich crops long Chinese lines in its tables
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
keys_app = typer.Typer(
    name="keys", no_args_is_help=True, help="Manage the service's API keys.", add_completion=False
)
app.add_typer(keys_app, name="keys")


def _version(value: bool) -> None:
    if value:
        from . import __version__  # not the result module: --version loads no pandas

        _out(f"assetmatch {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    lang: Annotated[
        Lang,
        typer.Option(
            "--lang",
            envvar="ASSETMATCH_LANG",
            help="Language of help and outputs (zh or en); also ASSETMATCH_LANG.",
        ),
    ] = Lang.zh,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log progress lines (INFO) on stderr.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback of an error; log DEBUG.")
    ] = False,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="Progress on stderr: default only on a terminal; --progress off a terminal "
            "writes plain lines.",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Match idle land and factories to investors: inventory, shortlists, reports.

    \b
    Exit codes:
      0  ok
      1  data refused (a partial import too)
      2  bad arguments or usage
      3  store, file or asset not found, store not readable or writable, or a
         report cannot be made (its font or layout engine missing)
      4  internal error (run with --debug and report it)

    中文帮助：assetmatch --lang zh --help
    """
    _STATE.set(_State(lang.value, debug, progress))
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
    logging.captureWarnings(True)
    if not debug:
        import warnings

        warnings.simplefilter("ignore")


def _open(store: str, *, create: bool = False, readonly: bool = False) -> Any:
    """Open the store: a GeoPackage path or a postgresql:// URL (both read-only when asked)."""
    import assetmatch as am

    return am.Inventory.open(store, create=create, readonly=readonly)


def _crs_option(value: str | None) -> str | None:
    """Check a ``--crs`` before anything is opened: a bad one is a bad argument (exit 2)."""
    if value is None:
        return None
    from pyproj import CRS
    from pyproj.exceptions import CRSError as PyprojCRSError

    try:
        CRS.from_user_input(value)
    except (PyprojCRSError, TypeError, ValueError):
        raise typer.BadParameter(
            _w(
                f"{value!r} 不是坐标系；请给 EPSG 代码（如 EPSG:4549）或 WKT",
                f"{value!r} is not a CRS; give an EPSG code (e.g. EPSG:4549) or WKT",
            )
        ) from None
    return value


StoreArg = Annotated[
    str, typer.Argument(metavar="STORE", help="A GeoPackage path or a postgresql:// URL.")
]


# ---------------------------------------------------------------------- match
def _read_brief(brief: str) -> Any:
    """The requirements from a JSON file, ``-`` (stdin), inline JSON, or Chinese text."""
    import assetmatch as am

    if brief == "-":
        text = sys.stdin.read()
        source = "stdin"
    elif Path(brief).is_file():
        try:
            text = Path(brief).read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise _bad("BRIEF", f"{brief} 不是 UTF-8 文本", f"{brief} is not UTF-8 text") from None
        source = brief
    else:
        text, source = brief, None
    if text.lstrip().startswith("{"):
        return am.Requirements.from_json(text)
    if source is None and (brief.endswith(".json") or os.sep in brief):
        raise _bad("BRIEF", f"没有文件 {brief}", f"no such file: {brief}")
    from_text = getattr(am.Requirements, "from_text", None)
    if from_text is None:
        raise _bad(
            "BRIEF",
            "需为 JSON 需求文件、- （标准输入的 JSON）或 JSON 文本；本版本尚不能读中文描述",
            "give a JSON requirements file, - (JSON on stdin) or inline JSON; "
            "plain-text briefs need Requirements.from_text, not in this version",
        )
    return from_text(text)


@app.command()
def match(
    store: StoreArg,
    brief: Annotated[
        str,
        typer.Argument(
            metavar="BRIEF",
            help="The brief: a JSON requirements file, - for stdin, inline JSON, "
            "or a Chinese description (when this version reads one).",
        ),
    ],
    top: Annotated[int, typer.Option(min=1, help="Length of the shortlist.")] = 10,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Match date (YYYY-MM-DD); default today.")
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print MatchResult.to_dict() as JSON, nothing else."),
    ] = False,
    explain: Annotated[
        int, typer.Option(min=0, help="Explain the first N sites of the table in words.")
    ] = 0,
) -> None:
    """Rank the store's sites for a brief: a table, or JSON with --json."""
    import assetmatch as am

    req = _read_brief(brief)
    inv = _open(store)  # not read-only: a stale context cache is refreshed and kept
    with _progress(_w("匹配中", "matching")):
        res = am.match(req, inventory=inv, top=top, as_of=as_of, lang=_state().lang)
    if as_json:
        _out(res.to_json(indent=2))
        return
    _print_shortlist(res)
    for aid in list(res.table["asset_id"])[:explain]:
        _out()
        _out(str(res.explain(aid, lang=_state().lang)))


def _print_shortlist(res: Any) -> None:
    """The shortlist for people: the result's message, an aligned table, the near misses."""
    from .explain import column_header

    lang = _state().lang
    _out(res.message)
    if len(res.table):
        cols = [
            "rank",
            "asset_id",
            "name",
            "district",
            "land_area_mu",
            "building_area_m2",
            "move_in_days",
            "score",
        ]
        shown = res.readable(lang, headers=False)[cols]
        _out(
            _table(
                [column_header(c, lang) for c in cols],
                shown.to_numpy().tolist(),
                right={0, 4, 5, 6, 7},
            )
        )
    if len(res.near_misses):
        _out()
        _out(_w("未入选但接近要求：", "near misses:"))
        for r in res.near_misses.to_dict("records"):
            _out(f"  {r['asset_id']} {r['name']}: {r['detail']}")


# ---------------------------------------------------------------------- demo
@app.command()
def demo(
    store: Annotated[
        Path | None,
        typer.Option(help="Write the demo GeoPackage here (default: a temporary file)."),
    ] = None,
    top: Annotated[int, typer.Option(min=1, help="Length of the shortlist.")] = 10,
    pdf: Annotated[
        Path | None,
        typer.Option(help="Write the report PDF here (default hengzhong.pdf, once reports exist)."),
    ] = None,
    no_pdf: Annotated[bool, typer.Option("--no-pdf", help="Do not write the report PDF.")] = False,
) -> None:
    """Match Hengzhong Education's brief on the synthetic demo zone and print the shortlist."""
    import assetmatch as am

    from .demo import PUBLIC_BRIEFS

    lang = _state().lang
    can_pdf = hasattr(am.MatchResult, "to_pdf")
    if pdf is not None and not can_pdf:
        raise _bad(
            "--pdf", "本版本尚不能生成 PDF 报告", "this version cannot write PDF reports yet"
        )
    with _progress(_w("生成演示园区", "building the demo zone")):
        inv = am.Inventory.demo(store)
    _out(_w(f"演示园区（合成数据）：{inv.path}", f"demo zone (synthetic): {inv.path}"))
    req = am.Requirements.model_validate(PUBLIC_BRIEFS["hengzhong"])
    res = am.match(req, inventory=inv, top=top, lang=lang)
    _print_shortlist(res)
    if len(res.table):
        _out()
        _out(str(res.explain(res.table["asset_id"].iloc[0], lang=lang)))
    if can_pdf and not no_pdf:
        path = pdf or Path("hengzhong.pdf")
        try:
            with _progress(_w("生成 PDF 报告", "writing the PDF"), total=len(res.table)) as bar:
                written = res.to_pdf(path, lang=lang, progress=bar)
        except am.ReportError as exc:
            if pdf is not None:  # asked for: a failure is an error
                raise
            _err(
                _w(
                    f"assetmatch: 未生成 PDF：{_message(exc)}",
                    f"assetmatch: no PDF: {_message(exc)}",
                )
            )
            return
        _out(_w(f"PDF 报告：{written}", f"PDF written: {written}"))


# ---------------------------------------------------------------------- import
def _columns(values: list[str]) -> dict[str, Any] | None:
    """``--columns``: ``源列=field`` or ``源列=field:unit`` pairs, or one JSON object."""
    if not values:
        return None
    if len(values) == 1 and values[0].lstrip().startswith("{"):
        try:
            obj = json.loads(values[0])
        except json.JSONDecodeError as exc:
            raise _bad("--columns", f"不是 JSON：{exc}", f"not JSON: {exc}") from None
        if not isinstance(obj, dict):
            raise _bad("--columns", "需为 JSON 对象", "must be a JSON object")
        return obj
    out: dict[str, Any] = {}
    for v in values:
        for pair in v.split(","):
            src, eq, target = pair.partition("=")
            if not eq or not src.strip() or not target.strip():
                raise _bad(
                    "--columns",
                    f"{pair!r} 应为 源列=字段 或 源列=字段:单位",
                    f"{pair!r} should be SOURCE=field or SOURCE=field:unit",
                )
            canon, _, unit = target.strip().partition(":")
            out[src.strip()] = (canon, unit) if unit else canon
    return out


def _sheet(value: str | None) -> str | int | None:
    return int(value) if value is not None and value.isdigit() else value


@app.command("import")
def import_(
    store: StoreArg,
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE", help="GeoPackage, Shapefile, GeoJSON, Excel or CSV to import."
        ),
    ],
    coords: Annotated[
        Coords,
        typer.Option(
            help="Lon/lat were taken from web maps: gcj02 (Amap, Tencent) or bd09 (Baidu)."
        ),
    ] = Coords.wgs84,
    crs: Annotated[
        str | None,
        typer.Option(help="CRS of the source's coordinates, e.g. EPSG:4549.", callback=_crs_option),
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet name or number (from 0).")] = None,
    layer: Annotated[str | None, typer.Option(help="Layer of a multi-layer file.")] = None,
    columns: Annotated[
        list[str] | None,
        typer.Option(
            help="Map a source column: SOURCE=field or SOURCE=field:unit (repeatable, or "
            "comma-separated, or one JSON object)."
        ),
    ] = None,
    at: Annotated[
        str | None, typer.Option(help="When these facts held (YYYY-MM-DD); default today.")
    ] = None,
    note: Annotated[str | None, typer.Option(help="Note recorded with the events.")] = None,
    on_error: Annotated[
        OnError,
        typer.Option("--on-error", help="skip: write the good rows; raise: refuse the whole file."),
    ] = OnError.skip,
    land_use_scheme: Annotated[
        str | None, typer.Option(help="Scheme of the land-use codes when the file has none.")
    ] = None,
    dayfirst: Annotated[
        bool | None,
        typer.Option("--dayfirst/--monthfirst", help="Read 03/04/2025 as 3 April (or 4 March)."),
    ] = None,
) -> None:
    """Import assets from a file and print the import report; exit 1 naming refused rows."""
    from ._errors import SourceError

    if not file.exists():  # before the store is opened, so no empty store is left
        raise SourceError(_w(f"没有文件：{file}", f"no such file: {file}"))
    mapping = _columns(columns or [])
    inv = _open(store, create=True)
    with _progress(_w(f"导入 {file.name}", f"importing {file.name}")):
        rep = inv.import_file(
            file,
            columns=mapping,
            layer=_sheet(layer),
            sheet=_sheet(sheet),
            crs=crs,
            at=at,
            note=note,
            on_error="raise" if on_error is OnError.raise_ else "skip",
            coords=coords.value,
            land_use_scheme=land_use_scheme,
            dayfirst=dayfirst,
        )
    _out(rep.to_text(lang=_state().lang))
    if rep.n_rejected_rows:
        raise _RefusedError(_refused_rows(rep))


def _refused_rows(rep: Any) -> str:
    rej = rep._in_source_order(rep.rejected.drop_duplicates("row"))
    named = [f"{r.row} ({r.asset_id})" if r.asset_id else str(r.row) for r in rej.itertuples()]
    shown = ", ".join(named[:20]) + (" …" if len(named) > 20 else "")
    return _w(
        f"拒绝 {len(named)} 行：第 {shown} 行" + ("" if rep.committed else "；未写入任何内容"),
        f"{len(named)} row(s) refused: row {shown}"
        + ("" if rep.committed else "; nothing written"),
    )


# ---------------------------------------------------------------------- history
_FIELD_NAMES_EN = {
    "rent_yuan_m2_month": "rent (yuan/m²/month)",
    "land_price_yuan_mu": "land price (yuan/mu)",
    "building_area_m2": "building area (m²)",
    "land_area_m2": "land area (m²)",
    "declared_land_area_m2": "declared land area (m²)",
    "tax_yuan_per_mu": "tax per mu (yuan)",
    "output_yuan_per_mu": "output per mu (yuan)",
    "floor_height_m": "floor height (m)",
    "floor_load_kn_m2": "floor load (kN/m²)",
    "power_kva": "power (kVA)",
}


def _field_name(field: str) -> str:
    """A field as people call it: the result's header, else the first Chinese import header
    (zh) or the English name with its unit."""
    from .explain.labels import HEADERS, label

    if field in HEADERS:
        return label(HEADERS[field], _state().lang)
    if _state().lang == "zh":
        from .ingest.headers import _ALIASES

        for alias in _ALIASES.get(field, ()):
            if any(unicodedata.east_asian_width(ch) == "W" for ch in alias):
                return alias
        return field
    text = _FIELD_NAMES_EN.get(field, field.replace("_", " "))
    return text[:1].upper() + text[1:]


def _value_text(field: str, v: Any) -> str:
    """A stored value as people read it (statuses, tenure and obstacles named in words)."""
    from .explain import obstacle_name, status_name, tenure_names

    lang = _state().lang
    if v is None or (isinstance(v, float) and v != v):
        return "—"
    if field == "status":
        return status_name(v, lang)
    if field == "tenure" and isinstance(v, list | tuple):
        return tenure_names(v, lang) or "—"
    if field == "obstacles" and isinstance(v, list | tuple):
        if not v:
            return _w("无", "none")
        parts = []
        for o in v:
            if not isinstance(o, dict):
                continue
            days = o.get("delay_days")
            when = _w(f"（{days:g} 天）", f" ({days:g} days)") if days else ""
            parts.append(obstacle_name(o.get("kind"), lang) + when)
        return "; ".join(parts)
    if field == "geometry":
        return _w("新边界", "new boundary")
    if isinstance(v, bool):
        return _w("是", "yes") if v else _w("否", "no")
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return str(v)


def history_lines(events: Any) -> list[str]:
    """One line per event: date, what changed (before → after), who and why."""
    colon, comma = _w("：", ": "), _w("，", ", ")
    lines: list[str] = []
    state: dict[str, Any] = {}
    for r in events.to_dict("records"):
        who = r.get("author") or ""
        note = r.get("note")
        note = None if note is None or note != note else note  # NaN: no note
        tail = f"  [{who}{colon}{note}]" if note else f"  [{who}]"
        if r["kind"] == "create":
            rec = r["value"] if isinstance(r["value"], dict) else {}
            state.update(rec)
            facts = [
                f"{_field_name(k)} {_value_text(k, rec[k])}"
                for k in ("name", "status", "rent_yuan_m2_month")
                if rec.get(k) is not None
            ]
            lines.append(
                f"{r['valid_at']}  {_w('登记', 'created')}{colon}{comma.join(facts)}{tail}"
            )
            continue
        field = r.get("field")
        if r["kind"] == "update" and isinstance(field, str):
            before = _value_text(field, state.get(field))
            after = _value_text(field, r["value"])
            state[field] = r["value"]
            change = f"{before} → {after}" if field != "geometry" else after
            lines.append(f"{r['valid_at']}  {_field_name(field)}{colon}{change}{tail}")
        else:
            kind = {"remove": ("移出库存", "removed")}.get(r["kind"], (r["kind"], r["kind"]))
            lines.append(f"{r['valid_at']}  {_w(*kind)}{tail}")
    return lines


@app.command()
def history(
    store: StoreArg,
    asset_id: Annotated[str, typer.Argument(metavar="ASSET_ID", help="The asset's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="The events as JSON records.")] = False,
) -> None:
    """Print an asset's history: one line per event with what changed."""
    inv = _open(store, readonly=True)
    events = _history(inv, asset_id)
    if as_json:
        from .result import _records

        ev = events.copy()
        ev["value"] = [
            v.wkt if hasattr(v, "wkt") else v for v in ev["value"]
        ]  # geometry changes as WKT
        _out(json.dumps(_records(ev), ensure_ascii=False, indent=2, default=str))
        return
    for line in history_lines(events):
        _out(line)


def _history(inv: Any, asset_id: str) -> Any:
    """The asset's events; an unknown asset is refused in the command's language (exit 3)."""
    from ._errors import UnknownAssetError

    try:
        return inv.history(asset_id)
    except UnknownAssetError:
        raise UnknownAssetError(
            _w(f"资产 {asset_id} 不在库中", f"asset {asset_id} is not in the inventory")
        ) from None


# ---------------------------------------------------------------------- report
@app.command()
def report(
    store: StoreArg,
    brief: Annotated[
        str,
        typer.Argument(
            metavar="BRIEF",
            help="The brief, as for match: a JSON file, - for stdin, or inline JSON.",
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="The PDF to write.")] = Path(
        "report.pdf"
    ),
    top: Annotated[int, typer.Option(min=1, help="Sites in the report.")] = 10,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Match date (YYYY-MM-DD); default today.")
    ] = None,
    zone: Annotated[
        str | None, typer.Option(help="The zone's name for the cover (default: its districts).")
    ] = None,
) -> None:
    """Match a brief and write the ranked-site PDF brief; prints the PDF's path."""
    import assetmatch as am

    req = _read_brief(brief)
    inv = _open(store)
    lang = _state().lang
    with _progress(_w("匹配中", "matching")):
        res = am.match(req, inventory=inv, top=top, as_of=as_of, lang=lang)
    with _progress(_w("生成 PDF 报告", "writing the PDF"), total=len(res.table)) as bar:
        written = res.to_pdf(output, lang=lang, inventory=inv, zone=zone, progress=bar)
    _out(str(written))


# ---------------------------------------------------------------------- init, update, list, export
@app.command()
def init(
    store: StoreArg,
    crs: Annotated[
        str | None,
        typer.Option(
            help="The store's projected CRS in metres, e.g. EPSG:4549 (CGCS2000 3° GK 120°E); "
            "default: chosen from the first data written.",
            callback=_crs_option,
        ),
    ] = None,
) -> None:
    """Create an empty inventory (a GeoPackage file, or the schema on a PostGIS server)."""
    from ._errors import StoreError

    is_pg = store.startswith(("postgresql://", "postgres://"))
    if not is_pg and Path(store).exists():
        raise StoreError(
            _w(f"{store} 已存在，不会覆盖", f"{store} exists; init leaves it as it is")
        )
    import assetmatch as am

    with am.Inventory.open(store, crs=crs, create=True) as inv:
        where = inv.path if not is_pg else store
        crs_text = (
            inv.crs.to_string()
            if inv.crs is not None
            else _w("首次写入时确定", "set by the first data")
        )
    _out(
        _w(
            f"已建立空资产库：{where}（坐标系：{crs_text}）",
            f"empty inventory created: {where} (CRS: {crs_text})",
        )
    )


def _set_field(name: str, value: Any) -> tuple[str, Any]:
    """A ``--set`` FIELD: a canonical name, or a header as staff write it (状态, 业主,
    租金（元/㎡·月）, 面积（亩）), its value converted from the unit the header states. A header
    for a measure without its unit (面积, 租金) is refused: 35 could be mu or m²."""
    from . import units
    from .ingest.headers import _FIELD_DIMENSION, match_header
    from .schema import ASSET_COLUMNS

    if name in ASSET_COLUMNS or name in ("geometry", "extra"):
        return name, value
    m = match_header(name)
    if m is None or m.field not in ASSET_COLUMNS:
        return name, value  # the library refuses it, listing the fields
    if m.field in _FIELD_DIMENSION and (m.unit is None or m.unit in units.TOTAL_RENT_UNITS):
        raise _bad(
            "--set",
            f"{name!r} 未注明单位（或为总租金）：请写明单位，"
            f"如 面积（亩）=35、租金（元/㎡·月）=12，或用字段名 {m.field}",
            f"{name!r} states no unit (or a total rent): write it, e.g. 面积（亩）=35, "
            f"租金（元/㎡·月）=12, or use the field name {m.field}",
        )
    if m.unit is not None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad("--set", f"{name!r} 的值应为数字", f"{name!r} takes a number")
        value = float(units.convert([float(value)], m.unit)[0])
    return m.field, value


def _parse_value(text: str) -> Any:
    """A value typed on the command line: JSON when it parses (numbers, lists, null), else text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


@app.command()
def update(
    store: StoreArg,
    asset_id: Annotated[str, typer.Argument(metavar="ASSET_ID", help="The asset's id.")],
    status: Annotated[
        str | None, typer.Option(help="New status (idle, available, negotiating, leased…).")
    ] = None,
    rent: Annotated[float | None, typer.Option(min=0, help="Asking rent, yuan/m²/month.")] = None,
    price: Annotated[float | None, typer.Option(min=0, help="Asking land price, yuan/mu.")] = None,
    ready_date: Annotated[
        str | None, typer.Option("--ready-date", help="When it can be handed over (YYYY-MM-DD).")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Any field: FIELD=VALUE (repeatable; VALUE as JSON when it parses, "
            "e.g. tenure='[\"lease\"]'); FIELD may be a header as in a sheet, with its "
            "unit: 面积（亩）=35.",
        ),
    ] = None,
    at: Annotated[
        str | None, typer.Option(help="When the change happened (YYYY-MM-DD); default today.")
    ] = None,
    note: Annotated[str | None, typer.Option(help="Why; recorded with the events.")] = None,
    author: Annotated[
        str | None, typer.Option(help="Who; recorded with the events (default: $USER).")
    ] = None,
) -> None:
    """Change fields of one asset; one event per changed field, printed as history lines."""
    import pandas as pd

    fields: dict[str, Any] = {}
    for name, value in (
        ("status", status),
        ("rent_yuan_m2_month", rent),
        ("land_price_yuan_mu", price),
        ("ready_date", ready_date),
    ):
        if value is not None:
            fields[name] = value
    for item in set_ or []:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            raise _bad("--set", f"{item!r} 应为 字段=值", f"{item!r} should be FIELD=VALUE")
        key, parsed = _set_field(name.strip(), _parse_value(value))
        fields[key] = parsed
    if not fields:
        raise _bad(
            "--status/--rent/--price/--ready-date/--set",
            "没有要修改的字段",
            "nothing to change: give at least one field",
        )
    inv = _open(store)
    before = len(_history(inv, asset_id))  # also: an unknown asset stops here (exit 3)
    row = {"asset_id": asset_id, "at": at, "author": author, "note": note, **fields}
    n = inv.update_many(pd.DataFrame([row]))
    if not n:
        _out(
            _w(f"{asset_id}：没有变化（与库中相同）", f"{asset_id}: nothing changed (same values)")
        )
        return
    for line in history_lines(inv.history(asset_id))[before:]:
        _out(line)


_KIND_NAMES = {
    "land": ("土地", "land"),
    "factory": ("厂房", "factory"),
    "campus": ("园区", "campus"),
}


def _list_table(a: Any) -> str:
    from .explain import column_header, label, status_name
    from .explain.reasons import _mu  # the same rounding as the shortlist and the report
    from .units import m2_to_mu

    lang = _state().lang
    cols = [
        "asset_id",
        "name",
        "kind",
        "district",
        "status",
        "land_area_mu",
        "building_area_m2",
        "rent_yuan_m2_month",
        "idle_days",
    ]
    header = [column_header(c, lang) for c in cols]
    header[2] = _w("类型", "Kind")
    header[8] = _w("闲置（天）", "Idle (days)")
    rows = []
    for aid, r in a.iterrows():
        kind = r.get("kind")
        land = _num(r.get("land_area_m2"))
        rows.append(
            [
                aid,
                r.get("name"),
                label(_KIND_NAMES[kind], lang) if kind in _KIND_NAMES else kind,
                r.get("district"),
                status_name(r.get("status"), lang),
                None if land is None else _mu(float(m2_to_mu(float(r["land_area_m2"])))),
                _num(r.get("building_area_m2")),
                _num(r.get("rent_yuan_m2_month"), 1),
                _num(r.get("idle_days")),
            ]
        )
    return _table(header, rows, right={5, 6, 7, 8})


@app.command("list")
def list_(
    store: StoreArg,
    status: Annotated[
        list[str] | None, typer.Option(help="Only these statuses (repeatable).")
    ] = None,
    district: Annotated[
        list[str] | None, typer.Option(help="Only these districts (repeatable).")
    ] = None,
    kind: Annotated[
        list[str] | None, typer.Option(help="Only these kinds: land, factory, campus.")
    ] = None,
    min_mu: Annotated[
        float | None, typer.Option("--min-mu", help="Land area at least, mu.")
    ] = None,
    max_mu: Annotated[float | None, typer.Option("--max-mu", help="Land area at most, mu.")] = None,
    min_building_m2: Annotated[
        float | None, typer.Option("--min-building-m2", help="Building area at least, m².")
    ] = None,
    max_rent: Annotated[
        float | None, typer.Option("--max-rent", help="Rent at most, yuan/m²/month.")
    ] = None,
    offerable: Annotated[
        bool, typer.Option("--offerable", help="Only sites that can be offered now.")
    ] = False,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The inventory as it stood that day.")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many rows.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON records (no geometry; see export).")
    ] = False,
) -> None:
    """List the inventory's sites, filtered; a table, or JSON records with --json."""
    from .schema import KINDS, OFFERABLE_STATUSES, STATUSES
    from .units import mu_to_m2

    for name, values, allowed in (("--status", status, STATUSES), ("--kind", kind, KINDS)):
        wrong = [v for v in values or [] if v not in allowed]
        if wrong:
            raise _bad(
                name,
                f"未知取值 {wrong}；可选 {list(allowed)}",
                f"unknown {wrong}; one of {list(allowed)}",
            )
    inv = _open(store, readonly=True)
    a = inv.assets(as_of=as_of)
    keep = a.index == a.index
    if status:
        keep &= a["status"].isin(status).to_numpy()
    if offerable:
        keep &= a["status"].isin(OFFERABLE_STATUSES).to_numpy()
    if district:
        keep &= a["district"].isin(district).to_numpy()
    if kind:
        keep &= a["kind"].isin(kind).to_numpy()
    for col, bound, ge in (
        ("land_area_m2", None if min_mu is None else float(mu_to_m2(min_mu)), True),
        ("land_area_m2", None if max_mu is None else float(mu_to_m2(max_mu)), False),
        ("building_area_m2", min_building_m2, True),
        ("rent_yuan_m2_month", max_rent, False),
    ):
        if bound is not None:
            v = a[col].astype(float)
            keep &= (v >= bound if ge else v <= bound).to_numpy()
    a = a[keep]
    if limit is not None:
        a = a.iloc[:limit]
    if as_json:
        from .result import _records

        frame = a.drop(columns=["geometry"]).reset_index()
        _out(json.dumps(_records(frame), ensure_ascii=False, indent=2, default=str))
        return
    _out(_list_table(a))
    _err(_w(f"{len(a)} 处", f"{len(a)} site(s)"))


@app.command()
def export(
    store: StoreArg,
    dest: Annotated[
        Path, typer.Argument(metavar="DEST", help="The GeoPackage to write (must not exist).")
    ],
) -> None:
    """Write the whole inventory to one GeoPackage file (QGIS and GDAL read it)."""
    inv = _open(store, readonly=True)
    with _progress(_w("导出中", "exporting")):
        path = inv.export(dest)
    _out(str(path))


# ---------------------------------------------------------------------- serve and keys
@app.command()
def serve(
    store: StoreArg,
    host: Annotated[str, typer.Option(help="Address to listen on (default loopback).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    keys: Annotated[
        str | None, typer.Option(help="Keys file; required for a non-loopback host.")
    ] = None,
    cors: Annotated[
        str | None, typer.Option(help="Comma-separated browser origins allowed.")
    ] = None,
    max_body_mb: Annotated[int, typer.Option(min=1, help="Largest request body, MiB.")] = 20,
) -> None:
    """Serve a store over HTTP (needs the 'service' extra)."""
    from .service import serve as run

    origins = [o.strip() for o in cors.split(",") if o.strip()] if cors else None
    run(
        store,
        host=host,
        port=port,
        keys=keys,
        cors_origins=origins,
        max_body_bytes=max_body_mb * 1024 * 1024,
    )


@keys_app.command("add")
def keys_add(
    keys_file: Annotated[
        Path, typer.Argument(metavar="KEYS_FILE", help="The keys file (created if missing).")
    ],
    scope: Annotated[Scope, typer.Option(help="read (match and read) or write.")] = Scope.read,
) -> None:
    """Make a new key, store its hash, print the key once."""
    from .service import add_key

    key = add_key(keys_file, scope=scope.value)
    _out(key)
    _err(
        _w(
            f"已向 {keys_file} 添加新的 {scope.value} 密钥；密钥只显示这一次",
            f"new {scope.value} key added to {keys_file}; it is shown only this once",
        )
    )


# ====================================================================== help in two languages

#: Chinese help: command name → text, and (command, parameter) → text.
_ZH_HELP: dict[str, str] = {
    "": "为投资方匹配闲置土地和厂房：资产库、推荐名单、报告。\n\n"
    + "\b\n退出码：\n"
    + "\n".join(f"  {code}  {zh}" for code, (zh, _) in EXIT_CODES.items())
    + "\n\nEnglish help: assetmatch --lang en --help",
    "match": "按需求为库内场地排名：输出表格，或用 --json 输出 JSON。",
    "demo": "在合成演示园区上匹配衡中教育的需求并打印推荐名单。",
    "import": "从文件导入资产并打印导入报告；有行被拒绝时退出码为 1 并列出行号。",
    "history": "打印一处资产的变更历史：每条记录一行，写明改了什么。",
    "report": "按需求匹配并生成推荐场地 PDF 报告；打印报告路径。",
    "init": "新建空资产库（GeoPackage 文件，或 PostGIS 服务器上的表结构）。",
    "update": "修改一处资产的字段；每个改动记一条记录，并按历史格式打印。",
    "list": "按条件列出库内场地：输出表格，或用 --json 输出 JSON 记录。",
    "export": "把整个资产库写成一个 GeoPackage 文件（QGIS、GDAL 可读）。",
    "serve": "以 HTTP 服务方式提供资产库（需安装 service 扩展）。",
    "keys": "管理服务的 API 密钥。",
    "keys add": "生成新密钥并保存其哈希，密钥只打印一次。",
}
_ZH_PARAMS: dict[tuple[str, str], str] = {
    ("", "lang"): "帮助和输出的语言（zh 或 en）；也可设 ASSETMATCH_LANG。",
    ("", "verbose"): "在标准错误输出进度日志（INFO）。",
    ("", "debug"): "出错时显示完整回溯；日志级别 DEBUG。",
    ("", "version"): "打印版本号后退出。",
    ("", "progress"): "在标准错误输出显示进度：默认仅在终端显示；--progress 在非终端时逐行输出。",
    ("*", "help"): "显示本帮助后退出。",
    ("*", "store"): "GeoPackage 文件路径或 postgresql:// 地址。",
    (
        "match",
        "brief",
    ): "需求：JSON 需求文件、- 表示标准输入、JSON 文本，或中文描述（版本支持时）。",
    ("*", "top"): "推荐名单的长度。",
    ("match", "as_of"): "匹配日期（YYYY-MM-DD），默认今天。",
    ("match", "as_json"): "以 JSON 输出 MatchResult.to_dict()，不输出其他内容。",
    ("match", "explain"): "用文字解释表中前 N 处场地。",
    ("demo", "store"): "把演示 GeoPackage 写到此处（默认临时文件）。",
    ("demo", "pdf"): "把 PDF 报告写到此处（默认 hengzhong.pdf，版本支持报告时）。",
    ("demo", "no_pdf"): "不生成 PDF 报告。",
    ("import", "file"): "要导入的 GeoPackage、Shapefile、GeoJSON、Excel 或 CSV 文件。",
    ("import", "coords"): "经纬度取自网络地图时：gcj02（高德、腾讯）或 bd09（百度）。",
    ("import", "crs"): "源数据坐标的坐标系，如 EPSG:4549。",
    ("import", "sheet"): "Excel 工作表名称或序号（从 0 起）。",
    ("import", "layer"): "多图层文件中的图层。",
    (
        "import",
        "columns",
    ): "指定源列对应的字段：源列=字段 或 源列=字段:单位（可重复、逗号分隔或 JSON 对象）。",
    ("import", "at"): "这些信息的生效日期（YYYY-MM-DD），默认今天。",
    ("import", "note"): "随变更记录保存的备注。",
    ("import", "on_error"): "skip：写入合格的行；raise：整份文件拒绝。",
    ("import", "land_use_scheme"): "文件未注明时，地类代码所用的分类标准。",
    ("import", "dayfirst"): "把 03/04/2025 读作 4 月 3 日（或 3 月 4 日）。",
    ("history", "asset_id"): "资产编号。",
    ("history", "as_json"): "以 JSON 记录输出。",
    ("report", "brief"): "需求，同 match：JSON 文件、- 表示标准输入，或 JSON 文本。",
    ("report", "output"): "要写入的 PDF 文件。",
    ("report", "top"): "报告中的场地数。",
    ("report", "as_of"): "匹配日期（YYYY-MM-DD），默认今天。",
    ("report", "zone"): "封面上的园区名称（默认用片区名）。",
    ("init", "crs"): "资产库的投影坐标系（米），如 EPSG:4549（CGCS2000 3° 带 120°E）；"
    "默认按首次写入的数据确定。",
    ("update", "asset_id"): "资产编号。",
    ("update", "status"): "新状态（idle、available、negotiating、leased 等）。",
    ("update", "rent"): "挂牌租金，元/㎡/月。",
    ("update", "price"): "土地挂牌价，元/亩。",
    ("update", "ready_date"): "可交付日期（YYYY-MM-DD）。",
    (
        "update",
        "set_",
    ): "任意字段：字段=值（可重复；值能按 JSON 解析时按 JSON，如 tenure='[\"lease\"]'）；"
    "字段也可写成台账表头，带单位：面积（亩）=35。",
    ("update", "at"): "变更发生日期（YYYY-MM-DD），默认今天。",
    ("update", "note"): "变更原因，随记录保存。",
    ("update", "author"): "变更人，随记录保存（默认 $USER）。",
    ("list", "status"): "只列这些状态（可重复）。",
    ("list", "district"): "只列这些片区（可重复）。",
    ("list", "kind"): "只列这些类型：land、factory、campus。",
    ("list", "min_mu"): "用地面积不少于（亩）。",
    ("list", "max_mu"): "用地面积不多于（亩）。",
    ("list", "min_building_m2"): "建筑面积不少于（㎡）。",
    ("list", "max_rent"): "租金不高于（元/㎡/月）。",
    ("list", "offerable"): "只列当前可招商的场地。",
    ("list", "as_of"): "按该日期当时的库存列出。",
    ("list", "limit"): "最多列出的行数。",
    ("list", "as_json"): "输出 JSON 记录（不含边界，见 export）。",
    ("export", "dest"): "要写入的 GeoPackage 文件（不得已存在）。",
    ("serve", "host"): "监听地址（默认仅本机）。",
    ("serve", "keys"): "密钥文件；监听非本机地址时必需。",
    ("serve", "cors"): "允许的浏览器来源，逗号分隔。",
    ("serve", "max_body_mb"): "请求体上限（MiB）。",
    ("keys add", "keys_file"): "密钥文件（不存在时创建）。",
    ("keys add", "scope"): "read（匹配和读取）或 write（写入）。",
}


def _localise(group: Any, lang: str, ctx: Any = None) -> None:
    """Put the Chinese help on the commands and options (the code holds the English).

    ``ctx`` (the root command's context) lets the ``-h/--help`` option, which click makes per
    command on first use, be made now and given its Chinese help too.
    """
    if lang != "zh":
        return

    def walk(cmd: Any, path: str) -> None:
        helper = cmd.get_help_option(ctx) if ctx is not None else None
        if helper is not None:
            helper.help = "显示本帮助并退出。"
        if path in _ZH_HELP:
            cmd.help = _ZH_HELP[path]
            cmd.short_help = _ZH_HELP[path].split("\n")[0]
        for p in cmd.params:
            text = _ZH_PARAMS.get((path, p.name or "")) or _ZH_PARAMS.get(("*", p.name or ""))
            if text is not None and hasattr(p, "help"):
                p.help = text
        for sub_name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{path} {sub_name}".strip())

    walk(group, "")


# ====================================================================== entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``assetmatch`` command; returns the exit code."""
    command = typer.main.get_command(app)
    try:
        command.main(args=list(argv) if argv is not None else None, prog_name="assetmatch")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
