"""The name of a task that acts for someone: « Signer la convention — pour la commune de Guéret ».

When a procedure opens several tasks of one kind for several signatories (the collectivité, the
Agency, each partner), their inboxes, notifications and task pages must say for whom each one
is. The BPMN task says it in general (« Signer la convention — pour la collectivité ») and its
property `pour`, an expression over the dossier data, names the signatory when the data knows
it (`nom_demandeur`, `partenaire["organisme"]`).
"""

from __future__ import annotations

#: What introduces the signatory in a task name.
FOR = " — pour "
#: Leading common nouns of organisation names, with their article once lowercased:
#: « Commune de Guéret » → « la commune de Guéret ».
ARTICLES = {
    "commune": "la", "communauté": "la", "ville": "la", "métropole": "la", "région": "la",
    "département": "le", "syndicat": "le", "conseil": "le", "pôle": "le", "pays": "le",
    "banque": "la", "caisse": "la", "association": "l'", "agence": "l'", "office": "l'",
    "établissement": "l'", "etablissement": "l'",
}  # fmt: skip


def with_article(name: str) -> str:
    """« Commune de Guéret » → « la commune de Guéret »; a name without a known leading
    noun (« CA Ardenne Métropole », « Cerema ») is kept as it is."""
    name = " ".join(name.split())
    first, _, rest = name.partition(" ")
    article = ARTICLES.get(first.lower())
    if article is None or not first[:1].isupper() or first[1:2].isupper():
        return name
    word = first[:1].lower() + first[1:]
    text = f"{word} {rest}".strip()
    return f"{article}{text}" if article.endswith("'") else f"{article} {text}"


def task_name(name: str, whom: object) -> str:
    """The task's name for this signatory: the BPMN name with its « — pour … » replaced by
    the signatory's name (the BPMN name when the data names nobody)."""
    if not isinstance(whom, str) or not whom.strip():
        return name
    base = name.split(FOR, 1)[0].rstrip()
    return f"{base}{FOR}{with_article(whom)}"[:300]


def kind_name(first: str, last: str) -> str:
    """The name of a kind of task in the inbox filters, given two of its tasks' names: the
    common part when they are for different signatories (« Signer la convention »)."""
    if first == last:
        return first
    base = first.split(FOR, 1)[0].rstrip()
    return base if last.split(FOR, 1)[0].rstrip() == base else first
