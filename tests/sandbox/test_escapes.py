"""Known ways out of a Python sandbox, each of which our sandbox must refuse with a French error.

Every case runs untrusted code the way a process script or a gateway condition runs: it must raise
`ScriptError` (usually its subclass `SandboxViolation`), never return, never reach a module, a
frame, a code object, a type's subclasses or the wall clock, and runaway code must be stopped
within a couple of seconds.
"""

from __future__ import annotations

import re
import time
from datetime import date

import pytest

from engine.clock import ManualClock
from engine.errors import SandboxViolation, ScriptError
from engine.sandbox import Sandbox

pytestmark = pytest.mark.timeout(20)

TIME_LIMIT = 0.5
#: Runaway code must be stopped well before this (the limit is TIME_LIMIT).
STOPPED_WITHIN = 5.0

_FRENCH = re.compile(
    r"interdit|refusé|réservé|trop|erreur|interrompu|invalide|durée|récursion|volumineuse|"
    r"imbriqué|utilisez",
    re.IGNORECASE,
)


def sandbox() -> Sandbox:
    return Sandbox(clock=ManualClock("2026-03-02T09:00:00+01:00"), time_limit=TIME_LIMIT)


def run(mode: str, source: str, data: dict | None = None):
    data = {} if data is None else data
    if mode == "eval":
        return sandbox().evaluate(source, data)
    return sandbox().execute(source, data)


def assert_french(message: str) -> None:
    assert message.strip(), "empty message"
    assert _FRENCH.search(message), f"message not in French: {message!r}"


S = "exec"
E = "eval"

