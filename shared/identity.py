"""Identity of people and households: names, citizen IDs, phones, addresses,
and the blocking keys that dedup uses to find candidate pairs.

Standard library only (this module ships to Android). Everything is pure: no
clock, no randomness, no I/O except reading ``data/cccd_provinces.json`` once,
lazily. Functions that take user data accept garbage (None, numbers instead of
strings, bytes, mojibake) and never raise on it.

Three levels of a name, weakest to strongest normalisation
----------------------------------------------------------
``normalize_name``  "NGUYỄN  văn AN" -> "nguyễn văn an"  (accents kept: Hùng != Hưng)
``fold``            "Nguyễn Thị Thư" -> "nguyen thi thu" (accents dropped, đ -> d)
``name_key``        fold + punctuation to spaces + typing residue repaired
                    ("Nguyeenx Vawn An" -> "nguyen van an")

Folding merges Hùng/Hưng and Thu/Thư: compare at both levels, and never
decide on the folded level alone (domain.md §6, lessons.md "Dedup").

Decisions worth knowing
-----------------------
* Mojibake (UTF-8 read as Windows-1252/Latin-1, e.g. "Nguyá»…n") is repaired
  before normalising, but only when the repaired text decodes strictly and is
  Latin/Vietnamese; real Vietnamese text can never decode that way.
  Legacy font encodings (TCVN3 / VNI-Windows glyphs) are NOT converted.
* ``repair_typing_residue`` changes a token only if it is not already a
  well-formed Vietnamese syllable and the repaired form is one; so real
  syllables ("hoa", "khoa", "quoc") and non-Vietnamese names ("ksor") pass
  through untouched. "oo" is treated as residue (Telex ô), so the rare real
  syllables "xoong"/"boong" fold to "xong"/"bong" — consistently on both sides.
* House numbers: "-", "\\", "_", ".", "," are read as "/" (on phone keyboards
  "-" is typed for "/"; a lot range "12-14" is rare among reviewed households
  and over-grouping only costs a comparison). A letter suffix is never removed
  from the full number: "12/3A" (split-off child household) differs from
  "12/3"; only the *base* used for blocking drops it.
* Phones: "+84"/"0084"/"84" country prefix -> "0"; a 9-digit number without the
  leading 0 (Excel ate it) gets it back; pre-2018 11-digit mobile prefixes
  (0162 -> 032 ...) are converted to today's 10-digit ones. Placeholder numbers
  (all one digit, 123456789) give no key.
* Blocking keys are a union of selective keys; never a key on the family name
  alone, and no name key from a one-token name.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

__all__ = [
    "NameParts",
    "CitizenId",
    "IdIssue",
    "normalize_name",
    "fold",
    "repair_typing_residue",
    "is_vietnamese_syllable",
    "name_key",
    "given_name_key",
    "split_name",
    "sorted_tokens_key",
    "normalize_sex",
    "member_birth_year",
    "known_province_codes",
    "province_name",
    "normalize_citizen_id",
    "normalize_old_id",
    "parse_citizen_id",
    "check_citizen_id",
    "check_member_citizen_id",
    "citizen_id_edit_distance",
    "normalize_phone",
    "phone_numbers",
    "phone_key",
    "phone_keys",
    "normalize_house_number",
    "house_number_base",
    "same_base_different_suffix",
    "normalize_street",
    "address_parts",
    "member_key",
    "household_blocking_keys",
]

_CACHE_SIZE = 1 << 16


# --------------------------------------------------------------------------
# Coercion of untrusted values
# --------------------------------------------------------------------------

def _as_text(value: Any) -> str | None:
    """Best-effort text from a field value; None when it cannot be text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("cp1252", errors="replace")
    return None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = _as_text(value)
    if text is None:
        return None
    text = text.strip()
    if text.endswith(".0"):
        text = text[:-2]
    if text.isascii() and text.isdigit():
        return int(text)
    return None


# --------------------------------------------------------------------------
# Mojibake (UTF-8 bytes decoded as Windows-1252 / Latin-1)
# --------------------------------------------------------------------------

def _build_cp1252_reverse() -> dict[int, int]:
    # Map each Windows-1252 character in 0x80-0x9F back to its byte value, so
    # that ``text.translate(table).encode("latin-1")`` recovers the bytes.
    table: dict[int, int] = {}
    for byte in range(0x80, 0xA0):
        try:
            char = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            continue  # undefined in cp1252: such bytes survive as U+0080-U+009F
        table[ord(char)] = byte
    return table


