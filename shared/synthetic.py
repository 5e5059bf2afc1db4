"""A deterministic synthetic ward: realistic Vietnamese households for demos,
tests and benchmarks. Same seed, same ward. Nothing here is real data.

Family names follow published shares (Nguyễn ~38%); rosters, housing, services
and incomes are drawn so that every class appears under both the national and
the Quảng Ninh standards (incomes cluster around both income lines).
"""
from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from .forms import CURRENT_FORM_VERSION

FAMILY_NAMES = (  # (name, approximate share)
    ("Nguyễn", 38.4), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.0), ("Hoàng", 3.5), ("Huỳnh", 1.6),
    ("Phan", 4.5), ("Vũ", 2.5), ("Võ", 1.4), ("Đặng", 2.1), ("Bùi", 2.0), ("Đỗ", 1.4), ("Hồ", 1.3),
    ("Ngô", 1.3), ("Dương", 1.0), ("Lý", 0.5), ("Đinh", 0.8), ("Trịnh", 0.7), ("Mai", 0.6),
    ("Đào", 0.6), ("Lương", 0.5), ("Tạ", 0.3), ("Cao", 0.4), ("Lâm", 0.3),
)
MIDDLE_MALE = ("Văn", "Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Thành", "Xuân", "Ngọc")
MIDDLE_FEMALE = ("Thị", "Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Hồng", "Minh", "Thùy", "Kim")
GIVEN_MALE = ("An", "Bình", "Cường", "Dũng", "Đạt", "Hùng", "Hưng", "Hải", "Hiếu", "Huy", "Khánh", "Long",
              "Minh", "Nam", "Phong", "Quân", "Sơn", "Thắng", "Tuấn", "Việt", "Vinh", "Toàn", "Trung",
              "Kiên", "Lâm", "Thành", "Phúc", "Tùng", "Đức", "Quang")
GIVEN_FEMALE = ("Anh", "Chi", "Dung", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga", "Ngọc",
                "Nhung", "Phương", "Thảo", "Thu", "Thư", "Trang", "Vân", "Yến", "Huyền", "Loan", "Oanh",
                "Quỳnh", "Tâm", "Thủy", "Hằng", "Liên", "My", "Giang")
STREETS = ("Hạ Long", "Vườn Đào", "Anh Đào", "Hậu Cần", "Cái Dăm", "Giếng Đáy", "Ao Cá", "Phan Chu Trinh",
           "Trần Quốc Nghiễn", "Hoàng Quốc Việt")
CCCD_OTHER_PROVINCES = ("001", "031", "034", "036", "038", "024", "030", "033", "040", "079")
INDICATOR_KEYS = ("employment", "dependants", "nutrition", "health_insurance", "adult_education",
                  "school_attendance", "housing_quality", "floor_area", "water", "latrine", "telecom",
                  "information_devices")
DEFAULT_GROUPS = ("KP01", "KP02", "KP03", "KP04", "KP05", "KP06")


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _family(rng: random.Random) -> str:
    names, weights = zip(*FAMILY_NAMES)
    return rng.choices(names, weights)[0]


def person_name(rng: random.Random, sex: str, family: str | None = None) -> str:
    family = family or _family(rng)
    if sex == "male":
        return f"{family} {rng.choice(MIDDLE_MALE)} {rng.choice(GIVEN_MALE)}"
    return f"{family} {rng.choice(MIDDLE_FEMALE)} {rng.choice(GIVEN_FEMALE)}"


