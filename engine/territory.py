"""Territory codes and organisation numbers, checked against official data.

Départements and régions come from the Etalab package `@etalab/decoupage-administratif`
(installed by npm with the front-end assets); SIREN numbers are checked with python-stdnum.
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


#: A conseil départemental's SIREN: 22, the département's code, 000, then two digits. The
#: official data lists communes and EPCI, not départements.
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
_DEPARTEMENT_SIREN = re.compile(r"^22(\d{2})000\d{2}$")


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
        return self._organisation_departements.get(siren)

    def organisation(self, siren: str) -> OrganisationTerritory | None:
        """The territory of a commune, an EPCI or a département by its SIREN (None for an
        organisation the official data does not describe)."""
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
            self._organisations = found
        known = self._organisations.get(siren)
        if known is not None:
            return known
        match = _DEPARTEMENT_SIREN.match(siren or "")
        if match and match.group(1) in self.departements:
            code = match.group(1)
            return OrganisationTerritory(f"Département {self.of(code)}", None, frozenset({code}))
        return None

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