# (id, mode, source, fragment the French message must contain)
ESCAPES = [
    # --- Walking the type hierarchy --------------------------------------------------------
    ("tuple-class-base-subclasses", E, "().__class__.__base__.__subclasses__()", "« _ »"),
    ("list-class", E, "[].__class__", "__class__"),
    ("dict-class", E, "{}.__class__", "__class__"),
    ("str-class-mro-subclasses", E, "''.__class__.__mro__[1].__subclasses__()", "__class__"),
    ("str-mro-method", E, "str.mro()", "mro"),
    ("int-mro-via-instance", E, "(1).mro()", "mro"),
    ("dunder-dict", E, "{}.__dict__", "__dict__"),
    ("date-dunder-dict", E, "aujourdhui().__dict__", "__dict__"),
    ("getattribute-dunder", E, "''.__getattribute__('__class__')", "__getattribute__"),
    ("type-of-value", E, "type(1)", "type"),
    ("type-subclasses", E, "type.__subclasses__(type)", "__subclasses__"),
    ("type-three-arguments", E, "type('X', (), {})", "type"),
    ("object-subclasses", E, "object.__subclasses__()", "__subclasses__"),
    ("builtin-class-attribute", E, "str.upper('a')", "type"),
    ("dict-keys-mapping", E, "{'a': 1}.keys().mapping", "dict_keys"),
    # --- getattr and its stand-ins ----------------------------------------------------------
    ("getattr", E, "getattr((), '__class__')", "getattr"),
    ("getattr-concatenated-name", E, "getattr([], '__cl' + 'ass__')", "getattr"),
    ("map-getattr", E, "list(map(getattr, [()], ['__class__']))", "getattr"),
    ("hasattr", E, "hasattr((), '__class__')", "hasattr"),
    ("setattr", S, "setattr(maintenant, 'x', 1)", "setattr"),
    ("operator-attrgetter", S, "f = operator.attrgetter('__class__')\nr = f(1)", "operator"),
    ("format-builtin", E, "format(1, '')", "format"),
    # --- imports and builtins ---------------------------------------------------------------
    ("dunder-import", E, "__import__('os')", "__import__"),
    ("import-os", S, "import os", "les imports"),
    ("import-as", S, "import subprocess as sp", "les imports"),
    ("import-in-function", S, "def f():\n    import os", "les imports"),
    ("from-os-import-system", S, "from os import system", "les imports"),
    ("builtins-name", E, "__builtins__['open']", "__builtins__"),
    ("builtins-dict", E, "__builtins__.__dict__", "__builtins__"),
    ("globals", E, "globals()", "globals"),
    ("locals", E, "locals()", "locals"),
    ("vars", E, "vars()", "vars"),
    ("vars-of-helper", E, "vars(maintenant)", "vars"),
    ("dir", E, "dir()", "dir"),
    ("sys-modules", E, "sys.modules['os']", "sys"),
    ("help", E, "help()", "help"),
    ("breakpoint", E, "breakpoint()", "breakpoint"),
    ("input", E, "input()", "input"),
    ("print", S, "print('x')", "print"),
    ("object", E, "object()", "object"),
    # --- files and dynamic code -------------------------------------------------------------
    ("open-file", E, "open('/etc/passwd').read()", "open"),
    ("file-builtin", E, "file('/etc/passwd')", "file"),
    ("exec", S, "exec('import os')", "exec"),
    ("eval", E, "eval('1 + 1')", "eval"),
    ("compile", E, "compile('1', 'x', 'eval')", "compile"),
    ("memoryview", E, "memoryview(b'x')", "memoryview"),
    ("bytearray", E, "bytearray(10)", "bytearray"),
    ("bytes-encode", E, "'x'.encode()", "encode"),
    ("int-to-bytes", E, "(1).to_bytes(4, 'big')", "to_bytes"),
    # --- format strings ---------------------------------------------------------------------
    ("str-format-traversal", E, "'{0.__class__}'.format(())", "format"),
    ("str-format-unbound", E, "str.format('{0.__class__}', ())", "format"),
    ("str-format-map", E, "'{x.__class__}'.format_map({'x': ()})", "format_map"),
    ("fstring-dunder", E, "f'{x.__class__}'", "__class__"),
    ("fstring-computed-width", E, "f'{1:{10 ** 9}}'", "format"),
    ("fstring-huge-width", E, "f'{1:999999999}'", "format"),
    ("percent-huge-width", E, "'%999999999d' % 1", "largeur"),
    ("percent-huge-precision", E, "'%.999999999f' % 1.0", "largeur"),
    ("percent-star-width", E, "'%*d' % (10 ** 9, 1)", "largeur"),
    ("percent-star-precision", E, "'%.*f' % (10 ** 9, 1.0)", "largeur"),
    # These three were let through by the former regular expression check.
    ("percent-width-after-mapping-key", E, "'%(a)999999999s' % {'a': 1}", "largeur"),
    ("percent-width-after-nested-key", E, "'%(a(b))999999999s' % {'a(b)': 1}", "largeur"),
    ("percent-many-fields", E, "('%9999d' * 150000) % tuple(range(150000))", "largeur"),
    (
        "percent-repeated-big-argument",
        S,
        "s = 'a' * 10 ** 6\nr = ('%s' * 1000) % ((s,) * 1000)",
        "trop long",
    ),
    ("percent-big-list-argument", S, "s = 'a' * 10 ** 6\nr = '%s' % ([s] * 1000,)", "trop long"),
    # --- functions, generators, frames ------------------------------------------------------
    ("lambda-globals", E, "(lambda: 0).__globals__", "__globals__"),
    ("lambda-code", E, "(lambda: 0).__code__.co_consts", "__code__"),
    ("function-closure", S, "def f():\n    return 1\nc = f.__closure__", "__closure__"),
    (
        "function-defaults-write",
        S,
        "def f(x=1):\n    return x\nf.__defaults__ = (2,)",
        "__defaults__",
    ),
    ("function-attribute-write", S, "def f():\n    return 1\nf.x = 1", "function"),
    ("function-plain-attribute", E, "(lambda: 0).func_globals", "function"),
    ("generator-frame", E, "(x for x in []).gi_frame.f_back", "gi_frame"),
    ("generator-code", E, "(x for x in []).gi_code", "gi_code"),
    ("generator-send", E, "(x for x in []).send(None)", "generator"),
    ("yield", S, "def f():\n    yield 1", "yield"),
    ("try-except", S, "try:\n    1 / 0\nexcept Exception as e:\n    r = 1", "try"),
    (
        "try-except-traceback",
        S,
        "try:\n    1 / 0\nexcept Exception as e:\n    f = e.__traceback__.tb_frame.f_back",
        "try",
    ),
    ("try-finally", S, "try:\n    r = 1\nfinally:\n    r = 2", "try"),
    ("exception-traceback", E, "ValueError('x').__traceback__", "__traceback__"),
    ("exception-with-traceback", E, "ValueError('x').with_traceback(None)", "ValueError"),
    ("exception-args", E, "ValueError('x').args", "ValueError"),
    ("with-statement", S, "with x:\n    r = 1", "with"),
    ("global-statement", S, "def f():\n    global r\n    r = 1", "global"),
    ("nonlocal-statement", S, "def f():\n    x = 1\n    def g():\n        nonlocal x", "nonlocal"),
    ("async-def", S, "async def f():\n    return 1", "AsyncFunctionDef"),
    # --- classes, decorators, metaclasses ---------------------------------------------------
    ("class-definition", S, "class A:\n    pass", "classes"),
    ("metaclass", S, "class A(metaclass=type):\n    pass", "classes"),
    ("super", S, "def f():\n    return super()", "super"),
    ("decorator-classmethod", S, "@classmethod\ndef f(cls):\n    return cls", "classmethod"),
    ("decorator-staticmethod", S, "@staticmethod\ndef f():\n    return 1", "staticmethod"),
    ("name-mangling", S, "class A:\n    __x = 1\nr = A._A__x", "classes"),
    ("mangled-name", S, "_A__x = 1", "_A__x"),
    ("match-class-pattern", S, "match 'x':\n    case str(__class__=c):\n        r = c", "Match"),
    ("walrus-underscore", E, "(_x := 1)", "_x"),
    # --- the helpers and the builtins we hand out -------------------------------------------
    ("helper-globals", E, "maintenant.__globals__", "__globals__"),
    ("helper-closure", E, "maintenant.__closure__[0].cell_contents", "__closure__"),
    ("helper-module", E, "duree.__module__", "__module__"),
    ("helper-self", E, "maintenant.__self__", "__self__"),
    ("helper-plain-attribute", E, "ajouter_duree.x", "function"),
    ("range-wrapper-attribute", E, "range.x", "function"),
    ("builtin-self", E, "isinstance.__self__", "__self__"),
    ("builtin-plain-attribute", E, "len.x", "builtin_function_or_method"),
    ("timezone-object", E, "maintenant().tzinfo.utcoffset(None)", "timezone"),
    ("data-underscore-key", E, "_secret", "_secret"),
    # --- the wall clock ---------------------------------------------------------------------
    ("datetime-now", E, "datetime.now()", "maintenant()"),
    ("datetime-utcnow", E, "datetime.utcnow()", "maintenant()"),
    ("date-today", E, "date.today()", "aujourdhui()"),
    ("datetime-today-via-instance", E, "maintenant().today()", "today"),
    ("datetime-fromtimestamp", E, "datetime.fromtimestamp(0)", "fromtimestamp"),
    ("datetime-utcfromtimestamp", E, "datetime.utcfromtimestamp(0)", "utcfromtimestamp"),
    ("date-fromtimestamp", E, "date.fromtimestamp(0)", "fromtimestamp"),
    ("datetime-timestamp", E, "maintenant().timestamp()", "timestamp"),
    # --- identifiers that NFKC-normalise to refused names ------------------------------------
    ("fullwidth-eval", E, "\uff45\uff56\uff41\uff4c('1')", "eval"),
    ("fullwidth-open", E, "\uff4f\uff50\uff45\uff4e('/etc/passwd')", "open"),
    ("fullwidth-getattr", E, "\uff47\uff45\uff54\uff41\uff54\uff54\uff52((), 'x')", "getattr"),
    (
        "mathematical-bold-dunder",
        E,
        "().__\U0001d41c\U0001d425\U0001d41a\U0001d42c\U0001d42c__",
        "_",
    ),
    ("fullwidth-low-line", E, "().\uff3f\uff3fclass\uff3f\uff3f", "syntaxe"),
]

