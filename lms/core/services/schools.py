"""The register of regions, districts and schools, read from the list a regional education
department keeps (CSV). A participant list names each participant's school by its code or
name, and reports group by district and region, so the register comes first.

All or nothing: any bad row refuses the file with every problem by line. A school is known by
its code; importing the same file again changes nothing, and a corrected file updates the
schools it names (it never deletes one: participants may point at it)."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.core.models import District, Region, School
from lms.core.services import audit, tabular
from lms.core.services.errors import FileRefused
from lms.db import db

#: canonical column -> header spellings accepted (Kazakh, Russian, English)
COLUMNS = {
    "region_code": ("region code", "облыс коды", "код области", "код региона"),
    "region": ("region", "облыс", "область", "регион"),
    "district": ("district", "аудан", "район"),
    "code": ("school code", "мектеп коды", "код школы", "бсн", "бин", "bin"),
    "name_kk": ("name", "school", "мектеп", "мектеп атауы", "атауы", "название на казахском"),
    "name_ru": ("name ru", "name (ru)", "название", "название школы", "атауы орысша"),
    "school_type": ("type", "мектеп түрі", "түрі", "тип", "тип школы"),
    "instruction_language": ("language", "оқыту тілі", "язык обучения"),
    "internet_mbps": ("internet", "internet mbps", "интернет", "интернет мбит/с", "скорость интернета"),
}
REQUIRED = ("region_code", "district", "code", "name_kk")
COLUMN_NAMES = {"region_code": _l("region code"), "district": _l("District"), "code": _l("school code"),
                "name_kk": _l("name in Kazakh")}
#: the words people write for a school's type and language, in the three languages
TYPE_WORDS = {"hub": "hub", "тірек": "hub", "опорная": "hub", "тірек мектеп": "hub", "опорная школа": "hub",
              "magnet": "magnet", "магнит": "magnet", "магнитная": "magnet", "магнит мектеп": "magnet",
              "small ungraded": "small_ungraded", "small_ungraded": "small_ungraded", "шжм": "small_ungraded",
              "шағын жинақты": "small_ungraded", "мкш": "small_ungraded", "малокомплектная": "small_ungraded",
              "other": "other", "басқа": "other", "другая": "other", "": "small_ungraded"}
LANGUAGE_WORDS = {"kk": "kk", "қазақ": "kk", "қазақша": "kk", "казахский": "kk", "ru": "ru", "орыс": "ru",
                  "орысша": "ru", "русский": "ru", "mixed": "mixed", "аралас": "mixed", "смешанный": "mixed",
                  "": "kk"}
FIELDS = ("name_kk", "name_ru", "school_type", "instruction_language", "internet_mbps")


@dataclass
class SchoolImport:
    filename: str
    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    regions_created: int = 0
    districts_created: int = 0


def _row(raw: dict[str, str], line: int, seen: dict[str, int], regions: dict[str, Region],
         named: set[str]) -> tuple[dict, list[str]]:
    """One row's values and problems; `named` collects the new regions the file has named so
    far (a new region's name is needed once, on its first row)."""
    problems = []
    values = {k: (raw.get(k) or "").strip() for k in COLUMNS}
    for column in REQUIRED:
        if not values[column]:
            problems.append(_l("the %(column)s is empty", column=COLUMN_NAMES[column]))
    code = values["code"].upper()
    if code in seen:
        problems.append(_l("school code %(code)s is also on line %(line)s", code=code, line=seen[code]))
    elif code:
        seen[code] = line
    if len(code) > 32 or len(values["name_kk"]) > 300 or len(values["name_ru"]) > 300:
        problems.append(_l("a code is at most 32 characters, a name at most 300"))
    region_code = values["region_code"].upper()
    if region_code and region_code not in regions and region_code not in named:
        if values["region"]:
            named.add(region_code)
        else:
            problems.append(_l("region %(code)s is new: give its name in the region column", code=region_code))
    kind = TYPE_WORDS.get(values["school_type"].lower())
    if kind is None:
        problems.append(_l("unknown school type «%(value)s» (hub, magnet, small ungraded, other)",
                           value=values["school_type"]))
    language = LANGUAGE_WORDS.get(values["instruction_language"].lower())
    if language is None:
        problems.append(_l("unknown language of instruction «%(value)s» (kk, ru, mixed)",
                           value=values["instruction_language"]))
    mbps = None
    if values["internet_mbps"]:
        try:
            mbps = float(values["internet_mbps"].replace(",", "."))
            if not 0 <= mbps <= 10_000:
                raise ValueError
        except ValueError:
            problems.append(_l("internet speed «%(value)s» is not a number of Mbit/s", value=values["internet_mbps"]))
    return ({"region_code": region_code, "region": values["region"], "district": values["district"], "code": code,
             "name_kk": values["name_kk"], "name_ru": values["name_ru"] or None, "school_type": kind,
             "instruction_language": language, "internet_mbps": mbps}, problems)


def import_schools(data: bytes, filename: str, actor) -> SchoolImport:
    table = tabular.read_table(data, COLUMNS, REQUIRED, filename, _l("schools"), label=COLUMN_NAMES.get)
    regions = {r.code: r for r in db.session.scalars(select(Region))}
    rows, errors, seen, named = [], [], {}, set()
    for line, raw in table.rows:
        row, problems = _row(raw, line, seen, regions, named)
        errors.extend((line, p) for p in problems)
        rows.append(row)
    if errors:
        raise FileRefused(filename, errors)

    report = SchoolImport(filename, rows=len(rows))
    districts = {(d.region_id, d.name_kk.casefold()): d for d in db.session.scalars(select(District))}
    schools = {s.code: s for s in db.session.scalars(select(School).where(School.code.in_([r["code"] for r in rows])))}
    for row in rows:
        region = regions.get(row["region_code"])
        if region is None:
            region = regions[row["region_code"]] = Region(code=row["region_code"], name_kk=row["region"])
            db.session.add(region)
            db.session.flush()
            report.regions_created += 1
        district = districts.get((region.id, row["district"].casefold()))
        if district is None:
            district = districts[(region.id, row["district"].casefold())] = District(region=region,
                                                                                    name_kk=row["district"])
            db.session.add(district)
            report.districts_created += 1
        school = schools.get(row["code"])
        values = {k: row[k] for k in FIELDS}
        if school is None:
            db.session.add(School(code=row["code"], district=district, **values))
            report.created.append(row["code"])
        elif school.district is not district or any(getattr(school, k) != v for k, v in values.items()):
            school.district = district
            for k, v in values.items():
                setattr(school, k, v)
            report.updated.append(row["code"])
        else:
            report.unchanged += 1
    db.session.flush()
    audit.record(actor, "schools_imported", ("School", None),
                 f"{filename}: {len(report.created)} created, {len(report.updated)} updated, {report.unchanged} unchanged",
                 created=report.created, updated=report.updated)
    return report
