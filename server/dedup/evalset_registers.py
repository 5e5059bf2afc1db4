"""A second, independent labelled set, shaped like ward registers (issue 19).

``generate(households, seed)`` gives two review rounds with the truth, like
``evalset.generate``, but built apart from it — its own names, addresses,
household shapes, events and error rates, none of ``shared.synthetic`` — so
that an engine tuned on one set can be measured on the other:

* **Shapes.** Most records are a register row: the head only, with a member
  count (``member_count``) and no roster; the rest are tablet surveys with the
  whole roster. Round 1 (2025) is mostly the ward's register (82 % head-only),
  round 2 (2026) half and half. Two head-only records of one household share
  no roster at all.
* **Identifiers.** A head carries a 12-digit CCCD, an old 9-digit CMND, both,
  or nothing; a person who renewed between the rounds has a CMND in one and a
  CCCD in the other (numbers that cannot be compared). A register written
  with one "CMND/CCCD" column puts a 9-digit number in ``citizen_id``.
* **Names.** Other family-name shares, more middle-name variety, compound
  given names ("Nguyễn Thị Thanh Hương"), ethnic-minority names of Quảng Ninh
  (Tày, Nùng, Dao, Sán Dìu: "Triệu Văn Sinh", "Lý Thị Mùi", "Bàn A Phu"), a
  register writing a middle name as its initial ("Nguyễn T. Lan"). Register
  rows lose diacritics far more often than tablet surveys (most duplicates
  are unaccented) and are often in capitals.
* **Addresses** written the ward's many ways: "Ngõ 45/12", "45 ngõ 12",
  "K45/12", "số 45", "SN 45", the street with "Đường", "Phố", "P.", "Đ." or
  nothing, the number written into the street field ("Số 45 Hạ Long"),
  missing numbers or streets.
* **Events between the rounds**: the head changes (the spouse takes over far
  more often than a child), the family splits (a child's household at "45A",
  at the very same number, or at another number of the street, often with the
  parents' phone), the household moves within the ward (often keeping its
  phone), new households, double surveys, rented rooms sharing an address,
  phones changed.

Every rate is this generator's assumption (``Rates``); nothing is measured
from a real ward. Deterministic per seed. Standard library only.
"""
from __future__ import annotations

import copy
import random
import unicodedata
import uuid
from dataclasses import dataclass, field
from typing import Any

from .evalset import EvalSet

WARD_SIZE = 8_000
ROUND_1, ROUND_2 = 2025, 2026

# Family-name shares differ from shared.synthetic's on purpose (another source, another region).
FAMILY = (("Nguyễn", 31.0), ("Trần", 10.5), ("Lê", 8.0), ("Phạm", 7.5), ("Hoàng", 5.0), ("Vũ", 4.2),
          ("Phan", 3.8), ("Đặng", 2.6), ("Bùi", 2.6), ("Đỗ", 2.2), ("Ngô", 1.8), ("Dương", 1.6), ("Đinh", 1.5),
          ("Lương", 1.2), ("Trịnh", 1.1), ("Đào", 1.0), ("Tô", 0.8), ("Hà", 0.9), ("Mạc", 0.6), ("Lưu", 0.7),
          ("Nghiêm", 0.3), ("Khúc", 0.3), ("Tăng", 0.4), ("Quách", 0.4), ("Kiều", 0.4), ("Phí", 0.3),
          ("Vương", 0.5), ("Chu", 0.6), ("Giáp", 0.4), ("Thái", 0.4))
ETHNIC_FAMILY = ("Triệu", "Lý", "Bàn", "Nông", "Lục", "Hoàng", "Chìu", "Tằng", "Đặng", "Vi", "Lường", "Sằn")
MIDDLE_M = (("Văn", 40), ("Đức", 6), ("Hữu", 5), ("Xuân", 4), ("Quốc", 4), ("Tiến", 3), ("Mạnh", 3), ("Duy", 3),
            ("Minh", 5), ("Thế", 3), ("Ngọc", 3), ("Trọng", 3), ("Công", 3), ("Đình", 4), ("Bá", 2), ("Quang", 4),
            ("Anh", 2), ("Gia", 2), ("Hoàng", 2), ("Trung", 2))