RUNAWAYS = [
    ("while-true-one-line", S, "while True: pass", "durée maximale"),
    ("while-true", S, "while True:\n    x = 1", "durée maximale"),
    ("while-true-empty-tuple", S, "while 1:\n    ()", "durée maximale"),
    (
        "nested-for-loops",
        S,
        "for i in range(10 ** 6):\n    for j in range(10 ** 6):\n        x = j",
        "durée",
    ),
    ("power-tower", E, "9 ** 9 ** 9", "puissance trop grande"),
    ("power-augmented", S, "x = 9\nx **= 10 ** 8", "puissance trop grande"),
    ("big-product", E, "(1 << 90000) * (1 << 90000)", "nombre trop grand"),
    ("shift", E, "1 << 10 ** 10", "décalage trop grand"),
    ("str-repeat", E, "'a' * 10 ** 10", "répétition trop grande"),
    ("str-repeat-reversed", E, "10 ** 10 * 'a'", "répétition trop grande"),
    ("list-repeat", E, "[0] * 10 ** 10", "répétition trop grande"),
    ("tuple-repeat-augmented", S, "t = (0,)\nt *= 10 ** 10", "répétition trop grande"),
    ("str-doubling-loop", S, "s = 'a'\nwhile True:\n    s = s + s", "trop grande"),
    ("str-doubling-augmented", S, "s = 'a'\nwhile True:\n    s += s", "trop grande"),
    ("list-doubling-extend", S, "l = [0]\nwhile True:\n    l.extend(l)", "trop grande"),
    ("range-list", E, "list(range(10 ** 12))", "range trop grand"),
    ("ljust", E, "'a'.ljust(10 ** 10)", "largeur trop grande"),
    ("zfill", E, "'1'.zfill(10 ** 10)", "largeur trop grande"),
    ("center", E, "'a'.center(10 ** 10)", "largeur trop grande"),
    ("join", S, "s = 'a' * 10 ** 6\nr = ''.join([s] * 10)", "texte trop grand"),
    ("replace", E, "('a' * 10 ** 6).replace('a', 'aa')", "texte trop grand"),
    ("expandtabs", E, "('\\t' * 10 ** 5).expandtabs(10 ** 6)", "texte trop grand"),
    ("fstring-result", S, "s = 'a' * 10 ** 6\nr = f'{s}{s}'", "résultat trop grand"),
    ("deep-recursion", S, "def f(n):\n    return f(n + 1)\nf(0)", "récursion"),
    (
        "exponential-recursion",
        S,
        "def f(n):\n    return f(n - 1) + f(n - 1) if n else 1\nr = f(60)",
        "durée maximale",
    ),
    ("comprehension-bomb", E, "[[0] * 10 ** 5 for _ in range(10 ** 5)]", "interrompu"),
    ("generator-bomb", E, "sum(1 for i in range(10 ** 6) for j in range(10 ** 6))", "durée"),
    # A result holding the same value many times: small in memory, huge once stored.
    ("stored-shared-lists", S, "a = [1]\nfor i in range(40):\n    a = [a, a]", "volumineuse"),
    ("stored-shared-text", S, "s = 'a' * 10 ** 6\na = [s] * 10 ** 6", "volumineuse"),
    ("stored-too-deep", S, "a = []\nfor i in range(100):\n    a = [a]", "imbriquée"),
    # The parser itself overflows on these; it must not escape as RecursionError/MemoryError.
    ("source-nested-unary", E, "-" * 100_000 + "1", "imbriquée"),
    ("source-attribute-chain", E, "x" + ".a" * 100_000, "imbriquée"),
    ("source-nested-lambdas", E, "lambda: " * 5_000 + "1", "imbriquée"),
]