_CP1252_REVERSE = _build_cp1252_reverse()


def _is_latin_text(text: str) -> bool:
    for char in text:
        code = ord(char)
        if (code < 0x80 or 0xC0 <= code <= 0x24F or 0x300 <= code <= 0x36F
                or 0x1E00 <= code <= 0x1EFF):
            continue
        return False
    return True


def _repair_mojibake(text: str) -> str:
    """Undo UTF-8-read-as-cp1252 (up to twice); otherwise return text as is."""
    for _ in range(2):
        if text.isascii():
            return text
        try:
            raw = text.translate(_CP1252_REVERSE).encode("latin-1")
            fixed = raw.decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return text
        if fixed == text or not _is_latin_text(fixed):
            return text
        text = fixed
    return text


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------

# Applied before case folding. U+00D0 (Icelandic eth, looks like Đ) and the
# African D (U+0189) are typed for Đ; zero-width and format characters vanish;
# control characters become spaces; apostrophe look-alikes become "'".
_PRE_TABLE: dict[int, Any] = {
    0x00D0: "\u0110", 0x00F0: "\u0111",  # Ð ð -> Đ đ
    0x0189: "\u0110", 0x0256: "\u0111",  # Ɖ ɖ -> Đ đ
    0x00AD: None, 0x200B: None, 0x200C: None, 0x200D: None,
    0x2060: None, 0xFEFF: None,
    0x2018: "'", 0x2019: "'", 0x02BC: "'", 0x0060: "'", 0x00B4: "'", 0x2032: "'",
}
_PRE_TABLE.update({c: " " for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)})
_PRE_TABLE.update({0x7F: " "})
_PRE_TABLE.update({c: " " for c in range(0x80, 0xA0)})

# D or d followed by a combining stroke overlay: another way to type Đ.
_D_STROKE_RE = re.compile("([Dd])[\u0335\u0336]")

# Applied to NFD text when folding: combining marks vanish, đ -> d.
_FOLD_TABLE: dict[int, Any] = {0x0111: "d", 0x0110: "d"}
for _lo, _hi in ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF),
                 (0x20D0, 0x20FF), (0xFE20, 0xFE2F)):
    _FOLD_TABLE.update({c: None for c in range(_lo, _hi + 1)})
del _lo, _hi


@lru_cache(maxsize=_CACHE_SIZE)
def _normalize_text(text: str) -> str:
    if text.isascii():
        return " ".join(text.translate(_PRE_TABLE).lower().split())
    text = _repair_mojibake(unicodedata.normalize("NFC", text))
    text = text.translate(_PRE_TABLE)
    if "\u0335" in text or "\u0336" in text:
        text = _D_STROKE_RE.sub("\u0110", text)
    # Canonical caseless form: NFD, casefold, then compose again.
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).casefold())
    again = _repair_mojibake(text)  # mojibake whose lead byte was upper case
    if again != text:
        text = unicodedata.normalize("NFC", unicodedata.normalize("NFD", again).casefold())
    return " ".join(text.split())


def normalize_name(value: Any) -> str:
    """Canonical accented form: NFC, Ð -> Đ, case folded, spacing collapsed.

    Diacritics are kept, so Hùng and Hưng stay different. NFC and NFD inputs
    give the same result. Garbage gives "".
    """
    text = _as_text(value)
    return _normalize_text(text) if text else ""


@lru_cache(maxsize=_CACHE_SIZE)
def _fold_text(text: str) -> str:
    text = _normalize_text(text)
    if text.isascii():
        return text
    text = unicodedata.normalize("NFD", text).translate(_FOLD_TABLE)
    if not text.isascii():
        text = "".join(c for c in text if not unicodedata.combining(c))
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())  # a stray mark may have stood alone


def fold(value: Any) -> str:
    """Normalised, without diacritics, đ -> d: "Nguyễn Thị Thư" -> "nguyen thi thu"."""
    text = _as_text(value)
    return _fold_text(text) if text else ""


# Vietnamese syllable on folded ASCII: onset, vowel cluster (with medial),
# final consonant. Loose enough for every real syllable, strict enough to
# refuse Telex/VNI residue and most non-Vietnamese tokens.
_ONSETS = "ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdghklmnprstvx]"
_NUCLEI = ("oai|oay|oao|oeo|uay|uoi|uou|uya|uye|uyu|ieu|yeu|"
           "ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|ua|ue|ui|uo|uu|uy|ye|"
           "a|e|i|o|u|y")
