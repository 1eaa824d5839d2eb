// Prompt normalization, matching mneme (Python) byte for byte: strip(),
// re.sub(r"\s+", " ", ...), casefold(). The tables come from Python itself
// (scripts/gen-casefold.py), so white space and case folding are Python's.
#include <algorithm>

#include "core/crypto.hpp"
#include "core/utf8.hpp"
#include "ddb/cache.hpp"
#include "ddb/error.hpp"

namespace ddb::cache {
namespace {

struct casefold_entry {
  char32_t from;
  char32_t to[3];
};
#include "cache/casefold_table.inc"

bool is_space(char32_t c) {
  return std::find(std::begin(unicode_spaces), std::end(unicode_spaces), c) != std::end(unicode_spaces);
}

void fold(std::string& out, char32_t cp) {
  if (cp >= 'A' && cp <= 'Z') {  // the common case, without the search
    out += static_cast<char>(cp + 32);
    return;
  }
  if (cp < 0x80) {
    out += static_cast<char>(cp);
    return;
  }
  const auto* end = std::end(casefold_table);
  const auto* it = std::lower_bound(std::begin(casefold_table), end, cp,
                                    [](const casefold_entry& e, char32_t c) { return e.from < c; });
  if (it == end || it->from != cp) {
    utf8::append(out, cp);
    return;
  }
  for (char32_t t : it->to)
    if (t) utf8::append(out, t);
}

}  // namespace

std::string normalize(std::string_view text) {
  std::vector<char32_t> cps;
  cps.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    if (!utf8::decode(text, i, cp))
      throw ddb::error(fail(errc::invalid_utf8, "the prompt is not valid UTF-8 (at byte " + std::to_string(i) +
                                                    "): pass text, not bytes"));
    cps.push_back(cp);
  }
  std::size_t b = 0, e = cps.size();
  while (b < e && is_space(cps[b])) ++b;
  while (e > b && is_space(cps[e - 1])) --e;
  std::string out;
  out.reserve(e - b);
  bool in_space = false;
  for (std::size_t i = b; i < e; ++i) {
    if (is_space(cps[i])) {
      if (!in_space) out += ' ';
      in_space = true;
      continue;
    }
    in_space = false;
    fold(out, cps[i]);
  }
  return out;
}

std::string query_hash(std::string_view normalized) { return crypto::hex(crypto::sha256(normalized)); }

}  // namespace ddb::cache
