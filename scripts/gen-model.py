#!/usr/bin/env python3
"""Generates ddb's typed DynamoDB requests and responses from the service model.

    scripts/gen-model.py [--out DIR] [model/dynamodb/service-2.json]

writes include/ddb/model.hpp (the structs), include/ddb/enums.hpp (the
enumerations; src/model/generated/enums.cpp their names), include/ddb/detail/operations.hpp
(the typed client operations) and src/model/generated/codec_*.cpp (their JSON encoders and
decoders). The output is committed: the build never needs the model. Every
member of every shape reachable from the listed operations is generated.

Mapping: structure -> struct (optional members as std::optional, lists and
maps empty when absent); AttributeValue -> ddb::value; a map of name ->
AttributeValue -> ddb::item; other maps -> std::map<std::string, T>;
string -> std::string; enum -> ddb::open_enum<E> with E an enum class
generated beside its to_string/parse_enum (src/model/generated/enums.cpp); integer/long -> std::int64_t; double and
timestamp (epoch seconds) -> double; blob -> ddb::bytes.
"""
import html
import json
import os
import re
import sys

OPERATIONS = [
    # data plane
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
    "TransactGetItems", "TransactWriteItems", "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction",
    "SearchVectors",
    # control plane
    "CreateTable", "UpdateTable", "DescribeTable", "DeleteTable", "ListTables", "UpdateTimeToLive",
    "DescribeTimeToLive", "UpdateContinuousBackups", "DescribeContinuousBackups", "TagResource", "UntagResource",
    "ListTagsOfResource", "DescribeLimits",
]
# Operations whose shapes go to ddb/model/data.hpp (the one the client
# header includes); the others' to ddb/model/control.hpp.
DATA_OPERATIONS = set(OPERATIONS[:OPERATIONS.index("CreateTable")])
# The generated codec is spread over this many translation units (build time).
CODEC_PARTS = 4
KEYWORDS = {"delete", "new", "default", "operator", "class", "namespace", "template", "this", "union", "register",
            "return", "switch", "case", "public", "private", "protected", "virtual", "explicit", "export", "static"}

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# gen-model.py [--out DIR] [MODEL]: MODEL defaults to the pinned copy in
# model/dynamodb/ (Apache-2.0, with its LICENSE and NOTICE); --out writes the
# files under DIR instead of the tree (test generated.up_to_date compares).
args = sys.argv[1:]
out_root = top
if len(args) >= 2 and args[0] == "--out":
    out_root = args[1]
    args = args[2:]
model_path = args[0] if args else os.path.join(top, "model", "dynamodb", "service-2.json")
model = json.load(open(model_path))
shapes = model["shapes"]
# Operations that answer with an empty body get an empty response struct
# (it still carries the diagnostics).
for op in OPERATIONS:
    if "output" not in model["operations"][op]:
        shapes[op + "Output"] = {"type": "structure", "members": {}}
        model["operations"][op]["output"] = {"shape": op + "Output"}


def snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def member_name(name):
    n = snake(name)
    return n + "_" if n in KEYWORDS else n


# Shapes whose plain names would be C++ keywords or too vague at namespace level.
RENAMED = {"Put": "transact_put", "Delete": "transact_delete", "Update": "transact_update", "Get": "transact_get",
           "Condition": "legacy_condition",
           "ConditionCheck": "transact_condition_check"}


def struct_name(shape):
    if shape in RENAMED:
        return RENAMED[shape]
    for suffix, repl in (("Input", "_request"), ("Output", "_response")):
        if shape.endswith(suffix) and shape[: -len(suffix)] in model["operations"]:
            return snake(shape[: -len(suffix)]) + repl
    return snake(shape)


def is_attribute_value(shape):
    return shape == "AttributeValue"


def is_item_map(shape):
    s = shapes[shape]
    return s["type"] == "map" and is_attribute_value(s["value"]["shape"])


# Shapes reachable from the operations, structures in dependency order.
order, seen, enums = [], set(), []