_SYLLABLE_RE = re.compile(rf"(?:{_ONSETS})?(?:{_NUCLEI})(?:ch|ng|nh|[cmnpt])?")
_FOLDED_TOKEN_RE = re.compile(r"[a-z0-9]+")
_DIGITS_RE = re.compile(r"[0-9]+")
_DOUBLE_D_RE = re.compile(r"d{2,}")
_W_AFTER_VOWEL_RE = re.compile(r"(?<=[aeiouy])w+")
_W_RE = re.compile(r"w+")
_W_OR_TONE_RE = re.compile(r"[sfrxjzw]+")
_LATE_VOWEL_RE = re.compile(r"([aeo])([^aeiouy0-9]+)\1$")
_DOUBLE_VOWEL_RE = re.compile(r"([aeo])\1+")
_FIRST_VOWEL_RE = re.compile(r"[aeiouy]")


def is_vietnamese_syllable(token: str) -> bool:
    """True when a folded token is shaped like one Vietnamese syllable."""
    return (isinstance(token, str)
            and _SYLLABLE_RE.fullmatch(token) is not None
            and "aa" not in token and "ee" not in token and "oo" not in token)


@lru_cache(maxsize=_CACHE_SIZE)
def _repair_token(token: str) -> str:
    if is_vietnamese_syllable(token) or not _FOLDED_TOKEN_RE.fullmatch(token) or token.isdigit():
        return token
    text = _DIGITS_RE.sub("", token)                 # VNI keys 0-9
    text = _DOUBLE_D_RE.sub("d", text)               # Telex dd -> đ
    text = _W_AFTER_VOWEL_RE.sub("", text)           # Telex aw ow uw
    first = _FIRST_VOWEL_RE.search(text)
    if first is None:                                # Telex w alone -> ư ("thw")
        text = _W_RE.sub("u", text)
        first = _FIRST_VOWEL_RE.search(text)
        if first is None:
            return token
    cut = first.end()                                # tone keys and late
    text = text[:cut] + _W_OR_TONE_RE.sub("", text[cut:])  # modifiers follow a vowel
    text = _LATE_VOWEL_RE.sub(r"\1\2", text)          # "tranaf": a typed after n
    text = _DOUBLE_VOWEL_RE.sub(r"\1", text)         # Telex aa ee oo
    return text if is_vietnamese_syllable(text) else token


def repair_typing_residue(token: Any) -> str:
    """Repair Telex/VNI residue in one FOLDED token, only when it is safe.

    "nguyeenx", "nguye6n4" -> "nguyen"; "ddinhf" -> "dinh"; "thuw" -> "thu";
    "tuaans" -> "tuan". A token that already is a Vietnamese syllable, or that
    would not become one, comes back unchanged ("hoa", "ksor").
    """
    text = _as_text(token)
    return _repair_token(text) if text else ""


_APOSTROPHE_RE = re.compile(r"'+")
_NON_WORD_RE = re.compile(r"[\W_]+")


@lru_cache(maxsize=_CACHE_SIZE)
def _name_key_text(text: str) -> str:
    folded = _APOSTROPHE_RE.sub("", _fold_text(text))
    return " ".join(_repair_token(t) for t in _NON_WORD_RE.split(folded) if t)


def name_key(value: Any) -> str:
    """Folded, punctuation-free, typing residue repaired: the name's match key.

    Apostrophes inside ethnic-minority names vanish ("H'Prông" -> "hprong");
    other punctuation separates tokens.
    """
    text = _as_text(value)
    return _name_key_text(text) if text else ""


def given_name_key(value: Any) -> str:
    """Last token of ``name_key`` (the given name), "" when unknown."""
    key = name_key(value)
    return key.rpartition(" ")[2]


class NameParts(NamedTuple):
    family: str
    middle: str
    given: str


def split_name(full_name: Any) -> NameParts:
    """Family (first token), middle (the rest), given (last token), normalised.

    One-token names fill ``given`` only.
    """
    tokens = normalize_name(full_name).split(" ")
    tokens = [t for t in tokens if t]
    if not tokens:
        return NameParts("", "", "")
    if len(tokens) == 1:
        return NameParts("", "", tokens[0])
    return NameParts(tokens[0], " ".join(tokens[1:-1]), tokens[-1])


def sorted_tokens_key(full_name: Any) -> str:
    """``name_key`` tokens sorted: equal for reordered names ("An Nguyễn Văn")."""
    return " ".join(sorted(name_key(full_name).split()))


