#pragma once
// A JSON object's top-level members, read without simdjson (pure): the
// credential answers (whose secrets must not stay behind in a parser's
// buffers) and the cache's metadata check. Strings are unescaped; other
// values (numbers, literals, nested objects) keep their JSON text. Values are
// wiped when released.
#include <string>
#include <string_view>
#include <vector>

#include "ddb/error.hpp"

namespace ddb::detail {

struct json_member {
  std::string name;
  std::string value;
  bool is_string = false;
  ~json_member();
};
result<std::vector<json_member>> parse_flat_object(std::string_view json);

}  // namespace ddb::detail