def visit(name):
    if name in seen or is_attribute_value(name):
        return
    seen.add(name)
    s = shapes[name]
    if s["type"] == "structure":
        for m in s["members"].values():
            visit(m["shape"])
        order.append(name)
    elif s["type"] == "list":
        visit(s["member"]["shape"])
    elif s["type"] == "map":
        visit(s["value"]["shape"])
    elif s["type"] == "string" and "enum" in s:
        enums.append(name)


def is_enum(shape):
    return shapes[shape]["type"] == "string" and "enum" in shapes[shape]


# Enumerations: BillingMode -> ddb::billing_mode (the Enum suffix dropped),
# PAY_PER_REQUEST -> pay_per_request, ConditionalCheckFailed ->
# conditional_check_failed; C++ keywords get a trailing underscore.
ENUM_KEYWORDS = KEYWORDS | {"and", "or", "not", "xor", "bitand", "bitor", "compl", "and_eq", "or_eq", "xor_eq",
                            "not_eq", "true", "false", "null_ptr", "int", "char", "bool", "auto", "const"}


def enum_name(shape):
    return snake(shape[:-4] if shape.endswith("Enum") else shape)


def enumerator(value):
    n = value.lower() if value.isupper() or "_" in value else snake(value)
    n = re.sub(r"[^a-z0-9_]", "_", n)
    return n + "_" if n in ENUM_KEYWORDS or n[0].isdigit() else n


for op in OPERATIONS:
    visit(model["operations"][op]["input"]["shape"])
    visit(model["operations"][op]["output"]["shape"])

# Structures the data-plane operations reach (ddb/model/data.hpp); the rest
# are control plane (ddb/model/control.hpp, which includes data.hpp).
data_structs = set()


def reach(name):
    if name in data_structs or is_attribute_value(name):
        return
    s = shapes[name]
    if s["type"] == "structure":
        data_structs.add(name)
        for m in s["members"].values():
            reach(m["shape"])
    elif s["type"] == "list":
        reach(s["member"]["shape"])
    elif s["type"] == "map":
        reach(s["value"]["shape"])


for op in DATA_OPERATIONS:
    reach(model["operations"][op]["input"]["shape"])
    reach(model["operations"][op]["output"]["shape"])


def cpp_type(shape):
    """(type, optional_wrapped) for a member of this shape."""
    if is_attribute_value(shape):
        return "::ddb::value", False
    s = shapes[shape]
    t = s["type"]
    if t == "structure":
        return "::ddb::" + struct_name(shape), True
    if t == "list":
        inner, _ = cpp_type(s["member"]["shape"])
        return "std::vector<" + inner + ">", False
    if t == "map":
        if is_item_map(shape):
            return "::ddb::item", False
        inner, _ = cpp_type(s["value"]["shape"])
        return "std::map<std::string, " + inner + ">", False
    if t == "string" and "enum" in s:
        return "::ddb::open_enum<::ddb::" + enum_name(shape) + ">", True
    if t == "string":
        return "std::string", True
    if t == "boolean":
        return "bool", True
    if t in ("integer", "long"):
        return "std::int64_t", True
    if t in ("double", "timestamp"):
        return "double", True
    if t == "blob":
        return "::ddb::bytes", True
    raise SystemExit("unmapped shape type " + t)


def doc_line(text, fallback, limit=300):
    """The first sentence of a model documentation string, as one line of a
    Doxygen comment: tags stripped, entities decoded, Doxygen's special
    characters escaped."""
    t = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text or "")).split())
    t = re.sub(r" ([.,;:)])", r"\1", t)
    m = re.match(r"(.+?[.!?])(\s|$)", t)
    t = m.group(1) if m else t
    if len(t) > limit:
        t = t[:limit].rsplit(" ", 1)[0] + "..."
    if not t:
        t = fallback
    return re.sub(r"([\\@<>&#%$`])", r"\\\1", t)


def member_decl(shape, required):
    t, wrap = cpp_type(shape)
    if wrap and not required:
        return "std::optional<" + t + ">"
    return t