# --------------------------------------------------------------------------
# Member attributes
# --------------------------------------------------------------------------

_MALE = frozenset({"male", "m", "nam", "trai"})
_FEMALE = frozenset({"female", "f", "nu", "gai"})


def normalize_sex(value: Any) -> str | None:
    """'male' / 'female' from English or Vietnamese spellings, else None."""
    text = fold(value)
    if text in _MALE:
        return "male"
    if text in _FEMALE:
        return "female"
    return None


_ISO_DATE_RE = re.compile(r"\s*(\d{4})-\d{1,2}-\d{1,2}")
_VN_DATE_RE = re.compile(r"\s*\d{1,2}[/.-]\d{1,2}[/.-](\d{4})\s*$")
_MIN_YEAR, _MAX_YEAR = 1850, 2399


def member_birth_year(member: Any) -> int | None:
    """Year from ``birth_date`` (YYYY-MM-DD or DD/MM/YYYY), else ``birth_year``."""
    if not isinstance(member, dict):
        return None
    text = _as_text(member.get("birth_date"))
    if text:
        match = _ISO_DATE_RE.match(text) or _VN_DATE_RE.match(text)
        if match:
            year = int(match.group(1))
            if _MIN_YEAR <= year <= _MAX_YEAR:
                return year
    year = _as_int(member.get("birth_year"))
    if year is not None and _MIN_YEAR <= year <= _MAX_YEAR:
        return year
    return None


# --------------------------------------------------------------------------
# Citizen ID (CCCD / số định danh cá nhân)
# --------------------------------------------------------------------------

_DATA_FILE = "cccd_provinces.json"


@lru_cache(maxsize=1)
def _provinces() -> dict[str, str]:
    text: str | None = None
    try:
        from importlib import resources
        if __package__:
            folder = resources.files(__package__).joinpath("data")
            text = folder.joinpath(_DATA_FILE).read_text("utf-8")
    except (ImportError, OSError, TypeError, ValueError, AttributeError):
        text = None
    if text is None:
        text = (Path(__file__).resolve().parent / "data" / _DATA_FILE).read_text("utf-8")
    data = json.loads(text)
    return {str(row["code"]): str(row.get("name") or "") for row in data["provinces"]}


def known_province_codes() -> frozenset[str]:
    """The 3-digit birth-registration province codes (secondary source, [S])."""
    return frozenset(_provinces())


def province_name(code: Any) -> str | None:
    """Province name for a 3-digit CCCD code, None when unknown."""
    text = _as_text(code)
    return _provinces().get(text.strip()) if text else None


_ID_SEPARATORS_RE = re.compile(r"[\s.\-_]+")
_FLOAT_ID_RE = re.compile(r"[0-9]+\.0+")
_ID_LENGTH = 12


def _is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def normalize_citizen_id(value: Any) -> str:
    """Digits only when the value is digits apart from spaces, dots and dashes;
    otherwise the original text stripped. Integers (Excel dropped the leading
    zero) are padded back to 12 digits. Absent -> "".
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = _as_int(value)
        if number is not None and 0 <= number < 10 ** _ID_LENGTH:
            return str(number).zfill(_ID_LENGTH)
    text = _as_text(value)
    if not text:
        return ""
    stripped = text.strip()
    candidate = unicodedata.normalize("NFKC", stripped)
    if _FLOAT_ID_RE.fullmatch(candidate):
        candidate = candidate.partition(".")[0]  # "22080001234.0" from a spreadsheet
    candidate = _ID_SEPARATORS_RE.sub("", candidate)
    return candidate if _is_ascii_digits(candidate) else stripped


_OLD_ID_LENGTH = 9


def normalize_old_id(value: Any) -> str:
    """An old 9-digit identity-card number (CMND): its 9 digits, else "".

    Spaces, dots and dashes are dropped; an integer that lost its leading zero
    in a spreadsheet (8 digits) is padded back; placeholders (one digit
    repeated) give "". A 12-digit CCCD is not a CMND.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = _as_int(value)
        text = str(number).zfill(_OLD_ID_LENGTH) if number is not None and 0 < number < 10 ** 9 else ""
    else:
        text = normalize_citizen_id(value)
    if len(text) == _OLD_ID_LENGTH and _is_ascii_digits(text) and len(set(text)) > 1:
        return text
    return ""


@dataclass(frozen=True, slots=True)
class CitizenId:
    province_code: str       # digits 1-3
    sex: str                 # 'male' | 'female' (digit 4)
    birth_year_from_id: int  # century (digit 4) + digits 5-6
    serial: str              # digits 7-12, random
    number: str = ""         # the 12 digits