MIDDLE_F = (("Thị", 55), ("Thu", 5), ("Ngọc", 5), ("Bích", 3), ("Thanh", 5), ("Phương", 3), ("Diệu", 2),
            ("Hồng", 4), ("Minh", 3), ("Kim", 3), ("Mai", 2), ("Khánh", 2), ("Hải", 2), ("Lan", 2), ("Tuyết", 1))
GIVEN_M = ("Thắng", "Hòa", "Dũng", "Tuấn", "Hoàng", "Hiển", "Kiên", "Nghĩa", "Quyết", "Thủy", "Tú", "Lộc", "Phú",
           "Tài", "Sang", "Bảo", "Định", "Độ", "Giang", "Hà", "Hậu", "Khải", "Lợi", "Mạnh", "Nhân", "Ninh", "Oai",
           "Quý", "Sỹ", "Tâm", "Thịnh", "Thông", "Tiến", "Toản", "Trường", "Tư", "Uy", "Vượng", "Xuân", "Yên",
           "Chiến", "Cảnh", "Đông", "Hạnh", "Khang", "Luân", "Nguyên", "Phát", "Quyền", "Thuận")
GIVEN_F = ("Hương", "Hằng", "Huệ", "Lụa", "Mơ", "Nhàn", "Nhài", "Oanh", "Phượng", "Quyên", "Sen", "Thắm",
           "Thoa", "Thơm", "Thúy", "Tuyết", "Uyên", "Xuyến", "Yến", "Gấm", "Hiền", "Hoài", "Hồng", "Lý", "Mận",
           "Ngân", "Nguyệt", "Nhung", "Đào", "Duyên", "Hường", "Liễu", "Loan", "Luyến", "Mến", "Mỹ", "Nhi",
           "Tươi", "Vui", "Ánh", "Bích", "Cúc", "Diệp", "Dịu", "Hoa", "Lệ", "Hảo", "Thương", "Trinh", "Vân")
COMPOUND_F = ("Thanh Hương", "Thu Hà", "Minh Châu", "Kim Oanh", "Bích Ngọc", "Hồng Nhung", "Thùy Dung",
              "Phương Thảo", "Ngọc Ánh", "Thu Trang")
ETHNIC_GIVEN_M = ("Sinh", "Phu", "Dềnh", "Seo", "Chàn", "Tòng", "Lìn", "Pao", "Dín", "Quẩy")
ETHNIC_GIVEN_F = ("Mùi", "Sì", "Mẩy", "Sửu", "Pham", "Nải", "Dùng", "Chiêm", "Sao", "Mềnh")
STREETS = ("Cao Xanh", "Hà Lầm", "Trần Phú", "Lê Thánh Tông", "Nguyễn Văn Cừ", "Cột Đồng Hồ", "Kênh Liêm",
           "Bạch Đằng", "Tuần Châu", "Lý Tự Trọng", "Hồng Hà", "Giếng Đồn", "Trần Hưng Đạo", "Vân Đồn",
           "Cây Thông", "Hải Lộc", "Mạc Đăng Dung", "Đồng Mang")
GROUPS = tuple(f"T{i:02d}" for i in range(1, 13))
PROVINCES = ("022", "022", "022", "022", "034", "030", "001", "031", "036", "026")


@dataclass(frozen=True)
class Rates:
    register_coverage: float = 0.97     # households of the ward that the round-1 register lists
    head_only_r1: float = 0.82          # round-1 records that are register rows (head + member count)
    head_only_r2: float = 0.50
    member_count_given: float = 0.92    # a head-only row that carries the member count
    resurvey: float = 0.90
    head_change: float = 0.10
    head_change_spouse: float = 0.65    # of head changes: the spouse takes over (else an adult child)
    split: float = 0.05
    split_suffix: float = 0.60          # the child's household at "45A"; else the same number or another
    split_same_number: float = 0.25
    split_same_phone: float = 0.50
    moved: float = 0.04
    moved_keep_phone: float = 0.70
    new_households: float = 0.08
    double_r1: float = 0.01
    double_r2: float = 0.04
    shared_address: float = 0.04
    phone_r1: float = 0.50
    phone_r2: float = 0.72
    phone_changed: float = 0.15
    # identifiers of a head (round 1 / round 2): CCCD, CMND, both, none
    ids_r1: tuple[float, float, float, float] = (0.45, 0.25, 0.05, 0.25)
    ids_r2: tuple[float, float, float, float] = (0.70, 0.08, 0.07, 0.15)
    cmnd_in_cccd_column: float = 0.35   # a register row puts the CMND in the CCCD column
    id_digit: float = 0.03
    # writing, per record: register rows / tablet surveys
    no_marks_register: float = 0.62
    no_marks_tablet: float = 0.12
    upper_register: float = 0.35
    upper_tablet: float = 0.03
    nfd: float = 0.05
    telex: float = 0.02
    vni: float = 0.01
    name_typo: float = 0.04
    middle_initial: float = 0.04
    middle_dropped: float = 0.02
    reorder: float = 0.01
    year_off: float = 0.03
    year_missing: float = 0.04
    street_missing: float = 0.12
    house_missing: float = 0.07
    wrong_group: float = 0.02
    ethnic: float = 0.07