HEADER = "// Generated by scripts/gen-model.py from the DynamoDB service model (Apache-2.0). Do not edit.\n"

# ---------------------------------------------------------------- model/data.hpp, model/control.hpp
MODEL_NOTE = ("// Typed DynamoDB requests and responses: every member of the service model's\n"
              "// shapes, names in snake_case (TableName -> table_name); see the DynamoDB\n"
              "// API reference for their meaning. Optional members are std::optional;\n"
              "// lists and maps are simply empty when absent. Every response also\n"
              "// carries the diagnostics.\n")


def structs_of(names):
    out = []
    for name in names:
        s = shapes[name]
        sname = struct_name(name)
        out.append(f"/// {doc_line(s.get('documentation'), 'DynamoDB ' + name + '.')} (DynamoDB: {name})\n"
                   f"struct {sname} {{\n")
        req = set(s.get("required", []))
        for mname, m in s["members"].items():
            fallback = "DynamoDB's " + mname + "."
            out.append(f"  /// {doc_line(m.get('documentation') or shapes[m['shape']].get('documentation'), fallback)}\n"
                       f"  {member_decl(m['shape'], mname in req)} {member_name(mname)}{{}};  // {mname}\n")
        if sname.endswith("_response"):
            out.append("  /// How the response came: HTTP status, request id, attempts, consumed capacity.\n"
                       "  ::ddb::diagnostics diag;\n"
                       "  /// Marks the type as a response for ddb's templates.\n"
                       "  static constexpr const char* kind = \"response\";\n")
        elif sname.endswith("_request"):
            out.append("  /// Marks the type as a request for ddb's templates.\n"
                       "  static constexpr const char* kind = \"request\";\n")
        out.append("};\n\n")
    return out


h_data = [HEADER, "#pragma once\n", "// The data plane (included by ddb/client.hpp): " +
          ", ".join(o for o in OPERATIONS if o in DATA_OPERATIONS) + ".\n", MODEL_NOTE,
          "#include <cstdint>\n#include <map>\n#include <optional>\n#include <string>\n#include <vector>\n\n",
          '#include "ddb/core/open_enum.hpp"\n#include "ddb/core/value.hpp"\n#include "ddb/diagnostics.hpp"\n#include "ddb/enums.hpp"\n\n'
          'namespace ddb {\n\n'] + structs_of([n for n in order if n in data_structs]) + ["}  // namespace ddb\n"]
h_control = [HEADER, "#pragma once\n", "// The control plane (include it, or ddb/model.hpp, to call these): " +
             ", ".join(o for o in OPERATIONS if o not in DATA_OPERATIONS) + ".\n", MODEL_NOTE,
             '#include "ddb/model/data.hpp"\n\nnamespace ddb {\n\n'] + \
            structs_of([n for n in order if n not in data_structs]) + ["}  // namespace ddb\n"]
h = [HEADER, "#pragma once\n",
     "// Every typed request and response: the data plane (ddb/model/data.hpp,\n",
     "// which ddb/client.hpp includes) and the control plane\n",
     "// (ddb/model/control.hpp). Include this, or only the part you call.\n",
     '#include "ddb/model/control.hpp"\n#include "ddb/model/data.hpp"\n']
# ---------------------------------------------------------------- enums.hpp
eh = [HEADER, "#pragma once\n",
      "// The service model's enumerations (a light header: ddb/model.hpp and the\n",
      "// option structs of other headers use them). Requests and responses hold\n",
      "// them as ddb::open_enum<E> (ddb/core/open_enum.hpp). to_string gives the\n",
      "// value as DynamoDB spells it; parse_enum reads it back (false for a value\n",
      "// the model does not list).\n",
      "#include <cstdint>\n#include <string_view>\n\nnamespace ddb {\n\n"]
