"""Territory codes and organisation numbers, checked against official data.

Départements, régions, communes and EPCI come from the Etalab package
`@etalab/decoupage-administratif` (installed by npm with the front-end assets), the SIRENs of
départements and régions from a table of the SIRENE register below; SIREN numbers are checked
with python-stdnum. Together they say what an organisation is (`identify`) and where it acts
(`organisation`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.fr import siren as stdnum_siren

from .errors import InvalidInput


@dataclass(frozen=True)
class Departement:
    code: str
    nom: str
    region: str | None


class ReferenceDataMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class Identity:
    """What an organisation is, by its SIREN, according to official data."""

    #: Its usual nature: `commune`, `epci`, `departement` or `region`.
    nature: str
    #: Every nature it may be declared as (the Ville de Paris is a commune and a département).
    natures: frozenset[str]
    #: « la commune de Guéret (Creuse) », « le département de la Creuse »: for messages.
    designation: str

    @property
    def of(self) -> str:
        """The designation after « celui » : « de la commune de Guéret », « du département »."""
        for article, contracted in (("le ", "du "), ("les ", "des ")):
            if self.designation.startswith(article):
                return contracted + self.designation.removeprefix(article)
        return "de " + self.designation


@dataclass(frozen=True)
class OrganisationTerritory:
    """Where an organisation acts: its communes (INSEE codes; None for a département, which
    covers every commune of its own) and its départements."""

    name: str
    communes: frozenset[str] | None
    departements: frozenset[str]

    def covers_commune(self, code: str, departement: str | None) -> bool:
        if self.communes is not None:
            return code in self.communes
        return departement in self.departements


#: The SIREN of each conseil départemental (by département code) and of each conseil régional
#: (by région code), from the SIRENE register. The Etalab data lists communes and EPCI with
#: their SIREN, not départements and régions: this table fills the gap. It was cross-checked
#: against two independent public extracts of SIRENE (identical for every entry). INSEE's
#: numbering alone is not enough: 14 départements (the Creuse's is 222309627) do not follow
#: the « 22, code, 000 » pattern, the régions merged in 2016 have 200… numbers, and communes
#: created since 2024 have 93… numbers. Départements and régions whose council is a
#: collectivité à statut particulier are in _SPECIAL.
# fmt: off
_DEPARTEMENT_SIRENS = {
    "01": "220100010", "02": "220200026", "03": "220300016", "04": "220400014", "05": "220500011",
    "06": "220600019", "07": "220700017", "08": "220800049", "09": "220900013", "10": "221000052",
    "11": "221100019", "12": "221200017", "13": "221300015", "14": "221401185", "15": "221500010",
    "16": "221600018", "17": "221700016", "18": "221800014", "19": "221927205", "21": "222100018",
    "22": "222200016", "23": "222309627", "24": "222400012", "25": "222500019", "26": "222600017",
    "27": "222702292", "28": "222800013", "29": "222900011", "30": "223000019", "31": "223100017",
    "32": "223200015", "33": "223300013", "34": "223400011", "35": "223500018", "36": "223600016",
    "37": "223700014", "38": "223800012", "39": "223900010", "40": "224000018", "41": "224100016",
    "42": "224200014", "43": "224300012", "44": "224400028", "45": "224500017", "46": "224600015",
    "47": "224700013", "48": "224800011", "49": "224900019", "50": "225005024", "51": "225100015",
    "52": "225200013", "53": "225300011", "54": "225400019", "55": "225500016", "56": "225600014",
    "57": "225700012", "58": "225800010", "59": "225900018", "60": "226000016", "61": "226100014",
    "62": "226200012", "63": "226300010", "64": "226400018", "65": "226500015", "66": "226600013",
    "69": "226900017", "70": "227000015", "71": "227100013", "72": "227200029", "73": "227300019",
    "74": "227400017", "76": "227605409", "77": "227700010", "78": "227806460", "79": "227900016",
    "80": "228000014", "81": "228100012", "82": "228200010", "83": "228300018", "84": "228400016",
    "85": "228500013", "86": "228600011", "87": "228708517", "88": "228800017", "89": "228900015",
    "90": "229000013", "91": "229102280", "92": "229200506", "93": "229300082", "94": "229400288",
    "95": "229501275", "971": "229710017", "974": "229740014",
}
# fmt: on
# fmt: off
_REGION_SIRENS = {
    "01": "239710015", "04": "239740012", "11": "237500079", "24": "234500023", "27": "200053726",
    "28": "200053403", "32": "200053742", "44": "200052264", "52": "234400034", "53": "233500016",
    "75": "200053759", "76": "200053791", "84": "200053767", "93": "231300021",
}
# fmt: on
#: Collectivités exercising the powers of a département and/or a région: SIREN → (name,
#: natures they may be declared as, départements covered).
_SPECIAL: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "200094332": ("la Collectivité européenne d'Alsace", ("departement",), ("67", "68")),
    "200076958": ("la Collectivité de Corse", ("region", "departement"), ("2A", "2B")),
    "200055507": (
        "la Collectivité territoriale de Martinique",
        ("region", "departement"),
        ("972",),
    ),
    "200052678": ("la Collectivité territoriale de Guyane", ("region", "departement"), ("973",)),
    "229850003": ("le Département de Mayotte", ("departement", "region"), ("976",)),
}
#: What an EPCI's type (epci.json) is, in words.
_EPCI_TYPES = {
    "CC": "communauté de communes",
    "CA": "communauté d'agglomération",
    "CU": "communauté urbaine",
    "METRO": "métropole",
}
#: Communes and EPCI that also hold a département's powers.
_ALSO_DEPARTEMENT = {"217500016", "200046977"}  # Ville de Paris, Métropole de Lyon
_RNA = re.compile(r"^W\d[\dA-Z]\d{7}$")
#: A SIREN of the old numbering of conseils départementaux (22, code, 000, two digits): still
#: read as a département's territory (not as its nature: see _DEPARTEMENT_SIRENS).
_DEPARTEMENT_SIREN = re.compile(r"^22(\d{2})000\d{2}$")
#: INSEE's « type de nom en clair »: how a name follows « de ».
_LINKING = {
    0: "de ",
    1: "d'",
    2: "du ",
    3: "de la ",
    4: "des ",
    5: "de l'",
    6: "des ",
    7: "de las ",
    8: "de los ",
}


class Territories:
    """The official list of départements and régions."""

    def __init__(self, data_path: Path) -> None:
        self.data_path = data_path
        departements = self._load("departements.json")
        self.departements = {
            d["code"]: Departement(d["code"], d["nom"], d.get("region")) for d in departements
        }
        self.regions = {r["code"]: r["nom"] for r in self._load("regions.json")}
        self._commune_departements: dict[str, str | None] | None = None
        self._organisation_departements: dict[str, str] | None = None
        self._epci_sirens: frozenset[str] | None = None
        self._organisations: dict[str, OrganisationTerritory] | None = None
        self._identities: dict[str, Identity] | None = None
        self._linking: dict[str, int] | None = None

    def _load(self, name: str) -> list[dict]:
        path = self.data_path / name
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ReferenceDataMissing(
                f"Données territoriales officielles introuvables ({path}) : lancez `npm ci` "
                "à la racine du projet ou définissez ANCT_REFERENCE_DATA."
            ) from exc

    def departement(self, code: object) -> Departement:
        """The département of a code as typed by a person ("23", "2A", "971")."""
        normalised = str(code).strip().upper() if code is not None else ""
        if len(normalised) == 1 and normalised.isdigit():
            normalised = "0" + normalised
        found = self.departements.get(normalised)
        if found is None:
            raise InvalidInput(
                f"Code de département inconnu : « {code} » (attendu par exemple 23, 2A ou 971).",
                field="territoire",
            )
        return found

    def has_departement(self, code: str) -> bool:
        return code in self.departements

    def has_commune(self, code: str) -> bool:
        return code in self._communes()

    def has_epci(self, siren: str) -> bool:
        return siren in self._epci()

    def commune_departement(self, code: str) -> str | None:
        """The département of a commune (INSEE code), if the official data gives one."""
        return self._communes().get(code)

    def organisation_departement(self, siren: str) -> str | None:
        """The département of a commune or EPCI by its SIREN (an EPCI's: that of most of its
        member communes), or None for an organisation the official data does not list."""
        if self._organisation_departements is None:
            communes = self._load("communes.json")
            found = {c["siren"]: c["departement"] for c in communes if c.get("siren")}
            for group in self._load("epci.json"):
                members = [self._communes().get(m.get("code")) for m in group.get("membres", [])]
                members = [code for code in members if code]
                if members:
                    found[group["code"]] = max(set(members), key=members.count)
            self._organisation_departements = found
        known = self._organisation_departements.get(siren)
        if known is None:
            territory = self.organisation(siren)
            if territory is not None and len(territory.departements) == 1:
                (known,) = territory.departements
        return known

    def organisation(self, siren: str) -> OrganisationTerritory | None:
        """The territory of a commune, an EPCI, a département or a région by its SIREN (None
        for an organisation the official data does not describe)."""
        if self._organisations is None:
            found: dict[str, OrganisationTerritory] = {}
            for c in self._load("communes.json"):
                if c.get("siren") and c.get("departement"):
                    found[c["siren"]] = OrganisationTerritory(
                        c["nom"], frozenset({c["code"]}), frozenset({c["departement"]})
                    )
            for group in self._load("epci.json"):
                codes = frozenset(m["code"] for m in group.get("membres", []) if m.get("code"))
                departements = frozenset(
                    d for d in (self._communes().get(code) for code in codes) if d
                )
                if departements:
                    found[group["code"]] = OrganisationTerritory(group["nom"], codes, departements)
            for code, number in _DEPARTEMENT_SIRENS.items():
                found[number] = OrganisationTerritory(
                    f"Département {self.of(code)}", None, frozenset({code})
                )
            for code, number in _REGION_SIRENS.items():
                found[number] = OrganisationTerritory(
                    f"Région {self.regions.get(code, code)}", None,
                    frozenset(self.departements_of_region(code)),
                )  # fmt: skip
            for number, (name, _, covered) in _SPECIAL.items():
                found[number] = OrganisationTerritory(
                    _capitalised(name),
                    None, frozenset(covered),
                )  # fmt: skip
            self._organisations = found
        known = self._organisations.get(siren)
        if known is not None:
            return known
        match = _DEPARTEMENT_SIREN.match(siren or "")
        if match and match.group(1) in self.departements:
            code = match.group(1)
            return OrganisationTerritory(f"Département {self.of(code)}", None, frozenset({code}))
        return None

    def identify(self, siren: str | None) -> Identity | None:
        """What an organisation is by its SIREN, when official data says it: a commune
        (communes.json), an EPCI à fiscalité propre (epci.json), a département or a région
        (the SIRENE table above); None otherwise (a syndicat mixte, an association, a SIREN the
        data does not list), when only the applicant can say."""
        if self._identities is None:
            self._identities = self._load_identities()
        return self._identities.get(siren or "")

    def _load_identities(self) -> dict[str, Identity]:
        found: dict[str, Identity] = {}
        for c in self._load("communes.json"):
            if c.get("siren") and c.get("type") == "commune-actuelle":
                where = self.departements.get(c.get("departement") or "")
                name = f"la commune de {c['nom']}" + (f" ({where.nom})" if where else "")
                found[c["siren"]] = _identity("commune", name, c["siren"])
        for group in self._load("epci.json"):
            kind = _EPCI_TYPES.get(group.get("type", ""))
            name = f"l'EPCI {group['nom']}" + (f" ({kind})" if kind else "")
            found[group["code"]] = _identity("epci", name if kind else f"la {group['nom']}",
                                             group["code"])  # fmt: skip
        for code, number in _DEPARTEMENT_SIRENS.items():
            found[number] = _identity("departement", f"le département {self.of(code)}", number)
        for code, number in _REGION_SIRENS.items():
            found[number] = _identity("region", f"la région {self.regions.get(code, code)}", number)
        for number, (name, natures, _) in _SPECIAL.items():
            found[number] = Identity(natures[0], frozenset(natures), name)
        return found

    def of(self, code: str) -> str:
        """« de la Creuse », « des Ardennes », « du Nord »: the département after « de »."""
        if self._linking is None:
            self._linking = {
                d["code"]: d.get("typeLiaison", 0) for d in self._load("departements.json")
            }
        linking = _LINKING.get(self._linking.get(code, 0), "de ")
        return f"{linking}{self.departements[code].nom}" if code in self.departements else code

    def _communes(self) -> dict[str, str | None]:
        if self._commune_departements is None:
            self._commune_departements = {
                c["code"]: c.get("departement") for c in self._load("communes.json")
            }
        return self._commune_departements

    def _epci(self) -> frozenset[str]:
        if self._epci_sirens is None:
            self._epci_sirens = frozenset(e["code"] for e in self._load("epci.json"))
        return self._epci_sirens

    def region_scope(self, departement_code: str | None) -> str | None:
        """The scope a préfet de région holds (`region:84`) over this département, if known."""
        found = self.departements.get(departement_code or "")
        return region_scope(found.region) if found and found.region else None

    def label(self, code: str) -> str:
        """« Creuse (23) », or the code alone if it is unknown."""
        found = self.departements.get(code)
        return f"{found.nom} ({code})" if found else code

    def departements_of_region(self, region_code: str) -> list[str]:
        return [d.code for d in self.departements.values() if d.region == region_code]


@cache
def territories_at(path: Path) -> Territories:
    return Territories(path)


#: Scopes over a région are written `region:<code>`: région and département codes overlap.
REGION_PREFIX = "region:"


def region_scope(region_code: str) -> str:
    return f"{REGION_PREFIX}{region_code}"


def _identity(nature: str, designation: str, siren: str) -> Identity:
    natures = {nature, "departement"} if siren in _ALSO_DEPARTEMENT else {nature}
    if siren == "217500016":
        designation = "la Ville de Paris"
    return Identity(nature, frozenset(natures), designation)


def _capitalised(designation: str) -> str:
    """« Collectivité de Corse » from « la Collectivité de Corse »."""
    name = designation.split(" ", 1)[1]
    return name[:1].upper() + name[1:]


def is_rna(value: object) -> bool:
    """Whether a value is an association's number in the Répertoire national des associations,
    as on the préfecture's receipt: W, the three characters of the greffe (digits; a letter for
    Corsica and some overseas greffes), six digits. The RNA has no check digit, and
    python-stdnum does not know it."""
    return isinstance(value, str) and bool(_RNA.match(value))


def check_siren(value: object) -> str:
    """The compact SIREN of an organisation, or a French error saying what is wrong."""
    text = "" if value is None else str(value)
    try:
        return stdnum_siren.validate(text)
    except InvalidChecksum:
        problem = "la clé de contrôle est fausse"
    except InvalidLength:
        problem = "un SIREN compte 9 chiffres"
    except InvalidFormat:
        problem = "un SIREN ne contient que des chiffres"
    raise InvalidInput(f"Numéro SIREN invalide « {text} » : {problem}.", field="siren")