# --------------------------------------------------------------------------------------------
# People and households (the truth)
# --------------------------------------------------------------------------------------------

def _pick(rng: random.Random, table) -> str:
    names, weights = zip(*table)
    return rng.choices(names, weights)[0]


def _name(rng: random.Random, sex: str, family: str, ethnic: bool) -> str:
    if ethnic:
        given = rng.choice(ETHNIC_GIVEN_M if sex == "male" else ETHNIC_GIVEN_F)
        middle = rng.choice(("Văn", "A", "Seo", "Tài") if sex == "male" else ("Thị", "Thị", "A", "Mùi"))
        if rng.random() < 0.15:
            return f"{family} {given}"            # two-token names
        return f"{family} {middle} {given}"
    if sex == "female" and rng.random() < 0.12:
        return f"{family} Thị {rng.choice(COMPOUND_F)}" if rng.random() < 0.5 else f"{family} {rng.choice(COMPOUND_F)}"
    middle = _pick(rng, MIDDLE_M if sex == "male" else MIDDLE_F)
    return f"{family} {middle} {rng.choice(GIVEN_M if sex == 'male' else GIVEN_F)}"


def _cccd(rng: random.Random, sex: str, year: int) -> str:
    digit = (year // 100 - 19) * 2 + (0 if sex == "male" else 1)
    return f"{rng.choice(PROVINCES)}{digit}{year % 100:02d}{rng.randrange(10 ** 6):06d}"


def _cmnd(rng: random.Random) -> str:
    return rng.choice(("10", "10", "10", "11", "01", "03", "16", "17")) + f"{rng.randrange(10 ** 7):07d}"


@dataclass
class _Person:
    name: str
    sex: str
    year: int
    relation: str
    cccd: str = ""
    cmnd: str = ""


@dataclass
class _House:
    entity: str
    ward: str
    group: str
    number: str              # canonical "45", "45/12", "45A"
    street: str
    phone: str
    members: list[_Person] = field(default_factory=list)
    ethnic: bool = False

    @property
    def head(self) -> _Person:
        return self.members[0]


def _person(rng: random.Random, sex: str, year: int, relation: str, family: str, ethnic: bool) -> _Person:
    p = _Person(_name(rng, sex, family, ethnic), sex, year, relation)
    if ROUND_1 - year >= 14:
        p.cccd = _cccd(rng, sex, year)
        if year < 1990 or rng.random() < 0.5:
            p.cmnd = _cmnd(rng)
    return p


def _family_of(rng: random.Random, ethnic: bool) -> str:
    return rng.choice(ETHNIC_FAMILY) if ethnic else _pick(rng, FAMILY)


def _roster(rng: random.Random, ethnic: bool) -> list[_Person]:
    family = _family_of(rng, ethnic)
    head_sex = "male" if rng.random() < 0.68 else "female"
    head_year = ROUND_1 - rng.randint(22, 88)
    out = [_person(rng, head_sex, head_year, "head", family, ethnic)]
    if ROUND_1 - head_year < 80 and rng.random() < 0.78:
        sex = "female" if head_sex == "male" else "male"
        out.append(_person(rng, sex, head_year + rng.randint(-3, 8) * (1 if head_sex == "male" else -1), "spouse",
                           _family_of(rng, ethnic), ethnic))
    kids = rng.choices((0, 1, 2, 3, 4, 5), (12, 22, 36, 18, 8, 4))[0] if ROUND_1 - head_year < 70 else \
        rng.choices((0, 1, 2), (50, 35, 15))[0]
    for _ in range(kids):
        year = min(ROUND_1, head_year + rng.randint(19, 42))
        out.append(_person(rng, rng.choice(("male", "female")), year, "child", family, ethnic))
    if ROUND_1 - head_year < 50 and rng.random() < 0.15:
        out.append(_person(rng, rng.choice(("male", "female")), head_year - rng.randint(20, 32), "parent", family,
                           ethnic))
    if rng.random() < 0.06:
        out.append(_person(rng, rng.choice(("male", "female")), min(ROUND_1, head_year + rng.randint(40, 60)),
                           "grandchild", family, ethnic))
    return out


def _phone(rng: random.Random) -> str:
    return "0" + rng.choice(("98", "97", "96", "91", "94", "88", "86", "39", "38", "36", "35", "33", "32", "70",
                             "77", "79", "81", "83", "84", "85", "56")) + f"{rng.randrange(10 ** 7):07d}"


def _number(rng: random.Random) -> str:
    n = str(rng.randint(1, 480))
    pick = rng.random()
    if pick < 0.40:
        n += f"/{rng.randint(1, 90)}"
    elif pick < 0.45:
        n += f"/{rng.randint(1, 40)}/{rng.randint(1, 20)}"
    return n


# --------------------------------------------------------------------------------------------
# Writing a record: shape, identifiers, spelling, address
# --------------------------------------------------------------------------------------------

def _strip(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


_TONES = {"\u0300": "f", "\u0301": "s", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
_VNI = {"\u0300": "2", "\u0301": "1", "\u0309": "3", "\u0303": "4", "\u0323": "5", "\u0302": "6", "\u0306": "8",
        "\u031b": "7"}


def _keyed(word: str, vni: bool) -> str:
    out, tone = [], ""
    for ch in unicodedata.normalize("NFD", word):
        if ch in _TONES:
            tone = _VNI[ch] if vni else _TONES[ch]
        elif ch in ("\u0302", "\u0306", "\u031b"):
            if out:
                out[-1] += _VNI[ch] if vni else (out[-1] if ch == "\u0302" else "w")
        elif ch in "đĐ":
            out.append(("d9" if vni else "dd") if ch == "đ" else ("D9" if vni else "DD"))
        else:
            out.append(ch)
    return "".join(out) + tone


@dataclass
class _Hand:
    """One writer's habits for a whole record."""
    register: bool
    no_marks: bool
    upper: bool
    nfd: bool
    keyed: str          # "", "telex", "vni"


def _hand(rng: random.Random, r: Rates, register: bool) -> _Hand:
    x = rng.random()
    keyed = "telex" if x < r.telex else "vni" if x < r.telex + r.vni else ""
    no_marks = not keyed and rng.random() < (r.no_marks_register if register else r.no_marks_tablet)
    return _Hand(register, no_marks, rng.random() < (r.upper_register if register else r.upper_tablet),
                 rng.random() < r.nfd, keyed)


def _typo(rng: random.Random, text: str) -> str:
    idx = [i for i, c in enumerate(text) if c.isalpha()]
    if len(idx) < 5:
        return text
    i = rng.choice(idx[2:])
    op = rng.random()
    if op < 0.35:
        return text[:i] + text[i + 1:]
    if op < 0.7:
        return text[:i] + rng.choice("aeiounhtcg") + text[i + 1:]
    if op < 0.85 and i + 1 < len(text) and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text[:i] + text[i] + text[i:]


def _write_name(rng: random.Random, name: str, hand: _Hand, r: Rates) -> str:
    words = name.split()
    if len(words) >= 3 and hand.register and rng.random() < r.middle_initial:
        words[1] = words[1][0] + "."
    elif len(words) >= 3 and rng.random() < r.middle_dropped:
        del words[1]
    if len(words) >= 3 and rng.random() < r.reorder:
        words = words[-1:] + words[:-1]
    if hand.keyed:
        words = [_keyed(w, hand.keyed == "vni") for w in words]
    elif hand.no_marks:
        words = [_strip(w) for w in words]
    text = " ".join(words)
    if rng.random() < r.name_typo:
        text = _typo(rng, text)
    if hand.upper:
        text = text.upper()
    if hand.nfd:
        text = unicodedata.normalize("NFD", text)
    return text


def _write_text(text: str, hand: _Hand) -> str:
    if hand.no_marks or hand.keyed:
        text = _strip(text)
    if hand.upper:
        text = text.upper()
    return unicodedata.normalize("NFD", text) if hand.nfd else text


def _write_phone(rng: random.Random, phone: str) -> str:
    x = rng.random()
    if x < 0.50:
        return phone
    if x < 0.62:
        return phone[1:]                                   # the leading 0 lost in Excel
    if x < 0.72:
        return f"{phone[:4]} {phone[4:7]} {phone[7:]}"
    if x < 0.80:
        return f"{phone[:4]}.{phone[4:7]}.{phone[7:]}"
    if x < 0.88:
        return "+84" + phone[1:]
    if x < 0.94:
        return f"{phone} - {_phone(rng)}"                 # two numbers in one cell
    return f"(+84) {phone[1:4]} {phone[4:]}"


def _write_address(rng: random.Random, number: str, street: str, hand: _Hand, r: Rates) -> dict[str, str]:
    if rng.random() < r.house_missing:
        number = ""
    if number:
        parts = number.split("/")
        x = rng.random()
        if len(parts) == 2 and x < 0.15:
            number = f"Ngõ {parts[0]}/{parts[1]}" if rng.random() < 0.5 else f"{parts[0]} ngõ {parts[1]}"
        elif len(parts) == 2 and x < 0.22:
            number = f"K{parts[0]}/{parts[1]}"
        elif x < 0.35:
            number = rng.choice(("Số ", "SN ", "số nhà ", "Nhà số ")) + number
        elif x < 0.45:
            number = number.replace("/", "-")
    address: dict[str, str] = {}
    if rng.random() >= r.street_missing:
        street_text = rng.choice(("", "", "", "Đường ", "Phố ", "P. ", "Đ. ", "đường ")) + street
        if number and rng.random() < 0.08:             # the number written into the street field
            street_text, number = f"Số {number} {street}", ""
        address["street"] = _write_text(street_text, hand)
    if number:
        address["house_number"] = _write_text(number, hand)
    return address


def _ids(rng: random.Random, p: _Person, probs, r: Rates, register: bool, renewed: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    if not p.cccd:
        return out
    x = rng.random()
    cum = 0.0
    choice = 3
    for i, share in enumerate(probs):
        cum += share
        if x < cum:
            choice = i
            break
    if renewed and choice == 1:
        choice = 0                                    # renewed between the rounds: a CCCD now
    cccd = p.cccd if choice in (0, 2) else ""
    cmnd = p.cmnd if choice in (1, 2) else ""
    if choice == 1 and not cmnd:
        cccd = p.cccd
    if cccd and rng.random() < r.id_digit:
        i = rng.randrange(6, 12)
        cccd = cccd[:i] + str((int(cccd[i]) + rng.randint(1, 9)) % 10) + cccd[i + 1:]
    if cmnd and rng.random() < r.id_digit:
        i = rng.randrange(2, 9)
        cmnd = cmnd[:i] + str((int(cmnd[i]) + rng.randint(1, 9)) % 10) + cmnd[i + 1:]
    if cccd:
        out["citizen_id"] = cccd
    if cmnd:
        if register and not cccd and rng.random() < r.cmnd_in_cccd_column:
            out["citizen_id"] = cmnd                  # one "CMND/CCCD" column
        else:
            out["old_id_number"] = cmnd
    return out


def _record(rng: random.Random, h: _House, round_: int, r: Rates, *, head_only: bool | None = None,
            renewed: frozenset[str] = frozenset()) -> dict[str, Any]:
    if head_only is None:
        head_only = rng.random() < (r.head_only_r1 if round_ == ROUND_1 else r.head_only_r2)
    hand = _hand(rng, r, head_only)
    probs = r.ids_r1 if round_ == ROUND_1 else r.ids_r2
    month = rng.randint(9, 12)
    doc: dict[str, Any] = {
        "household_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "form_version": "2026.1",
        "collected_at": f"{round_}-{month:02d}-{rng.randint(1, 28 if month != 12 else 14):02d}",
        "area": {"province_code": "22", "ward_code": h.ward,
                 "group_code": rng.choice(GROUPS) if rng.random() < r.wrong_group else h.group},
        "address": _write_address(rng, h.number, h.street, hand, r),
    }
    if h.phone and rng.random() < (r.phone_r1 if round_ == ROUND_1 else r.phone_r2):
        doc["phone"] = _write_phone(rng, h.phone)
    people = h.members[:1] if head_only else h.members
    members = []
    for i, p in enumerate(people):
        m: dict[str, Any] = {"member_id": f"m{i + 1}", "full_name": _write_name(rng, p.name, hand, r),
                             "relation": p.relation, "sex": p.sex}
        year = p.year + (rng.choice((-1, 1)) if rng.random() < r.year_off else 0)
        if rng.random() >= r.year_missing:
            if not head_only and rng.random() < 0.6:
                m["birth_date"] = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            else:
                m["birth_year"] = year
        m.update(_ids(rng, p, probs, r, head_only, p.name in renewed))
        members.append(m)
    doc["members"] = members
    if not head_only or rng.random() < r.member_count_given:
        doc["member_count"] = len(h.members)
    return doc


# --------------------------------------------------------------------------------------------
# Between the rounds
# --------------------------------------------------------------------------------------------

def _age(p: _Person, year: int) -> int:
    return year - p.year


def _next(rng: random.Random, h: _House) -> _House:
    n = copy.deepcopy(h)
    n.members = [n.members[0]] + [m for m in n.members[1:] if not (_age(m, ROUND_2) > 78 and rng.random() < 0.08)]
    if rng.random() < 0.07:
        family, sex = n.head.name.split()[0], rng.choice(("male", "female"))
        n.members.append(_Person(_name(rng, sex, family, n.ethnic), sex, ROUND_2, "child"))
    return n


def _change_head(rng: random.Random, h: _House, r: Rates) -> bool:
    old = h.members[0]
    spouse = next((m for m in h.members if m.relation == "spouse"), None)
    adults = [m for m in h.members if m.relation == "child" and _age(m, ROUND_2) >= 20]
    if spouse is not None and (rng.random() < r.head_change_spouse or not adults):
        h.members.remove(spouse)
        h.members[0] = spouse                          # the head died or left
        spouse.relation = "head"
        return True
    if adults:
        heir = rng.choice(adults)
        h.members.remove(heir)
        old.relation = "parent"
        for m in h.members:
            if m.relation == "spouse":
                m.relation = "parent"
        heir.relation = "head"
        h.members.insert(0, heir)
        return True
    return False


# --------------------------------------------------------------------------------------------
# The set
# --------------------------------------------------------------------------------------------

def _addresses(rng: random.Random, n: int, used: set[tuple[str, str]]) -> list[tuple[str, str]]:
    out = []
    while len(out) < n:
        street, number = rng.choice(STREETS), _number(rng)
        if (street, number) not in used:
            used.add((street, number))
            out.append((street, number))
    return out


def generate(households: int = 8000, seed: int = 1, rates: Rates | None = None) -> EvalSet:
    """Two rounds of register-shaped records for ``households`` households (~1.85 records each)."""
    r = rates or Rates()
    rng = random.Random(f"registers:{seed}")
    records: list[dict[str, Any]] = []
    entity: dict[str, str] = {}
    kind: dict[str, str] = {}
    events: dict[str, set[str]] = {}
    split_pairs: set[frozenset[str]] = set()

    def emit(doc: dict[str, Any], ent: str, how: str) -> str:
        records.append(doc)
        entity[doc["household_id"]] = ent
        kind[doc["household_id"]] = how
        return doc["household_id"]

    n_wards = max(1, -(-households // WARD_SIZE))
    serial = 0
    for w in range(n_wards):
        size = min(WARD_SIZE, households - w * WARD_SIZE)
        ward = f"P{w + 1:02d}"
        used: set[tuple[str, str]] = set()
        n_new = int(size * r.new_households)
        addrs = _addresses(rng, size + n_new, used)
        houses = []
        for i in range(size + n_new):
            serial += 1
            ethnic = rng.random() < r.ethnic
            street, number = addrs[i]
            if houses and rng.random() < r.shared_address:          # rented rooms: another household there
                other = rng.choice(houses[-40:])
                street, number = other.street, other.number
            houses.append(_House(f"{ward}-{serial}", ward, GROUPS[STREETS.index(street) % len(GROUPS)],
                                 number, street, _phone(rng) if rng.random() < 0.85 else "",
                                 _roster(rng, ethnic), ethnic))
        old, new = houses[:size], houses[size:]
        for h in old:
            renewed = frozenset(p.name for p in h.members if rng.random() < 0.5)
            listed = rng.random() < r.register_coverage
            first: list[str] = []
            if listed:
                first.append(emit(_record(rng, h, ROUND_1, r), h.entity, f"{ROUND_1}:register"))
                if rng.random() < r.double_r1:
                    first.append(emit(_record(rng, h, ROUND_1, r), h.entity, f"{ROUND_1}:double"))
            if rng.random() >= r.resurvey:
                continue
            nxt = _next(rng, h)
            ev: set[str] = set()
            pick = rng.random()
            child_rid = ""
            if pick < r.split:
                adults = [m for m in nxt.members if m.relation == "child" and _age(m, ROUND_2) >= 20]
                if adults:
                    kid = rng.choice(adults)
                    nxt.members.remove(kid)
                    c = _House(h.entity + "-split", ward, h.group, h.number, h.street, h.phone,
                               [copy.deepcopy(kid)], h.ethnic)
                    c.head.relation = "head"
                    if rng.random() < 0.7:
                        sex = "female" if kid.sex == "male" else "male"
                        c.members.append(_person(rng, sex, kid.year + rng.randint(-4, 4), "spouse",
                                                 _family_of(rng, h.ethnic), h.ethnic))
                        if rng.random() < 0.4:
                            c.members.append(_Person(_name(rng, "male", kid.name.split()[0], h.ethnic), "male",
                                                     ROUND_2 - rng.randint(0, 3), "child"))
                    y = rng.random()
                    if y < r.split_suffix:
                        c.number = h.number + rng.choice("ABC")
                    elif y >= r.split_suffix + r.split_same_number:
                        c.number = _addresses(rng, 1, used)[0][1]
                        c.street = h.street
                    if rng.random() >= r.split_same_phone:
                        c.phone = _phone(rng) if rng.random() < 0.8 else ""
                    child_rid = emit(_record(rng, c, ROUND_2, r), c.entity, f"{ROUND_2}:split_child")
                    events[c.entity] = {"split_child"}
                    ev.add("split")
                    for p in first:
                        split_pairs.add(frozenset((child_rid, p)))
            elif pick < r.split + r.head_change:
                if _change_head(rng, nxt, r):
                    ev.add("head_change")
            elif pick < r.split + r.head_change + r.moved:
                street, number = _addresses(rng, 1, used)[0]
                nxt.street, nxt.number = street, number
                nxt.group = GROUPS[STREETS.index(street) % len(GROUPS)]
                if rng.random() >= r.moved_keep_phone:
                    nxt.phone = _phone(rng)
                ev.add("moved")
            if "moved" not in ev and nxt.phone and rng.random() < r.phone_changed:
                nxt.phone = _phone(rng) if rng.random() < 0.85 else ""
            rid = emit(_record(rng, nxt, ROUND_2, r, renewed=renewed), h.entity, f"{ROUND_2}:resurvey")
            if child_rid:
                split_pairs.add(frozenset((child_rid, rid)))
            if rng.random() < r.double_r2:
                emit(_record(rng, nxt, ROUND_2, r, renewed=renewed), h.entity, f"{ROUND_2}:double")
            if ev:
                events[h.entity] = ev
        for h in new:
            emit(_record(rng, h, ROUND_2, r), h.entity, f"{ROUND_2}:new")
    return EvalSet(records, entity, kind, events, split_pairs)


def pairs_of_head_change_to_spouse(es: EvalSet) -> set[frozenset[str]]:
    """Head-change pairs across rounds where the new head was the old head's spouse (by sex: a spouse
    differs in sex from the head in this generator)."""
    out = set()
    for pair in es.pairs_of_kind("head_change"):
        a, b = (es_record(es, x) for x in pair)
        if a and b and a["members"][0].get("sex") != b["members"][0].get("sex"):
            out.add(pair)
    return out


def es_record(es: EvalSet, rid: str) -> dict[str, Any] | None:
    index = getattr(es, "_by_id", None)
    if index is None:
        index = {d["household_id"]: d for d in es.records}
        es._by_id = index      # type: ignore[attr-defined]
    return index.get(rid)


__all__ = ["Rates", "generate", "pairs_of_head_change_to_spouse", "WARD_SIZE"]