for name in enums:
    vals = ", ".join(enumerator(v) for v in shapes[name]["enum"])
    e = enum_name(name)
    eh.append(f"/// {doc_line(shapes[name].get('documentation'), 'DynamoDB ' + name + '.')} (DynamoDB: {name})\n"
              f"enum class {e} : std::uint8_t {{ {vals} }};\n"
              f"/// The value as DynamoDB spells it.\nstd::string_view to_string({e} v) noexcept;\n"
              f"/// Reads DynamoDB's spelling into out; false for a value the model does not list.\n"
              f"bool parse_enum(std::string_view s, {e}& out) noexcept;\n")
eh.append("\n}  // namespace ddb\n")

# ---------------------------------------------------------------- operations.hpp
o = [HEADER, "#pragma once\n",
     "// The typed operations of ddb::client (a base class, so the client header\n",
     "// stays hand-written). Each forwards to client::typed_call; with the default\n",
     "// token, to an overload compiled in the library (src/client/generated/awaitables.cpp),\n",
     "// so a caller's translation unit instantiates no completion machinery.\n",
     '#include <boost/asio/awaitable.hpp>\n\n#include <string>\n#include <utility>\n\n#include "ddb/error.hpp"\n\nnamespace ddb {\n',
     "enum class request_safety;\n\n",
     "// The requests and responses, declared: complete in ddb/model/data.hpp\n",
     "// (included by ddb/client.hpp) or ddb/model/control.hpp (include it, or\n",
     "// ddb/model.hpp, to call a control-plane operation).\n"]
for op in OPERATIONS:
    where = "data.hpp" if op in DATA_OPERATIONS else "control.hpp: #include <ddb/model.hpp> to call " + snake(op)
    o.append(f"struct {snake(op)}_request;  // ddb/model/{where}\n")
    o.append(f"struct {snake(op)}_response;  // ddb/model/{where}\n")
o += ["\n// GCC before 13 destroys a temporary built inside a co_await expression\n",
      "// twice (co_await c.get_item({...}) frees the request's strings twice):\n",
      "// there, a request passed as a temporary or moved does not compile, with\n",
      "// this message. Clang and GCC 13 accept it.\n",
      "#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13\n#define DDB_GCC12_TEMPORARY_TRAP 1\n#else\n#define DDB_GCC12_TEMPORARY_TRAP 0\n#endif\n",
      "#define DDB_GCC12_TEMPORARY_MESSAGE \\\n",
      "  \"GCC 12 destroys a temporary inside a co_await expression twice: build the request in a named variable \" \\\n",
      "  \"and pass it as it is (not a temporary, not std::move); see README, GCC 12 caveat\"\n",
      "\nnamespace detail {\n\n",
     "enum class capacity_hint : unsigned char { not_supported, set_by_request, unset };\n\n"]
for op in OPERATIONS:
    o.append(f"result<std::string> encode(const {snake(op)}_request& r);\n")
    o.append(f"request_safety safety_of(const {snake(op)}_request& r);\n")
o.append("\n// Whether the request can ask for ConsumedCapacity and already does\n"
         "// (client_config::track_capacity asks for it when the request does not).\n"
         "template <class Request>\ncapacity_hint capacity_hint_of(const Request& r) {\n"
         "  if constexpr (requires { r.return_consumed_capacity; })\n"
         "    return r.return_consumed_capacity ? capacity_hint::set_by_request : capacity_hint::unset;\n"
         "  else\n    return capacity_hint::not_supported;\n}\n")
o.append("\ntemplate <class Client, class DefaultToken>\nclass operations {\n public:\n")
for op in OPERATIONS:
    fn = snake(op)
    o.append(f"  // {op}\n  boost::asio::awaitable<{fn}_response> {fn}(const {fn}_request& request);\n")
    o.append("  template <class Token = DefaultToken>\n")
    o.append(f"  auto {fn}(const {fn}_request& request, Token&& token = {{}}) {{\n")
    o.append(f"    return static_cast<Client*>(this)->template typed_call<{fn}_response>(\n")
    o.append(f"        \"{op}\", encode(request), safety_of(request), capacity_hint_of(request), std::forward<Token>(token));\n  }}\n")
    o.append(f"#if DDB_GCC12_TEMPORARY_TRAP\n  template <class R = {fn}_request, class... Token>\n")
    o.append(f"  void {fn}({fn}_request&&, Token&&...) {{\n    static_assert(sizeof(R) == 0, DDB_GCC12_TEMPORARY_MESSAGE);\n  }}\n#endif\n")