@pytest.mark.parametrize(
    ("mode", "source", "fragment"), [c[1:] for c in ESCAPES], ids=[c[0] for c in ESCAPES]
)
def test_escape_is_refused(mode, source, fragment):
    data = {"x": (), "_secret": "clé"}
    before = dict(data)
    with pytest.raises(ScriptError) as caught:
        run(mode, source, data)
    message = caught.value.message
    assert_french(message)
    assert fragment in message
    assert data == before


@pytest.mark.parametrize(
    ("mode", "source", "fragment"), [c[1:] for c in RUNAWAYS], ids=[c[0] for c in RUNAWAYS]
)
def test_runaway_is_stopped(mode, source, fragment):
    started = time.monotonic()
    with pytest.raises(ScriptError) as caught:
        run(mode, source)
    elapsed = time.monotonic() - started
    assert elapsed < STOPPED_WITHIN, f"stopped after {elapsed:.1f} s"
    assert_french(caught.value.message)
    assert fragment in caught.value.message


def test_the_corpus_is_large_enough():
    ids = [c[0] for c in ESCAPES + RUNAWAYS]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 40


def test_violations_are_sandbox_violations():
    """Refusals by the policy and the guards carry the dedicated code, not a mere script error."""
    for source in ("().__class__", "import os", "datetime.now()", "'a' * 10 ** 10"):
        with pytest.raises(SandboxViolation) as caught:
            run(E if "import" not in source else S, source)
        assert caught.value.code == "script_interdit"


