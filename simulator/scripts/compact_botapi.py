#!/usr/bin/env python3
"""Compact the Telegram Bot API description into what the simulator checks requests against.

Input: api.json from PaulSonOfLars/telegram-bot-api-spec (MIT; see ../spec/LICENSE).
Output: ../spec/botapi.json with, for every method and type, its fields' names, types and `required`
flag (descriptions dropped), the subtypes of abstract types, and for a field whose description fixes
its value ("must be *default*", "always “creator”") that constant, so a value of an abstract type
(BotCommandScope, ChatMember, ...) can be matched to exactly one subtype.

Usage: python3 simulator/scripts/compact_botapi.py /work/shared/botapi/api.json simulator/spec/botapi.json
"""
import json
import re
import sys

# Only these fields tell the subtypes of an abstract type apart; other descriptions say "must be one
# of ..." and would yield nonsense constants.
DISCRIMINATORS = {"type", "status", "source"}

CONST_PATTERNS = [
    re.compile(r'must be \*?([A-Za-z_0-9]+)\*?'),
    re.compile(r'always [“"]([A-Za-z_0-9]+)[”"]'),
]


def field_const(description):
    for pattern in CONST_PATTERNS:
        m = pattern.search(description)
        if m:
            return m.group(1)
    return None


def compact_fields(fields, with_const):
    out = []
    for f in fields or []:
        item = {"name": f["name"], "types": f["types"], "required": f["required"]}
        if with_const and f["name"] in DISCRIMINATORS and f["types"] == ["String"]:
            const = field_const(f.get("description", ""))
            if const is not None:
                item["const"] = const
        out.append(item)
    return out


def main(src, dst):
    with open(src, encoding="utf-8") as fh:
        api = json.load(fh)
    methods = {
        name: {"fields": compact_fields(m.get("fields"), False)}
        for name, m in sorted(api["methods"].items())
    }
    types = {}
    for name, t in sorted(api["types"].items()):
        item = {"fields": compact_fields(t.get("fields"), bool(t.get("subtype_of")))}
        if t.get("subtypes"):
            item["subtypes"] = t["subtypes"]
        types[name] = item
    doc = {
        "version": api["version"],
        "release_date": api["release_date"],
        "methods": methods,
        "types": types,
    }
    with open(dst, "w", encoding="utf-8") as fh:
        fh.write("{\n")
        fh.write(f' "version": {json.dumps(doc["version"])},\n')
        fh.write(f' "release_date": {json.dumps(doc["release_date"])},\n')
        for key in ("methods", "types"):
            fh.write(f' "{key}": {{\n')
            entries = list(doc[key].items())
            for i, (name, value) in enumerate(entries):
                sep = "," if i + 1 < len(entries) else ""
                fh.write(f"  {json.dumps(name)}: {json.dumps(value, ensure_ascii=False)}{sep}\n")
            fh.write(" }" + ("," if key == "methods" else "") + "\n")
        fh.write("}\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
