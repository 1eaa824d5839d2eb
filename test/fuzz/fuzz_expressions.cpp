// The expression builder's placeholders (ddb/expr.hpp): an update request that
// already carries placeholders of its own (any names, "#n0"-like ones
// included) gets a condition and an update built from the input. Properties:
// building throws nothing but ddb::error; the request's own placeholders are
// left exactly as they were; every placeholder in the rendered expressions is
// in the maps and none is one of the request's; and the expressions mean the
// same thing as when rendered with no placeholders taken (each placeholder
// replaced by the name or value it stands for gives the same text).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "ddb/core/json.hpp"
#include "ddb/error.hpp"
#include "ddb/expr.hpp"
#include "ddb/model/data.hpp"

namespace {

using namespace ddb::expr;

// Short names from a small alphabet, so that names repeat (a repeated name
// must get its first placeholder) and collide with placeholder spellings.
std::string a_name(FuzzedDataProvider& in) {
  static const char alphabet[] = {'a', 'b', '#', ':', 'n', 'v', '0', '1', '.', ' ', '[', ']'};
  std::string s;
  const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, 4);
  for (std::size_t i = 0; i < n; ++i) s += alphabet[in.ConsumeIntegralInRange<std::size_t>(0, sizeof alphabet - 1)];
  return s;
}

ddb::value a_value(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: return ddb::value(in.ConsumeRandomLengthString(8));
    case 1: return ddb::value(in.ConsumeIntegral<std::int32_t>());
    case 2: return ddb::value(in.ConsumeBool());
    default: return ddb::value(ddb::null);
  }
}

path a_path(FuzzedDataProvider& in) {
  path p = attr(a_name(in));
  const int more = in.ConsumeIntegralInRange<int>(0, 2);
  for (int i = 0; i < more; ++i)
    p = in.ConsumeBool() ? p[a_name(in)] : p[in.ConsumeIntegralInRange<std::size_t>(0, 9)];
  return p;
}

operand an_operand(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: return operand(a_path(in));
    case 1: return a_path(in).size();
    case 2: return operand(a_path(in)) + operand(a_value(in));
    default: return operand(a_value(in));
  }
}

condition a_condition(FuzzedDataProvider& in, int depth) {
  const int pick = in.ConsumeIntegralInRange<int>(0, depth > 0 ? 9 : 6);
  switch (pick) {
    case 0: return an_operand(in) == an_operand(in);
    case 1: return an_operand(in) < an_operand(in);
    case 2: return a_path(in).exists();
    case 3: return a_path(in).begins_with(a_value(in));
    case 4: return a_path(in).between(an_operand(in), an_operand(in));
    case 5: return a_path(in).in({an_operand(in), an_operand(in)});
    case 6: return a_path(in).contains(a_value(in));
    case 7: return a_condition(in, depth - 1) && a_condition(in, depth - 1);
    case 8: return a_condition(in, depth - 1) || a_condition(in, depth - 1);
    default: return !a_condition(in, depth - 1);
  }
}

update an_update(FuzzedDataProvider& in) {
  update u;
  const int n = in.ConsumeIntegralInRange<int>(1, 4);
  for (int i = 0; i < n; ++i) {
    switch (in.ConsumeIntegralInRange<int>(0, 2)) {
      case 0: u.set(a_path(in), an_operand(in)); break;
      case 1: u.remove(a_path(in)); break;
      default: u.add(a_path(in), operand(a_value(in))); break;
    }
  }
  return u;
}

bool placeholder_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The expression with each placeholder replaced by what it stands for;
// traps when one is missing from the maps or is one the request brought.
std::string resolved(const std::string& text, const std::map<std::string, std::string>& names,
                     const ddb::item& values, const std::map<std::string, std::string>& taken_names,
                     const ddb::item& taken_values) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] != '#' && text[i] != ':') {
      out += text[i++];
      continue;
    }
    std::size_t j = i + 1;
    while (j < text.size() && placeholder_char(text[j])) ++j;
    const std::string token = text.substr(i, j - i);
    if (token[0] == '#') {
      auto it = names.find(token);
      if (it == names.end() || taken_names.count(token)) __builtin_trap();
      out += "<name " + it->second + ">";
    } else {
      const ddb::value* v = values.find(token);
      if (!v || taken_values.contains(token)) __builtin_trap();
      out += "<value " + ddb::json::to_json(*v) + ">";
    }
    i = j;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  try {
    // The request's own placeholders: "#n<k>" / ":v<k>" spellings and others.
    ddb::update_item_request r;
    const int taken = in.ConsumeIntegralInRange<int>(0, 6);
    for (int i = 0; i < taken; ++i) {
      const std::string k = std::to_string(in.ConsumeIntegralInRange<int>(0, 5));
      if (in.ConsumeBool())
        r.expression_attribute_names[in.ConsumeBool() ? "#n" + k : "#" + a_name(in)] = a_name(in);
      else
        r.expression_attribute_values.insert_or_assign(in.ConsumeBool() ? ":v" + k : ":" + a_name(in), a_value(in));
    }
    const auto before_names = r.expression_attribute_names;
    const ddb::item before_values = r.expression_attribute_values;

    const condition c = a_condition(in, 3);
    const update u = an_update(in);
    apply(r, expressions{.condition = c, .update = u});

    for (const auto& [k, v] : before_names)
      if (r.expression_attribute_names.at(k) != v) __builtin_trap();
    for (const auto& [k, v] : before_values)
      if (!(r.expression_attribute_values.at(k) == v)) __builtin_trap();

    // Rendered with no placeholder taken, the same expressions must mean the same.
    placeholders fresh;
    const std::string plain_condition = render(c, fresh);
    const std::string plain_update = render(u, fresh);
    const std::map<std::string, std::string> none;
    const ddb::item no_values;
    if (resolved(*r.condition_expression, r.expression_attribute_names, r.expression_attribute_values, before_names,
                 before_values) != resolved(plain_condition, fresh.names(), fresh.values(), none, no_values))
      __builtin_trap();
    if (resolved(*r.update_expression, r.expression_attribute_names, r.expression_attribute_values, before_names,
                 before_values) != resolved(plain_update, fresh.names(), fresh.values(), none, no_values))
      __builtin_trap();
  } catch (const ddb::error&) {
    // Refused with an error (an empty name, an expression over 4 KB): fine.
  } catch (...) {
    __builtin_trap();
  }
  return 0;
}