def test_a_refused_script_does_not_poison_the_next_one():
    box = sandbox()
    with pytest.raises(ScriptError):
        box.execute("while True:\n    pass", {})
    assert box.execute("r = 1 + 1", {}) == {"r": 2}
    with pytest.raises(ScriptError):
        box.execute("x = [0] * 10 ** 10", {})
    assert box.evaluate("len('abc')", {}) == 3


# --- What sandboxed code may still do -----------------------------------------------------------


def test_arithmetic():
    result = sandbox().execute(
        "a = 7 + 3 * 2\nb = a / 4\nc = a // 4\nd = a % 4\ne = 2 ** 10\nf = -a\ng = abs(f)\n"
        "h = round(2.567, 2)\ni = divmod(17, 5)\nj = Decimal('0.1') + Decimal('0.2')\nk = 10 ** 30",
        {},
    )
    assert result == {
        "a": 13, "b": 3.25, "c": 3, "d": 1, "e": 1024, "f": -13, "g": 13, "h": 2.57,
        "i": (3, 2), "j": __import__("decimal").Decimal("0.3"), "k": 10**30,
    }  # fmt: skip


def test_dict_and_list_manipulation():
    result = sandbox().execute(
        "pieces = list(pieces)\npieces.append('rib')\npieces.extend(['kbis'])\npieces.sort()\n"
        "montants['total'] = sum(montants.values())\nmontants.update({'tva': 20})\n"
        "del montants['a']\nmontants.pop('b')\nfirst, *rest = pieces\n"
        "paires = dict(zip(['x', 'y'], [1, 2]))\nn = len(pieces)\ninverse = pieces[::-1]\n"
        "uniques = sorted(set([3, 1, 3, 2]))",
        {"pieces": ["devis"], "montants": {"a": 10, "b": 5}},
    )
    assert result["pieces"] == ["devis", "kbis", "rib"]
    assert result["montants"] == {"total": 15, "tva": 20}
    assert result["first"] == "devis" and result["rest"] == ["kbis", "rib"]
    assert result["paires"] == {"x": 1, "y": 2}
    assert result["n"] == 3 and result["inverse"] == ["rib", "kbis", "devis"]
    assert result["uniques"] == [1, 2, 3]