def _century_sex(digit: int) -> tuple[int, str]:
    return 1900 + 100 * (digit // 2), ("male" if digit % 2 == 0 else "female")


def parse_citizen_id(value: Any) -> CitizenId | None:
    """Decode a 12-digit citizen ID; None when it is not 12 digits."""
    number = normalize_citizen_id(value)
    if len(number) != _ID_LENGTH or not _is_ascii_digits(number):
        return None
    century, sex = _century_sex(int(number[3]))
    return CitizenId(
        province_code=number[:3],
        sex=sex,
        birth_year_from_id=century + int(number[4:6]),
        serial=number[6:],
        number=number,
    )


@dataclass(frozen=True, slots=True)
class IdIssue:
    code: str        # length | not_digits | province | sex_mismatch | birth_year_mismatch
    message_vi: str
    message_en: str
    severity: str    # 'error' | 'warning'


_SEX_VI = {"male": "nam", "female": "nữ"}


def check_citizen_id(value: Any, sex: Any = None, birth_year: Any = None,
                     old_id_field: tuple[str, str] | None = None) -> list[IdIssue]:
    """Every problem with a citizen ID, alone and against the member's sex and
    birth year. An absent ID is not a problem here (it is optional).

    ``old_id_field``: the (Vietnamese, English) label of the field where an old
    9-digit CMND belongs, when the form has one (form 2026.1); the message for
    a 9-digit number names it, or says the form has no such field.
    """
    number = normalize_citizen_id(value)
    if not number:
        return []
    issues: list[IdIssue] = []
    digits_only = _is_ascii_digits(number)
    if not digits_only:
        issues.append(IdIssue(
            "not_digits",
            f"Số CCCD chỉ gồm chữ số; đang ghi “{number}”.",
            f"A citizen ID has digits only; got “{number}”.",
            "error"))
    if len(number) != _ID_LENGTH:
        vi = f"Số CCCD phải có 12 chữ số; đang có {len(number)} ký tự."
        en = f"A citizen ID has 12 digits; got {len(number)} characters."
        if digits_only and len(number) == 9 and old_id_field:
            vi += f" Số 9 chữ số là số CMND cũ: ghi vào ô “{old_id_field[0]}”."
            en += f" A 9-digit number is an old ID card number (CMND): enter it in “{old_id_field[1]}”."
        elif digits_only and len(number) == 9:
            vi += (" Số 9 chữ số là số CMND cũ, không phải CCCD; phiếu này không có ô ghi số CMND: "
                   "để trống ô CCCD nếu người này chưa có CCCD.")
            en += (" A 9-digit number is an old ID card number (CMND), not a citizen ID; this form has no field "
                   "for it: leave the citizen ID empty if the person has none.")
        elif digits_only and len(number) == 11 and ("0" + number[:2]) in _provinces():
            vi += " Có thể thiếu số 0 ở đầu (Excel thường làm mất)."
            en += " The leading 0 may be missing (Excel often drops it)."
        issues.append(IdIssue("length", vi, en, "error"))
    if issues:
        return issues

    parsed = parse_citizen_id(number)
    assert parsed is not None  # 12 ASCII digits at this point
    if parsed.province_code not in _provinces():
        issues.append(IdIssue(
            "province",
            f"Mã tỉnh {parsed.province_code} (3 số đầu của CCCD {number}) "
            "không có trong danh mục 63 tỉnh; kiểm tra lại (danh mục lấy từ nguồn thứ cấp).",
            f"Province code {parsed.province_code} (first 3 digits of citizen ID {number}) "
            "is not in the list of 63 provinces; please check (the list is from a "
            "secondary source).",
            "warning"))
    member_sex = normalize_sex(sex)
    if member_sex is not None and member_sex != parsed.sex:
        issues.append(IdIssue(
            "sex_mismatch",
            f"Số CCCD {number} cho giới tính {_SEX_VI[parsed.sex]} (chữ số thứ 4 là "
            f"{number[3]}) nhưng thành viên ghi giới tính {_SEX_VI[member_sex]}.",
            f"Citizen ID {number} implies sex {parsed.sex} (4th digit {number[3]}) "
            f"but the member is recorded as {member_sex}.",
            "error"))
    year = _as_int(birth_year)
    if year is not None and year != parsed.birth_year_from_id:
        issues.append(IdIssue(
            "birth_year_mismatch",
            f"Số CCCD {number} cho năm sinh {parsed.birth_year_from_id} nhưng thành viên "
            f"sinh năm {year}.",
            f"Citizen ID {number} implies birth year {parsed.birth_year_from_id} but the "
            f"member was born in {year}.",
            "error"))
    return issues


def check_member_citizen_id(member: Any) -> list[IdIssue]:
    """``check_citizen_id`` for a member dict (citizen_id, sex, birth date/year)."""
    if not isinstance(member, dict):
        return []
    return check_citizen_id(member.get("citizen_id"), member.get("sex"),
                            member_birth_year(member))


def citizen_id_edit_distance(a: Any, b: Any) -> int:
    """Hamming distance for equal lengths (a typed digit is a substitution),
    Levenshtein otherwise. Both sides are normalised first.
    """
    x, y = normalize_citizen_id(a), normalize_citizen_id(b)
    if len(x) == len(y):
        return sum(1 for p, q in zip(x, y) if p != q)
    if len(x) < len(y):
        x, y = y, x
    previous = list(range(len(y) + 1))
    for i, cx in enumerate(x, 1):
        current = [i]
        for j, cy in enumerate(y, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                                previous[j - 1] + (cx != cy)))
        previous = current
    return previous[-1]


