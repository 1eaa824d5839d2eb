// Prompt normalization, matching mneme (Python) byte for byte: strip(),
// re.sub(r"\s+", " ", ...), casefold(). The tables come from Python itself
// (scripts/gen-casefold.py), so white space and case folding are Python's.
#include <algorithm>

#include "core/crypto.hpp"
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

// Decodes one UTF-8 code point at s[i]; false for malformed input
// (overlong forms, surrogates, values over U+10FFFF, truncation).
bool decode(std::string_view s, std::size_t& i, char32_t& out) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    out = b0;
    ++i;
    return true;
  }
  int len = 0;
  char32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return false;
  }
  if (i + static_cast<std::size_t>(len) > s.size()) return false;
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((b & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (b & 0x3F);
  }
  static constexpr char32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  out = cp;
  i += static_cast<std::size_t>(len);
  return true;
}

void encode(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
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
    encode(out, cp);
    return;
  }
  for (char32_t t : it->to)
    if (t) encode(out, t);
}

}  // namespace

std::string normalize(std::string_view text) {
  std::vector<char32_t> cps;
  cps.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    if (!decode(text, i, cp))
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
