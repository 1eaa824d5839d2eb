#!/usr/bin/env python3
"""Seeds for fuzz_decoders and fuzz_requests from the service model: for every
operation in src/model/generated/operations.inc, its response (and request)
with every member present once: lists and maps of one element, the first enum
value, strings, numbers, booleans, timestamps and blobs of a plausible shape,
attribute values of each of the ten types. The first byte is the operation's
index (the harnesses' `data[0] % 27`). Writes full-<operation> into
test/fuzz/corpus/fuzz_decoders/ and test/fuzz/corpus/fuzz_requests/.

    test/fuzz/make-seeds.py        (rerun when the model changes; deterministic)
"""
import json
import pathlib
import re

top = pathlib.Path(__file__).resolve().parents[2]
model = json.loads((top / "model/dynamodb/service-2.json").read_text())
shapes = model["shapes"]
ops = re.findall(r'DDB_OPERATION\("(\w+)", "[\w-]+", (\w+)\)',
                 (top / "src/model/generated/operations.inc").read_text())

# One of each attribute value type, nested once (M and L hold a scalar).
ATTRIBUTE_VALUES = [
    {"S": "text"}, {"N": "-12.5E3"}, {"B": "AAEC"}, {"SS": ["a", "b"]}, {"NS": ["1", "2.5"]},
    {"BS": ["AA==", "AQ=="]}, {"M": {"inner": {"S": "x"}}}, {"L": [{"N": "1"}, {"BOOL": True}]},
    {"NULL": True}, {"BOOL": False},
]


def value(shape_name, depth=0, member_name=""):
    s = shapes[shape_name]
    t = s["type"]
    if shape_name == "AttributeValue":
        return ATTRIBUTE_VALUES[depth % len(ATTRIBUTE_VALUES)]
    if t == "structure":
        if depth > 6:
            return {}
        return {m: value(ref["shape"], depth + 1, m) for m, ref in s.get("members", {}).items()}
    if t == "list":
        return [value(s["member"]["shape"], depth + 1)]
    if t == "map":
        key_shape = s["key"]["shape"]
        key = "k" if "enum" not in shapes[key_shape] else shapes[key_shape]["enum"][0]
        if s["value"]["shape"] == "AttributeValue":  # an item: one attribute of each type
            return {f"a{i}": v for i, v in enumerate(ATTRIBUTE_VALUES)}
        return {key: value(s["value"]["shape"], depth + 1)}
    if t == "string":
        if "enum" in s:
            return s["enum"][0]
        if "Arn" in shape_name or member_name.endswith("Arn"):
            return "arn:aws:dynamodb:us-east-1:123456789012:table/T"
        if "Expression" in shape_name:
            return "#a = :v"
        return "name_1"
    if t in ("integer", "long"):
        return 5
    if t == "double":
        return 1.5
    if t == "boolean":
        return True
    if t == "timestamp":
        return 1764000000.5
    if t == "blob":
        return "AAEC"
    raise ValueError(f"{shape_name}: type {t}")


written = 0
for index, (name, _fn) in enumerate(ops):
    op = model["operations"].get(name)
    if op is None:
        continue
    for part, folder in (("output", "fuzz_decoders"), ("input", "fuzz_requests")):
        if part not in op:
            continue
        body = json.dumps(value(op[part]["shape"]), separators=(",", ":"), sort_keys=True)
        path = top / "test/fuzz/corpus" / folder / f"full-{name}"
        path.write_bytes(bytes([index]) + body.encode())
        written += 1
print(f"wrote {written} seeds")