def citizen_id(rng: random.Random, sex: str, year: int, province: str = "022") -> str:
    century = (year // 100) - 19            # 1900s -> 0, 2000s -> 1
    digit = century * 2 + (0 if sex == "male" else 1)
    return f"{province}{digit}{year % 100:02d}{rng.randrange(10**6):06d}"


def _member(rng: random.Random, idx: int, relation: str, sex: str, age: int, ref: dt.date,
            family: str | None) -> dict[str, Any]:
    year = ref.year - age
    m: dict[str, Any] = {"member_id": f"m{idx}", "full_name": person_name(rng, sex, family),
                         "relation": relation, "sex": sex}
    if rng.random() < 0.7:
        born = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
        if born > ref:
            born = ref - dt.timedelta(days=1)
        if (ref.month, ref.day) < (born.month, born.day):   # keep the intended completed age
            born = dt.date(year - 1, born.month, min(born.day, 28))
        m["birth_date"] = born.isoformat()
    else:
        m["birth_year"] = year
    if age >= 14 and rng.random() < 0.85:
        by = int(m["birth_date"][:4]) if "birth_date" in m else year
        m["citizen_id"] = citizen_id(rng, sex, by, "022" if rng.random() < 0.8 else rng.choice(CCCD_OTHER_PROVINCES))
    m["health_insurance"] = True
    if 3 <= age <= 30:
        m["in_school"] = age < 18 or rng.random() < 0.3
    if age >= 10:
        if age < 16:
            m["qualification"] = "primary"
        elif age < 18:
            m["qualification"] = "lower_secondary"
        else:
            m["qualification"] = rng.choice(("upper_secondary", "upper_secondary", "vocational", "college",
                                             "university", "lower_secondary" if age > 30 else "upper_secondary"))
    if age >= 15:
        if m.get("in_school"):
            m["work_status"] = "student"
        elif age >= 62:
            m["work_status"] = "not_working"
        else:
            m["work_status"] = rng.choice(("wage_contract", "wage_contract", "self_employed", "self_employed",
                                           "not_working"))
    if age < 16:
        m["nutrition"] = "normal"
    m["disability"] = rng.random() < 0.03
    m["social_allowance"] = age >= 80 or (m["disability"] and rng.random() < 0.7)
    m["ethnic_minority"] = rng.random() < 0.04
    m["person_of_merit"] = age >= 65 and rng.random() < 0.08
    return m


def _roster(rng: random.Random, ref: dt.date) -> list[dict[str, Any]]:
    head_sex = "male" if rng.random() < 0.72 else "female"
    head_age = rng.randint(24, 82)
    family = _family(rng)
    members = [_member(rng, 1, "head", head_sex, head_age, ref, family)]
    idx = 2
    if head_age < 75 and rng.random() < 0.8:
        sex = "female" if head_sex == "male" else "male"
        members.append(_member(rng, idx, "spouse", sex, max(18, head_age + rng.randint(-6, 4)), ref,
                               None))
        idx += 1
    if head_age < 65:
        for _ in range(rng.choices((0, 1, 2, 3, 4), (15, 25, 35, 18, 7))[0]):
            age = max(0, min(head_age - 18, rng.randint(0, 30)))
            members.append(_member(rng, idx, "child", rng.choice(("male", "female")), age, ref, family))
            idx += 1
    if head_age < 55 and rng.random() < 0.18:
        members.append(_member(rng, idx, "parent", rng.choice(("male", "female")), rng.randint(head_age + 20, 95),
                               ref, family))
        idx += 1
    return members


def _deprive(rng: random.Random, key: str, h: dict[str, Any], ref: dt.date) -> None:
    """Change the answers so that the household is deprived on indicator ``key``."""
    ms = h["members"]
    adults = [m for m in ms if m.get("work_status") is not None]
    if key == "employment" and adults:
        rng.choice(adults)["work_status"] = rng.choice(("unemployed", "wage_no_contract"))
    elif key == "dependants":
        for i in range(len(ms) + 1):
            ms.append(_member(rng, len(ms) + 1, "child", rng.choice(("male", "female")), rng.randint(0, 12), ref,
                              ms[0]["full_name"].split()[0]))
    elif key == "nutrition":
        kids = [m for m in ms if "nutrition" in m]
        if not kids:
            kid = _member(rng, len(ms) + 1, "grandchild", rng.choice(("male", "female")), rng.randint(1, 6), ref, None)
            ms.append(kid)
            kids = [kid]
        rng.choice(kids)["nutrition"] = rng.choice(("stunted", "underweight"))
    elif key == "health_insurance":
        # Only members aged 6 or more count for this indicator.
        older = [m for m in ms if ref.year - _year(m) >= 7]
        rng.choice(older or ms)["health_insurance"] = False
    elif key == "adult_education":
        young = [m for m in ms if m.get("in_school") is not None and 16 <= ref.year - _year(m) <= 30]
        if not young:
            young = [_member(rng, len(ms) + 1, "child", "male", rng.randint(19, 29), ref, ms[0]["full_name"].split()[0])]
            ms.append(young[0])
        m = rng.choice(young)
        m["in_school"] = False
        m["qualification"] = "primary"
        if m.get("work_status") == "student":
            m["work_status"] = "self_employed"
    elif key == "school_attendance":
        kids = [m for m in ms if m.get("in_school") is not None and 4 <= ref.year - _year(m) <= 14]
        if not kids:
            kids = [_member(rng, len(ms) + 1, "child", "female", rng.randint(6, 13), ref, ms[0]["full_name"].split()[0])]
            ms.append(kids[0])
        rng.choice(kids)["in_school"] = False
    elif key == "housing_quality":
        h["housing"]["walls"] = h["housing"]["roof"] = "non_durable"
    elif key == "floor_area":
        h["housing"]["floor_area_m2"] = round(rng.uniform(3.0, 7.5) * len(ms), 1)
    elif key == "water":
        h["water_source"] = rng.choice(("unprotected_well", "surface", "unprotected_spring"))
    elif key == "latrine":
        h["latrine"] = rng.choice(("open_pit", "none"))
    elif key == "telecom":
        h["telecom_use"] = False
    elif key == "information_devices":
        h["info_devices"] = ["none"] if h.get("form_version", "") >= "2026.1" else []


def _year(m: dict[str, Any]) -> int:
    return int(m["birth_date"][:4]) if "birth_date" in m else int(m["birth_year"])


def _income(rng: random.Random, per_person_month: float, members: list[dict[str, Any]],
            livelihood: str) -> dict[str, int]:
    total = round(per_person_month * len(members) * 12, -3)
    elderly = any(_year(m) <= 1960 for m in members)
    parts = {"wages": 0, "farming_net": 0, "business": 0}
    weights = {"wages": 5, "business": 3, "farming_net": 3 if livelihood != "other" else 0.3,
               "pensions": 2 if elderly else 0, "remittances": 1, "other": 0.5,
               "social_assistance": 1 if per_person_month < 2_000_000 else 0.1}
    keys = [k for k, w in weights.items() if w > 0]
    chosen = rng.sample(keys, k=min(len(keys), rng.randint(1, 3)))
    shares = [rng.random() * weights[k] for k in chosen]
    s = sum(shares) or 1.0
    for k, share in zip(chosen, shares):
        parts[k] = parts.get(k, 0) + int(round(total * share / s, -3))
    return parts


def generate_household(rng: random.Random, *, province_code: str = "22", ward_code: str = "BAICHAY",
                       group_code: str = "KP01", area_type: str = "urban",
                       collected_from: dt.date = dt.date(2025, 9, 1),
                       collected_to: dt.date = dt.date(2025, 12, 14)) -> dict[str, Any]:
    span = (collected_to - collected_from).days
    ref = collected_from + dt.timedelta(days=rng.randrange(span + 1))
    members = _roster(rng, ref)
    livelihood = rng.choices(("other", "agriculture", "fishery", "forestry"),
                             (80, 8, 10, 2) if area_type == "urban" else (35, 45, 15, 5))[0]
    h: dict[str, Any] = {
        "household_id": _uuid(rng),
        "form_version": CURRENT_FORM_VERSION,
        "collected_at": f"{ref.isoformat()}T{rng.randint(7, 18):02d}:{rng.randint(0, 59):02d}:00+07:00",
        "area": {"province_code": province_code, "ward_code": ward_code, "group_code": group_code,
                 "area_type": area_type},
        "address": {"house_number": _house_number(rng), "street": rng.choice(STREETS)},
        "livelihood": livelihood,
        "members": members,
        "housing": {"walls": "durable", "columns": "durable", "roof": "durable",
                    "floor_area_m2": round(rng.uniform(9, 30) * len(members), 1)},
        "water_source": rng.choice(("piped", "piped", "piped", "drilled_well", "bottled")),
        "latrine": rng.choice(("septic", "septic", "semi_septic", "pour_flush")),
        "telecom_use": True,
        "info_devices": sorted(rng.sample(("tv", "smartphone", "radio", "computer", "tablet"), rng.randint(1, 3))),
    }
    if rng.random() < 0.8:
        h["phone"] = "0" + rng.choice(("9", "8", "3", "7")) + "".join(str(rng.randrange(10)) for _ in range(8))
    low_line = 1_500_000 if area_type == "rural" else 2_000_000
    high_line = 2_100_000 if area_type == "rural" else 2_600_000
    band = 2_250_000 if area_type == "rural" else 3_000_000
    band_pick = rng.random()
    if band_pick < 0.10:
        per = rng.uniform(0.45, 1.0) * low_line
    elif band_pick < 0.17:
        per = rng.uniform(low_line, high_line)
    elif band_pick < 0.30:
        per = rng.uniform(max(high_line, low_line) * 1.0, band * 1.05)
    else:
        per = band * rng.lognormvariate(0.45, 0.45)
    poorish = per <= high_line
    k = rng.choices(range(7), (30, 20, 15, 15, 10, 6, 4))[0] if poorish else rng.choices(range(4), (60, 25, 10, 5))[0]
    for key in rng.sample(INDICATOR_KEYS, k):
        _deprive(rng, key, h, ref)
    h["income"] = _income(rng, per, h["members"], livelihood)
    if h["form_version"] >= "2026.1":
        _questions_2027(h, poorish)
    if rng.random() < 0.25:
        h["notes"] = rng.choice(("Hộ có người ốm dài ngày", "Nhà thuê", "Chủ hộ đi làm xa",
                                 "Đề nghị xem xét hỗ trợ nhà ở", "Hộ mới tách"))
    return h


def _questions_2027(h: dict[str, Any], poorish: bool) -> None:
    """The answers form 2026.1 adds for the 2027–2030 standard, drawn from their own generator (seeded by
    the household id) so that every other answer stays what earlier versions of this module drew."""
    rng = random.Random(h["household_id"])
    p = 0.25 if poorish else 0.05
    h["internet_access"] = rng.random() >= p
    h["digital_services"] = h["internet_access"] and rng.random() >= p
    h["waste_treatment"] = "unhygienic" if rng.random() < p / 2 else rng.choice(("collected", "collected",
                                                                                    "self_hygienic"))


def _house_number(rng: random.Random) -> str:
    n = str(rng.randint(1, 320))
    r = rng.random()
    if r < 0.25:
        n += f"/{rng.randint(1, 40)}"
    if r < 0.08:
        n += rng.choice("ABC")
    return n


def generate_ward(households: int, seed: int = 1, *, province_code: str = "22", ward_code: str = "BAICHAY",
                  groups: tuple[str, ...] = DEFAULT_GROUPS, area_type: str = "urban",
                  collected_from: dt.date = dt.date(2025, 9, 1),
                  collected_to: dt.date = dt.date(2025, 12, 14)) -> list[dict[str, Any]]:
    """``households`` household documents, spread over ``groups``; deterministic for ``seed``."""
    rng = random.Random(seed)
    return [generate_household(rng, province_code=province_code, ward_code=ward_code,
                               group_code=groups[i % len(groups)], area_type=area_type,
                               collected_from=collected_from, collected_to=collected_to)
            for i in range(households)]