o.append("};\n\n}  // namespace detail\n}  // namespace ddb\n")

# ---------------------------------------------------------------- codec
# Declarations of every write_/read_ function (codec_shapes.hpp), their
# definitions spread over CODEC_PARTS files, the per-operation entry points
# in codec_ops.cpp.
c = []
# Encoders: write_<struct>(writer, value) for every structure.
def enc_value(shape, expr, indent):
    """Statements writing expr (already unwrapped) as JSON."""
    p = " " * indent
    if is_attribute_value(shape):
        return f"{p}check(json::write_value(w, {expr}));\n"
    s = shapes[shape]
    t = s["type"]
    if t == "structure":
        return f"{p}write_{struct_name(shape)}(w, {expr});\n"
    if t == "list":
        return (f"{p}w.begin_array();\n{p}for (const auto& e{indent} : {expr}) {{\n" +
                enc_value(s["member"]["shape"], f"e{indent}", indent + 2) + f"{p}}}\n{p}w.end_array();\n")
    if t == "map":
        if is_item_map(shape):
            return f"{p}check(json::write_item(w, {expr}));\n"
        return (f"{p}w.begin_object();\n{p}for (const auto& [k{indent}, v{indent}] : {expr}) {{\n{p}  w.key(k{indent});\n" +
                enc_value(s["value"]["shape"], f"v{indent}", indent + 2) + f"{p}}}\n{p}w.end_object();\n")
    if t == "string" and "enum" in s:
        return f"{p}w.string(checked_enum({expr}));\n"
    if t == "string":
        return f"{p}w.string(checked_text({expr}));\n"
    if t == "boolean":
        return f"{p}w.boolean({expr});\n"
    if t in ("integer", "long"):
        return f"{p}w.integer({expr});\n"
    if t in ("double", "timestamp"):
        return f"{p}write_double(w, {expr});\n"
    if t == "blob":
        return f"{p}write_blob(w, {expr});\n"
    raise SystemExit(t)