def test_string_methods():
    result = sandbox().execute(
        "a = nom.upper()\nb = '  Creuse '.strip()\nc = 'a,b,c'.split(',')\nd = '-'.join(c)\n"
        "e = 'Guéret'.lower().startswith('gué')\nf = 'x'.ljust(3, '.')\ng = '7'.zfill(3)\n"
        "h = 'le dossier'.replace('le', 'ce')\ni = nom.title() + ' ' + str(42)\n"
        "j = 'Dossier %s : %d pièces (%.1f %%)' % (nom, 3, 12.5)\nk = f'{nom!r} {2 + 2:>3}'\n"
        "l = '%(commune)s' % {'commune': 'Aubusson'}\nm = 'abc'[1:]\nn = 'b' in 'abc'",
        {"nom": "anct"},
    )
    assert result["a"] == "ANCT"
    assert result["b"] == "Creuse"
    assert result["c"] == ["a", "b", "c"] and result["d"] == "a-b-c"
    assert result["e"] is True
    assert result["f"] == "x.." and result["g"] == "007"
    assert result["h"] == "ce dossier"
    assert result["i"] == "Anct 42"
    assert result["j"] == "Dossier anct : 3 pièces (12.5 %)"
    assert result["k"] == "'anct'   4"
    assert result["l"] == "Aubusson"
    assert result["m"] == "bc" and result["n"] is True


def test_date_helpers_in_scripts():
    result = sandbox().execute(
        "debut = aujourdhui()\necheance = ajouter_duree(debut, 'P15D')\n"
        "delai = jours_entre(debut, echeance)\nfin = maintenant() + duree('PT12H')\n"
        "recu = en_date('2026-02-20')\nretard = (debut - recu).days\n"
        "annee = debut.year\niso = echeance.isoformat()",
        {},
    )
    assert result["debut"] == date(2026, 3, 2)
    assert result["echeance"] == date(2026, 3, 17)
    assert result["delai"] == 15
    assert result["fin"].isoformat() == "2026-03-02T20:00:00+00:00"
    assert result["retard"] == 10
    assert result["annee"] == 2026 and result["iso"] == "2026-03-17"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("montant > 1000 and commune == 'Guéret'", True),
        ("montant >= 5000 or not eligible", False),
        ("1 < montant < 2000", True),
        ("'urgent' if montant > 1000 else 'normal'", "urgent"),
        ("commune in ['Guéret', 'Aubusson']", True),
        ("pieces is not None and len(pieces) == 2", True),
        ("aujourdhui() > en_date('2026-01-01')", True),
        ("[p.upper() for p in pieces if p != 'rib']", ["DEVIS"]),
        ("{k: v * 2 for k, v in {'a': 1}.items()}", {"a": 2}),
        ("sum(x * x for x in range(10))", 285),
        ("max(pieces, key=len)", "devis"),
        ("isinstance(montant, int)", True),
        ("sorted(pieces, reverse=True)", ["rib", "devis"]),
        ("any(p.startswith('r') for p in pieces)", True),
    ],
)
def test_conditions_and_expressions(expression, expected):
    data = {"montant": 1500, "commune": "Guéret", "eligible": True, "pieces": ["devis", "rib"]}
    assert sandbox().evaluate(expression, data) == expected


def test_small_comprehensions_and_functions():
    result = sandbox().execute(
        "carres = [i * i for i in range(100)]\npairs = sorted({i for i in range(10) if i % 2 == 0})\n"
        "def taux(montant, part=0.2):\n    return round(montant * part, 2)\n"
        "aides = [taux(m) for m in [100, 250]]\nf = lambda x: x + 1\nonze = f(10)",
        {},
    )
    assert result["carres"][-1] == 9801 and result["pairs"] == [0, 2, 4, 6, 8]
    assert result["aides"] == [20.0, 50.0] and result["onze"] == 11
    assert "taux" not in result and "f" not in result  # functions are not stored


def test_while_loop_with_a_counter_of_1000_turns():
    result = sandbox().execute("n = 0\ntotal = 0\nwhile n < 1000:\n    n += 1\n    total += n", {})
    assert result == {"n": 1000, "total": 500500}


def test_underscore_data_is_hidden_from_the_script_and_kept():
    result = sandbox().execute("r = 1", {"_interne": {"etat": "x"}, "a": 1})
    assert result == {"_interne": {"etat": "x"}, "a": 1, "r": 1}