# --------------------------------------------------------------------------
# Phones
# --------------------------------------------------------------------------

# Pre-2018 11-digit mobile prefixes and their 10-digit replacements
# (MIC conversion 15/9/2018-30/6/2019; secondary sources agree, [S]).
_OLD_MOBILE_PREFIXES = {
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036",
    "0167": "037", "0168": "038", "0169": "039",
    "0186": "056", "0188": "058", "0199": "059",
}
_NON_DIGITS_RE = re.compile(r"[^0-9]+")
_FLOAT_TAIL_RE = re.compile(r"\.0+\s*$")
_PHONE_SPLIT_RE = re.compile(r"[,;/|\n]+|\s(?:hoặc|hoac|or)\s", re.IGNORECASE)
_PHONE_KEY_LENGTH = 9
_PLACEHOLDER_TAILS = frozenset({"123456789", "987654321", "012345678"})


def normalize_phone(value: Any) -> str:
    """Digits only, with the national leading 0: "+84 912 345 678" -> "0912345678"."""
    text = _as_text(value)
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).strip()
    international = text.startswith("+")
    digits = _NON_DIGITS_RE.sub("", _FLOAT_TAIL_RE.sub("", text))
    if not digits:
        return ""
    if digits.startswith("0084"):
        digits = "0" + digits[4:]
    elif digits.startswith("84") and (international or len(digits) in (11, 12)):
        digits = "0" + digits[2:]
    elif international:
        return digits  # another country: leave as dialled, without "+"
    if digits.startswith("00") and len(digits) > 10:
        digits = digits[1:]  # "+84 0912 ..." keeps its own 0 as well
    if len(digits) == 9 and digits[0] != "0":
        digits = "0" + digits  # Excel dropped the leading zero of a mobile
    elif len(digits) == 10 and digits[0] == "2":
        digits = "0" + digits  # ... or of a landline (02x area codes)
    if len(digits) == 11 and digits[:4] in _OLD_MOBILE_PREFIXES:
        digits = _OLD_MOBILE_PREFIXES[digits[:4]] + digits[4:]
    return digits


def phone_numbers(value: Any) -> list[str]:
    """Every phone in a field such as "0912 345 678 / 0987.654.321", normalised."""
    text = _as_text(value)
    if not text:
        return []
    numbers = []
    for part in _PHONE_SPLIT_RE.split(text):
        number = normalize_phone(part)
        if number and number not in numbers:
            numbers.append(number)
    return numbers


def _phone_tail(number: str) -> str | None:
    if len(number) < _PHONE_KEY_LENGTH:
        return None
    tail = number[-_PHONE_KEY_LENGTH:]
    if len(set(tail)) == 1 or tail in _PLACEHOLDER_TAILS:
        return None  # placeholder: would put unrelated households together
    return tail


def phone_key(value: Any) -> str | None:
    """Last 9 digits of the (first) phone; None when fewer than 9 or a placeholder."""
    for number in phone_numbers(value):
        return _phone_tail(number)
    return None


def phone_keys(value: Any) -> list[str]:
    """``phone_key`` of every phone in the field."""
    keys = []
    for number in phone_numbers(value):
        tail = _phone_tail(number)
        if tail and tail not in keys:
            keys.append(tail)
    return keys