# Decoders: read_<struct>(od::value, out) -> located. Locals carry the
# indent as a suffix so nested lists and maps do not shadow each other.
def dec_value(shape, src, dst, indent):
    p = " " * indent
    n = str(indent)
    if is_attribute_value(shape):
        return f"{p}if (auto e = read_value({src}, 1, {dst})) return e;\n"
    s = shapes[shape]
    t = s["type"]
    if t == "structure":
        return f"{p}if (auto e = read_{struct_name(shape)}({src}, {dst})) return e;\n"
    if t == "list":
        return (f"{p}{{\n{p}  od::array arr{n};\n{p}  if (auto ec = {src}.get_array().get(arr{n})) return from_simdjson(ec, \"a JSON array\");\n"
                f"{p}  std::size_t i{n} = 0;\n"
                f"{p}  for (auto el{n} : arr{n}) {{\n{p}    od::value ev{n};\n{p}    if (auto ec = el{n}.get(ev{n})) return from_simdjson(ec, \"a value\");\n"
                f"{p}    auto& slot{n} = {dst}.emplace_back();\n"
                f"{p}    if (auto e = [&]() -> located {{\n" + dec_value(s["member"]["shape"], f"ev{n}", f"slot{n}", indent + 6) +
                f"{p}      return {{}};\n{p}    }}()) return std::move(e).under_index(i{n});\n{p}    ++i{n};\n{p}  }}\n{p}}}\n")
    if t == "map":
        if is_item_map(shape):
            return (f"{p}{{\n{p}  od::object obj{n};\n{p}  if (auto ec = {src}.get_object().get(obj{n})) return from_simdjson(ec, \"a JSON object\");\n"
                    f"{p}  if (auto e = read_item(obj{n}, 1, {dst})) return e;\n{p}}}\n")
        return (f"{p}{{\n{p}  od::object obj{n};\n{p}  if (auto ec = {src}.get_object().get(obj{n})) return from_simdjson(ec, \"a JSON object\");\n"
                f"{p}  for (auto f{n} : obj{n}) {{\n{p}    std::string_view key{n};\n{p}    if (auto ec = f{n}.unescaped_key().get(key{n})) return from_simdjson(ec, \"a key\");\n"
                f"{p}    std::string name{n}(key{n});\n"
                f"{p}    od::value mv{n};\n{p}    if (auto ec = f{n}.value().get(mv{n})) return from_simdjson(ec, \"a value\");\n"
                f"{p}    auto& slot{n} = {dst}[name{n}];\n"
                f"{p}    if (auto e = [&]() -> located {{\n" + dec_value(s["value"]["shape"], f"mv{n}", f"slot{n}", indent + 6) +
                f"{p}      return {{}};\n{p}    }}()) return std::move(e).under_key(name{n});\n{p}  }}\n{p}}}\n")
    if t == "string" and "enum" in s:
        return f"{p}if (auto e = read_enum({src}, {dst})) return e;\n"
    if t == "string":
        return f"{p}if (auto e = read_string({src}, {dst})) return e;\n"
    if t == "boolean":
        return f"{p}if (auto ec = {src}.get_bool().get({dst})) return from_simdjson(ec, \"true or false\");\n"
    if t in ("integer", "long"):
        return f"{p}if (auto ec = {src}.get_int64().get({dst})) return from_simdjson(ec, \"an integer\");\n"
    if t in ("double", "timestamp"):
        return f"{p}if (auto ec = {src}.get_double().get({dst})) return from_simdjson(ec, \"a number\");\n"
    if t == "blob":
        return f"{p}if (auto e = read_blob({src}, {dst})) return e;\n"
    raise SystemExit(t)


def emit_reader(c, name):
    s = shapes[name]
    sname = struct_name(name)
    req = set(s.get("required", []))
    c.append(f"located read_{sname}(od::value src, {sname}& out) {{\n  od::object obj;\n")
    if not s["members"]:
        c.append("  (void)out;\n")
    c.append("  if (auto ec = src.get_object().get(obj)) return from_simdjson(ec, \"a JSON object\");\n")
    c.append("  for (auto field : obj) {\n    std::string_view key;\n")
    c.append("    if (auto ec = field.unescaped_key().get(key)) return from_simdjson(ec, \"a field name\");\n")
    c.append("    od::value v;\n    if (auto ec = field.value().get(v)) return from_simdjson(ec, \"a value\");\n")
    # is_null() is a simdjson_result<bool>: a token starting with 'n' that is
    # not null is an error, which its conversion to bool would throw.
    c.append("    bool absent = false;\n")
    c.append("    if (auto ec = v.is_null().get(absent)) return from_simdjson(ec, \"a value\").under_key(key);\n")
    c.append("    if (absent) continue;\n")
    first = True
    for mname, m in s["members"].items():
        field = "out." + member_name(mname)
        t, wrap = cpp_type(m["shape"])
        optional = wrap and mname not in req
        kw = "if" if first else "} else if"
        first = False
        c.append(f"    {kw} (key == \"{mname}\") {{\n")
        target = field
        if optional:
            c.append(f"      {field}.emplace();\n")
            target = "*" + field
        c.append(f"      if (auto e = [&]() -> located {{\n" + dec_value(m["shape"], "v", target, 8) +
                 f"        return {{}};\n      }}()) return std::move(e).under_key(\"{mname}\");\n")
    if not first:
        c.append("    }\n")
    c.append("  }\n  return {};\n}\n\n")


