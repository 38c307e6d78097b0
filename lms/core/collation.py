"""Names in the order of the Kazakh alphabet.

Sorting by code point puts Ә, Ғ, Қ, Ң, Ө, Ұ, Ү, Һ and І after Я, so «Әбілқайыр» came last in
a list. `name_sort_key` spells a name as digits that sort, in any database collation, as the
Kazakh alphabet does (Russian names, a subset in the same order, sort as in Russian); the
key is kept in `User.sort_key` so that SQL can order and page lists by it."""
from __future__ import annotations

import unicodedata

#: the 42 letters of the Kazakh Cyrillic alphabet, in order
KAZAKH_ALPHABET = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
_RANK = {ch: f"1{k:03d}" for k, ch in enumerate(KAZAKH_ALPHABET)}
_RANK.update({ch: f"02{k:02d}" for k, ch in enumerate("abcdefghijklmnopqrstuvwxyz")})
_RANK.update({ch: f"01{k:02d}" for k, ch in enumerate("0123456789")})
#: the column's width: keys of longer names are cut (the id breaks the rare tie)
SORT_KEY_LENGTH = 800


def name_sort_key(name: str | None) -> str:
    """Four digits a character: a space or punctuation first (so "Ан Б" comes before
    "Ана"), then digits, Latin letters, the Kazakh alphabet, anything else by code point."""
    out = []
    for ch in unicodedata.normalize("NFC", name or "").casefold():
        code = _RANK.get(ch)
        if code is None:
            code = "0000" if not ch.isalnum() else f"{2000 + ord(ch) % 8000:04d}"
        out.append(code)
    return "".join(out)[:SORT_KEY_LENGTH]