# --------------------------------------------------------------------------
# Addresses
# --------------------------------------------------------------------------

# "Số", "số nhà", "SN", "nhà số" (even twice), then an alley word: "ngõ" (north), "ngách" (a branch
# of a ngõ), "hẻm" (south), "kiệt" or "K" (centre) — "Ngõ 45/12", "K45/12", "hẻm 45/12" are 45/12.
_HOUSE_PREFIX_RE = re.compile(
    r"^(?:(?:so\s*nha|nha\s*so|sn|so|no|nha|#)[\s.:#]*)*(?:(?:ngo|ngach|hem|kiet|k)[\s.:#]*)?(?=\d)")
# "45 ngõ 12", "45 ngách 12": the alley word between two numbers is a separator ("45/12").
_ALLEY_INFIX_RE = re.compile(r"(?<=\d)[\s.,]*(?:ngo|ngach|hem|kiet)[\s.:#]*(?=\d)")
# A street field that starts with the house number ("Số 45/12 Hạ Long"), on folded text.
_NUMBER_IN_STREET_RE = re.compile(
    r"^\s*(?:(?:so\s*nha|nha\s*so|sn|so)[\s.:#]*)*((?:(?:ngo|ngach|hem|kiet|k)[\s.:#]*)?\d[\w/\-]*"
    r"(?:\s*(?:ngo|ngach|hem|kiet)\s*\d[\w/\-]*)*)[\s,]+(.*\D.*)$")
_HOUSE_SEPARATORS_RE = re.compile(r"[-\\_.,:;|/]+")
_HOUSE_LETTER_AFTER_SEP_RE = re.compile(r"(?<=\d)/(?=[^\W\d_]+$)")
_HOUSE_SUFFIX_RE = re.compile(r"(?<=\d)[^\W\d_]+$")
_SPACES_RE = re.compile(r"\s+")


@lru_cache(maxsize=_CACHE_SIZE)
def _normalize_house_text(text: str) -> str:
    text = _HOUSE_PREFIX_RE.sub("", _fold_text(text).strip())
    text = _ALLEY_INFIX_RE.sub("/", text)
    text = _SPACES_RE.sub("", text)
    text = _HOUSE_SEPARATORS_RE.sub("/", text).strip("/")
    return _HOUSE_LETTER_AFTER_SEP_RE.sub("", text)


def normalize_house_number(value: Any) -> str:
    """Folded, no spaces, no "số"/"số nhà" prefix, separators as "/".

    "Số 12 / 3A" -> "12/3a"; "12-3A" -> "12/3a"; "12/3-A" -> "12/3a";
    alleys: "Ngõ 12/3", "12 ngõ 3", "K12/3", "hẻm 12/3" -> "12/3".
    The letter suffix stays: it distinguishes split-off households.
    """
    text = _as_text(value)
    return _normalize_house_text(text) if text else ""


def house_number_base(value: Any) -> str:
    """The house number without a trailing letter suffix: "12/3a" -> "12/3"."""
    return _HOUSE_SUFFIX_RE.sub("", normalize_house_number(value))


def same_base_different_suffix(a: Any, b: Any) -> bool:
    """True for "12/3" vs "12/3A" or "15A" vs "15B": evidence of a split family,
    i.e. against merging the two households."""
    na, nb = normalize_house_number(a), normalize_house_number(b)
    if not na or not nb or na == nb:
        return False
    base = _HOUSE_SUFFIX_RE.sub("", na)
    return bool(base) and base == _HOUSE_SUFFIX_RE.sub("", nb)


_STREET_PREFIXES = frozenset({"duong", "pho", "d", "p", "dg"})


def _folded_tokens(text: str) -> list[str]:
    return [t for t in _NON_WORD_RE.split(_APOSTROPHE_RE.sub("", _fold_text(text))) if t]


@lru_cache(maxsize=_CACHE_SIZE)
def _normalize_street_text(text: str) -> str:
    # Telex residue is repaired in purely alphabetic tokens only: numbers in
    # street names ("Đường số 5", "3/2") must stay as typed.
    tokens = [_repair_token(t) if t.isalpha() else t for t in _folded_tokens(text)]
    if len(tokens) > 1 and tokens[0] in _STREET_PREFIXES:
        tokens = tokens[1:]
    return " ".join(tokens)