decls = []
for name in order:
    decls.append(f"void write_{struct_name(name)}(json::writer& w, const {struct_name(name)}& v);\n")
    decls.append(f"located read_{struct_name(name)}(simdjson::ondemand::value src, {struct_name(name)}& out);\n")
parts = [[] for _ in range(CODEC_PARTS)]
for i, name in enumerate(order):
    c = parts[i % CODEC_PARTS]
    s = shapes[name]
    sname = struct_name(name)
    req = set(s.get("required", []))
    c.append(f"void write_{sname}(json::writer& w, const {sname}& v) {{\n  w.begin_object();\n")
    if not s["members"]:
        c.append("  (void)v;\n")
    for mname, m in s["members"].items():
        field = "v." + member_name(mname)
        t, wrap = cpp_type(m["shape"])
        optional = wrap and mname not in req
        st = "attr" if is_attribute_value(m["shape"]) else shapes[m["shape"]]["type"]
        if m.get("idempotencyToken"):
            # Idempotency tokens are generated when absent, so retries are safe.
            c.append(f"  w.key(\"{mname}\");\n  w.string({field} ? checked_text(*{field}) : new_idempotency_token());\n")
        elif optional:
            c.append(f"  if ({field}) {{\n    w.key(\"{mname}\");\n" + enc_value(m["shape"], "*" + field, 4) + "  }\n")
        elif st in ("list", "map"):
            c.append(f"  if (!{field}.empty()) {{\n    w.key(\"{mname}\");\n" + enc_value(m["shape"], field, 4) + "  }\n")
        else:
            c.append(f"  w.key(\"{mname}\");\n" + enc_value(m["shape"], field, 2))
    c.append("  w.end_object();\n}\n\n")
    emit_reader(c, name)

# Per-operation entry points.
c = []
for op in OPERATIONS:
    fn = snake(op)
    c.append(f"result<std::string> encode(const {fn}_request& r) {{\n")
    c.append("  if (auto checked = check(r); !checked) return std::move(checked).error();\n")
    c.append(f"  return encode_with([&](json::writer& w) {{ write_{fn}_request(w, r); }});\n}}\n\n")
    for kind in ("request", "response"):
        c.append(f"template <>\nresult<{fn}_{kind}> decode<{fn}_{kind}>(const std::string& body) {{\n")
        c.append(f"  return decode_with<{fn}_{kind}>(body, [](od::value v, {fn}_{kind}& out) {{ return read_{fn}_{kind}(v, out); }});\n}}\n\n")
    c.append(f"std::optional<failure> decode_into(const std::string& body, {fn}_response& out) {{\n")
    c.append(f"  return decode_into_with(body, out, [](od::value v, {fn}_response& o) {{ return read_{fn}_response(v, o); }});\n}}\n\n")
    c.append(f"result<std::string> encode_response(const {fn}_response& r) {{\n")
    c.append(f"  return encode_with([&](json::writer& w) {{ write_{fn}_response(w, r); }});\n}}\n\n")
os.makedirs(os.path.join(out_root, "include", "ddb", "detail"), exist_ok=True)
os.makedirs(os.path.join(out_root, "src", "model", "generated"), exist_ok=True)
os.makedirs(os.path.join(out_root, "src", "client", "generated"), exist_ok=True)
os.makedirs(os.path.join(out_root, "include", "ddb", "model"), exist_ok=True)
open(os.path.join(out_root, "include", "ddb", "model.hpp"), "w").write("".join(h))
open(os.path.join(out_root, "include", "ddb", "model", "data.hpp"), "w").write("".join(h_data))
open(os.path.join(out_root, "include", "ddb", "model", "control.hpp"), "w").write("".join(h_control))
# The default-token overloads, compiled once.
aw = [HEADER, "// The operations with the default token (use_awaitable), compiled once for\n",
      "// every program (declared in ddb/detail/operations.hpp).\n",
      '#include "ddb/client.hpp"\n#include "ddb/model.hpp"\n\nnamespace ddb::detail {\n\n']
