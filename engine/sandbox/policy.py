"""Compile-time policy: which Python constructs a process script may use.

RestrictedPython already refuses names and attributes starting with an underscore, and rewrites
attribute, item and iteration access into calls to our guards. On top of that we refuse imports
(which RestrictedPython lets through to `__import__`), what a process script never needs and what
would weaken the runtime limits (try/except could swallow the time limit), and we route the
operators that can allocate without bound through `guards.binop`.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from types import CodeType

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations

from ..errors import SandboxViolation, ScriptError

SCRIPT_FILENAME = "<script de processus>"

#: Names refused at compile time with a clear message (they are absent at run time anyway).
FORBIDDEN_NAMES = frozenset(
    {
        "open", "exec", "eval", "compile", "globals", "locals", "vars", "dir",
        "getattr", "setattr", "delattr", "hasattr", "super", "breakpoint",
        "memoryview", "bytearray", "classmethod", "staticmethod", "print", "printed",
        "__import__", "__builtins__",
    }
)  # fmt: skip

_GUARDED_OPERATORS = {ast.Pow: "**", ast.Mult: "*", ast.LShift: "<<", ast.Mod: "%", ast.Add: "+"}

_ENGLISH_TO_FRENCH = [
    (re.compile(r'"(.+)" is an invalid (variable|attribute) name because it starts with "_"'),
     "« {0} » est interdit : les noms commençant par « _ » sont réservés"),
    (re.compile(r'"(.+)" is a restricted name'), "« {0} » est un nom réservé"),
    (re.compile(r'"(.+)" is a reserved name'), "« {0} » est un nom réservé"),
    (re.compile(r"(Import|ImportFrom) statements are not allowed"), "les imports sont interdits"),
    (re.compile(r"Exec calls are not allowed"), "exec est interdit"),
    (re.compile(r"Eval calls are not allowed"), "eval est interdit"),
    (re.compile(r"(\w+) statements are not allowed"), "la construction « {0} » est interdite"),
    (re.compile(r"Augmented assignment of (attributes|object items and slices) is not allowed"),
     "l'affectation augmentée d'un attribut ou d'un élément est interdite"),
]  # fmt: skip


def _in_french(message: str) -> str:
    line, _, detail = message.partition(": ")
    line_number = line.removeprefix("Line ").strip()
    for pattern, template in _ENGLISH_TO_FRENCH:
        found = pattern.search(detail)
        if found:
            detail = template.format(*found.groups())
            break
    return f"ligne {line_number} : {detail}" if line_number.isdigit() else detail


class ProcessScriptPolicy(RestrictingNodeTransformer):
    def _refuse(self, node: ast.AST, what: str) -> None:
        self.errors.append(f"Line {getattr(node, 'lineno', '?')}: {what}")

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in FORBIDDEN_NAMES:
            self._refuse(node, f"« {node.id} » est interdit dans les scripts de processus")
            return node
        return super().visit_Name(node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        symbol = _GUARDED_OPERATORS.get(type(node.op))
        if symbol is None:
            return node
        call = ast.Call(
            func=ast.Name("_binop_", ast.Load()),
            args=[ast.Constant(symbol), node.left, node.right],
            keywords=[],
        )
        copy_locations(call, node)
        return call

    def visit_While(self, node: ast.While) -> ast.AST:
        node = self.node_contents_visit(node)
        tick = ast.Expr(ast.Call(func=ast.Name("_tick_", ast.Load()), args=[], keywords=[]))
        copy_locations(tick, node)
        ast.fix_missing_locations(tick)
        node.body.insert(0, tick)
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        node = self.node_contents_visit(node)
        call = ast.Call(func=ast.Name("_checked_", ast.Load()), args=[node], keywords=[])
        copy_locations(call, node)
        return call

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        spec = node.format_spec
        if spec is not None:
            parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
            for part in parts:
                if not isinstance(part, ast.Constant) or re.search(r"\d{5,}", str(part.value)):
                    self._refuse(
                        node, "ce format de chaîne est interdit (largeur calculée ou trop grande)"
                    )
        return self.node_contents_visit(node)

    def _not_in_process_scripts(self, node: ast.AST) -> ast.AST:
        label = {
            "ClassDef": "les classes",
            "Try": "try/except",
            "TryStar": "try/except",
            "With": "with",
            "Yield": "yield",
            "YieldFrom": "yield",
            "Global": "global",
            "Nonlocal": "nonlocal",
            "Import": "les imports",
            "ImportFrom": "les imports",
        }.get(type(node).__name__, type(node).__name__)
        self._refuse(node, f"{label} : construction interdite dans les scripts de processus")
        return node

    visit_ClassDef = _not_in_process_scripts
    visit_Try = _not_in_process_scripts
    visit_TryStar = _not_in_process_scripts
    visit_With = _not_in_process_scripts
    visit_Yield = _not_in_process_scripts
    visit_YieldFrom = _not_in_process_scripts
    visit_Global = _not_in_process_scripts
    visit_Nonlocal = _not_in_process_scripts
    # RestrictedPython lets imports through to `__import__`, which our builtins lack: refuse
    # them when the definition is deployed rather than when the script runs.
    visit_Import = _not_in_process_scripts
    visit_ImportFrom = _not_in_process_scripts


@lru_cache(maxsize=4096)
def compile_script(source: str, mode: str) -> CodeType:
    """Compile a script ("exec") or an expression ("eval"); refused code raises SandboxViolation.

    Cached: the same condition is evaluated for every instance of a process.
    """
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        result = compiler(source, filename=SCRIPT_FILENAME, policy=ProcessScriptPolicy)
    except SyntaxError as exc:  # raised for some constructs RestrictedPython cannot parse
        raise ScriptError(f"Erreur de syntaxe ligne {exc.lineno} : {exc.msg}") from None
    except (RecursionError, MemoryError):  # the parser's stack overflows on deep nesting
        raise ScriptError("Script refusé : expression trop imbriquée pour être analysée.") from None
    if result.errors:
        syntax = [e for e in result.errors if "SyntaxError" in e]
        if syntax:
            raise ScriptError(f"Erreur de syntaxe : {syntax[0]}")
        details = "; ".join(dict.fromkeys(_in_french(e) for e in result.errors))
        raise SandboxViolation(f"Script refusé par le bac à sable : {details}")
    return result.code
