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
from lms.core.services.errors import FileRefused, ServiceError
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
    if len(code) > 32:
        problems.append(_l("a code is at most 32 characters, a name at most 300"))
    region_code = values["region_code"].upper()
    if region_code and region_code not in regions and region_code not in named:
        if values["region"]:
            named.add(region_code)
        else:
            problems.append(_l("region %(code)s is new: give its name in the region column", code=region_code))
    described, field_problems = describe(values)
    problems.extend(message for _field, message in field_problems)
    return ({"region_code": region_code, "region": values["region"], "district": values["district"], "code": code,
             **described}, problems)


def describe(values: dict[str, str]) -> tuple[dict, list[tuple[str, object]]]:
    """A school's own fields (FIELDS) from what a person wrote, in any of the three languages,
    and the (field, problem) of each that is wrong: the register's rows and the school's page
    check them alike."""
    problems = []
    name_kk, name_ru = (values.get("name_kk") or "").strip(), (values.get("name_ru") or "").strip()
    if len(name_kk) > 300 or len(name_ru) > 300:
        problems.append(("name_kk" if len(name_kk) > 300 else "name_ru",
                         _l("a code is at most 32 characters, a name at most 300")))
    raw_type = (values.get("school_type") or "").strip()
    kind = TYPE_WORDS.get(raw_type.lower())
    if kind is None:
        problems.append(("school_type", _l("unknown school type «%(value)s» (hub, magnet, small ungraded, other)",
                                           value=raw_type)))
    raw_language = (values.get("instruction_language") or "").strip()
    language = LANGUAGE_WORDS.get(raw_language.lower())
    if language is None:
        problems.append(("instruction_language", _l("unknown language of instruction «%(value)s» (kk, ru, mixed)",
                                                    value=raw_language)))
    raw_mbps, mbps = str(values.get("internet_mbps") or "").strip(), None
    if raw_mbps:
        try:
            mbps = float(raw_mbps.replace(",", "."))
            if not 0 <= mbps <= 10_000:
                raise ValueError
        except ValueError:
            problems.append(("internet_mbps", _l("internet speed «%(value)s» is not a number of Mbit/s",
                                                 value=raw_mbps)))
    return ({"name_kk": name_kk, "name_ru": name_ru or None, "school_type": kind, "instruction_language": language,
             "internet_mbps": mbps}, problems)


def update_school(school: School, values: dict[str, str], district: District | None, actor) -> list[str]:
    """One school corrected by hand (the register's file corrects many); returns the fields
    that changed, audited. A school keeps its code: files and participant lists know it by it."""
    described, problems = describe(values)
    if not described["name_kk"]:
        problems.insert(0, ("name_kk", _l("the %(column)s is empty", column=COLUMN_NAMES["name_kk"])))
    if district is None:
        problems.append(("district", _l("choose the school's district")))
    if problems:
        raise ServiceError.listing(problems)
    changed = [k for k, v in described.items() if getattr(school, k) != v]
    before = {k: getattr(school, k) for k in changed}
    for k in changed:
        setattr(school, k, described[k])
    if school.district_id != district.id:
        before["district"] = school.district.name_kk
        school.district = district
        changed.append("district")
    if changed:
        db.session.flush()
        audit.record(actor, "school_updated", school, f"{school.code}: {', '.join(changed)}",
                     before={k: str(v) if v is not None else None for k, v in before.items()})
    return changed


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