for op in OPERATIONS:
    fn = snake(op)
    aw.append(f"template <class Client, class DefaultToken>\nboost::asio::awaitable<{fn}_response> operations<Client, DefaultToken>::{fn}(const {fn}_request& request) {{\n")
    aw.append(f"  return static_cast<Client*>(this)->template typed_call<{fn}_response>(\n")
    aw.append(f"      \"{op}\", encode(request), safety_of(request), capacity_hint_of(request), DefaultToken{{}});\n}}\n\n")
aw.append("template class operations<client, boost::asio::use_awaitable_t<>>;\n\n}  // namespace ddb::detail\n")
open(os.path.join(out_root, "src", "client", "generated", "awaitables.cpp"), "w").write("".join(aw))
open(os.path.join(out_root, "include", "ddb", "enums.hpp"), "w").write("".join(eh))
open(os.path.join(out_root, "include", "ddb", "detail", "operations.hpp"), "w").write("".join(o))
PRELUDE = '#include "model/generated/codec_shapes.hpp"\n\nnamespace ddb::detail {\n\nnamespace od = simdjson::ondemand;\n\n'
open(os.path.join(out_root, "src", "model", "generated", "codec_shapes.hpp"), "w").write(
    HEADER + "#pragma once\n// Every structure's JSON writer and reader (defined in codec_N.cpp).\n"
    '#include "model/codec.hpp"\n\nnamespace ddb::detail {\n\n' + "".join(decls) + "\n}  // namespace ddb::detail\n")
for i, part in enumerate(parts):
    open(os.path.join(out_root, "src", "model", "generated", f"codec_{i + 1}.cpp"), "w").write(
        HEADER + PRELUDE + "".join(part) + "}  // namespace ddb::detail\n")
open(os.path.join(out_root, "src", "model", "generated", "codec_ops.cpp"), "w").write(
    HEADER + PRELUDE + "".join(c) + "}  // namespace ddb::detail\n")
# The enumerations' names, both ways.
en = [HEADER, '#include <string_view>\n\n#include "ddb/enums.hpp"\n\nnamespace ddb {\n\n']
for name in enums:
    e = enum_name(name)
    values = shapes[name]["enum"]
    en.append(f"std::string_view to_string({e} v) noexcept {{\n  switch (v) {{\n")
    for v in values:
        en.append(f"    case {e}::{enumerator(v)}: return \"{v}\";\n")
    en.append("  }\n  return {};\n}\n")
    en.append(f"bool parse_enum(std::string_view s, {e}& out) noexcept {{\n")
    for v in values:
        en.append(f"  if (s == \"{v}\") {{ out = {e}::{enumerator(v)}; return true; }}\n")
    en.append("  return false;\n}\n\n")
en.append("}  // namespace ddb\n")
open(os.path.join(out_root, "src", "model", "generated", "enums.cpp"), "w").write("".join(en))
# The enumerations with their number of values, for tests that walk them all.
open(os.path.join(out_root, "src", "model", "generated", "enums.inc"), "w").write(
    HEADER + "".join(f"DDB_ENUM({enum_name(n)}, {len(shapes[n]['enum'])})\n" for n in enums))
old_codec = os.path.join(out_root, "src", "model", "generated", "codec.cpp")
if out_root == top and os.path.exists(old_codec):
    os.remove(old_codec)
# The list of response types, for the explicit instantiations in src/client/operations.cpp.
open(os.path.join(out_root, "src", "model", "generated", "responses.inc"), "w").write(
    HEADER + "".join(f"DDB_RESPONSE({snake(op)}_response)\n" for op in OPERATIONS))
# The operations, for tools that dispatch by name (the CLI).
open(os.path.join(out_root, "src", "model", "generated", "operations.inc"), "w").write(
    HEADER + "".join(f"DDB_OPERATION(\"{op}\", \"{re.sub('_', '-', snake(op))}\", {snake(op)})\n" for op in OPERATIONS))
print(f"{len(order)} structures, {len(enums)} enumerations, {len(OPERATIONS)} operations")