def address_parts(address: Any) -> tuple[str, str]:
    """(house number, street) of an address dict, both normalised; a house number written at the
    start of the street field ("Số 45/12 Hạ Long", house number empty) is taken out of it."""
    address = address if isinstance(address, dict) else {}
    house_text, street_text = _as_text(address.get("house_number")), _as_text(address.get("street"))
    house = normalize_house_number(house_text) if house_text else ""
    if not any(c.isdigit() for c in house) and street_text:
        match = _NUMBER_IN_STREET_RE.match(_fold_text(street_text))
        if match:
            return normalize_house_number(match.group(1)), normalize_street(match.group(2))
    return house, normalize_street(street_text) if street_text else ""


def normalize_street(value: Any) -> str:
    """Folded street without a leading "đường"/"phố": "Đường Hạ Long" -> "ha long"."""
    text = _as_text(value)
    return _normalize_street_text(text) if text else ""


# --------------------------------------------------------------------------
# Blocking keys
# --------------------------------------------------------------------------

_HEAD_RELATIONS = frozenset({"head", "chu ho", "chuho", "chu_ho", "household head"})


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _members(household: dict) -> list[dict]:
    members = household.get("members")
    if not isinstance(members, (list, tuple)):
        return []
    return [m for m in members if isinstance(m, dict)]


def member_key(member: Any) -> tuple[str, int | None]:
    """(name_key, birth year) of a member, for comparing rosters across records."""
    if not isinstance(member, dict):
        return ("", None)
    return (name_key(member.get("full_name")), member_birth_year(member))


def _usable_citizen_id(value: Any) -> str | None:
    number = normalize_citizen_id(value)
    if not _is_ascii_digits(number) or len(number) < 9 or len(set(number)) == 1:
        return None
    return number


def _is_head(member: dict) -> bool:
    return fold(member.get("relation")) in _HEAD_RELATIONS


def household_blocking_keys(household: Any, scope: Any = None) -> set[str]:
    """A union of selective keys: two records that may be the same household
    should share at least one. Key kinds:

    ``addr:<street>|<house base>``, ``addrg:<group>|<base>`` (with or without a street: one record
    of a household may have lost it),
    ``phone:<last 9>``, ``cid:<id>``, ``cid6:<last 6 of id>``,
    ``cidg:<first 6 of id>|<given>``, ``hgy:<head given>|<year>``,
    ``hst:<head sorted tokens>``, ``mny:<member name key>|<year>``.

    With a scope (e.g. the ward code) every key starts with "<scope>|".
    Missing fields add no key; garbage never raises.
    """
    if not isinstance(household, dict):
        return set()
    scope_text = _as_text(scope)
    prefix = f"{scope_text.strip()}|" if scope_text and scope_text.strip() else ""
    keys: set[str] = set()

    def add(kind: str, value: str) -> None:
        keys.add(f"{prefix}{kind}:{value}")

    # Address: street (or group when there is no street) + house-number base.
    address, area = _dict(household.get("address")), _dict(household.get("area"))
    house, street = address_parts(address)
    base = _HOUSE_SUFFIX_RE.sub("", house)
    if base and any(c.isdigit() for c in base):
        group_text = _as_text(area.get("group_code"))
        group = " ".join(_folded_tokens(group_text)) if group_text else ""
        if street:
            add("addr", f"{street}|{base}")
        if group:                      # also with a street: the other record may have none
            add("addrg", f"{group}|{base}")

    for tail in phone_keys(household.get("phone")):
        add("phone", tail)

    members = _members(household)
    heads = [m for m in members if _is_head(m)]
    if not heads:  # rosters usually list the head first
        heads = [m for m in members if name_key(m.get("full_name"))][:1]

    for member in members:
        key, year = member_key(member)
        tokens = key.split()
        given = tokens[-1] if len(tokens) >= 2 else ""
        for tail in phone_keys(member.get("phone")):
            add("phone", tail)
        old_id = normalize_old_id(member.get("old_id_number"))
        if old_id:
            add("cid", old_id)       # same kind as a CMND written in the citizen-ID field
        number = _usable_citizen_id(member.get("citizen_id"))
        if number:
            add("cid", number)
            if len(number) == _ID_LENGTH:
                add("cid6", number[6:])
                if given:
                    add("cidg", f"{number[:6]}|{given}")
        if len(tokens) >= 2 and year is not None:
            add("mny", f"{key}|{year}")

    for head in heads:
        key, year = member_key(head)
        tokens = key.split()
        if len(tokens) < 2:
            continue  # a lone token may be the family name: never block on it
        if year is not None:
            add("hgy", f"{tokens[-1]}|{year}")
        add("hst", " ".join(sorted(tokens)))
    return keys