@pytest.mark.parametrize(
    "script",
    [
        "pieces.append('rib')\nmontants['b'] = 2\nn = 5\n1 / 0",
        "pieces.clear()\nmontants.clear()\nwhile True:\n    pass",
        "pieces.append('rib')\nx = [0] * 10 ** 10",
        "montants['nouveau'] = montants\nraise ValueError('échec')",
    ],
    ids=["error", "timeout", "violation", "raise"],
)
def test_a_failed_script_leaves_the_data_untouched(script):
    data = {"pieces": ["devis"], "montants": {"a": 1}, "n": 1, "_etat": [1]}
    with pytest.raises(ScriptError):
        sandbox().execute(script, data)
    assert data == {"pieces": ["devis"], "montants": {"a": 1}, "n": 1, "_etat": [1]}


def test_a_script_and_an_expression_work_on_a_copy():
    data = {"pieces": ["devis"]}
    result = sandbox().execute("pieces.append('rib')", data)
    assert result["pieces"] == ["devis", "rib"]
    assert data == {"pieces": ["devis"]}
    assert sandbox().evaluate("pieces.append('rib') or len(pieces)", data) == 2
    assert data == {"pieces": ["devis"]}


def test_errors_of_legitimate_code_are_french_script_errors():
    with pytest.raises(ScriptError, match=r"Erreur dans le script \(ligne 2\) : ZeroDivisionError"):
        sandbox().execute("a = 1\nb = a / 0", {})
    with pytest.raises(ScriptError, match="Erreur dans l'expression"):
        sandbox().evaluate("montant + 'x'", {"montant": 1})
    with pytest.raises(ScriptError, match="Erreur de syntaxe"):
        sandbox().execute("if :", {})


# --- Known limits of an in-process sandbox ------------------------------------------------------
# Each of these is a single call into C that allocates or loops far beyond the limits before any
# check can run (the trace function and the guards only act between Python-level steps). They
# would hang or exhaust the memory of the test process, so they are not run; the cure is to run
# scripts in a separate process with hard limits (RLIMIT_AS/RLIMIT_CPU, killed on timeout).

KNOWN_UNBOUNDED = [
    ("str-of-shared-list", "s = 'a' * 10 ** 6\nr = str([s] * 10 ** 5)"),
    ("exception-message-of-shared-list", "s = 'a' * 10 ** 6\nraise ValueError([s] * 10 ** 5)"),
    ("translate", "s = 'a' * 10 ** 6\nr = s.translate({97: s})"),
    ("sum-of-lists", "r = sum([[0]] * 10 ** 6, [])"),
    ("int-of-huge-decimal", "r = int(Decimal('1e999999999'))"),
    ("in-list-of-big-texts", "s = 'a' * 10 ** 6\nt = s[:-1] + 'b'\nr = t in [s] * 10 ** 6"),
    ("sorted-big-texts", "s = 'a' * 10 ** 6\nt = 'a' * 10 ** 6\nr = sorted([s, t] * 500000)"),
    (
        "compare-shared-tuples",
        "a = (1,)\nb = (1,)\nfor i in range(60):\n    a = (a, a)\n    b = (b, b)\nr = a == b",
    ),
    ("hash-shared-tuples", "a = (1,)\nfor i in range(60):\n    a = (a, a)\nr = {a: 1}"),
    ("map-of-c-method", "s = 'a ' * 500000\nr = list(map(s.split, [' '] * 10 ** 5))"),
]


@pytest.mark.xfail(
    run=False, strict=True, reason="not bounded by an in-process sandbox (C-level work)"
)
@pytest.mark.parametrize(
    "source", [c[1] for c in KNOWN_UNBOUNDED], ids=[c[0] for c in KNOWN_UNBOUNDED]
)
def test_known_unbounded_operation(source):  # pragma: no cover
    started = time.monotonic()
    with pytest.raises(ScriptError):
        run(S, source)
    assert time.monotonic() - started < STOPPED_WITHIN
